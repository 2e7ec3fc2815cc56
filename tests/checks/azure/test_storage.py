"""Azure Storage checks: a table of (case, snapshot, expected status) per check.

Account properties come from one listing, so they are never individually unreadable: the
"unreadable" case of those checks is an account that could not be listed, for which the engine
answers ERROR (``test_unlisted_accounts_give_error_for_every_check``). Checks that read the blob
service (a second call) also get a ``blob_service=None`` case.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cspm.checks.azure import storage
from cspm.engine import Inventory, evaluate
from cspm.models import Status
from cspm.registry import load_checks
from cspm.resources.azure.network import PrivateEndpointConnection
from cspm.resources.azure.storage import (
    BlobServiceSettings,
    DeleteRetention,
    NetworkRules,
    StorageAccount,
    StorageContainer,
)

SUB = "00000000-0000-0000-0000-000000000001"
ACCOUNT_ID = f"/subscriptions/{SUB}/resourceGroups/ml-rg/providers/Microsoft.Storage/storageAccounts/mldata"
GOOD_BLOB = BlobServiceSettings(
    blob_soft_delete=DeleteRetention(enabled=True, days=7),
    container_soft_delete=DeleteRetention(enabled=True, days=7),
    versioning_enabled=True,
)


def account(**fields: Any) -> StorageAccount:
    """A hardened, fully readable account; override fields per case."""
    base: dict[str, Any] = {
        "uid": ACCOUNT_ID,
        "name": "mldata",
        "account": SUB,
        "region": "westeurope",
        "resource_group": "ml-rg",
        "kind": "StorageV2",
        "sku": "Standard_GRS",
        "allow_blob_public_access": False,
        "allow_shared_key_access": False,
        "allow_cross_tenant_replication": False,
        "https_only": True,
        "minimum_tls_version": "TLS1_2",
        "public_network_access": "Disabled",
        "network_rules": NetworkRules(default_action="Deny", bypass=("AzureServices",)),
        "private_endpoint_connections": (PrivateEndpointConnection(name="pe-1", status="Approved"),),
        "key_source": "Microsoft.Keyvault",
        "key_vault_key": "ml-key",
        "infrastructure_encryption": True,
        "sas_expiration_seconds": 3600,
        "sas_expiration_action": "Block",
        "key_expiration_days": 60,
        "default_to_oauth": True,
        "blob_service": GOOD_BLOB,
    }
    base.update(fields)
    return StorageAccount(**base)


def container(public_access: str, account_allows: bool) -> StorageContainer:
    return StorageContainer(
        uid=f"{ACCOUNT_ID}/blobServices/default/containers/datasets",
        name="datasets",
        account=SUB,
        region="westeurope",
        storage_account="mldata",
        storage_account_id=ACCOUNT_ID,
        public_access=public_access,
        account_allows_public_access=account_allows,
    )


SHARED_KEY: dict[str, Any] = {"allow_shared_key_access": True}
PUBLIC: dict[str, Any] = {"public_network_access": "Enabled"}
ALLOW_ALL = NetworkRules(default_action="Allow", bypass=("AzureServices",))


def assert_status(check: Any, case: str, resource: Any, expected: Status | None) -> None:
    result = check(resource)
    assert result.status is expected, f"{case}: {result.message}"


@pytest.mark.parametrize(
    ("check", "case", "fields", "expected"),
    [
        (storage.account_disallows_anonymous_blob_access, "disallowed", {}, Status.PASS),
        (
            storage.account_disallows_anonymous_blob_access,
            "allowed or unset",
            {"allow_blob_public_access": True},
            Status.FAIL,
        ),
        (storage.account_disallows_shared_key_access, "disallowed", {}, Status.PASS),
        (storage.account_disallows_shared_key_access, "allowed", {"allow_shared_key_access": True}, Status.FAIL),
        (storage.account_disallows_cross_tenant_replication, "disallowed", {}, Status.PASS),
        (
            storage.account_disallows_cross_tenant_replication,
            "allowed",
            {"allow_cross_tenant_replication": True},
            Status.FAIL,
        ),
        (storage.account_defaults_to_entra_authorization, "on", {}, Status.PASS),
        (storage.account_defaults_to_entra_authorization, "off", {"default_to_oauth": False}, Status.FAIL),
        (storage.account_has_key_expiration_policy, "60 days", {}, Status.PASS),
        (storage.account_has_key_expiration_policy, "90 days", {"key_expiration_days": 90}, Status.PASS),
        (storage.account_has_key_expiration_policy, "365 days", {"key_expiration_days": 365}, Status.FAIL),
        (storage.account_has_key_expiration_policy, "no policy", {"key_expiration_days": None}, Status.FAIL),
        (storage.account_requires_secure_transfer, "https only", {}, Status.PASS),
        (storage.account_requires_secure_transfer, "http allowed", {"https_only": False}, Status.FAIL),
        (storage.account_requires_tls_1_2, "TLS1_2", {}, Status.PASS),
        (storage.account_requires_tls_1_2, "TLS1_3", {"minimum_tls_version": "TLS1_3"}, Status.PASS),
        (storage.account_requires_tls_1_2, "TLS1_0 (unset)", {"minimum_tls_version": "TLS1_0"}, Status.FAIL),
        (storage.account_requires_tls_1_2, "TLS1_1", {"minimum_tls_version": "TLS1_1"}, Status.FAIL),
        (storage.account_uses_infrastructure_encryption, "on", {}, Status.PASS),
        (storage.account_uses_infrastructure_encryption, "off", {"infrastructure_encryption": False}, Status.FAIL),
        (
            storage.account_uses_infrastructure_encryption,
            "general-purpose v1 cannot have it",
            {"kind": "Storage", "infrastructure_encryption": False},
            None,
        ),
        (
            storage.account_uses_infrastructure_encryption,
            "premium block blob, off",
            {"kind": "BlockBlobStorage", "infrastructure_encryption": False},
            Status.FAIL,
        ),
        (storage.account_encrypted_with_cmk, "key vault", {}, Status.PASS),
        (
            storage.account_encrypted_with_cmk,
            "key vault, other casing",
            {"key_source": "microsoft.keyvault"},
            Status.PASS,
        ),
        (storage.account_encrypted_with_cmk, "platform keys", {"key_source": "Microsoft.Storage"}, Status.FAIL),
        (storage.account_has_sas_expiration_policy, "1 hour, Block", SHARED_KEY, Status.PASS),
        (
            storage.account_has_sas_expiration_policy,
            "1 hour, Log only",
            {**SHARED_KEY, "sas_expiration_action": "Log"},
            Status.FAIL,
        ),
        (
            storage.account_has_sas_expiration_policy,
            "1 day",
            {**SHARED_KEY, "sas_expiration_seconds": 86400},
            Status.FAIL,
        ),
        (
            storage.account_has_sas_expiration_policy,
            "no policy",
            {**SHARED_KEY, "sas_expiration_seconds": None},
            Status.FAIL,
        ),
        (storage.account_has_sas_expiration_policy, "Shared Key disallowed", {}, None),
        (storage.account_disables_public_network_access, "disabled", {}, Status.PASS),
        (storage.account_disables_public_network_access, "enabled", {"public_network_access": "Enabled"}, Status.FAIL),
        (
            storage.account_disables_public_network_access,
            "perimeter",
            {"public_network_access": "SecuredByPerimeter"},
            Status.FAIL,
        ),
        (storage.account_denies_network_access_by_default, "public enabled, deny", PUBLIC, Status.PASS),
        (
            storage.account_denies_network_access_by_default,
            "public enabled, allow",
            {**PUBLIC, "network_rules": ALLOW_ALL},
            Status.FAIL,
        ),
        (
            storage.account_denies_network_access_by_default,
            "public disabled, allow: the public endpoint blocks every network",
            {"network_rules": ALLOW_ALL},
            Status.PASS,
        ),
        (
            storage.account_denies_network_access_by_default,
            "secured by perimeter, allow",
            {"public_network_access": "SecuredByPerimeter", "network_rules": ALLOW_ALL},
            Status.FAIL,
        ),
        (storage.account_allows_trusted_azure_services, "bypass", {}, Status.PASS),
        (
            storage.account_allows_trusted_azure_services,
            "no bypass",
            {"network_rules": NetworkRules(default_action="Deny", bypass=("Logging",))},
            Status.FAIL,
        ),
        (
            storage.account_allows_trusted_azure_services,
            "every network allowed: the exception has no effect",
            {**PUBLIC, "network_rules": NetworkRules(default_action="Allow", bypass=())},
            None,
        ),
        (storage.account_uses_private_endpoint, "approved", {}, Status.PASS),
        (
            storage.account_uses_private_endpoint,
            "approved, lower case",
            {"private_endpoint_connections": (PrivateEndpointConnection(name="pe", status="approved"),)},
            Status.PASS,
        ),
        (
            storage.account_uses_private_endpoint,
            "pending only",
            {"private_endpoint_connections": (PrivateEndpointConnection(name="pe", status="Pending"),)},
            Status.FAIL,
        ),
        (storage.account_uses_private_endpoint, "none", {"private_endpoint_connections": ()}, Status.FAIL),
    ],
)
def test_account_property_checks(check: Any, case: str, fields: dict[str, Any], expected: Status | None) -> None:
    assert_status(check, case, account(**fields), expected)


NO_SOFT_DELETE = BlobServiceSettings(
    blob_soft_delete=DeleteRetention(enabled=False),
    container_soft_delete=DeleteRetention(enabled=False),
    versioning_enabled=False,
)


@pytest.mark.parametrize(
    "check",
    [
        storage.account_blob_soft_delete_enabled,
        storage.account_container_soft_delete_enabled,
        storage.account_blob_versioning_enabled,
    ],
)
@pytest.mark.parametrize(
    ("case", "fields", "expected"),
    [
        ("enabled", {}, Status.PASS),
        ("disabled", {"blob_service": NO_SOFT_DELETE}, Status.FAIL),
        ("blob service unreadable", {"blob_service": None}, Status.ERROR),
        ("FileStorage account", {"kind": "FileStorage", "blob_service": None}, None),
    ],
)
def test_blob_service_checks(check: Any, case: str, fields: dict[str, Any], expected: Status | None) -> None:
    assert_status(check, case, account(**fields), expected)


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (storage.account_blob_versioning_enabled, None),  # not available with a hierarchical namespace
        (storage.account_blob_soft_delete_enabled, Status.FAIL),  # still protects deletes there
        (storage.account_container_soft_delete_enabled, Status.FAIL),
    ],
)
def test_hierarchical_namespace_accounts(check: Any, expected: Status | None) -> None:
    assert_status(
        check, "hierarchical namespace", account(hierarchical_namespace=True, blob_service=NO_SOFT_DELETE), expected
    )


def test_soft_delete_evidence_names_the_retention() -> None:
    result = storage.account_blob_soft_delete_enabled(account())
    assert result.evidence == {"days": 7}


@pytest.mark.parametrize(
    ("case", "c", "expected"),
    [
        ("private", container("None", True), Status.PASS),
        ("blob level, account allows", container("Blob", True), Status.FAIL),
        ("container level, account allows", container("Container", True), Status.FAIL),
        ("container level, account disallows", container("Container", False), Status.PASS),
    ],
)
def test_container_is_not_public(case: str, c: StorageContainer, expected: Status) -> None:
    result = storage.container_is_not_public(c)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert result.evidence["public_access"] == c.public_access


def test_failures_carry_evidence() -> None:
    assert storage.account_requires_tls_1_2(account(minimum_tls_version="TLS1_0")).evidence == {
        "minimum_tls_version": "TLS1_0"
    }
    pending = account(private_endpoint_connections=(PrivateEndpointConnection(name="pe", status="Pending"),))
    assert storage.account_uses_private_endpoint(pending).evidence == {"connections": {"pe": "Pending"}}


def test_unlisted_accounts_give_error_for_every_check() -> None:
    """The unreadable case of every storage check: the accounts (or containers) could not be listed."""
    specs = [s for s in load_checks(["azure"]) if s.service == "storage"]
    inventory = Inventory()
    for rtype in (StorageAccount, StorageContainer):
        inventory.mark_incomplete(rtype, SUB, "global", "StorageAccounts_List failed: AuthorizationFailed")
    findings = evaluate(specs, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    assert {f.check_id for f in findings} == {s.id for s in specs}
    assert {f.status for f in findings} == {Status.ERROR}
