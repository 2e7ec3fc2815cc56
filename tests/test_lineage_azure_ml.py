"""The Azure ML chain in the lineage graph: container → job / data asset → model asset → online
deployment → endpoint, identities on the edges, unresolved references with their reason, the
severity rule on containers, and independence from input order."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from cspm.demo.azure import data_version, ml_job, model_version
from cspm.engine import Inventory, evaluate
from cspm.lineage import LineageGraph, build_lineage, raise_supply_chain_severity
from cspm.lineage_azure import IN_ACCOUNT, IN_CONTAINER, IN_WORKSPACE, STORES_IN
from cspm.models import ScanReport, Severity, Status
from cspm.providers import azure
from cspm.registry import load_checks
from cspm.resources.base import Resource
from support.azure import (
    SUB,
    FakeArm,
    account_id,
    blob_service,
    collect_azure,
    container,
    datastore,
    hardened_workspace,
    online_deployment,
    online_endpoint,
    role_assignment,
    storage_account,
    workspace_id,
)

WS = workspace_id("ws")
MODEL = f"{WS}/models/fraud/versions/1"
JOB = f"{WS}/jobs/train-1"


def _estate() -> FakeArm:
    fake = FakeArm()
    fake.add_account(
        storage_account("mldata", allowBlobPublicAccess=True),
        blob=blob_service("mldata"),
        containers=[container("mldata", "training", "Container"), container("mldata", "models")],
    )
    fake.add_workspace(hardened_workspace("ws", principal_id="ws-oid"))
    fake.add_listing(
        f"{WS}/datastores",
        [
            datastore("ws", "training", account="mldata", container_name="training", storage_rg="ml-rg"),
            datastore("ws", "workspaceblobstore", account="mldata", container_name="models"),
        ],
    )
    fake.add_jobs(
        [
            ml_job(
                "ws",
                "train-1",
                identity={"identityType": "Managed", "objectId": "job-oid"},
                inputs={"training_data": "azureml://datastores/training/paths/fraud/", "features": "azureml:feats:2"},
                outputs={"model": "azureml://datastores/workspaceblobstore/paths/runs/train-1/"},
            ),
            ml_job("ws", "amltoken-job", identity={"identityType": "AMLToken"}),
            ml_job("ws", "user-job", identity={"identityType": "UserIdentity"}),
            ml_job("ws", "default-job", compute="cpu"),
        ]
    )
    fake.add_asset(
        "models",
        [
            model_version("ws", "fraud", model_uri="azureml://jobs/train-1/outputs/model/paths/model.pkl"),
            model_version("ws", "orphan", model_uri="azureml://jobs/gone-42/outputs/model/paths/model/"),
            model_version("ws", "elsewhere", model_uri="https://otheracct.blob.core.windows.net/drop/m.onnx"),
        ],
    )
    fake.add_asset("data", [data_version("ws", "feats", "2", data_uri="azureml://datastores/training/paths/feats/")])
    endpoint = online_endpoint("ws", "scoring", principal_id="ep-oid")
    fake.add_online_endpoint(
        endpoint,
        [
            online_deployment(endpoint, "blue", model=MODEL),
            online_deployment(endpoint, "old", model=f"{WS}/models/fraud/versions/0"),
        ],
    )
    fake.add_rbac(SUB, [role_assignment("job-oid", "Storage Blob Data Reader", account_id("mldata"))])
    return fake


def _inventory() -> Inventory:
    types = {t for name in azure.SERVICE_MODULES for t in azure.service_spec(name).produces}
    inventory, _ = collect_azure(_estate(), *types)
    assert not inventory.errors
    return inventory


def _targets(graph: LineageGraph, source: str, relation: str) -> dict[str, str | None]:
    return {e.target: e.reason for e in graph.edges_from(source, relation)}


def test_the_chain_from_container_to_endpoint() -> None:
    graph = build_lineage(_inventory().resources())
    training = account_id("mldata") + "/blobServices/default/containers/training"
    models = account_id("mldata") + "/blobServices/default/containers/models"
    endpoint = f"{WS}/onlineEndpoints/scoring"

    assert _targets(graph, endpoint, "loads")[MODEL] is None  # the deployment's model is the collected asset
    assert _targets(graph, MODEL, "trained_by") == {JOB: None}
    assert _targets(graph, MODEL, IN_WORKSPACE) == {WS: None}
    artifact = "https://mldata.blob.core.windows.net/models/runs/train-1/model.pkl"
    assert _targets(graph, MODEL, "loads") == {artifact: None}
    assert _targets(graph, artifact, IN_CONTAINER) == {models: None}
    assert _targets(graph, models, IN_ACCOUNT) == {account_id("mldata"): None}

    reads = _targets(graph, JOB, "reads")
    assert reads["https://mldata.blob.core.windows.net/training/fraud"] is None
    assert reads[f"{WS}/data/feats/versions/2"] is None  # azureml:feats:2, the data asset
    assert _targets(graph, "https://mldata.blob.core.windows.net/training/fraud", IN_CONTAINER) == {training: None}
    assert _targets(graph, f"{WS}/data/feats/versions/2", STORES_IN) == {
        "https://mldata.blob.core.windows.net/training/feats": None
    }
    assert _targets(graph, JOB, "writes") == {"https://mldata.blob.core.windows.net/models/runs/train-1": None}


def test_identities_on_the_edges() -> None:
    graph = build_lineage(_inventory().resources())
    [job_identity] = graph.edges_from(JOB, "runs_as")
    principal = graph.resource(job_identity.target)
    assert principal is not None and principal.resource_type == "azure.authorization.principal"
    assert job_identity.api_field == "properties.identity.objectId"
    names = {
        job: [graph.node(e.target).name for e in graph.edges_from(f"{WS}/jobs/{job}", "runs_as")]  # type: ignore[union-attr]
        for job in ("amltoken-job", "user-job", "default-job")
    }
    assert names == {
        "amltoken-job": ["AML token"],
        "user-job": ["the submitting user (priya@acme.example)"],
        "default-job": ["identity of compute cpu"],
    }
    [endpoint_identity] = graph.edges_from(f"{WS}/onlineEndpoints/scoring", "runs_as")
    assert endpoint_identity.target.endswith("/principals/ep-oid")


def test_unresolved_references_say_why() -> None:
    graph = build_lineage(_inventory().resources())
    loads = _targets(graph, f"{WS}/onlineEndpoints/scoring", "loads")
    assert loads[f"{WS}/models/fraud/versions/0"] == "model fraud:0 was not found (deleted, or not readable)"
    orphan = f"{WS}/models/orphan/versions/1"
    assert _targets(graph, orphan, "trained_by") == {
        f"{WS}/jobs/gone-42": "job gone-42 was not found (deleted or archived)"
    }
    [artifact] = graph.edges_from(orphan, "loads")
    assert not artifact.resolved and "job gone-42 was not found" in str(artifact.reason)
    [elsewhere] = graph.edges_from(f"{WS}/models/elsewhere/versions/1", "loads")
    assert elsewhere.reason == (
        "container drop of storage account otheracct is not in this scan: the account is in a subscription "
        "not scanned, or deleted"
    )


def test_models_not_collected_or_unreadable_are_unresolved_with_that_reason() -> None:
    fake = _estate()
    fake.deny(f"{WS}/models")
    types = {t for name in azure.SERVICE_MODULES for t in azure.service_spec(name).produces}
    inventory, _ = collect_azure(fake, *types)
    from cspm.lineage import Coverage

    marks = {(t, a, r): why for t, a, r, why in inventory.incomplete_marks()}
    graph = build_lineage(inventory.resources(), Coverage(incomplete=marks))
    reason = _targets(graph, f"{WS}/onlineEndpoints/scoring", "loads")[MODEL]
    assert reason is not None and "could not be listed" in reason and "AuthorizationFailed" in reason


def test_a_failing_container_used_by_a_model_is_raised_one_level() -> None:
    inventory = _inventory()
    graph = build_lineage(inventory.resources())
    checks = [s for s in load_checks(["azure"]) if s.id == "azure.storage.container_is_not_public"]
    findings = [f for f in evaluate(checks, inventory, datetime(2026, 1, 1, tzinfo=UTC)) if f.status is Status.FAIL]
    [finding] = findings  # the training container
    [raised] = raise_supply_chain_severity([finding], graph)
    assert (finding.severity, raised.severity) == (Severity.HIGH, Severity.CRITICAL)
    used_by = {u["resource"] for u in raised.evidence["ai_supply_chain"]["used_by"]}
    assert JOB in used_by and f"{WS}/data/feats/versions/2" in used_by


_RESOURCES: list[Resource] = []


def _resources() -> list[Resource]:
    if not _RESOURCES:
        _RESOURCES.extend(_inventory().resources())
    return _RESOURCES


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_input_order_does_not_change_the_graph(rnd: object) -> None:
    resources = list(_resources())
    expected = build_lineage(resources).to_model()
    rnd.shuffle(resources)  # type: ignore[attr-defined]
    assert build_lineage(resources).to_model() == expected


def _azure_report(checks: list[str] | None = None, services: tuple[str, ...] | None = None) -> ScanReport:
    from cspm.engine import scan
    from cspm.providers.azure import AzureOptions, AzureProvider
    from support.azure import ARM, FakeCredential, mounted

    provider = AzureProvider(
        AzureOptions(subscriptions=(SUB,), credential=FakeCredential(), endpoint=ARM, retry_total=0)
    )
    from cspm.artifacts.options import is_artifact_check

    # without --inspect-artifacts: the model_artifact_* checks are not selected (as the CLI does)
    specs = [s for s in load_checks(["azure"]) if (checks is None or s.id in checks) and not is_artifact_check(s.id)]
    if services is not None:
        specs = [s for s in specs if s.service in services]
    with mounted(_estate()):
        provider.connect()
        return scan(provider, specs, workers=2)


def test_an_azure_scan_reports_its_lineage_and_raises_container_fails() -> None:
    report = _azure_report()
    assert report.lineage is not None and any(n.id == MODEL for n in report.lineage.nodes)
    [public] = [
        f for f in report.findings if f.check_id == "azure.storage.container_is_not_public" and f.status is Status.FAIL
    ]
    assert public.severity is Severity.CRITICAL and public.evidence["ai_supply_chain"]["raised_from"] == "high"
    assert public.supply_chain is None


def test_an_azure_scan_without_ml_says_the_rule_was_not_applied() -> None:
    report = _azure_report(services=("storage",))
    [public] = [
        f for f in report.findings if f.check_id == "azure.storage.container_is_not_public" and f.status is Status.FAIL
    ]
    assert (
        public.severity is Severity.HIGH
        and public.supply_chain == "not assessed: lineage needs ml or cognitiveservices"
    )
