"""The Key Vault collector through azure-core's real ARM pipeline against the fake ARM (``responses``)."""

from __future__ import annotations

from cspm.resources.azure.keyvault import KeyVault
from support.aws import one
from support.azure import SUB, FakeArm, collect_azure, key_vault


def test_vaults_snapshot_every_setting_in_one_request_per_page() -> None:
    fake = FakeArm(page_size=1)
    fake.add_key_vault(key_vault("secure"))
    fake.add_key_vault(key_vault("legacy", hardened=False, connections=(("pe-new", "Pending"),)))
    inventory, provider = collect_azure(fake, KeyVault)

    assert not inventory.errors and not fake.violations
    assert len(fake.requests) == 2  # one per page, nothing per vault
    secure = one(inventory, KeyVault, "secure")
    assert secure.vault_uri == "https://secure.vault.azure.net/" and secure.public_network_access == "Disabled"
    assert secure.network_default_action == "Deny" and secure.soft_delete and secure.purge_protection
    assert secure.rbac_authorization
    assert [(c.name, c.status) for c in secure.private_endpoint_connections] == [("pe-kv", "Approved")]
    legacy = one(inventory, KeyVault, "legacy")  # nothing set: documented defaults
    assert legacy.public_network_access == "Enabled" and legacy.network_default_action == "Allow"
    assert not legacy.soft_delete and not legacy.purge_protection and not legacy.rbac_authorization
    assert [(c.name, c.status) for c in legacy.private_endpoint_connections] == [("pe-new", "Pending")]
    assert provider.scopes()[0].regions == ["eastus"]


def test_denied_vault_listing_marks_vaults_incomplete() -> None:
    fake = FakeArm()
    fake.add_key_vault(key_vault("kv"))
    fake.deny(f"/subscriptions/{SUB}/providers/Microsoft.KeyVault")
    inventory, _ = collect_azure(fake, KeyVault)
    assert not inventory.of_type(KeyVault) and inventory.incomplete_reason(KeyVault, SUB) is not None
    assert [(e.operation, e.code) for e in inventory.errors] == [("Vaults_ListBySubscription", "AuthorizationFailed")]


def test_subscription_without_key_vault_has_no_vaults() -> None:
    fake = FakeArm()
    fake.unregistered.add((SUB, "Microsoft.KeyVault"))
    inventory, _ = collect_azure(fake, KeyVault)
    assert not inventory.of_type(KeyVault) and not inventory.errors and not fake.violations
