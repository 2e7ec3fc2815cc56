"""The files ``--inspect-artifacts`` read under a Bedrock imported model's S3 folder are lineage
nodes the model ``loads`` (in their bucket), carrying their SHA-256, format and dangerous imports,
and ``file`` components of the AI-BOM the model depends on, as a Vertex AI model's folder files
are; a folder that could not be listed is one node carrying the error. A scan of moto on
127.0.0.1 (the Bedrock gap layer serves the imported models), the BOM validated as CycloneDX 1.6."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from cspm.artifacts.collect import ArtifactSettings
from cspm.engine import scan
from cspm.lineage import IN_BUCKET, LOADS
from cspm.models import ScanReport
from cspm.providers.aws import AwsOptions, AwsProvider
from cspm.registry import load_checks
from cspm.reporting.formats import render
from support.faults import Faults, FaultServer
from support.model_corpus import reduce_pickle, safetensors

ACCOUNT = "123456789012"
WEIGHTS = "bedrock-weights"
UNSAFE = "aws.bedrock.imported_model_artifact_is_free_of_unsafe_code"
CHECKS = [s for s in load_checks(["aws"]) if s.id in (UNSAFE, "aws.bedrock.imported_model_artifact_uses_safe_format")]
POISONED = reduce_pickle(os.system, "id")
TENSORS = safetensors()


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    running = FaultServer().start()
    yield running
    running.stop()


@pytest.fixture
def moto(server: FaultServer) -> Iterator[FaultServer]:
    server.reset()
    yield server
    server.reset()


def _arn(name: str) -> str:
    return f"arn:aws:bedrock:us-east-1:{ACCOUNT}:imported-model/{name}"


def _imported_model(server: FaultServer, name: str, source: str, files: dict[str, bytes]) -> None:
    bucket, _, prefix = source.removeprefix("s3://").partition("/")
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=server.url)
    if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=bucket)
    for key, body in files.items():
        s3.put_object(Bucket=bucket, Key=f"{prefix.rstrip('/')}/{key}", Body=body)
    server.bedrock.add(
        "imported_models",
        "us-east-1",
        {
            "modelArn": _arn(name),
            "modelName": name,
            "jobName": f"import-{name}",
            "jobArn": f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-import-job/import-{name}",
            "modelDataSource": {"s3DataSource": {"s3Uri": source}},
            "creationTime": "2026-12-01T00:00:00Z",
            "modelArchitecture": "llama3",
        },
    )


def _scan(server: FaultServer) -> ScanReport:
    options = AwsOptions(endpoint_url=server.url, regions=("us-east-1",), workers=4, artifacts=ArtifactSettings())
    provider = AwsProvider(options)
    provider.connect()
    return scan(provider, CHECKS, workers=4)


def _bom(report: ScanReport) -> dict[str, Any]:
    text = render(report, "cyclonedx")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom: dict[str, Any] = json.loads(text)
    return bom


def test_the_files_of_an_imported_models_folder_are_lineage_nodes_and_bom_files(moto: FaultServer) -> None:
    config = b'{"architectures": ["LlamaForCausalLM"]}'
    files = {"model.safetensors": TENSORS, "pytorch_model.bin": POISONED, "config.json": config}
    _imported_model(moto, "poisoned", f"s3://{WEIGHTS}/poisoned", files)  # no trailing slash
    _imported_model(moto, "locked", "s3://locked-weights/llama/", {"model.safetensors": TENSORS})
    moto.faults.configure(Faults(denied=frozenset({"s3:GET bucket@locked-weights"})))

    report = _scan(moto)

    assert report.lineage is not None
    nodes = {n.id: n for n in report.lineage.nodes}
    edges = {(e.source, e.relation, e.target) for e in report.lineage.edges}
    tensors, pickled = (f"arn:aws:s3:::{WEIGHTS}/poisoned/{f}" for f in ("model.safetensors", "pytorch_model.bin"))
    for file in (tensors, pickled):
        assert (_arn("poisoned"), LOADS, file) in edges
        assert (file, IN_BUCKET, f"arn:aws:s3:::{WEIGHTS}") in edges
    assert f"arn:aws:s3:::{WEIGHTS}/poisoned/config.json" not in nodes  # not a model file: not read
    assert nodes[pickled].sha256 == hashlib.sha256(POISONED).hexdigest()
    assert nodes[pickled].dangerous_imports == [f"{os.system.__module__}.system"]
    assert (nodes[tensors].format, nodes[tensors].dangerous_imports) == ("safetensors", [])
    locked = "arn:aws:s3:::locked-weights/llama/"  # the folder that could not be listed: one node
    assert (_arn("locked"), LOADS, locked) in edges

    components = {c["bom-ref"]: c for c in _bom(report)["components"]}
    assert components[_arn("poisoned")]["type"] == "machine-learning-model"
    assert components[pickled]["type"] == components[tensors]["type"] == "file"
    assert components[pickled]["hashes"] == [{"alg": "SHA-256", "content": hashlib.sha256(POISONED).hexdigest()}]
    properties = {p["name"]: p["value"] for p in components[pickled]["properties"]}
    assert properties["cspm:artifact:dangerous_imports"] == f"{os.system.__module__}.system"
    assert properties["cspm:artifact:format"] == "pickle"
    locked_properties = {p["name"]: p["value"] for p in components[locked]["properties"]}
    assert "ListObjectsV2 failed" in locked_properties["cspm:artifact:error"]
    dependencies = {d["ref"]: set(d.get("dependsOn", ())) for d in _bom(report)["dependencies"]}
    assert {tensors, pickled} <= dependencies[_arn("poisoned")]
    assert locked in dependencies[_arn("locked")]
    model_properties = {p["name"]: p["value"] for p in components[_arn("poisoned")]["properties"]}
    assert model_properties[f"cspm:finding:{UNSAFE}"] == "FAIL"


def test_without_the_flag_no_file_node_is_made(moto: FaultServer) -> None:
    _imported_model(moto, "clean", f"s3://{WEIGHTS}/clean/", {"model.safetensors": TENSORS})
    options = AwsOptions(endpoint_url=moto.url, regions=("us-east-1",), workers=4)
    provider = AwsProvider(options)
    provider.connect()
    checks = [s for s in load_checks(["aws"]) if s.id.startswith("aws.bedrock.") and "model_artifact" not in s.id]

    report = scan(provider, checks, workers=4)

    assert report.lineage is not None
    assert not [e for e in report.lineage.edges if e.source == _arn("clean") and e.relation == LOADS]
    components = {c["bom-ref"]: c["type"] for c in _bom(report)["components"]}
    assert components[_arn("clean")] == "machine-learning-model"
    assert f"arn:aws:s3:::{WEIGHTS}/clean/model.safetensors" not in components
