"""Compliance views: frameworks as data files, and per-requirement results for a report.

A framework file (``cspm/compliance/data/<id>.yaml``) is stored in one direction only:
framework → requirement → check ids. A finding counts toward a requirement when the framework
file lists its check under it, or when the check's own metadata names that requirement
(``compliance={"aws-fsbp": ["S3.8"]}``, or ``attack=[...]`` for MITRE ATLAS): the check authors'
claim is honoured without copying it into the file. A claim naming a requirement the file lacks
is listed in the view's ``unknown_requirements``.

Requirement status, from the findings of its checks:

    FAIL          at least one unmuted FAIL
    ERROR         no FAIL, at least one finding could not be assessed
    PASS          only PASS findings (muted ones aside)
    MUTED         every finding is muted
    MANUAL        no findings, and the framework says a person must assess it
    NOT_ASSESSED  checks are mapped but the report has no findings for them
    NOT_COVERED   no check is mapped yet
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cspm.errors import UsageError
from cspm.models import Finding, ScanReport, Status
from cspm.suggest import unknown_choice

__all__ = [
    "ComplianceView",
    "Framework",
    "Requirement",
    "atlas_technique",
    "compliance_view",
    "framework_findings",
    "framework_ids",
    "load_framework",
    "render_text",
]

RequirementStatus = Literal["FAIL", "ERROR", "PASS", "MUTED", "MANUAL", "NOT_ASSESSED", "NOT_COVERED"]
STATUS_ORDER: tuple[RequirementStatus, ...] = (
    "FAIL",
    "ERROR",
    "PASS",
    "MUTED",
    "MANUAL",
    "NOT_ASSESSED",
    "NOT_COVERED",
)


class Requirement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    section: str | None = None
    manual: bool = False
    checks: tuple[str, ...] = ()
    tactics: tuple[str, ...] = ()  # MITRE ATLAS only


class Framework(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    version: str
    provider: Literal["aws", "azure", "gcp", "multi"]
    source: str
    mapping: Literal["compliance", "attack"] = "compliance"
    tactics: dict[str, str] = Field(default_factory=dict)
    requirements: tuple[Requirement, ...]

    def requirement(self, requirement_id: str) -> Requirement | None:
        return next((r for r in self.requirements if r.id == requirement_id), None)

    def claims(self, finding: Finding) -> list[str]:
        """The requirement ids a finding's own metadata names in this framework."""
        if self.mapping == "attack":
            return list(finding.attack)
        return finding.compliance.get(self.id, [])


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def _data_dir() -> resources.abc.Traversable:
    return resources.files("cspm.compliance").joinpath("data")


@cache
def framework_ids() -> tuple[str, ...]:
    return tuple(sorted(p.name.removesuffix(".yaml") for p in _data_dir().iterdir() if p.name.endswith(".yaml")))


@cache
def load_framework(framework_id: str) -> Framework:
    """A framework by id. Raises UsageError (exit 2) for an unknown id, naming the valid ones."""
    if framework_id not in framework_ids():
        raise unknown_choice("compliance framework", [framework_id], framework_ids())
    path = _data_dir().joinpath(f"{framework_id}.yaml")
    try:
        framework = Framework.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:  # a packaging bug; the meta-test catches it first
        raise UsageError(f"compliance data {framework_id}.yaml is invalid: {exc}") from exc
    if framework.id != framework_id:
        raise UsageError(f"compliance data {framework_id}.yaml declares id {framework.id}")
    return framework


def atlas_technique(technique_id: str) -> tuple[str | None, list[tuple[str, str]]]:
    """(name, [(tactic id, tactic name), ...]) of a MITRE ATLAS technique; name None when unknown."""
    atlas = load_framework("mitre-atlas")
    req = atlas.requirement(technique_id)
    if req is None:
        return None, []
    return req.title, [(t, atlas.tactics.get(t, t)) for t in req.tactics]


# ---------------------------------------------------------------------------------------------
# The view
# ---------------------------------------------------------------------------------------------


class CheckCounts(BaseModel):
    check_id: str
    passed: int = 0
    failed: int = 0
    errors: int = 0
    muted: int = 0


class RequirementView(BaseModel):
    id: str
    title: str
    section: str | None
    status: RequirementStatus
    manual: bool
    checks: list[CheckCounts]


class ComplianceView(BaseModel):
    framework: str
    name: str
    version: str
    scan_id: str
    provider: str
    totals: dict[str, int]
    requirements: list[RequirementView]
    unknown_requirements: dict[str, list[str]] = Field(
        default_factory=dict, description="check id -> requirement ids its findings name but the framework lacks"
    )


def compliance_view(report: ScanReport, framework: str | Framework) -> ComplianceView:
    """Per requirement: its checks with pass/fail/error/muted counts, and a status."""
    fw = framework if isinstance(framework, Framework) else load_framework(framework)
    findings = framework_findings(report, fw)
    counts = _count_by_check(findings)
    mapped, unknown = _mapping(fw, findings)
    views = []
    for req in fw.requirements:
        check_ids = sorted(set(req.checks) | mapped.get(req.id, set()))
        checks = [counts.get(c) or CheckCounts(check_id=c) for c in check_ids]
        views.append(
            RequirementView(
                id=req.id,
                title=req.title,
                section=req.section,
                status=_status(req, checks),
                manual=req.manual,
                checks=checks,
            )
        )
    totals = Counter(v.status for v in views)
    return ComplianceView(
        framework=fw.id,
        name=fw.name,
        version=fw.version,
        scan_id=report.scan.id,
        provider=report.scan.provider,
        totals={s: totals.get(s, 0) for s in STATUS_ORDER},
        requirements=views,
        unknown_requirements={k: sorted(v) for k, v in sorted(unknown.items())},
    )


def framework_findings(report: ScanReport, fw: Framework) -> list[Finding]:
    """The findings a framework judges: all of them for a multi-cloud framework; for a cloud's
    framework, that cloud's findings, also in a combined report (``aws+azure+gcp``). A report
    without that cloud is a usage error (exit 2), one line naming both."""
    if fw.provider == "multi":
        return list(report.findings)
    clouds = report.scan.provider.split("+")
    if fw.provider not in clouds:
        raise UsageError(
            f"framework {fw.id} is for {fw.provider}; the report is a {report.scan.provider} scan "
            f"with no {fw.provider} findings"
        )
    if len(clouds) == 1:
        return list(report.findings)
    return [f for f in report.findings if f.cloud(report.scan.provider) == fw.provider]


def _count_by_check(findings: Iterable[Finding]) -> dict[str, CheckCounts]:
    counts: dict[str, CheckCounts] = {}
    for f in findings:
        c = counts.setdefault(f.check_id, CheckCounts(check_id=f.check_id))
        if f.muted:
            c.muted += 1
        elif f.status is Status.PASS:
            c.passed += 1
        elif f.status is Status.FAIL:
            c.failed += 1
        else:
            c.errors += 1
    return counts


def _mapping(fw: Framework, findings: Iterable[Finding]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Requirement -> checks claimed by findings; and claims to requirements the file lacks."""
    known = {r.id for r in fw.requirements}
    mapped: dict[str, set[str]] = defaultdict(set)
    unknown: dict[str, set[str]] = defaultdict(set)
    seen: set[str] = set()
    for f in findings:
        if f.check_id in seen:
            continue
        seen.add(f.check_id)
        for req in fw.claims(f):
            if req in known:
                mapped[req].add(f.check_id)
            else:
                unknown[f.check_id].add(req)
    return mapped, unknown


def _status(req: Requirement, checks: list[CheckCounts]) -> RequirementStatus:
    failed = sum(c.failed for c in checks)
    errors = sum(c.errors for c in checks)
    passed = sum(c.passed for c in checks)
    muted = sum(c.muted for c in checks)
    if failed:
        return "FAIL"
    if errors:
        return "ERROR"
    if passed:
        return "PASS"
    if muted:
        return "MUTED"
    if req.manual:
        return "MANUAL"
    return "NOT_ASSESSED" if checks else "NOT_COVERED"


def render_text(view: ComplianceView, *, width: int = 100) -> str:
    """A plain-text table: one line per requirement, then its checks indented. Every string (the
    report's scan id, provider and check ids; the framework's titles) goes through ``safe_text``."""
    from cspm.reporting.safe import safe_text as t

    lines = [
        f"{t(view.name)} {t(view.version)} ({t(view.framework)}) · scan {t(view.scan_id)} · {t(view.provider)}",
        "  ".join(f"{k} {v}" for k, v in view.totals.items() if v),
        "",
    ]
    for req in view.requirements:
        title = req.title if len(req.title) <= width - 30 else req.title[: width - 31] + "…"
        lines.append(f"{req.status:<12} {t(req.id):<14} {t(title)}")
        for c in req.checks:
            lines.append(f"{'':<27} {t(c.check_id)}: pass {c.passed} fail {c.failed} error {c.errors} muted {c.muted}")
    if view.unknown_requirements:
        lines.append("")
        lines.append("Checks naming requirements this framework file lacks:")
        lines.extend(f"  {t(check)}: {t(', '.join(reqs))}" for check, reqs in view.unknown_requirements.items())
    return "\n".join(lines) + "\n"
