"""The files of an Azure ML folder model (MLflow, Triton) in the lineage and the AI-BOM: each blob
``--inspect-artifacts`` read under the folder is a node the model loads (its SHA-256, format and
dangerous imports on it) in the folder's container, and a ``file`` component of the BOM, as a
Vertex AI model's objects are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from cspm.demo.azure import account_id, blob_service, container, storage_account
from cspm.demo.gcp_objects import MALICIOUS_PICKLE, safetensors_model
from cspm.models import Lineage, ScanReport
from cspm.reporting.formats import render
from support.azure_artifacts import ACCOUNT, ARTIFACT_CHECKS, CONTAINER, models_fake, scan_azure

BLOBS = f"https://{ACCOUNT}.blob.core.windows.net/{CONTAINER}"
PICKLE, WEIGHTS = f"{BLOBS}/folder/model.pkl", f"{BLOBS}/folder/model.safetensors"
FOLDER = f"{BLOBS}/folder"
CONTAINER_ID = f"{account_id(ACCOUNT)}/blobServices/default/containers/{CONTAINER}"


def _scan(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, with_storage: bool) -> ScanReport:
    fake = models_fake({"folder": ("folder", "mlflow_model"), "single": ("single/model.pkl", "custom_model")})
    fake.blobs.put(ACCOUNT, CONTAINER, "folder/MLmodel", b"flavors: {}\n")  # not a model file: not read
    fake.blobs.put(ACCOUNT, CONTAINER, "folder/model.pkl", MALICIOUS_PICKLE)
    fake.blobs.put(ACCOUNT, CONTAINER, "folder/model.safetensors", safetensors_model())
    fake.blobs.put(ACCOUNT, CONTAINER, "single/model.pkl", MALICIOUS_PICKLE)
    if with_storage:
        fake.add_account(
            storage_account(ACCOUNT), blob=blob_service(ACCOUNT), containers=[container(ACCOUNT, CONTAINER)]
        )
    from cspm.registry import load_checks

    storage = [s for s in load_checks(["azure"]) if s.id == "azure.storage.container_is_not_public"]
    return scan_azure(fake, monkeypatch, tmp_path, [*ARTIFACT_CHECKS, *storage])


def _model(lineage: Lineage, name: str) -> str:
    return next(n.id for n in lineage.nodes if n.type == "azure.ml.model" and f"/models/{name}/" in n.id)


def test_each_inspected_file_of_a_folder_model_is_a_node_it_loads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    report = _scan(monkeypatch, tmp_path, with_storage=True)
    lineage = report.lineage
    assert lineage is not None
    nodes = {n.id: n for n in lineage.nodes}
    folder = _model(lineage, "folder")
    loads = {e.target for e in lineage.edges if e.source == folder and e.relation == "loads"}
    assert loads == {FOLDER, PICKLE, WEIGHTS}  # the folder's path, and each file read
    pickle, weights = nodes[PICKLE], nodes[WEIGHTS]
    assert pickle.type == weights.type == "azure.artifacts.model_artifact"
    assert pickle.format == "pickle" and pickle.sha256 and "system" in " ".join(pickle.dangerous_imports or ())
    assert weights.format == "safetensors" and weights.sha256 and weights.dangerous_imports == []
    in_container = {(e.source, e.target, e.resolved) for e in lineage.edges if e.relation == "in_container"}
    assert {(PICKLE, CONTAINER_ID, True), (WEIGHTS, CONTAINER_ID, True)} <= in_container
    assert f"{BLOBS}/folder/MLmodel" not in nodes  # not a model file: not read, not a node
    single = _model(lineage, "single")  # a one-file model: its blob path is the artifact, no second node
    assert {e.target for e in lineage.edges if e.source == single and e.relation == "loads"} == {
        f"{BLOBS}/single/model.pkl"
    }
    assert nodes[f"{BLOBS}/single/model.pkl"].type == "azure.storage.path"

    text = render(report, "cyclonedx")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom: dict[str, Any] = json.loads(text)
    components = {c["bom-ref"]: c for c in bom["components"]}
    for uri, kind in ((PICKLE, "pickle"), (WEIGHTS, "safetensors")):
        component = components[uri]
        props = {p["name"]: p["value"] for p in component["properties"]}
        assert component["type"] == "file" and props["cspm:artifact:format"] == kind
        assert component["hashes"] == [{"alg": "SHA-256", "content": nodes[uri].sha256}]
    assert {p["name"]: p["value"] for p in components[PICKLE]["properties"]}[
        "cspm:artifact:dangerous_imports"
    ] != "none"
    depends = {d["ref"]: set(d.get("dependsOn", ())) for d in bom["dependencies"]}
    assert {PICKLE, WEIGHTS} <= depends[folder]


def test_files_in_a_container_outside_the_scan_keep_their_edge_unresolved_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    report = _scan(monkeypatch, tmp_path, with_storage=False)
    assert report.lineage is not None
    edges = [e for e in report.lineage.edges if e.source in (PICKLE, WEIGHTS) and e.relation == "in_container"]
    assert len(edges) == 2 and not any(e.resolved for e in edges)
    assert all(e.reason and f"container {CONTAINER}" in e.reason for e in edges)


def test_a_folder_that_could_not_be_listed_is_one_node_with_its_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = models_fake({"locked": ("locked", "mlflow_model")})
    fake.blobs.put(ACCOUNT, CONTAINER, "locked/model.pkl", MALICIOUS_PICKLE)
    fake.blobs.data_actions = set()  # no blobs/read: List Blobs answers 403
    report = scan_azure(fake, monkeypatch, tmp_path)
    assert report.lineage is not None
    nodes = {n.id: n for n in report.lineage.nodes}
    assert f"{BLOBS}/locked/model.pkl" not in nodes  # never listed, never read
    [error] = [a for a in report.artifacts or () if a.uri == f"{BLOBS}/locked/"]
    assert error.error and nodes[error.uid].type == "azure.artifacts.model_artifact"
    assert nodes[error.uid].sha256 is None
    folder = _model(report.lineage, "locked")
    assert any(e.source == folder and e.target == error.uid and e.relation == "loads" for e in report.lineage.edges)
    bom = json.loads(render(report, "cyclonedx"))
    [component] = [c for c in bom["components"] if c["bom-ref"] == error.uid]
    props = {p["name"]: p["value"] for p in component["properties"]}
    assert component["type"] == "file" and "hashes" not in component
    assert props["cspm:artifact:error"] == error.error
