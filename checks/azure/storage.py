"""Azure Storage checks: anonymous and key-based access, transport and at-rest encryption,
network isolation, and recoverability of storage accounts and blob containers.

CIS ids: ``cis-azure-5.0`` (section 9, identical in v6.0) and ``cis-azure-3.0`` (section 4).
"""

from __future__ import annotations

from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.azure.network import approved_connections
from cspm.resources.azure.storage import StorageAccount, StorageContainer

SECURE_TLS_VERSIONS = ("TLS1_2", "TLS1_3")
MAX_SAS_SECONDS = 3600  # CIS Azure 3.0 4.5: SAS tokens expire within an hour
MAX_KEY_EXPIRATION_DAYS = 90  # CIS Azure 5.0 9.3.1.1 / 9.3.1.2: keys rotated every 90 days
# Account kinds that can be created with infrastructure encryption ("general-purpose v2 or
# premium block blob", INFRASTRUCTURE_ENCRYPTION).
INFRASTRUCTURE_ENCRYPTION_KINDS = frozenset({"StorageV2", "BlockBlobStorage"})

# Vendor documentation the rationales rest on (docs/check-audit.md, section azure.storage).
_LEARN = "https://learn.microsoft.com/en-us/azure/storage"
_POLICY = "https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Storage"
ANONYMOUS_ACCESS = f"{_LEARN}/blobs/anonymous-read-access-prevent"
POLICY_DISALLOW_PUBLIC_BLOB = f"{_POLICY}/ASC_Storage_DisallowPublicBlobAccess_Audit.json"
NEW_ACCOUNT_DEFAULTS_2023 = "https://github.com/Azure/azure-cli/issues/27014"
SHARED_KEY = f"{_LEARN}/common/shared-key-authorization-prevent"
CROSS_TENANT_REPLICATION = f"{_LEARN}/blobs/object-replication-prevent-cross-tenant-policies"
PORTAL_AUTHORIZATION = f"{_LEARN}/blobs/authorize-data-operations-portal"
ACCOUNT_KEYS = f"{_LEARN}/common/storage-account-keys-manage"
SECURE_TRANSFER = f"{_LEARN}/common/storage-require-secure-transfer"
MINIMUM_TLS = f"{_LEARN}/common/transport-layer-security-configure-minimum-version"
TLS_1_2_MIGRATION = f"{_LEARN}/common/transport-layer-security-configure-migrate-to-tls2"
INFRASTRUCTURE_ENCRYPTION = f"{_LEARN}/common/infrastructure-encryption-enable"
CUSTOMER_MANAGED_KEYS = f"{_LEARN}/common/customer-managed-keys-overview"
SAS_EXPIRATION = f"{_LEARN}/common/sas-expiration-policy"
SAS_POLICY_API = "https://learn.microsoft.com/en-us/javascript/api/@azure/arm-storage/saspolicy"
DEFAULT_NETWORK_ACCESS = f"{_LEARN}/common/storage-network-security-set-default-access"
NETWORK_SECURITY = f"{_LEARN}/common/storage-network-security"
POLICY_DISABLE_PUBLIC_NETWORK = f"{_POLICY}/StoragePublicNetworkAccess_AuditDeny.json"
POLICY_RESTRICT_NETWORK = f"{_POLICY}/Storage_NetworkAcls_Audit.json"
BLOB_SOFT_DELETE = f"{_LEARN}/blobs/soft-delete-blob-overview"
SOFT_DELETE_VS_VERSIONING = "https://docs.azure.cn/en-us/storage/blobs/soft-delete-vs-versioning-options"

# ---------------------------------------------------------------------------------------------
# Least privilege: anonymous and key-based access
# ---------------------------------------------------------------------------------------------


@check(
    title="Storage account disallows anonymous blob access",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Set 'Allow Blob anonymous access' to Disabled on the account (allowBlobPublicAccess: false).",
    compliance={"cis-azure-5.0": ["9.3.8"], "cis-azure-3.0": ["4.17"], "nist-800-53-r5": ["AC-3", "AC-6"]},
    attack=["AML.T0010.002", "AML.T0035"],
    references=(ANONYMOUS_ACCESS, POLICY_DISALLOW_PUBLIC_BLOB, NEW_ACCOUNT_DEFAULTS_2023),
)
def account_disallows_anonymous_blob_access(account: StorageAccount) -> Result:
    """While the account allows anonymous access, a user who may change a container's access level
    can publish that container's blobs (training data, model artifacts) to anyone with the URL;
    with it disallowed, Azure Storage rejects every anonymous request to the account. The property
    may be unset: "the storage account permits public access when the property value is either
    null or true", and Azure Policy's audit fails anything but false. (New accounts have defaulted
    to false since the server change of August to December 2023.)"""
    if account.allow_blob_public_access:
        return failed(
            "The account allows anonymous blob access (allowBlobPublicAccess is true or not set).",
            evidence={"allow_blob_public_access": True},
        )
    return passed("Anonymous blob access is disallowed for the whole account.")


@check(
    title="Storage account disallows Shared Key authorization",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Set 'Allow storage account key access' to Disabled (allowSharedKeyAccess: false) "
    "after moving clients to Microsoft Entra ID.",
    compliance={"cis-azure-5.0": ["9.3.1.3"], "nist-800-53-r5": ["AC-2", "IA-2"]},
    attack=["AML.T0012"],
    references=(SHARED_KEY, ACCOUNT_KEYS),
)
def account_disallows_shared_key_access(account: StorageAccount) -> Result:
    """The two account keys authorize any request to the account's data, directly (Shared Key) or
    through SAS tokens signed with them. With Shared Key disallowed, Azure Storage rejects requests
    authorized with the account keys and only Microsoft Entra ID requests succeed. Unset means
    allowed ("permits requests that are authorized with Shared Key when the property value is null
    or when it is true")."""
    if account.allow_shared_key_access:
        return failed("Shared Key (account key and key-signed SAS) authorization is allowed.")
    return passed("Shared Key authorization is disallowed; requests need Microsoft Entra ID.")


@check(
    title="Storage account disallows cross-tenant object replication",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Set allowCrossTenantReplication to false unless a replication policy needs another tenant.",
    compliance={"cis-azure-5.0": ["9.3.7"], "cis-azure-3.0": ["4.16"], "nist-800-53-r5": ["AC-4"]},
    attack=["AML.T0025"],
    references=(CROSS_TENANT_REPLICATION, NEW_ACCOUNT_DEFAULTS_2023),
)
def account_disallows_cross_tenant_replication(account: StorageAccount) -> Result:
    """Object replication copies the creates, updates and deletes of source blobs to a container in
    another account; while cross-tenant replication is allowed, that account may be in a Microsoft
    Entra tenant you do not control. Unset counts as allowed ("can participate in object
    replication policies across tenants when the property value is either null or true"); new
    accounts have defaulted to false since the server change of August to December 2023."""
    if account.allow_cross_tenant_replication:
        return failed("Object replication to other Microsoft Entra tenants is allowed (true or not set).")
    return passed("Cross-tenant object replication is disallowed.")


@check(
    title="Storage account defaults to Microsoft Entra authorization in the portal",
    severity=Severity.LOW,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Turn on 'Default to Microsoft Entra authorization in the Azure portal' "
    "(defaultToOAuthAuthentication).",
    compliance={"cis-azure-5.0": ["9.3.3.1"]},
    attack=["AML.T0012"],
    references=(PORTAL_AUTHORIZATION,),
)
def account_defaults_to_entra_authorization(account: StorageAccount) -> Result:
    """Without it, the portal reads blob data with the account key for every user whose role
    includes listkeys, so their data-plane role assignments are not what authorizes them. The
    setting only chooses the portal's default: such a user can still switch to the key, which only
    disallowing Shared Key prevents. Unset means off."""
    if account.default_to_oauth:
        return passed("The portal authorizes data access with Microsoft Entra ID by default.")
    return failed("The portal uses the account key for data access by default.")


@check(
    title="Storage account has a key expiration policy",
    severity=Severity.LOW,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Set a key expiration period of 90 days or less (keyPolicy.keyExpirationPeriodInDays) "
    "and rotate the keys when reminded.",
    compliance={"cis-azure-5.0": ["9.3.1.1"], "cis-azure-3.0": ["4.3"], "nist-800-53-r5": ["IA-5"]},
    attack=["AML.T0012"],
    references=(ACCOUNT_KEYS,),
)
def account_has_key_expiration_policy(account: StorageAccount) -> Result:
    """Microsoft recommends rotating the account keys regularly and, for manual rotation, setting a
    key expiration policy: a reminder shown once the interval has elapsed without rotation, which
    Azure Policy can then report. The policy does not rotate or disable the keys itself."""
    days = account.key_expiration_days
    if days is None:
        return failed("No key expiration policy is set.")
    if days > MAX_KEY_EXPIRATION_DAYS:
        return failed(
            f"Keys expire after {days} days, more than {MAX_KEY_EXPIRATION_DAYS}.",
            evidence={"key_expiration_days": days},
        )
    return passed(f"Keys are flagged for rotation after {days} days.", evidence={"key_expiration_days": days})


@check(
    title="Blob container is not publicly accessible",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Set the container's public access level to Private, and disallow anonymous access on the account.",
    compliance={"nist-800-53-r5": ["AC-3", "AC-21", "SC-7"]},
    attack=["AML.T0010.002", "AML.T0035"],
    references=(ANONYMOUS_ACCESS,),
)
def container_is_not_public(container: StorageContainer) -> Result:
    """At access level Blob anyone can read the container's blobs without authorization; at
    Container level anyone can also list it. The level takes effect only while the account allows
    anonymous access: the account setting overrides it."""
    level = container.public_access
    if level in ("", "None"):
        return passed("The container is private.")
    if not container.account_allows_public_access:
        return passed(
            f"The container is set to {level} access, but its account disallows anonymous access.",
            evidence={"public_access": level},
        )
    return failed(
        f"Anyone can read the container's blobs anonymously (public access level {level}).",
        evidence={"public_access": level, "storage_account": container.storage_account},
    )


# ---------------------------------------------------------------------------------------------
# Encryption
# ---------------------------------------------------------------------------------------------


@check(
    title="Storage account requires secure transfer (HTTPS)",
    severity=Severity.HIGH,
    baseline=Baseline.ENCRYPTION,
    remediation="Turn on 'Secure transfer required' (supportsHttpsTrafficOnly: true).",
    compliance={"cis-azure-5.0": ["9.3.4"], "cis-azure-3.0": ["4.1"], "nist-800-53-r5": ["SC-8", "SC-8(1)"]},
    attack=["AML.T0025"],
    references=(SECURE_TRANSFER,),
)
def account_requires_secure_transfer(account: StorageAccount) -> Result:
    """Without secure transfer the account accepts REST requests over plain HTTP, and SMB
    connections without encryption, so data and credentials (SAS tokens) can cross the network in
    clear text. It is enabled by default when an account is created. (It does not apply to custom
    domain names or to NFS 3.0 over TCP.)"""
    if account.https_only:
        return passed("Only HTTPS requests are accepted.")
    return failed("The account accepts unencrypted HTTP requests.", evidence={"https_only": False})


@check(
    title="Storage account requires TLS 1.2 or newer",
    severity=Severity.LOW,
    baseline=Baseline.ENCRYPTION,
    remediation="Set the minimum TLS version to TLS 1.2 (minimumTlsVersion: TLS1_2).",
    compliance={"cis-azure-5.0": ["9.3.6"], "cis-azure-3.0": ["4.15"], "nist-800-53-r5": ["SC-8", "SC-13"]},
    references=(MINIMUM_TLS, TLS_1_2_MIGRATION),
)
def account_requires_tls_1_2(account: StorageAccount) -> Result:
    """The account's minimum TLS version: requests made with an older version fail. When it was
    never set the account permits TLS 1.0 or greater. Microsoft has since retired TLS 1.0 and 1.1
    for Blob Storage for every account, so for blob traffic this setting now restates the platform
    minimum; it remains the account-level control CIS audits."""
    version = account.minimum_tls_version
    if version in SECURE_TLS_VERSIONS:
        return passed(f"The minimum TLS version is {version}.")
    return failed(f"The minimum TLS version is {version}.", evidence={"minimum_tls_version": version})


@check(
    title="Storage account uses infrastructure (double) encryption",
    severity=Severity.INFORMATIONAL,
    baseline=Baseline.ENCRYPTION,
    remediation="Where a compliance requirement asks for double encryption, create the account with "
    "requireInfrastructureEncryption: true (it cannot be changed later) and move the data.",
    compliance={"cis-azure-3.0": ["4.2"], "nist-800-53-r5": ["SC-28", "SC-28(1)"]},
    references=(INFRASTRUCTURE_ENCRYPTION,),
)
def account_uses_infrastructure_encryption(account: StorageAccount) -> Result:
    """Infrastructure encryption adds a second layer of AES-256 encryption with a separate,
    Microsoft-managed key, protecting data if one algorithm or key is compromised. Microsoft
    recommends it where double encryption "is necessary for compliance requirements"; for most
    other scenarios "there is unlikely to be a benefit". Informational: reported for those
    requirements, not scored. Only general-purpose v2 and premium block blob accounts support it,
    and only at creation."""
    if account.kind is not None and account.kind not in INFRASTRUCTURE_ENCRYPTION_KINDS:
        return not_applicable(f"{account.kind} accounts cannot use infrastructure encryption.")
    if account.infrastructure_encryption:
        return passed("Infrastructure encryption is required.")
    return failed("Data is encrypted once (no infrastructure encryption).")


@check(
    title="Storage account is encrypted with a customer-managed key",
    severity=Severity.LOW,
    baseline=Baseline.ENCRYPTION,
    remediation="Configure encryption with a customer-managed key in Azure Key Vault (keySource: Microsoft.Keyvault).",
    compliance={"cis-azure-3.0": ["4.11"], "nist-800-53-r5": ["SC-12", "SC-28"]},
    attack=["AML.T0035"],
    references=(CUSTOMER_MANAGED_KEYS,),
)
def account_encrypted_with_cmk(account: StorageAccount) -> Result:
    """With a customer-managed key, Azure Storage wraps the account's encryption key with a key in
    your key vault; revoking access to it, or disabling it, makes blob reads and writes fail for
    every user. (Queues and tables are covered only if the account was created for it.)"""
    if account.key_source.lower() == "microsoft.keyvault":
        return passed("Encrypted with a customer-managed key.", evidence={"key": account.key_vault_key})
    return failed(
        f"Encrypted with platform-managed keys ({account.key_source}).", evidence={"key_source": account.key_source}
    )


@check(
    title="Storage account limits SAS lifetime to one hour",
    severity=Severity.LOW,
    baseline=Baseline.ENCRYPTION,
    remediation="Set a SAS expiration policy of one hour or less that blocks violating tokens "
    "(sasPolicy.sasExpirationPeriod 0.01:00:00, expirationAction Block).",
    compliance={"cis-azure-3.0": ["4.5"], "nist-800-53-r5": ["AC-2(3)", "IA-5"]},
    attack=["AML.T0012"],
    references=(SAS_EXPIRATION, SAS_POLICY_API, SHARED_KEY),
)
def account_has_sas_expiration_policy(account: StorageAccount) -> Result:
    """A SAS is a bearer token: one that leaks in a notebook or a log works until it expires. The
    account's SAS expiration policy applies to the SAS signed with the account key (service and
    account SAS). With expiration action Log it only records violations, as an audit; Block
    denies the use of SAS tokens that exceed the period. With Shared Key disallowed, key-signed
    SAS are rejected anyway, so the policy has nothing to govern."""
    if not account.allow_shared_key_access:
        return not_applicable("Shared Key is disallowed: SAS signed with the account key are rejected.")
    seconds = account.sas_expiration_seconds
    if seconds is None:
        return failed("No SAS expiration policy is set.")
    evidence = {"sas_expiration_seconds": seconds, "expiration_action": account.sas_expiration_action}
    if seconds > MAX_SAS_SECONDS:
        return failed(f"The SAS expiration policy allows {seconds} s, more than one hour.", evidence=evidence)
    if (account.sas_expiration_action or "").lower() != "block":
        return failed(
            f"The SAS expiration policy ({seconds} s) only logs violations "
            f"(expiration action {account.sas_expiration_action}); longer SAS keep working.",
            evidence=evidence,
        )
    return passed(f"SAS lifetimes are limited to {seconds} s; longer ones are blocked.", evidence=evidence)


# ---------------------------------------------------------------------------------------------
# Private endpoint: network isolation
# ---------------------------------------------------------------------------------------------


@check(
    title="Storage account disables public network access",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Set public network access to Disabled and reach the account through private endpoints.",
    compliance={"cis-azure-5.0": ["9.3.2.2"], "cis-azure-3.0": ["4.6"], "nist-800-53-r5": ["SC-7", "AC-4"]},
    attack=["AML.T0025", "AML.T0049"],
    references=(DEFAULT_NETWORK_ACCESS, POLICY_DISABLE_PUBLIC_NETWORK),
)
def account_disables_public_network_access(account: StorageAccount) -> Result:
    """With public network access Disabled the public endpoint blocks traffic from all networks,
    including those its IP and virtual network rules would allow, and the account is reached only
    through private endpoints; credentials that leak are of no use from other networks. Unset
    means Enabled. SecuredByPerimeter (a network security perimeter decides) fails here as in
    CIS, although Azure Policy's audit accepts it."""
    if account.public_network_access == "Disabled":
        return passed("Public network access is disabled.")
    return failed(
        f"Public network access is {account.public_network_access}.",
        evidence={"public_network_access": account.public_network_access},
    )


@check(
    title="Storage account denies network access by default",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Set the firewall's default action to Deny and allow only the needed networks, "
    "or disable public network access.",
    compliance={"cis-azure-5.0": ["9.3.2.3"], "cis-azure-3.0": ["4.7"], "nist-800-53-r5": ["SC-7", "SC-7(5)"]},
    attack=["AML.T0025"],
    references=(DEFAULT_NETWORK_ACCESS, POLICY_DISABLE_PUBLIC_NETWORK, POLICY_RESTRICT_NETWORK),
)
def account_denies_network_access_by_default(account: StorageAccount) -> Result:
    """The firewall's default action decides what the public endpoint does with a request no
    network rule matches: Allow accepts clients on any network (the default), and IP and virtual
    network rules "have no effect" unless it is Deny. With public network access Disabled the
    public endpoint blocks traffic from all networks whatever the default action says, so the
    account denies by default. (Azure Policy's 'restrict network access' audit reads the default
    action alone and flags that case.)"""
    rules = account.network_rules
    if account.public_network_access == "Disabled":
        return passed(
            "Public network access is disabled: the public endpoint denies every network "
            f"(the firewall's default action, {rules.default_action}, has no effect).",
            evidence={"public_network_access": "Disabled", "default_action": rules.default_action},
        )
    if rules.default_action == "Deny":
        return passed(
            "The firewall denies by default.",
            evidence={"ip_rules": rules.ip_rule_count, "virtual_network_rules": rules.virtual_network_rule_count},
        )
    return failed(
        f"The firewall's default action is {rules.default_action}.", evidence={"default_action": rules.default_action}
    )


@check(
    title="Storage account firewall lets trusted Azure services through",
    severity=Severity.LOW,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Add AzureServices to the firewall exceptions (networkAcls.bypass).",
    compliance={"cis-azure-5.0": ["9.3.5"], "cis-azure-3.0": ["4.8"]},
    references=(NETWORK_SECURITY, DEFAULT_NETWORK_ACCESS),
)
def account_allows_trusted_azure_services(account: StorageAccount) -> Result:
    """The firewall's AzureServices exception lets trusted Azure platform services reach an account
    whose firewall otherwise blocks them, so locking the account down does not cut them off. The
    exception matters only while the firewall restricts the public endpoint: with public access
    enabled and default action Allow, every network already gets through and this check does not
    apply."""
    rules = account.network_rules
    if account.public_network_access == "Enabled" and rules.default_action == "Allow":
        return not_applicable("The firewall allows every network: the trusted-services exception has no effect.")
    bypass = list(rules.bypass)
    if "AzureServices" in bypass:
        return passed("Trusted Azure services can bypass the firewall.", evidence={"bypass": bypass})
    return failed("Trusted Azure services cannot bypass the firewall.", evidence={"bypass": bypass})


@check(
    title="Storage account is reached through an approved private endpoint",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Create a private endpoint for the account in the virtual network of its clients and approve it.",
    compliance={"cis-azure-5.0": ["9.3.2.1"], "cis-azure-3.0": ["4.9"], "nist-800-53-r5": ["SC-7", "AC-4(21)"]},
    attack=["AML.T0025"],
    references=(NETWORK_SECURITY, DEFAULT_NETWORK_ACCESS),
)
def account_uses_private_endpoint(account: StorageAccount) -> Result:
    """A private endpoint gives the account a private IP address in your virtual network and
    carries traffic between them over a private link; it is what keeps the account reachable once
    public network access is disabled. Only approved connections count."""
    approved = approved_connections(account.private_endpoint_connections)
    if approved:
        return passed(f"{len(approved)} approved private endpoint(s).", evidence={"approved": approved})
    states = {c.name: c.status for c in account.private_endpoint_connections}
    return failed("No approved private endpoint connection.", evidence={"connections": states})


# ---------------------------------------------------------------------------------------------
# Integrity: recoverability of blobs and containers
# ---------------------------------------------------------------------------------------------


@check(
    title="Storage account has blob soft delete enabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Enable soft delete for blobs (blobServices/default deleteRetentionPolicy), 7 days or more.",
    compliance={"cis-azure-5.0": ["9.2.1"], "cis-azure-3.0": ["4.10"], "nist-800-53-r5": ["CP-9", "SI-12"]},
    attack=["AML.T0020", "AML.T0018"],
    references=(BLOB_SOFT_DELETE, SOFT_DELETE_VS_VERSIONING),
)
def account_blob_soft_delete_enabled(account: StorageAccount) -> Result:
    """Blob soft delete keeps a deleted or overwritten blob, snapshot or version for the retention
    period (1 to 365 days), so a deleted dataset or model can be restored. (On accounts with a
    hierarchical namespace it protects against deletes only.) Not configured means disabled."""
    if not account.has_blob_service:
        return not_applicable(f"{account.kind} accounts have no blob service.")
    if account.blob_service is None:
        return unknown("The blob service properties could not be read.")
    policy = account.blob_service.blob_soft_delete
    if policy.enabled:
        return passed(f"Blob soft delete keeps deleted blobs for {policy.days} days.", evidence={"days": policy.days})
    return failed("Blob soft delete is disabled.")


@check(
    title="Storage account has container soft delete enabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Enable soft delete for containers (containerDeleteRetentionPolicy), 7 days or more.",
    compliance={"cis-azure-5.0": ["9.2.2"], "cis-azure-3.0": ["4.10"], "nist-800-53-r5": ["CP-9", "SI-12"]},
    attack=["AML.T0020", "AML.T0018"],
    references=(BLOB_SOFT_DELETE,),
)
def account_container_soft_delete_enabled(account: StorageAccount) -> Result:
    """Container soft delete lets a deleted container be restored within its retention period;
    Microsoft recommends it alongside blob soft delete and versioning. Not configured means
    disabled."""
    if not account.has_blob_service:
        return not_applicable(f"{account.kind} accounts have no blob service.")
    if account.blob_service is None:
        return unknown("The blob service properties could not be read.")
    policy = account.blob_service.container_soft_delete
    if policy.enabled:
        return passed(f"Container soft delete keeps containers for {policy.days} days.", evidence={"days": policy.days})
    return failed("Container soft delete is disabled.")


@check(
    title="Storage account has blob versioning enabled",
    severity=Severity.LOW,
    baseline=Baseline.INTEGRITY,
    remediation="Enable blob versioning on the blob service (isVersioningEnabled: true).",
    compliance={"cis-azure-5.0": ["9.2.3"], "nist-800-53-r5": ["CP-9", "SI-7"]},
    attack=["AML.T0020", "AML.T0018"],
    references=(BLOB_SOFT_DELETE, SOFT_DELETE_VS_VERSIONING),
)
def account_blob_versioning_enabled(account: StorageAccount) -> Result:
    """Versioning keeps the previous version of a blob on every write or delete, until explicitly
    deleted, so a poisoned dataset or a tampered model can be compared with, and restored to, an
    earlier version. Versioning is not available on accounts with a hierarchical namespace, where
    this check does not apply. Not configured means disabled."""
    if not account.has_blob_service:
        return not_applicable(f"{account.kind} accounts have no blob service.")
    if account.hierarchical_namespace:
        return not_applicable("Blob versioning is not available on accounts with a hierarchical namespace.")
    if account.blob_service is None:
        return unknown("The blob service properties could not be read.")
    if account.blob_service.versioning_enabled:
        return passed("Blob versioning is enabled.")
    return failed("Blob versioning is disabled.")
