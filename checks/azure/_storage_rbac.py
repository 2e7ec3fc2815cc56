"""Who may write the blobs of a container, from the subscription's role assignments
(``azure.authorization.principal``), and whether a container is readable anonymously.

A principal writes a container's blobs when an assignment whose scope contains the container
(the container, its account, its resource group, the subscription, a management group or the
root) grants the data action ``.../containers/blobs/write`` (Storage Blob Data Contributor and
Owner, or a custom role), or, while the account allows Shared Key authorization, the control
action ``Microsoft.Storage/storageAccounts/listKeys/action`` (Owner, Contributor, Storage
Account Contributor): an account key writes every blob. A role whose definition was not among
the subscription's is judged by its built-in id when known. An ABAC condition may narrow an
assignment; it is kept, and said, in the evidence (conditions are not evaluated).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cspm.resources.azure.authorization import (
    CONTRIBUTOR,
    MANAGEMENT_GROUP,
    OWNER,
    ROOT,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    STORAGE_BLOB_DATA_OWNER,
    SUBSCRIPTION_OR_BROADER,
    RbacPrincipal,
    RoleAssignment,
)
from cspm.resources.azure.storage import StorageAccount, StorageContainer

BLOB_WRITE = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"
LIST_KEYS = "Microsoft.Storage/storageAccounts/listKeys/action"
_DATA_WRITERS = frozenset({STORAGE_BLOB_DATA_OWNER, STORAGE_BLOB_DATA_CONTRIBUTOR})
_KEY_READERS = frozenset({OWNER, CONTRIBUTOR, "17d1049b-9a84-46fb-8f53-869881c3d3ab"})  # + Storage Account Contributor


@dataclass(frozen=True)
class Writer:
    principal_id: str
    principal_type: str
    role: str
    scope: str
    scope_level: str
    via: str  # "data role" | "account keys"
    conditional: bool

    @property
    def broad(self) -> bool:
        """Assigned at the subscription or above: every container there, present and future."""
        return self.scope_level in SUBSCRIPTION_OR_BROADER

    def as_dict(self) -> dict[str, object]:
        return {
            "principal_id": self.principal_id,
            "principal_type": self.principal_type,
            "role": self.role,
            "scope": self.scope,
            "scope_level": self.scope_level,
            "via": self.via,
            "conditional": self.conditional,
        }


def covers(assignment: RoleAssignment, resource_id: str) -> bool:
    """The assignment's scope contains ``resource_id`` (the subscription's listing holds only
    assignments at or above its resources, so root and management-group scopes do)."""
    if assignment.scope_level in (ROOT, MANAGEMENT_GROUP):
        return True
    scope = assignment.scope.rstrip("/").lower()
    target = resource_id.lower()
    return target == scope or target.startswith(scope + "/")


def _via(assignment: RoleAssignment, keys_work: bool) -> str | None:
    role = assignment.role
    if (role is not None and role.grants_data(BLOB_WRITE)) or (
        role is None and assignment.role_definition_id in _DATA_WRITERS
    ):
        return "data role"
    if keys_work and (
        (role is not None and role.grants(LIST_KEYS))
        or (role is None and assignment.role_definition_id in _KEY_READERS)
    ):
        return "account keys"
    return None


def container_writers(
    container: StorageContainer, account: StorageAccount | None, principals: Sequence[RbacPrincipal]
) -> list[Writer]:
    """Every (principal, assignment) that lets the principal write the container's blobs."""
    keys_work = account is None or account.allow_shared_key_access
    writers = []
    for principal in principals:
        for assignment in principal.assignments:
            if not covers(assignment, container.uid):
                continue
            via = _via(assignment, keys_work)
            if via is not None:
                writers.append(
                    Writer(
                        principal_id=principal.principal_id,
                        principal_type=principal.principal_type,
                        role=assignment.role_name,
                        scope=assignment.scope,
                        scope_level=assignment.scope_level,
                        via=via,
                        conditional=assignment.condition is not None,
                    )
                )
    return sorted(writers, key=lambda w: (w.principal_id, w.scope, w.role))


def anonymous_access(container: StorageContainer) -> str | None:
    """The anonymous access level in effect (``Blob`` / ``Container``), or None."""
    level = container.public_access
    if level.lower() == "none" or not container.account_allows_public_access:
        return None
    return level
