"""Azure ML assets and jobs: model versions, data asset versions and jobs of a workspace, and
where their URIs point in Blob Storage.

Read at ARM API version 2024-10-01 (``workspaces/{ws}/models/{name}/versions``,
``workspaces/{ws}/data/{name}/versions``, ``workspaces/{ws}/jobs``). URIs are kept exactly as ARM
returns them; the collector resolves each, through the workspace's datastores (and, for a model
registered from a job's output, the job), to a :class:`BlobLocation` with :func:`resolve_uri`, or
to ``None`` and the reason it could not.

URI forms (Azure ML "Access data in a job", "Work with models"):

- ``azureml://datastores/<ds>/paths/<path>`` and the long form
  ``azureml://subscriptions/<sub>/resourcegroups/<rg>/workspaces/<ws>/datastores/<ds>/paths/<path>``;
- ``https://<account>.blob.core.windows.net/<container>/<path>`` (also ``wasbs://`` and the Data
  Lake ``abfss://<filesystem>@<account>.dfs.core.windows.net/<path>``);
- ``azureml://jobs/<job>/outputs/<output>/paths/<path>``: a named output of a job, resolved
  through the job's output URI; ``artifacts`` is the job's own artifact store, the workspace's
  ``workspaceartifactstore`` datastore: its container is known, the path of the job's files in
  it is not in ARM (so the location has no path and a reason says so);
- an asset id (``azureml:<name>:<version>``, the ARM id ``.../workspaces/<ws>/data/<name>/versions/<v>``
  or ``azureml://registries/...``): another asset, not a storage path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from cspm.resources.azure.ml import MlDatastore
from cspm.resources.base import Resource, Snapshot

BLOB_SUFFIX = "core.windows.net"
ARTIFACTS = "artifacts"  # the default output of every job: its artifact store
ARTIFACT_STORE = "workspaceartifactstore"  # the datastore Azure ML creates for job artifacts


class BlobLocation(Snapshot):
    """A path in a blob container (or Data Lake file system) of a storage account."""

    account: str  # the storage account's name (globally unique)
    container: str
    path: str = ""
    endpoint: str = BLOB_SUFFIX  # the datastore's endpoint suffix (sovereign clouds differ)
    subscription: str | None = None  # when the datastore names the account's subscription
    resource_group: str | None = None

    @property
    def blob_uri(self) -> str:
        """``https://<account>.blob.<endpoint>/<container>/<path>``: what a blob reader opens."""
        return f"https://{self.account}.blob.{self.endpoint}/{self.container}/{self.path}".rstrip("/")

    def container_id(self) -> str | None:
        """The container's ARM id, when the datastore named the account's subscription and group."""
        if not (self.subscription and self.resource_group):
            return None
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}/providers/"
            f"Microsoft.Storage/storageAccounts/{self.account}/blobServices/default/containers/{self.container}"
        )


class JobIo(Snapshot):
    """One input or output of a job (``properties.inputs|outputs.<name>``) with a URI."""

    name: str
    kind: str  # jobInputType / jobOutputType: uri_file | uri_folder | mltable | mlflow_model | custom_model ...
    uri: str
    location: BlobLocation | None = None
    unresolved: str | None = None  # why ``location`` is None


class MlJob(Resource):
    """One job of a workspace (``workspaces/jobs``): command, pipeline, sweep, AutoML, Spark."""

    resource_type: ClassVar[str] = "azure.ml.job"

    workspace_id: str
    job_type: str  # jobType: Command | Pipeline | Sweep | AutoML | Spark
    status: str | None = None
    experiment_name: str | None = None
    compute_id: str | None = None
    # identity.identityType: AMLToken | Managed | UserIdentity; not set = Default (Azure ML uses
    # the submitting user's identity for data access when the compute allows it, else the
    # compute's managed identity).
    identity_type: str = "Default"
    identity_object_id: str | None = None  # identity.objectId (Managed)
    identity_client_id: str | None = None  # identity.clientId (Managed)
    identity_resource_id: str | None = None  # identity.resourceId (a user-assigned identity)
    created_by: str | None = None  # systemData.createdBy (who submitted it)
    inputs: tuple[JobIo, ...] = ()
    outputs: tuple[JobIo, ...] = ()

    def output(self, name: str) -> JobIo | None:
        return next((o for o in self.outputs if o.name == name), None)


class MlModel(Resource):
    """One version of a workspace model asset (``workspaces/models/{name}/versions/{v}``)."""

    resource_type: ClassVar[str] = "azure.ml.model"

    workspace_id: str
    model_name: str
    version: str
    model_type: str | None = None  # modelType: custom_model | mlflow_model | triton_model
    model_uri: str | None = None  # modelUri, exactly as ARM returns it
    job_name: str | None = None  # jobName, or the job of an azureml://jobs/<job>/outputs/... modelUri
    stage: str | None = None  # stage: Development | Production | Archived ... (free text)
    flavors: tuple[str, ...] = ()  # the keys of flavors (python_function, transformers ...)
    is_archived: bool = False
    artifact: BlobLocation | None = None  # the container (and path) of the model's files
    # artifact.blob_uri, for a blob reader (cspm/artifacts); None: see artifact_unresolved
    artifact_blob_uri: str | None = None
    # why artifact_blob_uri is None (artifact may still name the container: a job's artifact store)
    artifact_unresolved: str | None = None

    @property
    def artifact_is_folder(self) -> bool:
        """The artifact is a folder to list, not one file: MLflow and Triton models always are
        (an MLmodel file beside the weights; a model repository), any model whose modelUri ends
        in ``/`` too. A blob reader lists ``artifact_blob_uri + "/"`` then."""
        kind = (self.model_type or "").lower()
        return kind in ("mlflow_model", "triton_model") or (self.model_uri or "").endswith("/")


class MlDataAsset(Resource):
    """One version of a workspace data asset (``workspaces/data/{name}/versions/{v}``)."""

    resource_type: ClassVar[str] = "azure.ml.data_asset"

    workspace_id: str
    data_name: str
    version: str
    data_type: str  # dataType: uri_file | uri_folder | mltable
    data_uri: str | None = None
    is_archived: bool = False
    location: BlobLocation | None = None
    unresolved: str | None = None


# ---------------------------------------------------------------------------------------------
# URIs
# ---------------------------------------------------------------------------------------------

_DATASTORE_URI = re.compile(
    r"^azureml://(?:subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/workspaces/(?P<ws>[^/]+)/)?"
    r"datastores/(?P<ds>[^/]+)(?:/paths/(?P<path>.*))?$",
    re.IGNORECASE,
)
_JOB_OUTPUT = re.compile(r"^azureml://jobs/(?P<job>[^/]+)/outputs/(?P<output>[^/]+)(?:/paths/(?P<path>.*))?$", re.I)
_HTTPS_BLOB = re.compile(
    r"^https://(?P<account>[a-z0-9]+)\.(?:blob|dfs)\.(?P<endpoint>[^/]+)/(?P<container>[^/]+)/?(?P<path>.*)$", re.I
)
_HADOOP = re.compile(
    r"^(?:wasbs?|abfss?)://(?P<container>[^@/]+)@(?P<account>[a-z0-9]+)\.(?:blob|dfs)\.(?P<endpoint>[^/]+)/?(?P<path>.*)$",
    re.I,
)
_ASSET_ID = re.compile(r"^(azureml:[^/]|azureml://registries/|azureml://locations/|/subscriptions/)", re.I)


def job_of_uri(uri: str | None) -> str | None:
    """The job of an ``azureml://jobs/<job>/outputs/...`` URI."""
    match = _JOB_OUTPUT.match(uri or "")
    return match.group("job") if match else None


def resolve_uri(
    uri: str,
    datastores: Mapping[str, MlDatastore] | None,
    jobs: Mapping[str, MlJob] | None = None,
    *,
    workspace: str = "the workspace",
) -> tuple[BlobLocation | None, str | None]:
    """Where ``uri`` points in Blob Storage: (location, None), or (None, the reason); or, for a
    job's ``artifacts`` output, (the artifact store's container, why the exact path is unknown).

    ``datastores``: the workspace's, by lower-cased name (None: they could not be listed).
    ``jobs``: the workspace's listed jobs by lower-cased name (None: not listed), for job outputs.
    """
    for pattern in (_HTTPS_BLOB, _HADOOP):
        match = pattern.match(uri)
        if match:
            return BlobLocation(
                account=match.group("account").lower(),
                container=match.group("container"),
                path=match.group("path"),
                endpoint=_blob_endpoint(match.group("endpoint")),
            ), None
    match = _DATASTORE_URI.match(uri)
    if match:
        return _on_datastore(match.group("ds"), match.group("path") or "", datastores, workspace)
    match = _JOB_OUTPUT.match(uri)
    if match and match.group("output").lower() == ARTIFACTS:
        location, why = _on_datastore(ARTIFACT_STORE, "", datastores, workspace)
        if location is None:
            return None, f"the artifacts of job {match.group('job')} are in the artifact store, but {why}"
        return location, f"the path of job {match.group('job')}'s artifacts in datastore {ARTIFACT_STORE} is not in ARM"
    if match:
        return _job_output(match.group("job"), match.group("output"), match.group("path") or "", jobs)
    if _ASSET_ID.match(uri):
        return None, f"{uri} names another asset, not a storage path"
    return None, f"{uri} is not a Blob Storage or datastore URI"


def _blob_endpoint(host_rest: str) -> str:
    return host_rest.lower() or BLOB_SUFFIX


def _on_datastore(
    name: str, path: str, datastores: Mapping[str, MlDatastore] | None, workspace: str
) -> tuple[BlobLocation | None, str | None]:
    if datastores is None:
        return None, f"datastore {name} cannot be resolved: the datastores of {workspace} could not be listed"
    store = datastores.get(name.lower())
    if store is None:
        return None, f"datastore {name} does not exist in {workspace}"
    if not (store.account_name and store.container_name):
        return None, f"datastore {name} is of type {store.datastore_type}, not a blob container"
    return BlobLocation(
        account=store.account_name.lower(),
        container=store.container_name,
        path=path,
        endpoint=store.endpoint or BLOB_SUFFIX,
        subscription=store.subscription_id,
        resource_group=store.resource_group,
    ), None


def _job_output(
    job_name: str, output: str, path: str, jobs: Mapping[str, MlJob] | None
) -> tuple[BlobLocation | None, str | None]:
    if jobs is None:
        return None, f"job {job_name} cannot be resolved: the workspace's jobs could not be listed"
    job = jobs.get(job_name.lower())
    if job is None:
        return None, f"job {job_name} was not found (deleted, archived, or beyond the listing cap)"
    out = job.output(output)
    if out is None or out.location is None:
        why = out.unresolved if out is not None and out.unresolved else "it names no storage path in ARM"
        return None, f"output {output} of job {job_name} cannot be resolved: {why}"
    base = out.location
    joined = "/".join(p for p in (base.path.rstrip("/"), path.lstrip("/")) if p)
    return base.model_copy(update={"path": joined}), None
