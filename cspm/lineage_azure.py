"""Azure in the AI lineage graph: one handler per resource type (docs/lineage.md, "Azure").

The graph, its nodes, relations and the severity rule are :mod:`cspm.lineage`'s; this module
only says which fields of the Azure snapshots are references::

    AI Services account ─hosts→ deployment ─filtered_by→ RAI policy;  deployment ─loads→ model
    AI Services account ─stores_in→ user-owned storage account;  ─encrypted_by→ key vault;  ─runs_as→ identity
    ML workspace ─stores_in→ default storage account;  ─secrets_in→ key vault;  ─runs_as→ identity
    AI Foundry project ─in_hub→ hub
    online endpoint ─in_workspace→ workspace;  ─loads→ model asset ─in_registry→ registry;  ─runs_as→ identity

A managed identity is the ``azure.authorization.principal`` of its object id when RBAC was read
(so its roles are one hop away), else a synthetic node. A reference the scan cannot resolve keeps
its edge, unresolved, with the reason: a RAI policy a deployment names that the account does not
have, a storage account or registry outside the scan, a type that was not collected.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from cspm.lineage import ENCRYPTED_BY, HOSTS, LOADS, RUNS_AS
from cspm.resources.azure.cognitiveservices import AiDeployment, AiServicesAccount
from cspm.resources.azure.identity import ManagedIdentity
from cspm.resources.azure.ml import MlOnlineEndpoint, MlWorkspace
from cspm.resources.base import Resource

if TYPE_CHECKING:
    from cspm.lineage import _Builder

STORAGE_ACCOUNT = "azure.storage.account"
KEY_VAULT = "azure.keyvault.vault"
PRINCIPAL = "azure.authorization.principal"
RAI_POLICY = "azure.cognitiveservices.rai_policy"  # a content filter of an account (synthetic node)
FOUNDATION_MODEL = "azure.cognitiveservices.model"  # a model an AI Services deployment serves (synthetic)
ML_MODEL = "azure.ml.model"  # a model asset an online deployment loads (synthetic)
REGISTRY = "azure.ml.registry"
WORKSPACE = "azure.ml.workspace"
AI_TYPE_PREFIXES = ("azure.ml.", "azure.cognitiveservices.")

FILTERED_BY = "filtered_by"  # AI Services deployment -> RAI policy
STORES_IN = "stores_in"  # workspace / AI Services account -> storage account
IN_WORKSPACE = "in_workspace"  # online endpoint -> workspace
IN_HUB = "in_hub"  # AI Foundry project -> hub
IN_REGISTRY = "in_registry"  # model asset -> ML registry
SECRETS_IN = "secrets_in"  # workspace -> the key vault holding its secrets

_REGISTRY_MODEL = re.compile(r"^azureml://registries/(?P<registry>[^/]+)/models/(?P<model>[^/]+)", re.IGNORECASE)


def _resolved_or_missing(
    b: _Builder, referrer: Resource, target: str, rtype: str, relation: str, api_field: str
) -> None:
    """An edge to the ARM resource ``target``: resolved when the scan holds it."""
    found = b.azure.get(target.lower())
    if found is not None:
        b._edge(referrer.uid, b._resource_node(found), relation, api_field)
        return
    b._node(target, rtype, target.rsplit("/", 1)[-1], _subscription_of(target), None)
    what = f"{rtype.rsplit('.', 1)[-1].replace('_', ' ')} {target.rsplit('/', 1)[-1]}"
    reason = b.coverage.missing(rtype, what, (_subscription_of(target), None), referrer)
    b._edge(referrer.uid, target, relation, api_field, reason)


def _subscription_of(resource_id: str) -> str | None:
    parts = resource_id.split("/")
    return parts[2] if len(parts) > 2 and parts[1].lower() == "subscriptions" else None


def _identity(b: _Builder, referrer: Resource, identity: ManagedIdentity) -> None:
    for principal_id in identity.principal_ids:
        node = f"/subscriptions/{referrer.account}/providers/Microsoft.Authorization/principals/{principal_id.lower()}"
        found = b.azure.get(node.lower())
        if found is not None:
            b._edge(referrer.uid, b._resource_node(found), RUNS_AS, "identity.principalId")
        else:  # RBAC not read, or the identity holds no role here: the identity is still the one it runs as
            b._node(node, PRINCIPAL, principal_id, referrer.account, None)
            b._edge(referrer.uid, node, RUNS_AS, "identity.principalId")


def _ai_account(b: _Builder, account: Resource) -> None:
    assert isinstance(account, AiServicesAccount)
    _identity(b, account, account.identity)
    for storage in account.user_owned_storage:
        _resolved_or_missing(b, account, storage, STORAGE_ACCOUNT, STORES_IN, "userOwnedStorage[].resourceId")
    if account.key_vault_uri:
        _vault_by_uri(b, account, account.key_vault_uri)


def _vault_by_uri(b: _Builder, referrer: Resource, uri: str) -> None:
    """The key vault of a customer-managed key, named by its URI (``https://NAME.vault.azure.net/``)."""
    wanted = uri.rstrip("/").lower()
    for resource in b.azure.values():
        if (
            resource.resource_type == KEY_VAULT
            and (getattr(resource, "vault_uri", None) or "").rstrip("/").lower() == wanted
        ):
            b._edge(referrer.uid, b._resource_node(resource), ENCRYPTED_BY, "encryption.keyVaultProperties.keyVaultUri")
            return
    b._node(uri, KEY_VAULT, uri, None, None)
    what = f"key vault {uri}"
    reason = b.coverage.missing(KEY_VAULT, what, (None, None), referrer)
    b._edge(referrer.uid, uri, ENCRYPTED_BY, "encryption.keyVaultProperties.keyVaultUri", reason)


def _ai_deployment(b: _Builder, deployment: Resource) -> None:
    assert isinstance(deployment, AiDeployment)
    found = b.azure.get(deployment.account_id.lower())
    if found is not None:
        b._edge(b._resource_node(found), deployment.uid, HOSTS, "accounts/deployments")
    name = deployment.effective_rai_policy_name
    policy = f"{deployment.account_id}/raiPolicies/{name}"
    b._node(policy, RAI_POLICY, name, deployment.account, deployment.region)
    reason = {
        "missing": f"RAI policy {name} does not exist in the account",
        "unreadable": f"RAI policy {name} cannot be resolved: the account's RAI policies could not be listed",
    }.get(deployment.rai_policy_state)
    b._edge(deployment.uid, policy, FILTERED_BY, "properties.raiPolicyName", reason)
    if deployment.model_name:
        model = f"{deployment.model_format or 'model'}/{deployment.model_name}/{deployment.model_version or ''}"
        b._node(model, FOUNDATION_MODEL, model, None, None)
        b._edge(deployment.uid, model, LOADS, "properties.model")


def _workspace(b: _Builder, workspace: Resource) -> None:
    assert isinstance(workspace, MlWorkspace)
    _identity(b, workspace, workspace.identity)
    if workspace.storage_account_id:
        _resolved_or_missing(b, workspace, workspace.storage_account_id, STORAGE_ACCOUNT, STORES_IN, "storageAccount")
    if workspace.key_vault:
        _resolved_or_missing(b, workspace, workspace.key_vault, KEY_VAULT, SECRETS_IN, "keyVault")
    if workspace.hub_id:
        _resolved_or_missing(b, workspace, workspace.hub_id, WORKSPACE, IN_HUB, "hubResourceId")


def _online_endpoint(b: _Builder, endpoint: Resource) -> None:
    assert isinstance(endpoint, MlOnlineEndpoint)
    _identity(b, endpoint, endpoint.identity)
    _resolved_or_missing(b, endpoint, endpoint.workspace_id, WORKSPACE, IN_WORKSPACE, "workspaces/onlineEndpoints")
    for deployment in endpoint.deployments or ():
        if deployment.model:
            b._node(deployment.model, ML_MODEL, deployment.model.split("/models/")[-1], endpoint.account, None)
            b._edge(endpoint.uid, deployment.model, LOADS, f"deployments/{deployment.name}/properties.model")
            _model_registry(b, deployment.model)


def _model_registry(b: _Builder, model: str) -> None:
    """A registry model asset (``azureml://registries/NAME/models/...``) and its registry."""
    match = _REGISTRY_MODEL.match(model)
    if not match:
        return
    name = match.group("registry")
    registry = _registry_named(b, name)
    if registry is not None:
        b._edge(model, b._resource_node(registry), IN_REGISTRY, "model asset id")
        return
    # a registry outside the scan: Microsoft's public "azureml" catalog, another subscription's
    node = f"azureml://registries/{name}"
    b._node(node, REGISTRY, name, None, None)
    b._edge(model, node, IN_REGISTRY, "model asset id", f"registry {name} is not in this scan")


def _registry_named(b: _Builder, name: str) -> Resource | None:
    for resource in b.azure.values():
        if resource.resource_type == REGISTRY and resource.name.lower() == name.lower():
            return resource
    return None


HANDLERS: dict[str, Callable[[_Builder, Resource], None]] = {
    "azure.cognitiveservices.account": _ai_account,
    "azure.cognitiveservices.deployment": _ai_deployment,
    "azure.ml.workspace": _workspace,
    "azure.ml.online_endpoint": _online_endpoint,
}
