"""End to end, issue 11: ``--timeout`` bounds ``cspm scan azure`` and ``cspm scan gcp`` even while
an answer drips (one byte every 2 s: each byte well within the read timeout, the whole answer
minutes away), and a truncated listing makes the real process report ``complete: false``.

The real process against the Azure and Cloud Storage fakes on 127.0.0.1, behind the hostile
front of ``tests/support/hostile.py``.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from resilience.scans import cspm_command

from support.azure import SUB, TENANT, FakeArm, blob_service, clean_env, container, make_cert, run_cli, serve_https
from support.azure import storage_account as azure_account
from support.gcp import PROJECT, FakeGcs, hardened_bucket, serve_http, service_account_file
from support.hostile import DRIPPED, Drip, Hostile, Truncated, arm_error_body, gcs_error_body

pytestmark = pytest.mark.e2e

TIMEOUT = 3
GRACE = 5  # the bound: the process has exited by --timeout + 5 s
DRIP = 2.0


@pytest.fixture
def azure(tmp_path: Path) -> Iterator[tuple[Hostile, dict[str, str]]]:
    fake = FakeArm()
    fake.add_account(azure_account("open"), blob=blob_service("open"), containers=[container("open", "data")])
    front = Hostile(fake, arm_error_body)
    cert, key = make_cert(tmp_path)
    with serve_https(front, cert, key) as base:
        env = clean_env(
            tmp_path,
            AZURE_CLIENT_ID="22222222-2222-2222-2222-222222222222",
            AZURE_CLIENT_SECRET="not-a-real-secret",
            AZURE_TENANT_ID=TENANT,
            AZURE_AUTHORITY_HOST=base,
            CSPM_AZURE_ARM_ENDPOINT=base,
            REQUESTS_CA_BUNDLE=str(cert),
        )
        yield front, env


@pytest.fixture
def gcp(tmp_path: Path) -> Iterator[tuple[Hostile, dict[str, str]]]:
    fake = FakeGcs()
    fake.add_bucket(hardened_bucket("ml-data"))
    front = Hostile(fake, gcs_error_body)
    with serve_http(front) as base:
        key = service_account_file(tmp_path, token_uri=f"{base}/token")
        env = clean_env(
            tmp_path,
            GOOGLE_APPLICATION_CREDENTIALS=str(key),
            STORAGE_EMULATOR_HOST=base,
            CSPM_GCP_VERTEX_ENDPOINT=base,
            CSPM_GCP_NOTEBOOKS_ENDPOINT=base,
            CSPM_GCP_CRM_ENDPOINT=base,
            CSPM_GCP_IAM_ENDPOINT=base,
            CSPM_GCP_COMPUTE_ENDPOINT=base,
            CSPM_GCP_ACM_ENDPOINT=base,
            CLOUDSDK_CONFIG=str(tmp_path / "gcloud"),
        )
        yield front, env


CASES = {
    "azure": (["scan", "azure", "--subscription", SUB, "--services", "storage"], r"/storageAccounts$"),
    "gcp": (["scan", "gcp", "--project", PROJECT], r"^/storage/v1/b$"),
}


def _report(out: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    return report


@pytest.mark.parametrize("cloud", ["azure", "gcp"])
def test_the_timeout_ends_the_process_while_a_listing_drips(cloud: str, request: pytest.FixtureRequest) -> None:
    front, env = request.getfixturevalue(cloud)
    args, listing = CASES[cloud]
    front.faults[listing] = Drip(DRIP)
    out = Path(env["HOME"]) / "out"
    argv = [*cspm_command(), *args, "--output-dir", str(out), "--quiet", "--timeout", str(TIMEOUT)]
    started = time.monotonic()
    # the installed console script: it exits without waiting for the thread stuck in the read
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert elapsed < TIMEOUT + GRACE, f"exited after {elapsed:.1f} s"
    report = _report(out)
    assert report["scan"]["complete"] is False
    assert [(e["operation"], e["code"]) for e in report["errors"]] == [("collect", "Unfinished")]
    assert "the report is incomplete" in done.stderr
    assert front.outcomes() == [DRIPPED]


@pytest.mark.parametrize(("cloud", "operation"), [("azure", "StorageAccounts_List"), ("gcp", "buckets.list")])
def test_a_truncated_listing_is_an_incomplete_report(
    cloud: str, operation: str, request: pytest.FixtureRequest
) -> None:
    front, env = request.getfixturevalue(cloud)
    args, listing = CASES[cloud]
    front.faults[listing] = Truncated()
    out = Path(env["HOME"]) / "out"
    done = run_cli([*args, "--output-dir", str(out), "--quiet", "--strict"], env)
    assert done.returncode == 4, done.stderr  # scan finished but incomplete, --strict
    report = _report(out)
    assert report["scan"]["complete"] is False
    assert [(e["operation"], e["code"]) for e in report["errors"]] == [(operation, "MalformedBody")]
    listed = (
        f"{cloud}.storage."  # the listing made unreadable (other services, e.g. VPC-SC of the project, still answer)
    )
    assert [r for r in report["resources"] if r["type"].startswith(listed)] == []
    statuses = {f["status"] for f in report["findings"] if f["resource_type"].startswith(listed)}
    assert statuses == {"ERROR"}, "nothing passes on a listing not read"
