"""SARIF 2.1.0 for code-scanning tools (GitHub code scanning and others).

One run; one rule per check that has a result. Results:

- FAIL → ``kind: fail`` with ``level`` error (critical, high), warning (medium) or note (low,
  informational), and ``properties.security-severity`` on the rule (9.0 / 7.0 / 4.0 / 2.0 / 0.0)
  so GitHub ranks them.
- A muted FAIL keeps its result with an external ``suppression`` (the mutelist reason).
- ERROR → ``kind: open`` (the tool could not decide), ``level: none``.
- PASS is left out (SARIF is for problems); collection errors become tool execution notifications.
- Each risk (docs/risks.md) is a result of the rule ``risk.<kind>``, located at the path's entry,
  with the path as a ``codeFlows`` thread flow (one location per node) and its score, factors,
  combined finding uids and fix in ``properties``; ``partialFingerprints`` carry the risk id.

Cloud resources are not files: each result names the resource in ``logicalLocations`` (its
ARN / resource id) and in a ``physicalLocation`` URI ``cloud/<provider>/<account>/<region>/<type>/<name>``
that code-scanning UIs require. ``partialFingerprints`` carry the stable finding uid.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from cspm.models import Finding, LineageNode, Risk, Severity, Status
from cspm.reporting.formats import RenderContext, short_name

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFORMATIONAL: "note",
}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.0",
    Severity.HIGH: "7.0",
    Severity.MEDIUM: "4.0",
    Severity.LOW: "2.0",
    Severity.INFORMATIONAL: "0.0",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._~@-]+")


def render(ctx: RenderContext) -> str:
    findings = [f for f in ctx.report.findings if f.status is not Status.PASS]
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in findings:
        if f.check_id not in rules:
            rules[f.check_id] = _rule(f, len(rules))
        results.append(_result(ctx, f, rules[f.check_id]["__index"]))
    for risk in ctx.report.risks or ():
        rule = rules.get(f"risk.{risk.kind}")
        if rule is None:
            rule = rules[f"risk.{risk.kind}"] = _risk_rule(risk, len(rules))
        elif risk.severity.rank > Severity(rule["properties"]["severity"]).rank:
            rule["properties"].update(_severity_properties(risk.severity))
            rule["defaultConfiguration"]["level"] = LEVEL[risk.severity]
        results.append(_risk_result(ctx, risk, rule["__index"]))
    scan = ctx.report.scan
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "cspm",
                "version": ctx.report.tool.version,
                "semanticVersion": ctx.report.tool.version,
                "informationUri": "https://github.com/cspm/cspm",
                "rules": [{k: v for k, v in r.items() if k != "__index"} for r in rules.values()],
            }
        },
        "automationDetails": {"id": f"cspm/{scan.provider}/{scan.id}"},
        "invocations": [
            {
                "executionSuccessful": scan.complete,
                "startTimeUtc": _utc(scan.started_at),
                "endTimeUtc": _utc(scan.finished_at),
                "toolExecutionNotifications": [_notification(e) for e in ctx.report.errors],
            }
        ],
        "results": results,
        "properties": {"scores": ctx.report.summary.scores, "scan_id": scan.id},
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, ensure_ascii=False, separators=(",", ":")) + "\n"


def _rule(f: Finding, index: int) -> dict[str, Any]:
    tags = [
        "security",
        f.baseline.value,
        *f.attack,
        *(f"{fw}:{rid}" for fw, ids in f.compliance.items() for rid in ids),
    ]
    return {
        "__index": index,
        "id": f.check_id,
        "name": "".join(part.capitalize() for part in f.check_id.rsplit(".", 1)[-1].split("_")),
        "shortDescription": {"text": f.title},
        "fullDescription": {"text": f.title},
        "help": {"text": f.remediation, "markdown": f"**Remediation:** {f.remediation}"},
        "defaultConfiguration": {"level": LEVEL[f.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[f.severity],
            "severity": f.severity.value,
            "baseline": f.baseline.value,
            "tags": tags,
            "precision": "high",
        },
    }


def _result(ctx: RenderContext, f: Finding, rule_index: int) -> dict[str, Any]:
    failed = f.status is Status.FAIL
    result: dict[str, Any] = {
        "ruleId": f.check_id,
        "ruleIndex": rule_index,
        "kind": "fail" if failed else "open",
        "level": LEVEL[f.severity] if failed else "none",
        "message": {"text": f.message or f.title},
        "locations": [_location(ctx, f)],
        "partialFingerprints": {"cspmFindingUid/v1": f.uid},
        "properties": {
            "status": f.status.value,
            "severity": f.severity.value,
            "account": f.account,
            "region": f.region,
            "resource_type": f.resource_type,
            "compliance": f.compliance,
            "attack": f.attack,
            "evidence": f.evidence,
        },
    }
    if f.muted:
        mute = ctx.muted_by(f)
        justification = mute.text if mute is not None else "muted"
        result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": justification}]
    return result


def _location(ctx: RenderContext, f: Finding) -> dict[str, Any]:
    return _cloud_location(
        [f.cloud(ctx.report.scan.provider), f.account, f.region, f.resource_type], f.resource_uid, ctx.resource_name(f)
    )


def _cloud_location(parts: list[str], uid: str, name: str) -> dict[str, Any]:
    """A resource as SARIF locations: the URI ``cloud/<provider>/<account>/<region>/<type>/<name>``
    (code-scanning UIs require a physical location) and its uid as the logical one."""
    uri = "cloud/" + "/".join(_UNSAFE.sub("_", p) or "_" for p in [*parts, name])
    return {
        "physicalLocation": {"artifactLocation": {"uri": uri}},
        "logicalLocations": [{"fullyQualifiedName": uid, "name": name, "kind": "resource"}],
    }


def _severity_properties(severity: Severity) -> dict[str, str]:
    return {"security-severity": SECURITY_SEVERITY[severity], "severity": severity.value}


def _risk_rule(risk: Risk, index: int) -> dict[str, Any]:
    """One rule per kind of risk (``risk.<kind>``), ranked by its most severe risk."""
    from cspm.risks import KINDS

    summary = next((k.summary for k in KINDS if k.kind == risk.kind), risk.kind.replace("_", " "))
    return {
        "__index": index,
        "id": f"risk.{risk.kind}",
        "name": "Risk" + "".join(part.capitalize() for part in risk.kind.split("_")),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": f"{summary}: failing findings joined along the AI lineage (docs/risks.md)."},
        "help": {"text": "Apply the risk's fix (properties.fix.action): it breaks the path."},
        "defaultConfiguration": {"level": LEVEL[risk.severity]},
        "properties": {**_severity_properties(risk.severity), "tags": ["security", "risk", "attack-path"]},
    }


def _risk_result(ctx: RenderContext, risk: Risk, rule_index: int) -> dict[str, Any]:
    """A risk as a result: located at its entry, its path as a code flow (one thread-flow location
    per node, an unresolved edge said in the next location's message)."""
    from cspm.reporting.risks import lineage_nodes

    nodes = lineage_nodes(ctx.report)
    steps = []
    for index, node_id in enumerate(risk.path.nodes):
        edge = risk.path.edges[index - 1] if 0 < index <= len(risk.path.edges) else None
        text = node_id if edge is None else f"{edge.relation}: {node_id}"
        if edge is not None and not edge.resolved:
            text += f" (unresolved: {edge.reason})"
        steps.append({"location": {**_node_location(ctx, node_id, nodes), "message": {"text": text}}})
    return {
        "ruleId": f"risk.{risk.kind}",
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": LEVEL[risk.severity],
        "message": {"text": f"{risk.title}. Fix: {risk.fix.action}"},
        "locations": [_node_location(ctx, risk.path.nodes[0], nodes)] if risk.path.nodes else [],
        "codeFlows": [{"threadFlows": [{"locations": steps}]}] if steps else [],
        "partialFingerprints": {"cspmRiskId/v1": risk.id},
        "properties": risk.model_dump(mode="json", include={"score", "severity", "factors", "findings", "fix", "path"}),
    }


def _node_location(ctx: RenderContext, node_id: str, nodes: Mapping[str, LineageNode]) -> dict[str, Any]:
    node = nodes.get(node_id)
    if node is None:  # a principal of an escalation path
        return _cloud_location(["aws", "_", "global", "aws.iam.principal"], node_id, short_name(node_id))
    return _cloud_location(
        [node.type.split(".", 1)[0], node.account or "_", node.region or "global", node.type], node_id, node.name
    )


def _notification(e: Any) -> dict[str, Any]:
    return {
        "level": "warning",
        "message": {"text": f"{e.service} {e.operation} failed in {e.account}/{e.region}: {e.code}: {e.message}"},
        "descriptor": {"id": f"{e.service}.{e.operation}"},
        "properties": {"code": e.code, "account": e.account, "region": e.region},
    }


def _utc(moment: Any) -> str:
    return str(moment.isoformat().replace("+00:00", "Z"))
