"""The history store: SQLAlchemy 2 Core on SQLite (default) or PostgreSQL (psycopg 3).

The schema is created and upgraded by the Alembic migrations shipped in
``cspm/history/migrations`` (run programmatically on every open; a no-op when current).
Tables: ``cspm_scans`` (one row per scan: scope, summary, scores), ``cspm_scan_scores``
(per account and baseline, ``account = '*'`` for the whole scan), ``cspm_findings``,
``cspm_errors``; views ``cspm_v_failures``, ``cspm_v_score_trend``, ``cspm_v_latest_scans``
for dashboards (docs/dashboards.md).
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from cspm.errors import ScanError, UsageError
from cspm.inputs import one_line
from cspm.models import (
    ArtifactEntry,
    Baseline,
    CollectionError,
    Finding,
    ScanInfo,
    ScanReport,
    Scope,
    Severity,
    Summary,
    ToolInfo,
)
from cspm.scoring import baseline_scores

if TYPE_CHECKING:
    from cspm.resources.aws.artifacts import S3ModelArtifact

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
ALL_ACCOUNTS = "*"
INSERT_BATCH = 5_000

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TIME = sa.DateTime(timezone=True)
_meta = sa.MetaData()
scans = sa.Table(
    "cspm_scans",
    _meta,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("provider", sa.String(16)),
    sa.Column("scope_key", sa.String(1024)),
    sa.Column("scopes", _JSON),
    sa.Column("started_at", _TIME),
    sa.Column("finished_at", _TIME),
    sa.Column("complete", sa.Boolean),
    sa.Column("checks_run", sa.Integer),
    sa.Column("tool_version", sa.String(32)),
    sa.Column("schema_version", sa.String(8)),
    sa.Column("pass_count", sa.Integer),
    sa.Column("fail_count", sa.Integer),
    sa.Column("error_count", sa.Integer),
    sa.Column("muted_count", sa.Integer),
    sa.Column("fail_by_severity", _JSON),
    sa.Column("scores", _JSON),
    sa.Column("saved_at", _TIME),
)
scan_scores = sa.Table(
    "cspm_scan_scores",
    _meta,
    sa.Column("scan_id", sa.String(64), primary_key=True),
    sa.Column("account", sa.String(256), primary_key=True),
    sa.Column("baseline", sa.String(32), primary_key=True),
    sa.Column("score", sa.Float),
)
findings = sa.Table(
    "cspm_findings",
    _meta,
    sa.Column("scan_id", sa.String(64), primary_key=True),
    sa.Column("uid", sa.String(64), primary_key=True),
    *(
        sa.Column(name, sa.Text)
        for name in ("check_id", "title", "status", "severity", "baseline", "resource_uid", "resource_type")
    ),
    sa.Column("muted", sa.Boolean),
    *(sa.Column(name, sa.Text) for name in ("account", "region", "message", "remediation")),
    *(sa.Column(name, _JSON) for name in ("evidence", "compliance", "attack")),
)
artifacts = sa.Table(
    "cspm_artifacts",
    _meta,
    sa.Column("scan_id", sa.String(64), primary_key=True),
    sa.Column("uri", sa.String(2048), primary_key=True),
    sa.Column("etag", sa.String(256)),
    sa.Column("size", sa.BigInteger),
    sa.Column("sha256", sa.String(64)),
    sa.Column("data", _JSON),
)
errors = sa.Table(
    "cspm_errors",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("scan_id", sa.String(64)),
    *(sa.Column(name, sa.Text) for name in ("account", "region", "service", "operation", "code", "message")),
)


# ---------------------------------------------------------------------------------------------
# URLs and connections
# ---------------------------------------------------------------------------------------------


def default_store_path() -> Path:
    """``$XDG_DATA_HOME/cspm/history.db``, else ``~/.local/share/cspm/history.db``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cspm" / "history.db"


def normalize_url(url: str | None) -> str:
    """None → the default SQLite file; a plain path → SQLite; postgres(ql):// → psycopg 3."""
    if not url:
        return f"sqlite:///{default_store_path()}"
    if "://" not in url:
        try:
            return f"sqlite:///{Path(url).expanduser().absolute()}"
        except RuntimeError as exc:  # ~nosuchuser/history.db
            raise UsageError(f"invalid --store path {one_line(url)}: {exc}") from exc
    scheme, _, rest = url.partition("://")
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return f"postgresql+psycopg://{rest}"
    if scheme == "sqlite":
        return url
    raise UsageError(f"unsupported --store URL scheme {scheme}://; use sqlite:///PATH, a file path or postgresql://…")


def display_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # unparseable: show at most the scheme, never a password
        scheme, sep, _ = url.partition("://")
        return f"{scheme}://…" if sep else "…"


def _engine(url: str) -> Engine:
    normalized = normalize_url(url)
    try:
        parsed = make_url(normalized)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise UsageError(f"invalid --store URL {display_url(url)}: {_first(exc)}") from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            _check_relative_sqlite(url, database)
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ScanError(f"history store {display_url(normalized)}: {exc.strerror or exc}") from exc
        try:
            return sa.create_engine(parsed, connect_args={"timeout": 30})
        except (ArgumentError, ValueError) as exc:  # sqlite://relative, unknown query options
            raise UsageError(f"invalid --store URL {display_url(url)}: {_first(exc)}") from exc
    try:
        return sa.create_engine(parsed, connect_args={"connect_timeout": 10}, pool_pre_ping=True)
    except (ArgumentError, ValueError) as exc:
        raise UsageError(f"invalid --store URL {display_url(url)}: {_first(exc)}") from exc
    except (NoSuchModuleError, ImportError) as exc:
        raise ScanError(f"history store {display_url(normalized)}: driver missing ({exc}); install psycopg") from exc


def _check_relative_sqlite(url: str, database: str) -> None:
    """``sqlite:///tmp/x.db`` is, as in SQLAlchemy, the *relative* path ``tmp/x.db``; the absolute
    ``/tmp/x.db`` is ``sqlite:////tmp/x.db`` (four slashes) or the plain path ``/tmp/x.db``.

    Many people write three slashes meaning an absolute path, so a relative path's directory is
    never created: when it does not exist the URL is refused (exit 2) with the four-slash spelling,
    instead of creating ``./tmp``. When it exists and the absolute reading would too, a warning says
    which file is used. Absolute paths, plain paths and the default store create their directory.
    """
    path = Path(database)
    if path.is_absolute():
        return
    absolute = Path("/") / path
    if not path.parent.is_dir():
        raise UsageError(
            f"--store {display_url(url)} is the relative path {one_line(database)}, and directory "
            f"{one_line(path.parent)} does not exist; for {one_line(absolute)} write sqlite:///{one_line(absolute)} "
            "(four slashes) or the plain path"
        )
    if path.parent != Path(".") and absolute.parent.is_dir():
        log.warning(
            "--store %s is the relative path %s (three slashes: relative; sqlite:///%s is %s)",
            display_url(url),
            Path.cwd() / path,
            absolute,
            absolute,
        )


def validate_store(url: str | None) -> None:
    """Check a store URL before a scan makes its first API call: a malformed URL, or a SQLite path
    whose directory cannot be created, fails now (one line), not after the scan. Nothing is
    connected to; an unreachable server is still found when the scan is saved (exit 1, reports kept)."""
    _engine(normalize_url(url)).dispose()


def migrate(connection: Connection) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _one_line(exc: BaseException) -> str:
    inner = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(inner).strip().splitlines()
    return text[0] if text else type(inner).__name__


class HistoryStore:
    """An open store. Every database failure is a :class:`ScanError` with one line."""

    def __init__(self, url: str | None = None) -> None:
        self.url = normalize_url(url)
        self.engine = _engine(self.url)
        with self._connect() as conn:
            migrate(conn)

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "sqlite":
                    conn.exec_driver_sql("PRAGMA foreign_keys = ON")
                yield conn
        except SQLAlchemyError as exc:
            raise ScanError(f"history store {display_url(self.url)}: {_one_line(exc)}") from exc

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -----------------------------------------------------------------------------------------
    # Writing
    # -----------------------------------------------------------------------------------------

    def save(self, report: ScanReport) -> None:
        """Save a scan (replacing an earlier save of the same scan id)."""
        scan_id = report.scan.id
        with self._connect() as conn:
            for table in (artifacts, errors, findings, scan_scores):
                conn.execute(table.delete().where(table.c.scan_id == scan_id))
            conn.execute(scans.delete().where(scans.c.id == scan_id))
            conn.execute(scans.insert(), [_scan_row(report)])
            conn.execute(scan_scores.insert(), _score_rows(report))
            rows = [_finding_row(scan_id, f) for f in report.findings]
            for start in range(0, len(rows), INSERT_BATCH):
                conn.execute(findings.insert(), rows[start : start + INSERT_BATCH])
            if report.errors:
                conn.execute(errors.insert(), [{"scan_id": scan_id, **e.model_dump()} for e in report.errors])
            if report.artifacts:
                conn.execute(artifacts.insert(), [_artifact_row(scan_id, a) for a in report.artifacts])

    # -----------------------------------------------------------------------------------------
    # Reading
    # -----------------------------------------------------------------------------------------

    def scans(self, *, provider: str | None = None, account: str | None = None, limit: int = 20) -> list[StoredScan]:
        query = sa.select(scans).order_by(scans.c.started_at.desc(), scans.c.id).limit(limit)
        if provider:
            query = query.where(scans.c.provider == provider)
        if account:
            with_account = sa.select(scan_scores.c.scan_id).where(scan_scores.c.account == account)
            query = query.where(scans.c.id.in_(with_account))
        with self._connect() as conn:
            return [StoredScan.of(row._mapping) for row in conn.execute(query)]

    def scores(self, scan_ids: Sequence[str]) -> dict[str, dict[tuple[str, str], float | None]]:
        """scan id -> {(account, baseline): score}."""
        out: dict[str, dict[tuple[str, str], float | None]] = defaultdict(dict)
        if not scan_ids:
            return out
        query = sa.select(scan_scores).where(scan_scores.c.scan_id.in_(list(scan_ids)))
        with self._connect() as conn:
            for row in conn.execute(query):
                out[row.scan_id][(row.account, row.baseline)] = row.score
        return out

    def previous(self, report: ScanReport) -> StoredScan | None:
        """The newest stored scan of the same scope that started before this one (and is not it)."""
        query = (
            sa.select(scans)
            .where(scans.c.scope_key == scope_key(report), scans.c.id != report.scan.id)
            .where(scans.c.started_at < report.scan.started_at)
            .order_by(scans.c.started_at.desc())
            .limit(1)
        )
        with self._connect() as conn:
            row = conn.execute(query).first()
        return StoredScan.of(row._mapping) if row is not None else None

    def last_artifacts(self) -> dict[str, tuple[str, S3ModelArtifact]]:
        """uri -> (scan id, the artifact) of the newest complete inspection of each artifact (read
        whole, no error), for ``--inspect-artifacts`` to reuse when ETag and size are unchanged."""
        from cspm.resources.aws.artifacts import S3ModelArtifact

        query = (
            sa.select(artifacts.c.scan_id, artifacts.c.uri, artifacts.c.data)
            .join(scans, scans.c.id == artifacts.c.scan_id)
            .where(artifacts.c.sha256.is_not(None))
            .order_by(scans.c.started_at)
        )
        found: dict[str, tuple[str, S3ModelArtifact]] = {}
        with self._connect() as conn:
            for row in conn.execute(query):
                data = dict(row.data)
                # Any cloud's artifact (aws.artifacts..., gcp.artifacts...): the URI scheme keeps them
                # apart; the collector re-types what it reuses (cspm.artifacts.collect).
                if not str(data.pop("type", "")).endswith(".artifacts.model_artifact") or data.get("error"):
                    continue
                data.pop("reused_from", None)
                found[row.uri] = (row.scan_id, S3ModelArtifact.model_validate(data))  # newest wins
        return found

    def load(self, scan_id: str) -> ScanReport:
        """A stored scan as a report (``resources`` are not stored: empty)."""
        with self._connect() as conn:
            row = conn.execute(sa.select(scans).where(scans.c.id == scan_id)).first()
            if row is None:
                raise UsageError(f"scan {scan_id} is not in the history store {display_url(self.url)}")
            finding_rows = conn.execute(
                sa.select(findings).where(findings.c.scan_id == scan_id).order_by(findings.c.uid)
            ).all()
            error_rows = conn.execute(sa.select(errors).where(errors.c.scan_id == scan_id).order_by(errors.c.id)).all()
        return _report(row._mapping, finding_rows, error_rows)


@dataclass(frozen=True)
class StoredScan:
    id: str
    provider: str
    scope_key: str
    accounts: tuple[str, ...]
    started_at: datetime
    complete: bool
    pass_count: int
    fail_count: int
    error_count: int
    muted_count: int
    scores: dict[str, float | None]

    @classmethod
    def of(cls, row: Any) -> StoredScan:
        return cls(
            id=row["id"],
            provider=row["provider"],
            scope_key=row["scope_key"],
            accounts=tuple(s["account"] for s in row["scopes"]),
            started_at=_aware(row["started_at"]),
            complete=bool(row["complete"]),
            pass_count=row["pass_count"],
            fail_count=row["fail_count"],
            error_count=row["error_count"],
            muted_count=row["muted_count"],
            scores=dict(row["scores"]),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "accounts": list(self.accounts),
            "started_at": self.started_at.isoformat(),
            "complete": self.complete,
            "pass": self.pass_count,
            "fail": self.fail_count,
            "error": self.error_count,
            "muted": self.muted_count,
            "scores": self.scores,
        }


def scope_key(report: ScanReport) -> str:
    """provider|account:region,region|… — two scans compare when their keys are equal."""
    scopes = sorted(f"{s.account}:{','.join(sorted(s.regions))}" for s in report.scan.scopes)
    return "|".join([report.scan.provider, *scopes])


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _scan_row(report: ScanReport) -> dict[str, Any]:
    scan, summary = report.scan, report.summary
    return {
        "id": scan.id,
        "provider": scan.provider,
        "scope_key": scope_key(report),
        "scopes": [s.model_dump() for s in scan.scopes],
        "started_at": _aware(scan.started_at),
        "finished_at": _aware(scan.finished_at),
        "complete": scan.complete,
        "checks_run": scan.checks_run,
        "tool_version": report.tool.version,
        "schema_version": report.schema_version,
        "pass_count": summary.pass_,
        "fail_count": summary.fail,
        "error_count": summary.error,
        "muted_count": summary.muted,
        "fail_by_severity": {k.value: v for k, v in summary.fail_by_severity.items()},
        "scores": summary.scores,
        "saved_at": datetime.now(UTC),
    }


def _score_rows(report: ScanReport) -> list[dict[str, Any]]:
    by_account: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_account[f.account].append(f)
    for scope in report.scan.scopes:
        by_account.setdefault(scope.account, [])
    rows = [
        {"scan_id": report.scan.id, "account": ALL_ACCOUNTS, "baseline": b, "score": s}
        for b, s in report.summary.scores.items()
    ]
    for account, account_findings in sorted(by_account.items()):
        rows.extend(
            {"scan_id": report.scan.id, "account": account, "baseline": b, "score": s}
            for b, s in baseline_scores(account_findings).items()
        )
    return rows


def _artifact_row(scan_id: str, a: ArtifactEntry) -> dict[str, Any]:
    return {
        "scan_id": scan_id,
        "uri": a.uri,
        "etag": a.etag,
        "size": a.size,
        "sha256": a.sha256,
        "data": a.model_dump(mode="json"),
    }


def _finding_row(scan_id: str, f: Finding) -> dict[str, Any]:
    row = f.model_dump(mode="json")
    row["scan_id"] = scan_id
    return row


def _report(scan: Any, finding_rows: Sequence[Any], error_rows: Sequence[Any]) -> ScanReport:
    found = [Finding.model_validate({k: v for k, v in r._mapping.items() if k != "scan_id"}) for r in finding_rows]
    return ScanReport(
        schema_version=scan["schema_version"],
        tool=ToolInfo(version=scan["tool_version"]),
        scan=ScanInfo(
            id=scan["id"],
            provider=scan["provider"],
            started_at=_aware(scan["started_at"]),
            finished_at=_aware(scan["finished_at"]),
            complete=scan["complete"],
            scopes=[Scope.model_validate(s) for s in scan["scopes"]],
            checks_run=scan["checks_run"],
        ),
        summary=Summary(
            pass_=scan["pass_count"],
            fail=scan["fail_count"],
            error=scan["error_count"],
            muted=scan["muted_count"],
            fail_by_severity={Severity(k): v for k, v in scan["fail_by_severity"].items()},
            scores=scan["scores"],
        ),
        resources=[],
        findings=found,
        errors=[
            CollectionError.model_validate({k: v for k, v in r._mapping.items() if k not in ("id", "scan_id")})
            for r in error_rows
        ],
    )


BASELINE_NAMES = ("overall", *(b.value for b in Baseline))


def _first(exc: BaseException) -> str:
    """The first line of an error about a URL (SQLAlchemy's SQLite message lists every valid form)."""
    return one_line((str(exc).strip().splitlines() or [type(exc).__name__])[0], 200)
