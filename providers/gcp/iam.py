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

Beyond the project's own policy (docs/gcp-iam.md): Resource Manager v1 ``projects.getAncestry``
(``POST /v1/projects/P:getAncestry``, one call for the whole chain, ``resourcemanager.projects.get``),
then v3 ``folders.getIamPolicy`` / ``organizations.getIamPolicy`` of each ancestor (POST reads):
their bindings are inherited, so principals carry them (``RoleGrant.source``). A denied ancestor
policy (the usual case for a project-level caller) marks :class:`GcpPrincipal` incomplete naming
``resourcemanager.folders.getIamPolicy`` / ``resourcemanager.organizations.getIamPolicy``: never
read as "no bindings". Per service account, IAM ``serviceAccounts.getIamPolicy`` (who may
impersonate it). Every role named in any of these policies is read with IAM ``roles.get`` (custom
roles under ``projects/P/roles`` or ``organizations/O/roles``) and expanded (:mod:`cspm.gcp_iam`).
All of it lands in one :class:`GcpIamHierarchy` per project, the escalation checks' input.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

from cspm.gcp_iam.roles import api_path, resolve
from cspm.providers.base import ServiceSpec
from cspm.providers.gcp.context import GcpContext
from cspm.providers.gcp.credentials import CRM_ENDPOINT
from cspm.resources.base import GLOBAL_REGION, Resource
from cspm.resources.gcp.iam import (
    GcpIamHierarchy,
    GcpPrincipal,
    GcpServiceAccount,
    NodePolicy,
    PolicyBinding,
    RoleDefinition,
    RoleGrant,
    ServiceAccountKey,
)

IAM_ENDPOINT: Final = "https://iam.googleapis.com"
ACCOUNTS_PAGE_SIZE: Final = 100  # serviceAccounts.list documents 100 as its maximum page

POLICY_PERMISSION: Final = "resourcemanager.projects.getIamPolicy"
ANCESTRY_PERMISSION: Final = "resourcemanager.projects.get"
NODE_POLICY_PERMISSION: Final = {
    "folders": "resourcemanager.folders.getIamPolicy",
    "organizations": "resourcemanager.organizations.getIamPolicy",
}
SA_POLICY_PERMISSION: Final = "iam.serviceAccounts.getIamPolicy"
ROLE_PERMISSION: Final = "iam.roles.get"
PERMISSIONS = (
    POLICY_PERMISSION,
    "iam.serviceAccounts.list",
    "iam.serviceAccountKeys.list",
    ANCESTRY_PERMISSION,
    *NODE_POLICY_PERMISSION.values(),
    SA_POLICY_PERMISSION,
    ROLE_PERMISSION,
)
MAX_ANCESTORS: Final = 12  # folders nest at most 10 deep, under one organization

PRODUCES: Final = (GcpPrincipal, GcpServiceAccount, GcpIamHierarchy)


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
    project_node = node_policy(f"projects/{ctx.project}", policy, f"projects.getIamPolicy failed ({POLICY_PERMISSION})")
    ancestry = _ancestry(ctx, crm)
    inherited = [_ancestor_policy(ctx, crm, node) for node in (ancestry or ())[1:]]
    if ancestry is None:
        ctx.unit.mark_incomplete(
            (GcpPrincipal,),
            f"projects.getAncestry failed; the folders and organization above the project, and the roles they "
            f"grant on it, are unknown (reading the ancestry needs {ANCESTRY_PERMISSION})",
        )
    for node in inherited:
        if node.bindings is None:
            ctx.unit.mark_incomplete((GcpPrincipal,), f"{node.error}; the roles it grants on the project are unknown")
    if policy is None:  # principals cannot be judged: every principal check ERROR, naming the permission
        ctx.unit.mark_incomplete(
            (GcpPrincipal,),
            f"projects.getIamPolicy failed; reading the project's IAM policy needs {POLICY_PERMISSION} "
            "(the report's errors have the code)",
        )
    iam = _endpoint("CSPM_GCP_IAM_ENDPOINT", IAM_ENDPOINT)
    accounts = ctx.rest_list(
        f"{iam}/v1/projects/{ctx.project}/serviceAccounts",
        "accounts",
        params={"pageSize": ACCOUNTS_PAGE_SIZE},
        operation="serviceAccounts.list",
        affects=(GcpServiceAccount,),
    )
    valid = [a for a in accounts or () if isinstance(a.get("email"), str) and a.get("email")]
    found = ctx.map(lambda raw: _service_account(ctx, iam, raw), valid)
    yield from (account for account, _ in found)
    sa_policies = tuple(p for _, p in found)
    if policy is not None:
        yield from principals_from_policy(policy, ctx.project, inherited, sa_policies)
    nodes = (project_node, *inherited)
    names = sorted({b.role for n in (*nodes, *sa_policies) for b in n.bindings or ()})
    roles = ctx.map(lambda name: _role(ctx, iam, name), names)
    yield GcpIamHierarchy(
        uid=f"//cloudresourcemanager.googleapis.com/projects/{ctx.project}#iam",
        name=f"projects/{ctx.project}",
        account=ctx.project,
        region=GLOBAL_REGION,
        ancestry=ancestry,
        policies=nodes,
        service_accounts=None if accounts is None else tuple(str(a["email"]) for a in valid),
        service_account_policies=sa_policies,
        roles=tuple(roles),
    )


def _ancestry(ctx: GcpContext, crm: str) -> tuple[str, ...] | None:
    answer = ctx.rest_get(
        f"{crm}/v1/projects/{ctx.project}:getAncestry", method="POST", body={}, operation="projects.getAncestry"
    )
    return None if answer is None else ancestry_from_api(answer, ctx.project)


def _ancestor_policy(ctx: GcpContext, crm: str, node: str) -> NodePolicy:
    kind = node.split("/", 1)[0]
    answer = ctx.rest_get(
        f"{crm}/v3/{node}:getIamPolicy",
        method="POST",
        body={"options": {"requestedPolicyVersion": 3}},
        operation=f"{kind}.getIamPolicy",
    )
    return node_policy(node, answer, f"{kind}.getIamPolicy of {node} failed ({NODE_POLICY_PERMISSION[kind]})")


def _service_account(ctx: GcpContext, iam: str, raw: dict[str, Any]) -> tuple[GcpServiceAccount, NodePolicy]:
    email = str(raw["email"])
    base = f"{iam}/v1/projects/{ctx.project}/serviceAccounts/{quote(email, safe='@.')}"
    answer = ctx.rest_get(f"{base}/keys", params={"keyTypes": "USER_MANAGED"}, operation="serviceAccounts.keys.list")
    policy = ctx.rest_get(
        f"{base}:getIamPolicy",
        method="POST",
        params={"options.requestedPolicyVersion": 3},
        operation="serviceAccounts.getIamPolicy",
    )
    resource = f"projects/{ctx.project}/serviceAccounts/{email}"
    failed = f"serviceAccounts.getIamPolicy of {email} failed ({SA_POLICY_PERMISSION})"
    return service_account_from_api(raw, ctx.project, answer), node_policy(resource, policy, failed)


def _role(ctx: GcpContext, iam: str, name: str) -> RoleDefinition:
    """The role's definition; one read per scan (predefined and organization roles are the same
    for every project), only answers the API gave are remembered."""
    key = f"roles.get:{name}"
    known = ctx.clients.shared.get(key)
    if isinstance(known, RoleDefinition):
        return known
    path = api_path(name)
    if path is None:
        return resolve(name, None, "not a role name")
    answer = ctx.rest_get(f"{iam}/{path}", params={"view": "FULL"}, operation="roles.get")
    role = resolve(name, answer, f"roles.get failed ({ROLE_PERMISSION}; the report's errors have the code)")
    if role.origin == "api":
        ctx.clients.shared[key] = role
    return role


# ---------------------------------------------------------------------------------------------
# REST resource -> snapshot (pure)
# ---------------------------------------------------------------------------------------------


def _kind(member: str) -> str:
    return member.split(":", 1)[0] if ":" in member else member


def _binding_grants(policy: dict[str, Any], source: str | None) -> Iterator[tuple[str, RoleGrant]]:
    for binding in policy.get("bindings") or ():
        if not isinstance(binding, dict) or not isinstance(binding.get("role"), str):
            continue
        raw_condition = binding.get("condition")
        condition: dict[str, Any] = raw_condition if isinstance(raw_condition, dict) else {}
        grant = RoleGrant(
            role=binding["role"],
            condition=str(condition["expression"]) if condition.get("expression") else None,
            condition_title=str(condition["title"]) if condition.get("title") else None,
            source=source,
        )
        for member in binding.get("members") or ():
            if isinstance(member, str) and member:
                yield member, grant


def principals_from_policy(
    policy: dict[str, Any],
    project: str,
    inherited: Sequence[NodePolicy] = (),
    account_policies: Sequence[NodePolicy] = (),
) -> list[GcpPrincipal]:
    """One principal per member of any binding of the project's policy or of a readable
    ancestor's (``inherited``), with every binding that names it; members named only in a service
    account's own policy (``account_policies``) are principals too, holding no project role (the
    escalation check judges what they can do through those accounts)."""
    grants: dict[str, list[RoleGrant]] = {}
    for node in account_policies:
        for b in node.bindings or ():
            for member in b.members:
                grants.setdefault(member, [])
    for member, grant in _binding_grants(policy, None):
        grants.setdefault(member, []).append(grant)
    for node in inherited:
        for b in node.bindings or ():
            grant = RoleGrant(
                role=b.role, condition=b.condition, condition_title=b.condition_title, source=node.resource
            )
            for member in b.members:
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


def node_policy(resource: str, policy: dict[str, Any] | None, failure: str) -> NodePolicy:
    """The policy answer of ``resource`` (None: the read failed, ``failure`` says why)."""
    if policy is None:
        return NodePolicy(resource=resource, bindings=None, error=failure)
    bindings: dict[tuple[str, str | None, str | None], list[str]] = {}
    for member, grant in _binding_grants(policy, resource):
        bindings.setdefault((grant.role, grant.condition, grant.condition_title), []).append(member)
    return NodePolicy(
        resource=resource,
        bindings=tuple(
            PolicyBinding(role=role, members=tuple(members), condition=condition, condition_title=title)
            for (role, condition, title), members in bindings.items()
        ),
    )


_ANCESTOR_KINDS: Final = {"project": "projects", "folder": "folders", "organization": "organizations"}


def ancestry_from_api(answer: dict[str, Any], project: str) -> tuple[str, ...] | None:
    """``projects/P, folders/..., organizations/...`` from getAncestry (nearest first); None
    when the answer has no usable chain."""
    chain: list[str] = []
    for item in (answer.get("ancestor") or ())[:MAX_ANCESTORS]:
        rid = item.get("resourceId") if isinstance(item, dict) else None
        kind = _ANCESTOR_KINDS.get(str(rid.get("type"))) if isinstance(rid, dict) else None
        if kind is None or not isinstance(rid, dict) or not rid.get("id"):
            return None
        chain.append(f"{kind}/{rid['id']}")
    if not chain:
        return (f"projects/{project}",)
    if not chain[0].startswith("projects/"):
        return None
    return (f"projects/{project}", *chain[1:])


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
