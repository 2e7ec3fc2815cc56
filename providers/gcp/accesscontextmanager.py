"""VPC Service Controls around a project: its organization's access policies and their perimeters.

Requests per project, by plain REST through the provider's read-only session:

1. Resource Manager v3 ``GET /v3/projects/P`` (``resourcemanager.projects.get``): the project's
   number (perimeters name projects as ``projects/NUMBER``) and its parent;
2. ``GET /v3/folders/F`` (``resourcemanager.folders.get``) up the folders until the
   organization (at most :data:`MAX_DEPTH` levels: Google allows 10 nested folders); when a
   folder cannot be read and the scan was given exactly one ``--organization`` (under which the
   project was found), that organization is used;
3. Access Context Manager v1 ``GET /v1/accessPolicies?parent=organizations/O``
   (``accesscontextmanager.policies.list``);
4. per policy ``GET /v1/accessPolicies/ID/servicePerimeters``
   (``accesscontextmanager.servicePerimeters.list``).

``CSPM_GCP_CRM_ENDPOINT`` and ``CSPM_GCP_ACM_ENDPOINT`` send the calls elsewhere (the demo's fake).

One :class:`VpcScProject` is produced per project whatever happens. When a step fails (a 403 on
``accesscontextmanager.policies.list`` is common: the permission is granted on the
organization, not the project), its ``perimeters`` is ``None`` and ``unreadable`` names the
permission, so the check answers ERROR, never PASS and never "in no perimeter". A project whose
ancestry ends without an organization cannot be in any perimeter (``no_organization``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, Final

from cspm.providers.base import ServiceSpec
from cspm.providers.gcp.context import GcpContext
from cspm.providers.gcp.credentials import CRM_ENDPOINT
from cspm.resources.base import GLOBAL_REGION, Resource
from cspm.resources.gcp.network import REGULAR, EgressRule, ServicePerimeter, VpcScProject

ENDPOINT_VARIABLE: Final = "CSPM_GCP_ACM_ENDPOINT"
ACM_ENDPOINT: Final = "https://accesscontextmanager.googleapis.com"
MAX_DEPTH: Final = 12  # folders up from a project (Google allows 10 levels); more is a loop

PROJECT_PERMISSION: Final = "resourcemanager.projects.get"
FOLDER_PERMISSION: Final = "resourcemanager.folders.get"
POLICIES_PERMISSION: Final = "accesscontextmanager.policies.list"
PERIMETERS_PERMISSION: Final = "accesscontextmanager.servicePerimeters.list"
PERMISSIONS = (PROJECT_PERMISSION, FOLDER_PERMISSION, POLICIES_PERMISSION, PERIMETERS_PERMISSION)

PRODUCES: Final = (VpcScProject,)


def _endpoint(variable: str, default: str) -> str:
    return (os.environ.get(variable) or default).rstrip("/")


def collect(ctx: GcpContext) -> Iterator[Resource]:
    crm = _endpoint("CSPM_GCP_CRM_ENDPOINT", CRM_ENDPOINT)
    base = {
        "uid": f"//cloudresourcemanager.googleapis.com/projects/{ctx.project}#vpc-service-controls",
        "name": ctx.project,
        "account": ctx.project,
        "region": GLOBAL_REGION,
    }
    project = ctx.rest_get(f"{crm}/v3/projects/{ctx.project}", operation="projects.get")
    number = _number(project)
    if project is None or number is None:
        if project is not None:
            ctx.error("projects.get", "MalformedResource", f"projects.get of {ctx.project} has no numeric name")
        yield VpcScProject(**base, unreadable=_why("projects.get", PROJECT_PERMISSION, project is not None))
        return
    organization, why = _organization(ctx, crm, project)
    given = ctx.clients.organizations
    if organization is None and why is not None and len(given) == 1:
        organization = given[0]  # the project was found under the one --organization: it is in it
    if organization is None:
        yield VpcScProject(**base, project_number=number, no_organization=why is None, unreadable=why)
        return
    yield VpcScProject(**base, project_number=number, organization=organization, **_perimeters(ctx, organization))


def _why(operation: str, permission: str, malformed: bool = False) -> str:
    if malformed:
        return f"{operation} answered without the field needed (see the report's errors)"
    return f"{operation} failed; it needs {permission} (the report's errors have the code)"


def _number(project: dict[str, Any] | None) -> str | None:
    name = project.get("name") if project else None
    number = name.removeprefix("projects/") if isinstance(name, str) else ""
    return number if number.isdigit() else None


def _organization(ctx: GcpContext, crm: str, project: dict[str, Any]) -> tuple[str | None, str | None]:
    """(organizations/ID, None); (None, None) when the ancestry has no organization; (None, why)
    when a folder could not be read."""
    parent, child = project.get("parent"), None
    for _ in range(MAX_DEPTH):
        if (not isinstance(parent, str) or not parent) and child is None:
            return None, None  # a project without an organization
        if isinstance(parent, str) and parent.startswith("organizations/"):
            return parent, None
        if not isinstance(parent, str) or not parent.startswith("folders/"):
            return None, _malformed(ctx, f"the ancestry of {ctx.project} holds {parent!r} above {child}")
        folder = ctx.rest_get(f"{crm}/v3/{parent}", operation="folders.get")
        if folder is None:
            return None, _why("folders.get", FOLDER_PERMISSION) + f" on {parent}"
        parent, child = folder.get("parent"), parent
    return None, _malformed(ctx, f"more than {MAX_DEPTH} folders above {ctx.project}")


def _malformed(ctx: GcpContext, message: str) -> str:
    ctx.error("folders.get", "MalformedResource", message)
    return message


def _perimeters(ctx: GcpContext, organization: str) -> dict[str, Any]:
    acm = _endpoint(ENDPOINT_VARIABLE, ACM_ENDPOINT)
    policies = ctx.rest_list(
        f"{acm}/v1/accessPolicies", "accessPolicies", params={"parent": organization}, operation="accessPolicies.list"
    )
    if policies is None:
        return {"unreadable": _why("accessPolicies.list", POLICIES_PERMISSION) + f" on {organization}"}
    found: list[ServicePerimeter] = []
    for policy in policies:
        name = policy.get("name")
        if not isinstance(name, str) or not name.startswith("accessPolicies/"):
            continue
        items = ctx.rest_list(
            f"{acm}/v1/{name}/servicePerimeters", "servicePerimeters", operation="servicePerimeters.list"
        )
        if items is None:
            return {"unreadable": _why("servicePerimeters.list", PERIMETERS_PERMISSION) + f" on {name}"}
        found.extend(perimeter_from_api(raw) for raw in items if isinstance(raw.get("name"), str))
    return {"perimeters": tuple(found)}


# ---------------------------------------------------------------------------------------------
# REST resource -> snapshot (pure)
# ---------------------------------------------------------------------------------------------


def _strings(config: Any, key: str) -> tuple[str, ...]:
    values = config.get(key) if isinstance(config, dict) else None
    return tuple(str(v) for v in values or () if isinstance(v, str))


def _objects(config: Any, key: str) -> list[dict[str, Any]]:
    values = config.get(key) if isinstance(config, dict) else None
    return [v for v in values or () if isinstance(v, dict)]


def perimeter_from_api(raw: dict[str, Any]) -> ServicePerimeter:
    status, spec = raw.get("status"), raw.get("spec")
    kind = raw.get("perimeterType")
    return ServicePerimeter(
        name=str(raw["name"]),
        title=raw.get("title") if isinstance(raw.get("title"), str) else None,
        perimeter_type=kind if isinstance(kind, str) and kind else REGULAR,
        resources=_strings(status, "resources"),
        restricted_services=_strings(status, "restrictedServices"),
        use_explicit_dry_run_spec=raw.get("useExplicitDryRunSpec") is True,
        dry_run_resources=_strings(spec, "resources"),
        dry_run_restricted_services=_strings(spec, "restrictedServices"),
        egress_rules=tuple(_egress(e) for e in _objects(status, "egressPolicies")),
    )


def _egress(raw: dict[str, Any]) -> EgressRule:
    source, target = raw.get("egressFrom"), raw.get("egressTo")
    operations = target.get("operations") if isinstance(target, dict) else None
    kind = source.get("identityType") if isinstance(source, dict) else None
    return EgressRule(
        identity_type=kind if isinstance(kind, str) and kind else None,
        identities=_strings(source, "identities"),
        resources=_strings(target, "resources"),
        services=tuple(str(o["serviceName"]) for o in operations or () if isinstance(o, dict) and o.get("serviceName")),
    )


SERVICE = ServiceSpec(
    name="accesscontextmanager",
    produces=PRODUCES,
    regional=False,
    permissions=PERMISSIONS,
    collect=collect,
)
