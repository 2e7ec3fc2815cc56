"""Checks that reason along the Azure AI lineage (cspm/lineage_azure.py): the storage accounts and
key vaults that ML workspaces (hubs, projects) and AI Services accounts store data, secrets and
keys in must be reachable only privately.

The severity rule of docs/lineage.md leaves these checks alone (they already reason along the
chain); a storage account or vault no AI resource uses is not assessed here (the ``azure.storage``
and ``azure.keyvault`` checks judge every one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cspm.checks.azure._storage_rbac import anonymous_access, container_writers
from cspm.lineage import LOADS, READS, TRAINED_BY, LineageGraph, lineage_of, supply_chain_use
from cspm.lineage_azure import IN_CONTAINER, STORES_IN
from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.azure.authorization import RbacPrincipal
from cspm.resources.azure.cognitiveservices import AiServicesAccount
from cspm.resources.azure.keyvault import KeyVault
from cspm.resources.azure.ml import MlOnlineEndpoint, MlWorkspace
from cspm.resources.azure.ml_assets import BlobLocation, MlDataAsset, MlJob, MlModel
from cspm.resources.azure.network import PrivateEndpointConnection, approved_connections
from cspm.resources.azure.storage import StorageAccount, StorageContainer
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


# ---------------------------------------------------------------------------------------------
# The Azure ML chain: container → job / data asset → model asset → online deployment → endpoint
# ---------------------------------------------------------------------------------------------

DEPLOY_ONLINE = "https://learn.microsoft.com/en-us/azure/machine-learning/how-to-deploy-online-endpoints"
ANONYMOUS_READ = "https://learn.microsoft.com/en-us/azure/storage/blobs/anonymous-read-access-prevent"
STORAGE_RBAC = "https://learn.microsoft.com/en-us/azure/storage/blobs/assign-azure-role-data-access"
IDENTITY_DATA_ACCESS = (
    "https://learn.microsoft.com/en-us/azure/machine-learning/how-to-identity-based-service-authentication"
)


@dataclass(frozen=True)
class _Source:
    """A container a served model comes from: its artifact's, or its training data's."""

    container: str  # node id
    how: str  # "artifact of model m:1" / "training data of job j (model m:1)"
    reason: str | None  # why it is not resolved (None: resolved)


def _containers_below(graph: LineageGraph, node: str, relations: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """(container, reason) of what ``node`` refers to through ``relations`` (directly, through a
    blob path, or through a data asset's path)."""
    found: list[tuple[str, str | None]] = []
    for edge in graph.edges_from(node, *relations):
        target = graph.node(edge.target)
        if target is None:
            continue
        if target.type == "azure.ml.data_asset":
            found.extend((c, edge.reason or why) for c, why in _containers_below(graph, edge.target, (STORES_IN,)))
            if not edge.resolved:
                found.append((edge.target, edge.reason))
            continue
        inner = graph.edges_from(edge.target, IN_CONTAINER)
        if not inner:
            found.append((edge.target, edge.reason or "not a blob path"))
        for container in inner:
            found.append((container.target, edge.reason or container.reason))
    return found


def model_sources(graph: LineageGraph, model: str) -> list[_Source]:
    """The containers of a model asset's artifact and of its training job's inputs."""
    node = graph.node(model)
    name = node.name if node is not None else model
    sources = [_Source(c, f"artifact of model {name}", why) for c, why in _containers_below(graph, model, (LOADS,))]
    for trained in graph.edges_from(model, TRAINED_BY):
        if not trained.resolved:
            sources.append(_Source(trained.target, f"training job of model {name}", trained.reason))
            continue
        job = graph.node(trained.target)
        label = f"training data of job {job.name if job else trained.target} (model {name})"
        sources.extend(_Source(c, label, why) for c, why in _containers_below(graph, trained.target, (READS,)))
    return sources


def _exposure(
    container: StorageContainer, accounts: dict[str, StorageAccount], principals: Sequence[RbacPrincipal]
) -> dict[str, Any] | None:
    anonymous = anonymous_access(container)
    broad = [
        w
        for w in container_writers(container, accounts.get(container.storage_account_id.lower()), principals)
        if w.broad
    ]
    if anonymous is None and not broad:
        return None
    return {
        "container": container.uid,
        "anonymous_access": anonymous,
        "broad_writers": [w.as_dict() for w in broad],
    }


@check(
    title="Online endpoint serves a model whose storage is neither public nor broadly writable",
    fail_title="Online endpoint serves a model trained on or loaded from public or broadly writable storage",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Turn off anonymous access on the containers the model and its training data come from "
    "(allowBlobPublicAccess false on the account), and replace subscription-wide Storage Blob Data "
    "Contributor/Owner (or Owner/Contributor while Shared Key is allowed) with assignments on the containers "
    "the workloads need.",
    compliance={"mcsb": ["DP-2", "PA-7", "AI-1"], "nist-800-53-r5": ["SI-7", "AC-3", "AC-6"]},
    attack=["AML.T0020", "AML.T0010.003", "AML.T0018"],
    references=(DEPLOY_ONLINE, ANONYMOUS_READ, STORAGE_RBAC),
)
def online_endpoint_model_storage_is_protected(
    endpoint: MlOnlineEndpoint,
    endpoints: Sequence[MlOnlineEndpoint],
    models: Sequence[MlModel],
    jobs: Sequence[MlJob],
    data_assets: Sequence[MlDataAsset],
    containers: Sequence[StorageContainer],
    storage_accounts: Sequence[StorageAccount],
    principals: Sequence[RbacPrincipal],
) -> Result:
    """An online deployment loads a model asset; the asset's files sit in a blob container, and
    the job that trained it read its data from others. Anyone who can read a container
    anonymously can take the model or its data; anyone who can write it can replace the
    artifact or poison the training data, and the endpoint serves the result. A container that
    allows anonymous access, or that a principal can write through a role assigned at the
    subscription or above (every container there, present and future), fails. Models from a
    registry (``azureml://registries/...``) are judged by the registry checks."""
    if endpoint.deployments is None:
        return unknown("The endpoint's deployments could not be listed.")
    graph = lineage_of(
        {
            MlOnlineEndpoint: endpoints,
            MlModel: models,
            MlJob: jobs,
            MlDataAsset: data_assets,
            StorageContainer: containers,
            StorageAccount: storage_accounts,
        }
    )
    served = [e for e in graph.edges_from(endpoint.uid, LOADS) if not e.target.startswith("azureml://registries/")]
    if not served:
        return not_applicable("It serves no workspace model asset.")
    accounts = {a.uid.lower(): a for a in storage_accounts}
    exposed, unresolved, judged = [], [], []
    for edge in served:
        sources = model_sources(graph, edge.target) if edge.resolved else [_Source(edge.target, "model", edge.reason)]
        for source in sources:
            container = graph.resource(source.container)
            if source.reason is not None or not isinstance(container, StorageContainer):
                unresolved.append({"what": source.how, "reason": source.reason or "not a blob container"})
                continue
            judged.append(container.uid)
            found = _exposure(container, accounts, principals)
            if found is not None:
                exposed.append({**found, "what": source.how})
    evidence: dict[str, Any] = {"exposed": exposed, "unresolved": unresolved, "containers": sorted(set(judged))}
    if exposed:
        whats = ", ".join(sorted({e["what"] for e in exposed}))
        return failed(f"Its model comes from public or broadly writable storage: {whats}.", evidence)
    if unresolved:
        return unknown(f"Could not resolve where its model comes from: {unresolved[0]['reason']}.", evidence=evidence)
    return passed("Its models and their training data come from private containers without broad writers.", evidence)


@check(
    title="Model asset's storage container is writable only by its workspace",
    fail_title="Model asset's storage container is writable by principals other than its workspace",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Remove Storage Blob Data Contributor/Owner (and Owner/Contributor/Storage Account Contributor "
    "while Shared Key is allowed) on the container, its account, resource group and subscription from every "
    "principal but the workspace's managed identity; publish models through the workspace or a registry.",
    compliance={"mcsb": ["PA-7", "DP-2"], "nist-800-53-r5": ["SI-7", "AC-3", "AC-6", "SR-4"]},
    attack=["AML.T0010.003", "AML.T0018"],
    references=(STORAGE_RBAC, IDENTITY_DATA_ACCESS),
)
def model_storage_is_writable_only_by_workspace(
    model: MlModel,
    containers: Sequence[StorageContainer],
    storage_accounts: Sequence[StorageAccount],
    principals: Sequence[RbacPrincipal],
    workspaces: Sequence[MlWorkspace],
) -> Result:
    """The workspace's managed identity writes model artifacts to its storage; any other
    principal that can write the container (a data role, or the account keys while Shared Key is
    allowed, at the container, account, resource group, subscription or above) can replace the
    files behind a registered model version without any Azure ML call, and every deployment of
    it then serves the replacement. Role assignments that could not be read answer ERROR."""
    if model.artifact is None:
        return unknown(f"Where the model's files are is unknown: {model.artifact_unresolved}.")
    location = model.artifact
    container = next(
        (c for c in containers if c.storage_account.lower() == location.account and c.name == location.container),
        None,
    )
    if container is None:
        return unknown(
            f"Container {location.container} of storage account {location.account} is not in this scan "
            "(another subscription, not collected, or deleted)."
        )
    workspace = next((w for w in workspaces if w.uid.lower() == model.workspace_id.lower()), None)
    own = {p.lower() for p in workspace.identity.principal_ids} if workspace is not None else set()
    account = next((a for a in storage_accounts if a.uid.lower() == container.storage_account_id.lower()), None)
    others = [w for w in container_writers(container, account, principals) if w.principal_id.lower() not in own]
    evidence: dict[str, Any] = {"container": container.uid, "workspace_principals": sorted(own)}
    if others:
        evidence["writers"] = [w.as_dict() for w in others]
        ids = sorted({w.principal_id for w in others})
        return failed(
            f"{len(ids)} principal(s) besides the workspace can write {container.name}: {', '.join(ids[:3])}"
            + (" …" if len(ids) > 3 else "")
            + ".",
            evidence,
        )
    return passed("Only the workspace's identity can write the model's container.", evidence)


def _anonymous_locations(
    located: Sequence[tuple[str, BlobLocation | None, str | None]], containers: Sequence[StorageContainer]
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """(exposed, unresolved) of (what, location, why-unresolved) triples: the containers that allow
    anonymous access, and the references whose container is not known."""
    by_name = {(c.storage_account.lower(), c.name): c for c in containers}
    exposed, unresolved = [], []
    for what, location, why in located:
        container = None if location is None else by_name.get((location.account, location.container))
        if container is None:
            where = (
                "" if location is None else f"container {location.container} of {location.account} is not in this scan"
            )
            unresolved.append({"what": what, "reason": why or where})
            continue
        level = anonymous_access(container)
        if level is not None:
            exposed.append({"what": what, "container": container.uid, "anonymous_access": level})
    return exposed, unresolved


def _anonymous_verdict(
    kind: str, located: Sequence[tuple[str, BlobLocation | None, str | None]], containers: Sequence[StorageContainer]
) -> Result:
    if not located:
        return not_applicable(f"The {kind} names no storage path.")
    exposed, unresolved = _anonymous_locations(located, containers)
    evidence: dict[str, Any] = {"exposed": exposed, "unresolved": unresolved}
    if exposed:
        return failed(f"Anonymous access is on for: {', '.join(e['what'] for e in exposed)}.", evidence)
    if unresolved:
        return unknown(f"Could not resolve {unresolved[0]['what']}: {unresolved[0]['reason']}.", evidence)
    return passed("Every container it uses refuses anonymous access.", evidence)


@check(
    title="Azure ML job reads and writes only containers without anonymous access",
    fail_title="Azure ML job reads or writes a container that allows anonymous access",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Turn off anonymous access on the container (publicAccess None) or on its account "
    "(allowBlobPublicAccess false), and keep training data and job outputs in private containers.",
    compliance={"mcsb": ["DP-2", "NS-2"], "nist-800-53-r5": ["AC-3", "SI-7"]},
    attack=["AML.T0020", "AML.T0025"],
    references=(ANONYMOUS_READ, IDENTITY_DATA_ACCESS),
)
def job_storage_is_not_anonymous(job: MlJob, containers: Sequence[StorageContainer]) -> Result:
    """A job's inputs are its training data and its outputs its model files: a container anyone
    can read leaks them, and a container that is public is rarely the only thing left open (an
    anonymous-read container is the classic poisoning and exfiltration point of an ML pipeline).
    Inputs naming another asset are judged on that asset (the data asset check)."""
    located = [
        (f"{kind} {io.name}", io.location, io.unresolved)
        for kind, entries in (("input", job.inputs), ("output", job.outputs))
        for io in entries
        if io.location is not None or "names another asset" not in (io.unresolved or "")
    ]
    return _anonymous_verdict("job", located, containers)


@check(
    title="Azure ML data asset points to a container without anonymous access",
    fail_title="Azure ML data asset points to a container that allows anonymous access",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Move the data to a private container, or turn off anonymous access on the container or "
    "its account (allowBlobPublicAccess false).",
    compliance={"mcsb": ["DP-2"], "nist-800-53-r5": ["AC-3"]},
    attack=["AML.T0020", "AML.T0025"],
    references=(ANONYMOUS_READ,),
)
def data_asset_storage_is_not_anonymous(asset: MlDataAsset, containers: Sequence[StorageContainer]) -> Result:
    """A data asset is a versioned pointer to training or evaluation data that any job of the
    workspace can consume by name; if its container allows anonymous access, the data is public
    and anyone who can write there by other means poisons every job that uses the asset."""
    if asset.data_uri is None:
        return unknown("The data asset version has no dataUri.")
    return _anonymous_verdict("data asset", [(f"data {asset.name}", asset.location, asset.unresolved)], containers)
