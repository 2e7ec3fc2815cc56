"""Checks that reason along the Google Cloud AI lineage (cspm/lineage_gcp.py, docs/lineage.md "GCP").

Each check starts at one Vertex AI resource and follows the graph to the Cloud Storage buckets
behind it: an endpoint to the artifacts of every model it has deployed (whatever its traffic
share) and to the data those models were trained on; a custom job or training pipeline to the
buckets it reads and writes. Whether a bucket is public is what ``gcp.storage.bucket_is_not_public``
decides (allUsers / allAuthenticatedUsers in its IAM policy or ACLs, unless public access
prevention is enforced). A reference the graph could not resolve (a bucket in a project the scan
does not cover or the caller cannot see, a deleted model) makes the check answer ERROR with the
reason, never PASS.

The severity rule of docs/lineage.md leaves these checks alone (they already reason along the chain).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cspm.checks.gcp.storage import BUCKET_LOCK, OBJECT_VERSIONING, bucket_is_not_public
from cspm.lineage import HOSTS, IN_BUCKET, LOADS, READS, TRAINED_BY, WRITES, LineageGraph, lineage_of
from cspm.lineage_gcp import DATASET, PREFIX
from cspm.models import Baseline, Result, Severity, Status, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.gcp.storage import GcsBucket
from cspm.resources.gcp.vertex import (
    VertexCustomJob,
    VertexDataset,
    VertexEndpoint,
    VertexModel,
    VertexTrainingPipeline,
)

_VERTEX = "https://cloud.google.com/vertex-ai/docs"
MODEL_ARTIFACTS = f"{_VERTEX}/reference/rest/v1/CustomJobSpec"  # baseOutputDirectory: AIP_MODEL_DIR
DEPLOY_MODEL = f"{_VERTEX}/reference/rest/v1/projects.locations.endpoints"  # deployedModels, trafficSplit
PIPELINE = f"{_VERTEX}/reference/rest/v1/projects.locations.trainingPipelines"  # inputDataConfig
# Roles and ACL grants that let their holder create or replace objects.
_WRITE_ROLES = ("admin", "objectAdmin", "objectCreator", "objectUser", "legacyBucketWriter", "legacyBucketOwner")


@dataclass
class _Verdict:
    """Problems (FAIL) and what could not be assessed (ERROR), gathered along the graph."""

    problems: list[dict[str, Any]] = field(default_factory=list)
    unassessed: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)  # bucket uids judged
    judged: set[tuple[str, str]] = field(default_factory=set)  # (who uses it, bucket uid) already reported

    def result(self, subject: str, ok: str, evidence: dict[str, Any]) -> Result:
        unassessed = list(dict.fromkeys(self.unassessed))
        details = {**evidence, "problems": self.problems, "unassessed": unassessed}
        if self.problems:
            return failed("; ".join(p["message"] for p in self.problems[:5]) + ".", details)
        if unassessed:
            return unknown(f"Could not assess {subject}: {'; '.join(unassessed)}.", details)
        return passed(ok, details)


def _graph(
    endpoints: Sequence[VertexEndpoint],
    models: Sequence[VertexModel],
    jobs: Sequence[VertexCustomJob],
    pipelines: Sequence[VertexTrainingPipeline],
    datasets: Sequence[VertexDataset],
    buckets: Sequence[GcsBucket],
) -> LineageGraph:
    return lineage_of(
        {
            VertexEndpoint: endpoints,
            VertexModel: models,
            VertexCustomJob: jobs,
            VertexTrainingPipeline: pipelines,
            VertexDataset: datasets,
            GcsBucket: buckets,
        }
    )


def _follow(graph: LineageGraph, source: str, relations: tuple[str, ...], verdict: _Verdict) -> list[str]:
    """The targets of ``source``'s edges of ``relations``; unresolved ones go to ``verdict``."""
    out = []
    for edge in graph.edges_from(source, *relations):
        if edge.resolved:
            out.append(edge.target)
        else:
            verdict.unassessed.append(edge.reason or f"{edge.target} could not be resolved")
    return out


def _buckets(graph: LineageGraph, targets: Sequence[str], verdict: _Verdict) -> list[tuple[str, GcsBucket]]:
    """(gs:// URI, bucket) of each prefix or bucket node in ``targets``; a dataset is followed to its sources."""
    out: list[tuple[str, GcsBucket]] = []
    for target in targets:
        node = graph.node(target)
        if node is None:
            continue
        if node.type == DATASET:
            out += _buckets(graph, _follow(graph, target, (READS,), verdict), verdict)
            continue
        bucket_ids = _follow(graph, target, (IN_BUCKET,), verdict) if node.type == PREFIX else [target]
        for bucket_id in bucket_ids:
            bucket = graph.resource(bucket_id)
            if isinstance(bucket, GcsBucket):
                out.append((node.name if node.type == PREFIX else f"gs://{bucket.name}", bucket))
    return out


def _judge_public(uri: str, bucket: GcsBucket, verdict: _Verdict, why: str) -> None:
    if (why, bucket.uid) in verdict.judged:
        return
    verdict.judged.add((why, bucket.uid))
    verdict.seen.add(bucket.uid)
    result = bucket_is_not_public(bucket)
    if result.status is Status.ERROR:
        verdict.unassessed.append(f"bucket {bucket.name}: {result.message}")
    elif result.status is Status.FAIL:
        grants = [str(g) for key in ("iam", "acl") for g in result.evidence.get(key, ())]
        writable = any(g.endswith(_WRITE_ROLES) or g.endswith((":WRITER", ":OWNER")) for g in grants)
        access = "writable" if writable else "readable"
        verdict.problems.append(
            {
                "message": f"{why} {uri}, in bucket {bucket.name}, which is publicly {access}",
                "bucket": bucket.name,
                "uri": uri,
                "writable": writable,
                "grants": grants,
            }
        )


def _job_data(graph: LineageGraph, job_id: str, verdict: _Verdict) -> list[tuple[str, GcsBucket]]:
    return _buckets(graph, _follow(graph, job_id, (READS, WRITES), verdict), verdict)


def _hosted_models(graph: LineageGraph, endpoint: VertexEndpoint, verdict: _Verdict) -> list[VertexModel]:
    if endpoint.uid not in graph:
        verdict.unassessed.append("the endpoint is not in the lineage graph of its project")
        return []
    models = (graph.resource(t) for t in _follow(graph, endpoint.uid, (HOSTS,), verdict))
    return [m for m in models if isinstance(m, VertexModel)]


# ---------------------------------------------------------------------------------------------
# Endpoints: the provenance and the integrity of what they serve
# ---------------------------------------------------------------------------------------------


@check(
    title="Vertex AI endpoint serves no model loaded from or trained on a public bucket",
    fail_title="Vertex AI endpoint serves a model loaded from or trained on a public bucket",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Move the model artifacts and training data to private buckets (remove allUsers and "
    "allAuthenticatedUsers, enforce public access prevention), then retrain and redeploy the model.",
    compliance={"cis-gcp-5.0": ["5.1"], "nist-800-53-r5": ["SI-7", "AC-3", "SR-11"]},
    attack=["AML.T0020", "AML.T0010.002", "AML.T0018"],
    references=(MODEL_ARTIFACTS, DEPLOY_MODEL),
)
def endpoint_models_come_from_private_buckets(
    endpoint: VertexEndpoint,
    endpoints: Sequence[VertexEndpoint],
    models: Sequence[VertexModel],
    jobs: Sequence[VertexCustomJob],
    pipelines: Sequence[VertexTrainingPipeline],
    datasets: Sequence[VertexDataset],
    buckets: Sequence[GcsBucket],
) -> Result:
    """A Vertex AI model serves what its ``artifactUri`` holds, and learned from what its custom
    job or training pipeline read: Vertex AI gives custom training code ``AIP_MODEL_DIR`` under the
    job's base output directory, and a pipeline trains on its dataset's Cloud Storage sources. A
    public bucket anywhere on that chain lets anyone read the model or its data, and with a write
    role replace them: the next deployment or training run uses the attacker's files. Every model
    deployed to the endpoint counts, also one at 0 % of the traffic split: one edit of the split
    serves it."""
    if not endpoint.deployed_models:
        return not_applicable("No model is deployed to the endpoint.")
    graph = _graph(endpoints, models, jobs, pipelines, datasets, buckets)
    verdict = _Verdict()
    served = _hosted_models(graph, endpoint, verdict)
    for model in served:
        for uri, bucket in _buckets(graph, _follow(graph, model.uid, (LOADS,), verdict), verdict):
            _judge_public(uri, bucket, verdict, f"Model {model.name} loads")
        for job_id in _follow(graph, model.uid, (TRAINED_BY,), verdict):
            job = graph.node(job_id)
            for uri, bucket in _job_data(graph, job_id, verdict):
                _judge_public(
                    uri, bucket, verdict, f"Model {model.name} was trained by {job.name if job else job_id} on"
                )
    if not verdict.seen and not verdict.unassessed:
        return not_applicable("The deployed models name no Cloud Storage location.")
    return verdict.result(
        "where the served models come from",
        "The served models' artifacts and training data are in private buckets.",
        {"models": [m.uid for m in served], "buckets": sorted(verdict.seen)},
    )


@check(
    title="Vertex AI endpoint serves model artifacts from buckets with versioning or a retention policy",
    fail_title="Vertex AI endpoint serves model artifacts from a bucket without versioning or retention",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Enable Object Versioning on the artifact bucket, or set (and lock) a retention policy, so a "
    "replaced or deleted model file can be compared with and restored to the one that was deployed.",
    compliance={"nist-800-53-r5": ["SI-7", "CP-9", "AU-9"]},
    attack=["AML.T0018", "AML.T0010.003"],
    references=(OBJECT_VERSIONING, BUCKET_LOCK, DEPLOY_MODEL),
)
def endpoint_model_artifacts_are_versioned(
    endpoint: VertexEndpoint,
    endpoints: Sequence[VertexEndpoint],
    models: Sequence[VertexModel],
    buckets: Sequence[GcsBucket],
) -> Result:
    """A deployed model's files stay in Cloud Storage at its ``artifactUri``. Without Object
    Versioning a replaced file leaves no noncurrent version to compare with or restore; a
    retention policy (exclusive with versioning) keeps objects from being replaced or deleted
    during its period. Either one keeps the served artifact's history; neither means a silent
    overwrite cannot be told or undone."""
    if not endpoint.deployed_models:
        return not_applicable("No model is deployed to the endpoint.")
    graph = lineage_of({VertexEndpoint: endpoints, VertexModel: models, GcsBucket: buckets})
    verdict = _Verdict()
    artifacts: list[str] = []
    for model in _hosted_models(graph, endpoint, verdict):
        for uri, bucket in _buckets(graph, _follow(graph, model.uid, (LOADS,), verdict), verdict):
            artifacts.append(uri)
            if bucket.versioning_enabled or bucket.retention_period_seconds is not None:
                continue
            verdict.problems.append(
                {
                    "message": f"Model {model.name} loads {uri} from bucket {bucket.name}, which has neither "
                    "versioning nor a retention policy",
                    "bucket": bucket.name,
                    "uri": uri,
                }
            )
    if not artifacts and not verdict.unassessed:
        return not_applicable("The deployed models load no artifact from Cloud Storage.")
    return verdict.result(
        "the served models' artifact buckets",
        "Every served artifact is in a bucket with versioning or a retention policy.",
        {"artifacts": artifacts},
    )


# ---------------------------------------------------------------------------------------------
# Training: the buckets a job or pipeline reads and writes
# ---------------------------------------------------------------------------------------------


def _training(
    subject: str,
    resource_id: str,
    graph: LineageGraph,
) -> Result:
    verdict = _Verdict()
    if resource_id not in graph:
        verdict.unassessed.append(f"the {subject} is not in the lineage graph of its project")
    data = _job_data(graph, resource_id, verdict) if resource_id in graph else []
    if not data and not verdict.unassessed:
        return not_applicable(f"The {subject} names no Cloud Storage location.")
    for uri, bucket in data:
        _judge_public(uri, bucket, verdict, f"The {subject} uses")
    return verdict.result(
        f"the buckets of the {subject}",
        f"The {subject}'s data and outputs are in private buckets.",
        {"data": [uri for uri, _ in data]},
    )


@check(
    title="Vertex AI custom job writes its outputs and model to no public bucket",
    fail_title="Vertex AI custom job writes its outputs and model to a public bucket",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Point jobSpec.baseOutputDirectory at a private bucket (no allUsers or "
    "allAuthenticatedUsers grants, public access prevention enforced) in a project you scan.",
    compliance={"cis-gcp-5.0": ["5.1"], "nist-800-53-r5": ["SI-7", "AC-3"]},
    attack=["AML.T0020", "AML.T0010.002"],
    references=(MODEL_ARTIFACTS,),
)
def custom_job_output_is_in_private_bucket(
    job: VertexCustomJob,
    jobs: Sequence[VertexCustomJob],
    buckets: Sequence[GcsBucket],
) -> Result:
    """A custom job's base output directory is where Vertex AI tells the training code to save the
    model (``AIP_MODEL_DIR``), checkpoints and logs, and where a model is then imported from. In a
    public bucket anyone can read the model, or with a write role swap it before it is imported.
    A bucket the scan cannot see (another project) is ERROR: its exposure is unknown."""
    return _training("custom job", job.uid, lineage_of({VertexCustomJob: jobs, GcsBucket: buckets}))


@check(
    title="Vertex AI training pipeline trains on data in no public bucket",
    fail_title="Vertex AI training pipeline trains on data in a public bucket",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Keep the dataset's Cloud Storage sources, the exported splits (inputDataConfig.gcsDestination) "
    "and the base output directory in private buckets of a scanned project.",
    compliance={"cis-gcp-5.0": ["5.1"], "nist-800-53-r5": ["SI-7", "AC-3"]},
    attack=["AML.T0020", "AML.T0010.002"],
    references=(MODEL_ARTIFACTS, PIPELINE),
)
def training_pipeline_data_is_in_private_bucket(
    pipeline: VertexTrainingPipeline,
    pipelines: Sequence[VertexTrainingPipeline],
    datasets: Sequence[VertexDataset],
    buckets: Sequence[GcsBucket],
) -> Result:
    """A training pipeline trains on its Vertex AI dataset, whose tabular and time-series data
    stay at their Cloud Storage sources, exports the splits to ``gcsDestination`` and writes the
    model under its base output directory. Public data there is data anyone may read, or with a
    write role poison, before the next run. A source the scan cannot see (a bucket of another
    project, a deleted dataset) is ERROR: its exposure is unknown."""
    graph = lineage_of({VertexTrainingPipeline: pipelines, VertexDataset: datasets, GcsBucket: buckets})
    return _training("training pipeline", pipeline.uid, graph)
