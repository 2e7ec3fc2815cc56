"""ARM JSON shapes several Azure resource types share: managed identities, private endpoint
connections, diagnostic settings (pure translations to snapshots)."""

from __future__ import annotations

from typing import Any

from cspm.resources.azure.identity import ManagedIdentity
from cspm.resources.azure.monitor import DiagnosticSetting
from cspm.resources.azure.network import PrivateEndpointConnection

DIAGNOSTICS_API_VERSION = "2021-05-01-preview"


def identity_from_arm(raw: dict[str, Any] | None) -> ManagedIdentity:
    """``identity`` of a tracked resource; not set = no managed identity."""
    if not raw:
        return ManagedIdentity(type="None")
    assigned: dict[str, Any] = raw.get("userAssignedIdentities") or {}
    return ManagedIdentity(
        type=str(raw.get("type") or "None"),
        principal_id=raw.get("principalId"),
        user_assigned=tuple(sorted(assigned)),
        user_assigned_principals=tuple(
            str(v["principalId"]) for _, v in sorted(assigned.items()) if isinstance(v, dict) and v.get("principalId")
        ),
    )


def private_endpoint_from_arm(raw: dict[str, Any]) -> PrivateEndpointConnection:
    state = (raw.get("properties") or {}).get("privateLinkServiceConnectionState") or {}
    # Key Vault lists its connections without a name: the id's last segment is the name
    name = raw.get("name") or str(raw.get("id") or "").rsplit("/", 1)[-1]
    return PrivateEndpointConnection(name=name, status=state.get("status") or "Unknown")


def diagnostic_setting_from_arm(raw: dict[str, Any]) -> DiagnosticSetting:
    props: dict[str, Any] = raw.get("properties") or {}
    logs = [entry for entry in props.get("logs") or () if isinstance(entry, dict) and entry.get("enabled") is True]
    destinations = {
        "workspace": props.get("workspaceId"),
        "storage": props.get("storageAccountId"),
        "event_hub": props.get("eventHubAuthorizationRuleId"),
        "partner": props.get("marketplacePartnerId"),
    }
    return DiagnosticSetting(
        name=raw.get("name", ""),
        categories=tuple(str(e["category"]) for e in logs if e.get("category")),
        category_groups=tuple(str(e["categoryGroup"]) for e in logs if e.get("categoryGroup")),
        destinations=tuple(kind for kind, target in destinations.items() if target),
    )


def diagnostic_settings_path(resource_id: str) -> str:
    """Where ``DiagnosticSettings_List`` lists a resource's settings (Microsoft.Insights)."""
    return f"{resource_id}/providers/Microsoft.Insights/diagnosticSettings"
