"""Azure RBAC (Microsoft.Authorization): role assignments and role definitions of a subscription.

Requests per subscription: RoleAssignments_ListForSubscription and RoleDefinitions_List (one
per page each), whatever the number of principals: 2 for a small subscription; plus one Microsoft
Graph ``directoryObjects/getByIds`` per 1,000 assigned principals, to tell the deleted ones
(providers/azure/graph.py). The assignment
listing covers every scope that applies to the subscription (the root and management groups
above it, the subscription, its resource groups and resources); the definition listing returns
the built-in roles and the custom roles assignable there.

A caller that can read resources but not role assignments (a Reader with a deny assignment, a
custom role without ``Microsoft.Authorization/roleAssignments/read``) gets an ERROR for every
RBAC check, naming that permission; the other services are judged as usual.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any, Final

from cspm.providers.azure.context import AzureContext
from cspm.providers.azure.graph import GRAPH_ENDPOINT_ENV
from cspm.providers.azure.graph import OPERATION as GRAPH_OPERATION
from cspm.providers.azure.graph import PERMISSION as GRAPH_PERMISSION
from cspm.providers.base import ServiceSpec
from cspm.resources.azure.authorization import (
    MANAGEMENT_GROUP,
    RESOURCE,
    RESOURCE_GROUP,
    ROOT,
    SUBSCRIPTION,
    RbacPrincipal,
    RoleAssignment,
    RoleDefinition,
)

API_VERSION: Final = "2022-04-01"
ASSIGNMENTS_PERMISSION: Final = "Microsoft.Authorization/roleAssignments/read"
DEFINITIONS_PERMISSION: Final = "Microsoft.Authorization/roleDefinitions/read"
PERMISSIONS = (ASSIGNMENTS_PERMISSION, DEFINITIONS_PERMISSION)


def collect(ctx: AzureContext) -> Iterator[RbacPrincipal]:
    arm = ctx.client("arm")
    base = f"/subscriptions/{ctx.subscription}/providers/Microsoft.Authorization"
    assignments = ctx.list_items(
        arm.list, f"{base}/roleAssignments", API_VERSION, operation="RoleAssignments_ListForSubscription"
    )
    if assignments is None:
        _incomplete(ctx, "RoleAssignments_ListForSubscription", ASSIGNMENTS_PERMISSION)
        return
    definitions = ctx.list_items(arm.list, f"{base}/roleDefinitions", API_VERSION, operation="RoleDefinitions_List")
    if definitions is None:
        _incomplete(ctx, "RoleDefinitions_List", DEFINITIONS_PERMISSION)
        return
    roles = {d.id.lower(): d for d in (role_definition_from_arm(raw) for raw in definitions)}
    directory, reason = _directory(ctx, assignments)
    yield from principals_from_arm(assignments, roles, ctx.subscription, directory=directory, directory_error=reason)


def _directory(ctx: AzureContext, assignments: list[dict[str, Any]]) -> tuple[dict[str, str] | None, str | None]:
    """Which assigned principals Microsoft Graph still has (object id -> type), or None and why not.

    Foreign groups live in another tenant's directory and are not asked about."""
    if ctx.clients.graph_endpoint is None:
        return None, (
            f"no Microsoft Graph endpoint is known for the Resource Manager endpoint {ctx.clients.endpoint}; "
            f"set {GRAPH_ENDPOINT_ENV} to look principals up"
        )
    ids = sorted(
        {
            str(props["principalId"]).lower()
            for props in ((raw.get("properties") or {}) for raw in assignments)
            if props.get("principalId") and str(props.get("principalType") or "").lower() != "foreigngroup"
        }
    )
    if not ids:
        return {}, None
    found = ctx.call(ctx.client("graph").existing, ids, operation=GRAPH_OPERATION)
    if found is None:
        return (
            None,
            f"{GRAPH_OPERATION} failed; telling deleted principals needs {GRAPH_PERMISSION} (see the report's errors)",
        )
    assert isinstance(found, dict)
    return found, None


def _incomplete(ctx: AzureContext, operation: str, permission: str) -> None:
    """RBAC cannot be judged: every principal check answers ERROR, naming the permission."""
    ctx.unit.mark_incomplete(
        (RbacPrincipal,), f"{operation} failed; reading RBAC needs {permission} (the report's errors have the code)"
    )


# ---------------------------------------------------------------------------------------------
# ARM JSON -> snapshot (pure)
# ---------------------------------------------------------------------------------------------


def _guid(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1].lower()


def role_definition_from_arm(raw: dict[str, Any]) -> RoleDefinition:
    props: dict[str, Any] = raw.get("properties") or {}
    merged: dict[str, list[str]] = defaultdict(list)
    for block in props.get("permissions") or ():
        if not isinstance(block, dict):
            continue
        for key in ("actions", "notActions", "dataActions", "notDataActions"):
            merged[key].extend(str(a) for a in block.get(key) or ())
    return RoleDefinition(
        id=_guid(str(raw.get("name") or raw.get("id") or "")),
        name=str(props.get("roleName") or raw.get("name") or ""),
        role_type=str(props.get("type") or "CustomRole"),
        actions=tuple(merged["actions"]),
        not_actions=tuple(merged["notActions"]),
        data_actions=tuple(merged["dataActions"]),
        not_data_actions=tuple(merged["notDataActions"]),
    )


def scope_level(scope: str) -> str:
    """root | management_group | subscription | resource_group | resource, from an ARM scope."""
    parts = [p.lower() for p in scope.strip("/").split("/") if p]
    if not parts:
        return ROOT
    if parts[:3] == ["providers", "microsoft.management", "managementgroups"]:
        return MANAGEMENT_GROUP
    if parts[0] == "subscriptions" and len(parts) == 2:
        return SUBSCRIPTION
    if parts[0] == "subscriptions" and len(parts) == 4 and parts[2] == "resourcegroups":
        return RESOURCE_GROUP
    return RESOURCE


def principals_from_arm(
    assignments: list[dict[str, Any]],
    roles: dict[str, RoleDefinition],
    subscription: str,
    *,
    directory: dict[str, str] | None = None,
    directory_error: str | None = None,
) -> Iterator[RbacPrincipal]:
    """One principal per assigned object id. ``directory`` (object id -> type, from Microsoft
    Graph) says which still exist; None leaves that unknown, with ``directory_error`` as the reason."""
    by_principal: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for raw in assignments:
        principal = (raw.get("properties") or {}).get("principalId")
        if principal:
            by_principal[str(principal).lower()].append(raw)
    for principal_id, raws in sorted(by_principal.items()):
        types = {str((r.get("properties") or {}).get("principalType") or "Unknown") for r in raws}
        principal_type = types.pop() if len(types) == 1 else "Unknown"
        yield RbacPrincipal(
            uid=f"/subscriptions/{subscription}/providers/Microsoft.Authorization/principals/{principal_id}",
            name=principal_id,
            account=subscription,
            principal_id=principal_id,
            principal_type=principal_type,
            assignments=tuple(_assignment(r, roles) for r in raws),
            **_directory_fields(principal_id, principal_type, directory, directory_error),
        )


def _directory_fields(
    principal_id: str, principal_type: str, directory: dict[str, str] | None, error: str | None
) -> dict[str, Any]:
    if principal_type.lower() == "foreigngroup":
        return {"directory_error": "a foreign group belongs to another tenant's directory"}
    if directory is None:
        return {"directory_error": error or "Microsoft Graph was not asked"}
    kind = directory.get(principal_id.lower())
    return {"in_directory": kind is not None, "directory_type": kind}


def _assignment(raw: dict[str, Any], roles: dict[str, RoleDefinition]) -> RoleAssignment:
    props: dict[str, Any] = raw.get("properties") or {}
    scope = str(props.get("scope") or "")
    role_id = _guid(str(props.get("roleDefinitionId") or ""))
    return RoleAssignment(
        id=str(raw.get("id") or ""),
        scope=scope,
        scope_level=scope_level(scope),
        role_definition_id=role_id,
        role=roles.get(role_id),
        condition=props.get("condition") or None,
    )


SERVICE = ServiceSpec(
    name="authorization",
    produces=(RbacPrincipal,),
    regional=False,
    permissions=PERMISSIONS,
    collect=collect,
)
