"""Key Vault checks: a table of (case, snapshot, expected status). Every property comes from the
vault listing; a failed listing is ERROR through the engine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cspm.checks.azure import keyvault as kv
from cspm.engine import Inventory, evaluate
from cspm.models import Status
from cspm.registry import load_checks
from cspm.resources.azure.keyvault import KeyVault
from cspm.resources.azure.network import PrivateEndpointConnection

SUB = "00000000-0000-0000-0000-000000000001"


def vault(**fields: Any) -> KeyVault:
    base: dict[str, Any] = {
        "uid": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
        "name": "kv",
        "account": SUB,
        "resource_group": "rg",
        "public_network_access": "Disabled",
        "network_default_action": "Deny",
        "private_endpoint_connections": (PrivateEndpointConnection(name="pe", status="Approved"),),
        "soft_delete": True,
        "purge_protection": True,
        "rbac_authorization": True,
    }
    base.update(fields)
    return KeyVault(**base)


def pec(status: str) -> tuple[PrivateEndpointConnection, ...]:
    return (PrivateEndpointConnection(name="pe", status=status),)


@pytest.mark.parametrize(
    ("check", "case", "fields", "expected"),
    [
        (kv.vault_disables_public_network_access, "disabled", {}, Status.PASS),
        (
            kv.vault_disables_public_network_access,
            "enabled (or unset)",
            {"public_network_access": "Enabled"},
            Status.FAIL,
        ),
        (kv.vault_uses_private_endpoint, "approved", {}, Status.PASS),
        (kv.vault_uses_private_endpoint, "pending", {"private_endpoint_connections": pec("Pending")}, Status.FAIL),
        (kv.vault_uses_private_endpoint, "rejected", {"private_endpoint_connections": pec("Rejected")}, Status.FAIL),
        (kv.vault_uses_private_endpoint, "none", {"private_endpoint_connections": ()}, Status.FAIL),
        (kv.vault_is_recoverable, "both on", {}, Status.PASS),
        (kv.vault_is_recoverable, "no purge protection", {"purge_protection": False}, Status.FAIL),
        (kv.vault_is_recoverable, "no soft delete (or unset)", {"soft_delete": False}, Status.FAIL),
    ],
)
def test_vault_checks(check: Any, case: str, fields: dict[str, Any], expected: Status) -> None:
    result = check(vault(**fields))
    assert result.status is expected, f"{case}: {result.message}"


def test_unlisted_vaults_give_error_for_every_check() -> None:
    specs = [s for s in load_checks(["azure"]) if s.service == "keyvault"]
    inventory = Inventory()
    inventory.mark_incomplete(KeyVault, SUB, "global", "Vaults_ListBySubscription failed: AuthorizationFailed")
    findings = evaluate(specs, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    assert {f.check_id for f in findings} == {s.id for s in specs}
    assert {f.status for f in findings} == {Status.ERROR}
