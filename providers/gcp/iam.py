"""IAM of a project: the members of its IAM policy and its service accounts with their keys.

Requests per project: Resource Manager v3 ``projects.getIamPolicy`` (``POST
/v3/projects/P:getIamPolicy`` with ``{"options": {"requestedPolicyVersion": 3}}``: a read that
Google defines as a POST; the read-only session allows exactly that path, see
:mod:`cspm.providers.gcp.context`); IAM ``serviceAccounts.list`` (one per page); per service
account ``serviceAccounts.keys.list?keyTypes=USER_MANAGED`` (unpaged). ``CSPM_GCP_CRM_ENDPOINT``
and ``CSPM_GCP_IAM_ENDPOINT`` send the calls elsewhere (the demo's fake).

A denied getIamPolicy (403: the caller can list resources but lacks
``resourcemanager.projects.getIamPolicy``) is recorded against :class:`GcpPrincipal`, so every
principal check is ERROR for the project naming the call; the service accounts are still judged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

from cspm.providers.base import ServiceSpec
from cspm.providers.gcp.context import GcpContext
from cspm.providers.gcp.credentials import CRM_ENDPOINT
from cspm.resources.base import GLOBAL_REGION, Resource
from cspm.resources.gcp.iam import GcpPrincipal, GcpServiceAccount, RoleGrant, ServiceAccountKey

IAM_ENDPOINT: Final = "https://iam.googleapis.com"
ACCOUNTS_PAGE_SIZE: Final = 100  # serviceAccounts.list documents 100 as its maximum page

POLICY_PERMISSION: Final = "resourcemanager.projects.getIamPolicy"
PERMISSIONS = (
    POLICY_PERMISSION,
    "iam.serviceAccounts.list",
    "iam.serviceAccountKeys.list",
)

PRODUCES: Final = (GcpPrincipal, GcpServiceAccount)


def _endpoint(variable: str, default: str) -> str:
    return (os.environ.get(variable) or default).rstrip("/")


def collect(ctx: GcpContext) -> Iterator[Resource]:
    crm = _endpoint("CSPM_GCP_CRM_ENDPOINT", CRM_ENDPOINT)
    policy = ctx.rest_get(
        f"{crm}/v3/projects/{ctx.project}:getIamPolicy",
        method="POST",
        body={"options": {"requestedPolicyVersion": 3}},
        operation="projects.getIamPolicy",
    )
    if policy is None:  # principals cannot be judged: every principal check ERROR, naming the permission
        ctx.unit.mark_incomplete(
            (GcpPrincipal,),
            f"projects.getIamPolicy failed; reading the project's IAM policy needs {POLICY_PERMISSION} "
            "(the report's errors have the code)",
        )
    else:
        yield from principals_from_policy(policy, ctx.project)
    iam = _endpoint("CSPM_GCP_IAM_ENDPOINT", IAM_ENDPOINT)
    accounts = ctx.rest_list(
        f"{iam}/v1/projects/{ctx.project}/serviceAccounts",
        "accounts",
        params={"pageSize": ACCOUNTS_PAGE_SIZE},
        operation="serviceAccounts.list",
        affects=(GcpServiceAccount,),
    )
    if accounts is None:
        return
    valid = [a for a in accounts if isinstance(a.get("email"), str) and a.get("email")]
    yield from ctx.map(lambda raw: _service_account(ctx, iam, raw), valid)


def _service_account(ctx: GcpContext, iam: str, raw: dict[str, Any]) -> GcpServiceAccount:
    email = str(raw["email"])
    answer = ctx.rest_get(
        f"{iam}/v1/projects/{ctx.project}/serviceAccounts/{quote(email, safe='@.')}/keys",
        params={"keyTypes": "USER_MANAGED"},
        operation="serviceAccounts.keys.list",
    )
    return service_account_from_api(raw, ctx.project, answer)


# ---------------------------------------------------------------------------------------------
# REST resource -> snapshot (pure)
# ---------------------------------------------------------------------------------------------


def _kind(member: str) -> str:
    return member.split(":", 1)[0] if ":" in member else member


def principals_from_policy(policy: dict[str, Any], project: str) -> list[GcpPrincipal]:
    """One principal per member of any binding, with every binding that names it."""
    grants: dict[str, list[RoleGrant]] = {}
    for binding in policy.get("bindings") or ():
        if not isinstance(binding, dict) or not isinstance(binding.get("role"), str):
            continue
        raw_condition = binding.get("condition")
        condition: dict[str, Any] = raw_condition if isinstance(raw_condition, dict) else {}
        grant = RoleGrant(
            role=binding["role"],
            condition=str(condition["expression"]) if condition.get("expression") else None,
            condition_title=str(condition["title"]) if condition.get("title") else None,
        )
        for member in binding.get("members") or ():
            if isinstance(member, str) and member:
                grants.setdefault(member, []).append(grant)
    return [
        GcpPrincipal(
            uid=f"//cloudresourcemanager.googleapis.com/projects/{project}#{member}",
            name=member,
            account=project,
            region=GLOBAL_REGION,
            member=member,
            kind=_kind(member),
            grants=tuple(found),
        )
        for member, found in sorted(grants.items())
    ]


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def service_account_from_api(raw: dict[str, Any], project: str, keys: dict[str, Any] | None) -> GcpServiceAccount:
    """``keys`` is the keys.list answer, or None when it failed."""
    found = None
    if keys is not None:
        found = tuple(
            ServiceAccountKey(
                id=str(k.get("name", "")).rsplit("/", 1)[-1],
                valid_after=_time(k.get("validAfterTime")),
                valid_before=_time(k.get("validBeforeTime")),
                disabled=k.get("disabled") is True,
            )
            for k in keys.get("keys") or ()
            if isinstance(k, dict)
        )
    email = str(raw["email"])
    return GcpServiceAccount(
        uid=str(raw.get("name") or f"projects/{project}/serviceAccounts/{email}"),
        name=email,
        account=project,
        region=GLOBAL_REGION,
        email=email,
        disabled=raw.get("disabled") is True,
        user_managed_keys=found,
    )


SERVICE = ServiceSpec(
    name="iam",
    produces=PRODUCES,
    regional=False,
    permissions=PERMISSIONS,
    collect=collect,
)
