"""OCSF, ASFF, SARIF, CSV and the format registry, each validated the way its consumer reads it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest
from botocore.validate import ParamValidator
from moto import mock_aws

from cspm.errors import UsageError
from cspm.models import Severity, Status
from cspm.mutelist import BY_TAGS_NOTE, evaluate_mutelist, parse_mutelist
from cspm.reporting.formats import FORMATS, parse_formats, render, write_formats
from support.report_factory import (
    TRICKY,
    UNRESOLVED_REASON,
    bucket_arn,
    make_finding,
    make_report,
    risky_report,
    varied_report,
)

SCHEMAS = Path(__file__).parent / "schemas"


def muted_outcome():
    report = varied_report()
    mutelist = parse_mutelist(
        "mutes:\n  - {id: dev, reason: dev buckets are scratch, tags: {env: dev}}\n"
        "  - {reason: old, expires: 2020-01-01, checks: ['*']}\n",
        source="mutes.yaml",
    )
    return evaluate_mutelist(report, mutelist, report.scan.started_at)


# ---------------------------------------------------------------------------------------------
# OCSF
# ---------------------------------------------------------------------------------------------


def test_ocsf_events_validate_with_py_ocsf_models_and_keep_every_field() -> None:
    from py_ocsf_models.events.findings.detection_finding import DetectionFinding

    outcome = muted_outcome()
    events = json.loads(render(outcome.report, "ocsf", mutes=outcome))
    assert len(events) == len(outcome.report.findings)
    for event in events:
        model = DetectionFinding.model_validate(event)
        dumped = model.model_dump(mode="json", exclude_none=True)
        # Every attribute we emit is a schema attribute (py-ocsf-models drops unknown keys silently).
        assert _paths(event, skip={"unmapped", "data"}) <= _paths(dumped, skip={"unmapped", "data"})
        assert event["class_uid"] == 2004 and event["type_uid"] == 200401 and event["category_uid"] == 2
        assert event["metadata"]["version"] == "1.5.0"


def _paths(obj: Any, prefix: str = "", skip: frozenset[str] | set[str] = frozenset()) -> set[str]:
    out: set[str] = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            path = f"{prefix}.{k}" if prefix else k
            out.add(path)
            if k not in skip:
                out |= _paths(v, path, skip)
    elif isinstance(obj, list):
        for item in obj:
            out |= _paths(item, prefix + "[]", skip)
    return out


def test_ocsf_mapping() -> None:
    outcome = muted_outcome()
    events = {e["finding_info"]["uid"]: e for e in json.loads(render(outcome.report, "ocsf", mutes=outcome))}
    for f in outcome.report.findings:
        e = events[f.uid]
        assert e["status_code"] == f.status.value
        assert e["severity_id"] == {"critical": 5, "high": 4, "medium": 3, "low": 2, "informational": 1}[f.severity]
        assert e["status_id"] == (3 if f.muted else 1)
        assert e["finding_info"]["analytic"]["uid"] == f.check_id == e["metadata"]["event_code"]
        assert e["resources"][0]["uid"] == f.resource_uid
        assert e["cloud"] == {
            "provider": "aws",
            "region": f.region,
            "account": {"uid": f.account, "name": f.account, "type_id": 10, "type": "AWS Account"},
        }
        assert e["unmapped"]["compliance"] == f.compliance
        assert [a.get("sub_technique", a["technique"])["uid"] for a in e["finding_info"].get("attacks", [])] == f.attack
        assert ("evidences" in e) == bool(f.evidence)
        assert e["time"] == int(outcome.report.scan.started_at.timestamp() * 1000)
    muted_by_entry = [e for e in events.values() if "mute" in e["unmapped"]]
    assert muted_by_entry and all(e["unmapped"]["mute"]["entry"] == "dev" for e in muted_by_entry)


def test_ocsf_attacks_carry_atlas_names_and_tactics() -> None:
    report = make_report([make_finding(attack=["AML.T0010.002", "AML.T0035", "AML.T9999"])])
    (event,) = json.loads(render(report, "ocsf"))
    data, collection, unknown = event["finding_info"]["attacks"]
    assert data["technique"] == {
        "uid": "AML.T0010",
        "name": "AI Supply Chain Compromise",
        "src_url": "https://atlas.mitre.org/techniques/AML.T0010",
    }
    assert data["sub_technique"]["uid"] == "AML.T0010.002" and data["sub_technique"]["name"] == "Data"
    assert data["tactic"]["uid"] == "AML.TA0004" and data["tactic"]["name"] == "Initial Access"
    assert collection["technique"]["name"] == "AI Artifact Collection" and "sub_technique" not in collection
    assert unknown["technique"] == {"uid": "AML.T9999", "name": "AML.T9999", "src_url": unknown["technique"]["src_url"]}


def test_ocsf_has_one_detection_finding_per_risk_after_the_findings() -> None:
    from py_ocsf_models.events.findings.detection_finding import DetectionFinding

    report = risky_report()
    assert report.risks
    events = json.loads(render(report, "ocsf"))
    assert len(events) == len(report.findings) + len(report.risks)
    risk_events = events[len(report.findings) :]
    for risk, event in zip(report.risks, risk_events, strict=True):
        dumped = DetectionFinding.model_validate(event).model_dump(mode="json", exclude_none=True)
        assert _paths(event, skip={"unmapped", "data"}) <= _paths(dumped, skip={"unmapped", "data"})
        info = event["finding_info"]
        assert (info["uid"], info["title"], event["metadata"]["event_code"]) == (
            risk.id,
            risk.title,
            f"risk.{risk.kind}",
        )
        assert [e["uid"] for e in info["related_events"]] == risk.findings
        assert [r["uid"] for r in event["resources"]] == risk.path.nodes
        assert (event["risk_score"], event["risk_level_id"]) == (
            round(risk.score),
            {"critical": 4, "high": 3, "medium": 2, "low": 1}[risk.severity],
        )
        assert event["remediation"]["desc"] == risk.fix.action
        assert event["unmapped"]["risk"]["path"]["edges"] == [e.model_dump(mode="json") for e in risk.path.edges]
    assert json.loads(render(report.model_copy(update={"risks": None}), "ocsf")) == events[: len(report.findings)]


# ---------------------------------------------------------------------------------------------
# ASFF
# ---------------------------------------------------------------------------------------------


def test_asff_matches_the_batch_import_findings_input_shape() -> None:
    outcome = muted_outcome()
    findings = json.loads(render(outcome.report, "asff", mutes=outcome))
    assert len(findings) == len(outcome.report.findings)
    shape = boto3.session.Session().client("securityhub", region_name="us-east-1").meta.service_model
    input_shape = shape.operation_model("BatchImportFindings").input_shape
    for start in range(0, len(findings), 100):
        report = ParamValidator().validate({"Findings": findings[start : start + 100]}, input_shape)
        assert not report.has_errors(), report.generate_report()
    for f in findings:
        assert f["SchemaVersion"] == "2018-10-08"
        assert (
            f["ProductArn"]
            == f"arn:aws:securityhub:{f['Region']}:{f['AwsAccountId']}:product/{f['AwsAccountId']}/default"
        )
        assert len(f["Title"]) <= 256 and len(f["Description"]) <= 1024
        assert f["Compliance"]["Status"] in {"PASSED", "FAILED", "NOT_AVAILABLE"}
    suppressed = [f for f in findings if f["Workflow"]["Status"] == "SUPPRESSED"]
    assert len(suppressed) == outcome.report.summary.muted
    assert any(f.get("Note", {}).get("Text", "").startswith("muted by dev:") for f in suppressed)


@mock_aws
def test_asff_imports_into_security_hub() -> None:
    report = make_report(
        [
            make_finding(status=Status.FAIL, severity=Severity.CRITICAL),
            make_finding("aws.s3.other", bucket_arn("b2"), status=Status.PASS, region="global"),
        ]
    )
    findings = json.loads(render(report, "asff"))
    client = boto3.client("securityhub", region_name="us-east-1")
    result = client.batch_import_findings(Findings=findings)
    assert result["FailedCount"] == 0 and result["SuccessCount"] == 2
    stored = client.get_findings()["Findings"]
    assert {f["Id"] for f in stored} == {f["Id"] for f in findings}
    assert {f["Region"] for f in findings} == {"us-east-1"}  # "global" maps to the scanned region


def test_asff_is_empty_for_other_clouds() -> None:
    report = make_report([make_finding(account="sub-1")], provider="azure")
    assert json.loads(render(report, "asff")) == []


def test_asff_truncates_to_security_hub_limits() -> None:
    report = make_report([make_finding(title="t" * 400, message="m" * 2000)])
    (finding,) = json.loads(render(report, "asff"))
    assert len(finding["Title"]) == 256 and finding["Title"].endswith("…")
    assert len(finding["Description"]) == 1024


# ---------------------------------------------------------------------------------------------
# SARIF
# ---------------------------------------------------------------------------------------------


def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((SCHEMAS / "sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def test_sarif_validates_against_the_schema() -> None:
    outcome = muted_outcome()
    log = json.loads(render(outcome.report, "sarif", mutes=outcome))
    errors = sorted(sarif_validator().iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert log["version"] == "2.1.0"


def test_sarif_results() -> None:
    outcome = muted_outcome()
    report = outcome.report
    (run,) = json.loads(render(report, "sarif", mutes=outcome))["runs"]
    results = run["results"]
    assert len(results) == sum(1 for f in report.findings if f.status is not Status.PASS)
    rules = run["tool"]["driver"]["rules"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        if r["kind"] == "fail":
            assert r["level"] in {"error", "warning", "note"}
        else:
            assert (r["kind"], r["level"]) == ("open", "none")
        assert r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith("arn:aws:s3:::")
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("cloud/aws/")
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == sum(1 for f in report.findings if f.muted and f.status is not Status.PASS)
    assert any(r["suppressions"][0]["justification"].startswith("dev: ") for r in suppressed)
    by_rule = {r["id"]: r for r in rules}
    critical = next(f for f in report.findings if f.severity is Severity.CRITICAL and f.status is Status.FAIL)
    assert by_rule[critical.check_id]["properties"]["security-severity"] == "9.0"
    assert len(run["invocations"][0]["toolExecutionNotifications"]) == len(report.errors)
    assert run["invocations"][0]["executionSuccessful"] is False


def test_sarif_risks_are_results_with_the_path_as_a_code_flow() -> None:
    report = risky_report()
    assert report.risks
    log = json.loads(render(report, "sarif"))
    errors = sorted(sarif_validator().iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    risks = {r["partialFingerprints"]["cspmRiskId/v1"]: r for r in run["results"] if r["ruleId"].startswith("risk.")}
    assert set(risks) == {r.id for r in report.risks}
    for risk in report.risks:
        result = risks[risk.id]
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == f"risk.{risk.kind}"
        steps = result["codeFlows"][0]["threadFlows"][0]["locations"]
        assert [s["location"]["logicalLocations"][0]["fullyQualifiedName"] for s in steps] == risk.path.nodes
        assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == risk.path.nodes[0]
        assert result["properties"]["findings"] == risk.findings and risk.fix.action in result["message"]["text"]
    unresolved = [s for r in risks.values() for s in r["codeFlows"][0]["threadFlows"][0]["locations"]
                  if "unresolved" in s["location"]["message"]["text"]]  # fmt: skip
    assert len(unresolved) == 1 and UNRESOLVED_REASON in unresolved[0]["location"]["message"]["text"]
    mutable = next(r for r in rules if r["id"] == "risk.mutable_image_in_production")
    assert mutable["properties"]["security-severity"] == "7.0"  # its most severe risk is high


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def test_csv_is_rfc_4180() -> None:
    outcome = muted_outcome()
    text = render(outcome.report, "csv", mutes=outcome)
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["finding_uid", "check_id", "title", "status"]
    assert len(body) == len(outcome.report.findings)
    assert all(len(r) == len(header) for r in body)
    tricky = next(dict(zip(header, r, strict=True)) for r in body if r[1] == "aws.s3.tricky_check")
    assert tricky["title"] == TRICKY  # commas, quotes and the newline survive quoting
    assert tricky["message"].startswith("'=HYPERLINK")  # formula cells are defused
    assert json.loads(tricky["evidence"]) == {"note": TRICKY}
    muted = [dict(zip(header, r, strict=True)) for r in body if r[4] == "true"]
    assert len(muted) == outcome.report.summary.muted
    assert any(m["muted_by"] == f"dev: dev buckets are scratch {BY_TAGS_NOTE}" for m in muted)
    compliant = next(dict(zip(header, r, strict=True)) for r in body if r[16])
    assert compliant["compliance"] == "aws-fsbp:S3.8|nist-800-53-r5:AC-3|nist-800-53-r5:SC-7"


# ---------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------


def test_parse_formats() -> None:
    assert parse_formats(["json,sarif", "HTML", "json"]) == ["json", "sarif", "html"]
    with pytest.raises(UsageError, match="unknown format pdf; valid: json, ocsf, asff, sarif, csv, html, cyclonedx"):
        parse_formats(["json,pdf"])


def test_write_formats_writes_every_format_atomically(tmp_path: Path) -> None:
    report = varied_report()
    paths = write_formats(report, list(FORMATS), tmp_path / "out")
    assert [p.name for p in paths] == [s.filename for s in FORMATS.values()]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)  # no temp files
    assert json.loads(paths[0].read_text(encoding="utf-8")) == json.loads(report.to_json())


def test_write_formats_reports_an_unwritable_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="cannot write"):
        write_formats(varied_report(), ["csv"], blocker / "out")


# ---------------------------------------------------------------------------------------------
# Findings muted by a tag condition (issue 11): marked in every format that shows mutes
# ---------------------------------------------------------------------------------------------


def _tag_and_name_mutes():
    report = varied_report()
    mutelist = parse_mutelist(
        "mutes:\n  - {id: by-tag, reason: dev buckets, tags: {env: dev}}\n"
        "  - {id: by-check, reason: accepted, checks: ['aws.s3.tricky_check']}\n",
        source="mutes.yaml",
    )
    outcome = evaluate_mutelist(report, mutelist, report.scan.started_at)
    by_entry = {f.muted_by.entry for f in outcome.report.findings if f.muted_by is not None}
    assert by_entry == {"by-tag", "by-check"}, "the report has a finding muted each way"
    return outcome


def test_tag_muted_findings_are_marked_in_the_report() -> None:
    outcome = _tag_and_name_mutes()
    marks = {f.muted_by.entry: f.muted_by.by_tags for f in outcome.report.findings if f.muted_by is not None}
    assert marks == {"by-tag": True, "by-check": False}
    findings = json.loads(render(outcome.report, "json"))["findings"]
    assert {f["muted_by"]["entry"]: f["muted_by"]["by_tags"] for f in findings if f["muted_by"]} == marks


@pytest.mark.parametrize("fmt", ["csv", "sarif", "asff", "ocsf", "html"])
def test_tag_muted_findings_are_marked_in_every_format(fmt: str) -> None:
    outcome = _tag_and_name_mutes()
    for mutes in (outcome, None):  # live, and a report read back from disk (no MuteOutcome)
        text = render(outcome.report, fmt, mutes=mutes)
        if fmt == "ocsf":
            events = [e["unmapped"]["mute"] for e in json.loads(text) if "mute" in e["unmapped"]]
            assert {(m["entry"], m["by_tags"]) for m in events} == {("by-tag", True), ("by-check", False)}
        elif fmt == "html":
            assert '"mutes":[["by-tag","dev buckets",null,true],["by-check","accepted",null,false]]' in text
        else:  # SARIF keeps FAIL results only: at least one tag-muted finding in every format
            assert f"by-tag: dev buckets {BY_TAGS_NOTE}" in text
            assert "by-check: accepted" in text and f"by-check: accepted {BY_TAGS_NOTE}" not in text
