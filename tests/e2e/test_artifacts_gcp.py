"""The real ``cspm scan gcp --inspect-artifacts`` process against the fake Cloud Storage and
Vertex AI APIs on 127.0.0.1 (credentials the documented way, as tests/e2e/test_scan_gcp.py):
the verdicts reach report.json, a rescan with ``--store`` downloads nothing unchanged, and
without the flag the artifact checks do not run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cspm.demo.gcp_objects import MALICIOUS_PICKLE, safetensors_model
from support.azure import clean_env, run_cli
from support.gcp import PROJECT, FakeGcs, serve_http, service_account_file, vertex_model

pytestmark = pytest.mark.e2e

UNSAFE = "gcp.vertex.model_artifact_is_free_of_unsafe_code"
CHECKS = ["--checks", "gcp.vertex.model_artifact_is_free_of_unsafe_code,gcp.vertex.model_artifact_uses_safe_format"]


@pytest.fixture
def fake() -> FakeGcs:
    fake = FakeGcs()
    fake.add_vertex("models", vertex_model("churn", artifact_uri="gs://models/churn/"))
    fake.add_vertex("models", vertex_model("fraud", artifact_uri="gs://models/fraud/"))
    fake.objects.put("models", "churn/model.pkl", MALICIOUS_PICKLE)
    fake.objects.put("models", "fraud/model.safetensors", safetensors_model())
    return fake


@pytest.fixture
def env(fake: FakeGcs, tmp_path: Path) -> Iterator[dict[str, str]]:
    with serve_http(fake) as base:
        key = service_account_file(tmp_path, token_uri=f"{base}/token")
        yield clean_env(tmp_path, GOOGLE_APPLICATION_CREDENTIALS=str(key), STORAGE_EMULATOR_HOST=base,
                        CSPM_GCP_VERTEX_ENDPOINT=base, CLOUDSDK_CONFIG=str(tmp_path / "gcloud"))  # fmt: skip


def _statuses(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(f["check_id"], f["resource_uid"].rsplit("/", 1)[-1]): f["status"] for f in report["findings"]}


def test_a_rescan_with_the_store_downloads_nothing_unchanged(
    fake: FakeGcs, env: dict[str, str], tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'history.db'}"
    scan = ["scan", "gcp", "--project", PROJECT, *CHECKS, "--inspect-artifacts", "--store", store, "--quiet"]
    first = run_cli([*scan, "--output-dir", str(tmp_path / "one")], env)
    assert first.returncode == 0, first.stderr
    report = json.loads((tmp_path / "one" / "report.json").read_text())
    assert _statuses(report)[(UNSAFE, "churn")] == "FAIL"
    assert _statuses(report)[(UNSAFE, "fraud")] == "PASS"
    assert len(fake.objects.media_reads) == 2

    again = run_cli([*scan, "--output-dir", str(tmp_path / "two")], env)

    assert again.returncode == 0, again.stderr
    second = json.loads((tmp_path / "two" / "report.json").read_text())
    assert len(fake.objects.media_reads) == 2  # nothing read again
    assert {a["reused_from"] for a in second["artifacts"]} == {report["scan"]["id"]}
    assert _statuses(second)[(UNSAFE, "churn")] == "FAIL"


def test_without_the_flag_no_object_is_read(fake: FakeGcs, env: dict[str, str], tmp_path: Path) -> None:
    done = run_cli(["scan", "gcp", "--project", PROJECT, "--services", "vertex", "--quiet",
                    "--output-dir", str(tmp_path / "out")], env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert not [f for f in report["findings"] if "_artifact_is_free" in f["check_id"]]
    assert report["artifacts"] is None and fake.objects.media_reads == []
    only = run_cli(["scan", "gcp", "--project", PROJECT, *CHECKS, "--quiet"], env)
    assert only.returncode == 2 and "--inspect-artifacts" in only.stderr


def test_a_bad_trust_config_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "root.json").write_text('{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1"}')
    done = run_cli(["scan", "gcp", "--project", PROJECT, "--inspect-artifacts", "--signing-identity", "a@b.example",
                    "--signing-issuer", "https://issuer.example", "--sigstore-trust-config",
                    str(tmp_path / "root.json")], env)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("cspm: ") and "ClientTrustConfig" in done.stderr and "Traceback" not in done.stderr
