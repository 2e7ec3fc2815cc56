"""Checks that reason along the Azure AI lineage (cspm/lineage_azure.py): the storage accounts and
key vaults that ML workspaces (hubs, projects) and AI Services accounts store data, secrets and
keys in must be reachable only privately.

The severity rule of docs/lineage.md leaves these checks alone (they already reason along the
chain); a storage account or vault no AI resource uses is not assessed here (the ``azure.storage``
and ``azure.keyvault`` checks judge every one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cspm.lineage import lineage_of, supply_chain_use
from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed
from cspm.registry import check
from cspm.resources.azure.cognitiveservices import AiServicesAccount
from cspm.resources.azure.keyvault import KeyVault
from cspm.resources.azure.ml import MlWorkspace
from cspm.resources.azure.network import PrivateEndpointConnection, approved_connections
from cspm.resources.azure.storage import StorageAccount
from cspm.resources.base import Resource

STORAGE_PRIVATE = "https://learn.microsoft.com/en-us/azure/machine-learning/how-to-secure-workspace-vnet"
FOUNDRY_NETWORK = "https://learn.microsoft.com/en-us/azure/ai-foundry/how-to/configure-private-link"
KEY_VAULT_PRIVATE = "https://learn.microsoft.com/en-us/azure/key-vault/general/private-link-service"


def _private_dependency(
    resource: Resource,
    public_network_access: str,
    connections: tuple[PrivateEndpointConnection, ...],
    workspaces: Sequence[MlWorkspace],
    ai_accounts: Sequence[AiServicesAccount],
    peers: dict[type[Resource], Sequence[Resource]],
) -> Result:
    """The verdict on a storage account or vault of the AI chain: public access Disabled and an
    Approved private endpoint; not applicable when no AI resource uses it."""
    graph = lineage_of({MlWorkspace: workspaces, AiServicesAccount: ai_accounts, **peers})
    used_by = supply_chain_use(graph, resource.uid)
    if not used_by:
        return not_applicable("No ML workspace or AI Services account uses it.")
    approved = approved_connections(connections)
    gaps = [
        gap
        for gap, missing in (
            (f"public network access is {public_network_access}", public_network_access != "Disabled"),
            ("no approved private endpoint", not approved),
        )
        if missing
    ]
    evidence: dict[str, Any] = {"used_by": used_by, "approved_private_endpoints": approved}
    if gaps:
        names = ", ".join(sorted({u["name"] for u in used_by}))
        return failed(f"Used by {names}, but {' and '.join(gaps)}.", evidence)
    return passed("Reached only through approved private endpoints.", evidence)


@check(
    title="Storage account of the Azure AI chain is reached only through private endpoints",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Disable public network access on the storage account and give the workspace (or AI Services "
    "account) private endpoints for its blob and file sub-resources.",
    compliance={"mcsb": ["NS-2"], "nist-800-53-r5": ["SC-7", "AC-4(21)"]},
    attack=["AML.T0010.002", "AML.T0025"],
    references=(STORAGE_PRIVATE, FOUNDRY_NETWORK),
)
def ai_storage_account_is_private(
    account: StorageAccount,
    storage_accounts: Sequence[StorageAccount],
    workspaces: Sequence[MlWorkspace],
    ai_accounts: Sequence[AiServicesAccount],
) -> Result:
    """A workspace's default storage account holds its datasets, job outputs, model artifacts
    and notebooks; an AI Services account's user-owned storage holds uploaded files. Microsoft's
    network-isolation guidance for workspaces and AI Foundry hubs puts that storage behind
    private endpoints with public access disabled: a public endpoint leaves the training data
    and models reachable from anywhere a key or token works."""
    return _private_dependency(
        account,
        account.public_network_access,
        account.private_endpoint_connections,
        workspaces,
        ai_accounts,
        {StorageAccount: storage_accounts},
    )


@check(
    title="Key vault of the Azure AI chain is reached only through private endpoints",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Disable public network access on the vault and give it an approved private endpoint.",
    compliance={"mcsb": ["NS-2", "DP-8"], "nist-800-53-r5": ["SC-7", "SC-12"]},
    attack=["AML.T0055"],
    references=(KEY_VAULT_PRIVATE, FOUNDRY_NETWORK),
)
def ai_key_vault_is_private(
    vault: KeyVault,
    vaults: Sequence[KeyVault],
    workspaces: Sequence[MlWorkspace],
    ai_accounts: Sequence[AiServicesAccount],
) -> Result:
    """A workspace keeps its connection secrets and datastore credentials in its key vault; an AI
    Services account's customer-managed key lives in one. Both are on the chain that protects the
    AI data, and Microsoft's isolation guidance puts them behind private endpoints too."""
    return _private_dependency(
        vault,
        vault.public_network_access,
        vault.private_endpoint_connections,
        workspaces,
        ai_accounts,
        {KeyVault: vaults},
    )
