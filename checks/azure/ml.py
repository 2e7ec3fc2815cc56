"""Azure Machine Learning checks: network exposure, outbound isolation, encryption and local
authentication of workspaces (hubs, projects, feature stores) and their computes.

Compliance ids are the Azure Policy built-in definition ids (``azure-policy``).
"""

from __future__ import annotations

from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.azure.ml import MlWorkspace
from cspm.resources.azure.network import approved_connections

# Compute types the local-authentication policy applies to (the others authenticate elsewhere).
LOCAL_AUTH_COMPUTE_TYPES = frozenset({"ComputeInstance", "AmlCompute"})


@check(
    title="Azure ML workspace disables public network access",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Set the workspace's public network access to Disabled and use private endpoints "
    "(az ml workspace update --public-network-access Disabled).",
    compliance={"azure-policy": ["438c38d2-3772-465a-a9cc-7a6666a275ce"], "nist-800-53-r5": ["SC-7", "AC-4"]},
    attack=["AML.T0049", "AML.T0025"],
)
def workspace_disables_public_network_access(workspace: MlWorkspace) -> Result:
    """A workspace reachable from the internet exposes its models, datasets, endpoints and
    notebooks to anyone holding a token; a missing setting counts as public, as in the policy."""
    if workspace.public_network_access == "Disabled":
        return passed("Public network access is disabled.")
    return failed(
        f"Public network access is {workspace.public_network_access}.",
        evidence={"public_network_access": workspace.public_network_access},
    )


@check(
    title="Azure ML workspace is reached through an approved private endpoint",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Create a private endpoint for the workspace (sub-resource amlworkspace) and approve it.",
    compliance={"azure-policy": ["40cec1dd-a100-4920-b15b-3024fe8901ab"], "nist-800-53-r5": ["SC-7", "AC-4(21)"]},
    attack=["AML.T0025"],
)
def workspace_uses_private_endpoint(workspace: MlWorkspace) -> Result:
    """Private endpoints keep traffic to the workspace inside your virtual networks, so its API
    can be closed to the internet."""
    approved = approved_connections(workspace.private_endpoint_connections)
    if approved:
        return passed(f"{len(approved)} approved private endpoint(s).", evidence={"approved": approved})
    states = {c.name: c.status for c in workspace.private_endpoint_connections}
    return failed("No approved private endpoint connection.", evidence={"connections": states})


@check(
    title="Azure ML workspace allows only approved outbound traffic",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Enable the managed virtual network with isolation mode 'Allow Only Approved Outbound' "
    "and add outbound rules for the registries and data sources jobs need.",
    compliance={"azure-policy": ["6ddb1705-c8cf-450e-aa4b-19ad6703c440"], "nist-800-53-r5": ["SC-7(5)", "AC-4"]},
    attack=["AML.T0025", "AML.T0010.001"],
)
def workspace_restricts_outbound_traffic(workspace: MlWorkspace) -> Result:
    """Training jobs and notebooks run arbitrary code; with internet outbound allowed, a
    malicious package or notebook can send data and models anywhere."""
    mode = workspace.managed_network_isolation
    if mode == "AllowOnlyApprovedOutbound":
        return passed("The managed network allows only approved outbound traffic.")
    return failed(f"The managed network isolation mode is {mode}.", evidence={"isolation_mode": mode})


@check(
    title="Azure ML workspace is encrypted with a customer-managed key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Create the workspace with a customer-managed key in Azure Key Vault (encryption.status Enabled); "
    "it cannot be added later.",
    compliance={"azure-policy": ["ba769a63-b8cc-4b2d-abf6-ac33c7204be8"], "nist-800-53-r5": ["SC-12", "SC-28"]},
    attack=["AML.T0035"],
)
def workspace_encrypted_with_cmk(workspace: MlWorkspace) -> Result:
    """With a customer-managed key, the workspace's metadata, job data and model artifacts are
    encrypted with a key you control and can revoke. Projects use their hub's key."""
    if workspace.kind.lower() == "project":
        return not_applicable("Projects are encrypted with their hub's key.")
    if workspace.encryption_status == "Enabled":
        return passed("Encrypted with a customer-managed key.", evidence={"key": workspace.encryption_key})
    return failed(
        "Encrypted with Microsoft-managed keys only.", evidence={"encryption_status": workspace.encryption_status}
    )


@check(
    title="Azure ML workspace reaches its system datastores with an identity, not account keys",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Set systemDatastoresAuthMode to identity and grant the workspace identity data-plane roles "
    "on its storage account; then disable Shared Key on that account.",
    compliance={"nist-800-53-r5": ["IA-2", "IA-5", "AC-6"]},
    attack=["AML.T0012", "AML.T0055"],
)
def workspace_datastores_use_identity(workspace: MlWorkspace) -> Result:
    """With credential-based datastores the workspace stores the storage account key in its
    Key Vault and every user of the workspace reads data with that key; identity-based access
    keeps per-user authorization and lets Shared Key be disabled."""
    mode = workspace.system_datastores_auth_mode
    if mode in ("Identity", "UserDelegationSAS"):
        return passed(f"System datastores are reached with {mode}.")
    return failed(f"System datastores are reached with {mode} (account keys).", evidence={"auth_mode": mode})


@check(
    title="Azure ML computes have local authentication disabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Recreate compute instances and clusters with local authentication disabled "
    "(disableLocalAuth: true; SSH off).",
    compliance={"azure-policy": ["e96a9a5f-07ca-471b-9bc5-6a0f33cbd68f"], "nist-800-53-r5": ["IA-2", "AC-17"]},
    attack=["AML.T0012"],
)
def workspace_computes_disable_local_auth(workspace: MlWorkspace) -> Result:
    """Local authentication (keys, SSH) on a compute bypasses Microsoft Entra ID, so access is
    neither tied to an identity nor revoked with it."""
    if workspace.computes is None:
        return unknown("The workspace's computes could not be listed.")
    relevant = [c for c in workspace.computes if c.compute_type in LOCAL_AUTH_COMPUTE_TYPES]
    if not relevant:
        return not_applicable("The workspace has no compute instance or cluster.")
    offending = sorted(c.name for c in relevant if c.local_auth_enabled)
    if offending:
        return failed(f"{len(offending)} compute(s) allow local authentication.", evidence={"computes": offending})
    return passed(f"All {len(relevant)} compute(s) have local authentication disabled.")
