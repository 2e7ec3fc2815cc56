"""Azure Storage snapshots: storage accounts (with their blob service settings) and blob containers.

The account properties come from one listing, so each is either known or the whole account is
missing. ARM omits a property that was never set; the collector maps the omission to the
service's documented default (never simply to ``False``), noted on each field below. Only
``blob_service`` comes from a second call and is ``None`` when that call failed.
"""

from __future__ import annotations

from typing import ClassVar

from cspm.resources.azure.network import PrivateEndpointConnection
from cspm.resources.base import Resource, Snapshot

# Account kinds without a blob service: blob-level checks do not apply to them.
NO_BLOB_SERVICE_KINDS = frozenset({"FileStorage"})


class NetworkRules(Snapshot):
    """``properties.networkAcls``. Not set = every network allowed, trusted services bypass."""

    default_action: str  # Allow | Deny
    bypass: tuple[str, ...]  # of AzureServices, Logging, Metrics; () = None
    ip_rule_count: int = 0
    virtual_network_rule_count: int = 0


class DeleteRetention(Snapshot):
    """A soft-delete policy. Not set = disabled."""

    enabled: bool
    days: int | None = None


class BlobServiceSettings(Snapshot):
    """``blobServices/default`` properties."""

    blob_soft_delete: DeleteRetention  # deleteRetentionPolicy
    container_soft_delete: DeleteRetention  # containerDeleteRetentionPolicy
    versioning_enabled: bool  # isVersioningEnabled; not set = false


class StorageAccount(Resource):
    """One storage account. ``account`` is the subscription id, ``region`` the location."""

    resource_type: ClassVar[str] = "azure.storage.account"

    resource_group: str
    kind: str | None = None  # StorageV2 | BlobStorage | BlockBlobStorage | FileStorage | Storage
    sku: str | None = None  # Standard_LRS, Standard_GRS, ...
    hierarchical_namespace: bool = False  # isHnsEnabled (Data Lake Storage); not set = false
    # allowBlobPublicAccess; not set = allowed (accounts created before Nov 2023 permit anonymous
    # access when the property is null; CIS treats null as non-compliant).
    allow_blob_public_access: bool
    allow_shared_key_access: bool  # allowSharedKeyAccess; not set = true (documented)
    # allowCrossTenantReplication; not set = allowed (the default for accounts created before Dec 2023).
    allow_cross_tenant_replication: bool
    https_only: bool  # supportsHttpsTrafficOnly; not set = true (default since API 2019-04-01)
    minimum_tls_version: str  # TLS1_0 | TLS1_1 | TLS1_2 | TLS1_3; not set = TLS1_0 (documented)
    # Enabled | Disabled | SecuredByPerimeter; not set = Enabled. Disabled blocks the public endpoint
    # for every network, whatever networkAcls says (docs/check-audit.md, azure.storage).
    public_network_access: str
    network_rules: NetworkRules
    private_endpoint_connections: tuple[PrivateEndpointConnection, ...] = ()
    key_source: str  # encryption.keySource: Microsoft.Storage | Microsoft.Keyvault; not set = Microsoft.Storage
    key_vault_key: str | None = None  # encryption.keyvaultproperties.keyname when key_source is Microsoft.Keyvault
    infrastructure_encryption: bool  # encryption.requireInfrastructureEncryption; not set = false
    sas_expiration_seconds: int | None = None  # sasPolicy.sasExpirationPeriod; None = no SAS expiration policy
    sas_expiration_action: str | None = None  # sasPolicy.expirationAction: Log | Block
    key_expiration_days: int | None = None  # keyPolicy.keyExpirationPeriodInDays; None = no key policy
    default_to_oauth: bool  # defaultToOAuthAuthentication; not set = false (documented)
    blob_service: BlobServiceSettings | None = None  # None: could not be read (or the kind has no blob service)

    @property
    def has_blob_service(self) -> bool:
        return self.kind not in NO_BLOB_SERVICE_KINDS


class StorageContainer(Resource):
    """One blob container. ``uid`` is its ARM id; ``region`` the location of its account."""

    resource_type: ClassVar[str] = "azure.storage.container"

    storage_account: str  # the account name
    storage_account_id: str
    public_access: str  # None | Blob | Container; not set = None (private)
    # The account's effective allowBlobPublicAccess: when false, a container's public level has no effect.
    account_allows_public_access: bool
