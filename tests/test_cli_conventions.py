"""Conventions of the CLI's ecosystem (issue 18): -h, pipe-friendly lists, "did you mean",
one stderr line for every non-zero exit, and configuration checked before any API call."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import typer

from cspm.cli import app, main


def _command_paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, sub in getattr(command, "commands", {}).items():  # a group (Typer ships its own click)
        paths.extend(_command_paths(sub, (*prefix, name)))
    return paths


COMMAND_PATHS = _command_paths(typer.main.get_command(app))


def test_every_command_is_walked() -> None:
    assert {(), ("scan", "aws"), ("checks", "list"), ("policy", "lint"), ("diff",)} <= set(COMMAND_PATHS)


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(p) or "cspm")
def test_dash_h_is_help_on_every_command(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*path, "-h"]) == 0
    short = capsys.readouterr().out
    assert main([*path, "--help"]) == 0
    assert short == capsys.readouterr().out
    assert short.startswith("Usage: ") and "-h, --help" in short


# --- checks list: filters and pipe-friendly output ---------------------------------------------


def test_checks_list_piped_is_one_tab_separated_line_per_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checks", "list", "--provider", "aws", "--service", "s3", "--severity", "critical"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and "aws.s3.bucket_is_not_public\tcritical\tleast-privilege\t" in "\n".join(lines)
    for line in lines:  # no table, no wrapping: every line is a whole check
        check_id, severity, _baseline, title = line.split("\t")
        assert check_id.startswith("aws.s3.") and severity == "critical" and title
        assert "\x1b" not in line


def test_checks_list_filters_combine_and_match_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["checks", "list", "--service", "s3,iam", "--baseline", "encryption,logging", "--severity", "high,medium"]
    assert main([*args, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed
    assert all(
        c["id"].split(".")[1] in ("s3", "iam")
        and c["baseline"] in ("encryption", "logging")
        and c["severity"] in ("high", "medium")
        for c in listed
    )
    assert main(args) == 0
    assert [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()] == [c["id"] for c in listed]


def test_checks_list_unfiltered_json_is_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    from cspm.registry import CLOUDS, load_checks

    assert main(["checks", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [s.metadata() for s in load_checks(CLOUDS)]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--baseline", "encrypt"], "unknown baseline encrypt (did you mean encryption?); valid: least-privilege,"),
        (["--severity", "urgent"], "unknown severity urgent; valid: critical"),
        (["--service", "S3"], "unknown service S3 (did you mean s3?); valid: "),
        (["--provider", "aws", "--service", "storage"], "valid: cloudtrail, ec2"),
    ],
)
def test_checks_list_bad_filter_exits_2_with_valid_values(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["checks", "list", *args]) == 2
    captured = capsys.readouterr()
    assert needle in captured.err and captured.err.count("\n") == 1 and captured.out == ""


def test_checks_list_on_a_terminal_is_a_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert main(["checks", "list", "--service", "s3", "--severity", "critical"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\d+ checks", out.splitlines()[0]) and "┏" in out


# --- "did you mean" ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["checks", "show", "aws.s3.bucket_is_not_publik"],
            "unknown check aws.s3.bucket_is_not_publik (did you mean aws.s3.bucket_is_not_public,",
        ),
        (["checks", "show", "s3.bucket_is_not_public"], "(did you mean aws.s3.bucket_is_not_public,"),
        (["checks", "show", "zzz"], "unknown check zzz; run 'cspm checks list' for all"),
        (["scan", "aws", "--checks", "aws.s3.bucket_is_not_publik"], "run 'cspm checks list --provider aws' for all"),
        (
            ["scan", "aws", "--exclude-checks", "aws.s3.bucket_is_not_publik"],
            "(did you mean aws.s3.bucket_is_not_public",
        ),
        (["scan", "aws", "--services", "sagemker"], "unknown service sagemker (did you mean sagemaker?); valid: "),
        (
            ["scan", "aws", "--compliance", "fsbp"],
            "unknown compliance framework fsbp (did you mean aws-fsbp?); valid: ",
        ),
        (["compliance", "cis-aws-50", "report.json"], "(did you mean cis-aws-5.0,"),
        (["permissions", "aws", "--services", "sagemker"], "(did you mean sagemaker?)"),
    ],
)
def test_unknown_names_get_one_short_did_you_mean_line(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert err.count("\n") == 1 and len(err) < 400  # never the whole catalog (was 5,888 characters)


def test_suggestions_are_bounded_and_safe() -> None:
    from cspm.suggest import close_matches, unknown_choice

    assert close_matches("S3", ["iam", "s3"]) == ["s3"]
    assert len(close_matches("aws.s3.bucket", [f"aws.s3.bucket_{i}" for i in range(50)])) == 3
    message = str(
        unknown_choice("check", ["x" * 5000 + "\x1b[2J"], [f"id{i}" for i in range(200)], list_all="cspm checks list")
    )
    assert len(message) < 200 and "\x1b" not in message and message.endswith("run 'cspm checks list' for all 200")
