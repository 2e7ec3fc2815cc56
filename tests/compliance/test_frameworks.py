"""Framework data files, the compliance view, the meta-test against the check catalog, and the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cspm.cli
from cspm.compliance import Framework, Requirement, atlas_technique, compliance_view, framework_ids, load_framework
from cspm.errors import UsageError
from cspm.models import Status
from cspm.registry import CLOUDS, FRAMEWORKS, load_checks
from support.report_factory import bucket_arn, make_finding, make_report

EXPECTED = {
    "aws-fsbp",
    "aws-ai-security",
    "cis-aws-5.0",
    "cis-azure-3.0",
    "cis-azure-5.0",
    "cis-gcp-5.0",
    "mitre-atlas",
    "nist-800-53-r5",
}


def test_every_framework_loads_and_is_well_formed() -> None:
    assert set(framework_ids()) == EXPECTED
    for fid in framework_ids():
        fw = load_framework(fid)
        ids = [r.id for r in fw.requirements]
        assert len(ids) == len(set(ids)), f"{fid}: duplicate requirement ids"
        assert all(r.title.strip() for r in fw.requirements)
        if fid != "mitre-atlas":
            assert fid in FRAMEWORKS, f"{fid} is not a compliance key checks can cite (cspm.registry.FRAMEWORKS)"
    assert len(load_framework("cis-aws-5.0").requirements) == 63
    atlas = load_framework("mitre-atlas")
    assert atlas.mapping == "attack"
    assert all(t in atlas.tactics for r in atlas.requirements for t in r.tactics)


def test_every_check_a_framework_names_exists() -> None:
    catalog = {spec.id for spec in load_checks(CLOUDS)}
    missing = {
        f"{fid} {r.id}: {check}"
        for fid in framework_ids()
        for r in load_framework(fid).requirements
        for check in r.checks
        if check not in catalog
    }
    assert not missing, sorted(missing)


def test_check_metadata_against_the_frameworks(compliance_drift: list[str]) -> None:
    """Reported, not failed: a check citing a requirement (or framework) the data files lack.

    The view already honours a check's own claim for requirements the file has (see
    cspm.compliance); a claim to a missing requirement shows up only under "unknown_requirements",
    so the report tells the maintainers of the data files what to add.
    """
    frameworks = {fid: load_framework(fid) for fid in framework_ids()}
    for spec in load_checks(CLOUDS):
        claims = dict(spec.compliance)
        claims["mitre-atlas"] = spec.attack
        for fid, requirement_ids in claims.items():
            fw = frameworks.get(fid)
            if fw is None:
                compliance_drift.append(f"{spec.id}: cites {fid}, which has no framework data file")
                continue
            for rid in requirement_ids:
                req = fw.requirement(rid)
                if req is None:
                    compliance_drift.append(f"{spec.id}: cites {fid} {rid}, which {fid}.yaml lacks")
    assert frameworks  # the drift itself is printed in the terminal summary


def test_atlas_names() -> None:
    assert atlas_technique("AML.T0010.002") == ("AI Supply Chain Compromise: Data", [("AML.TA0004", "Initial Access")])
    assert atlas_technique("AML.T0012")[1] == [("AML.TA0004", "Initial Access"), ("AML.TA0012", "Privilege Escalation")]
    assert atlas_technique("AML.T9999") == (None, [])


def test_unknown_framework() -> None:
    with pytest.raises(UsageError, match="unknown compliance framework pci; valid: aws-ai-security, aws-fsbp"):
        load_framework("pci")


# ---------------------------------------------------------------------------------------------
# The view
# ---------------------------------------------------------------------------------------------

FW = Framework(
    id="aws-fsbp",
    name="Test framework",
    version="1",
    provider="aws",
    source="test",
    requirements=(
        Requirement(id="R.fail", title="fails", checks=("c.fail", "c.pass")),
        Requirement(id="R.pass", title="passes", checks=("c.pass",)),
        Requirement(id="R.error", title="errors", checks=("c.error", "c.pass")),
        Requirement(id="R.muted", title="muted", checks=("c.muted",)),
        Requirement(id="R.manual", title="a person decides", manual=True),
        Requirement(id="R.manual_checked", title="manual but checked", manual=True, checks=("c.pass",)),
        Requirement(id="R.not_assessed", title="checks not run", checks=("c.absent",)),
        Requirement(id="R.claimed", title="mapped by the check itself"),
        Requirement(id="R.not_covered", title="no check yet"),
    ),
)


def view_report():
    return make_report(
        [
            make_finding("c.fail", bucket_arn("a"), compliance={}),
            make_finding("c.fail", bucket_arn("b"), status=Status.PASS, compliance={}),
            make_finding("c.pass", bucket_arn("a"), status=Status.PASS, compliance={}),
            make_finding("c.error", bucket_arn("a"), status=Status.ERROR, compliance={}),
            make_finding("c.muted", bucket_arn("a"), muted=True, compliance={}),
            make_finding("c.claims", bucket_arn("a"), compliance={"aws-fsbp": ["R.claimed", "R.nowhere"]}),
        ]
    )


def test_requirement_statuses_and_counts() -> None:
    view = compliance_view(view_report(), FW)
    status = {r.id: r.status for r in view.requirements}
    assert status == {
        "R.fail": "FAIL",
        "R.pass": "PASS",
        "R.error": "ERROR",
        "R.muted": "MUTED",
        "R.manual": "MANUAL",
        "R.manual_checked": "PASS",
        "R.not_assessed": "NOT_ASSESSED",
        "R.claimed": "FAIL",
        "R.not_covered": "NOT_COVERED",
    }
    fail = next(r for r in view.requirements if r.id == "R.fail")
    assert [(c.check_id, c.passed, c.failed, c.errors, c.muted) for c in fail.checks] == [
        ("c.fail", 1, 1, 0, 0),
        ("c.pass", 1, 0, 0, 0),
    ]
    assert view.unknown_requirements == {"c.claims": ["R.nowhere"]}
    assert view.totals["FAIL"] == 2 and view.totals["NOT_COVERED"] == 1


def test_atlas_view_uses_the_attack_ids() -> None:
    report = make_report([make_finding("aws.s3.x", attack=["AML.T0055", "AML.T0000"], compliance={})])
    view = compliance_view(report, "mitre-atlas")
    assert next(r for r in view.requirements if r.id == "AML.T0055").status == "FAIL"
    assert view.unknown_requirements == {"aws.s3.x": ["AML.T0000"]}


def test_a_framework_of_another_cloud_is_refused() -> None:
    with pytest.raises(
        UsageError, match=r"framework cis-azure-5\.0 is for azure; the report is a aws scan with no azure findings"
    ):
        compliance_view(view_report(), "cis-azure-5.0")


def test_compliance_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = make_report(
        [
            make_finding("aws.s3.bucket_is_not_public", compliance={"aws-fsbp": ["S3.2", "S3.3"]}),
            make_finding("aws.s3.bucket_mfa_delete_enabled", status=Status.PASS, compliance={}),
        ]
    )
    path = tmp_path / "report.json"
    path.write_text(report.to_json(), encoding="utf-8")
    assert cspm.cli.main(["compliance", "cis-aws-5.0", str(path)]) == 0
    out = capsys.readouterr().out
    assert "MANUAL       1.1" in out and "PASS         2.1.2" in out and "NOT_COVERED  1.3" in out
    assert cspm.cli.main(["compliance", "aws-fsbp", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    s3_2 = next(r for r in data["requirements"] if r["id"] == "S3.2")
    assert s3_2["status"] == "FAIL" and s3_2["checks"][0]["failed"] == 1
    assert cspm.cli.main(["compliance", "sox", str(path)]) == 2
    assert "unknown compliance framework sox" in capsys.readouterr().err
    assert cspm.cli.main(["compliance", "aws-fsbp", str(tmp_path / "none.json")]) == 2
    capsys.readouterr()
