"""Conventions of the CLI's ecosystem (issue 18): -h, pipe-friendly lists, "did you mean",
one stderr line for every non-zero exit, and configuration checked before any API call."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cspm.cli import main
from support.cli import command_tree

COMMAND_PATHS = [path for path, _ in command_tree()]


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
    assert main(["checks", "list", "--provider", "aws", "--services", "s3", "--severity", "critical"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and "aws.s3.bucket_is_not_public\tcritical\tleast-privilege\t" in "\n".join(lines)
    for line in lines:  # no table, no wrapping: every line is a whole check
        check_id, severity, _baseline, title = line.split("\t")
        assert check_id.startswith("aws.s3.") and severity == "critical" and title
        assert "\x1b" not in line


def test_checks_list_filters_combine_and_match_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["checks", "list", "--services", "s3,iam", "--baseline", "encryption,logging", "--severity", "high,medium"]
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
        (["--services", "S3"], "unknown service S3 (did you mean s3?); valid: "),
        (["--provider", "aws", "--services", "storage"], "valid: cloudtrail, ec2"),
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
    assert main(["checks", "list", "--services", "s3", "--severity", "critical"]) == 0
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


# --- configuration checked before the first API call -----------------------------------------------


@pytest.fixture
def no_api_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pre-flight error must come before the provider is even built."""

    def boom(*_: object, **__: object) -> None:
        raise AssertionError("the scan started")

    monkeypatch.setattr("cspm.providers.aws.AwsProvider.connect", boom)
    monkeypatch.setattr("cspm.demo.run_demo", boom)


@pytest.mark.usefixtures("no_api_calls")
@pytest.mark.parametrize("command", [["scan", "aws"], ["demo"]])
def test_an_unusable_output_dir_exits_2_before_scanning(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    assert main([*command, "--output-dir", str(blocker / "out")]) == 2
    err = capsys.readouterr().err
    assert err == f"cspm: error: --output-dir {blocker / 'out'}: {blocker} is not a directory\n"
    assert main([*command, "--output-dir", str(blocker)]) == 2
    assert "is not a directory" in capsys.readouterr().err


@pytest.mark.usefixtures("no_api_calls")
@pytest.mark.parametrize(
    ("store", "needle"),
    [
        ("postgresql://h:notaport/db", "invalid --store URL"),
        ("mysql://h/db", "unsupported --store URL scheme mysql://"),
        ("sqlite:///no-such-dir/x.db", "is the relative path no-such-dir/x.db, and directory no-such-dir does not"),
    ],
)
def test_a_bad_store_exits_2_before_scanning(
    store: str, needle: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["scan", "aws", "--store", store]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1
    assert not (tmp_path / "no-such-dir").exists()


def test_three_slashes_is_relative_and_never_creates_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["history", "--store", "sqlite:///tmp/x.db"]) == 2  # meant /tmp/x.db: refused, not ./tmp/x.db
    err = capsys.readouterr().err
    assert "is the relative path tmp/x.db" in err and "write sqlite:////tmp/x.db (four slashes)" in err
    assert not (tmp_path / "tmp").exists()
    (tmp_path / "tmp").mkdir()  # the directory exists: SQLAlchemy's reading, with a warning naming the file
    assert main(["history", "--store", "sqlite:///tmp/x.db"]) == 0
    assert f"is the relative path {tmp_path / 'tmp' / 'x.db'}" in capsys.readouterr().err
    assert (tmp_path / "tmp" / "x.db").is_file()
    assert main(["history", "--store", "sqlite:///h.db"]) == 0  # relative, in the current directory: quiet
    assert capsys.readouterr().err == "" and (tmp_path / "h.db").is_file()


def test_absolute_and_plain_store_paths_still_create_their_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--store", f"sqlite:///{tmp_path / 'a' / 'h.db'}"]) == 0  # four slashes
    assert main(["history", "--store", str(tmp_path / "b" / "h.db")]) == 0
    assert (tmp_path / "a" / "h.db").is_file() and (tmp_path / "b" / "h.db").is_file()
    assert capsys.readouterr().err == ""


# --- one stderr line for every non-zero exit (the audit) ------------------------------------------


def _failing_paths(tmp: Path) -> list[tuple[list[str], int]]:
    from support.report_factory import make_finding, make_report

    (tmp / "allow-all.json").write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}',
        encoding="utf-8",
    )
    (tmp / "broken.json").write_text("{nope", encoding="utf-8")
    (tmp / "old.json").write_text(make_report([]).to_json(), encoding="utf-8")
    (tmp / "new.json").write_text(make_report([make_finding()]).to_json(), encoding="utf-8")
    (tmp / "bad.toml").write_text("[scan]\nfail-on = 'hgh'\n", encoding="utf-8")
    t = str(tmp)
    return [
        ([], 2),
        (["bogus"], 2),
        (["scan"], 2),
        (["scan", "aws", "--bogus"], 2),
        (["scan", "aws", "--region"], 2),
        (["scan", "aws", "--fail-on", "x"], 2),
        (["scan", "aws", "--workers", "0"], 2),
        (["scan", "azure", "--timeout", "0"], 2),
        (["scan", "azure", "--compliance", "cis-aws-5.0"], 2),
        (["scan", "gcp", "--organization", "x y"], 2),
        (["demo", "--output-formats", "pdf"], 2),
        (["checks", "list", "--baseline", "x"], 2),
        (["checks", "show"], 2),
        (["checks", "show", "nope"], 2),
        (["policy", "lint", f"{t}/missing.json", f"{t}/missing2.json"], 2),
        (["policy", "lint", f"{t}/broken.json"], 2),
        (["policy", "lint", f"{t}/allow-all.json"], 3),
        (["diff", f"{t}/old.json"], 2),
        (["diff", f"{t}/broken.json", f"{t}/broken.json"], 2),
        (["diff", f"{t}/old.json", f"{t}/new.json", "--fail-on", "high"], 3),
        (["diff", "--last", "--store", f"sqlite:///{t}/empty.db"], 2),
        (["history", "--store", "mysql://x/y"], 2),
        (["compliance", "nope", f"{t}/new.json"], 2),
        (["compliance", "cis-azure-5.0", f"{t}/new.json"], 2),
        (["lineage", f"{t}/missing.json"], 2),
        (["lineage", f"{t}/new.json", "--format", "png"], 2),
        (["permissions"], 2),
        (["permissions", "nope"], 2),
        (["--config", f"{t}/bad.toml", "history"], 2),
        (["--config", f"{t}/missing.toml", "history"], 2),
    ]


def test_every_non_zero_exit_prints_exactly_one_stderr_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./cspm.toml but the test's own
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for args, code in _failing_paths(tmp_path):
        assert main(args) == code, args
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.endswith("\n"), (args, err)


def test_an_internal_error_is_one_line_too(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug\nover two lines")

    monkeypatch.setattr("cspm.registry.load_checks", broken)
    assert main(["checks", "list"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cspm: internal error: RuntimeError: a bug")
