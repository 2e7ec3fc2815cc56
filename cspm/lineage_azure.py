"""Azure in the AI lineage graph: one handler per resource type (docs/lineage.md, "Azure").

The graph, its nodes, relations and the severity rule are :mod:`cspm.lineage`'s; this module
only says which fields of the Azure snapshots are references::

    AI Services account ─hosts→ deployment ─filtered_by→ RAI policy;  deployment ─loads→ model
    AI Services account ─stores_in→ user-owned storage account;  ─encrypted_by→ key vault;  ─runs_as→ identity
    ML workspace ─stores_in→ default storage account;  ─secrets_in→ key vault;  ─runs_as→ identity
    AI Foundry project ─in_hub→ hub
    online endpoint ─in_workspace→ workspace;  ─loads→ model asset ─in_registry→ registry;  ─runs_as→ identity
    model asset (a version) ─loads→ blob path ─in_container→ container ─in_account→ storage account
    model asset ─trained_by→ job ─reads→ blob path | data asset ─stores_in→ blob path;  job ─writes→ blob path
    job ─runs_as→ its identity (a principal by object id, the compute's identity, the AML token, the user)
    model asset / data asset / job ─in_workspace→ workspace
    model asset (MLflow, Triton: a folder) ─loads→ each blob of it read by --inspect-artifacts ─in_container→ container

A managed identity is the ``azure.authorization.principal`` of its object id when RBAC was read
(so its roles are one hop away), else a synthetic node. A reference the scan cannot resolve keeps
its edge, unresolved, with the reason: a RAI policy a deployment names that the account does not
have, a storage account or registry outside the scan, a type that was not collected.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from cspm.lineage import ENCRYPTED_BY, HOSTS, LOADS, READS, RUNS_AS, TRAINED_BY, WRITES
from cspm.resources.azure.cognitiveservices import AiDeployment, AiServicesAccount
from cspm.resources.azure.identity import ManagedIdentity
from cspm.resources.azure.ml import MlOnlineEndpoint, MlWorkspace
from cspm.resources.azure.ml_assets import BlobLocation, JobIo, MlDataAsset, MlJob, MlModel
from cspm.resources.azure.storage import StorageContainer
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
JOB = "azure.ml.job"
DATA_ASSET = "azure.ml.data_asset"
CONTAINER = "azure.storage.container"
BLOB_PATH = "azure.storage.path"  # a blob or prefix in a container (synthetic node; id = its https URI)
IDENTITY = "azure.identity"  # an identity a job runs as that is not a known principal (synthetic)
ARTIFACT = "azure.artifacts.model_artifact"  # a blob --inspect-artifacts read (cspm.resources.azure.artifacts)
AI_TYPE_PREFIXES = ("azure.ml.", "azure.cognitiveservices.")

FILTERED_BY = "filtered_by"  # AI Services deployment -> RAI policy
STORES_IN = "stores_in"  # workspace / AI Services account -> storage account
IN_WORKSPACE = "in_workspace"  # online endpoint -> workspace
IN_HUB = "in_hub"  # AI Foundry project -> hub
IN_REGISTRY = "in_registry"  # model asset -> ML registry
SECRETS_IN = "secrets_in"  # workspace -> the key vault holding its secrets
IN_CONTAINER = "in_container"  # blob path -> container
IN_ACCOUNT = "in_account"  # container -> storage account

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


def _identity(
    b: _Builder, referrer: Resource, identity: ManagedIdentity, api_field: str = "identity.principalId"
) -> None:
    for principal_id in identity.principal_ids:
        node = f"/subscriptions/{referrer.account}/providers/Microsoft.Authorization/principals/{principal_id.lower()}"
        found = b.azure.get(node.lower())
        if found is not None:
            b._edge(referrer.uid, b._resource_node(found), RUNS_AS, api_field)
        else:  # RBAC not read, or the identity holds no role here: the identity is still the one it runs as
            b._node(node, PRINCIPAL, principal_id, referrer.account, None)
            b._edge(referrer.uid, node, RUNS_AS, api_field)


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
        if not deployment.model:
            continue
        api_field = f"deployments/{deployment.name}/properties.model"
        found = b.azure.get(deployment.model.lower())
        if found is not None:
            b._edge(endpoint.uid, b._resource_node(found), LOADS, api_field)
            continue
        b._node(deployment.model, ML_MODEL, deployment.model.split("/models/")[-1], endpoint.account, None)
        reason = None
        if deployment.model.lower().startswith("/subscriptions/"):  # a workspace model asset version
            what = f"model {deployment.model.split('/models/')[-1].replace('/versions/', ':')}"
            reason = b.coverage.missing(ML_MODEL, what, (_subscription_of(deployment.model), None), endpoint)
        b._edge(endpoint.uid, deployment.model, LOADS, api_field, reason)
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


# -- Azure ML assets and jobs -----------------------------------------------------------------

_CONTAINERS_LOCK = threading.Lock()
_CONTAINERS: weakref.WeakKeyDictionary[_Builder, dict[tuple[str, str], Resource]] = weakref.WeakKeyDictionary()
_ARTIFACTS: weakref.WeakKeyDictionary[_Builder, list[Resource]] = weakref.WeakKeyDictionary()
_ASSET_REF = re.compile(r"^azureml:(?P<name>[^:/]+):(?P<version>[^:/]+)$", re.IGNORECASE)


def _containers(b: _Builder) -> dict[tuple[str, str], Resource]:
    """The scan's blob containers by (account name, container name), built once per graph."""
    index = _CONTAINERS.get(b)
    if index is None:
        index = {(r.storage_account.lower(), r.name): r for r in b.azure.values() if isinstance(r, StorageContainer)}
        _CONTAINERS[b] = index
    return index


def _container_of(b: _Builder, referrer: Resource, location: BlobLocation) -> tuple[str, str | None]:
    """The node of the container of ``location`` (─in_account→ its account when held), and why it
    is not in the scan (None: it is)."""
    found = _containers(b).get((location.account, location.container))
    if found is not None:
        assert isinstance(found, StorageContainer)
        _resolved_or_missing(b, found, found.storage_account_id, STORAGE_ACCOUNT, IN_ACCOUNT, "storageAccount")
        return b._resource_node(found), None
    container_id = (
        location.container_id() or f"https://{location.account}.blob.{location.endpoint}/{location.container}"
    )
    b._node(container_id, CONTAINER, f"{location.account}/{location.container}", location.subscription, None)
    return container_id, _container_missing(b, referrer, location)


def _blob(
    b: _Builder, referrer: Resource, location: BlobLocation, relation: str, api_field: str, why: str | None = None
) -> None:
    """referrer ─relation→ blob path ─in_container→ container (─in_account→ account when held)."""
    path = b._node(location.blob_uri, BLOB_PATH, location.blob_uri, None, None)
    container, missing = _container_of(b, referrer, location)
    reason = why or missing
    b._edge(referrer.uid, path, relation, api_field, reason)
    b._edge(path, container, IN_CONTAINER, "the container of the blob URI", missing and reason)


def _container_missing(b: _Builder, referrer: Resource, location: BlobLocation) -> str:
    what = f"container {location.container} of storage account {location.account}"
    known_account = any(
        r.resource_type == STORAGE_ACCOUNT and r.name.lower() == location.account for r in b.azure.values()
    )
    if location.subscription is None and not known_account:
        collected = b.coverage.collected
        if collected is None or CONTAINER in collected:
            return f"{what} is not in this scan: the account is in a subscription not scanned, or deleted"
    return b.coverage.missing(CONTAINER, what, (location.subscription, None), referrer)


def _uri(
    b: _Builder,
    referrer: Resource,
    uri: str,
    location: BlobLocation | None,
    why: str | None,
    relation: str,
    api_field: str,
) -> None:
    """A URI of an asset or job: a blob path (or, for a job's artifact store, its container: the
    path is not in ARM), another asset, or an unresolved reference."""
    if location is not None:
        _blob(b, referrer, location, relation, api_field)
        return
    if _data_asset_ref(b, referrer, uri, relation, api_field):
        return
    b._node(uri, BLOB_PATH, uri, None, None)
    b._edge(referrer.uid, uri, relation, api_field, why or f"{uri} cannot be resolved")


def _data_asset_ref(b: _Builder, referrer: Resource, uri: str, relation: str, api_field: str) -> bool:
    """A job input naming a data asset (its ARM id or ``azureml:name:version``)."""
    workspace = getattr(referrer, "workspace_id", "")
    short = _ASSET_REF.match(uri)
    target = f"{workspace}/data/{short['name']}/versions/{short['version']}" if short else uri
    if "/data/" not in target.lower() or not target.lower().startswith("/subscriptions/"):
        return False
    found = b.azure.get(target.lower())
    if found is not None:
        b._edge(referrer.uid, b._resource_node(found), relation, api_field)
        return True
    b._node(target, DATA_ASSET, target.split("/data/")[-1].replace("/versions/", ":"), referrer.account, None)
    what = f"data asset {target.split('/data/')[-1].replace('/versions/', ':')}"
    reason = b.coverage.missing(DATA_ASSET, what, (_subscription_of(target), None), referrer)
    b._edge(referrer.uid, target, relation, api_field, reason)
    return True


def _job_io(b: _Builder, job: MlJob, entries: tuple[JobIo, ...], relation: str, kind: str) -> None:
    for io in entries:
        _uri(b, job, io.uri, io.location, io.unresolved, relation, f"properties.{kind}.{io.name}.uri")


def _job(b: _Builder, job: Resource) -> None:
    assert isinstance(job, MlJob)
    _resolved_or_missing(b, job, job.workspace_id, WORKSPACE, IN_WORKSPACE, "workspaces/jobs")
    _job_io(b, job, job.inputs, READS, "inputs")
    _job_io(b, job, job.outputs, WRITES, "outputs")
    _job_identity(b, job)


def _job_identity(b: _Builder, job: MlJob) -> None:
    """The identity the job runs as (``properties.identity``): a principal when ARM names its
    object id, else a synthetic node saying which identity it is."""
    kind = job.identity_type.lower()
    if kind == "managed" and job.identity_object_id:
        identity = ManagedIdentity(type="UserAssigned", user_assigned_principals=(job.identity_object_id,))
        _identity(b, job, identity, "properties.identity.objectId")
        return
    if kind == "managed" and job.identity_resource_id:
        node, name = job.identity_resource_id, job.identity_resource_id.rsplit("/", 1)[-1]
    elif kind == "amltoken":
        node, name = f"{job.workspace_id}/identities/amltoken", "AML token"
    elif kind == "useridentity":
        node, name = f"user:{job.created_by or 'unknown'}", f"the submitting user ({job.created_by or 'unknown'})"
    else:  # Managed without ids, or not set: the compute's managed identity
        compute = job.compute_id or f"{job.workspace_id}/computes/serverless"
        node, name = f"{compute}/identity", f"identity of compute {compute.rsplit('/', 1)[-1]}"
    b._node(node, IDENTITY, name, job.account, None)
    b._edge(job.uid, node, RUNS_AS, f"properties.identity ({job.identity_type})")


def _ml_model(b: _Builder, model: Resource) -> None:
    assert isinstance(model, MlModel)
    _resolved_or_missing(b, model, model.workspace_id, WORKSPACE, IN_WORKSPACE, "workspaces/models")
    if model.model_uri:
        _uri(b, model, model.model_uri, model.artifact, model.artifact_unresolved, LOADS, "properties.modelUri")
        _files(b, model)
    if model.job_name:
        _trained_by(b, model, model.job_name)


def _files(b: _Builder, model: MlModel) -> None:
    """model ─loads→ each blob of its folder (MLflow, Triton, a modelUri ending in ``/``) that
    ``--inspect-artifacts`` read (node id = the blob's URL, the artifact's uid, so its SHA-256,
    format and verdict land on it) ─in_container→ the folder's container. A one-file model needs
    none: its blob path node is the artifact's already."""
    location = model.artifact
    if location is None or not model.artifact_is_folder:
        return
    root = location.blob_uri + "/"
    files = [a for a in _artifacts(b) if a.uid.startswith(root)]
    if not files:
        return
    container, missing = _container_of(b, model, location)
    for artifact in files:
        node = b._resource_node(artifact)
        b._edge(model.uid, node, LOADS, "properties.modelUri (a blob of the folder, read by --inspect-artifacts)")
        b._edge(node, container, IN_CONTAINER, "the container of the blob URI", missing)


def _artifacts(b: _Builder) -> list[Resource]:
    """The blobs ``--inspect-artifacts`` read, sorted by URL, found once per graph."""
    found = _ARTIFACTS.get(b)
    if found is None:
        found = sorted((r for r in b.azure.values() if r.resource_type == ARTIFACT), key=lambda r: r.uid)
        _ARTIFACTS[b] = found
    return found


def _trained_by(b: _Builder, model: MlModel, job_name: str) -> None:
    job_id = f"{model.workspace_id}/jobs/{job_name}"
    found = b.azure.get(job_id.lower())
    api_field = "properties.jobName"
    if found is not None:
        b._edge(model.uid, b._resource_node(found), TRAINED_BY, api_field)
        return
    b._node(job_id, JOB, job_name, model.account, None)
    workspace = b.azure.get(model.workspace_id.lower())
    if isinstance(workspace, MlWorkspace) and workspace.jobs_capped:
        reason = f"job {job_name} was not found among the workspace's jobs (the listing stopped at its cap)"
    else:
        reason = b.coverage.missing(JOB, f"job {job_name}", (model.account, None), model)
        if reason.endswith("was not found (deleted, or not readable)"):
            reason = f"job {job_name} was not found (deleted or archived)"
    b._edge(model.uid, job_id, TRAINED_BY, api_field, reason)


def _data_asset(b: _Builder, asset: Resource) -> None:
    assert isinstance(asset, MlDataAsset)
    _resolved_or_missing(b, asset, asset.workspace_id, WORKSPACE, IN_WORKSPACE, "workspaces/data")
    if asset.data_uri:
        _uri(b, asset, asset.data_uri, asset.location, asset.unresolved, STORES_IN, "properties.dataUri")


HANDLERS: dict[str, Callable[[_Builder, Resource], None]] = {
    "azure.cognitiveservices.account": _ai_account,
    "azure.cognitiveservices.deployment": _ai_deployment,
    "azure.ml.workspace": _workspace,
    "azure.ml.online_endpoint": _online_endpoint,
    JOB: _job,
    ML_MODEL: _ml_model,
    DATA_ASSET: _data_asset,
}
