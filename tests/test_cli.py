"""The CLI contract: version, help, catalog commands, usage errors and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cspm import __version__
from cspm.cli import main
from cspm.models import Baseline, Finding, Severity, Status
from cspm.runner import exit_code

CSPM = [sys.executable, "-m", "cspm.cli"]


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CSPM, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False)


def test_version_and_help_import_no_cloud_sdk() -> None:
    code = (
        "import sys\n"
        "from cspm.cli import main\n"
        "for args in (['--version'], ['--help'], ['scan', '--help'], ['scan', 'aws', '--help']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'azure', 'google', 'moto'))\n"
        "print('SDKS=' + ','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert f"cspm {__version__}" in out.stdout
    assert "SDKS=\n" in out.stdout or out.stdout.rstrip().endswith("SDKS=")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"cspm {__version__}"


def test_checks_list_json_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checks", "list", "--json", "--provider", "aws"]) == 0
    listed = json.loads(capsys.readouterr().out)
    ids = {c["id"] for c in listed}
    assert "aws.s3.bucket_is_not_public" in ids
    assert all(c["remediation"] and c["rationale"] and c["severity"] for c in listed)
    assert main(["checks", "show", "aws.s3.bucket_is_not_public"]) == 0
    shown = capsys.readouterr().out
    assert "critical" in shown and "aws-fsbp: S3.2, S3.3" in shown and "AML.T0010.002" in shown


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["checks", "show", "aws.nope.nothing"], "unknown check aws.nope.nothing"),
        (["checks", "list", "--provider", "oracle"], "unknown provider oracle"),
        (["scan", "aws", "--checks", "aws.s3.nope"], "aws.s3.nope; run 'cspm checks list --provider aws'"),
        (["scan", "aws", "--services", "glue"], "unknown service glue; valid:"),
        (["scan", "aws", "--severity", "urgent"], "unknown severity urgent"),
        (["scan", "aws", "--fail-on", "sometimes"], "unknown --fail-on sometimes"),
        (["scan", "aws", "--no-such-flag"], "No such option"),
        (["scan", "aws", "--workers", "0"], "--workers"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert err.count("\n") == 1 and "Traceback" not in err


def _no_credentials_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION="us-east-1",
    )
    return env


def test_no_credentials_is_one_line_and_exit_1_quickly(tmp_path: Path) -> None:
    start = time.monotonic()
    out = run("scan", "aws", "--output-dir", str(tmp_path), env=_no_credentials_env())
    assert out.returncode == 1
    assert out.stderr.startswith("cspm: error: no AWS credentials found")
    assert out.stderr.count("\n") == 1
    assert time.monotonic() - start < 10
    assert not (tmp_path / "report.json").exists()


def test_unknown_profile_is_a_usage_error(tmp_path: Path) -> None:
    out = run("scan", "aws", "--profile", "nope", env=_no_credentials_env())
    assert out.returncode == 2 and "profile not found: nope" in out.stderr


def _finding(severity: Severity, status: Status, muted: bool = False) -> Finding:
    return Finding(
        uid="u",
        check_id="aws.s3.x",
        title="t",
        status=status,
        muted=muted,
        severity=severity,
        baseline=Baseline.ENCRYPTION,
        resource_uid="r",
        resource_type="aws.s3.bucket",
        account="1",
        region="r",
        message="m",
        remediation="r",
    )


def _report(findings: list[Finding], complete: bool = True) -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(findings=findings, scan=SimpleNamespace(complete=complete))


@pytest.mark.parametrize(
    ("findings", "fail_on", "strict", "complete", "expected"),
    [
        ([_finding(Severity.HIGH, Status.FAIL)], "none", False, True, 0),
        ([_finding(Severity.HIGH, Status.FAIL)], "high", False, True, 3),
        ([_finding(Severity.HIGH, Status.FAIL)], "critical", False, True, 0),
        ([_finding(Severity.CRITICAL, Status.FAIL)], "high", False, True, 3),
        ([_finding(Severity.CRITICAL, Status.FAIL, muted=True)], "low", False, True, 0),
        ([_finding(Severity.CRITICAL, Status.ERROR)], "low", False, True, 0),
        ([_finding(Severity.LOW, Status.PASS)], "low", True, False, 4),
        ([_finding(Severity.LOW, Status.PASS)], "low", False, False, 0),
        ([_finding(Severity.HIGH, Status.FAIL)], "medium", True, False, 3),
    ],
)
def test_exit_codes(findings: list[Finding], fail_on: str, strict: bool, complete: bool, expected: int) -> None:
    assert exit_code(_report(findings, complete), fail_on, strict=strict) == expected


def test_reports_are_written_atomically_and_never_half(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cspm.errors import ScanError
    from cspm.reporting import json_report

    target = tmp_path / "report.json"
    target.write_text('{"old": true}\n')

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(json_report.os, "replace", broken_replace)
    with pytest.raises(ScanError, match="disk full"):  # one line, exit 1: not a traceback
        json_report.write_atomic(target, '{"new": true}\n')
    assert target.read_text() == '{"old": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left behind
