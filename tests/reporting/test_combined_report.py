"""A combined report (``cspm demo``: ``aws+azure+gcp``) in the commands and formats a user tries
next (issue 18): every finding names its own cloud, ``compliance`` sees the framework's cloud,
ASFF carries the AWS findings, CSV / OCSF / SARIF the finding's own provider. On a real demo run."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import cspm.cli
from cspm.diff import read_report
from cspm.reporting.formats import render
from support.report_factory import make_finding, make_report

CLOUDS = {"aws", "azure", "gcp"}


def _cloud_of(check_id: str) -> str:
    return check_id.split(".", 1)[0]


@pytest.fixture(scope="module")
def demo(demo_report_dir: Path) -> dict[str, Any]:
    return json.loads((demo_report_dir / "report.json").read_text(encoding="utf-8"))


def test_every_finding_carries_its_own_provider(demo: dict[str, Any]) -> None:
    assert demo["scan"]["provider"] == "aws+azure+gcp"
    assert {f["provider"] for f in demo["findings"]} == CLOUDS
    assert all(f["provider"] == _cloud_of(f["check_id"]) for f in demo["findings"])


def test_asff_holds_the_aws_findings_of_a_combined_report(demo: dict[str, Any], demo_report_dir: Path) -> None:
    asff = json.loads((demo_report_dir / "report.asff.json").read_text(encoding="utf-8"))
    aws = [f for f in demo["findings"] if f["provider"] == "aws"]
    assert len(aws) > 400  # the issue: ~500 AWS findings, and ASFF came out empty
    assert len(asff) == len(aws)
    assert {a["Id"] for a in asff} == {f"cspm/{f['check_id']}/{f['uid']}" for f in aws}
    assert {a["AwsAccountId"] for a in asff} == {f["account"] for f in aws}


def test_csv_ocsf_and_sarif_name_the_findings_own_provider(demo: dict[str, Any], demo_report_dir: Path) -> None:
    expected = Counter(f["provider"] for f in demo["findings"])
    with (demo_report_dir / "report.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert all(r["provider"] == _cloud_of(r["check_id"]) for r in rows)
    assert Counter(r["provider"] for r in rows) == expected
    events = json.loads((demo_report_dir / "report.ocsf.json").read_text(encoding="utf-8"))
    ocsf = [e for e in events if not e["metadata"]["event_code"].startswith("risk.")]
    risk_events = [e for e in events if e["metadata"]["event_code"].startswith("risk.")]
    assert len(risk_events) == len(demo["risks"]) > 0  # a risk is an event of its own cloud
    assert {e["finding_info"]["uid"]: e["cloud"]["provider"] for e in risk_events} == {
        r["id"]: r["provider"] for r in demo["risks"]
    }
    assert all(e["unmapped"]["provider"] == e["cloud"]["provider"] for e in risk_events)
    assert all(e["cloud"]["provider"] == _cloud_of(e["metadata"]["event_code"]) for e in ocsf)
    assert all(e["unmapped"]["provider"] == e["cloud"]["provider"] for e in ocsf if "unmapped" in e)
    assert Counter(e["cloud"]["provider"] for e in ocsf) == expected
    sarif = json.loads((demo_report_dir / "report.sarif").read_text(encoding="utf-8"))
    uris = [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
        for loc in r["locations"]
    ]
    assert {u.split("/")[1] for u in uris} == CLOUDS


@pytest.mark.parametrize(("framework", "cloud"), [("cis-aws-5.0", "aws"), ("aws-fsbp", "aws"), ("cis-gcp-5.0", "gcp")])
def test_a_clouds_framework_on_a_combined_report_sees_that_clouds_findings(
    demo_report_dir: Path, framework: str, cloud: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cspm.cli.main(["compliance", framework, str(demo_report_dir / "report.json"), "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    counted = [c for r in view["requirements"] for c in r["checks"] if c["passed"] + c["failed"] + c["errors"]]
    assert counted and {_cloud_of(c["check_id"]) for c in counted} == {cloud}
    assert view["totals"]["FAIL"] > 0


def test_a_framework_of_a_cloud_the_report_lacks_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "report.json"
    path.write_text(make_report([make_finding()], provider="aws+gcp").to_json(), encoding="utf-8")
    assert cspm.cli.main(["compliance", "cis-azure-5.0", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is for azure" in err and "aws+gcp" in err


def test_reports_without_per_finding_provider_fall_back(demo: dict[str, Any], tmp_path: Path) -> None:
    """Reports written before the field: a combined one by the check's cloud, others by the report's."""
    old = json.loads(json.dumps(demo))
    for f in old["findings"]:
        del f["provider"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    rows = list(csv.DictReader(render(read_report(path), "csv").splitlines()))
    assert all(r["provider"] == _cloud_of(r["check_id"]) for r in rows)
    single = make_report([make_finding(account="sub-1")], provider="azure")
    assert single.findings[0].provider is None
    assert json.loads(render(single, "ocsf"))[0]["cloud"]["provider"] == "azure"


def test_a_mutelist_provider_matches_the_findings_own_cloud(demo_report_dir: Path) -> None:
    from cspm.mutelist import evaluate_mutelist, parse_mutelist

    report = read_report(demo_report_dir / "report.json")
    mutelist = parse_mutelist("mutes:\n  - {reason: lab project, provider: gcp}\n", source="mutes.yaml")
    muted = evaluate_mutelist(report, mutelist, report.scan.started_at).report
    assert {f.provider for f in muted.findings if f.muted} == {"gcp"}
    assert sum(f.muted for f in muted.findings) == sum(f.provider == "gcp" for f in report.findings)


def test_a_full_scan_judges_every_finding_for_the_ai_supply_chain(demo: dict[str, Any]) -> None:
    """Only a scan without the lineage (--services s3) marks findings "not assessed"."""
    assert not [f["uid"] for f in demo["findings"] if f.get("supply_chain")]
    assert any("ai_supply_chain" in f["evidence"] for f in demo["findings"])
