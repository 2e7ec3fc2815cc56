"""The terminal summary: scores, the top risks, failing checks phrased as problems, collection errors.

What it shows, in order (docs/formats.md):

1. one header line (tool, accounts, regions, resources, checks, duration, complete or not);
2. scores per baseline, the PASS / FAIL / ERROR / muted counts, and one line saying what ERROR
   means for this report and how to list those findings;
3. the top risks of the report (:mod:`cspm.reporting.risks`), and the command that shows them all;
4. failing checks, most severe first, then most resources: each titled by its problem (the
   check's ``fail_title``, :mod:`cspm.problems`), with its full id (wrapped, never cut) and its
   resources with their region;
5. collection errors; then the exact commands that show more.

On a terminal the failing checks are a table, capped at :data:`MAX_CHECK_ROWS` rows; piped or
redirected, every failing check is one unwrapped line. A console whose encoding is not UTF-8
(``LANG=C``, ``PYTHONIOENCODING=ascii``) gets ASCII marks and boxes, and any other character it
cannot encode as a backslash escape: never a ``UnicodeEncodeError``.

Every string from the report (accounts, titles, check ids, resource uids, API error codes and
messages) reaches Rich as a :class:`~rich.text.Text` built from :func:`safe_text`: never parsed as
markup, never carrying a control or bidi character to the terminal.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from cspm.models import Baseline, ScanReport, Severity
from cspm.reporting.digest import (
    MAX_ERROR_ROWS,
    MAX_NAMES,
    TOP_RISKS,
    FailingCheck,
    SummaryDigest,
    digest,
    fail_title,
    short,
)
from cspm.reporting.risks import glyphs, print_risks
from cspm.reporting.safe import ASCII_MARKS, safe_text

__all__ = ["MAX_CHECK_ROWS", "MAX_ERROR_ROWS", "MAX_NAMES", "TOP_RISKS", "fail_title", "print_summary"]

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFORMATIONAL: "dim",
}
MAX_CHECK_ROWS = 25
HEADER_SCOPES = 5  # more scanned accounts than this: the header names the count and the first ones
HEADER_SHOWN = 3
NARROW = 80  # columns: below, the failing checks are one block per check
LIST_FAILING = (
    'jq -r \'.findings[] | select(.status == "FAIL" and (.muted | not)) '
    "| [.severity, .check_id, .region, .resource_uid] | @tsv' {path}"
)
LIST_ERRORS = "jq -r '.findings[] | select(.status == \"ERROR\") | [.check_id, .resource_uid, .message] | @tsv' {path}"


def score_text(value: float | None) -> Text:
    if value is None:
        return Text("n/a", style="dim")
    style = "green" if value >= 90 else "yellow" if value >= 70 else "red"
    return Text(f"{value:5.1f}", style=f"bold {style}")


def print_summary(
    report: ScanReport | SummaryDigest,
    *,
    to_stderr: bool = False,
    console: Console | None = None,
    report_path: Path | str | None = None,
) -> None:
    """The summary of ``report`` (or of the digest of one: :mod:`cspm.reporting.digest`, what the
    streamed merge builds); ``report_path`` is where report.json was written (the commands that
    show more name it)."""
    console = console or Console(stderr=to_stderr, highlight=False, emoji=False)
    path = safe_text(report_path if report_path is not None else "report.json")
    shown = report if isinstance(report, SummaryDigest) else digest(report)
    if glyphs(console) is not ASCII_MARKS:
        _summary(console, shown, path)
        return
    # A non-UTF-8 terminal: the report's text with what the encoding cannot hold as backslash
    # escapes before the layout (so columns keep their width), and the rendering checked again.
    encoding = _codec(console.encoding)
    with console.capture() as capture:
        _summary(console, shown.escaped(lambda text: _escape(text, encoding)), _escape(path, encoding))
    console.file.write(_escape(capture.get(), encoding))
    console.file.flush()


def _escape(text: str, encoding: str) -> str:
    return text.encode(encoding, "backslashreplace").decode(encoding)


def _codec(name: str | None) -> str:
    try:
        return codecs.lookup(name or "ascii").name
    except LookupError:
        return "ascii"


def _summary(console: Console, report: SummaryDigest, path: str) -> None:
    plain = not console.is_terminal
    _header(console, report)
    _scores(console, report, path)
    _risks(console, report, path, plain=plain)
    _failing(console, report.failing, path, plain=plain)
    _errors(console, report)


def _scopes_text(ids: list[str]) -> str:
    """ "account A, B" for a few; for an organization the count and the first ones, not 20,000 ids
    (report.json and `cspm checks`/`jq` list them all)."""
    if len(ids) <= HEADER_SCOPES:
        return f"account {', '.join(ids)}"
    return f"{len(ids)} accounts: {', '.join(ids[:HEADER_SHOWN])} and {len(ids) - HEADER_SHOWN} more"


def _header(console: Console, report: SummaryDigest) -> None:
    scan = report.scan
    dot = glyphs(console)["dot"]
    accounts = _scopes_text([s.account for s in scan.scopes])
    regions = sorted({r for s in scan.scopes for r in s.regions})
    seconds = (scan.finished_at - scan.started_at).total_seconds()
    state = Text("complete", style="green") if scan.complete else Text("INCOMPLETE", style="bold yellow")
    console.print(
        Text.assemble(
            "\n",
            ("cspm", "bold"),
            f" {safe_text(report.tool_version)} {dot} {safe_text(scan.provider)} {safe_text(accounts)} {dot} "
            f"{len(regions)} region(s): {safe_text(', '.join(regions))} {dot} {report.resources} resources "
            f"{dot} {scan.checks_run} checks {dot} {seconds:.1f}s {dot} ",
            state,
            "" if scan.complete else " (see collection errors)",
        )
    )


def _scores(console: Console, report: SummaryDigest, path: str) -> None:
    s = report.summary
    title = "Scores (0-100, weighted share of passing findings)"
    names = ["overall", *(b.value for b in Baseline)]
    table = Table(title=title, title_justify="left")
    for name in names:
        table.add_column(name, justify="right")
    table.add_row(*(score_text(s.scores.get(name)) for name in names))
    # One row per baseline where the six columns do not fit whole: Rich would cut the baselines'
    # names (and an ASCII terminal would get the cut's ellipsis as a six-character escape).
    if Measurement.get(console, console.options.update(max_width=1000), table).maximum > console.width:
        table = Table(title=title, title_justify="left")
        table.add_column("baseline")
        table.add_column("score", justify="right")
        for name in names:
            table.add_row(name, score_text(s.scores.get(name)))
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
    if s.error:
        console.print(Text(error_line(report, path), style="yellow"), soft_wrap=not console.is_terminal)


def error_line(d: SummaryDigest, path: str) -> str:
    """What the ERROR count means for this report, and the command that lists those findings."""
    calls = (
        f"; {d.errors} API call(s) failed (collection errors below)"
        if d.errors
        else "; no API call failed: the answers lacked a field the check needs"
    )
    return (
        f"ERROR {d.error_findings}: {d.error_findings} finding(s) of {d.error_checks} check(s) could not be "
        f"assessed{calls}; an ERROR is never counted as PASS. List them: {LIST_ERRORS.format(path=path)}"
    )


def _risks(console: Console, report: SummaryDigest, path: str, *, plain: bool) -> None:
    if report.risks is None:
        return  # an older report, or a cloud without a lineage: nothing to correlate
    if not report.risks:
        console.print("No risks: no failing finding opens a path of the AI lineage.", style="green")
        return
    shown = report.top_risks
    title = f"Top risks ({len(shown)} of {report.risks}): attack paths through the AI lineage"
    console.print(Text(title, style="bold"))
    print_risks(console, shown, report.nodes, plain=plain)
    if report.risks > len(shown):
        console.print(f"All {report.risks} risks: cspm risks {path}", style="dim", soft_wrap=True, markup=False)


def _failing(console: Console, rows: Sequence[FailingCheck], path: str, *, plain: bool) -> None:
    if not rows:
        console.print("[green]No failing findings.[/]")
        return
    title = f"Failing checks ({len(rows)}), most severe first, then most resources"
    if plain:
        console.print(Text(title))
        for row in rows:
            line = "  ".join((row.severity.value, row.check_id, row.title, _resources(row.names, None)))
            console.print(Text(safe_text(line)), soft_wrap=True)
        _more(console, path, 0)
        return
    if console.width < NARROW:  # a three-column table leaves a word per line: one block per check
        console.print(Text(title))
        for row in rows[:MAX_CHECK_ROWS]:
            console.print(Text.assemble((row.severity.value, SEVERITY_STYLE[row.severity]), " ", safe_text(row.title)))
            console.print(Text(f"  {safe_text(row.check_id)}", style="dim", overflow="fold"))
            console.print(Text(f"  {safe_text(_resources(row.names, MAX_NAMES))}", overflow="fold"))
        _more(console, path, len(rows) - MAX_CHECK_ROWS)
        return
    table = Table(title=title, title_justify="left")
    table.add_column("severity", no_wrap=True)
    table.add_column(f"problem {glyphs(console)['dot']} check id", overflow="fold", ratio=3)
    table.add_column("resources (region)", overflow="fold", ratio=2)
    for row in rows[:MAX_CHECK_ROWS]:
        table.add_row(
            Text(row.severity.value, style=SEVERITY_STYLE[row.severity]),
            Text.assemble(safe_text(row.title), "\n", (safe_text(row.check_id), "dim")),
            Text(safe_text(_resources(row.names, MAX_NAMES))),
        )
    console.print(table)
    _more(console, path, len(rows) - MAX_CHECK_ROWS)


def _resources(names: Sequence[str], limit: int | None) -> str:
    """``N: name (region), ...`` of a failing check's resources, the first ``limit`` of them."""
    shown = names if limit is None else names[:limit]
    more = f" +{len(names) - len(shown)} more" if len(names) > len(shown) else ""
    return f"{len(names)}: {', '.join(shown)}{more}"


def _more(console: Console, path: str, hidden: int) -> None:
    lines = []
    if hidden > 0:
        lines.append(f"{hidden} more failing checks. Every failing finding: {LIST_FAILING.format(path=path)}")
    lines.append("One check, why and how to fix it: cspm checks show CHECK_ID")
    lines.append(f"The AI lineage: cspm lineage {path}   {glyphs(console)['dot']}   the risks: cspm risks {path}")
    for line in lines:
        console.print(Text(line, style="dim"), soft_wrap=True)


_short = short  # the readable tail of an ARN or resource id (cspm.reporting.digest)


def _errors(console: Console, report: SummaryDigest) -> None:
    if not report.errors:
        return
    title = f"Collection errors ({report.errors}): the checks that needed this data answered ERROR"
    console.print(Text(title, style="bold yellow"))
    table = Table()
    for col in ("service", "operation", "code", "region", "message"):
        table.add_column(col, overflow="fold")
    for e in report.first_errors[:MAX_ERROR_ROWS]:
        table.add_row(*(Text(safe_text(v)) for v in (e.service, e.operation, e.code, e.region, e.message[:120])))
    console.print(table)
    if report.errors > MAX_ERROR_ROWS:
        more = glyphs(console)["more"]
        console.print(f"[dim]{more} and {report.errors - MAX_ERROR_ROWS} more in the report.[/]")
