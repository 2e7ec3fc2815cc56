"""Azure AI Services (Microsoft.CognitiveServices): accounts, their model deployments, RAI
policies (content filters) and diagnostic settings.

Requests per subscription: Accounts_List (one per page). Per account: Deployments_List,
RaiPolicies_List and DiagnosticSettings_List (one per page each). So 1 + 3 per account, whatever
the account holds (docs/azure-gcp.md, "What is read"; asserted in
tests/providers/azure/test_cognitiveservices.py).

No management SDK: the calls are plain ARM GETs through azure-mgmt-core's pipeline
(``ctx.client("arm")``, :class:`cspm.providers.azure.context.ArmJson`), which signs, retries,
bounds and guards them like the SDK clients. azure-mgmt-cognitiveservices and azure-mgmt-monitor
would add two packages and their import time for four GETs (docs/azure-ai-controls.md, "Cost").
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import Any, Final

from cspm.providers.azure.arm import (
    DIAGNOSTICS_API_VERSION,
    diagnostic_setting_from_arm,
    diagnostic_settings_path,
    identity_from_arm,
    private_endpoint_from_arm,
)
from cspm.providers.azure.context import AzureContext, resource_group_of
from cspm.providers.base import ServiceSpec
from cspm.resources.azure.cognitiveservices import (
    AiDeployment,
    AiServicesAccount,
    ContentFilter,
    DiagnosticSetting,
    RaiPolicy,
)
from cspm.resources.base import Resource

API_VERSION: Final = "2024-10-01"
ACCOUNTS: Final = "Microsoft.CognitiveServices/accounts"

PERMISSIONS = (
    "Microsoft.CognitiveServices/accounts/read",
    "Microsoft.CognitiveServices/accounts/deployments/read",
    "Microsoft.CognitiveServices/accounts/raiPolicies/read",
    "Microsoft.Insights/diagnosticSettings/read",
)

# ARM answers this for a subscription that never used AI Services: no account exists there.
NOTHING_HERE = {"MissingSubscriptionRegistration"}
# Built-in content filters, in the order a deployment naming none falls back to them.
DEFAULT_POLICIES: Final = ("Microsoft.DefaultV2", "Microsoft.Default")


def collect(ctx: AzureContext) -> Iterator[Resource]:
    arm = ctx.client("arm")
    items = ctx.list_items(
        arm.list,
        f"/subscriptions/{ctx.subscription}/providers/{ACCOUNTS}",
        API_VERSION,
        operation="Accounts_List",
        absent=NOTHING_HERE,
        affects=(AiServicesAccount, AiDeployment),
    )
    if items is None:
        return
    yield from chain.from_iterable(ctx.map(lambda raw: _account_and_deployments(ctx, arm, raw), items))


def _account_and_deployments(ctx: AzureContext, arm: Any, raw: dict[str, Any]) -> list[Resource]:
    account_id = str(raw.get("id") or "")
    resource_group = resource_group_of(account_id)
    if resource_group is None:
        ctx.error(
            "Accounts_List",
            "MalformedResourceId",
            f"no resource group in the account id {account_id!r}",
            affects=(AiServicesAccount, AiDeployment),
        )
        return []
    policies = ctx.list_items(arm.list, f"{account_id}/raiPolicies", API_VERSION, operation="RaiPolicies_List")
    diagnostics = ctx.list_items(
        arm.list,
        diagnostic_settings_path(account_id),
        DIAGNOSTICS_API_VERSION,
        operation="DiagnosticSettings_List",
    )
    account = account_from_arm(
        raw,
        ctx.subscription,
        resource_group,
        rai_policies=None if policies is None else tuple(rai_policy_from_arm(p) for p in policies),
        diagnostic_settings=None if diagnostics is None else tuple(diagnostic_setting_from_arm(d) for d in diagnostics),
        location=ctx.saw_location(raw.get("location")),
    )
    deployments = ctx.list_items(
        arm.list,
        f"{account_id}/deployments",
        API_VERSION,
        operation="Deployments_List",
        affects=(AiDeployment,),
    )
    return [account, *(deployment_from_arm(d, account) for d in deployments or ())]


# ---------------------------------------------------------------------------------------------
# ARM JSON -> snapshot (pure; absent properties mapped to the documented defaults)
# ---------------------------------------------------------------------------------------------


def account_from_arm(
    raw: dict[str, Any],
    subscription: str,
    resource_group: str,
    *,
    rai_policies: tuple[RaiPolicy, ...] | None,
    diagnostic_settings: tuple[DiagnosticSetting, ...] | None,
    location: str,
) -> AiServicesAccount:
    props: dict[str, Any] = raw.get("properties") or {}
    acls: dict[str, Any] = props.get("networkAcls") or {}
    encryption: dict[str, Any] = props.get("encryption") or {}
    key_source = encryption.get("keySource") or "Microsoft.CognitiveServices"
    cmk = key_source.lower() == "microsoft.keyvault"
    vault: dict[str, Any] = encryption.get("keyVaultProperties") or {}
    return AiServicesAccount(
        uid=raw["id"],
        name=raw.get("name", ""),
        account=subscription,
        region=location,
        tags=dict(raw.get("tags") or {}),
        resource_group=resource_group,
        kind=raw.get("kind") or "Unknown",
        sku=(raw.get("sku") or {}).get("name"),
        endpoint=props.get("endpoint"),
        local_auth_enabled=props.get("disableLocalAuth") is not True,
        public_network_access=props.get("publicNetworkAccess") or "Enabled",
        network_default_action=acls.get("defaultAction") or "Allow",
        network_ip_rules=tuple(str(r.get("value")) for r in acls.get("ipRules") or () if isinstance(r, dict)),
        network_vnet_rule_count=len(acls.get("virtualNetworkRules") or ()),
        network_bypass=acls.get("bypass"),
        private_endpoint_connections=tuple(
            private_endpoint_from_arm(pec) for pec in props.get("privateEndpointConnections") or ()
        ),
        key_source=key_source,
        key_vault_key=vault.get("keyName") if cmk else None,
        key_vault_uri=vault.get("keyVaultUri") if cmk else None,
        identity=identity_from_arm(raw.get("identity")),
        restrict_outbound=props.get("restrictOutboundNetworkAccess") is True,
        allowed_fqdns=tuple(str(f) for f in props.get("allowedFqdnList") or ()),
        user_owned_storage=tuple(
            str(s.get("resourceId")) for s in props.get("userOwnedStorage") or () if isinstance(s, dict)
        ),
        capabilities=tuple(str(c.get("name")) for c in props.get("capabilities") or () if isinstance(c, dict)),
        rai_policies=rai_policies,
        diagnostic_settings=diagnostic_settings,
    )


def rai_policy_from_arm(raw: dict[str, Any]) -> RaiPolicy:
    props: dict[str, Any] = raw.get("properties") or {}
    return RaiPolicy(
        name=raw.get("name", ""),
        policy_type=props.get("type") or "UserManaged",
        mode=props.get("mode"),
        base_policy=props.get("basePolicyName"),
        content_filters=tuple(
            ContentFilter(
                name=str(f.get("name") or ""),
                source=str(f.get("source") or ""),
                enabled=f.get("enabled") is True,
                blocking=f.get("blocking") is True,
                severity_threshold=f.get("severityThreshold"),
            )
            for f in props.get("contentFilters") or ()
            if isinstance(f, dict)
        ),
        blocklists=tuple(
            str(b.get("blocklistName")) for b in props.get("customBlocklists") or () if isinstance(b, dict)
        ),
    )


def resolve_rai_policy(name: str | None, policies: tuple[RaiPolicy, ...] | None) -> tuple[RaiPolicy | None, str]:
    """(the policy, its state): ``found``, ``missing`` (named, or the defaults, not among the
    account's policies) or ``unreadable`` (the policies could not be listed). Names compare
    case-insensitively, as ARM resource names do."""
    if policies is None:
        return None, "unreadable"
    by_name = {p.name.lower(): p for p in policies}
    for candidate in (name,) if name else DEFAULT_POLICIES:
        policy = by_name.get(candidate.lower())
        if policy is not None:
            return policy, "found"
    return None, "missing"


def deployment_from_arm(raw: dict[str, Any], account: AiServicesAccount) -> AiDeployment:
    props: dict[str, Any] = raw.get("properties") or {}
    model: dict[str, Any] = props.get("model") or {}
    sku: dict[str, Any] = raw.get("sku") or {}
    name = props.get("raiPolicyName") or None
    policy, state = resolve_rai_policy(name, account.rai_policies)
    return AiDeployment(
        uid=raw["id"],
        name=raw.get("name", ""),
        account=account.account,
        region=account.region,
        account_id=account.uid,
        account_name=account.name,
        model_format=model.get("format"),
        model_name=model.get("name"),
        model_version=model.get("version"),
        model_source=model.get("source"),
        sku=sku.get("name"),
        capacity=sku.get("capacity") if isinstance(sku.get("capacity"), int) else None,
        version_upgrade_option=props.get("versionUpgradeOption"),
        rai_policy_name=name,
        rai_policy=policy,
        rai_policy_state=state,
    )


SERVICE = ServiceSpec(
    name="cognitiveservices",
    produces=(AiServicesAccount, AiDeployment),
    regional=False,
    permissions=PERMISSIONS,
    collect=collect,
)
