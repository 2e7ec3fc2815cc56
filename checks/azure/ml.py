"""Azure Machine Learning checks: network exposure, outbound isolation, encryption and local
authentication of workspaces (hubs, projects, feature stores) and their computes.

Compliance ids are the Azure Policy built-in definition ids (``azure-policy``).
"""

from __future__ import annotations

from collections.abc import Sequence

from cspm.artifacts.verdict import free_of_unsafe_code, signature_verifies, uses_safe_format
from cspm.checks.azure import _rbac
from cspm.checks.azure._monitor import diagnostics_verdict
from cspm.checks.azure._network import private_endpoint_verdict
from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.azure.artifacts import AzureBlobModelArtifact
from cspm.resources.azure.authorization import RbacPrincipal
from cspm.resources.azure.ml import MlOnlineEndpoint, MlRegistry, MlWorkspace
from cspm.resources.azure.ml_assets import MlModel
from cspm.resources.azure.monitor import DiagnosticSetting

# Compute types the local-authentication policy applies to (Azure Policy e96a9a5f, v2.1.0).
LOCAL_AUTH_COMPUTE_TYPES = frozenset({"ComputeInstance", "AmlCompute"})

# Vendor documentation the rationales rest on (docs/check-audit.md, section azure.ml).
_POLICY = "https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Machine%20Learning"
POLICY_PUBLIC_NETWORK = f"{_POLICY}/Workspace_PublicNetworkAccessDisabled_Audit.json"
POLICY_PRIVATE_LINK = f"{_POLICY}/Workspace_PrivateLinkEnabled_Audit.json"
POLICY_ISOLATION_MODE = f"{_POLICY}/ManagedNetworkIsolationMode_Audit.json"
POLICY_CMK = f"{_POLICY}/Workspace_CMKEnabled_Audit.json"
POLICY_LOCAL_AUTH = f"{_POLICY}/DisableLocalAuth_Audit.json"
POLICY_RESOURCE_LOGS = f"{_POLICY}/MachineLearningServices_AuditDiagnosticLog_Audit.json"
MANAGED_NETWORK = "https://learn.microsoft.com/en-us/azure/machine-learning/how-to-managed-network"
MANAGED_NETWORK_TRAINING = (
    "https://learn.microsoft.com/en-us/training/modules/restrict-azure-machine-learning-workspace-network/"
    "2-managed-network-isolation"
)
CUSTOMER_MANAGED_KEYS = "https://learn.microsoft.com/en-us/azure/machine-learning/concept-customer-managed-keys"
SHARED_KEY_STORAGE = "https://docs.azure.cn/zh-cn/machine-learning/how-to-disable-local-auth-storage?view=azureml-api-2"
ENDPOINT_AUTH = "https://learn.microsoft.com/en-us/azure/machine-learning/how-to-authenticate-online-endpoint"
ENDPOINT_NETWORK = "https://learn.microsoft.com/en-us/azure/machine-learning/concept-secure-online-endpoint"
REGISTRY_NETWORK = "https://learn.microsoft.com/en-us/azure/machine-learning/how-to-registry-network-isolation"
DATASTORE_IDENTITY = "https://learn.microsoft.com/en-us/azure/machine-learning/how-to-datastore"
DEFENDER_AI = "https://learn.microsoft.com/en-us/azure/defender-for-cloud/recommendations-reference-ai"
MONITOR_ONLINE_ENDPOINTS = "https://learn.microsoft.com/en-us/azure/machine-learning/how-to-monitor-online-endpoints"
RBAC_BEST_PRACTICES = "https://learn.microsoft.com/en-us/azure/role-based-access-control/best-practices"
WORKSPACE_IDENTITY = (
    "https://learn.microsoft.com/en-us/azure/machine-learning/how-to-identity-based-service-authentication"
)
COMPUTE_DISABLE_LOCAL_AUTH = (
    "https://learn.microsoft.com/en-us/dotnet/api/"
    "microsoft.azure.powershell.cmdlets.machinelearningservices.models.icompute.disablelocalauth?view=az-ps-latest"
)


@check(
    title="Azure ML workspace disables public network access",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Set the workspace's public network access to Disabled and use private endpoints "
    "(az ml workspace update --public-network-access Disabled).",
    compliance={"azure-policy": ["438c38d2-3772-465a-a9cc-7a6666a275ce"], "nist-800-53-r5": ["SC-7", "AC-4"]},
    attack=["AML.T0049", "AML.T0025"],
    references=(POLICY_PUBLIC_NETWORK,),
)
def workspace_disables_public_network_access(workspace: MlWorkspace) -> Result:
    """Disabling public network access ensures the workspace is not "exposed on the public
    internet"; clients reach it through private endpoints instead (Azure Policy 438c38d2). A
    missing setting counts as public, as in the policy's rule."""
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
    references=(POLICY_PRIVATE_LINK,),
)
def workspace_uses_private_endpoint(workspace: MlWorkspace) -> Result:
    """A private endpoint connects your virtual network to the workspace without a public IP
    address, over the Azure backbone, so the workspace's public access can be disabled. As in
    Azure Policy 40cec1dd, only Approved connections count."""
    return private_endpoint_verdict(workspace.private_endpoint_connections)


@check(
    title="Azure ML workspace allows only approved outbound traffic",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Enable the managed virtual network with isolation mode 'Allow Only Approved Outbound' "
    "and add outbound rules for the registries and data sources jobs need.",
    compliance={"azure-policy": ["6ddb1705-c8cf-450e-aa4b-19ad6703c440"], "nist-800-53-r5": ["SC-7(5)", "AC-4"]},
    attack=["AML.T0025", "AML.T0010.001"],
    references=(POLICY_ISOLATION_MODE, MANAGED_NETWORK, MANAGED_NETWORK_TRAINING),
)
def workspace_restricts_outbound_traffic(workspace: MlWorkspace) -> Result:
    """The workspace's managed virtual network holds its managed computes (compute instances and
    clusters, serverless compute, managed online endpoints) and restricts what they can reach.
    Microsoft's guidance: use 'Allow only approved outbound' "if you want to minimize data
    exfiltration risk"; 'Allow internet outbound' lets users "access the internet freely". Not set means no
    managed network (Disabled): outbound is then governed only by a virtual network you manage,
    which this check does not read. Azure Policy 6ddb1705 audits the mode against a parameter
    (default Disabled); this check uses AllowOnlyApprovedOutbound."""
    mode = workspace.managed_network_isolation
    if mode == "AllowOnlyApprovedOutbound":
        return passed("The managed network allows only approved outbound traffic.")
    if mode == "Disabled":
        return failed(
            "The workspace has no managed network (isolation mode Disabled); its computes' outbound "
            "traffic is not restricted by the workspace.",
            evidence={"isolation_mode": mode},
        )
    return failed(f"The managed network isolation mode is {mode}.", evidence={"isolation_mode": mode})


@check(
    title="Azure ML workspace is encrypted with a customer-managed key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Encrypt the workspace with a customer-managed key in Azure Key Vault (encryption.status Enabled).",
    compliance={"azure-policy": ["ba769a63-b8cc-4b2d-abf6-ac33c7204be8"], "nist-800-53-r5": ["SC-12", "SC-28"]},
    attack=["AML.T0035"],
    references=(POLICY_CMK, CUSTOMER_MANAGED_KEYS),
)
def workspace_encrypted_with_cmk(workspace: MlWorkspace) -> Result:
    """By default workspace data is encrypted with Microsoft-managed keys; a customer-managed key
    in your Key Vault gives you "full control and responsibility for the key lifecycle, including
    rotation and management" (Azure Policy ba769a63). The policy exempts projects (kind
    'project'), which this check does not assess either."""
    if workspace.kind.lower() == "project":
        return not_applicable("Projects are encrypted with their hub's key.")
    if workspace.encryption_status == "Enabled":
        return passed("Encrypted with a customer-managed key.", evidence={"key": workspace.encryption_key})
    return failed(
        "Encrypted with Microsoft-managed keys only.", evidence={"encryption_status": workspace.encryption_status}
    )


@check(
    title="Azure ML workspace reaches its system datastores with an identity, not account keys",
    fail_title="Azure ML workspace reaches its system datastores with account keys",
    severity=Severity.INFORMATIONAL,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Set systemDatastoresAuthMode to identity and grant the workspace identity data-plane roles "
    "on its storage account; then disable Shared Key on that account.",
    compliance={"nist-800-53-r5": ["IA-2", "IA-5", "AC-6"]},
    attack=["AML.T0012", "AML.T0055"],
    references=(SHARED_KEY_STORAGE,),
)
def workspace_datastores_use_identity(workspace: MlWorkspace) -> Result:
    """ "An Azure Machine Learning workspace defaults to use of a shared key to access its default
    Azure Storage account. With key-based authorization, anyone who has the key and access to the
    storage account can access data"; with identity-based access the user's identity or a managed
    identity is authorized instead, and Shared Key can be disabled on the account. Informational:
    Microsoft documents the shared-key-disabled setup as a public preview it does not recommend
    for production workloads, and no Azure Policy built-in audits the mode. Not set means
    AccessKey."""
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
    references=(POLICY_LOCAL_AUTH, COMPUTE_DISABLE_LOCAL_AUTH),
)
def workspace_computes_disable_local_auth(workspace: MlWorkspace) -> Result:
    """With local authentication disabled a compute instance or cluster requires Microsoft Entra
    identities "exclusively for authentication" (Azure Policy e96a9a5f, which audits those two
    compute types; disableLocalAuth is set at creation). Not set means local authentication is
    enabled, as in the policy's rule."""
    if workspace.computes is None:
        return unknown("The workspace's computes could not be listed.")
    relevant = [c for c in workspace.computes if c.compute_type in LOCAL_AUTH_COMPUTE_TYPES]
    if not relevant:
        return not_applicable("The workspace has no compute instance or cluster.")
    offending = sorted(c.name for c in relevant if c.local_auth_enabled)
    if offending:
        return failed(f"{len(offending)} compute(s) allow local authentication.", evidence={"computes": offending})
    return passed(f"All {len(relevant)} compute(s) have local authentication disabled.")


@check(
    title="Azure ML workspace's managed identity holds no privileged role on the subscription",
    fail_title="Azure ML workspace's managed identity holds a privileged role on the subscription",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Give the workspace identity the roles it needs on its storage account, key vault and registry "
    "only, not Owner or Contributor on the subscription.",
    compliance={"mcsb": ["PA-7", "IM-3"], "nist-800-53-r5": ["AC-6"]},
    attack=["AML.T0012"],
    references=(RBAC_BEST_PRACTICES, WORKSPACE_IDENTITY),
)
def workspace_identity_is_not_privileged(workspace: MlWorkspace, principals: Sequence[RbacPrincipal]) -> Result:
    """The workspace identity reaches its storage account, key vault and container registry on
    behalf of jobs and endpoints; those resources are what it needs roles on. Subscription-wide
    Owner, Contributor or an access-admin role lets any job or notebook that runs as it change
    or take over everything in the subscription. ERROR when role assignments could not be read."""
    return _rbac.identity_verdict(workspace.identity, principals, "workspace")


@check(
    title="Azure ML workspace (AI Foundry hub) sends monitoring to Application Insights",
    severity=Severity.MEDIUM,
    baseline=Baseline.LOGGING,
    remediation="Associate an Application Insights resource with the hub or workspace.",
    compliance={"mcsb": ["LT-3"], "nist-800-53-r5": ["AU-12", "SI-4"]},
    attack=["AML.T0040"],
    references=(DEFENDER_AI, MONITOR_ONLINE_ENDPOINTS),
)
def workspace_uses_application_insights(workspace: MlWorkspace) -> Result:
    """Defender for Cloud: "Application Insights should be used on Azure AI Foundry"; the hub
    "uses Azure Application Insights to store monitoring information about your deployed
    models", without it threat detection and incident response are delayed. Projects use their
    hub's, so they are not assessed. Not set means none."""
    if workspace.kind.lower() == "project":
        return not_applicable("Projects use their hub's Application Insights.")
    if workspace.application_insights:
        return passed(
            "Application Insights is associated.", evidence={"application_insights": workspace.application_insights}
        )
    return failed("No Application Insights resource is associated.")


@check(
    title="Azure ML online endpoint requires token authentication",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Recreate the endpoint with auth_mode aad_token (Microsoft Entra) or aml_token; keys cannot be "
    "scoped to a caller and do not expire.",
    compliance={"mcsb": ["IM-1"], "nist-800-53-r5": ["IA-2", "IA-5"]},
    attack=["AML.T0040", "AML.T0012"],
    references=(ENDPOINT_AUTH,),
)
def online_endpoint_uses_token_auth(endpoint: MlOnlineEndpoint) -> Result:
    """An online endpoint authenticates callers with keys (which do not expire), an Azure ML
    token or a Microsoft Entra token (both expire, and Entra tokens are authorized with RBAC on
    the endpoint). Key authentication lets anyone holding the key score the model."""
    if endpoint.auth_mode.lower() == "key":
        return failed("The endpoint accepts keys.", evidence={"auth_mode": endpoint.auth_mode})
    return passed(f"The endpoint requires {endpoint.auth_mode} tokens.")


@check(
    title="Azure ML online endpoint disables public network access",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Set the endpoint's public_network_access to disabled and score through the workspace's "
    "private endpoint.",
    compliance={"mcsb": ["NS-2"], "nist-800-53-r5": ["SC-7"]},
    attack=["AML.T0049", "AML.T0040"],
    references=(ENDPOINT_NETWORK,),
)
def online_endpoint_disables_public_network_access(endpoint: MlOnlineEndpoint) -> Result:
    """With public network access disabled a managed online endpoint accepts scoring requests
    only through the workspace's private endpoint; enabled, it is reachable from the internet
    (authentication still applies). Not set means Enabled."""
    if endpoint.public_network_access == "Disabled":
        return passed("Public network access is disabled.")
    return failed(
        f"Public network access is {endpoint.public_network_access}.",
        evidence={"public_network_access": endpoint.public_network_access, "scoring_uri": endpoint.scoring_uri},
    )


@check(
    title="Azure ML online endpoint's managed identity holds no privileged role on the subscription",
    fail_title="Azure ML online endpoint's managed identity holds a privileged role on the subscription",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Give the endpoint identity read access to its model storage and registry only.",
    compliance={"mcsb": ["PA-7", "IM-3"], "nist-800-53-r5": ["AC-6"]},
    attack=["AML.T0012"],
    references=(RBAC_BEST_PRACTICES, ENDPOINT_AUTH),
)
def online_endpoint_identity_is_not_privileged(
    endpoint: MlOnlineEndpoint, principals: Sequence[RbacPrincipal]
) -> Result:
    """The scoring code runs as the endpoint's identity; a model or request that gets code
    execution in the container acts with its roles. Subscription-wide Owner, Contributor or an
    access-admin role makes that a takeover. ERROR when role assignments could not be read."""
    return _rbac.identity_verdict(endpoint.identity, principals, "endpoint")


@check(
    title="Azure ML registry disables public network access",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Set the registry's public network access to Disabled and reach it through a private endpoint.",
    compliance={"mcsb": ["NS-2"], "nist-800-53-r5": ["SC-7"]},
    attack=["AML.T0010.003"],
    references=(REGISTRY_NETWORK,),
)
def registry_disables_public_network_access(registry: MlRegistry) -> Result:
    """A registry holds the models, environments and components that workspaces deploy; with
    public access enabled anyone with a role on it can reach it from anywhere. Not set means
    Enabled."""
    if registry.public_network_access == "Disabled":
        return passed("Public network access is disabled.")
    return failed(f"Public network access is {registry.public_network_access}.")


@check(
    title="Azure ML registry is reached through an approved private endpoint",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Create a private endpoint for the registry (sub-resource amlregistry) and approve it.",
    compliance={"mcsb": ["NS-2"], "nist-800-53-r5": ["SC-7", "AC-4(21)"]},
    attack=["AML.T0010.003"],
    references=(REGISTRY_NETWORK,),
)
def registry_uses_private_endpoint(registry: MlRegistry) -> Result:
    """Workspaces behind private endpoints pull registry assets through the registry's private
    endpoint; only Approved connections carry traffic (Pending and Rejected ones are named)."""
    return private_endpoint_verdict(registry.private_endpoint_connections)


@check(
    title="Azure ML workspace sends resource logs to a destination",
    severity=Severity.MEDIUM,
    baseline=Baseline.LOGGING,
    remediation="Add a diagnostic setting that sends the workspace's log categories (or allLogs) to a Log "
    "Analytics workspace, storage account or event hub; keep a year.",
    compliance={"azure-policy": ["afe0c3be-ba3b-4544-ba52-0c99672a8ad6"], "mcsb": ["LT-3"]},
    attack=["AML.T0040"],
    references=(POLICY_RESOURCE_LOGS,),
)
def workspace_sends_resource_logs(workspace: MlWorkspace) -> Result:
    """Resource logs recreate "activity trails to use for investigation purposes" when an
    incident occurs (Azure Policy afe0c3be; Defender for Cloud: "Resource logs in Azure Machine
    Learning Workspaces should be enabled"). Any enabled log category or group sent somewhere
    passes; the policy's one-year retention for storage destinations is not read."""
    return diagnostics_verdict(workspace.diagnostic_settings, _sends_logs, "resource logs", "workspace")


def _sends_logs(setting: DiagnosticSetting) -> bool:
    return setting.sends_logs


@check(
    title="Azure ML workspace (AI Foundry project) reaches its datastores with Microsoft Entra ID",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Recreate account-key and SAS datastores as identity-based (credentials None) and grant the "
    "workspace or user identities Storage Blob Data roles on the data.",
    compliance={"mcsb": ["IM-1"], "nist-800-53-r5": ["IA-5", "AC-6"]},
    attack=["AML.T0012", "AML.T0055"],
    references=(DEFENDER_AI, DATASTORE_IDENTITY),
)
def workspace_datastores_use_entra_id(workspace: MlWorkspace) -> Result:
    """Defender for Cloud: "Microsoft Entra ID should be used when connecting to data stores on
    Azure AI Foundry project" (high): credential-based access "poses a risk of unauthorized
    access". A datastore with an account key or SAS token lets every workspace user read the
    data with that secret; an identity-based one (credentials None) authorizes each caller."""
    if workspace.datastores is None:
        return unknown("The workspace's datastores could not be listed.")
    if not workspace.datastores:
        return not_applicable("The workspace has no datastore.")
    unknown_types = sorted(d.name for d in workspace.datastores if d.credentials_type == "Unknown")
    secret = sorted(d.name for d in workspace.datastores if d.uses_account_secret)
    if secret:
        return failed(f"{len(secret)} datastore(s) use an account key or SAS token.", evidence={"datastores": secret})
    if unknown_types:
        return unknown("Some datastores have no credentials type.", evidence={"datastores": unknown_types})
    return passed(f"All {len(workspace.datastores)} datastore(s) use Microsoft Entra identities.")


# ---------------------------------------------------------------------------------------------
# Model artifacts (--inspect-artifacts): the contents of the blobs a model asset version names.
# The reasoning is shared with AWS and GCP (cspm.artifacts.verdict); these are its thin Azure entries.
# ---------------------------------------------------------------------------------------------

_PICKLE_WARNING = "https://docs.python.org/3/library/pickle.html"
_SAFETENSORS = "https://huggingface.co/docs/safetensors/index"
_MODEL_SIGNING = "https://github.com/sigstore/model-transparency"


@check(
    title="Azure ML model artifacts import no code known to be dangerous",
    fail_title="Azure ML model artifact runs code known to be dangerous when loaded",
    severity=Severity.CRITICAL,
    baseline=Baseline.INTEGRITY,
    remediation="Do not deploy the model. Find who wrote the blobs of the model version (the storage account's "
    "StorageWrite resource logs), rebuild it from trusted code and data, and store the weights as safetensors "
    "or ONNX.",
    compliance={"nist-800-53-r5": ["SI-3", "SI-7", "SR-11"]},
    attack=["AML.T0010.003", "AML.T0011.000", "AML.T0018"],
    references=(_PICKLE_WARNING,),
)
def model_artifact_is_free_of_unsafe_code(model: MlModel, artifacts: Sequence[AzureBlobModelArtifact]) -> Result:
    """A pickle-based model file (an MLflow sklearn model.pkl, a torch.save checkpoint) runs the
    code it names when the scoring container loads it: a model version whose blobs hold a pickle
    importing os.system, subprocess, eval or exec hands the deployment's identity to whoever wrote
    the blob. Read only with --inspect-artifacts: pickle streams are scanned with picklescan
    (never unpickled), Keras files for Lambda layers, SavedModels for file-system and Python ops.
    A model version whose files could not be located in Blob Storage is an ERROR."""
    return free_of_unsafe_code(model, (), artifacts)


@check(
    title="Azure ML model artifacts use a format that cannot carry code",
    fail_title="Azure ML model artifact is serialised with pickle",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Save the weights as safetensors (or ONNX or GGUF) instead of pickle, torch.save or joblib, "
    "register that as the model version, and serve it with a scoring script that loads tensors only.",
    compliance={"nist-800-53-r5": ["SI-7", "CM-7"]},
    attack=["AML.T0010.003", "AML.T0011.000"],
    references=(_PICKLE_WARNING, _SAFETENSORS),
)
def model_artifact_uses_safe_format(model: MlModel, artifacts: Sequence[AzureBlobModelArtifact]) -> Result:
    """A pickle, joblib or PyTorch file (MLflow's sklearn flavour saves model.pkl) runs whatever
    the next writer of the blob puts in it; safetensors, ONNX and GGUF hold tensors only. Read
    only with --inspect-artifacts."""
    return uses_safe_format(model, (), artifacts)


@check(
    title="Azure ML model artifacts carry a model signature that verifies",
    fail_title="Azure ML model artifact signature is missing or does not verify",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Sign the model with OpenSSF Model Signing (model_signing sign) when it is produced, store "
    "the signature next to each model file as <name>.sig, and verify it before deployment.",
    compliance={"nist-800-53-r5": ["SI-7", "SI-7(6)", "SR-4"]},
    attack=["AML.T0010.003", "AML.T0018"],
    references=(_MODEL_SIGNING,),
)
def model_artifact_signature_verifies(
    model: MlModel, artifacts: Sequence[AzureBlobModelArtifact], endpoints: Sequence[MlOnlineEndpoint] = ()
) -> Result:
    """A signature binds the model files to who produced them: a blob replaced after training no
    longer verifies. Read with --inspect-artifacts and a signing key, certificate chain or Sigstore
    identity; under a signing policy (--require-signed-models all, or served: model versions an
    online deployment of the scanned endpoints names) a model version without a signature fails."""
    return signature_verifies(model, (), artifacts, served=_served(model, endpoints))


def _served(model: MlModel, endpoints: Sequence[MlOnlineEndpoint]) -> bool:
    """Whether an online deployment names the model version (by ARM id or ``azureml:name:version``)."""
    names = {model.uid.lower(), f"azureml:{model.model_name}:{model.version}".lower()}
    return any((d.model or "").lower() in names for e in endpoints for d in (e.deployments or ()))
