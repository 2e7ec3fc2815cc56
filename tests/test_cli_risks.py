"""``cspm risks REPORT.json`` and the risk blocks of cspm/reporting/risks.py: TSV when piped, JSON,
--top, reports without a risks section, one-line errors, narrow, wide and ASCII terminals."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

import cspm.cli
from cspm.models import ScanReport
from cspm.reporting.risks import TSV_COLUMNS, lineage_nodes, print_risks
from support.report_factory import RISKY, UNRESOLVED_REASON, make_report, risky_findings, risky_report


def write(tmp_path: Path, report: ScanReport, *, drop_risks: bool = False) -> Path:
    data = json.loads(report.to_json())
    if drop_risks:
        del data["risks"]
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cspm.cli.main(["risks", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_piped_output_is_one_tab_separated_line_per_risk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = risky_report()
    code, out, err = run(capsys, str(write(tmp_path, report)))
    assert (code, err) == (0, "")
    rows = [line.split("\t") for line in out.splitlines()]
    assert report.risks is not None and len(rows) == len(report.risks)
    assert all(len(row) == len(TSV_COLUMNS) for row in rows)
    assert [row[4] for row in rows] == [r.id for r in report.risks]
    assert rows[0][:4] == ["1", "100", "critical", "admin_role_on_internet_notebook"]
    hub = next(row for row in rows if row[5].startswith("Endpoint hub-prod"))
    assert hub[8].startswith("repository python x-> image python:3 -> model hub-model")


def test_json_and_top(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = risky_report()
    code, out, _ = run(capsys, str(write(tmp_path, report)), "--json", "--top", "2")
    assert code == 0
    assert report.risks is not None and json.loads(out) == [r.model_dump(mode="json") for r in report.risks[:2]]
    code, _, err = run(capsys, str(write(tmp_path, report)), "--top", "0")
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_a_report_without_risks_has_them_computed_from_its_lineage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = risky_report()
    code, out, err = run(capsys, str(write(tmp_path, report, drop_risks=True)), "--json")
    assert code == 0
    assert report.risks is not None and [r["id"] for r in json.loads(out)] == [r.id for r in report.risks]
    assert "has no risks section (an older cspm): computed from its lineage and findings" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json", "not valid JSON"),
        ('{"hello": 1}', "not a cspm report"),
    ],
)
def test_bad_files_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, str(path))
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and err.startswith("cspm: error: "), err


def test_a_report_without_lineage_or_risks_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(write(tmp_path, make_report(risky_findings()), drop_risks=True)))
    assert (code, out) == (2, "")
    assert "no risks and no lineage section" in err and len(err.strip().splitlines()) == 1


class AsciiBuffer(io.StringIO):
    """A terminal whose encoding is ASCII (LANG=C, PYTHONIOENCODING=ascii): Rich reads ``encoding``."""

    encoding = "ascii"


def rendered(width: int, *, ascii_only: bool = False, plain: bool = False) -> str:
    report = risky_report()
    buffer = AsciiBuffer() if ascii_only else io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=not plain, color_system=None)
    assert report.risks is not None
    print_risks(console, report.risks, lineage_nodes(report), plain=plain)
    return buffer.getvalue()


@pytest.mark.parametrize("width", [40, 80, 300])
def test_blocks_wrap_but_never_cut_ids(width: int) -> None:
    text = rendered(width)
    assert max(len(line) for line in text.splitlines()) <= width
    joined = re.sub(r"\s+", "", text)
    report = risky_report()
    for risk in report.risks or []:
        assert risk.id in joined
        assert (risk.fix.check_id or "") in joined
    assert UNRESOLVED_REASON.replace(" ", "") in joined  # the unresolved edge is shown with its reason
    assert "✗" in text


def test_plain_blocks_are_unwrapped() -> None:
    text = rendered(40, plain=True)
    report = risky_report()
    assert report.risks is not None
    for risk in report.risks:
        assert any(risk.id in line for line in text.splitlines())
        assert any(risk.title in line for line in text.splitlines())


def test_an_ascii_terminal_gets_ascii_marks() -> None:
    text = rendered(80, ascii_only=True)
    text.encode("ascii")  # nothing outside ASCII
    assert "x->" in text and "x unresolved:" in text


def test_the_unresolved_edge_names_both_ends() -> None:
    text = re.sub(r"\s+", " ", rendered(300))
    assert f"unresolved: image python:3 → repository python (in_repository): {UNRESOLVED_REASON}" in text
    assert RISKY["hub_endpoint"].rsplit("/", 1)[-1] in text


def test_on_a_terminal_the_risks_are_blocks_and_the_rest_is_one_command_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    path = write(tmp_path, risky_report())
    code, out, _ = run(capsys, str(path), "--top", "1")
    out = re.sub(r"\x1b\[[0-9;]*m", "", out)  # colours, when the test's terminal has them
    assert code == 0
    assert out.lstrip().startswith("1") and "Internet-reachable notebook research" in out
    assert re.sub(r"\s+", " ", out).strip().endswith(f"more: cspm risks {path}")
    empty = write(tmp_path, make_report(risky_findings()).model_copy(update={"risks": []}))
    code, out, _ = run(capsys, str(empty))
    assert (code, out.strip()) == (0, "No risks: no failing finding opens a path of the report's lineage.")


def test_an_ascii_stdout_gets_escapes_instead_of_a_crash(tmp_path: Path) -> None:
    """PYTHONIOENCODING=ascii (a terminal that is not UTF-8): report text it cannot encode is
    written as backslash escapes by every command; the exit code is 0."""
    import os
    import subprocess
    import sys

    from cspm.risks import with_risks

    report = risky_report()
    assert report.lineage is not None
    nodes = [
        n.model_copy(update={"name": "dätä-bücket"}) if n.id == RISKY["bucket"] else n for n in report.lineage.nodes
    ]
    report = with_risks(report.model_copy(update={"lineage": report.lineage.model_copy(update={"nodes": nodes})}))
    path = write(tmp_path, report)
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    for command in (["risks", str(path)], ["lineage", str(path)]):
        proc = subprocess.run(
            [sys.executable, "-m", "cspm.cli", *command], capture_output=True, env=env, timeout=60, check=False
        )
        assert proc.returncode == 0, proc.stderr
        proc.stdout.decode("ascii")  # nothing outside ASCII reached the stream
        assert b"d\\xe4t\\xe4-b\\xfccket" in proc.stdout
        assert b"\\u2" not in proc.stdout  # arrows, marks and tree guides are ASCII, not escapes
    assert b"+-- " in proc.stdout and b"in_repository -> repository python  x unresolved: " in proc.stdout


def test_a_corrupt_risks_section_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(risky_report().to_json())
    data["risks"][0]["score"] = "very high"
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = run(capsys, str(path))
    assert (code, out) == (2, "")
    assert err.startswith("cspm: error: ") and "risks.0.score" in err and len(err.strip().splitlines()) == 1
