"""Managed identities of Azure resources, shared by the snapshots that carry one."""

from __future__ import annotations

from cspm.resources.base import Snapshot


class ManagedIdentity(Snapshot):
    """``identity`` of an ARM resource. Not set = ``None`` type (no managed identity)."""

    type: str  # None | SystemAssigned | UserAssigned | "SystemAssigned, UserAssigned"
    principal_id: str | None = None  # the system-assigned identity's object id
    user_assigned: tuple[str, ...] = ()  # resource ids of the user-assigned identities
    user_assigned_principals: tuple[str, ...] = ()  # their principal (object) ids, when ARM gives them

    @property
    def enabled(self) -> bool:
        return self.type.replace(" ", "").lower() not in ("", "none")

    @property
    def principal_ids(self) -> tuple[str, ...]:
        first = (self.principal_id,) if self.principal_id else ()
        return first + self.user_assigned_principals


NO_IDENTITY = ManagedIdentity(type="None")
