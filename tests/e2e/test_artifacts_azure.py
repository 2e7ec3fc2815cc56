"""The real ``cspm scan azure --inspect-artifacts`` process against the fake ARM server and its
Blob service on 127.0.0.1 over HTTPS (a service principal the documented way, as
tests/e2e/test_scan_azure.py; CSPM_AZURE_BLOB_ENDPOINT names the blob endpoint): the verdicts
reach report.json, a rescan with ``--store`` reads nothing unchanged, and without the flag the
artifact checks do not run and no blob request is sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cspm.demo.azure import TENANT, FakeArm, make_cert, serve_https
from support.azure import SUB, clean_env, run_cli
from support.azure_artifacts import ml_fake

pytestmark = pytest.mark.e2e

UNSAFE = "azure.ml.model_artifact_is_free_of_unsafe_code"
CHECKS = ["--checks", f"{UNSAFE},azure.ml.model_artifact_uses_safe_format"]


@pytest.fixture
def fake() -> FakeArm:
    return ml_fake()


@pytest.fixture
def env(fake: FakeArm, tmp_path: Path) -> Iterator[dict[str, str]]:
    cert, key = make_cert(tmp_path)
    with serve_https(fake, cert, key) as base:
        yield clean_env(
            tmp_path,
            AZURE_CLIENT_ID="22222222-2222-2222-2222-222222222222",
            AZURE_CLIENT_SECRET="not-a-real-secret",
            AZURE_TENANT_ID=TENANT,
            AZURE_AUTHORITY_HOST=base,
            CSPM_AZURE_ARM_ENDPOINT=base,
            CSPM_AZURE_GRAPH_ENDPOINT=base,
            CSPM_AZURE_BLOB_ENDPOINT=base,
            REQUESTS_CA_BUNDLE=str(cert),
        )


def _statuses(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(f["check_id"], f["resource_uid"].split("/models/")[-1]): f["status"] for f in report["findings"]}


def test_a_rescan_with_the_store_reads_nothing_unchanged(fake: FakeArm, env: dict[str, str], tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'history.db'}"
    scan = ["scan", "azure", "--subscription", SUB, *CHECKS, "--inspect-artifacts", "--store", store, "--quiet"]
    first = run_cli([*scan, "--output-dir", str(tmp_path / "one")], env)
    assert first.returncode == 0, first.stderr
    report = json.loads((tmp_path / "one" / "report.json").read_text())
    assert _statuses(report)[(UNSAFE, "bad/versions/1")] == "FAIL"
    assert _statuses(report)[(UNSAFE, "good/versions/1")] == "PASS"
    assert {a["type"] for a in report["artifacts"]} == {"azure.artifacts.model_artifact"}
    assert len(fake.blobs.reads) == 2

    again = run_cli([*scan, "--output-dir", str(tmp_path / "two")], env)

    assert again.returncode == 0, again.stderr
    second = json.loads((tmp_path / "two" / "report.json").read_text())
    assert len(fake.blobs.reads) == 2  # nothing read again
    assert {a["reused_from"] for a in second["artifacts"]} == {report["scan"]["id"]}
    assert _statuses(second)[(UNSAFE, "bad/versions/1")] == "FAIL"
    assert fake.violations == []


def test_without_the_flag_no_blob_is_read(fake: FakeArm, env: dict[str, str], tmp_path: Path) -> None:
    done = run_cli(["scan", "azure", "--subscription", SUB, "--services", "ml", "--quiet",
                    "--output-dir", str(tmp_path / "out")], env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert not [f for f in report["findings"] if "_artifact_is_free" in f["check_id"]]
    assert report["artifacts"] is None and fake.blobs.checked == set()
    only = run_cli(["scan", "azure", "--subscription", SUB, *CHECKS, "--quiet"], env)
    assert only.returncode == 2 and only.stderr.startswith("cspm: ") and "--inspect-artifacts" in only.stderr


def test_permissions_azure_with_the_flag_lists_the_data_action(tmp_path: Path) -> None:
    done = run_cli(["permissions", "azure", "--inspect-artifacts"], clean_env(tmp_path))
    assert done.returncode == 0, done.stderr
    role = json.loads(done.stdout)
    assert role["DataActions"] == ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]


def test_a_distributed_scan_refuses_the_flag(tmp_path: Path) -> None:
    done = run_cli(["scan", "azure", "--subscription", SUB, "--inspect-artifacts", "--executor", "local:1"],
                   clean_env(tmp_path))  # fmt: skip
    assert done.returncode == 2 and done.stderr.startswith("cspm: ") and "distributed" in done.stderr
