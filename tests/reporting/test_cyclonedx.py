"""``--format cyclonedx``: the AI-BOM is CycloneDX 1.6, valid against the schema, and holds the
lineage's models, datasets, images and artifacts, their relations, and the inspection verdicts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from cspm.errors import UsageError
from cspm.models import (
    ArtifactEntry,
    ArtifactImport,
    ArtifactSignature,
    Lineage,
    LineageEdge,
    LineageNode,
    ScanReport,
    Status,
)
from cspm.reporting.formats import parse_formats, render
from support.report_factory import make_finding, make_report

ACCOUNT = "123456789012"
SM = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}"
MODEL, JOB, ENDPOINT, CONFIG = (
    f"{SM}:model/fraud",
    f"{SM}:training-job/train",
    f"{SM}:endpoint/prod",
    f"{SM}:endpoint-config/c",
)
ARTIFACT, DATA = "arn:aws:s3:::models/train/output/model.tar.gz", "arn:aws:s3:::data/train/"
DIGEST = "a" * 64
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serve@sha256:{DIGEST}"
SHA = "b" * 64


def _node(node_id: str, kind: str, name: str) -> LineageNode:
    return LineageNode(id=node_id, type=kind, name=name, account=ACCOUNT, region="us-east-1", in_inventory=True)


def _edge(source: str, target: str, relation: str) -> LineageEdge:
    return LineageEdge(source=source, target=target, relation=relation, api_field="x")


def report() -> ScanReport:
    findings = [
        make_finding("aws.sagemaker.model_artifact_is_free_of_unsafe_code", MODEL, status=Status.FAIL),
        make_finding("aws.sagemaker.model_artifact_uses_safe_format", MODEL, status=Status.FAIL),
        make_finding("aws.s3.bucket_versioning_enabled", "arn:aws:s3:::models"),
    ]
    lineage = Lineage(
        nodes=[
            _node(MODEL, "aws.sagemaker.model", "fraud"),
            _node(JOB, "aws.sagemaker.training_job", "train"),
            _node(ENDPOINT, "aws.sagemaker.endpoint", "prod"),
            _node(CONFIG, "aws.sagemaker.endpoint_config", "c"),
            _node(ARTIFACT, "aws.s3.prefix", "s3://models/train/output/model.tar.gz"),
            _node(DATA, "aws.s3.prefix", "s3://data/train/"),
            _node(IMAGE, "aws.ecr.image", IMAGE),
            _node("arn:aws:s3:::models", "aws.s3.bucket", "models"),
        ],
        edges=[
            _edge(MODEL, ARTIFACT, "loads"),
            _edge(MODEL, IMAGE, "runs"),
            _edge(MODEL, JOB, "trained_by"),
            _edge(JOB, DATA, "reads"),
            _edge(JOB, ARTIFACT, "produced"),
            _edge(ENDPOINT, CONFIG, "serves"),
            _edge(CONFIG, MODEL, "hosts"),
            _edge(ARTIFACT, "arn:aws:s3:::models", "in_bucket"),
        ],
    )
    artifact = ArtifactEntry(
        uid=ARTIFACT,
        type="aws.artifacts.model_artifact",
        name="s3://models/train/output/model.tar.gz",
        account=ACCOUNT,
        region="us-east-1",
        uri="s3://models/train/output/model.tar.gz",
        size=123,
        sha256=SHA,
        format="tar.gz",
        members=[("model.tar.gz!model.pth", "pickle")],
        dangerous=[ArtifactImport(module="posix", name="system", member="model.tar.gz!model.pth")],
        scanners={"picklescan": "1.0.5"},
        signature=ArtifactSignature(status="absent"),
    )
    return make_report(findings).model_copy(update={"lineage": lineage, "artifacts": [artifact]})


def _bom(text: str) -> dict[str, Any]:
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom: dict[str, Any] = json.loads(text)
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    return bom


def test_the_ai_bom_is_valid_cyclonedx_with_models_data_images_and_artifacts() -> None:
    bom = _bom(render(report(), "cyclonedx"))
    components = {c["bom-ref"]: c for c in bom["components"]}
    assert {ref: c["type"] for ref, c in components.items()} == {
        MODEL: "machine-learning-model",
        JOB: "application",
        ENDPOINT: "application",
        ARTIFACT: "file",
        DATA: "data",
        IMAGE: "container",
    }
    assert components[ARTIFACT]["hashes"] == [{"alg": "SHA-256", "content": SHA}]
    assert components[IMAGE]["hashes"] == [{"alg": "SHA-256", "content": DIGEST}]
    props = {p["name"]: p["value"] for p in components[ARTIFACT]["properties"]}
    assert props["cspm:artifact:format"] == "tar.gz"
    assert props["cspm:artifact:dangerous_imports"] == "posix.system"
    assert props["cspm:artifact:signature"] == "absent"
    model_props = {p["name"]: p["value"] for p in components[MODEL]["properties"]}
    assert model_props["cspm:finding:aws.sagemaker.model_artifact_is_free_of_unsafe_code"] == "FAIL"
    depends = {d["ref"]: set(d.get("dependsOn", ())) for d in bom["dependencies"]}
    assert depends[MODEL] == {ARTIFACT, IMAGE, JOB}
    assert depends[JOB] == {DATA, ARTIFACT}
    assert depends[ENDPOINT] == {MODEL}  # through the endpoint config that hosts it
    assert bom["metadata"]["tools"]["components"][0]["name"] == "cspm"


def test_a_report_without_lineage_is_an_empty_valid_bom() -> None:
    bom = _bom(
        render(make_report([make_finding("azure.storage.x", "/subscriptions/s/x")], provider="azure"), "cyclonedx")
    )
    assert bom.get("components", []) == []


def test_the_format_is_known() -> None:
    assert parse_formats(["json,cyclonedx"]) == ["json", "cyclonedx"]
    with pytest.raises(UsageError, match="unknown format cyclonedx-xml"):
        parse_formats(["cyclonedx-xml"])
