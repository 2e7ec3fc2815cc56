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
import functools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cspm.models import Baseline, Finding, ScanReport, Severity, Status
from cspm.reporting.risks import glyphs, lineage_nodes, print_risks
from cspm.reporting.safe import ASCII_MARKS, safe_text

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
TOP_RISKS = 5
NARROW = 80  # columns: below, the scores are one row per baseline
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
    report: ScanReport,
    *,
    to_stderr: bool = False,
    console: Console | None = None,
    report_path: Path | str | None = None,
) -> None:
    """The summary of ``report``; ``report_path`` is where report.json was written (the commands
    that show more name it)."""
    console = console or Console(stderr=to_stderr, highlight=False, emoji=False)
    path = safe_text(report_path if report_path is not None else "report.json")
    if glyphs(console) is not ASCII_MARKS:
        _summary(console, report, path)
        return
    # A non-UTF-8 terminal: the report's text with what the encoding cannot hold as backslash
    # escapes before the layout (so columns keep their width), and the rendering checked again.
    encoding = _codec(console.encoding)
    with console.capture() as capture:
        _summary(console, _escaped(report, encoding), _escape(path, encoding))
    console.file.write(_escape(capture.get(), encoding))
    console.file.flush()


def _escape(text: str, encoding: str) -> str:
    return text.encode(encoding, "backslashreplace").decode(encoding)


def _escaped(report: ScanReport, encoding: str) -> ScanReport:
    """A copy of ``report`` whose every string the encoding can hold."""

    def walk(value: object) -> object:
        if isinstance(value, str):
            return _escape(value, encoding)
        if isinstance(value, dict):
            return {walk(k): walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return ScanReport.model_validate(walk(report.model_dump(mode="json", by_alias=True)))


def _codec(name: str | None) -> str:
    try:
        return codecs.lookup(name or "ascii").name
    except LookupError:
        return "ascii"


def _summary(console: Console, report: ScanReport, path: str) -> None:
    plain = not console.is_terminal
    _header(console, report)
    _scores(console, report, path)
    _risks(console, report, path, plain=plain)
    _failing(console, report.findings, path, plain=plain)
    _errors(console, report)


def _header(console: Console, report: ScanReport) -> None:
    scan = report.scan
    dot = glyphs(console)["dot"]
    accounts = ", ".join(s.account for s in scan.scopes)
    regions = sorted({r for s in scan.scopes for r in s.regions})
    seconds = (scan.finished_at - scan.started_at).total_seconds()
    state = Text("complete", style="green") if scan.complete else Text("INCOMPLETE", style="bold yellow")
    console.print(
        Text.assemble(
            "\n",
            ("cspm", "bold"),
            f" {safe_text(report.tool.version)} {dot} {safe_text(scan.provider)} account {safe_text(accounts)} {dot} "
            f"{len(regions)} region(s): {safe_text(', '.join(regions))} {dot} {len(report.resources)} resources "
            f"{dot} {scan.checks_run} checks {dot} {seconds:.1f}s {dot} ",
            state,
            "" if scan.complete else " (see collection errors)",
        )
    )


def _scores(console: Console, report: ScanReport, path: str) -> None:
    s = report.summary
    table = Table(title="Scores (0-100, weighted share of passing findings)", title_justify="left")
    names = ["overall", *(b.value for b in Baseline)]
    if console.width < NARROW:  # one row per baseline: six columns would cut the numbers
        table.add_column("baseline")
        table.add_column("score", justify="right")
        for name in names:
            table.add_row(name, score_text(s.scores.get(name)))
    else:
        for name in names:
            table.add_column(name, justify="right")
        table.add_row(*(score_text(s.scores.get(name)) for name in names))
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


def error_line(report: ScanReport, path: str) -> str:
    """What the ERROR count means for this report, and the command that lists those findings."""
    errors = [f for f in report.findings if f.status is Status.ERROR]
    checks = len({f.check_id for f in errors})
    calls = (
        f"; {len(report.errors)} API call(s) failed (collection errors below)"
        if report.errors
        else "; no API call failed: the answers lacked a field the check needs"
    )
    return (
        f"ERROR {len(errors)}: {len(errors)} finding(s) of {checks} check(s) could not be assessed{calls}; "
        f"an ERROR is never counted as PASS. List them: {LIST_ERRORS.format(path=path)}"
    )


def _risks(console: Console, report: ScanReport, path: str, *, plain: bool) -> None:
    if report.risks is None:
        return  # an older report, or a cloud without a lineage: nothing to correlate
    if not report.risks:
        console.print("No risks: no failing finding opens a path of the AI lineage.", style="green")
        return
    shown = report.risks[:TOP_RISKS]
    title = f"Top risks ({len(shown)} of {len(report.risks)}): attack paths through the AI lineage"
    console.print(Text(title, style="bold"))
    print_risks(console, shown, lineage_nodes(report), plain=plain)
    if len(report.risks) > len(shown):
        console.print(f"All {len(report.risks)} risks: cspm risks {path}", style="dim", soft_wrap=True, markup=False)


@functools.cache
def _fail_titles() -> Mapping[str, str]:
    """check id -> fail_title of every check in the registry (imported only for the summary)."""
    from cspm.registry import CLOUDS, load_checks

    return {s.id: s.fail_title for s in load_checks(CLOUDS)}


def fail_title(finding: Finding) -> str:
    """The problem a failing finding's check names: its ``fail_title``; for a check this cspm does
    not know (a report of another version), the one derived from the finding's title, else the title."""
    from cspm.problems import problem_title

    known = _fail_titles().get(finding.check_id)
    if known:
        return known
    try:
        return problem_title(finding.title)
    except ValueError:
        return finding.title


def _failing(console: Console, findings: list[Finding], path: str, *, plain: bool) -> None:
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.status is Status.FAIL and not f.muted:
            by_check[f.check_id].append(f)
    if not by_check:
        console.print("[green]No failing findings.[/]")
        return
    rows = sorted(by_check.values(), key=lambda fs: (-fs[0].severity.rank, -len(fs), fs[0].check_id))
    title = f"Failing checks ({len(rows)}), most severe first, then most resources"
    if plain:
        console.print(Text(title))
        for group in rows:
            first = group[0]
            line = "  ".join((first.severity.value, first.check_id, fail_title(first), _resources(group, None)))
            console.print(Text(safe_text(line)), soft_wrap=True)
        _more(console, path, 0)
        return
    if console.width < NARROW:  # a three-column table leaves a word per line: one block per check
        console.print(Text(title))
        for group in rows[:MAX_CHECK_ROWS]:
            first = group[0]
            console.print(
                Text.assemble((first.severity.value, SEVERITY_STYLE[first.severity]), " ", safe_text(fail_title(first)))
            )
            console.print(Text(f"  {safe_text(first.check_id)}", style="dim", overflow="fold"))
            console.print(Text(f"  {safe_text(_resources(group, MAX_NAMES))}", overflow="fold"))
        _more(console, path, len(rows) - MAX_CHECK_ROWS)
        return
    table = Table(title=title, title_justify="left")
    table.add_column("severity", no_wrap=True)
    table.add_column(f"problem {glyphs(console)['dot']} check id", overflow="fold", ratio=3)
    table.add_column("resources (region)", overflow="fold", ratio=2)
    for group in rows[:MAX_CHECK_ROWS]:
        first = group[0]
        table.add_row(
            Text(first.severity.value, style=SEVERITY_STYLE[first.severity]),
            Text.assemble(safe_text(fail_title(first)), "\n", (safe_text(first.check_id), "dim")),
            Text(safe_text(_resources(group, MAX_NAMES))),
        )
    console.print(table)
    _more(console, path, len(rows) - MAX_CHECK_ROWS)


def _resources(group: Sequence[Finding], limit: int | None) -> str:
    shown = group if limit is None else group[:limit]
    names = [_short(f.resource_uid) + (f" ({f.region})" if f.region not in ("", "global") else "") for f in shown]
    more = f" +{len(group) - len(shown)} more" if len(group) > len(shown) else ""
    return f"{len(group)}: {', '.join(names)}{more}"


def _more(console: Console, path: str, hidden: int) -> None:
    lines = []
    if hidden > 0:
        lines.append(f"{hidden} more failing checks. Every failing finding: {LIST_FAILING.format(path=path)}")
    lines.append("One check, why and how to fix it: cspm checks show CHECK_ID")
    lines.append(f"The AI lineage: cspm lineage {path}   {glyphs(console)['dot']}   the risks: cspm risks {path}")
    for line in lines:
        console.print(Text(line, style="dim"), soft_wrap=True)


def _short(uid: str) -> str:
    """The readable tail of an ARN or resource id."""
    tail = uid.rsplit(":", 1)[-1] if uid.startswith("arn:") else uid
    return tail.rsplit("/", 1)[-1] or uid


def _errors(console: Console, report: ScanReport) -> None:
    if not report.errors:
        return
    title = f"Collection errors ({len(report.errors)}): the checks that needed this data answered ERROR"
    console.print(Text(title, style="bold yellow"))
    table = Table()
    for col in ("service", "operation", "code", "region", "message"):
        table.add_column(col, overflow="fold")
    for e in report.errors[:MAX_ERROR_ROWS]:
        table.add_row(*(Text(safe_text(v)) for v in (e.service, e.operation, e.code, e.region, e.message[:120])))
    console.print(table)
    if len(report.errors) > MAX_ERROR_ROWS:
        more = glyphs(console)["more"]
        console.print(f"[dim]{more} and {len(report.errors) - MAX_ERROR_ROWS} more in the report.[/]")
