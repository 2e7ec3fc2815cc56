"""Google Cloud in the AI lineage graph: one handler per Vertex AI resource type (docs/lineage.md, "GCP").

The graph, its nodes, relations and the severity rule are :mod:`cspm.lineage`'s; this module only
says which fields of the Vertex AI snapshots are references::

    endpoint ─hosts→ model ─loads→ gs://bucket/artifact/ ─in_bucket→ bucket
    model ─trained_by→ training pipeline ─reads→ dataset ─reads→ gs://bucket/data.csv ─in_bucket→ bucket
    model ─trained_by→ custom job ─writes→ gs://bucket/output/ (jobSpec.baseOutputDirectory)
    training pipeline ─writes→ gs://… (inputDataConfig.gcsDestination, the exported splits)
    custom job / training pipeline / endpoint (per deployed model) ─runs_as→ service account
    service account ─holds_roles→ IAM principal (its member in the project's IAM policy: its roles)
    model ─loads→ gs:// object read by --inspect-artifacts ─in_bucket→ bucket (its verdict on the node)

A model is trained by a custom job when its ``artifactUri`` lies under the job's base output
directory (Vertex AI gives the training code ``AIP_MODEL_DIR = <baseOutputDirectory>/model/``).
Every deployed model is hosted, whatever its share of the traffic split: a model at 0 % is still
deployed and one traffic-split edit away from serving. A job or deployed model without a service
account runs as a Google-managed identity (a synthetic node, resolved): training code as the
project's Custom Code Service Agent, a prediction container as an account Vertex AI manages.

Cloud Storage bucket names are global: a ``gs://`` reference resolves to a bucket of any scanned
project. One the scan does not hold (a bucket in a project the caller cannot see, a deleted one)
keeps its edge, unresolved, with the reason; so does a model, dataset or service account that is
not in the inventory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cspm.lineage import HOSTS, IN_BUCKET, LOADS, READS, RUNS_AS, TRAINED_BY, WRITES
from cspm.resources.base import Resource
from cspm.resources.gcp.iam import GcpPrincipal, GcpServiceAccount
from cspm.resources.gcp.storage import GcsBucket
from cspm.resources.gcp.vertex import (
    VertexCustomJob,
    VertexDataset,
    VertexEndpoint,
    VertexModel,
    VertexTrainingPipeline,
)

if TYPE_CHECKING:
    from cspm.lineage import _Builder

BUCKET = GcsBucket.resource_type  # gcp.storage.bucket
PREFIX = "gcp.storage.prefix"  # gs://bucket/key: a prefix or one object (synthetic node)
SERVICE_ACCOUNT = GcpServiceAccount.resource_type  # gcp.iam.service_account
SERVICE_AGENT = "gcp.iam.service_agent"  # a Google-managed Vertex AI service agent (synthetic node)
ARTIFACT = "gcp.artifacts.model_artifact"  # an object --inspect-artifacts read (cspm.resources.gcp.artifacts)
PRINCIPAL = GcpPrincipal.resource_type  # gcp.iam.principal: a member of a project's IAM policy
HOLDS_ROLES = "holds_roles"  # service account -> its principal in a scanned project's IAM policy
CUSTOM_JOB = VertexCustomJob.resource_type
TRAINING_PIPELINE = VertexTrainingPipeline.resource_type
MODEL = VertexModel.resource_type
ENDPOINT = VertexEndpoint.resource_type
DATASET = VertexDataset.resource_type
AI_TYPE_PREFIXES = ("gcp.vertex.",)
JOB_TYPES = (CUSTOM_JOB, TRAINING_PIPELINE)

# Google-managed identities Vertex AI uses when no service account is set (the project number
# goes in): training code runs as the project's Custom Code Service Agent (IAM "Service agents"),
# a prediction container of a custom-trained model as "a service account managed by Vertex AI"
# (Vertex AI "Using a custom service account"), which has no documented address.
CUSTOM_CODE_AGENT = "service-{}@gcp-sa-aiplatform-cc.iam.gserviceaccount.com"
PREDICTION_AGENT = "vertex-ai-managed-prediction-account-of-project-{}"

_PLURALS = {
    BUCKET: "Cloud Storage buckets",
    SERVICE_ACCOUNT: "service accounts",
    MODEL: "Vertex AI models",
    DATASET: "Vertex AI datasets",
    TRAINING_PIPELINE: "Vertex AI training pipelines",
}


def bucket_uid(name: str) -> str:
    """The full resource name of a bucket (the uid of :class:`GcsBucket`)."""
    return f"//storage.googleapis.com/projects/_/buckets/{name}"


def parse_gs_uri(uri: str) -> tuple[str, str] | None:
    """``gs://bucket/key`` -> (bucket, key); None when ``uri`` is not a Cloud Storage URI."""
    if not uri.startswith("gs://"):
        return None
    name, _, key = uri[len("gs://") :].partition("/")
    return (name, key) if name else None


def _tail(name: str) -> str:
    """``projects/P/locations/L/models/ID`` -> ``locations/L/models/ID``: the part that does not
    depend on whether the project is named by id or by number."""
    at = name.find("locations/")
    return name[at:] if at >= 0 else name


def _project_segment(name: str) -> str | None:
    parts = name.split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "projects" else None


@dataclass
class _Index:
    """The GCP snapshots of a build, by the keys Vertex AI refers to them with."""

    buckets: dict[str, GcsBucket] = field(default_factory=dict)  # bucket name -> bucket
    accounts: dict[str, GcpServiceAccount] = field(default_factory=dict)  # lower-cased email -> account
    principals: dict[str, list[GcpPrincipal]] = field(default_factory=dict)  # lower-cased member -> principals
    artifacts: list[Resource] = field(default_factory=list)  # objects --inspect-artifacts read
    named: dict[tuple[str, str, str], Resource] = field(default_factory=dict)  # (type, project, tail) -> resource
    # custom jobs by (project, base output directory with one trailing slash)
    outputs: dict[tuple[str, str], list[VertexCustomJob]] = field(default_factory=dict)


def _index(b: _Builder) -> _Index:
    if b.gcp_index is None:
        index = _Index()
        for r in b.gcp:
            if isinstance(r, GcsBucket):
                index.buckets[r.name] = r
            elif isinstance(r, GcpServiceAccount):
                index.accounts[r.email.lower()] = r
            elif isinstance(r, GcpPrincipal):
                index.principals.setdefault(r.member.lower(), []).append(r)
            elif r.resource_type == ARTIFACT:
                index.artifacts.append(r)
            elif r.resource_type.startswith(AI_TYPE_PREFIXES):
                index.named[(r.resource_type, r.account, _tail(r.uid))] = r
                if isinstance(r, VertexCustomJob) and r.output_uri:
                    index.outputs.setdefault((r.account, r.output_uri.rstrip("/") + "/"), []).append(r)
        b.gcp_index = index
    index = b.gcp_index
    assert isinstance(index, _Index)
    return index


# ---------------------------------------------------------------------------------------------
# Why a reference did not resolve
# ---------------------------------------------------------------------------------------------


def _missing(b: _Builder, rtype: str, what: str, referrer: Resource, project: str | None = None) -> str:
    """Why ``what`` (of type ``rtype``, in ``project`` when known) is not in the inventory."""
    coverage = b.coverage
    scanned = sorted(coverage.scopes) if coverage.scopes is not None else [referrer.account]
    if project and project != referrer.account and project not in scanned:
        return f"{what} is in project {project}, outside this scan"
    plural = _PLURALS.get(rtype, rtype)
    if coverage.collected is not None and rtype not in coverage.collected:
        return f"{what} cannot be resolved: {plural} were not collected in this scan"
    for (t, account, _), why in sorted(coverage.incomplete.items()):
        if t == rtype and (account == (project or referrer.account) or (rtype == BUCKET and project is None)):
            return f"{what} cannot be resolved: {plural} could not be listed in project {account} ({why})"
    if rtype == BUCKET:
        return (
            f"{what} is not in the scanned projects ({', '.join(scanned)}): in another project "
            "the caller cannot see, or deleted"
        )
    return f"{what} was not found (deleted, or not readable)"


# ---------------------------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------------------------


def gcs(b: _Builder, referrer: Resource, uri: str, relation: str, api_field: str) -> None:
    """An edge to ``gs://bucket/key`` (a prefix node in its bucket), or to the bucket itself."""
    parsed = parse_gs_uri(uri)
    if parsed is None:
        b._node(uri, PREFIX, uri, None, None)
        b._edge(referrer.uid, uri, relation, api_field, f"{uri!r} is not a gs:// URI")
        return
    name, key = parsed
    found = _index(b).buckets.get(name)
    reason = None
    if found is not None:
        bucket_id = b._resource_node(found)
    else:
        bucket_id = b._node(bucket_uid(name), BUCKET, name, None, None)
        reason = _missing(b, BUCKET, f"bucket {name}", referrer)
    if not key.strip("/"):
        b._edge(referrer.uid, bucket_id, relation, api_field, reason)
        return
    prefix = b._node(f"{bucket_id}/{key}", PREFIX, f"gs://{name}/{key}", None, None)
    b._edge(referrer.uid, prefix, relation, api_field, reason)
    b._edge(prefix, bucket_id, IN_BUCKET, "the bucket of the gs:// URI", reason)


def identity(b: _Builder, referrer: Resource, email: str | None, api_field: str, agent: str) -> None:
    """``referrer`` runs as the service account ``email``; None: as the Google-managed identity
    ``agent`` (a template taking the project number of the referrer's resource name)."""
    if not email:
        number = _project_segment(referrer.uid) or referrer.account
        address = agent.format(number)
        node = b._node(f"projects/{number}/serviceAgents/{address}", SERVICE_AGENT, address, referrer.account, None)
        b._edge(referrer.uid, node, RUNS_AS, f"{api_field} (not set: a Google-managed service agent)")
        _roles(b, node, address)  # the Custom Code Service Agent holds its role in the project policy
        return
    found = _index(b).accounts.get(email.lower())
    if found is not None:
        node = b._resource_node(found)
        b._edge(referrer.uid, node, RUNS_AS, api_field)
    else:
        domain = email.rsplit("@", 1)[-1]
        project = domain.split(".", 1)[0] if domain.endswith(".iam.gserviceaccount.com") else None
        node = b._node(f"projects/-/serviceAccounts/{email}", SERVICE_ACCOUNT, email, project, None)
        reason = _missing(b, SERVICE_ACCOUNT, f"service account {email}", referrer, project)
        b._edge(referrer.uid, node, RUNS_AS, api_field, reason)
    _roles(b, node, email)


def _roles(b: _Builder, node: str, email: str) -> None:
    """``node`` (a service account) ─holds_roles→ its member in each scanned project's IAM policy."""
    for principal in _index(b).principals.get(f"serviceaccount:{email.lower()}", ()):
        b._edge(node, b._resource_node(principal), HOLDS_ROLES, "projects.getIamPolicy bindings[].members")


def vertex_ref(b: _Builder, referrer: Resource, rtype: str, name: str) -> tuple[str, str | None]:
    """The node of the Vertex AI resource ``name`` (a full resource name), and why it did not
    resolve (None when it did)."""
    found = _index(b).named.get((rtype, referrer.account, _tail(name)))
    if found is not None:
        return b._resource_node(found), None
    b._node(name, rtype, name.rsplit("/", 1)[-1], referrer.account, referrer.region)
    kind = rtype.rsplit(".", 1)[-1].replace("_", " ")
    return name, _missing(b, rtype, f"{kind} {name.rsplit('/', 1)[-1]}", referrer)


# ---------------------------------------------------------------------------------------------
# One handler per resource type
# ---------------------------------------------------------------------------------------------


def _custom_job(b: _Builder, job: Resource) -> None:
    assert isinstance(job, VertexCustomJob)
    if job.output_uri:
        gcs(b, job, job.output_uri, WRITES, "jobSpec.baseOutputDirectory.outputUriPrefix")
    identity(b, job, job.service_account, "jobSpec.serviceAccount", CUSTOM_CODE_AGENT)


def _training_pipeline(b: _Builder, pipeline: Resource) -> None:
    assert isinstance(pipeline, VertexTrainingPipeline)
    if pipeline.dataset_id:
        name = f"projects/{_project_segment(pipeline.uid)}/locations/{pipeline.region}/datasets/{pipeline.dataset_id}"
        node, reason = vertex_ref(b, pipeline, DATASET, name)
        b._edge(pipeline.uid, node, READS, "inputDataConfig.datasetId", reason)
    if pipeline.data_export_uri:
        gcs(b, pipeline, pipeline.data_export_uri, WRITES, "inputDataConfig.gcsDestination.outputUriPrefix")
    if pipeline.output_uri:
        gcs(b, pipeline, pipeline.output_uri, WRITES, "trainingTaskInputs.baseOutputDirectory.outputUriPrefix")
    if pipeline.service_account:  # custom training only; AutoML runs as Vertex AI's own agent
        identity(b, pipeline, pipeline.service_account, "trainingTaskInputs.serviceAccount", CUSTOM_CODE_AGENT)
    model = pipeline.model
    if not model and pipeline.model_id:
        model = f"projects/{_project_segment(pipeline.uid)}/locations/{pipeline.region}/models/{pipeline.model_id}"
    if model:
        node, reason = vertex_ref(b, pipeline, MODEL, model)
        uploaded = b.resources.get(node)
        if isinstance(uploaded, VertexModel) and _tail(uploaded.training_pipeline or "") == _tail(pipeline.uid):
            return  # the model names the pipeline itself: one edge, the model's (whatever the input order)
        b._edge(node, pipeline.uid, TRAINED_BY, "modelToUpload.name" if pipeline.model else "modelId", reason)


def _dataset(b: _Builder, dataset: Resource) -> None:
    assert isinstance(dataset, VertexDataset)
    for uri in dataset.gcs_sources:
        gcs(b, dataset, uri, READS, "metadata.inputConfig.gcsSource.uri")


def _model(b: _Builder, model: Resource) -> None:
    assert isinstance(model, VertexModel)
    if model.artifact_uri:
        gcs(b, model, model.artifact_uri, LOADS, "artifactUri")
        _objects(b, model, model.artifact_uri)
        for job in _producers(_index(b), model.account, model.artifact_uri):
            b._edge(model.uid, job.uid, TRAINED_BY, "artifactUri under jobSpec.baseOutputDirectory")
    if model.training_pipeline:
        node, reason = vertex_ref(b, model, TRAINING_PIPELINE, model.training_pipeline)
        b._edge(model.uid, node, TRAINED_BY, "trainingPipeline", reason)


def _objects(b: _Builder, model: VertexModel, folder: str) -> None:
    """model ─loads→ each object under its ``artifactUri`` that ``--inspect-artifacts`` read (node id =
    the object's uid, so the report's artifact verdicts land on it) ─in_bucket→ its bucket."""
    root = folder.rstrip("/") + "/"
    for artifact in _index(b).artifacts:
        uri = str(getattr(artifact, "uri", "") or artifact.name)
        if uri == folder or uri.startswith(root):
            node = b._resource_node(artifact)
            b._edge(model.uid, node, LOADS, "artifactUri (an object under it, read by --inspect-artifacts)")
            parsed = parse_gs_uri(uri)
            found = _index(b).buckets.get(parsed[0]) if parsed else None
            if found is not None:
                b._edge(node, b._resource_node(found), IN_BUCKET, "the bucket of the gs:// URI")


def _producers(index: _Index, project: str, artifact: str) -> list[VertexCustomJob]:
    """The custom jobs of ``project`` whose base output directory holds ``artifact`` (each
    ``/``-prefix of the URI is looked up: no scan over every job)."""
    if not artifact.startswith("gs://"):
        return []
    uri, found = artifact.rstrip("/") + "/", []
    slash = uri.find("/", len("gs://"))
    while slash != -1:
        found += index.outputs.get((project, uri[: slash + 1]), [])
        slash = uri.find("/", slash + 1)
    return found


def _endpoint(b: _Builder, endpoint: Resource) -> None:
    assert isinstance(endpoint, VertexEndpoint)
    for deployed in endpoint.deployed_models:
        where = f"deployedModels[{deployed.id}]"
        if deployed.model:
            node, reason = vertex_ref(b, endpoint, MODEL, deployed.model)
            b._edge(endpoint.uid, node, HOSTS, f"{where}.model ({deployed.traffic_percent}% of traffic)", reason)
        identity(b, endpoint, deployed.service_account, f"{where}.serviceAccount", PREDICTION_AGENT)


HANDLERS: dict[str, Callable[[_Builder, Resource], None]] = {
    CUSTOM_JOB: _custom_job,
    TRAINING_PIPELINE: _training_pipeline,
    DATASET: _dataset,
    MODEL: _model,
    ENDPOINT: _endpoint,
}
