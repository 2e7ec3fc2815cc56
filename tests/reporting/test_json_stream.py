"""report.json is written in pieces (ScanReport.json_chunks): the text is exactly model_dump_json's."""

from __future__ import annotations

import json
from pathlib import Path

from cspm.models import Lineage, LineageEdge, LineageNode, MuteInfo, MutelistInfo, ScanReport, Status
from cspm.reporting.formats import write_formats
from cspm.reporting.json_report import json_chunks, write_json
from support.report_factory import TRICKY, make_finding, make_report, varied_report


def _with_sections(report: ScanReport) -> ScanReport:
    lineage = Lineage(
        nodes=[LineageNode(id="arn:aws:s3:::data", type="aws.s3.bucket", name="data", in_inventory=True)],
        edges=[LineageEdge(source="a", target="arn:aws:s3:::data", relation="reads", api_field="S3Uri")],
    )
    mutelist = MutelistInfo(source="mutes.yaml", expired=[MuteInfo(entry="old", reason=TRICKY, expires="2026-01-01")])
    return report.model_copy(update={"lineage": lineage, "mutelist": mutelist})


def test_the_chunks_are_the_report_text() -> None:
    report = _with_sections(varied_report())
    assert report.findings and report.resources
    assert "".join(report.json_chunks()) == report.to_json()


def test_one_chunk_per_finding_and_resource_at_least() -> None:
    report = varied_report()
    chunks = list(report.json_chunks())
    assert len(chunks) >= len(report.findings) + len(report.resources)
    assert max(len(c) for c in chunks) < len(report.to_json()) / 4


def test_empty_lists_are_written_as_the_model_writes_them() -> None:
    report = make_report([])
    assert report.findings == [] and report.resources == []
    text = "".join(report.json_chunks())
    assert text == report.to_json()
    assert '"findings": []' in text


def test_a_value_that_spells_a_top_level_key_does_not_confuse_the_writer() -> None:
    decoy = '\n  "findings": []\n  "resources": []'
    finding = make_finding(message=decoy, evidence={"note": decoy}, status=Status.PASS)
    report = make_report([finding], tags={finding.resource_uid: {"k": decoy}})
    text = "".join(report.json_chunks())
    assert text == report.to_json()
    assert json.loads(text)["findings"][0]["message"] == decoy


def test_written_files_hold_the_text_with_a_final_newline(tmp_path: Path) -> None:
    report = _with_sections(varied_report())
    expected = report.to_json() + "\n"
    assert "".join(json_chunks(report)) == expected
    assert write_json(report, tmp_path / "a.json").read_text(encoding="utf-8") == expected
    (path,) = write_formats(report, ["json"], tmp_path / "out")
    assert path.read_text(encoding="utf-8") == expected
    assert ScanReport.model_validate_json(path.read_text(encoding="utf-8")) == report
