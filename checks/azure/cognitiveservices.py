"""Azure AI Services / Azure OpenAI checks: authentication, network isolation, keys, identity,
outbound restriction and audit logs of accounts; the content filters (RAI policies) of model
deployments.

Compliance ids are the Azure Policy built-in definition ids behind the Defender for Cloud
recommendations (``azure-policy``) and Microsoft cloud security benchmark controls (``mcsb``);
docs/azure-ai-controls.md maps every Defender AI recommendation.
"""

from __future__ import annotations

from collections.abc import Sequence

from cspm.checks.azure import _rbac
from cspm.checks.azure._monitor import diagnostics_verdict
from cspm.checks.azure._network import private_endpoint_verdict
from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.azure.authorization import RbacPrincipal
from cspm.resources.azure.cognitiveservices import AiDeployment, AiServicesAccount, RaiPolicy
from cspm.resources.azure.monitor import DiagnosticSetting

_POLICY = "https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Cognitive%20Services"
POLICY_LOCAL_AUTH = f"{_POLICY}/CognitiveServices_DisableLocalAuth_Audit.json"
POLICY_PUBLIC_NETWORK = f"{_POLICY}/CognitiveServices_DisablePublicNetworkAccess_Audit.json"
POLICY_NETWORK_ACLS = f"{_POLICY}/CognitiveServices_NetworkAcls_Audit.json"
POLICY_PRIVATE_LINK = f"{_POLICY}/CognitiveServices_EnablePrivateEndpoints_Audit.json"
POLICY_CMK = f"{_POLICY}/CognitiveServices_CustomerManagedKey_Audit.json"
POLICY_IDENTITY = f"{_POLICY}/CognitiveServices_ManagedIdentity_Audit.json"
POLICY_PROMPT_CONTROL = f"{_POLICY}/AllowDeploymentPromptControl_Audit.json"
POLICY_SEVERITY_CONTROL = f"{_POLICY}/AllowDeploymentMultiSeverityControl_Audit.json"
POLICY_DIAGNOSTICS = (
    "https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/"
    "Azure%20Ai%20Services/DiagnosticLogs_Audit.json"
)
_LEARN = "https://learn.microsoft.com/en-us/azure/ai-services"
DISABLE_LOCAL_AUTH = f"{_LEARN}/disable-local-auth"
VIRTUAL_NETWORKS = f"{_LEARN}/cognitive-services-virtual-networks"
DATA_LOSS_PREVENTION = f"{_LEARN}/cognitive-services-data-loss-prevention"
DIAGNOSTIC_LOGGING = f"{_LEARN}/diagnostic-logging"
CMK = f"{_LEARN}/encryption/cognitive-services-encryption-keys-portal"
MANAGED_IDENTITY = f"{_LEARN}/openai/how-to/managed-identity"
CONTENT_FILTER = f"{_LEARN}/openai/concepts/content-filter"
PROMPT_SHIELDS = f"{_LEARN}/content-safety/concepts/jailbreak-detection"
RBAC_BEST_PRACTICES = "https://learn.microsoft.com/en-us/azure/role-based-access-control/best-practices"

VIRTUAL_NETWORKS_CAPABILITY = "VirtualNetworks"
CMK_CAPABILITY = "CustomerManagedKey"
HARM_CATEGORIES = ("Hate", "Sexual", "Violence", "Selfharm")
# A harm filter's severityThreshold is the lowest severity it acts on: Low filters low, medium
# and high; High filters only high. The default content filter uses Medium.
STRICT_ENOUGH = frozenset({"low", "medium"})


def _lacks(account: AiServicesAccount, capability: str) -> bool:
    """The account lists its capabilities and ``capability`` is not among them (the policies
    assess only accounts with it)."""
    return bool(account.capabilities) and capability not in account.capabilities


@check(
    title="AI Services account has key access (local authentication) disabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Set disableLocalAuth to true "
    "(az resource update --ids <account> --set properties.disableLocalAuth=true) "
    "and give callers Entra ID roles such as Cognitive Services OpenAI User.",
    compliance={"azure-policy": ["71ef260a-8f18-47b7-abcb-62d0673d94dc"], "mcsb": ["IM-1"]},
    attack=["AML.T0012", "AML.T0055"],
    references=(POLICY_LOCAL_AUTH, DISABLE_LOCAL_AUTH),
)
def account_disables_local_auth(account: AiServicesAccount) -> Result:
    """An account key works for anyone who holds it, from anywhere the network allows, and names
    no one in the logs. With local authentication disabled Microsoft Entra ID is the only way
    in, so access follows role assignments (Azure Policy 71ef260a; Defender for Cloud: "Azure AI
    Services resources should have key access disabled"). Not set means keys are accepted."""
    if account.local_auth_enabled:
        return failed("Account keys are accepted (disableLocalAuth is not true).", evidence={"kind": account.kind})
    return passed("Only Microsoft Entra ID authentication is accepted.")


@check(
    title="AI Services account disables public network access",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Set publicNetworkAccess to Disabled and reach the account through an approved private endpoint.",
    compliance={"azure-policy": ["0725b4dd-7e76-479c-a735-68e7ee23d5ca"], "mcsb": ["NS-2"]},
    attack=["AML.T0049", "AML.T0040"],
    references=(POLICY_PUBLIC_NETWORK, VIRTUAL_NETWORKS),
)
def account_disables_public_network_access(account: AiServicesAccount) -> Result:
    """With public network access disabled the account "isn't exposed on the public internet":
    only private endpoints reach it (Azure Policy 0725b4dd, which assesses accounts with the
    VirtualNetworks capability). Not set counts as Enabled, as in the policy's rule."""
    if _lacks(account, VIRTUAL_NETWORKS_CAPABILITY):
        return not_applicable("This kind of account has no network controls (no VirtualNetworks capability).")
    if account.public_network_access == "Disabled":
        return passed("Public network access is disabled.")
    return failed(
        f"Public network access is {account.public_network_access}.",
        evidence={"public_network_access": account.public_network_access, "ip_rules": list(account.network_ip_rules)},
    )


@check(
    title="AI Services account denies network access by default",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Set networkAcls.defaultAction to Deny and allow only the virtual networks and IP ranges that need it.",
    compliance={"azure-policy": ["037eea7a-bd0a-46c5-9a66-03aea78705d3"], "mcsb": ["NS-2"]},
    attack=["AML.T0049", "AML.T0040"],
    references=(POLICY_NETWORK_ACLS, VIRTUAL_NETWORKS),
)
def account_restricts_network_access(account: AiServicesAccount) -> Result:
    """Network rules with default action Deny let "only applications from allowed networks" in
    (Azure Policy 037eea7a; Defender for Cloud: "Azure AI Services resources should restrict
    network access"). With public network access Disabled no public network gets in whatever
    the rules say, so that passes too (the policy itself reads the default action alone). No
    networkAcls means every network is allowed."""
    if _lacks(account, VIRTUAL_NETWORKS_CAPABILITY):
        return not_applicable("This kind of account has no network controls (no VirtualNetworks capability).")
    evidence = {
        "default_action": account.network_default_action,
        "public_network_access": account.public_network_access,
    }
    if account.network_default_action == "Deny":
        return passed(
            "Network rules deny by default.", evidence={**evidence, "ip_rules": list(account.network_ip_rules)}
        )
    if account.public_network_access == "Disabled":
        return passed("Public network access is disabled; the default action has no effect.", evidence=evidence)
    return failed("Every network may reach the account (default action Allow).", evidence=evidence)


@check(
    title="AI Services account is reached through an approved private endpoint",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Create a private endpoint for the account (sub-resource 'account') and approve its connection.",
    compliance={"azure-policy": ["cddd188c-4b82-4c48-a19d-ddf74ee66a01"], "mcsb": ["NS-2"]},
    attack=["AML.T0025"],
    references=(POLICY_PRIVATE_LINK, VIRTUAL_NETWORKS),
)
def account_uses_private_endpoint(account: AiServicesAccount) -> Result:
    """A private endpoint connects your virtual network to the account over the Azure backbone,
    without a public IP address, so public access can be disabled. As in Azure Policy cddd188c,
    only Approved connections count: a Pending connection carries no traffic yet and a Rejected
    or Disconnected one none at all."""
    if _lacks(account, VIRTUAL_NETWORKS_CAPABILITY):
        return not_applicable("This kind of account has no network controls (no VirtualNetworks capability).")
    return private_endpoint_verdict(account.private_endpoint_connections)


@check(
    title="AI Services account encrypts data with a customer-managed key",
    severity=Severity.LOW,
    baseline=Baseline.ENCRYPTION,
    remediation="Encrypt the account with a key in your Key Vault (encryption.keySource Microsoft.KeyVault) "
    "when compliance requires key control.",
    compliance={"azure-policy": ["67121cc7-ff39-4ab8-b7e3-95b84dab487d"], "mcsb": ["DP-5"]},
    attack=["AML.T0035"],
    references=(POLICY_CMK, CMK),
)
def account_encrypted_with_cmk(account: AiServicesAccount) -> Result:
    """Data at rest (fine-tuning files, uploaded data, stored completions) is always encrypted;
    a customer-managed key gives you "full control and responsibility for the key lifecycle"
    (Azure Policy 67121cc7). Defender for Cloud marks this recommendation "enable if required",
    hence low. Assessed for accounts with the CustomerManagedKey capability, as in the policy."""
    if _lacks(account, CMK_CAPABILITY):
        return not_applicable("This kind of account does not support customer-managed keys.")
    if account.key_source.lower() == "microsoft.keyvault":
        return passed("Encrypted with a customer-managed key.", evidence={"key": account.key_vault_key})
    return failed("Encrypted with Microsoft-managed keys.", evidence={"key_source": account.key_source})


@check(
    title="AI Services account uses a managed identity",
    severity=Severity.LOW,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Enable a system- or user-assigned managed identity on the account and grant it what it reaches "
    "(Key Vault keys, storage) instead of keys or connection strings.",
    compliance={"azure-policy": ["fe3fd216-4f83-4fc1-8984-2bbec80a3418"], "mcsb": ["IM-3"]},
    attack=["AML.T0055"],
    references=(POLICY_IDENTITY, MANAGED_IDENTITY),
)
def account_uses_managed_identity(account: AiServicesAccount) -> Result:
    """A managed identity lets the account reach Key Vault, storage and search "without you
    having to manage any credentials" (Azure Policy fe3fd216). Not set means none."""
    if account.identity.enabled:
        return passed(
            f"Managed identity: {account.identity.type}.", evidence={"principals": list(account.identity.principal_ids)}
        )
    return failed("The account has no managed identity.")


@check(
    title="AI Services account restricts outbound network access",
    fail_title="AI Services account does not restrict outbound network access",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Set restrictOutboundNetworkAccess to true and list only the hosts the account must reach in "
    "allowedFqdnList.",
    compliance={"nist-800-53-r5": ["SC-7(5)", "AC-4"]},
    attack=["AML.T0025"],
    references=(DATA_LOSS_PREVENTION,),
)
def account_restricts_outbound_access(account: AiServicesAccount) -> Result:
    """Data loss prevention for AI Services: with restrictOutboundNetworkAccess the service may
    call out only to the FQDNs in allowedFqdnList (features such as "bring your own data" or
    web fetches otherwise reach any URL a request names). No Azure Policy built-in audits it.
    Not set means outbound is unrestricted."""
    if not account.restrict_outbound:
        return failed("Outbound network access is not restricted.")
    return passed(
        f"Outbound access is limited to {len(account.allowed_fqdns)} FQDN(s).",
        evidence={"allowed_fqdns": list(account.allowed_fqdns)},
    )


@check(
    title="AI Services account sends audit logs to a destination",
    severity=Severity.MEDIUM,
    baseline=Baseline.LOGGING,
    remediation="Add a diagnostic setting that sends the Audit category (or the audit / allLogs group) to a "
    "Log Analytics workspace, storage account or event hub; keep a year.",
    compliance={"azure-policy": ["1b4d1c4e-934c-4703-944c-27c82c06bebb"], "mcsb": ["LT-3"]},
    attack=["AML.T0040"],
    references=(POLICY_DIAGNOSTICS, DIAGNOSTIC_LOGGING),
)
def account_sends_audit_logs(account: AiServicesAccount) -> Result:
    """Resource logs "recreate activity trails for investigation purposes, when a security
    incident occurs" (Azure Policy 1b4d1c4e; Defender for Cloud: "Diagnostic logs in Azure AI
    services resources should be enabled"). The policy is satisfied by any enabled log; this
    check asks for the Audit category (who called which key and endpoint) sent somewhere."""
    return diagnostics_verdict(account.diagnostic_settings, _sends_audit_logs, "audit logs", "account")


def _sends_audit_logs(setting: DiagnosticSetting) -> bool:
    return setting.sends_audit_logs


@check(
    title="AI Services account's managed identity holds no privileged role on the subscription",
    fail_title="AI Services account's managed identity holds a privileged role on the subscription",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Give the account's identity only the data roles it needs (Key Vault Crypto Service Encryption "
    "User on its key, Storage Blob Data Reader on its data) at those resources.",
    compliance={"mcsb": ["PA-7", "IM-3"], "nist-800-53-r5": ["AC-6"]},
    attack=["AML.T0012"],
    references=(RBAC_BEST_PRACTICES, MANAGED_IDENTITY),
)
def account_identity_is_not_privileged(account: AiServicesAccount, principals: Sequence[RbacPrincipal]) -> Result:
    """The account's managed identity acts for everyone who can call the account (with keys, or
    any Entra identity with a data role). With Owner, Contributor or an access-admin role on the
    subscription, a prompt that reaches a tool or data connector, or anyone holding an account
    key, borrows those rights. ERROR when role assignments could not be read."""
    return _rbac.identity_verdict(account.identity, principals, "account")


# ---------------------------------------------------------------------------------------------
# Deployments
# ---------------------------------------------------------------------------------------------


def _policy(deployment: AiDeployment) -> RaiPolicy | Result:
    """The deployment's content filter, or the verdict when it cannot be judged: ERROR when the
    account's policies could not be read, FAIL when the named policy does not exist."""
    name = deployment.effective_rai_policy_name
    if deployment.rai_policy_state == "unreadable":
        return unknown(f"The account's RAI policies could not be read to resolve {name}.")
    if deployment.rai_policy is None:
        return failed(
            f"The deployment names the content filter {name!r}, which the account does not have.",
            evidence={"rai_policy": name, "rai_policy_state": deployment.rai_policy_state},
        )
    return deployment.rai_policy


@check(
    title="AI model deployment filters harmful content at medium severity or stricter",
    fail_title="AI model deployment does not filter harmful content at medium severity or stricter",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Attach a content filter (RAI policy) whose Hate, Sexual, Violence and Self-harm filters are "
    "enabled and blocking at Medium or Low on prompts and completions.",
    compliance={"azure-policy": ["930f48f9-f07e-427c-9494-52603581c6a9"], "nist-800-53-r5": ["SI-10", "SI-15"]},
    attack=["AML.T0054"],
    references=(POLICY_SEVERITY_CONTROL, CONTENT_FILTER),
)
def deployment_filters_harmful_content(deployment: AiDeployment) -> Result:
    """The content filtering system runs prompts and completions through classifiers for hate,
    sexual, violence and self-harm; a filter's threshold is the lowest severity it blocks, and
    the default configuration blocks Medium and High. A filter that is off, only annotates
    (not blocking), or acts on High only lets more harmful content through. Azure Policy
    930f48f9 (preview) audits the same fields with a configurable allowed set. A deployment that
    names no policy gets the default filter; one naming a policy the account lacks fails."""
    policy = _policy(deployment)
    if isinstance(policy, Result):
        return policy
    weak = [
        f"{source}/{category}"
        for source in ("Prompt", "Completion")
        for category in HARM_CATEGORIES
        if not _strict(policy, category, source)
    ]
    if weak:
        return failed(
            f"Content filter {policy.name} is off, not blocking or lenient for: {', '.join(weak)}.",
            evidence={"rai_policy": policy.name, "weak": weak},
        )
    return passed(f"Content filter {policy.name} blocks harmful content at Medium or stricter.")


def _strict(policy: RaiPolicy, category: str, source: str) -> bool:
    entry = policy.filter(category, source)
    return (
        entry is not None
        and entry.enabled
        and entry.blocking
        and (entry.severity_threshold or "").lower() in STRICT_ENOUGH
    )


@check(
    title="AI model deployment blocks jailbreak attempts (prompt shields)",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Enable the Jailbreak (prompt shield) filter on prompts, in blocking mode, in the deployment's "
    "content filter; consider Indirect Attack for documents and tool output.",
    compliance={"azure-policy": ["f3a9c2e0-7b4d-4d8f-9c3a-2e1f6b9a8d4e"], "nist-800-53-r5": ["SI-10"]},
    attack=["AML.T0051", "AML.T0054"],
    references=(POLICY_PROMPT_CONTROL, PROMPT_SHIELDS, CONTENT_FILTER),
)
def deployment_blocks_prompt_attacks(deployment: AiDeployment) -> Result:
    """Prompt shields detect user prompts that try to make the model break its rules (jailbreaks)
    before the model sees them; the Jailbreak filter must be enabled and blocking on the prompt
    (Azure Policy f3a9c2e0, preview, filterName Jailbreak). Microsoft.Default has it off;
    Microsoft.DefaultV2 has it on. A deployment naming a policy the account lacks fails."""
    policy = _policy(deployment)
    if isinstance(policy, Result):
        return policy
    jailbreak = policy.filter("Jailbreak", "Prompt")
    indirect = policy.filter("Indirect Attack", "Prompt")
    evidence = {"rai_policy": policy.name, "indirect_attack": bool(indirect and indirect.enabled and indirect.blocking)}
    if jailbreak is not None and jailbreak.enabled and jailbreak.blocking:
        return passed(f"Content filter {policy.name} blocks jailbreak attempts.", evidence=evidence)
    state = "missing" if jailbreak is None else ("not blocking" if jailbreak.enabled else "off")
    return failed(f"The Jailbreak filter of {policy.name} is {state}.", evidence=evidence)
