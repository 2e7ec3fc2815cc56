"""The terminal summary: scores per baseline, failing checks by severity, collection errors.

Every string from the report (accounts, titles, check ids, resource uids, API error codes and
messages) reaches Rich as a :class:`~rich.text.Text` built from :func:`safe_text`: never parsed as
markup, never carrying a control or bidi character to the terminal.
"""

from __future__ import annotations

from collections import defaultdict

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cspm.models import Baseline, Finding, ScanReport, Severity, Status
from cspm.reporting.safe import safe_text

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFORMATIONAL: "dim",
}
MAX_CHECK_ROWS = 25
MAX_ERROR_ROWS = 10
MAX_NAMES = 3


def score_text(value: float | None) -> Text:
    if value is None:
        return Text("n/a", style="dim")
    style = "green" if value >= 90 else "yellow" if value >= 70 else "red"
    return Text(f"{value:5.1f}", style=f"bold {style}")


def print_summary(report: ScanReport, *, to_stderr: bool = False, console: Console | None = None) -> None:
    console = console or Console(stderr=to_stderr, highlight=False, emoji=False)
    _header(console, report)
    _scores(console, report)
    _failing(console, report.findings)
    _errors(console, report)


def _header(console: Console, report: ScanReport) -> None:
    scan = report.scan
    accounts = ", ".join(s.account for s in scan.scopes)
    regions = sorted({r for s in scan.scopes for r in s.regions})
    seconds = (scan.finished_at - scan.started_at).total_seconds()
    state = Text("complete", style="green") if scan.complete else Text("INCOMPLETE", style="bold yellow")
    console.print(
        Text.assemble(
            "\n",
            ("cspm", "bold"),
            f" {safe_text(report.tool.version)} · {safe_text(scan.provider)} account {safe_text(accounts)} · "
            f"{len(regions)} region(s) · {len(report.resources)} resources · {scan.checks_run} checks · "
            f"{seconds:.1f}s · ",
            state,
            "" if scan.complete else " (see collection errors)",
        )
    )


def _scores(console: Console, report: ScanReport) -> None:
    s = report.summary
    table = Table(title="Scores (0-100, weighted share of passing findings)", title_justify="left")
    table.add_column("overall", justify="right")
    for baseline in Baseline:
        table.add_column(baseline.value, justify="right")
    table.add_row(score_text(s.scores.get("overall")), *(score_text(s.scores.get(b.value)) for b in Baseline))
    console.print(table)
    by_sev = "  ".join(
        f"[{SEVERITY_STYLE[sev]}]{sev.value}[/] {s.fail_by_severity.get(sev, 0)}"
        for sev in Severity
        if s.fail_by_severity.get(sev, 0)
    )
    console.print(
        f"[green]PASS {s.pass_}[/]  [red]FAIL {s.fail}[/]  [yellow]ERROR {s.error}[/]  [dim]muted {s.muted}[/]"
        + (f"   failing by severity: {by_sev}" if by_sev else "")
    )


def _failing(console: Console, findings: list[Finding]) -> None:
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.status is Status.FAIL and not f.muted:
            by_check[f.check_id].append(f)
    if not by_check:
        console.print("[green]No failing findings.[/]")
        return
    rows = sorted(by_check.values(), key=lambda fs: (-fs[0].severity.rank, fs[0].check_id))
    table = Table(title="Failing checks, most severe first", title_justify="left")
    table.add_column("severity")
    table.add_column("baseline")
    table.add_column("check")
    table.add_column("resources", overflow="fold")
    for group in rows[:MAX_CHECK_ROWS]:
        first = group[0]
        names = [safe_text(_short(f.resource_uid)) for f in group[:MAX_NAMES]]
        more = f" +{len(group) - MAX_NAMES} more" if len(group) > MAX_NAMES else ""
        table.add_row(
            Text(first.severity.value, style=SEVERITY_STYLE[first.severity]),
            first.baseline.value,
            Text.assemble(safe_text(first.title), "\n", (safe_text(first.check_id), "dim")),
            Text(f"{len(group)}: {', '.join(names)}{more}"),
        )
    console.print(table)
    if len(rows) > MAX_CHECK_ROWS:
        console.print(f"[dim]… and {len(rows) - MAX_CHECK_ROWS} more failing checks in the report.[/]")


def _short(uid: str) -> str:
    """The readable tail of an ARN or resource id."""
    tail = uid.rsplit(":", 1)[-1] if uid.startswith("arn:") else uid
    return tail.rsplit("/", 1)[-1] or uid


def _errors(console: Console, report: ScanReport) -> None:
    if not report.errors:
        return
    table = Table(
        title=f"Collection errors ({len(report.errors)}): the checks that needed this data answered ERROR",
        title_justify="left",
        title_style="bold yellow",
    )
    for col in ("service", "operation", "code", "region", "message"):
        table.add_column(col, overflow="fold")
    for e in report.errors[:MAX_ERROR_ROWS]:
        table.add_row(*(Text(safe_text(v)) for v in (e.service, e.operation, e.code, e.region, e.message[:120])))
    console.print(table)
    if len(report.errors) > MAX_ERROR_ROWS:
        console.print(f"[dim]… and {len(report.errors) - MAX_ERROR_ROWS} more in the report.[/]")
