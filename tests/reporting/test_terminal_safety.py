"""Nothing from a scanned account, an API error or a report file can crash or forge the terminal.

A hostile corpus (Rich markup, escape sequences, carriage returns, bidi overrides, NUL, C1) is
placed in every field a terminal renderer shows; the rendered output (Rich consoles recording to
a StringIO, with and without colour, at widths 80 and 300) must hold no raw control or bidi
character, must show each hostile string in its visible escaped form, and must not raise.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from cspm.models import CollectionError, Lineage, LineageEdge, LineageNode, Scope, Severity
from cspm.reporting.safe import SafeFormatter, is_banned, safe_markup, safe_text
from cspm.reporting.terminal import _short, print_summary
from support.report_factory import make_finding, make_report

HOSTILE = [
    "[/bold]",
    "[bold red]x",
    "[link=http://evil.example]click[/link]",
    "\x1b[2J\x1b[H ALL CHECKS PASSED",
    "\x1b]8;;http://x\x07link\x1b]8;;\x07",
    "\x1b[31mred\x1b[0m",
    "over\rwrite",
    "back\b\b\bspace",
    "evil\u202etxt.exe",
    "iso\u2066late\u2069",
    "nul\x00byte",
    "c1\x9b2J",
    "tab\there\nnewline",
    ":thumbs_up: emoji code",
    "tag\U000e0041chars",
    "trailing backslash\\",
]
HOSTILE_IDS = [repr(h)[1:-1][:30] for h in HOSTILE]
SGR = re.compile(r"\x1b\[[0-9;]*m")  # the colour codes Rich itself writes when colour is on


def banned_in(output: str) -> list[str]:
    """The characters of ``output`` that must never reach a terminal (newline is structure)."""
    return sorted({c for c in output if c != "\n" and is_banned(c)})


def consoles(width: int) -> Iterator[Console]:
    yield Console(file=io.StringIO(), force_terminal=True, color_system=None, width=width, highlight=False)
    yield Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=width, highlight=False)


def rendered(console: Console) -> str:
    """What the console wrote, minus Rich's own SGR colour codes (a hostile SGR would be escaped)."""
    file = console.file
    assert isinstance(file, io.StringIO)
    return SGR.sub("", file.getvalue())


def assert_shows(output: str, hostile: Iterable[str]) -> None:
    for h in hostile:
        assert safe_text(h) in output, f"{h!r} is not shown as {safe_text(h)!r}"


# ---------------------------------------------------------------------------------------------
# The helper
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("a\rb", "a\\rb"),
        ("a\nb", "a\\nb"),
        ("a\tb", "a\\tb"),
        ("\x00\x7f\x9b", "\\x00\\x7f\\x9b"),
        ("x\u202ey", "x\\u202ey"),
        ("x\u2066y\u2069", "x\\u2066y\\u2069"),
        ("x\u200ey\u200f\u061c", "x\\u200ey\\u200f\\u061c"),
        ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
        ("line\u2028sep\u2029", "line\\u2028sep\\u2029"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
        # kept: printable text of any script, the no-break space, emoji joined by ZWJ
        ("ünïcødé 日本語 عربي", "ünïcødé 日本語 عربي"),
        ("a\u00a0b", "a\u00a0b"),
        ("\U0001f469\u200d\U0001f4bb", "\U0001f469\u200d\U0001f4bb"),
        ("[/bold] stays text", "[/bold] stays text"),
    ],
)
def test_safe_text_replaces_banned_characters_with_visible_escapes(raw: str, shown: str) -> None:
    assert safe_text(raw) == shown


def test_safe_text_multiline_keeps_newlines_and_tabs_only() -> None:
    assert safe_text("a\nb\tc\r\x1b", multiline=True) == "a\nb\tc\\r\\x1b"


def test_the_banned_set_is_the_documented_one() -> None:
    banned = {c for c in map(chr, range(0x3000)) if is_banned(c)}
    assert {chr(c) for c in range(0x20)} | {chr(c) for c in range(0x7F, 0xA0)} <= banned
    assert {"\u200e", "\u200f", "\u061c", "\u2028", "\u2029"} | {chr(c) for c in range(0x202A, 0x202F)} <= banned
    assert {chr(c) for c in range(0x2066, 0x206A)} <= banned
    assert "\u200d" not in banned and " " not in banned and "\u00a0" not in banned
    others = {c for c in banned if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp")}
    assert others == set()


@given(st.text(alphabet=st.characters(codec=None), max_size=60))
def test_safe_text_output_has_no_banned_character(value: str) -> None:
    assert banned_in(safe_text(value)) == [] and "\n" not in safe_text(value)
    assert all(not is_banned(c, multiline=True) for c in safe_text(value, multiline=True))


def in_markup(value: str) -> Text:
    """``value`` between tags, as the renderers use it: ``[dim]{safe_markup(x)}[/dim]``."""
    return Text.from_markup(f"[bold]{safe_markup(value)}[/bold] [dim]{safe_markup(value)}[/]", emoji=False)


@given(st.text(max_size=60))
def test_safe_markup_round_trips_through_rich_markup(value: str) -> None:
    assert in_markup(value).plain == f"{safe_text(value)} {safe_text(value)}"


@pytest.mark.parametrize("hostile", HOSTILE, ids=HOSTILE_IDS)
def test_safe_markup_of_the_corpus_round_trips(hostile: str) -> None:
    text = in_markup(hostile)
    assert text.plain == f"{safe_text(hostile)} {safe_text(hostile)}"
    assert {str(span.style) for span in text.spans} == {"bold", "dim"}  # no tag of the value applied


# ---------------------------------------------------------------------------------------------
# The scan summary
# ---------------------------------------------------------------------------------------------


def hostile_report() -> object:
    findings = [
        make_finding(
            check_id=f"aws.s3.check_{i}{h}",
            resource_uid=f"arn:aws:s3:::{h}",
            account=h,
            region=h,
            title=f"title {h}",
            message=h,
            severity=Severity.CRITICAL,
        )
        for i, h in enumerate(HOSTILE)
    ]
    errors = [
        CollectionError(account=h, region=h, service=h, operation=h, code=h, message=f"API said: {h}") for h in HOSTILE
    ]
    return make_report(findings, errors=errors[:3], scopes=[Scope(account=h, regions=[h]) for h in HOSTILE[:4]])


@pytest.mark.parametrize("width", [80, 300])
def test_summary_shows_hostile_account_text_escaped(width: int) -> None:
    report = hostile_report()
    for console in consoles(width):
        print_summary(report, console=console)  # type: ignore[arg-type]
        output = rendered(console)
        assert banned_in(output) == []
        assert "\x1b" not in output
        if width == 300:
            shown = [f"title {h}" for h in HOSTILE] + [_short(f"arn:aws:s3:::{h}") for h in HOSTILE[:3]]
            assert_shows(output, [*shown, ", ".join(HOSTILE[:4]), *[f"API said: {h}" for h in HOSTILE[:3]]])
            assert "[/bold]" in output and "[bold red]x" in output  # markup shown as text, not applied


def test_summary_error_table_shows_every_error_field() -> None:
    errors = [
        CollectionError(account="1", region="r\x1b", service="s\u202e", operation="[/b]", code="c\r", message="m")
    ]
    console = Console(file=io.StringIO(), force_terminal=True, color_system=None, width=300)
    print_summary(make_report([make_finding()], errors=errors), console=console)
    output = rendered(console)
    assert banned_in(output) == []
    assert_shows(output, ["r\x1b", "s\u202e", "[/b]", "c\r"])


def test_progress_label_is_neither_markup_nor_controls() -> None:
    from cspm.reporting.progress import RichProgress

    console = Console(file=io.StringIO(), force_terminal=True, color_system=None, width=300)
    progress = RichProgress(console)
    for h in HOSTILE:
        progress.advance(h)
        console.print(progress._progress.get_renderable())
    output = rendered(console)
    assert banned_in(output) == []
    assert_shows(output, HOSTILE)


# ---------------------------------------------------------------------------------------------
# Reports read from files: lineage, diff, compliance, history
# ---------------------------------------------------------------------------------------------


def hostile_lineage() -> Lineage:
    nodes = [
        LineageNode(id="arn:aws:sagemaker:us-east-1:1:endpoint/e", type="aws.sagemaker.endpoint", name="endpoint"),
        *(
            LineageNode(id=f"node-{i}{h}", type=f"aws.x.{h}", name=h, fail=1, risk=Severity.HIGH)
            for i, h in enumerate(HOSTILE)
        ),
    ]
    edges = [
        LineageEdge(
            source=nodes[0].id,
            target=n.id,
            relation=f"rel {h}",
            api_field=h,
            resolved=i % 2 == 0,
            reason=None if i % 2 == 0 else f"because {h}",
        )
        for i, (n, h) in enumerate(zip(nodes[1:], HOSTILE, strict=True))
    ]
    return Lineage(nodes=nodes, edges=edges)


def test_lineage_tree_shows_hostile_names_escaped() -> None:
    from cspm.reporting.lineage import render_tree

    output = render_tree(hostile_lineage(), width=300)
    assert banned_in(output) == []
    assert_shows(output, [*HOSTILE, *(f"rel {h}" for h in HOSTILE)])
    assert_shows(output, [f"because {h}" for h in HOSTILE[1::2]])
    assert len(output.splitlines()) == 2 + len(HOSTILE)  # summary, endpoint, one line per child


def test_lineage_dot_and_mermaid_keep_one_line_per_node_and_edge() -> None:
    from cspm.reporting.lineage import render_dot, render_mermaid

    lineage = hostile_lineage()
    dot = render_dot(lineage)
    assert banned_in(dot) == []
    body = dot.splitlines()[5:-1]
    assert len(body) == len(lineage.nodes) + len(lineage.edges)
    quoted = r'"(?:[^"\\]|\\.)*"'
    for line in body:
        assert re.fullmatch(rf"  {quoted}( -> {quoted})? \[\w+={quoted}(, \w+={quoted})*\];", line), line
    mermaid = render_mermaid(lineage)
    assert banned_in(mermaid) == []
    nodes = [line for line in mermaid.splitlines() if re.match(r"  n\d+\[", line)]
    edges = [line for line in mermaid.splitlines() if re.match(r"  n\d+ -", line)]
    assert len(nodes) == len(lineage.nodes) and len(edges) == len(lineage.edges)
    assert all(line.endswith('"]') and line.count('"') == 2 for line in nodes)


def test_diff_text_shows_hostile_report_fields_escaped() -> None:
    from cspm.diff import diff_reports, render_text

    old = make_report([make_finding(check_id="aws.s3.old")], scan_id="old\x1b[2J")
    new = make_report(
        [make_finding(check_id=f"aws.s3.{h}", resource_uid=h, account=h, region=h) for h in HOSTILE],
        scan_id="new\u202e",
    )
    output = render_text(diff_reports(old, new))
    assert banned_in(output) == []
    assert_shows(output, [*HOSTILE, "old\x1b[2J", "new\u202e"])
    assert len(output.splitlines()) == 2 + 2 * 2 + len(HOSTILE) + 1  # header, 2 sections, blank lines


def test_compliance_text_shows_hostile_check_ids_escaped() -> None:
    from cspm.compliance import compliance_view, render_text

    findings = [
        make_finding(check_id=f"aws.s3.{h}", resource_uid=f"r{i}", compliance={"aws-fsbp": ["S3.2", f"X{h}"]})
        for i, h in enumerate(HOSTILE)
    ]
    output = render_text(compliance_view(make_report(findings, scan_id="id\x1b]0;title\x07"), "aws-fsbp"))
    assert banned_in(output) == []
    assert_shows(output, [*(f"aws.s3.{h}" for h in HOSTILE), *(f"X{h}" for h in HOSTILE), "id\x1b]0;title\x07"])


def test_history_text_shows_hostile_stored_scans_escaped(tmp_path: Path) -> None:
    from cspm.history import history, render_history_text, save_scan

    store = f"sqlite:///{tmp_path / 'h.db'}"
    for i, h in enumerate(HOSTILE[:6]):
        scopes = [Scope(account=h, regions=["us-east-1"])]
        report = make_report([make_finding(account=h)], scan_id=f"0000000{i}-0000-4000-8000-{h}", scopes=scopes)
        save_scan(report, store)
    output = render_history_text(history(store))
    assert banned_in(output) == []
    assert_shows(output, HOSTILE[:6])


# ---------------------------------------------------------------------------------------------
# The CLI: error lines, policy lint, logs, and a whole scan
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE, ids=HOSTILE_IDS)
def test_usage_error_lines_are_one_safe_line(hostile: str, capsys: pytest.CaptureFixture[str]) -> None:
    from cspm.cli import main

    assert main(["checks", "show", hostile]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cspm: error: unknown check ")
    assert banned_in(err) == [] and safe_text(hostile) in err


def test_policy_lint_text_shows_hostile_policy_text_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cspm.cli import main

    statements = [
        {"Sid": f"S{i}", "Effect": "Allow", "Action": f"s3:Get{h}", "Resource": "*"} for i, h in enumerate(HOSTILE)
    ]
    file = tmp_path / "policy[bold]\x1b[2J\u202e.json"
    file.write_text(json.dumps({"Version": "2012-10-17", "Statement": statements}), encoding="utf-8")
    assert main(["policy", "lint", "--fail-on", "none", str(file)]) == 0
    out = capsys.readouterr().out
    assert banned_in(out) == []
    assert_shows(out, [str(file), *(f"s3:Get{h}" for h in HOSTILE)])


def test_policy_lint_bad_input_line_is_safe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cspm.cli import main

    file = tmp_path / "bad\x1b[2J\u202e.json"
    file.write_text("{not json", encoding="utf-8")
    assert main(["policy", "lint", str(file)]) == 2
    err = capsys.readouterr().err
    assert banned_in(err) == [] and safe_text(str(file)) in err


def test_log_lines_are_one_safe_line_and_tracebacks_keep_their_lines() -> None:
    formatter = SafeFormatter("cspm: %(levelname)s: %(message)s")
    record = logging.LogRecord("cspm", logging.WARNING, __file__, 1, "API said %s", ("a\nFAKE\x1b[2J\u202e",), None)
    assert formatter.format(record) == "cspm: WARNING: API said a\\nFAKE\\x1b[2J\\u202e"
    try:
        raise ValueError("boom\x1b[2J")
    except ValueError:
        record = logging.LogRecord("cspm", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    lines = formatter.format(record).splitlines()
    assert lines[0] == "cspm: ERROR: failed" and lines[1].startswith("Traceback")
    assert lines[-1] == "ValueError: boom\\x1b[2J"


def test_the_cli_logs_through_the_safe_formatter() -> None:
    from cspm.cli import _configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        _configure_logging(debug=False, verbose=False)
        assert [type(h.formatter) for h in root.handlers] == [SafeFormatter]
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


# ---------------------------------------------------------------------------------------------
# A whole scan: hostile account text, then --compliance, --store and --fail-on still happen
# ---------------------------------------------------------------------------------------------


def hostile_scan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from cspm.runner import OutputOptions, run
    from support.fakes import FakeProvider, is_good, spec, thing

    class Hostile(FakeProvider):
        def scopes(self) -> list[Scope]:
            return [Scope(account="1111[/bold]\x1b[2J", regions=["us-east-1"])]

    provider = Hostile([thing(h, good=False) for h in HOSTILE])
    provider.setup_errors[0] = provider.setup_errors[0].model_copy(
        update={"code": "[bold red]Denied", "message": "\x1b[2J\x1b[H ALL CHECKS PASSED [/bold]\u202e"}
    )
    out = OutputOptions(
        output_dir=tmp_path / "out", fail_on="high", compliance="aws-fsbp", store=f"sqlite:///{tmp_path / 'h.db'}"
    )
    code = run(provider, [spec(is_good)], out, workers=1)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_scan_of_hostile_text_prints_safely_and_keeps_its_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cspm.history import history

    monkeypatch.setenv("COLUMNS", "300")  # the summary's tables do not wrap the strings looked for
    code, output = hostile_scan(tmp_path, capsys)
    assert code == 3
    assert banned_in(output) == []
    assert "\\x1b[2J\\x1b[H ALL CHECKS PASSED [/bold]\\u202e" in output and "[bold red]Denied" in output
    assert "unmuted failing finding(s) at or above high (exit 3)" in output
    assert (tmp_path / "out" / "report.json").is_file() and (tmp_path / "out" / "compliance-aws-fsbp.json").is_file()
    assert [s.accounts for s in history(f"sqlite:///{tmp_path / 'h.db'}").scans] == [("1111[/bold]\x1b[2J",)]


def test_a_summary_that_cannot_print_loses_nothing_else(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from cspm.history import history

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the terminal went away")

    monkeypatch.setattr("cspm.reporting.terminal.print_summary", broken)
    code, _output = hostile_scan(tmp_path, capsys)
    assert code == 3
    assert "could not print the summary (RuntimeError: the terminal went away)" in caplog.text
    assert (tmp_path / "out" / "compliance-aws-fsbp.json").is_file()
    assert len(history(f"sqlite:///{tmp_path / 'h.db'}").scans) == 1


def test_report_commands_print_hostile_report_files_safely(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cspm.cli import main

    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(make_report([make_finding(check_id="aws.s3.old")]).model_dump_json(), encoding="utf-8")
    findings = [make_finding(check_id=f"aws.s3.{h}", resource_uid=f"arn:aws:s3:::{h}", account=h) for h in HOSTILE]
    report = make_report(findings).model_copy(update={"lineage": hostile_lineage()})
    new.write_text(report.model_dump_json(), encoding="utf-8")
    for args, code in (
        (["diff", str(old), str(new), "--fail-on", "high"], 3),
        (["lineage", str(new)], 0),
        (["lineage", str(new), "--format", "mermaid"], 0),
        (["compliance", "aws-fsbp", str(new)], 0),
    ):
        assert main(args) == code, args
        captured = capsys.readouterr()
        assert banned_in(captured.out + captured.err) == [], args
        assert safe_text(HOSTILE[3]) in captured.out, args
