"""The Azure Storage collector through the SDK's real pipeline against the fake ARM (``responses``)."""

from __future__ import annotations

from cspm.providers.azure.storage import timespan_seconds
from cspm.resources.azure.storage import StorageAccount, StorageContainer
from support.aws import one
from support.azure import (
    SUB,
    SUB2,
    FakeArm,
    blob_service,
    collect_azure,
    container,
    hardened_account,
    storage_account,
)


def test_accounts_snapshot_every_setting_across_pages() -> None:
    fake = FakeArm(page_size=1)
    fake.add_account(
        hardened_account("hardened"),
        blob=blob_service("hardened", blob_days=14),
        containers=[container("hardened", "datasets")],
    )
    fake.add_account(
        storage_account("bare"),  # no property set: every documented default applies
        blob=blob_service("bare", blob_days=None, container_days=None, versioning=None),
        containers=[container("bare", "public-models", "Container"), container("bare", "unset", None)],
    )

    inventory, provider = collect_azure(fake, StorageAccount, StorageContainer)

    assert not inventory.errors and not fake.violations
    hardened = one(inventory, StorageAccount, "hardened")
    assert hardened.account == SUB and hardened.region == "westeurope" and hardened.resource_group == "ml-rg"
    assert hardened.uid.endswith("/storageAccounts/hardened") and hardened.tags == {"team": "ml"}
    assert (hardened.kind, hardened.sku) == ("StorageV2", "Standard_LRS")
    assert not hardened.allow_blob_public_access and not hardened.allow_shared_key_access
    assert not hardened.allow_cross_tenant_replication and hardened.default_to_oauth
    assert hardened.https_only and hardened.minimum_tls_version == "TLS1_2"
    assert hardened.public_network_access == "Disabled"
    assert hardened.network_rules.default_action == "Deny" and hardened.network_rules.bypass == ("AzureServices",)
    assert [(c.name, c.status) for c in hardened.private_endpoint_connections] == [("pe-data", "Approved")]
    assert hardened.key_source == "Microsoft.Keyvault" and hardened.key_vault_key == "ml-key"
    assert hardened.infrastructure_encryption
    assert (hardened.sas_expiration_seconds, hardened.sas_expiration_action) == (3600, "Block")
    assert hardened.key_expiration_days == 60
    assert hardened.blob_service is not None
    assert hardened.blob_service.blob_soft_delete.days == 14 and hardened.blob_service.container_soft_delete.enabled
    assert hardened.blob_service.versioning_enabled

    bare = one(inventory, StorageAccount, "bare")
    assert bare.allow_blob_public_access, "unset allowBlobPublicAccess must count as allowed"
    assert bare.allow_shared_key_access and bare.allow_cross_tenant_replication
    assert not bare.hierarchical_namespace, "isHnsEnabled not set: no hierarchical namespace"
    assert bare.https_only, "supportsHttpsTrafficOnly defaults to true"
    assert bare.minimum_tls_version == "TLS1_0" and bare.public_network_access == "Enabled"
    assert bare.network_rules.default_action == "Allow" and bare.network_rules.bypass == ("AzureServices",)
    assert bare.key_source == "Microsoft.Storage" and bare.key_vault_key is None and not bare.infrastructure_encryption
    assert bare.sas_expiration_seconds is None and bare.key_expiration_days is None and not bare.default_to_oauth
    assert bare.blob_service is not None and not bare.blob_service.blob_soft_delete.enabled
    assert not bare.blob_service.versioning_enabled

    containers = {c.name: c for c in inventory.of_type(StorageContainer)}
    assert (
        containers["public-models"].public_access == "Container"
        and containers["public-models"].account_allows_public_access
    )
    assert containers["unset"].public_access == "None"
    assert (
        containers["datasets"].storage_account == "hardened" and not containers["datasets"].account_allows_public_access
    )
    assert containers["datasets"].uid.endswith("/blobServices/default/containers/datasets")
    assert provider.scopes()[0].regions == ["westeurope"]


def test_requests_per_account() -> None:
    """One listing for the subscription, then the blob service and the containers per account."""
    fake = FakeArm()
    for name in ("a1", "a2", "a3"):
        fake.add_account(hardened_account(name), blob=blob_service(name), containers=[container(name, "c")])
    collect_azure(fake, StorageAccount, StorageContainer)
    paths = [p for _, p in fake.requests]
    assert len(paths) == 1 + 3 * 2
    assert sum(p.endswith("/storageAccounts") for p in paths) == 1


def test_file_storage_accounts_have_no_blob_calls() -> None:
    fake = FakeArm()
    fake.add_account(storage_account("files", kind="FileStorage"))
    inventory, _ = collect_azure(fake, StorageAccount, StorageContainer)
    files = one(inventory, StorageAccount, "files")
    assert files.blob_service is None and not files.has_blob_service
    assert not inventory.errors and len(fake.requests) == 1


def test_denied_blob_service_is_none_and_recorded() -> None:
    fake = FakeArm()
    fake.add_account(hardened_account("locked"), blob=blob_service("locked"), containers=[container("locked", "c")])
    fake.deny(
        f"/subscriptions/{SUB}/resourceGroups/ml-rg/providers/Microsoft.Storage/storageAccounts/locked/blobServices/default"
    )
    inventory, _ = collect_azure(fake, StorageAccount, StorageContainer)

    assert one(inventory, StorageAccount, "locked").blob_service is None
    ops = {(e.operation, e.code) for e in inventory.errors}
    assert ("BlobServices_GetServiceProperties", "AuthorizationFailed") in ops
    assert ("BlobContainers_List", "AuthorizationFailed") in ops
    # The containers listing failed: containers are incomplete in the subscription; accounts are not.
    assert inventory.incomplete_reason(StorageContainer, SUB) is not None
    assert inventory.incomplete_reason(StorageAccount, SUB) is None


def test_unreadable_subscription_is_recorded_and_the_others_are_scanned() -> None:
    fake = FakeArm()
    fake.add_account(hardened_account("readable"), blob=blob_service("readable"))
    fake.add_account(storage_account("hidden", sub=SUB2))
    fake.deny(f"/subscriptions/{SUB2}")
    inventory, provider = collect_azure(fake, StorageAccount, StorageContainer, subscriptions=(SUB, SUB2))

    assert [a.name for a in inventory.of_type(StorageAccount)] == ["readable"]
    [error] = inventory.errors
    assert (error.account, error.service, error.operation, error.code) == (
        SUB2,
        "storage",
        "StorageAccounts_List",
        "AuthorizationFailed",
    )
    assert inventory.incomplete_reason(StorageAccount, SUB2) and inventory.incomplete_reason(StorageContainer, SUB2)
    assert not inventory.complete
    assert [s.regions for s in provider.scopes()] == [["westeurope"], ["global"]]


def test_unregistered_provider_means_no_accounts_and_nothing_is_registered() -> None:
    fake = FakeArm()
    fake.unregistered.add((SUB, "Microsoft.Storage"))
    inventory, _ = collect_azure(fake, StorageAccount, StorageContainer)
    assert not inventory.of_type(StorageAccount) and not inventory.errors
    assert not fake.violations, "the SDK's automatic registration (a POST) must be refused before it is sent"


def test_sas_expiration_period_parsing() -> None:
    assert timespan_seconds("0.01:00:00") == 3600
    assert timespan_seconds("1.00:00:00") == 86400
    assert timespan_seconds("00:30:00") == 1800
    assert timespan_seconds("7.12:00:05") == 7 * 86400 + 12 * 3600 + 5
    assert timespan_seconds(None) is None
    assert timespan_seconds("P1D") is None


# The 200 response of Microsoft's example StorageAccountCreateDisallowPublicNetworkAccess
# (azure-rest-api-specs, specification/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/
# examples/StorageAccountCreateDisallowPublicNetworkAccess.json), endpoints trimmed, with this
# test's subscription in the id. It carries publicNetworkAccess Disabled and no networkAcls at all,
# so the firewall's default action is the documented default, Allow.
DOCUMENTED_PUBLIC_ACCESS_DISABLED = {
    "id": f"/subscriptions/{SUB}/resourceGroups/res9101/providers/Microsoft.Storage/storageAccounts/sto4445",
    "kind": "Storage",
    "location": "eastus",
    "name": "sto4445",
    "extendedLocation": {"type": "EdgeZone", "name": "losangeles001"},
    "properties": {
        "keyPolicy": {"keyExpirationPeriodInDays": 20},
        "sasPolicy": {"sasExpirationPeriod": "1.15:59:59", "expirationAction": "Log"},
        "keyCreationTime": {"key1": "2021-03-18T04:42:22.4322836Z", "key2": "2021-03-18T04:42:22.4322836Z"},
        "isHnsEnabled": True,
        "allowBlobPublicAccess": False,
        "minimumTlsVersion": "TLS1_2",
        "allowSharedKeyAccess": True,
        "creationTime": "2017-05-24T13:25:33.4863236Z",
        "primaryLocation": "eastus2euap",
        "provisioningState": "Succeeded",
        "routingPreference": {
            "routingChoice": "MicrosoftRouting",
            "publishMicrosoftEndpoints": True,
            "publishInternetEndpoints": True,
        },
        "encryption": {
            "services": {
                "file": {"keyType": "Account", "enabled": True, "lastEnabledTime": "2019-12-11T20:49:31.7036140Z"},
                "blob": {"keyType": "Account", "enabled": True, "lastEnabledTime": "2019-12-11T20:49:31.7036140Z"},
            },
            "requireInfrastructureEncryption": False,
            "keySource": "Microsoft.Storage",
        },
        "secondaryLocation": "centraluseuap",
        "statusOfPrimary": "available",
        "statusOfSecondary": "available",
        "supportsHttpsTrafficOnly": True,
        "publicNetworkAccess": "Disabled",
    },
    "sku": {"name": "Standard_GRS", "tier": "Standard"},
    "tags": {"key1": "value1", "key2": "value2"},
    "type": "Microsoft.Storage/storageAccounts",
}


def test_documented_account_with_public_access_disabled_denies_by_default() -> None:
    """Issue 19's arguable case, decided from the documentation: with public network access
    Disabled the public endpoint blocks traffic from all networks and the account is reached only
    through private endpoints (storage-network-security-set-default-access), so the firewall's
    default action (here the default, Allow) decides nothing."""
    from cspm.checks.azure import storage as checks
    from cspm.models import Status

    fake = FakeArm()
    fake.add_account(DOCUMENTED_PUBLIC_ACCESS_DISABLED, blob=blob_service("sto4445", rg="res9101"), containers=[])
    inventory, _ = collect_azure(fake, StorageAccount, StorageContainer)
    account = one(inventory, StorageAccount, "sto4445")

    assert account.public_network_access == "Disabled"
    assert account.network_rules.default_action == "Allow", "no networkAcls: the documented default"
    assert account.hierarchical_namespace and account.kind == "Storage"
    denies = checks.account_denies_network_access_by_default(account)
    assert denies.status is Status.PASS, denies.message
    assert denies.evidence == {"public_network_access": "Disabled", "default_action": "Allow"}
    assert checks.account_disables_public_network_access(account).status is Status.PASS
    # The same example's other documented settings.
    assert checks.account_blob_versioning_enabled(account).status is None, "no versioning with a hierarchical namespace"
    assert checks.account_uses_infrastructure_encryption(account).status is None, "kind Storage (v1)"
    sas = checks.account_has_sas_expiration_policy(account)
    assert sas.status is Status.FAIL and sas.evidence["expiration_action"] == "Log"
    assert checks.account_has_key_expiration_policy(account).status is Status.PASS
