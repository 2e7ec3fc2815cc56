"""End to end: the real ``cspm scan gcp`` process against a fake Cloud Storage JSON API on 127.0.0.1.

The process finds its credentials the documented way, through ``GOOGLE_APPLICATION_CREDENTIALS``:
a service-account key made by the test whose ``token_uri`` is the fake, so google-auth signs a
real JWT and exchanges it for a token there. ``STORAGE_EMULATOR_HOST`` (google-cloud-storage's
own setting) sends the storage calls to the fake, ``CSPM_GCP_VERTEX_ENDPOINT`` the Vertex AI
calls. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.azure import clean_env, run_cli, silent_server
from support.gcp import (
    PROJECT,
    FakeGcs,
    acl_entry,
    bucket,
    hardened_bucket,
    iam_policy,
    serve_http,
    service_account_file,
)

pytestmark = pytest.mark.e2e

LOCKED = "locked-project"


@pytest.fixture
def fake() -> FakeGcs:
    fake = FakeGcs()
    fake.add_bucket(hardened_bucket("ml-data"))
    fake.add_bucket(
        bucket("open-models", location="US", uniform=False, public_access_prevention="inherited"),
        policy=iam_policy("open-models", ("roles/storage.objectViewer", ["allUsers"])),
        acl=[acl_entry("open-models", "allUsers", "READER")],
    )
    fake.add_bucket(hardened_bucket("other"), project=LOCKED)
    fake.denied.add(f"project:{LOCKED}")
    return fake


@pytest.fixture
def gcs(fake: FakeGcs, tmp_path: Path) -> Iterator[dict[str, str]]:
    with serve_http(fake) as base:
        key = service_account_file(tmp_path, token_uri=f"{base}/token")
        yield clean_env(
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


def findings_by(report: dict[str, Any], check: str) -> dict[str, str]:
    return {
        "*" if f["resource_uid"].endswith(":*") else f["resource_uid"].rsplit("/", 1)[-1]: f["status"]
        for f in report["findings"]
        if f["check_id"] == check
    }


def test_scan_reports_every_project_and_records_the_unreadable_one(
    fake: FakeGcs, gcs: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    done = run_cli(["scan", "gcp", "--project", PROJECT, "--project", LOCKED, "--output-dir", str(out), "--quiet"], gcs)

    assert done.returncode == 0, done.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["scan"]["provider"] == "gcp" and report["scan"]["complete"] is False
    assert {s["account"]: s["regions"] for s in report["scan"]["scopes"]} == {
        PROJECT: ["us", "us-central1"],
        LOCKED: ["global"],
    }
    assert [(e["account"], e["operation"], e["code"]) for e in report["errors"]] == [
        (LOCKED, "buckets.list", "Forbidden")
    ]
    assert {r["uid"] for r in report["resources"]} == {
        "//storage.googleapis.com/projects/_/buckets/ml-data",
        "//storage.googleapis.com/projects/_/buckets/open-models",
        # each project's IAM hierarchy (the escalation checks' input; docs/gcp-iam.md)
        *(f"//cloudresourcemanager.googleapis.com/projects/{p}#iam" for p in (PROJECT, LOCKED)),
        *(f"//cloudresourcemanager.googleapis.com/projects/{p}#vpc-service-controls" for p in (PROJECT, LOCKED)),
    }

    assert findings_by(report, "gcp.storage.bucket_is_not_public") == {
        "ml-data": "PASS",
        "open-models": "FAIL",
        "*": "ERROR",
    }
    public = next(
        f for f in report["findings"] if f["check_id"] == "gcp.storage.bucket_is_not_public" and f["status"] == "FAIL"
    )
    assert public["evidence"] == {"iam": ["allUsers:roles/storage.objectViewer"], "acl": ["allUsers:READER"]}
    assert public["compliance"]["cis-gcp-5.0"] == ["5.1"]
    for check in (
        "gcp.storage.bucket_uniform_access_enabled",
        "gcp.storage.bucket_enforces_public_access_prevention",
        "gcp.storage.bucket_encrypted_with_cmek",
        "gcp.storage.bucket_retention_policy_locked",
        "gcp.storage.bucket_access_logging_enabled",
    ):
        assert findings_by(report, check) == {"ml-data": "PASS", "open-models": "FAIL", "*": "ERROR"}, check
    # ml-data has a retention policy, which excludes Object Versioning: the check does not apply.
    assert findings_by(report, "gcp.storage.bucket_versioning_enabled") == {"open-models": "FAIL", "*": "ERROR"}

    assert fake.tokens_issued >= 1, "the service-account key was exchanged for a token at the fake"
    assert not fake.violations
    # every request is a GET but the token exchange and the reads Google defines as POSTs
    # (projects.getIamPolicy, projects.getAncestry)
    reads = (":getIamPolicy", ":getAncestry")
    assert all(method == "GET" for method, path in fake.requests if path != "/token" and not path.endswith(reads))
    assert {p for m, p in fake.requests if m == "POST" and p != "/token"} <= {
        f"/v{v}/projects/{p}:{op}" for p in (PROJECT, LOCKED) for v, op in (("3", "getIamPolicy"), ("1", "getAncestry"))
    }


def test_exit_codes_follow_fail_on_and_strict(gcs: dict[str, str], tmp_path: Path) -> None:
    args = ["scan", "gcp", "--project", PROJECT, "--output-dir", str(tmp_path / "out"), "--quiet"]
    assert run_cli([*args, "--fail-on", "critical"], gcs).returncode == 3
    assert run_cli([*args, "--severity", "low", "--fail-on", "critical", "--strict"], gcs).returncode == 0
    assert (
        run_cli(
            ["scan", "gcp", "--project", LOCKED, "--output-dir", str(tmp_path / "o2"), "--quiet", "--strict"], gcs
        ).returncode
        == 4
    )


def test_no_credentials_exits_1_within_10_s_despite_a_silent_metadata_server(tmp_path: Path) -> None:
    with silent_server() as metadata:
        done = run_cli(
            ["scan", "gcp", "--output-dir", str(tmp_path / "out"), "--quiet"],
            clean_env(tmp_path, GCE_METADATA_HOST=metadata, GCE_METADATA_IP=metadata, CLOUDSDK_CONFIG=str(tmp_path)),
            timeout=60,
        )
    assert done.returncode == 1
    assert done.elapsed < 10, f"took {done.elapsed:.1f} s"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cspm: error:"), done.stderr
    assert "did not answer" in lines[0]
    assert "gcloud auth application-default login" in lines[0] and "GOOGLE_APPLICATION_CREDENTIALS" in lines[0]


def test_scan_gcp_imports_only_the_google_sdk(tmp_path: Path) -> None:
    record = tmp_path / "modules.json"
    run_cli(
        ["scan", "gcp", "--output-dir", str(tmp_path / "o")],
        clean_env(tmp_path, CSPM_TEST_MODULES=str(record), NO_GCE_CHECK="true", CLOUDSDK_CONFIG=str(tmp_path)),
    )
    loaded: list[str] = json.loads(record.read_text())
    assert any(m.startswith("google.auth") for m in loaded)
    assert not [m for m in loaded if m.startswith(("azure", "msal", "boto3", "botocore"))]
