"""Azure RBAC reasoning shared by the authorization checks and the AI resources' identity checks:
which assignments are privileged, broad, data-plane or an escalation path.

Escalation on Azure, as documented:

- ``Microsoft.Authorization/roleAssignments/write``: grant any role (Owner included) to anyone
  at the scope, unless an ABAC condition constrains which roles and principals (Microsoft's
  "delegate role assignments with conditions");
- ``Microsoft.Authorization/roleDefinitions/write``: widen a custom role one already holds;
- ``Microsoft.ManagedIdentity/userAssignedIdentities/assign/action`` together with creating or
  changing compute that runs code as that identity (Azure's counterpart of AWS's
  ``iam:PassRole`` + ``RunInstances``): the code gets every role of the identity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cspm.models import Result, failed, not_applicable, passed
from cspm.resources.azure.authorization import (
    COGNITIVE_SERVICES_OPENAI_CONTRIBUTOR,
    CONTRIBUTOR,
    OWNER,
    RBAC_ADMINISTRATOR,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    STORAGE_BLOB_DATA_OWNER,
    SUBSCRIPTION_OR_BROADER,
    USER_ACCESS_ADMINISTRATOR,
    RbacPrincipal,
    RoleAssignment,
)
from cspm.resources.azure.identity import ManagedIdentity

PRIVILEGED_ROLES = frozenset({OWNER, CONTRIBUTOR, USER_ACCESS_ADMINISTRATOR, RBAC_ADMINISTRATOR})
DATA_PLANE_ROLES = frozenset(
    {STORAGE_BLOB_DATA_OWNER, STORAGE_BLOB_DATA_CONTRIBUTOR, COGNITIVE_SERVICES_OPENAI_CONTRIBUTOR}
)
# Data actions that read or change every blob or model of the scope.
BROAD_DATA_ACTIONS = (
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
    "Microsoft.CognitiveServices/accounts/OpenAI/deployments/write",
)
ROLE_ASSIGNMENT_WRITE = "Microsoft.Authorization/roleAssignments/write"
ROLE_DEFINITION_WRITE = "Microsoft.Authorization/roleDefinitions/write"
IDENTITY_ASSIGN = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"
# Compute that runs code as a user-assigned identity attached at creation or update.
COMPUTE_WRITES = (
    "Microsoft.Compute/virtualMachines/write",
    "Microsoft.Compute/virtualMachineScaleSets/write",
    "Microsoft.Web/sites/write",
    "Microsoft.ContainerInstance/containerGroups/write",
    "Microsoft.App/containerApps/write",
    "Microsoft.App/jobs/write",
    "Microsoft.MachineLearningServices/workspaces/computes/write",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/write",
    "Microsoft.Logic/workflows/write",
    "Microsoft.Automation/automationAccounts/write",
)


def _describe(a: RoleAssignment) -> dict[str, str]:
    return {"role": a.role_name, "scope": a.scope, "scope_level": a.scope_level}


def privileged_at_subscription(principal: RbacPrincipal) -> list[dict[str, str]]:
    """Owner, Contributor, User Access Administrator or RBAC Administrator at the subscription or broader."""
    return [
        _describe(a)
        for a in principal.assignments
        if a.role_definition_id in PRIVILEGED_ROLES and a.scope_level in SUBSCRIPTION_OR_BROADER
    ]


def wildcard_custom_roles(principal: RbacPrincipal) -> list[dict[str, str]]:
    """Assignments of custom roles whose actions include ``*`` (every action of every provider)."""
    return [
        _describe(a)
        for a in principal.assignments
        if a.role is not None and a.role.custom and any(action.strip() == "*" for action in a.role.actions)
    ]


def broad_data_roles(principal: RbacPrincipal) -> list[dict[str, str]]:
    """Data-plane roles over all blobs or models of a subscription (or broader)."""
    found = []
    for a in principal.assignments:
        if a.scope_level not in SUBSCRIPTION_OR_BROADER:
            continue
        known = a.role_definition_id in DATA_PLANE_ROLES
        custom = a.role is not None and a.role.custom and any(a.role.grants_data(d) for d in BROAD_DATA_ACTIONS)
        if known or custom:
            found.append(_describe(a))
    return found


def _granted(
    assignments: Iterable[RoleAssignment], action: str, *, unconditioned: bool = False
) -> list[RoleAssignment]:
    return [
        a for a in assignments if a.role is not None and a.role.grants(action) and not (unconditioned and a.condition)
    ]


def escalation_paths(principal: RbacPrincipal) -> list[dict[str, object]]:
    """The documented ways this principal can give itself (or code it runs) more rights."""
    paths: list[dict[str, object]] = []
    for action in (ROLE_ASSIGNMENT_WRITE, ROLE_DEFINITION_WRITE):
        # a condition on a role-assignment write is Microsoft's constrained delegation
        via = _granted(principal.assignments, action, unconditioned=action == ROLE_ASSIGNMENT_WRITE)
        if via:
            paths.append({"method": action, "via": [_describe(a) for a in via]})
    assign = _granted(principal.assignments, IDENTITY_ASSIGN)
    compute = [(c, a) for c in COMPUTE_WRITES for a in _granted(principal.assignments, c)]
    if assign and compute:
        paths.append(
            {
                "method": f"{IDENTITY_ASSIGN} + compute create",
                "via": [_describe(a) for a in assign],
                "compute": sorted({c for c, _ in compute}),
            }
        )
    return paths


def identity_verdict(identity: ManagedIdentity, principals: Sequence[RbacPrincipal], holder: str) -> Result:
    """The verdict on a resource's managed identities: FAIL when any holds a privileged role at
    subscription scope or broader (``holder`` names the resource in the messages)."""
    if not identity.enabled:
        return not_applicable(f"The {holder} has no managed identity.")
    wanted = {p.lower() for p in identity.principal_ids}
    held = [role for p in principals if p.principal_id.lower() in wanted for role in privileged_at_subscription(p)]
    if held:
        return failed(
            f"The {holder}'s identity holds privileged subscription-wide roles.", evidence={"assignments": held}
        )
    return passed(f"The {holder}'s identity holds no privileged subscription-wide role.")
