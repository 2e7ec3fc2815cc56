"""Azure ML assets and jobs of a workspace: model versions, data asset versions, jobs.

Called by :mod:`cspm.providers.azure.ml` for each workspace it lists, after the workspace's
datastores (which resolve ``azureml://datastores/...`` URIs to blob containers). Requests per
workspace: Jobs_List, ModelContainers_List and DataContainers_List (one per page each); per model
and per data asset: ModelVersions_List / DataVersions_List (one per page). So 3 per workspace +
1 per asset (asserted in tests/providers/azure/test_ml_assets.py).

Bounds: the listings use the API's default view, ``ActiveOnly`` (archived jobs and asset versions
are not listed); the job listing stops after :data:`MAX_JOBS` jobs per workspace (the workspace
is then marked ``jobs_capped`` and a model whose job is beyond the cap stays unresolved with that
reason). Datastore secrets are never read (no ``listSecrets``).

A failed listing is recorded and marks its type incomplete in the subscription (every check that
reads models, data assets or jobs there answers ERROR); nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

from cspm.providers.azure.context import ML_API_VERSION, AzureContext
from cspm.resources.azure.ml import MlDatastore, MlWorkspace
from cspm.resources.azure.ml_assets import BlobLocation, JobIo, MlDataAsset, MlJob, MlModel, job_of_uri, resolve_uri
from cspm.resources.base import Resource

PERMISSIONS = (
    "Microsoft.MachineLearningServices/workspaces/models/read",
    "Microsoft.MachineLearningServices/workspaces/models/versions/read",
    "Microsoft.MachineLearningServices/workspaces/data/read",
    "Microsoft.MachineLearningServices/workspaces/data/versions/read",
    "Microsoft.MachineLearningServices/workspaces/jobs/read",
)
PRODUCES = (MlJob, MlModel, MlDataAsset)
MAX_JOBS = 200  # per workspace


def workspace_assets(ctx: AzureContext, arm: Any, workspace: MlWorkspace) -> tuple[MlWorkspace, list[Resource]]:
    """The workspace's jobs, model versions and data asset versions (and the workspace, marked
    when its job listing was capped)."""
    stores = None if workspace.datastores is None else {d.name.lower(): d for d in workspace.datastores}
    raw_jobs = ctx.list_items(_capped, arm, f"{workspace.uid}/jobs", operation="Jobs_List", affects=(MlJob,))
    capped = raw_jobs is not None and len(raw_jobs) > MAX_JOBS
    jobs = None if raw_jobs is None else [job_from_arm(j, workspace, stores) for j in raw_jobs[:MAX_JOBS]]
    by_name = None if jobs is None else {j.name.lower(): j for j in jobs}
    models = [
        model_from_arm(version, container, workspace, stores, by_name)
        for container, version in _versions(ctx, arm, workspace, "models", MlModel)
    ]
    data = [
        data_asset_from_arm(version, container, workspace, stores)
        for container, version in _versions(ctx, arm, workspace, "data", MlDataAsset)
    ]
    if capped:
        workspace = workspace.model_copy(update={"jobs_capped": True})
    return workspace, [*(jobs or ()), *models, *data]


def _capped(arm: Any, path: str) -> Iterator[dict[str, Any]]:
    """The first MAX_JOBS + 1 jobs (the one more says the cap was reached); no page beyond."""
    return islice(arm.list(path, ML_API_VERSION), MAX_JOBS + 1)


def _versions(
    ctx: AzureContext, arm: Any, workspace: MlWorkspace, kind: str, rtype: type[Resource]
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(container, version) of every listed version of the workspace's ``models`` or ``data``."""
    label = "Model" if kind == "models" else "Data"
    containers = ctx.list_items(
        arm.list, f"{workspace.uid}/{kind}", ML_API_VERSION, operation=f"{label}Containers_List", affects=(rtype,)
    )
    for container in containers or ():
        path = str(container.get("id") or f"{workspace.uid}/{kind}/{container.get('name', '')}")
        versions = ctx.list_items(
            arm.list, f"{path}/versions", ML_API_VERSION, operation=f"{label}Versions_List", affects=(rtype,)
        )
        for version in versions or ():
            yield container, version


# ---------------------------------------------------------------------------------------------
# ARM JSON -> snapshot (pure)
# ---------------------------------------------------------------------------------------------


def _io(
    entries: Any, type_key: str, stores: Mapping[str, MlDatastore] | None, workspace: MlWorkspace
) -> tuple[JobIo, ...]:
    out = []
    for name, entry in sorted((entries or {}).items()):
        if not isinstance(entry, dict) or not entry.get("uri"):
            continue  # literals, and outputs left to the default location
        uri = str(entry["uri"])
        location, why = resolve_uri(uri, stores, workspace=f"workspace {workspace.name}")
        location = None if why is not None else location
        out.append(
            JobIo(name=name, kind=str(entry.get(type_key) or "unknown"), uri=uri, location=location, unresolved=why)
        )
    return tuple(out)


def job_from_arm(raw: dict[str, Any], workspace: MlWorkspace, stores: Mapping[str, MlDatastore] | None) -> MlJob:
    props: dict[str, Any] = raw.get("properties") or {}
    identity: dict[str, Any] = props.get("identity") or {}
    name = str(raw.get("name", ""))
    return MlJob(
        uid=str(raw.get("id") or f"{workspace.uid}/jobs/{name}"),
        name=name,
        account=workspace.account,
        region=workspace.region,
        tags=dict(props.get("tags") or {}),
        workspace_id=workspace.uid,
        job_type=str(props.get("jobType") or "Unknown"),
        status=props.get("status"),
        experiment_name=props.get("experimentName"),
        compute_id=props.get("computeId") or None,
        identity_type=str(identity.get("identityType") or "Default"),
        identity_object_id=identity.get("objectId") or None,
        identity_client_id=identity.get("clientId") or None,
        identity_resource_id=identity.get("resourceId") or None,
        created_by=(raw.get("systemData") or {}).get("createdBy"),
        inputs=_io(props.get("inputs"), "jobInputType", stores, workspace),
        outputs=_io(props.get("outputs"), "jobOutputType", stores, workspace),
    )


def model_from_arm(
    raw: dict[str, Any],
    container: dict[str, Any],
    workspace: MlWorkspace,
    stores: Mapping[str, MlDatastore] | None,
    jobs: Mapping[str, MlJob] | None,
) -> MlModel:
    props: dict[str, Any] = raw.get("properties") or {}
    model_name, version = str(container.get("name", "")), str(raw.get("name", ""))
    uri = props.get("modelUri") or None
    location: BlobLocation | None = None
    why: str | None = "the model version has no modelUri"
    if uri is not None:
        location, why = resolve_uri(uri, stores, jobs, workspace=f"workspace {workspace.name}")
    return MlModel(
        uid=str(raw.get("id") or f"{workspace.uid}/models/{model_name}/versions/{version}"),
        name=f"{model_name}:{version}",
        account=workspace.account,
        region=workspace.region,
        tags=dict(props.get("tags") or {}),
        workspace_id=workspace.uid,
        model_name=model_name,
        version=version,
        model_type=props.get("modelType"),
        model_uri=uri,
        job_name=props.get("jobName") or job_of_uri(uri),
        stage=props.get("stage"),
        flavors=tuple(sorted(props.get("flavors") or {})),
        is_archived=props.get("isArchived") is True,
        artifact=location,
        artifact_blob_uri=None if location is None or why is not None else location.blob_uri,
        artifact_unresolved=why,
    )


def data_asset_from_arm(
    raw: dict[str, Any], container: dict[str, Any], workspace: MlWorkspace, stores: Mapping[str, MlDatastore] | None
) -> MlDataAsset:
    props: dict[str, Any] = raw.get("properties") or {}
    data_name, version = str(container.get("name", "")), str(raw.get("name", ""))
    uri = props.get("dataUri") or None
    location: BlobLocation | None = None
    why: str | None = "the data asset version has no dataUri"
    if uri is not None:
        location, why = resolve_uri(uri, stores, workspace=f"workspace {workspace.name}")
        location = None if why is not None else location
    return MlDataAsset(
        uid=str(raw.get("id") or f"{workspace.uid}/data/{data_name}/versions/{version}"),
        name=f"{data_name}:{version}",
        account=workspace.account,
        region=workspace.region,
        tags=dict(props.get("tags") or {}),
        workspace_id=workspace.uid,
        data_name=data_name,
        version=version,
        data_type=str(props.get("dataType") or "unknown"),
        data_uri=uri,
        is_archived=props.get("isArchived") is True,
        location=location,
        unresolved=why,
    )
