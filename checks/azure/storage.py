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
)
def account_disallows_anonymous_blob_access(account: StorageAccount) -> Result:
    """While the account allows anonymous access, one container set to Blob or Container level
    publishes training data or model artifacts to anyone with the URL. An unset property counts
    as allowed: accounts created before November 2023 permit anonymous access when it is null."""
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
)
def account_disallows_shared_key_access(account: StorageAccount) -> Result:
    """An account key is a password to every blob, never expires by itself and leaves no
    identity in the logs; with Shared Key disabled every request needs an Entra identity.
    Unset means allowed (documented default)."""
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
)
def account_disallows_cross_tenant_replication(account: StorageAccount) -> Result:
    """Cross-tenant object replication copies every new blob to an account in a tenant you do
    not control: a quiet exfiltration path for datasets and models. Unset counts as allowed
    (the default for accounts created before December 2023)."""
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
)
def account_defaults_to_entra_authorization(account: StorageAccount) -> Result:
    """Without it the portal reads data with the account key, so anyone who can list keys reads
    every blob regardless of data-plane role assignments."""
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
)
def account_has_key_expiration_policy(account: StorageAccount) -> Result:
    """Account keys never expire on their own; a key expiration policy flags keys that were not
    rotated, bounding how long a leaked key stays useful."""
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
)
def container_is_not_public(container: StorageContainer) -> Result:
    """A container at Blob level serves every blob to anyone with its URL; at Container level
    anyone can also list it. The level only takes effect while the account allows anonymous access."""
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
)
def account_requires_secure_transfer(account: StorageAccount) -> Result:
    """Over plain HTTP, data and SAS tokens cross the network in clear text."""
    if account.https_only:
        return passed("Only HTTPS requests are accepted.")
    return failed("The account accepts unencrypted HTTP requests.", evidence={"https_only": False})


@check(
    title="Storage account requires TLS 1.2 or newer",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Set the minimum TLS version to TLS 1.2 (minimumTlsVersion: TLS1_2).",
    compliance={"cis-azure-5.0": ["9.3.6"], "cis-azure-3.0": ["4.15"], "nist-800-53-r5": ["SC-8", "SC-13"]},
)
def account_requires_tls_1_2(account: StorageAccount) -> Result:
    """TLS 1.0 and 1.1 have known weaknesses and are deprecated; an unset minimum means TLS 1.0."""
    version = account.minimum_tls_version
    if version in SECURE_TLS_VERSIONS:
        return passed(f"The minimum TLS version is {version}.")
    return failed(f"The minimum TLS version is {version}.", evidence={"minimum_tls_version": version})


@check(
    title="Storage account uses infrastructure (double) encryption",
    severity=Severity.LOW,
    baseline=Baseline.ENCRYPTION,
    remediation="Create the account with requireInfrastructureEncryption: true (it cannot be changed later) "
    "and move the data.",
    compliance={"cis-azure-3.0": ["4.2"], "nist-800-53-r5": ["SC-28", "SC-28(1)"]},
)
def account_uses_infrastructure_encryption(account: StorageAccount) -> Result:
    """A second, independent layer of encryption at the infrastructure level protects data if
    one algorithm or key is compromised."""
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
)
def account_encrypted_with_cmk(account: StorageAccount) -> Result:
    """With a customer-managed key, access to the data also depends on a key you control, can
    audit and can revoke."""
    if account.key_source.lower() == "microsoft.keyvault":
        return passed("Encrypted with a customer-managed key.", evidence={"key": account.key_vault_key})
    return failed(
        f"Encrypted with platform-managed keys ({account.key_source}).", evidence={"key_source": account.key_source}
    )


@check(
    title="Storage account limits SAS lifetime to one hour",
    severity=Severity.LOW,
    baseline=Baseline.ENCRYPTION,
    remediation="Set a SAS expiration policy of one hour or less (sasPolicy.sasExpirationPeriod 0.01:00:00).",
    compliance={"cis-azure-3.0": ["4.5"], "nist-800-53-r5": ["AC-2(3)", "IA-5"]},
    attack=["AML.T0012"],
)
def account_has_sas_expiration_policy(account: StorageAccount) -> Result:
    """Shared access signatures are bearer tokens; a long-lived SAS that leaks in a notebook or a
    log keeps working until it expires."""
    seconds = account.sas_expiration_seconds
    if seconds is None:
        return failed("No SAS expiration policy is set.")
    evidence = {"sas_expiration_seconds": seconds, "expiration_action": account.sas_expiration_action}
    if seconds > MAX_SAS_SECONDS:
        return failed(f"The SAS expiration policy allows {seconds} s, more than one hour.", evidence=evidence)
    return passed(f"SAS lifetimes are limited to {seconds} s.", evidence=evidence)


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
)
def account_disables_public_network_access(account: StorageAccount) -> Result:
    """With public network access disabled only private endpoints reach the account, so stolen
    credentials are useless from outside your networks."""
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
    remediation="Set the firewall's default action to Deny and allow only the needed networks.",
    compliance={"cis-azure-5.0": ["9.3.2.3"], "cis-azure-3.0": ["4.7"], "nist-800-53-r5": ["SC-7", "SC-7(5)"]},
    attack=["AML.T0025"],
)
def account_denies_network_access_by_default(account: StorageAccount) -> Result:
    """A default action of Allow accepts requests from every network on the internet."""
    rules = account.network_rules
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
)
def account_allows_trusted_azure_services(account: StorageAccount) -> Result:
    """With a deny-by-default firewall, trusted services (Backup, Monitor, Defender) need the
    bypass to keep logging and protecting the account without opening it to every network."""
    bypass = list(account.network_rules.bypass)
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
)
def account_uses_private_endpoint(account: StorageAccount) -> Result:
    """Private endpoints keep traffic to training data on the Microsoft backbone and let public
    network access be turned off."""
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
)
def account_blob_soft_delete_enabled(account: StorageAccount) -> Result:
    """Soft delete keeps deleted or overwritten blobs recoverable, so a deleted dataset or
    model can be restored."""
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
)
def account_container_soft_delete_enabled(account: StorageAccount) -> Result:
    """Container soft delete makes a deleted container, with every blob in it, recoverable."""
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
)
def account_blob_versioning_enabled(account: StorageAccount) -> Result:
    """Versioning keeps every previous version of a blob, so a poisoned dataset or a tampered
    model can be compared with, and rolled back to, the original."""
    if not account.has_blob_service:
        return not_applicable(f"{account.kind} accounts have no blob service.")
    if account.blob_service is None:
        return unknown("The blob service properties could not be read.")
    if account.blob_service.versioning_enabled:
        return passed("Blob versioning is enabled.")
    return failed("Blob versioning is disabled.")
