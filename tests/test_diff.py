"""cspm diff: categories by finding uid, --json, --fail-on exit 3, broken reports exit 2 with the location."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

import cspm.cli
from cspm.diff import diff_reports, failing_count, fails_on, read_report
from cspm.models import Severity, Status
from support.report_factory import STARTED, bucket_arn, make_finding, make_report

F = make_finding


def pair():
    old = make_report(
        [
            F("c.still_failing", bucket_arn("a")),
            F("c.fixed", bucket_arn("a")),
            F("c.deleted", bucket_arn("gone")),
            F("c.rerated", bucket_arn("a"), severity=Severity.LOW),
            F("c.now_error", bucket_arn("a")),
            F("c.now_muted", bucket_arn("a")),
            F("c.was_passing", bucket_arn("a"), status=Status.PASS),
            F("c.was_muted", bucket_arn("a"), muted=True),
        ],
        scan_id="old",
    )
    new = make_report(
        [
            F("c.still_failing", bucket_arn("a")),
            F("c.fixed", bucket_arn("a"), status=Status.PASS),
            F("c.rerated", bucket_arn("a"), severity=Severity.CRITICAL),
            F("c.now_error", bucket_arn("a"), status=Status.ERROR),
            F("c.now_muted", bucket_arn("a"), muted=True),
            F("c.was_passing", bucket_arn("a"), severity=Severity.MEDIUM),
            F("c.was_muted", bucket_arn("a"), severity=Severity.LOW),
            F("c.brand_new", bucket_arn("new"), severity=Severity.HIGH),
        ],
        scan_id="new",
        started=STARTED + timedelta(days=1),
    )
    return old, new


def checks(items) -> list[str]:
    return [i.check_id for i in items]


def test_categories() -> None:
    diff = diff_reports(*pair())
    assert checks(diff.new_failures) == ["c.brand_new", "c.was_passing", "c.was_muted"]  # most severe first
    assert sorted(checks(diff.resolved)) == ["c.deleted", "c.fixed"]
    assert checks(diff.unchanged) == ["c.still_failing"]
    assert checks(diff.rerated) == ["c.rerated"]
    assert (diff.rerated[0].old_severity, diff.rerated[0].severity) == (Severity.LOW, Severity.CRITICAL)
    assert checks(diff.unassessed) == ["c.now_error"]
    assert checks(diff.muted) == ["c.now_muted"]
    assert diff.counts == {"new": 3, "resolved": 2, "rerated": 1, "unassessed": 1, "muted": 1, "unchanged": 1}
    gone = next(i for i in diff.resolved if i.check_id == "c.deleted")
    assert gone.status is None


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [("none", False), ("critical", True), ("high", True), ("medium", True), ("informational", True)],
)
def test_fail_on(threshold: str, expected: bool) -> None:
    assert fails_on(diff_reports(*pair()), threshold) is expected


def test_fail_on_counts_new_failures_only() -> None:
    old, _ = pair()
    assert not fails_on(diff_reports(old, old), "informational")
    # re-rated up to the threshold counts; re-rated but already above it does not
    low = make_report([F("c.x", severity=Severity.LOW)])
    high = make_report([F("c.x", severity=Severity.HIGH)])
    crit = make_report([F("c.x", severity=Severity.CRITICAL)])
    assert fails_on(diff_reports(low, high), "high")
    assert not fails_on(diff_reports(high, crit), "high")
    assert not fails_on(diff_reports(high, low), "low")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_text_json_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = pair()
    a, b = write(tmp_path, "old.json", old.to_json()), write(tmp_path, "new.json", new.to_json())
    assert cspm.cli.main(["diff", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "new 3  resolved 2  rerated 1" in out and "New failures (3):" in out and "low->critical" in out
    assert cspm.cli.main(["diff", str(a), str(b), "--json", "--fail-on", "high"]) == 3
    captured = capsys.readouterr()
    data = json.loads(captured.out)  # stdout stays pure JSON; the reason for exit 3 is one stderr line
    assert captured.err == "cspm: 2 new failures at or above --fail-on high (exit 3)\n"  # new high, re-rated critical
    assert failing_count(diff_reports(old, new), "critical") == 1
    assert cspm.cli.main(["diff", str(a), str(b), "--fail-on", "critical"]) == 3
    assert capsys.readouterr().err == "cspm: 1 new failure at or above --fail-on critical (exit 3)\n"
    assert data["counts"]["new"] == 3 and data["new"][0]["check_id"] == "c.brand_new"
    assert cspm.cli.main(["diff", str(b), str(b), "--fail-on", "informational"]) == 0  # nothing new
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"schema_version": "1",\n  "tool": ', "bad.json:2:11: not valid JSON"),
        ("[1, 2]", "bad.json: not a cspm report (no schema_version)"),
        ('{"schema_version": "2"}', "bad.json: schema_version '2' is not supported (this cspm reads '1')"),
        ('{"schema_version": "1", "tool": {"version": "x"}}', "bad.json: scan: Field required (and 4 more)"),
    ],
)
def test_broken_reports_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    good = write(tmp_path, "good.json", make_report([F()]).to_json())
    bad = write(tmp_path, "bad.json", content)
    assert cspm.cli.main(["diff", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_wrong_finding_field_names_its_location(tmp_path: Path) -> None:
    data = json.loads(make_report([F(), F("c.two")]).to_json())
    data["findings"][1]["status"] = "MAYBE"
    path = write(tmp_path, "r.json", json.dumps(data))
    with pytest.raises(Exception, match=r"r\.json: findings\.1\.status: Input should be 'PASS', 'FAIL' or 'ERROR'"):
        read_report(path)


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = write(tmp_path, "one.json", make_report([F()]).to_json())
    assert cspm.cli.main(["diff", str(one)]) == 2
    assert "give two reports" in capsys.readouterr().err
    assert cspm.cli.main(["diff", str(one), str(one), "--fail-on", "severe"]) == 2
    assert "unknown --fail-on severe" in capsys.readouterr().err
    assert cspm.cli.main(["diff", str(one), str(tmp_path / "missing.json")]) == 2
    assert "cannot read report" in capsys.readouterr().err
