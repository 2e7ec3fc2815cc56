"""Azure in the AI-BOM and the risks: a scan of the Azure demo subscription (served over HTTPS on
127.0.0.1, with ``--inspect-artifacts``) gives a CycloneDX 1.6 BOM that holds the Azure ML models,
the blobs they load (SHA-256, format, verdict), the files of a folder model, the jobs and data
assets; and the risks over the Azure ML chain, with stable ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from cspm.demo import azure as demo
from cspm.engine import scan
from cspm.models import Finding, Lineage, LineageEdge, LineageNode, ScanReport, Status, risk_uid
from cspm.registry import load_checks
from cspm.reporting.formats import render
from cspm.risks import find_risks
from support.report_factory import make_finding

SUB, WS_RG = demo.DEMO_SUBSCRIPTION, demo.WORKSPACE_RG
SANDBOX = demo.workspace_id(demo.OPEN_WORKSPACE, sub=SUB, rg=WS_RG)
PROD = demo.workspace_id(demo.SECURE_WORKSPACE, sub=SUB, rg=WS_RG)
CHURN = f"{SANDBOX}/models/{demo.CHURN_MODEL}/versions/3"
FRAUD = f"{PROD}/models/{demo.FRAUD_MODEL}/versions/7"
JOB = f"{SANDBOX}/jobs/{demo.CHURN_JOB}"
DATA_ASSET = f"{SANDBOX}/data/churn-raw/versions/1"
ENDPOINT = f"{SANDBOX}/onlineEndpoints/{demo.OPEN_ENDPOINT}"
PICKLE = f"https://{demo.LEGACY_ACCOUNT}.blob.core.windows.net/notebook-scratch/churn/{demo.CHURN_JOB}/model.pkl"
SAFETENSORS = f"https://{demo.DATA_ACCOUNT}.blob.core.windows.net/models/fraud/v7/model.safetensors"
DATASETS = (
    f"/subscriptions/{SUB}/resourceGroups/{demo.LEGACY_RG}/providers/Microsoft.Storage/storageAccounts/"
    f"{demo.LEGACY_ACCOUNT}/blobServices/default/containers/datasets"
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ScanReport:
    """The demo subscription scanned with every Azure check and --inspect-artifacts."""
    directory: Path = tmp_path_factory.mktemp("azure-demo")
    with pytest.MonkeyPatch.context() as monkeypatch, demo.simulated(directory) as served:
        for name, value in served.environment.items():
            monkeypatch.setenv(name, value)
        provider = demo.demo_provider()
        assert provider.options.artifacts is not None  # picklescan is installed with the dev extra
        provider.connect()
        return scan(provider, load_checks(["azure"]), workers=2)


def _bom(report: ScanReport) -> dict[str, Any]:
    text = render(report, "cyclonedx")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom: dict[str, Any] = json.loads(text)
    return bom


def _props(component: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in component.get("properties", [])}


def test_the_ai_bom_of_an_azure_scan_holds_its_models_data_and_inspected_blobs(report: ScanReport) -> None:
    bom = _bom(report)
    components = {c["bom-ref"]: c for c in bom["components"]}
    kinds = {ref: c["type"] for ref, c in components.items()}
    assert kinds[CHURN] == kinds[FRAUD] == "machine-learning-model"
    assert kinds[JOB] == kinds[ENDPOINT] == "application"
    assert kinds[DATA_ASSET] == "data"
    assert kinds[PICKLE] == kinds[SAFETENSORS] == "file"

    pickle = components[PICKLE]  # a one-file model: its blob path is the artifact
    artifact = {a.uid: a for a in report.artifacts or ()}[PICKLE]
    assert artifact.sha256 and pickle["hashes"] == [{"alg": "SHA-256", "content": artifact.sha256}]
    assert _props(pickle)["cspm:artifact:format"] == "pickle"
    assert "system" in _props(pickle)["cspm:artifact:dangerous_imports"]
    churn = _props(components[CHURN])
    assert churn["cspm:finding:azure.ml.model_artifact_is_free_of_unsafe_code"] == "FAIL"
    assert churn["cspm:finding:azure.lineage.model_storage_is_writable_only_by_workspace"] in ("PASS", "FAIL")

    weights = components[SAFETENSORS]  # a file of the MLflow folder model
    assert weights["hashes"][0]["alg"] == "SHA-256"
    assert _props(weights)["cspm:artifact:format"] == "safetensors"
    assert _props(weights)["cspm:artifact:dangerous_imports"] == "none"
    assert _props(components[FRAUD])["cspm:finding:azure.ml.model_artifact_is_free_of_unsafe_code"] == "PASS"

    depends = {d["ref"]: set(d.get("dependsOn", ())) for d in bom["dependencies"]}
    assert PICKLE in depends[CHURN] and JOB in depends[CHURN]
    assert SAFETENSORS in depends[FRAUD]
    assert CHURN in depends[ENDPOINT]
    assert any(d in kinds and kinds[d] == "data" for d in depends[JOB])  # the job's training data


def test_risks_over_the_azure_chain_have_stable_ids(report: ScanReport) -> None:
    risks = {r.kind: r for r in report.risks or () if r.provider == "azure"}
    unsafe = risks["unsafe_artifact_in_production"]
    assert unsafe.path.nodes == [PICKLE, CHURN, ENDPOINT]
    assert unsafe.id == risk_uid("unsafe_artifact_in_production", [PICKLE, CHURN, ENDPOINT])
    assert unsafe.fix.check_id == "azure.ml.model_artifact_is_free_of_unsafe_code"
    assert unsafe.factors["blast_radius"].value == "endpoint"

    training = risks["untrusted_training_data"]
    assert training.path.nodes[0] == DATASETS and training.path.nodes[-2:] == [CHURN, ENDPOINT]
    assert JOB in training.path.nodes and training.factors["exposure"].value == "internet"
    assert training.fix.check_id == "azure.storage.container_is_not_public"
    assert "container" in training.title and demo.OPEN_ENDPOINT in training.title

    assert report.lineage is not None
    assert find_risks(report.lineage, report.findings) == report.risks  # same ids, recomputed


# -- the Azure finders on hand-built lineages: PASS (no path), FAIL (a path), unreadable (no path) ---

PRINCIPAL = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/principals/ep-oid"
PRIVILEGED = "azure.authorization.principal_has_no_privileged_subscription_role"
STORAGE = "azure.lineage.online_endpoint_model_storage_is_protected"
CONTAINER = (
    f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/"
    "blobServices/default/containers/train"
)
BLOB = "https://acct.blob.core.windows.net/train/churn"


def _node(node_id: str, kind: str, name: str) -> LineageNode:
    return LineageNode(id=node_id, type=kind, name=name, account=SUB, region="westeurope", in_inventory=True)


def _edge(source: str, target: str, relation: str) -> LineageEdge:
    return LineageEdge(source=source, target=target, relation=relation, api_field="x")


def _lineage() -> Lineage:
    return Lineage(
        nodes=[
            _node(ENDPOINT, "azure.ml.online_endpoint", "demo-chat"),
            _node(PRINCIPAL, "azure.authorization.principal", "ep-oid"),
            _node(CHURN, "azure.ml.model", "churn:3"),
            _node(JOB, "azure.ml.job", "train"),
            _node(DATA_ASSET, "azure.ml.data_asset", "churn-raw:1"),
            _node(BLOB, "azure.storage.path", BLOB),
            _node(CONTAINER, "azure.storage.container", "train"),
        ],
        edges=[
            _edge(ENDPOINT, PRINCIPAL, "runs_as"),
            _edge(ENDPOINT, CHURN, "loads"),
            _edge(CHURN, JOB, "trained_by"),
            _edge(JOB, DATA_ASSET, "reads"),
            _edge(DATA_ASSET, BLOB, "stores_in"),
            _edge(BLOB, CONTAINER, "in_container"),
        ],
    )


def _finding(check: str, uid: str, kind: str, status: Status = Status.FAIL, **evidence: Any) -> Finding:
    return make_finding(check, uid, status=status, resource_type=kind, account=SUB, evidence=evidence)


@pytest.mark.parametrize(
    ("status", "found"),
    [(Status.FAIL, True), (Status.PASS, False), (Status.ERROR, False)],
    ids=["privileged identity", "least-privileged identity", "role assignments unreadable"],
)
def test_an_online_endpoint_running_as_a_privileged_identity_is_an_admin_risk(status: Status, found: bool) -> None:
    findings = [_finding(PRIVILEGED, PRINCIPAL, "azure.authorization.principal", status)]
    risks = [r for r in find_risks(_lineage(), findings) if r.kind == "admin_role_behind_endpoint"]
    if not found:
        assert risks == []
        return
    [risk] = risks
    assert risk.provider == "azure" and risk.path.nodes == [ENDPOINT, PRINCIPAL]
    assert risk.id == risk_uid("admin_role_behind_endpoint", [ENDPOINT, PRINCIPAL])
    assert risk.factors["exposure"].value == "invokers" and risk.factors["blast_radius"].value == "admin"
    assert risk.fix.check_id == PRIVILEGED


def test_the_endpoints_own_identity_finding_is_the_fix_of_its_admin_risk() -> None:
    findings = [
        _finding(PRIVILEGED, PRINCIPAL, "azure.authorization.principal"),
        _finding("azure.ml.online_endpoint_identity_is_not_privileged", ENDPOINT, "azure.ml.online_endpoint"),
    ]
    [risk] = [r for r in find_risks(_lineage(), findings) if r.kind == "admin_role_behind_endpoint"]
    assert risk.fix.check_id == "azure.ml.online_endpoint_identity_is_not_privileged"
    assert len(risk.findings) == 2


@pytest.mark.parametrize(
    ("exposed", "exposure"),
    [
        ({"container": CONTAINER, "anonymous_access": None, "broad_writers": [{"principal_id": "p"}]}, "account"),
        ({"container": CONTAINER, "anonymous_access": "blob", "broad_writers": []}, "internet"),
        (None, None),  # the endpoint's storage check passed: no path
    ],
    ids=["broad writers", "anonymous", "protected"],
)
def test_training_data_behind_a_data_asset_named_by_the_endpoints_storage_check(
    exposed: dict[str, Any] | None, exposure: str | None
) -> None:
    status = Status.FAIL if exposed else Status.PASS
    findings = [_finding(STORAGE, ENDPOINT, "azure.ml.online_endpoint", status, exposed=[exposed] if exposed else [])]
    risks = [r for r in find_risks(_lineage(), findings) if r.kind == "untrusted_training_data"]
    if exposure is None:
        assert risks == []
        return
    [risk] = risks
    assert risk.path.nodes == [CONTAINER, BLOB, DATA_ASSET, JOB, CHURN, ENDPOINT]
    assert risk.factors["exposure"].value == exposure and risk.fix.check_id == STORAGE
    assert risk.id == risk_uid("untrusted_training_data", risk.path.nodes)
