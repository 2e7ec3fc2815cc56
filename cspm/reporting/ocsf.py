"""OCSF: one Detection Finding (class 2004) per finding, then one per risk (docs/risks.md),
schema version 1.5.0 (pinned, released).

A JSON array of events. Mapping choices:

- ``finding_info.uid`` is the finding's stable uid; ``finding_info.analytic`` and
  ``metadata.event_code`` name the check;
  ``finding_info.attacks`` carries the MITRE ATLAS technique (and sub-technique, tactics).
- ``status_code`` is PASS / FAIL / ERROR; ``status_id`` is New (1), or Suppressed (3) when muted.
- Detection Finding has no ``compliance`` attribute: compliance ids, the baseline, the scan id and
  the mutelist entry go into ``unmapped`` (as Prowler does).
- Times are epoch milliseconds (``time``) with the RFC 3339 twin (``time_dt``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from cspm.models import Finding, LineageNode, Risk, Severity, Status
from cspm.reporting.formats import RenderContext, aws_partition

OCSF_VERSION = "1.5.0"
CLASS_UID = 2004
CATEGORY_UID = 2
ACTIVITY_CREATE = 1
SEVERITY_ID = {
    Severity.INFORMATIONAL: 1,
    Severity.LOW: 2,
    Severity.MEDIUM: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}
STATUS_NEW, STATUS_SUPPRESSED = 1, 3
# OCSF risk_level_id: 0 Info, 1 Low, 2 Medium, 3 High, 4 Critical.
RISK_LEVEL_ID = {
    Severity.INFORMATIONAL: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}
# OCSF account.type_id: 10 AWS Account; 99 Other (named in account.type) for the others.
ACCOUNT_TYPE = {"aws": (10, "AWS Account"), "azure": (99, "Azure Subscription"), "gcp": (99, "GCP Project")}
ATLAS_URL = "https://atlas.mitre.org/techniques/"


def render(ctx: RenderContext) -> str:
    return "".join(render_chunks(ctx))


def render_chunks(ctx: RenderContext) -> Iterator[str]:
    """The JSON array, one event at a time (written as it is produced: 50,000 events never sit in memory).

    Each event is spliced from JSON fragments: what every finding of a check shares is encoded once.
    """
    scan = ctx.report.scan
    time_ms = int(scan.started_at.timestamp() * 1000)
    common = _dumps_inner(
        {
            "activity_id": ACTIVITY_CREATE,
            "activity_name": "Create",
            "category_uid": CATEGORY_UID,
            "category_name": "Findings",
            "class_uid": CLASS_UID,
            "class_name": "Detection Finding",
            "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
            "type_name": "Detection Finding: Create",
            "time": time_ms,
            "time_dt": scan.started_at.isoformat(),
        }
    )
    product = {
        "name": ctx.report.tool.name,
        "uid": ctx.report.tool.name,
        "vendor_name": ctx.report.tool.name,
        "version": ctx.report.tool.version,
    }
    shared: dict[tuple[Any, ...], tuple[str, str]] = {}
    places: dict[tuple[str, str, str], str] = {}  # the resource and cloud members, per resource
    yield "["
    for n, f in enumerate(ctx.report.findings):
        key = (f.check_id, f.title, f.severity, f.baseline, f.remediation, f.muted, tuple(f.attack), _freeze(f))
        parts = shared.get(key)
        if parts is None:
            parts = shared[key] = _per_check(ctx, f, product, time_ms, scan.started_at.isoformat())
        top, info = parts
        where = (f.resource_uid, f.account, f.region)
        place = places.get(where)
        if place is None:
            place = places[where] = _dumps_inner(
                {"resources": [_resource(ctx, f)], "cloud": _cloud(f, f.cloud(scan.provider))}
            )
        variable = _dumps_inner(_variable(ctx, f))
        finding_info = '{"uid":' + json.dumps(f.uid) + "," + info + "}"
        separator = ",\n" if n else ""
        yield (
            separator
            + "{"
            + common
            + ","
            + top
            + ","
            + place
            + ","
            + variable
            + ',"finding_info":'
            + finding_info
            + "}"
        )
    for index, risk in enumerate(ctx.report.risks or ()):
        separator = ",\n" if ctx.report.findings or index else ""
        yield separator + "{" + common + "," + _dumps_inner(_risk_event(ctx, risk, product, time_ms)) + "}"
    yield "]\n"


def _risk_event(ctx: RenderContext, risk: Risk, product: dict[str, str], time_ms: int) -> dict[str, Any]:
    """One Detection Finding per risk (docs/risks.md): ``finding_info.related_events`` are the
    findings it combines, ``resources`` the path's nodes, ``risk_score`` / ``risk_level`` its
    score and severity, ``remediation`` the one fix; the path's edges and the score's factors go
    into ``unmapped.risk``."""
    from cspm.reporting.risks import lineage_nodes

    nodes = lineage_nodes(ctx.report)
    placed = [nodes[i] for i in risk.path.nodes if i in nodes and nodes[i].account]
    account = placed[0].account if placed else (ctx.report.scan.scopes[0].account if ctx.report.scan.scopes else "")
    region = next((n.region for n in placed if n.region), "global")
    type_id, type_name = ACCOUNT_TYPE.get(risk.provider, (99, "Other"))
    analytic = f"risk.{risk.kind}"
    return {
        "severity_id": SEVERITY_ID[risk.severity],
        "severity": risk.severity.value.capitalize(),
        "status_id": STATUS_NEW,
        "status": "New",
        "status_code": "FAIL",
        "message": risk.title,
        "metadata": {
            "event_code": analytic,
            "product": product,
            "profiles": ["cloud", "datetime"],
            "version": OCSF_VERSION,
        },
        "risk_score": round(risk.score),
        "risk_level_id": RISK_LEVEL_ID[risk.severity],
        "risk_level": risk.severity.value.capitalize(),
        "risk_details": risk.title,
        "remediation": {"desc": risk.fix.action},
        "resources": [_path_resource(node_id, nodes) for node_id in risk.path.nodes],
        "cloud": {
            "provider": risk.provider,
            "region": region,
            "account": {"uid": account, "name": account, "type_id": type_id, "type": type_name},
        },
        "finding_info": {
            "uid": risk.id,
            "title": risk.title,
            "types": ["risk", risk.kind],
            "created_time": time_ms,
            "analytic": {"uid": analytic, "name": risk.kind, "type_id": 1, "type": "Rule", "category": "risk"},
            "related_events": [
                {"uid": uid, "type": "Detection Finding", "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE}
                for uid in risk.findings
            ],
        },
        "unmapped": {
            "risk": risk.model_dump(mode="json", include={"kind", "score", "factors", "path", "fix"}),
            "scan_id": ctx.report.scan.id,
            "provider": risk.provider,
        },
    }


def _path_resource(node_id: str, nodes: Mapping[str, LineageNode]) -> dict[str, Any]:
    node = nodes.get(node_id)
    if node is None:  # a principal of an escalation path
        return {"uid": node_id, "name": node_id.rsplit("/", 1)[-1], "type": "aws.iam.principal"}
    out: dict[str, Any] = {"uid": node.id, "name": node.name, "type": node.type}
    if node.region:
        out["region"] = node.region
    return out


def _dumps_inner(obj: dict[str, Any]) -> str:
    """The members of a JSON object without its braces, to splice into a larger object."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))[1:-1]


def _freeze(f: Finding) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((k, tuple(v)) for k, v in sorted(f.compliance.items()))


def _per_check(ctx: RenderContext, f: Finding, product: dict[str, str], time_ms: int, time_dt: str) -> tuple[str, str]:
    """(top-level members, finding_info members) that every finding of this check variant shares."""
    top = {
        "severity_id": SEVERITY_ID[f.severity],
        "severity": f.severity.value.capitalize(),
        "status_id": STATUS_SUPPRESSED if f.muted else STATUS_NEW,
        "status": "Suppressed" if f.muted else "New",
        "metadata": {
            "event_code": f.check_id,
            "product": product,
            "profiles": ["cloud", "datetime"],
            "version": OCSF_VERSION,
        },
        "remediation": {"desc": f.remediation},
    }
    if ctx.mutes is None or not f.muted:  # with a mutelist entry, "unmapped" is built per finding
        top["unmapped"] = _unmapped(ctx, f)
    info: dict[str, Any] = {
        "title": f.title,
        "types": [f.baseline.value],
        "created_time": time_ms,
        "created_time_dt": time_dt,
        "analytic": {"uid": f.check_id, "name": f.check_id, "type_id": 1, "type": "Rule", "category": f.baseline.value},
    }
    if f.attack:
        info["attacks"] = [_attack(t) for t in f.attack]
    return _dumps_inner(top), _dumps_inner(info)


def _unmapped(ctx: RenderContext, f: Finding) -> dict[str, Any]:
    unmapped: dict[str, Any] = {
        "baseline": f.baseline.value,
        "compliance": f.compliance,
        "muted": f.muted,
        "scan_id": ctx.report.scan.id,
        "provider": f.cloud(ctx.report.scan.provider),
    }
    mute = ctx.muted_by(f)
    if mute is not None:
        unmapped["mute"] = mute.as_dict()
    return unmapped


def _variable(ctx: RenderContext, f: Finding) -> dict[str, Any]:
    event: dict[str, Any] = {"status_code": f.status.value, "status_detail": f.message, "message": f.message}
    if f.evidence:
        event["evidences"] = [{"data": f.evidence}]
    if f.status is Status.FAIL and not f.muted:
        event["risk_details"] = f.title
    if ctx.mutes is not None and f.muted:
        event["unmapped"] = _unmapped(ctx, f)
    return event


@cache
def _attack(technique_id: str) -> dict[str, Any]:
    """An OCSF attack object for a MITRE ATLAS id; a sub-technique carries its parent as technique."""
    from cspm.compliance import atlas_technique

    name, tactics = atlas_technique(technique_id)
    attack: dict[str, Any] = {}
    if technique_id.count(".") == 2:  # AML.T0010.002: a sub-technique of AML.T0010
        parent = technique_id.rsplit(".", 1)[0]
        parent_name, parent_tactics = atlas_technique(parent)
        sub_name = name.split(": ", 1)[-1] if name else technique_id
        attack["technique"] = {"uid": parent, "name": parent_name or parent, "src_url": ATLAS_URL + parent}
        attack["sub_technique"] = {"uid": technique_id, "name": sub_name, "src_url": ATLAS_URL + technique_id}
        tactics = tactics or parent_tactics
    else:
        attack["technique"] = {"uid": technique_id, "name": name or technique_id, "src_url": ATLAS_URL + technique_id}
    if tactics:
        uid, tactic_name = tactics[0]
        attack["tactic"] = {"uid": uid, "name": tactic_name, "src_url": "https://atlas.mitre.org/tactics/" + uid}
    return attack


def _resource(ctx: RenderContext, f: Finding) -> dict[str, Any]:
    resource = ctx.resource(f)
    service = f.resource_type.split(".")[1] if f.resource_type.count(".") >= 2 else f.resource_type
    out: dict[str, Any] = {
        "uid": f.resource_uid,
        "name": ctx.resource_name(f),
        "type": f.resource_type,
        "region": f.region,
        "group": {"name": service},
    }
    if f.cloud(ctx.report.scan.provider) == "aws":
        out["cloud_partition"] = aws_partition(f.resource_uid)
    if resource is not None and resource.tags:
        out["labels"] = [f"{k}:{v}" for k, v in sorted(resource.tags.items())]
        out["data"] = {"tags": resource.tags}
    return out


def _cloud(f: Finding, provider: str) -> dict[str, Any]:
    type_id, type_name = ACCOUNT_TYPE.get(provider, (99, "Other"))
    return {
        "provider": provider,
        "region": f.region,
        "account": {"uid": f.account, "name": f.account, "type_id": type_id, "type": type_name},
    }
