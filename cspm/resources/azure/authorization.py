"""Azure RBAC snapshots (``Microsoft.Authorization``): every principal that holds a role in a
subscription, with its role assignments and the role definitions they grant.

One ``azure.authorization.principal`` per (subscription, principal id): the role assignments
listed for a subscription include those at the management groups above it (and the root ``/``)
and at its resource groups and resources. Without Microsoft Graph (not read) a principal is known
by its object id and the ``principalType`` recorded on its assignments only: a deleted principal
keeps its assignments and its recorded type, so ARM alone cannot tell it is gone; ARM's own
``Unknown`` type is judged as an unresolved principal (docs/azure-gcp.md, "RBAC").
"""

from __future__ import annotations

from typing import ClassVar

from cspm.resources.base import Resource, Snapshot
from cspm.wildcard import wildcard_match

# Built-in role definition ids (the same GUID in every tenant).
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
STORAGE_BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
COGNITIVE_SERVICES_OPENAI_CONTRIBUTOR = "a001fd3d-188f-4b5d-821b-7da978bf7442"

# Scope levels, broadest first.
ROOT, MANAGEMENT_GROUP, SUBSCRIPTION, RESOURCE_GROUP, RESOURCE = (
    "root",
    "management_group",
    "subscription",
    "resource_group",
    "resource",
)
SUBSCRIPTION_OR_BROADER = frozenset({ROOT, MANAGEMENT_GROUP, SUBSCRIPTION})


class RoleDefinition(Snapshot):
    """A role definition (built-in or custom): its permissions, merged over its ``permissions[]``."""

    id: str  # the role definition's GUID (the last segment of its resource id)
    name: str  # roleName
    role_type: str  # BuiltInRole | CustomRole
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()

    @property
    def custom(self) -> bool:
        return self.role_type.lower() == "customrole"

    def grants(self, action: str) -> bool:
        """The control-plane ``action`` is allowed: matched by an action and by no notAction
        (Azure's wildcards, case-insensitive)."""
        return _allowed(action, self.actions, self.not_actions)

    def grants_data(self, action: str) -> bool:
        return _allowed(action, self.data_actions, self.not_data_actions)


def _allowed(action: str, allow: tuple[str, ...], deny: tuple[str, ...]) -> bool:
    return any(wildcard_match(p, action, ignore_case=True) for p in allow) and not any(
        wildcard_match(p, action, ignore_case=True) for p in deny
    )


class RoleAssignment(Snapshot):
    """One role assignment of the principal."""

    id: str
    scope: str
    scope_level: str  # root | management_group | subscription | resource_group | resource
    role_definition_id: str  # the GUID
    role: RoleDefinition | None = None  # None: the definition is not among the subscription's
    condition: str | None = None  # an ABAC condition constraining the assignment

    @property
    def role_name(self) -> str:
        return self.role.name if self.role is not None else self.role_definition_id


class RbacPrincipal(Resource):
    """A principal holding roles in the subscription. ``uid`` is synthetic:
    ``/subscriptions/{sub}/providers/Microsoft.Authorization/principals/{principalId}``."""

    resource_type: ClassVar[str] = "azure.authorization.principal"

    principal_id: str
    # principalType recorded on the assignments: User | Group | ServicePrincipal (managed
    # identities included) | ForeignGroup | Device | Unknown
    principal_type: str
    assignments: tuple[RoleAssignment, ...] = ()
    # Whether Microsoft Graph still has the principal (directoryObjects/getByIds): None when it
    # was not or could not be asked, and then ``directory_error`` says why.
    in_directory: bool | None = None
    directory_type: str | None = None  # user | group | servicePrincipal | … when found
    directory_error: str | None = None

    @property
    def is_service_principal(self) -> bool:
        return self.principal_type.lower() == "serviceprincipal"
