"""The Vertex AI collector by plain REST through google-auth's session, against the fake
(``responses``, the public global and regional hosts)."""

from __future__ import annotations

from datetime import UTC, datetime

from cspm.engine import evaluate
from cspm.models import Status
from cspm.providers.gcp.vertex import PRODUCES
from cspm.registry import load_checks
from cspm.resources.gcp.storage import GcsBucket
from cspm.resources.gcp.vertex import (
    DeployedModel,
    VertexCustomJob,
    VertexDataset,
    VertexEndpoint,
    VertexModel,
    VertexTrainingPipeline,
)
from support.aws import one
from support.gcp import (
    PROJECT,
    PROJECT_NUMBER,
    FakeGcs,
    collect_gcp,
    custom_job,
    training_pipeline,
    vertex_dataset,
    vertex_endpoint,
    vertex_model,
)

KEY = f"projects/{PROJECT}/locations/us-central1/keyRings/ml/cryptoKeys/vertex"
PREFIX = f"projects/{PROJECT_NUMBER}/locations/us-central1"
SA = f"trainer@{PROJECT}.iam.gserviceaccount.com"


def _fake(page_size: int = 1000) -> FakeGcs:
    fake = FakeGcs(page_size=page_size)
    fake.add_vertex(
        "endpoints",
        vertex_endpoint(
            "ep", psc=True, kms_key=KEY, deployed=(("1", f"{PREFIX}/models/m", 80, SA), ("2", "x", 20, None))
        ),
    )
    fake.add_vertex("endpoints", vertex_endpoint("open", location="europe-west4"))
    fake.add_vertex(
        "models",
        vertex_model("m", artifact_uri="gs://ml-models/m/", kms_key=KEY, endpoints=(f"{PREFIX}/endpoints/ep",)),
    )
    fake.add_vertex("customJobs", custom_job("job", service_account=SA, network="projects/1/global/networks/vpc",
                                              web_access=True, output_uri="gs://ml-out/job/", kms_key=KEY))  # fmt: skip
    fake.add_vertex("trainingPipelines", training_pipeline("tp", kms_key=KEY, model=f"{PREFIX}/models/m"))
    fake.add_vertex("datasets", vertex_dataset("ds"))
    return fake


def test_every_kind_is_snapshotted_in_every_location_across_pages() -> None:
    fake = _fake(page_size=1)
    inventory, provider = collect_gcp(fake, *PRODUCES)

    assert not inventory.errors and not fake.violations
    endpoint = one(inventory, VertexEndpoint, "ep")
    assert endpoint.uid == f"{PREFIX}/endpoints/ep" and endpoint.account == PROJECT
    assert endpoint.region == "us-central1" and endpoint.private_service_connect and endpoint.kms_key == KEY
    assert endpoint.psc_project_allowlist == (PROJECT,)
    assert endpoint.deployed_models == (
        DeployedModel(id="1", model=f"{PREFIX}/models/m", model_version_id="1", service_account=SA, traffic_percent=80),
        DeployedModel(id="2", model="x", model_version_id="1", service_account=None, traffic_percent=20),
    )
    public = one(inventory, VertexEndpoint, "open")
    assert public.region == "europe-west4" and not public.private_service_connect and public.network is None
    model = one(inventory, VertexModel, "m")
    assert model.artifact_uri == "gs://ml-models/m/" and model.kms_key == KEY
    assert model.deployed_to == (f"{PREFIX}/endpoints/ep",) and model.version_aliases == ("default",)
    job = one(inventory, VertexCustomJob, "job")
    assert (job.service_account, job.network, job.web_access, job.output_uri, job.kms_key) == (
        SA, "projects/1/global/networks/vpc", True, "gs://ml-out/job/", KEY,
    )  # fmt: skip
    assert job.images == ("us-docker.pkg.dev/vertex-ai/training/tf-cpu.2-15:latest",)
    pipeline = one(inventory, VertexTrainingPipeline, "tp")
    assert pipeline.kms_key == KEY and pipeline.model == f"{PREFIX}/models/m" and pipeline.service_account is None
    dataset = one(inventory, VertexDataset, "ds")
    assert dataset.kms_key is None and dataset.metadata_schema is not None
    assert provider.scopes()[0].regions == ["europe-west4", "us-central1"]
    hosts = {path for _, path in fake.requests}
    assert f"/v1/projects/{PROJECT}/locations" in hosts
    assert f"/v1/projects/{PROJECT}/locations/europe-west4/datasets" in hosts


def test_disabled_vertex_api_is_recorded_and_every_vertex_check_is_error() -> None:
    """The real answer of a disabled API: HTTP 403 with ErrorInfo reason SERVICE_DISABLED."""
    fake = _fake()
    fake.denied.add(f"vertex-disabled:{PROJECT}")
    inventory, _ = collect_gcp(fake, *PRODUCES)

    [error] = inventory.errors
    assert (error.service, error.operation, error.code) == ("vertex", "locations.list", "Forbidden")
    assert "has not been used in project" in error.message and error.message.endswith("(reason SERVICE_DISABLED)")
    for kind in PRODUCES:
        assert inventory.incomplete_reason(kind, PROJECT) is not None
    specs = [s for s in load_checks(["gcp"]) if s.service == "vertex"]
    findings = evaluate(specs, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    assert {f.check_id for f in findings} == {s.id for s in specs}
    assert {f.status for f in findings} == {Status.ERROR}


def test_denied_listing_in_one_location_marks_only_that_kind() -> None:
    fake = _fake()
    fake.denied.add(f"vertex:{PROJECT}:us-central1:customJobs")
    inventory, _ = collect_gcp(fake, *PRODUCES)

    [error] = inventory.errors
    assert (error.operation, error.code) == ("customJobs.list", "Forbidden")
    assert inventory.incomplete_reason(VertexCustomJob, PROJECT) is not None
    assert inventory.incomplete_reason(VertexModel, PROJECT) is None
    assert not inventory.of_type(VertexCustomJob)
    assert one(inventory, VertexModel, "m").kms_key == KEY


def test_a_nameless_item_is_recorded_not_snapshotted() -> None:
    fake = FakeGcs()
    fake.add_vertex("datasets", vertex_dataset("ds"))
    fake.vertex[(PROJECT, "us-central1", "datasets")].append({"displayName": "broken"})
    inventory, _ = collect_gcp(fake, VertexDataset)

    assert [d.name for d in inventory.of_type(VertexDataset)] == ["ds"]
    [error] = inventory.errors
    assert (error.operation, error.code) == ("datasets.list", "MalformedResource")
    assert inventory.incomplete_reason(VertexDataset, PROJECT) is not None


def test_the_collector_only_reads() -> None:
    fake = _fake()
    collect_gcp(fake, *PRODUCES)
    posts = {path for method, path in fake.requests if method != "GET"}
    assert all(path.endswith(":getIamPolicy") for path in posts) and not fake.violations  # the resources' policies


def test_the_demo_project_shows_a_hardened_and_an_exposed_model() -> None:
    from cspm.demo.gcp import DEMO_PROJECT, demo_project

    fake = demo_project()
    inventory, _ = collect_gcp(fake, GcsBucket, *PRODUCES, projects=(DEMO_PROJECT,))
    assert not inventory.errors
    specs = [s for s in load_checks(["gcp"]) if s.service == "vertex"]
    findings = evaluate(specs, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    verdicts = {(f.check_id.rsplit(".", 1)[1], f.resource_uid.rsplit("/", 1)[1]): f.status for f in findings}
    assert verdicts[("endpoint_is_private", "fraud-psc")] is Status.PASS
    assert verdicts[("endpoint_is_private", "churn-public")] is Status.FAIL
    assert verdicts[("custom_job_uses_dedicated_service_account", "train-fraud")] is Status.PASS
    assert verdicts[("custom_job_uses_dedicated_service_account", "train-churn")] is Status.FAIL
    assert verdicts[("custom_job_web_access_disabled", "train-churn")] is Status.FAIL
    assert verdicts[("model_encrypted_with_cmek", "fraud-model")] is Status.PASS
    assert verdicts[("dataset_encrypted_with_cmek", "churn-events")] is Status.FAIL
    assert verdicts[("model_artifact_bucket_is_not_public", "fraud-model")] is Status.PASS
    assert verdicts[("model_artifact_bucket_is_not_public", "churn-model")] is Status.FAIL
    assert {s.id.rsplit(".", 1)[1] for s in specs} == {check for check, _ in verdicts}, "every check shown"
