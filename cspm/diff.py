"""Compare two scans by finding uid: what started failing, what stopped, what changed severity.

A *failure* is an unmuted FAIL. For each finding uid:

    new          failing now, not failing before (absent, PASS, ERROR or muted then)
    resolved     failing before; now PASS, or gone from the report
    unchanged    failing in both, same severity
    rerated      failing in both, the severity changed
    unassessed   failing before, ERROR now: it could not be assessed, so it is not called resolved
    muted        failing before, muted now

``--fail-on SEVERITY`` (exit 3) counts new failures at or above that severity, and re-rated ones
that reach it only now.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from cspm.errors import UsageError
from cspm.models import SCHEMA_VERSION, Finding, ScanReport, Severity, Status

__all__ = [
    "DiffItem",
    "ReportDiff",
    "ScanRef",
    "diff_findings",
    "diff_reports",
    "fails_on",
    "read_report",
    "render_text",
    "scan_ref",
]

Category = Literal["new", "resolved", "unchanged", "rerated", "unassessed", "muted"]
CATEGORIES: tuple[Category, ...] = ("new", "resolved", "rerated", "unassessed", "muted", "unchanged")


class DiffItem(BaseModel):
    uid: str
    check_id: str
    title: str
    severity: Severity
    old_severity: Severity | None = None
    status: Status | None = Field(default=None, description="now; None when the finding is gone")
    muted: bool = False
    resource_uid: str
    account: str
    region: str


class ScanRef(BaseModel):
    id: str
    provider: str
    started_at: str


class ReportDiff(BaseModel):
    old_scan: ScanRef
    new_scan: ScanRef
    counts: dict[str, int]
    new: list[DiffItem]
    resolved: list[DiffItem]
    unchanged: list[DiffItem]
    rerated: list[DiffItem]
    unassessed: list[DiffItem]
    muted: list[DiffItem]

    @property
    def new_failures(self) -> list[DiffItem]:
        return self.new

    def items(self, category: Category) -> list[DiffItem]:
        items: list[DiffItem] = getattr(self, category)
        return items

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


def read_report(path: Path | str) -> ScanReport:
    """Load a cspm JSON report. Raises UsageError with the file and the failing location."""
    from cspm.inputs import one_line, parse_json, read_input

    path = Path(path)
    data = parse_json(read_input(path, "report"), str(path))
    if not isinstance(data, dict) or "schema_version" not in data:
        raise UsageError(f"{path}: not a cspm report (no schema_version)")
    if data["schema_version"] != SCHEMA_VERSION:
        raise UsageError(
            f"{path}: schema_version {one_line(repr(data['schema_version']), 40)} is not supported "
            f"(this cspm reads {SCHEMA_VERSION!r})"
        )
    try:
        return ScanReport.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = one_line(".".join(str(p) for p in first["loc"]))
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise UsageError(f"{path}: {where}: {one_line(first['msg'], 300)}{more}") from exc


def _item(f: Finding, *, now: Finding | None, old_severity: Severity | None = None) -> DiffItem:
    current = now or f
    return DiffItem(
        uid=f.uid,
        check_id=f.check_id,
        title=current.title,
        severity=current.severity,
        old_severity=old_severity,
        status=now.status if now is not None else None,
        muted=now.muted if now is not None else False,
        resource_uid=f.resource_uid,
        account=f.account,
        region=f.region,
    )


def _failing(f: Finding | None) -> bool:
    return f is not None and f.status is Status.FAIL and not f.muted


def _classify(before: Finding | None, after: Finding | None) -> tuple[Category, DiffItem] | None:
    if _failing(after) and not _failing(before):
        assert after is not None
        return "new", _item(after, now=after)
    if not _failing(before):
        return None
    assert before is not None
    if after is None or after.status is Status.PASS:
        return "resolved", _item(before, now=after)
    if after.status is Status.ERROR:
        return "unassessed", _item(before, now=after)
    if after.muted:
        return "muted", _item(before, now=after)
    if after.severity is not before.severity:
        return "rerated", _item(before, now=after, old_severity=before.severity)
    return "unchanged", _item(before, now=after)


def diff_findings(old: Iterable[Finding], new: Iterable[Finding], old_ref: ScanRef, new_ref: ScanRef) -> ReportDiff:
    before = {f.uid: f for f in old}
    after = {f.uid: f for f in new}
    buckets: dict[Category, list[DiffItem]] = {c: [] for c in CATEGORIES}
    for uid in sorted(before.keys() | after.keys()):
        hit = _classify(before.get(uid), after.get(uid))
        if hit is not None:
            buckets[hit[0]].append(hit[1])
    for items in buckets.values():
        items.sort(key=lambda i: (-i.severity.rank, i.check_id, i.resource_uid))
    return ReportDiff(
        old_scan=old_ref,
        new_scan=new_ref,
        counts={c: len(buckets[c]) for c in CATEGORIES},
        new=buckets["new"],
        resolved=buckets["resolved"],
        unchanged=buckets["unchanged"],
        rerated=buckets["rerated"],
        unassessed=buckets["unassessed"],
        muted=buckets["muted"],
    )


def scan_ref(report: ScanReport) -> ScanRef:
    scan = report.scan
    return ScanRef(id=scan.id, provider=scan.provider, started_at=scan.started_at.isoformat())


def diff_reports(old: ScanReport, new: ScanReport) -> ReportDiff:
    return diff_findings(old.findings, new.findings, scan_ref(old), scan_ref(new))


def failing_count(diff: ReportDiff, threshold: str) -> int:
    """How many new failures (and ones re-rated up to it) are at or above ``threshold``."""
    if threshold == "none":
        return 0
    rank = Severity(threshold).rank
    new = sum(1 for i in diff.new_failures if i.severity.rank >= rank)
    return new + sum(
        1 for i in diff.rerated if i.severity.rank >= rank > (i.old_severity.rank if i.old_severity else -1)
    )


def fails_on(diff: ReportDiff, threshold: str) -> bool:
    """True when a new failure (or one re-rated up to it) is at or above ``threshold``."""
    return failing_count(diff, threshold) > 0


def render_text(diff: ReportDiff, *, limit: int = 50) -> str:
    """Plain text for a terminal; every string from the two report files goes through ``safe_text``."""
    from cspm.reporting.safe import safe_text as t

    old, new = diff.old_scan, diff.new_scan
    lines = [
        f"cspm diff: {t(old.provider)} scan {t(old.id)} ({old.started_at}) -> {t(new.id)} ({new.started_at})",
        "  ".join(f"{c} {diff.counts[c]}" for c in CATEGORIES),
    ]
    titles: dict[Category, str] = {
        "new": "New failures",
        "resolved": "Resolved",
        "rerated": "Re-rated",
        "unassessed": "No longer assessed (now ERROR)",
        "muted": "Muted since",
    }
    for category, title in titles.items():
        items = diff.items(category)
        if not items:
            continue
        lines.append(f"\n{title} ({len(items)}):")
        for i in items[:limit]:
            severity = f"{i.old_severity.value}->{i.severity.value}" if i.old_severity else i.severity.value
            lines.append(f"  {severity:<13} {t(i.check_id)}  {t(i.resource_uid)}  [{t(i.account)} {t(i.region)}]")
        if len(items) > limit:
            lines.append(f"  … and {len(items) - limit} more (use --json for all)")
    return "\n".join(lines) + "\n"
