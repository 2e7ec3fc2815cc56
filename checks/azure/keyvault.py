"""Azure Key Vault checks for the vaults that hold AI resources' keys and secrets: public
network access, approved private endpoints (the private-endpoint baseline), recoverability.

Compliance ids are the Azure Policy built-in definition ids (``azure-policy``) and MCSB controls.
"""

from __future__ import annotations

from cspm.checks.azure._network import private_endpoint_verdict
from cspm.models import Baseline, Result, Severity, failed, passed
from cspm.registry import check
from cspm.resources.azure.keyvault import KeyVault

_POLICY = "https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Key%20Vault"
POLICY_PUBLIC_NETWORK = f"{_POLICY}/AzureKeyVaultPublicNetworkAccess_Audit.json"
POLICY_PRIVATE_LINK = f"{_POLICY}/AzureKeyVault_Should_Use_PrivateEndpoint_Audit.json"
POLICY_RECOVERABLE = f"{_POLICY}/KeyVault_Recoverable_Audit.json"
PRIVATE_LINK = "https://learn.microsoft.com/en-us/azure/key-vault/general/private-link-service"
SOFT_DELETE = "https://learn.microsoft.com/en-us/azure/key-vault/general/soft-delete-overview"


@check(
    title="Key vault disables public network access",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Set the vault's public network access to Disabled and reach it through a private endpoint.",
    compliance={"azure-policy": ["405c5871-3e91-4644-8a63-58e19d68ff5b"], "mcsb": ["NS-2"]},
    attack=["AML.T0055"],
    references=(POLICY_PUBLIC_NETWORK, PRIVATE_LINK),
)
def vault_disables_public_network_access(vault: KeyVault) -> Result:
    """A vault with public network access disabled is "not accessible over the public internet"
    (Azure Policy 405c5871): the customer-managed keys and secrets of AI resources are then
    reached only through private endpoints. Not set counts as Enabled, as in the policy."""
    if vault.public_network_access == "Disabled":
        return passed("Public network access is disabled.")
    return failed(
        f"Public network access is {vault.public_network_access}.",
        evidence={"public_network_access": vault.public_network_access, "default_action": vault.network_default_action},
    )


@check(
    title="Key vault is reached through an approved private endpoint",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Create a private endpoint for the vault (sub-resource vault) and approve its connection.",
    compliance={"azure-policy": ["a6abeaec-4d90-4a02-805f-6b26c4d3fbe9"], "mcsb": ["NS-2"]},
    attack=["AML.T0055"],
    references=(POLICY_PRIVATE_LINK, PRIVATE_LINK),
)
def vault_uses_private_endpoint(vault: KeyVault) -> Result:
    """Private Link connects your virtual networks to the vault over the Azure backbone "without
    a public IP address" (Azure Policy a6abeaec, which counts Approved connections only; Pending
    and Rejected ones are named in the evidence)."""
    return private_endpoint_verdict(vault.private_endpoint_connections)


@check(
    title="Key vault is recoverable (soft delete and purge protection)",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Enable purge protection on the vault (soft delete is on by default for new vaults).",
    compliance={"azure-policy": ["0b60c0b2-2dc2-4e1c-b5c9-abbed971de53"], "mcsb": ["DP-8"]},
    attack=["AML.T0029"],
    references=(POLICY_RECOVERABLE, SOFT_DELETE),
)
def vault_is_recoverable(vault: KeyVault) -> Result:
    """Deleting a vault, or the customer-managed key in it, makes everything encrypted with that
    key unreadable: workspace data, fine-tuned models. With soft delete and purge protection a
    deleted vault or key "cannot be purged until the retention period ... has passed" (Azure
    Policy 0b60c0b2, which treats either setting missing as off)."""
    missing = [
        name
        for name, on in (("soft delete", vault.soft_delete), ("purge protection", vault.purge_protection))
        if not on
    ]
    if missing:
        return failed(f"Not recoverable: {', '.join(missing)} off.", evidence={"off": missing})
    return passed("Soft delete and purge protection are on.")
