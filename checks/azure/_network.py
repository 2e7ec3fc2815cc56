"""Network verdicts shared by the Azure checks: approved private endpoint connections."""

from __future__ import annotations

from cspm.models import Result, failed, passed
from cspm.resources.azure.network import PrivateEndpointConnection, approved_connections


def private_endpoint_verdict(connections: tuple[PrivateEndpointConnection, ...]) -> Result:
    """PASS with at least one Approved connection (compared case-insensitively, as Azure Policy
    does); otherwise FAIL naming every connection and its state (Pending, Rejected, Disconnected)."""
    approved = approved_connections(connections)
    if approved:
        return passed(f"{len(approved)} approved private endpoint(s).", evidence={"approved": approved})
    states = {c.name: c.status for c in connections}
    return failed("No approved private endpoint connection.", evidence={"connections": states})
