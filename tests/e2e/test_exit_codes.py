"""Exit codes and one-line messages of the real ``cspm`` process (DESIGN: CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from e2e.harness import Fault, proxies, run_cspm, scan_aws

pytestmark = pytest.mark.e2e

UNREACHABLE = "http://127.0.0.1:1"  # nothing listens on port 1; the connection is refused at once
NO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": None,
    "AWS_SECRET_ACCESS_KEY": None,
    "AWS_SESSION_TOKEN": None,
    "AWS_PROFILE": None,
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": None,
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": None,
    "AWS_WEB_IDENTITY_TOKEN_FILE": None,
}


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {stderr!r}"
    return lines[0]


# Usage errors are detected before any connection: the unreachable endpoint proves it (a
# connection attempt would give exit 1, not 2).


def test_unknown_check_exits_2_and_says_how_to_list_the_valid_ids(tmp_path: Path) -> None:
    run = scan_aws(UNREACHABLE, tmp_path, "--checks", "aws.s3.no_such_check")
    assert run.returncode == 2, run.explain()
    line = one_line(run.stderr)
    assert "aws.s3.no_such_check" in line and "cspm checks list" in line
    assert len(line) < 400  # not every id of the catalog (issue 18)
    assert not (tmp_path / "report.json").exists()


def test_a_mistyped_check_id_gets_the_closest_ids(tmp_path: Path) -> None:
    run = scan_aws(UNREACHABLE, tmp_path, "--checks", "aws.s3.bucket_is_not_publik")
    assert run.returncode == 2, run.explain()
    line = one_line(run.stderr)
    assert "did you mean" in line.lower() and "aws.s3.bucket_is_not_public" in line


def test_unknown_service_exits_2_and_lists_the_valid_services(tmp_path: Path) -> None:
    run = scan_aws(UNREACHABLE, tmp_path, "--services", "s3,glue")  # bedrock and lambda are services now
    assert run.returncode == 2, run.explain()
    line = one_line(run.stderr)
    assert "glue" in line
    for service in ("iam", "s3", "ec2", "sagemaker"):
        assert service in line


def test_unknown_fail_on_level_exits_2(tmp_path: Path) -> None:
    run = scan_aws(UNREACHABLE, tmp_path, "--fail-on", "severe")
    assert run.returncode == 2, run.explain()
    assert "severe" in one_line(run.stderr)


def test_no_credentials_exits_1(moto_url: str, tmp_path: Path) -> None:
    run = scan_aws(moto_url, tmp_path, env=NO_CREDENTIALS)
    assert run.returncode == 1, run.explain()
    assert "credentials" in one_line(run.stderr).lower()
    assert not (tmp_path / "report.json").exists()


def test_unreachable_endpoint_exits_1_within_10_seconds(tmp_path: Path) -> None:
    run = scan_aws(UNREACHABLE, tmp_path, timeout=30)
    assert run.returncode == 1, run.explain()
    assert run.seconds < 10, f"took {run.seconds:.1f} s to give up"
    assert "127.0.0.1:1" in one_line(run.stderr)


def test_rejected_credentials_exit_1_and_keep_the_previous_report(moto_url: str, tmp_path: Path) -> None:
    boto3.client("s3", region_name="us-east-1", endpoint_url=moto_url).create_bucket(Bucket="e2e-kept")
    previous = tmp_path / "report.json"
    previous.write_text('{"schema_version": "1", "note": "the report of the last good scan"}\n', encoding="utf-8")
    before = previous.read_bytes()
    invalid = Fault("GetCallerIdentity", code="InvalidClientTokenId", message="The security token is invalid.")
    with proxies(moto_url) as start:
        proxy = start(invalid)
        run = scan_aws(proxy.url, tmp_path)
    assert run.returncode == 1, run.explain()
    assert "InvalidClientTokenId" in one_line(run.stderr)
    assert previous.read_bytes() == before, "a failed scan must not touch the last report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"], "no temporary files are left behind"
    assert proxy.operations() == ["GetCallerIdentity"], "nothing is scanned after the identity check fails"


def test_a_good_scan_replaces_the_previous_report(moto_url: str, tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text("{}", encoding="utf-8")
    run = scan_aws(moto_url, tmp_path, "--services", "s3", "--quiet")
    assert run.returncode == 0, run.explain()
    assert run.report.scan["complete"] is True
    assert run.stderr == ""
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_version_and_help_exit_0() -> None:
    version = run_cspm("--version")
    assert version.returncode == 0 and version.stdout.startswith("cspm ")
    help_ = run_cspm("--help")
    assert help_.returncode == 0 and "scan" in help_.stdout and "demo" in help_.stdout
    listed = run_cspm("checks", "list", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout)
