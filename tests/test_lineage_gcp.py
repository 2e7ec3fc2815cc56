"""Google Cloud in the lineage graph: edges from snapshots collected through the fake Google APIs,
unresolved references with their reason, the AI-supply-chain severity rule on Cloud Storage
buckets, the untrusted_training_data risk on Vertex AI, and input order not changing the graph."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from hypothesis import given, settings
from hypothesis import strategies as st

from cspm.artifacts.options import is_artifact_check
from cspm.demo.gcp_lineage import with_deployed_model, with_gcs_source, with_input_data
from cspm.engine import Inventory, build_report, evaluate
from cspm.lineage import Coverage, LineageGraph, build_lineage, lineage_of, raise_supply_chain_severity
from cspm.lineage_gcp import HOLDS_ROLES, PREFIX, SERVICE_AGENT, bucket_uid, parse_gs_uri
from cspm.models import Severity, Status
from cspm.providers import gcp
from cspm.registry import load_checks
from cspm.reporting.formats import render
from cspm.reporting.lineage import render_tree
from cspm.resources.artifacts import ImportFound
from cspm.resources.gcp.artifacts import GcsModelArtifact
from cspm.resources.gcp.storage import GcsBucket
from cspm.resources.gcp.vertex import VertexCustomJob, VertexModel
from cspm.risks import find_risks
from cspm.supply_chain import NEEDS_VERTEX, mark_unassessed, supply_chain_note
from support.gcp import (
    PROJECT,
    PROJECT_NUMBER,
    FakeGcs,
    bucket,
    collect_gcp,
    custom_job,
    hardened_bucket,
    iam_policy,
    project_policy,
    service_account,
    training_pipeline,
    vertex_dataset,
    vertex_endpoint,
    vertex_model,
)

LOC = f"projects/{PROJECT_NUMBER}/locations/us-central1"
TRAINER = f"trainer@{PROJECT}.iam.gserviceaccount.com"
STRANGER = "runner@other-project.iam.gserviceaccount.com"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _estate() -> FakeGcs:
    """A public data bucket a custom job writes its model to, a model loaded from there and served
    by an endpoint at 0 % next to a private one, and a pipeline whose dataset is in another project."""
    fake = FakeGcs(projects=[PROJECT])
    fake.add_bucket(
        bucket("ml-data", public_access_prevention="inherited"),
        policy=iam_policy("ml-data", ("roles/storage.objectViewer", ["allUsers"])),
    )
    fake.add_bucket(hardened_bucket("ml-models", versioning=True))
    fake.service_accounts[PROJECT] = [service_account(TRAINER)]
    fake.project_policies[PROJECT] = project_policy(("roles/editor", [f"serviceAccount:{TRAINER}"]))
    fake.add_vertex("customJobs", custom_job("train", service_account=TRAINER, output_uri="gs://ml-data/runs/7/"))
    fake.add_vertex("customJobs", custom_job("adhoc", output_uri="gs://ml-models/adhoc/"))
    fake.add_vertex("models", vertex_model("churn", artifact_uri="gs://ml-data/runs/7/model/"))
    fake.add_vertex(
        "models",
        vertex_model("fraud", artifact_uri="gs://ml-models/fraud/", training_pipeline=f"{LOC}/trainingPipelines/pipe"),
    )
    endpoint = vertex_endpoint("serve", deployed=(("1", f"{LOC}/models/fraud", 100, STRANGER),))
    fake.add_vertex("endpoints", with_deployed_model(endpoint, "2", f"{LOC}/models/churn", 0, TRAINER))
    fake.add_vertex("datasets", with_gcs_source(vertex_dataset("clicks"), "gs://partner-bucket/clicks.csv"))
    fake.add_vertex(
        "trainingPipelines",
        with_input_data(
            training_pipeline("pipe", model=f"{LOC}/models/fraud"),
            dataset_id="clicks",
            export_uri="gs://ml-models/splits/",
        ),
    )
    return fake


def _collect(fake: FakeGcs) -> Inventory:
    types = {t for name in gcp.SERVICE_MODULES for t in gcp.service_spec(name).produces}
    inventory, _ = collect_gcp(fake, *types)
    assert not inventory.errors
    return inventory


def _graph() -> tuple[LineageGraph, Inventory]:
    inventory = _collect(_estate())
    return build_lineage(inventory.resources()), inventory


def _targets(graph: LineageGraph, source: str, relation: str) -> dict[str, Any]:
    return {e.target: e for e in graph.edges_from(source, relation)}


def test_gcp_edges_from_the_collected_snapshots() -> None:
    graph, _ = _graph()
    serve, churn, fraud = f"{LOC}/endpoints/serve", f"{LOC}/models/churn", f"{LOC}/models/fraud"

    hosts = _targets(graph, serve, "hosts")
    assert set(hosts) == {churn, fraud} and all(e.resolved for e in hosts.values())
    assert hosts[churn].api_field == "deployedModels[2].model (0% of traffic)"  # 0 %: still deployed

    [loads] = graph.edges_from(churn, "loads")
    assert loads.target == f"{bucket_uid('ml-data')}/runs/7/model/" and loads.resolved
    assert graph.node(loads.target).type == PREFIX  # type: ignore[union-attr]
    [in_bucket] = graph.edges_from(loads.target, "in_bucket")
    assert in_bucket.target == bucket_uid("ml-data") and isinstance(graph.resource(in_bucket.target), GcsBucket)

    # the model lies under the job's base output directory (AIP_MODEL_DIR), not the other job's
    assert set(_targets(graph, churn, "trained_by")) == {f"{LOC}/customJobs/train"}
    [trained_by] = graph.edges_from(fraud, "trained_by")
    assert trained_by.target == f"{LOC}/trainingPipelines/pipe" and trained_by.resolved

    [runs_as] = graph.edges_from(f"{LOC}/customJobs/train", "runs_as")
    assert runs_as.resolved and graph.resource(runs_as.target) is not None
    [agent] = graph.edges_from(f"{LOC}/customJobs/adhoc", "runs_as")
    assert agent.resolved and graph.node(agent.target).type == SERVICE_AGENT  # type: ignore[union-attr]
    assert f"service-{PROJECT_NUMBER}@gcp-sa-aiplatform-cc" in agent.target

    identities = _targets(graph, serve, "runs_as")
    stranger = next(e for t, e in identities.items() if STRANGER in t)
    assert (
        not stranger.resolved
        and stranger.reason == f"service account {STRANGER} is in project other-project, outside this scan"
    )
    trainer = next(e for t, e in identities.items() if TRAINER in t)
    assert trainer.resolved and trainer.target == runs_as.target  # the job's and the deployment's account
    [holds] = graph.edges_from(trainer.target, HOLDS_ROLES)
    assert holds.target == f"//cloudresourcemanager.googleapis.com/projects/{PROJECT}#serviceAccount:{TRAINER}"

    pipe = f"{LOC}/trainingPipelines/pipe"
    [dataset] = graph.edges_from(pipe, "reads")
    assert dataset.target == f"{LOC}/datasets/clicks" and dataset.resolved
    [source] = graph.edges_from(dataset.target, "reads")
    assert not source.resolved
    assert source.reason == (
        f"bucket partner-bucket is not in the scanned projects ({PROJECT}): in another project the caller "
        "cannot see, or deleted"
    )
    assert set(_targets(graph, pipe, "writes")) == {f"{bucket_uid('ml-models')}/splits/"}


def test_the_tree_shows_the_vertex_chain() -> None:
    graph, _ = _graph()
    tree = render_tree(graph.to_model(), width=200, ascii_only=True)
    lines = [line for line in tree.splitlines() if "->" in line or line.startswith(("|", "+", "`"))]
    assert "endpoint serve" in lines[0]  # endpoints first among the roots
    assert "trained_by -> custom job train" in tree and "holds_roles -> principal serviceAccount:" in tree
    assert "runs_as -> service agent service-" in tree
    assert "unresolved: bucket partner-bucket is not in the scanned projects" in tree


def test_unresolved_references_say_why() -> None:
    inventory = _collect(_estate())
    models = [r for r in inventory.resources() if isinstance(r, VertexModel)]
    jobs = [r for r in inventory.resources() if isinstance(r, VertexCustomJob)]
    graph = lineage_of({VertexModel: models, VertexCustomJob: jobs})  # buckets not collected
    [loads] = graph.edges_from(f"{LOC}/models/churn", "loads")
    assert loads.reason == "bucket ml-data cannot be resolved: Cloud Storage buckets were not collected in this scan"

    coverage = Coverage(
        collected=frozenset({"gcp.vertex.model", "gcp.storage.bucket"}),
        incomplete={("gcp.storage.bucket", PROJECT, "global"): "buckets.list failed: 403"},
        scopes={PROJECT: frozenset({"us-central1"})},
    )
    [loads] = build_lineage(models, coverage).edges_from(f"{LOC}/models/churn", "loads")
    assert loads.reason == (
        f"bucket ml-data cannot be resolved: Cloud Storage buckets could not be listed in project {PROJECT} "
        "(buckets.list failed: 403)"
    )


def test_a_deleted_model_behind_an_endpoint_is_unresolved_not_dropped() -> None:
    fake = FakeGcs(projects=[PROJECT])
    fake.add_vertex("endpoints", vertex_endpoint("serve", deployed=(("1", f"{LOC}/models/gone", 100, None),)))
    graph = build_lineage(_collect(fake).resources())
    [hosts] = graph.edges_from(f"{LOC}/endpoints/serve", "hosts")
    assert not hosts.resolved and hosts.reason == "model gone was not found (deleted, or not readable)"


def test_parse_gs_uri() -> None:
    assert parse_gs_uri("gs://b/k/x") == ("b", "k/x")
    assert parse_gs_uri("gs://b") == ("b", "")
    assert parse_gs_uri("s3://b/k") is None and parse_gs_uri("gs:///k") is None


def test_a_failing_bucket_of_the_vertex_chain_is_raised_one_level() -> None:
    graph, inventory = _graph()
    checks = [s for s in load_checks(["gcp"]) if s.id == "gcp.storage.bucket_versioning_enabled"]
    findings = evaluate(checks, inventory, NOW)
    [finding] = [f for f in findings if f.resource_uid == bucket_uid("ml-data")]
    assert finding.status is Status.FAIL and finding.severity is Severity.LOW
    [raised] = raise_supply_chain_severity([finding], graph)
    assert raised.severity is Severity.MEDIUM
    used_by = {(u["resource"], u["relation"]) for u in raised.evidence["ai_supply_chain"]["used_by"]}
    assert used_by == {(f"{LOC}/models/churn", "loads"), (f"{LOC}/customJobs/train", "writes")}


def test_gcp_lineage_check_findings_are_left_alone_by_the_rule() -> None:
    graph, inventory = _graph()
    checks = [s for s in load_checks(["gcp"]) if s.id.startswith("gcp.lineage.")]
    findings = evaluate(checks, inventory, NOW)
    by_check = {(f.check_id, f.resource_uid.rsplit("/", 1)[-1]): f.status for f in findings}
    assert by_check[("gcp.lineage.endpoint_models_come_from_private_buckets", "serve")] is Status.FAIL
    assert by_check[("gcp.lineage.custom_job_output_is_in_private_bucket", "train")] is Status.FAIL
    assert by_check[("gcp.lineage.custom_job_output_is_in_private_bucket", "adhoc")] is Status.PASS
    assert by_check[("gcp.lineage.training_pipeline_data_is_in_private_bucket", "pipe")] is Status.ERROR
    assert raise_supply_chain_severity(findings, graph) == findings


def test_a_gcp_scan_report_has_the_lineage_and_the_risk() -> None:
    inventory = _collect(_estate())
    from cspm.providers.gcp import GcpOptions, GcpProvider

    provider = GcpProvider(GcpOptions(projects=(PROJECT,)))
    checks = load_checks(["gcp"])
    report = build_report(provider, checks, inventory, evaluate(checks, inventory, NOW), NOW, NOW)
    assert report.lineage is not None and report.summary.ai_inventory is not None
    assert report.summary.ai_inventory.endpoints.count == 1 and report.summary.ai_inventory.training_jobs.count == 3
    [risk] = [r for r in report.risks or () if r.kind == "untrusted_training_data"]
    assert risk.provider == "gcp" and risk.severity is Severity.CRITICAL
    assert risk.path.nodes == [
        bucket_uid("ml-data"),
        f"{bucket_uid('ml-data')}/runs/7/",
        f"{LOC}/customJobs/train",
        f"{LOC}/models/churn",
        f"{LOC}/endpoints/serve",
    ]
    assert risk.fix.check_id == "gcp.storage.bucket_is_not_public"
    [admin] = [r for r in report.risks or () if r.kind == "admin_role_behind_endpoint"]
    assert admin.provider == "gcp" and admin.factors["exposure"].value == "invokers"
    assert admin.path.nodes == [
        f"{LOC}/endpoints/serve",
        f"projects/{PROJECT}/serviceAccounts/{TRAINER}",
        f"//cloudresourcemanager.googleapis.com/projects/{PROJECT}#serviceAccount:{TRAINER}",
    ]
    assert admin.fix.check_id == "gcp.iam.service_account_has_no_admin_role"
    assert find_risks(report.lineage, report.findings) == report.risks

    bom_text = render(report, "cyclonedx")  # the AI-BOM of a GCP report holds the Vertex AI chain
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(bom_text) is None
    bom = json.loads(bom_text)
    kinds = {c["bom-ref"]: c["type"] for c in bom["components"]}
    churn, serve = f"{LOC}/models/churn", f"{LOC}/endpoints/serve"
    assert kinds[churn] == "machine-learning-model" and kinds[serve] == "application"
    assert kinds[f"{bucket_uid('ml-data')}/runs/7/model/"] == "file"
    depends = {d["ref"]: set(d.get("dependsOn", ())) for d in bom["dependencies"]}
    assert depends[serve] == {churn, f"{LOC}/models/fraud"}
    assert f"{LOC}/customJobs/train" in depends[churn]


def test_a_storage_only_gcp_scan_says_the_rule_was_not_applied() -> None:
    inventory = _collect(_estate())
    checks = [s for s in load_checks(["gcp"]) if s.id == "gcp.storage.bucket_versioning_enabled"]
    findings = evaluate(checks, inventory, NOW)
    marked = mark_unassessed(findings, Coverage(collected=frozenset({"gcp.storage.bucket"})))
    assert {f.supply_chain for f in marked if f.status is Status.FAIL} == {NEEDS_VERTEX}
    assert supply_chain_note(marked) == (
        "1 failing finding on Cloud Storage buckets were not checked against the AI supply chain "
        "(lineage needs vertex); in a scan with Vertex AI each may be one severity level higher"
    )


_RESOURCES = list(_collect(_estate()).resources())


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_input_order_does_not_change_the_graph(rnd: random.Random) -> None:
    shuffled = list(_RESOURCES)
    rnd.shuffle(shuffled)
    assert build_lineage(shuffled).to_model() == build_lineage(_RESOURCES).to_model()


def test_a_disabled_vertex_api_leaves_bucket_failures_not_assessed_not_lower() -> None:
    """Issue 16's bad input: with the Vertex AI API disabled (SERVICE_DISABLED) the scan cannot tell
    whether a bucket feeds a model; its FAILs say so instead of silently keeping their severity."""
    from cspm.engine import collect, plan_types
    from cspm.providers.gcp import GcpOptions, GcpProvider
    from support.gcp import fake_credentials, mounted

    fake = _estate()
    fake.denied.add(f"vertex-disabled:{PROJECT}")
    provider = GcpProvider(GcpOptions(projects=(PROJECT,), credentials=fake_credentials(), retry_deadline=None))
    checks = [s for s in load_checks(["gcp"]) if not is_artifact_check(s.id)]  # those need --inspect-artifacts
    with mounted(fake):
        provider.connect()
        inventory = collect(provider.plan(plan_types(checks)), workers=2)
    report = build_report(provider, checks, inventory, evaluate(checks, inventory, NOW), NOW, NOW)
    assert not report.scan.complete and report.lineage is not None
    [finding] = [
        f
        for f in report.findings
        if f.check_id == "gcp.storage.bucket_versioning_enabled" and f.resource_uid == bucket_uid("ml-data")
    ]
    assert finding.status is Status.FAIL and finding.severity is Severity.LOW
    assert finding.supply_chain is not None and "gcp.vertex." in finding.supply_chain
    assert "could not be listed in" in finding.supply_chain
    lineage_checks = {f.status for f in report.findings if f.check_id.startswith("gcp.lineage.")}
    assert lineage_checks == {Status.ERROR}  # each check once for the project, naming the failed listing


def test_an_unsafe_artifact_read_under_a_served_models_folder_is_a_risk() -> None:
    """With --inspect-artifacts, each object read under a model's artifactUri is a node the model
    loads (its verdict lands on it): a pickle that runs code, served by an endpoint, is a risk."""
    inventory = _collect(_estate())
    pickle = GcsModelArtifact(
        uid=f"{bucket_uid('ml-data')}/objects/runs/7/model/model.pkl",
        name="gs://ml-data/runs/7/model/model.pkl",
        account=PROJECT,
        uri="gs://ml-data/runs/7/model/model.pkl",
        sha256="c" * 64,
        format="pickle",
        members=(("model.pkl", "pickle"),),
        dangerous=(ImportFound(module="posix", name="system", member="model.pkl"),),
    )
    inventory.add(pickle)
    graph = build_lineage(inventory.resources())
    churn = f"{LOC}/models/churn"
    assert pickle.uid in _targets(graph, churn, "loads")
    [in_bucket] = graph.edges_from(pickle.uid, "in_bucket")
    assert in_bucket.target == bucket_uid("ml-data")

    from cspm.providers.gcp import GcpOptions, GcpProvider

    checks = load_checks(["gcp"])
    provider = GcpProvider(GcpOptions(projects=(PROJECT,)))
    report = build_report(provider, checks, inventory, evaluate(checks, inventory, NOW), NOW, NOW)
    [risk] = [r for r in report.risks or () if r.kind == "unsafe_artifact_in_production"]
    assert risk.provider == "gcp" and risk.factors["exposure"].value == "internet"  # the bucket is public
    assert risk.path.nodes == [pickle.uid, churn, f"{LOC}/endpoints/serve"]
    assert risk.fix.check_id == "gcp.vertex.model_artifact_is_free_of_unsafe_code"
