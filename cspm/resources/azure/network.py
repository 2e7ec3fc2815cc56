"""Network pieces shared by Azure snapshots."""

from __future__ import annotations

from cspm.resources.base import Snapshot


class PrivateEndpointConnection(Snapshot):
    """One private endpoint connection of a resource (``privateEndpointConnections[]``)."""

    name: str
    status: str  # privateLinkServiceConnectionState.status: Approved | Pending | Rejected | Disconnected

    @property
    def approved(self) -> bool:
        return self.status.lower() == "approved"


def approved_connections(connections: tuple[PrivateEndpointConnection, ...]) -> list[str]:
    """Names of the approved connections (Azure compares the status case-insensitively)."""
    return [c.name for c in connections if c.approved]
