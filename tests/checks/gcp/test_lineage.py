"""GCP lineage checks: PASS, FAIL, ERROR (unresolved or unreadable) and not applicable, over
snapshots built here (the graph itself is tested in tests/test_lineage_gcp.py)."""

from __future__ import annotations

from typing import Any

import pytest

from cspm.checks.gcp import lineage
from cspm.models import Status
from cspm.resources.gcp.storage import AclEntry, GcsBucket, IamBinding
from cspm.resources.gcp.vertex import (
    DeployedModel,
    VertexCustomJob,
    VertexDataset,
    VertexEndpoint,
    VertexModel,
    VertexTrainingPipeline,
)

NA = None  # not applicable: Result.status is None
P = "ml-project"
LOC = "projects/123/locations/us-central1"


def bucket(name: str, *, public: str | None = None, versioned: bool = True, **fields: Any) -> GcsBucket:
    bindings = (IamBinding(role=public, members=("allUsers",)),) if public else ()
    values: dict[str, Any] = {
        "uid": f"//storage.googleapis.com/projects/_/buckets/{name}",
        "name": name,
        "account": P,
        "region": "us",
        "uniform_access": True,
        "public_access_prevention": "inherited",
        "versioning_enabled": versioned,
        "iam_bindings": bindings,
        "acl": (),
        "default_object_acl": (),
    }
    return GcsBucket(**(values | fields))


def model(ident: str, artifact: str | None, pipeline: str | None = None) -> VertexModel:
    return VertexModel(
        uid=f"{LOC}/models/{ident}",
        name=ident,
        account=P,
        region="us-central1",
        artifact_uri=artifact,
        training_pipeline=f"{LOC}/trainingPipelines/{pipeline}" if pipeline else None,
    )


def endpoint(*models: tuple[str, int]) -> VertexEndpoint:
    deployed = tuple(
        DeployedModel(id=str(i), model=f"{LOC}/models/{m}", traffic_percent=pct) for i, (m, pct) in enumerate(models)
    )
    return VertexEndpoint(
        uid=f"{LOC}/endpoints/ep", name="ep", account=P, region="us-central1", deployed_models=deployed
    )


def job(output: str | None) -> VertexCustomJob:
    return VertexCustomJob(
        uid=f"{LOC}/customJobs/train", name="train", account=P, region="us-central1", output_uri=output
    )


def pipeline(dataset: str | None = None, export: str | None = None) -> VertexTrainingPipeline:
    return VertexTrainingPipeline(
        uid=f"{LOC}/trainingPipelines/pipe",
        name="pipe",
        account=P,
        region="us-central1",
        dataset_id=dataset,
        data_export_uri=export,
    )


def dataset(*sources: str) -> VertexDataset:
    return VertexDataset(uid=f"{LOC}/datasets/ds", name="ds", account=P, region="us-central1", gcs_sources=sources)


PRIVATE = bucket("private")
PUBLIC_READ = bucket("open", public="roles/storage.objectViewer", versioned=False)
PUBLIC_WRITE = bucket("drop", public="roles/storage.objectCreator")
UNREADABLE = bucket("blind", iam_bindings=None)
RETAINED = bucket("kept", versioned=False, retention_period_seconds=86400)
BUCKETS = (PRIVATE, PUBLIC_READ, PUBLIC_WRITE, UNREADABLE, RETAINED)


def _endpoint_check(ep: VertexEndpoint, models: tuple[VertexModel, ...], **kw: Any) -> Any:
    return lineage.endpoint_models_come_from_private_buckets(
        ep,
        [ep],
        list(models),
        list(kw.get("jobs", ())),
        list(kw.get("pipelines", ())),
        list(kw.get("datasets", ())),
        list(kw.get("buckets", BUCKETS)),
    )


@pytest.mark.parametrize(
    ("case", "models", "extra", "expected"),
    [
        ("private artifact", (model("m", "gs://private/m/"),), {}, Status.PASS),
        ("public artifact", (model("m", "gs://open/m/"),), {}, Status.FAIL),
        (
            "trained by a job writing to a public bucket",
            (model("m", "gs://private/out/model/"),),
            {"jobs": (job("gs://drop/out/"),)},
            Status.PASS,
        ),
        (
            "artifact under the job's public output",
            (model("m", "gs://drop/out/model/"),),
            {"jobs": (job("gs://drop/out/"),)},
            Status.FAIL,
        ),
        (
            "pipeline trained on a public dataset",
            (model("m", "gs://private/m/", pipeline="pipe"),),
            {"pipelines": (pipeline(dataset="ds"),), "datasets": (dataset("gs://open/train.csv"),)},
            Status.FAIL,
        ),
        ("artifact in another project", (model("m", "gs://partner/m/"),), {}, Status.ERROR),
        ("bucket policy unreadable", (model("m", "gs://blind/m/"),), {}, Status.ERROR),
        ("deleted model", (), {}, Status.ERROR),
        ("model without artifact", (model("m", None),), {}, NA),
    ],
)
def test_endpoint_models_come_from_private_buckets(
    case: str, models: tuple[VertexModel, ...], extra: dict[str, Any], expected: Status | None
) -> None:
    result = _endpoint_check(endpoint(("m", 100)), models, **extra)
    assert result.status is expected, result.message
    if expected is Status.ERROR and case == "artifact in another project":
        assert "not in the scanned projects" in result.message


def test_a_model_at_zero_traffic_still_counts() -> None:
    ep = endpoint(("good", 100), ("shadow", 0))
    result = _endpoint_check(ep, (model("good", "gs://private/g/"), model("shadow", "gs://drop/s/")))
    assert result.status is Status.FAIL
    [problem] = result.evidence["problems"]
    assert problem["bucket"] == "drop" and problem["writable"] is True
    assert "publicly writable" in result.message


def test_an_endpoint_without_deployed_models_is_not_applicable() -> None:
    assert _endpoint_check(endpoint(), ()).status is NA


@pytest.mark.parametrize(
    ("case", "artifact", "expected"),
    [
        ("versioned", "gs://private/m/", Status.PASS),
        ("retention policy", "gs://kept/m/", Status.PASS),
        ("neither", "gs://open/m/", Status.FAIL),
        ("bucket outside the scan", "gs://partner/m/", Status.ERROR),
        ("no artifact", None, NA),
    ],
)
def test_endpoint_model_artifacts_are_versioned(case: str, artifact: str | None, expected: Status | None) -> None:
    ep = endpoint(("m", 100))
    result = lineage.endpoint_model_artifacts_are_versioned(ep, [ep], [model("m", artifact)], list(BUCKETS))
    assert result.status is expected, result.message


@pytest.mark.parametrize(
    ("case", "output", "expected"),
    [
        ("private", "gs://private/out/", Status.PASS),
        ("public", "gs://open/out/", Status.FAIL),
        ("bucket in a project not scanned", "gs://partner/out/", Status.ERROR),
        ("unreadable bucket policy", "gs://blind/out/", Status.ERROR),
        ("not a gs:// URI", "/tmp/out", Status.ERROR),
        ("no output directory", None, NA),
    ],
)
def test_custom_job_output_is_in_private_bucket(case: str, output: str | None, expected: Status | None) -> None:
    subject = job(output)
    result = lineage.custom_job_output_is_in_private_bucket(subject, [subject], list(BUCKETS))
    assert result.status is expected, result.message


def test_custom_job_bucket_not_collected_is_error_not_pass() -> None:
    subject = job("gs://private/out/")
    result = lineage.custom_job_output_is_in_private_bucket(subject, [subject], [])
    assert result.status is Status.ERROR
    assert "not in the scanned projects" in result.message


@pytest.mark.parametrize(
    ("case", "subject", "datasets", "expected"),
    [
        ("private dataset", pipeline(dataset="ds"), (dataset("gs://private/d.csv"),), Status.PASS),
        ("public dataset source", pipeline(dataset="ds"), (dataset("gs://open/d.csv"),), Status.FAIL),
        ("public export destination", pipeline(export="gs://drop/splits/"), (), Status.FAIL),
        ("dataset source in another project", pipeline(dataset="ds"), (dataset("gs://partner/d.csv"),), Status.ERROR),
        ("deleted dataset", pipeline(dataset="ds"), (), Status.ERROR),
        ("BigQuery dataset (no Cloud Storage)", pipeline(dataset="ds"), (dataset(),), NA),
        ("no input data config", pipeline(), (), NA),
    ],
)
def test_training_pipeline_data_is_in_private_bucket(
    case: str, subject: VertexTrainingPipeline, datasets: tuple[VertexDataset, ...], expected: Status | None
) -> None:
    result = lineage.training_pipeline_data_is_in_private_bucket(subject, [subject], list(datasets), list(BUCKETS))
    assert result.status is expected, result.message


def test_public_acl_on_a_fine_grained_bucket_fails_like_iam() -> None:
    acl = bucket("legacy", uniform_access=False, acl=(AclEntry(entity="allUsers", role="WRITER"),))
    subject = job("gs://legacy/out/")
    result = lineage.custom_job_output_is_in_private_bucket(subject, [subject], [acl])
    assert result.status is Status.FAIL
    assert result.evidence["problems"][0]["writable"] is True
