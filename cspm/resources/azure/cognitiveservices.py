"""Azure AI Services snapshots (``Microsoft.CognitiveServices``): accounts of every kind (AIServices,
OpenAI, the single-service kinds) and their model deployments, with the content filters (RAI
policies) the deployments use and the account's diagnostic settings.

Read at ARM API version 2024-10-01 (accounts, deployments, RAI policies) and 2021-05-01-preview
(diagnostic settings). ARM omits a property that was never set; the collector maps the omission
to the documented default noted on each field. A field read by a second call is ``None`` when
that call failed.
"""

from __future__ import annotations

from typing import ClassVar

from cspm.resources.azure.identity import NO_IDENTITY, ManagedIdentity
from cspm.resources.azure.monitor import DiagnosticSetting
from cspm.resources.azure.network import PrivateEndpointConnection
from cspm.resources.base import Resource, Snapshot


class ContentFilter(Snapshot):
    """One entry of a RAI policy's ``contentFilters``."""

    name: str  # Hate | Sexual | Violence | Selfharm | Jailbreak | Indirect Attack | Protected Material ...
    source: str  # Prompt | Completion
    enabled: bool  # not set = false
    blocking: bool  # not set = false
    severity_threshold: str | None = None  # Low | Medium | High (the harm categories only)


class RaiPolicy(Snapshot):
    """One RAI policy (content filter configuration) of an account (``accounts/raiPolicies``)."""

    name: str
    policy_type: str  # SystemManaged (Microsoft.Default, Microsoft.DefaultV2) | UserManaged
    mode: str | None = None  # Default | Deferred | Blocking | Asynchronous_filter
    base_policy: str | None = None
    content_filters: tuple[ContentFilter, ...] = ()
    blocklists: tuple[str, ...] = ()  # custom blocklists the policy applies

    def filter(self, name: str, source: str) -> ContentFilter | None:
        for f in self.content_filters:
            if f.name.lower() == name.lower() and f.source.lower() == source.lower():
                return f
        return None


class AiServicesAccount(Resource):
    """One Azure AI Services / Azure OpenAI account. ``account`` is the subscription id."""

    resource_type: ClassVar[str] = "azure.cognitiveservices.account"

    resource_group: str
    kind: str  # AIServices | OpenAI | CognitiveServices | TextAnalytics | ...
    sku: str | None = None
    endpoint: str | None = None
    local_auth_enabled: bool  # not disableLocalAuth; not set = keys accepted
    # publicNetworkAccess: Enabled | Disabled; not set = Enabled (governed by networkAcls alone)
    public_network_access: str
    network_default_action: str  # networkAcls.defaultAction; no networkAcls = Allow (every network)
    network_ip_rules: tuple[str, ...] = ()
    network_vnet_rule_count: int = 0
    network_bypass: str | None = None  # AzureServices | None
    private_endpoint_connections: tuple[PrivateEndpointConnection, ...] = ()
    key_source: str  # encryption.keySource: Microsoft.KeyVault | Microsoft.CognitiveServices; not set = the latter
    key_vault_key: str | None = None  # encryption.keyVaultProperties.keyName
    key_vault_uri: str | None = None  # encryption.keyVaultProperties.keyVaultUri
    identity: ManagedIdentity = NO_IDENTITY
    restrict_outbound: bool  # restrictOutboundNetworkAccess; not set = false
    allowed_fqdns: tuple[str, ...] = ()  # allowedFqdnList
    user_owned_storage: tuple[str, ...] = ()  # userOwnedStorage[].resourceId
    capabilities: tuple[str, ...] = ()  # capabilities[].name (VirtualNetworks, CustomerManagedKey, ...)
    rai_policies: tuple[RaiPolicy, ...] | None = None  # None: could not be listed
    diagnostic_settings: tuple[DiagnosticSetting, ...] | None = None  # None: could not be listed


# A deployment that names no RAI policy gets the default content filter (Microsoft.DefaultV2 for
# accounts created since it was introduced; Microsoft.Default before).
DEFAULT_RAI_POLICY = "Microsoft.DefaultV2"


class AiDeployment(Resource):
    """One model deployment of an AI Services account (``accounts/deployments``)."""

    resource_type: ClassVar[str] = "azure.cognitiveservices.deployment"

    account_id: str  # the AI Services account's resource id
    account_name: str
    model_format: str | None = None  # OpenAI | Microsoft | Meta | ...
    model_name: str | None = None
    model_version: str | None = None
    model_source: str | None = None  # model.source: a resource id for fine-tuned / project models
    sku: str | None = None  # Standard | GlobalStandard | ProvisionedManaged | ...
    capacity: int | None = None
    version_upgrade_option: str | None = None
    rai_policy_name: str | None = None  # raiPolicyName as set; None = not set (the default filter)
    # The policy, resolved among the account's RAI policies. None: not resolvable (see rai_policy_state).
    rai_policy: RaiPolicy | None = None
    # found | missing (named but not among the account's policies) | unreadable (the policies could not be listed)
    rai_policy_state: str

    @property
    def effective_rai_policy_name(self) -> str:
        return self.rai_policy_name or DEFAULT_RAI_POLICY
