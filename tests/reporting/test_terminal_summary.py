"""The terminal summary's layout (issue 18): top risks first, failing checks phrased as problems
with full ids and regions, the ERROR count explained, the commands that show more; at 40 and 300
columns, plain when not a terminal, on an ASCII terminal, and for a report without risks."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from cspm.models import CollectionError, ScanReport, Severity, Status
from cspm.reporting.terminal import MAX_CHECK_ROWS, fail_title, print_summary
from support.report_factory import (
    UNRESOLVED_REASON,
    make_finding,
    make_report,
    risky_report,
    varied_findings,
)

SGR = re.compile(r"\x1b\[[0-9;]*m")
PATH = "out/report.json"


class AsciiBuffer(io.StringIO):
    encoding = "ascii"  # what Rich reads: a terminal under LANG=C or PYTHONIOENCODING=ascii


def summary(report: ScanReport, width: int = 120, *, terminal: bool = True, buffer: io.StringIO | None = None) -> str:
    buffer = buffer if buffer is not None else io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=terminal, color_system=None, highlight=False)
    print_summary(report, console=console, report_path=PATH)
    return SGR.sub("", buffer.getvalue())


def busy_report() -> ScanReport:
    """Risks, a few dozen failing checks (more than the table shows), ERROR findings, an API error."""
    report = risky_report()
    findings = [*report.findings, *varied_findings()]
    findings += [
        make_finding(f"aws.s3.check_number_{i:02d}", f"arn:aws:s3:::b{i}", region="eu-west-1", severity=Severity.LOW)
        for i in range(30)
    ]
    errors = [
        CollectionError(
            account="1",
            region="us-east-1",
            service="s3",
            operation="GetBucketPolicy",
            code="AccessDenied",
            message="no",
        )
    ]
    # the SageMaker kinds only: five risks, the Docker Hub one (an unresolved edge) among them
    others = {
        "poisoned_bedrock_model_in_service",
        "unsafe_artifact_in_production",
        "agent_knowledge_base_injection",
        "unguarded_agent_reaches_admin",
    }
    risks = [r for r in report.risks or [] if r.kind not in others]
    return make_report(findings, errors=errors).model_copy(update={"lineage": report.lineage, "risks": risks})


def column(text: str, index: int) -> str:
    """The text of one table column, its wrapped lines joined: a folded id reads whole again."""
    cells = [line.split("│")[index].strip() for line in text.splitlines() if line.count("│") >= 4]
    return "".join(cells)


def test_top_risks_come_before_the_failing_checks() -> None:
    text = summary(busy_report())
    assert text.index("Top risks (5 of 5)") < text.index("Failing checks (")
    assert text.index("Internet-reachable notebook research") < text.index("Failing checks (")
    assert f"cspm risks {PATH}" in text and f"cspm lineage {PATH}" in text and "cspm checks show CHECK_ID" in text


def test_failing_checks_are_phrased_as_problems_with_full_ids_and_regions() -> None:
    report = busy_report()
    text = summary(report, width=100)
    problems = column(text, 2)
    assert "S3bucketispublicthroughitspolicyorACL" in problems.replace(" ", "")
    assert "aws.lineage.model_images_are_scanned_and_immutable" in problems  # the full id, wrapped but whole
    assert "aws.sagemaker.notebook_has_no_direct_internet_access" in problems
    assert "…" not in text.split("Failing checks")[1].split("\n\n")[0]
    assert "(us-east-1)" in text and "(eu-west-1)" in text
    hidden = len({f.check_id for f in report.findings if f.status is Status.FAIL and not f.muted}) - MAX_CHECK_ROWS
    assert f"{hidden} more failing checks. Every failing finding: jq -r" in text and PATH in text


@pytest.mark.parametrize("width", [40, 300])
def test_narrow_and_wide_terminals(width: int) -> None:
    text = summary(busy_report(), width=width)
    # Commands are never broken by a newline (the terminal wraps them, a copy stays one command).
    assert max(len(line) for line in text.splitlines() if "cspm " not in line and "jq -r" not in line) <= width
    assert "…" not in text  # nothing is cut, scores included
    failing = text.split("Failing checks")[1].split("One check, why")[0]
    flat = re.sub(r"\s+", "", column(failing, 2) if width >= 80 else failing)  # a table, or blocks when narrow
    assert "aws.sagemaker.notebook_has_no_direct_internet_access" in flat
    assert re.sub(r"\s+", "", UNRESOLVED_REASON) in re.sub(r"\s+", "", text)


def test_plain_when_not_a_terminal_one_unwrapped_line_per_failing_check() -> None:
    report = busy_report()
    text = summary(report, width=40, terminal=False)
    checks = {f.check_id for f in report.findings if f.status is Status.FAIL and not f.muted}
    lines = text.splitlines()
    for check_id in checks:
        assert any(check_id in line for line in lines), check_id  # every one, none cut
    assert "┃" not in text.split("Failing checks")[1].split("Collection errors")[0]
    assert any(line.startswith("critical  aws.s3.bucket_is_not_public  S3 bucket is public through") for line in lines)


def test_the_error_count_is_explained_in_one_line() -> None:
    text = summary(busy_report(), width=300)
    (line,) = [line for line in text.splitlines() if line.startswith("ERROR ")]
    errors = sum(1 for f in busy_report().findings if f.status is Status.ERROR)
    assert line.startswith(f"ERROR {errors}: {errors} finding(s) of ")
    assert "1 API call(s) failed (collection errors below)" in line and "never counted as PASS" in line
    assert 'select(.status == "ERROR")' in line and line.endswith(PATH)
    no_api_errors = summary(make_report([make_finding(status=Status.ERROR)]), width=300)
    assert "no API call failed: the answers lacked a field the check needs" in no_api_errors


def test_an_ascii_terminal_gets_ascii_and_never_crashes() -> None:
    buffer = AsciiBuffer()
    text = summary(busy_report(), width=80, buffer=buffer)
    text.encode("ascii")
    assert "x-> image python:3" in text and "x unresolved:" in text
    assert "\\xfcn\\xefc\\xf8d\\xe9" in text  # ünïcødé of a title, as escapes


def test_a_report_without_risks_from_an_older_cspm() -> None:
    old = busy_report().model_copy(update={"risks": None, "lineage": None})
    text = summary(old)
    assert "Top risks" not in text and "No risks" not in text
    assert "Failing checks (" in text
    assert "No risks: no failing finding opens a path" in summary(make_report([]).model_copy(update={"risks": []}))


def test_fail_title_of_an_unknown_check_is_derived_or_kept() -> None:
    derived = make_finding("aws.s3.from_a_future_cspm", title="S3 bucket keeps nothing is fine")
    assert fail_title(derived) == "S3 bucket keeps nothing is not fine"
    kept = make_finding("aws.s3.from_a_future_cspm", title="Whatever this says")
    assert fail_title(kept) == "Whatever this says"
    known = make_finding("aws.s3.bucket_is_not_public", title="ignored: the catalog's wins")
    assert fail_title(known) == "S3 bucket is public through its policy or ACL"


@settings(max_examples=25, deadline=None)
@given(width=st.integers(40, 320), encoding=st.sampled_from(["utf-8", "ascii", "latin-1"]), terminal=st.booleans())
def test_any_width_and_encoding_prints_without_error(width: int, encoding: str, terminal: bool) -> None:
    class Buffer(io.StringIO):
        pass

    buffer = Buffer()
    Buffer.encoding = encoding
    text = summary(BUSY, width=width, terminal=terminal, buffer=buffer)
    text.encode(encoding)  # whatever the report holds, the stream can take it
    assert "Failing checks (" in text
    if terminal:  # commands are never broken by a newline
        exempt = ("cspm ", "jq -r")
        assert [line for line in text.splitlines() if len(line) > width and not any(e in line for e in exempt)] == []


BUSY = busy_report()


def test_the_header_names_a_few_accounts_and_counts_an_organization() -> None:
    from cspm.models import Scope

    few = [Scope(account=f"{i:012d}", regions=["us-east-1"]) for i in range(1, 6)]
    shown = summary(make_report([make_finding("aws.s3.x", "arn:aws:s3:::b")], scopes=few), width=300)
    assert "aws account 000000000001, 000000000002, 000000000003, 000000000004, 000000000005 " in shown
    many = [Scope(account=f"{i:012d}", regions=["us-east-1"]) for i in range(1, 20_001)]
    shown = summary(make_report([make_finding("aws.s3.x", "arn:aws:s3:::b")], scopes=many), width=300)
    assert "aws 20000 accounts: 000000000001, 000000000002, 000000000003 and 19997 more " in shown
    assert "000000000004" not in shown


@pytest.mark.parametrize("width", [80, 81, 82])
def test_the_scores_never_cut_a_baseline_name_even_on_an_ascii_terminal(width: int) -> None:
    """Six score columns need 83 columns: narrower, one row per baseline (Rich's cut would leave
    an ellipsis, which an ASCII terminal gets as a six-character escape past the width)."""
    text = summary(BUSY, width=width, buffer=AsciiBuffer())
    assert "least-privilege" in text and "private-endpoint" in text and "\\u2026" not in text
    exempt = ("cspm ", "jq -r")
    assert [line for line in text.splitlines() if len(line) > width and not any(e in line for e in exempt)] == []
