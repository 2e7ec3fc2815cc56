"""The history store on SQLite and PostgreSQL: migrations, save/load, trend, --last, unreachable stores."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

import cspm.cli
from cspm.errors import ScanError, UsageError
from cspm.history import HistoryStore, default_store_path, history, last_two, save_scan
from cspm.history.store import normalize_url
from cspm.models import ArtifactEntry, Baseline, Scope, Severity, Status
from support.report_factory import (
    ACCOUNT_A,
    ACCOUNT_B,
    STARTED,
    bucket_arn,
    make_finding,
    make_report,
    varied_report,
)


def scan(day: int, *, fail: bool, scan_id: str | None = None, scopes: list[Scope] | None = None):
    findings = [
        make_finding("aws.s3.bucket_is_not_public", bucket_arn("a"), status=Status.FAIL if fail else Status.PASS),
        make_finding(
            "aws.s3.bucket_versioning_enabled",
            bucket_arn("a"),
            status=Status.PASS,
            severity=Severity.MEDIUM,
            baseline=Baseline.INTEGRITY,
        ),
        make_finding("aws.s3.bucket_is_not_public", bucket_arn("b"), account=ACCOUNT_B, status=Status.PASS),
    ]
    return make_report(
        findings,
        scan_id=scan_id or f"scan-{day}",
        started=STARTED + timedelta(days=day),
        scopes=scopes
        or [Scope(account=ACCOUNT_A, regions=["us-east-1"]), Scope(account=ACCOUNT_B, regions=["us-east-1"])],
    )


def test_save_and_load_round_trip(store_url: str) -> None:
    report = varied_report()
    save_scan(report, store_url)
    with HistoryStore(store_url) as store:
        loaded = store.load(report.scan.id)
    assert loaded.findings == sorted(report.findings, key=lambda f: f.uid)
    assert loaded.summary == report.summary
    assert loaded.scan == report.scan
    assert loaded.errors == report.errors


def test_saving_a_scan_again_replaces_it(store_url: str) -> None:
    save_scan(scan(1, fail=True), store_url)
    save_scan(scan(1, fail=False), store_url)
    view = history(store_url)
    assert [(s.id, s.fail_count) for s in view.scans] == [("scan-1", 0)]


def test_history_lists_scans_and_the_trend_per_baseline_and_account(store_url: str) -> None:
    for day, fail in [(1, True), (2, True), (3, False)]:
        save_scan(scan(day, fail=fail), store_url)
    view = history(store_url)
    assert [s.id for s in view.scans] == ["scan-3", "scan-2", "scan-1"]
    assert view.trend[("*", "least-privilege")] == [50.0, 50.0, 100.0]
    assert view.trend[(ACCOUNT_A, "least-privilege")] == [0.0, 0.0, 100.0]
    assert view.trend[(ACCOUNT_B, "least-privilege")] == [100.0, 100.0, 100.0]
    assert view.trend[(ACCOUNT_A, "encryption")] == [None, None, None]
    only_b = history(store_url, account=ACCOUNT_B, limit=2)
    assert [s.id for s in only_b.scans] == ["scan-3", "scan-2"]
    assert {k[0] for k in only_b.trend} == {ACCOUNT_B}
    assert history(store_url, provider="azure").scans == []


def test_last_two_compares_the_same_scope(store_url: str) -> None:
    other_scope = [Scope(account="333333333333", regions=["us-east-1"])]
    save_scan(scan(1, fail=False), store_url)
    save_scan(scan(2, fail=True, scopes=other_scope), store_url)
    save_scan(scan(3, fail=True), store_url)
    old, new = last_two(store_url)
    assert (old.scan.id, new.scan.id) == ("scan-1", "scan-3")
    fresh = scan(4, fail=False, scan_id="not-stored")
    old, new = last_two(store_url, fresh)
    assert (old.scan.id, new.scan.id) == ("scan-3", "not-stored")
    with pytest.raises(UsageError, match="no earlier scan of the same scope"):
        last_two(store_url, scan(0, fail=False, scopes=[Scope(account="444444444444", regions=["x"])]))


def test_migrations_views_and_idempotence(store_url: str) -> None:
    report = varied_report()
    save_scan(report, store_url)
    # Opening the store again runs the (now no-op) migrations.
    with HistoryStore(store_url) as store, store.engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM cspm_schema_version")).scalar_one()
        failures = conn.execute(sa.text("SELECT COUNT(*) FROM cspm_v_failures")).scalar_one()
        trend = conn.execute(
            sa.text("SELECT score FROM cspm_v_score_trend WHERE account = '*' AND baseline = 'overall'")
        ).scalar_one()
        latest = conn.execute(sa.text("SELECT id FROM cspm_v_latest_scans")).scalars().all()
    assert version == "0002"  # 0002: the artifacts table (--inspect-artifacts)
    assert failures == report.summary.fail
    assert trend == report.summary.scores["overall"]
    assert latest == [report.scan.id]


def test_an_empty_store(store_url: str) -> None:
    assert history(store_url).scans == []
    with pytest.raises(UsageError, match="has no scans yet"):
        last_two(store_url)


def test_fifty_thousand_findings_save(tmp_path: Path) -> None:
    findings = [make_finding(f"aws.s3.check_{i % 5}", bucket_arn(f"b{i // 5}")) for i in range(50_000)]
    report = make_report(findings)
    url = f"sqlite:///{tmp_path / 'big.db'}"
    save_scan(report, url)
    with HistoryStore(url) as store:
        assert len(store.load(report.scan.id).findings) == 50_000


# ---------------------------------------------------------------------------------------------
# URLs, defaults and failures
# ---------------------------------------------------------------------------------------------


def test_urls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_store_path() == tmp_path / "xdg" / "cspm" / "history.db"
    assert normalize_url(None) == f"sqlite:///{tmp_path}/xdg/cspm/history.db"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_store_path() == tmp_path / ".local" / "share" / "cspm" / "history.db"
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url(str(tmp_path / "h.db")) == f"sqlite:///{tmp_path}/h.db"
    with pytest.raises(UsageError, match="unsupported --store URL scheme mysql://"):
        normalize_url("mysql://h/db")


def test_the_default_store_is_created_under_xdg_data_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    save_scan(scan(1, fail=True))
    assert (tmp_path / "xdg" / "cspm" / "history.db").is_file()


def test_an_unreachable_postgres_is_one_line_without_the_password() -> None:
    with pytest.raises(ScanError) as info:
        save_scan(scan(1, fail=True), "postgresql://cspm:s3cret@127.0.0.1:1/cspm")
    message = str(info.value)
    assert message.startswith("history store postgresql+psycopg://cspm:***@127.0.0.1:1/cspm: ")
    assert "s3cret" not in message and "\n" not in message


def test_an_unwritable_sqlite_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ScanError, match="history store sqlite:///"):
        save_scan(scan(1, fail=True), str(blocker / "sub" / "history.db"))


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ScanError, match="file is not a database"):
        save_scan(scan(1, fail=True), str(junk))


# ---------------------------------------------------------------------------------------------
# The commands
# ---------------------------------------------------------------------------------------------


def test_cli_history_and_diff_last(store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save_scan(scan(1, fail=False), store_url)
    save_scan(scan(2, fail=True), store_url)
    assert cspm.cli.main(["history", "--store", store_url]) == 0
    out = capsys.readouterr().out
    assert "scan-2" in out and "scan-1" in out and "Score trend" in out
    assert cspm.cli.main(["history", "--store", store_url, "--json", "--limit", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in data["scans"]] == ["scan-2"]
    assert cspm.cli.main(["diff", "--last", "--store", store_url, "--fail-on", "high"]) == 3
    assert "New failures (1):" in capsys.readouterr().out
    newest = tmp_path / "new.json"
    newest.write_text(scan(3, fail=False, scan_id="scan-3").to_json(), encoding="utf-8")
    assert cspm.cli.main(["diff", "--last", str(newest), "--store", store_url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["old_scan"]["id"] == "scan-2" and data["counts"]["resolved"] == 1
    assert cspm.cli.main(["diff", "--last", str(newest), str(newest), "--store", store_url]) == 2
    capsys.readouterr()


def test_cli_unreachable_store_exits_1_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cspm.cli.main(["history", "--store", "postgresql://cspm@127.0.0.1:1/cspm"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cspm: error: history store postgresql+psycopg://cspm@127.0.0.1:1/cspm:")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://u:secret@host:notaport/db", "invalid --store URL postgresql+psycopg://…: invalid literal"),
        ("postgresql://[::1", "invalid --store URL postgresql+psycopg://…"),
        ("sqlite://relative", "invalid --store URL sqlite://relative: Invalid SQLite URL: sqlite://relative"),
        ("~no-such-user-here/h.db", "invalid --store path ~no-such-user-here/h.db: Could not determine home directory"),
    ],
)
def test_malformed_store_urls_are_usage_errors_in_one_line(url: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        HistoryStore(url)
    assert str(info.value).startswith(message) and "\n" not in str(info.value) and "secret" not in str(info.value)


def _artifact(uri: str, **fields: object) -> ArtifactEntry:
    bucket, _, key = uri[len("s3://") :].partition("/")
    base: dict[str, object] = {
        "uid": f"arn:aws:s3:::{bucket}/{key}",
        "type": "aws.artifacts.model_artifact",
        "name": uri,
        "account": ACCOUNT_A,
        "region": "us-east-1",
        "uri": uri,
        "etag": '"e1"',
        "size": 10,
        "sha256": "ab" * 32,
        "format": "pickle",
        "members": [("model.pkl", "pickle")],
        "dangerous": [{"module": "posix", "name": "system", "member": "model.pkl"}],
        "scanners": {"picklescan": "1.0.5"},
    }
    return ArtifactEntry.model_validate(base | fields)


def test_the_newest_complete_inspection_of_each_artifact_is_kept(store_url: str) -> None:
    old = scan(1, fail=False).model_copy(
        update={"artifacts": [_artifact("s3://m/a.pkl"), _artifact("s3://m/b.pkl", etag='"old"')]}
    )
    new = scan(2, fail=False).model_copy(
        update={
            "artifacts": [
                _artifact("s3://m/b.pkl", etag='"new"'),
                _artifact("s3://m/c.pkl", sha256=None, error="HeadObject failed (see errors)"),
            ]
        }
    )
    save_scan(old, store_url)
    save_scan(new, store_url)
    with HistoryStore(store_url) as store:
        found = store.last_artifacts()
    assert sorted(found) == ["s3://m/a.pkl", "s3://m/b.pkl"]  # a failed read is never reused
    assert found["s3://m/a.pkl"][0] == "scan-1"
    assert (found["s3://m/b.pkl"][0], found["s3://m/b.pkl"][1].etag) == ("scan-2", '"new"')
    assert found["s3://m/a.pkl"][1].dangerous[0].name == "system"  # type: ignore[index]
