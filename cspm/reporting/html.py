"""A single self-contained HTML report: inline CSS and JS, the data embedded as JSON, no network.

The page (``templates/report.html`` + ``report.css`` + ``report.js``) shows scores per baseline,
findings with filters (status, muted, severity, baseline, check, account, region, resource),
sorting, search and pagination, a resource view, collection errors, expired mutelist entries,
and the AI lineage graph when the report has one. The overview leads with the top risks (the
report's ``risks``; for an older report without them, the failing findings ranked by severity x
AI-supply-chain relevance). The lineage graph is laid out by dagre (vendored, minified, in
``templates/vendor/``; docs/html-report.md) and drawn as SVG. A Content-Security-Policy forbids
every network fetch. It stays fast with 50,000+ findings: the data is compact (check metadata and
resources are stored once and referenced by index) and only one page of rows is in the DOM.

Embedded JSON is made safe for a ``<script>`` element by escaping ``<``, ``>`` and ``&``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from cspm.models import Finding, ResourceEntry, Status
from cspm.reporting.formats import RenderContext, short_name

STATUS_CODE = {Status.PASS: 0, Status.FAIL: 1, Status.ERROR: 2}
SCRIPTS = ("vendor/dagre.min.js", "graph.js", "report.js")  # concatenated, in this order, into one <script>
PRIORITY_LIMIT = 10  # checks the overview leads with when the report has no risks
# Services whose resources are AI workloads themselves (the second part of a resource type).
AI_SERVICES = frozenset({"sagemaker", "bedrock", "ml", "cognitiveservices", "aiplatform", "vertex"})
RISK_FIELDS = ("id", "kind", "title", "severity", "score", "factors", "path", "findings", "fix", "provider")


@cache
def _template(name: str) -> str:
    return resources.files("cspm.reporting").joinpath("templates", name).read_text(encoding="utf-8")


def render(ctx: RenderContext) -> str:
    data = json.dumps(payload(ctx), ensure_ascii=False, separators=(",", ":"))
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    scan = ctx.report.scan
    accounts = ", ".join(s.account for s in scan.scopes)
    title = f"cspm report · {scan.provider} {accounts} · {scan.started_at:%Y-%m-%d %H:%M} UTC"
    page = _template("report.html")
    # Replace the data last: nothing after it is scanned for placeholders.
    head, _, tail = page.partition("__DATA__")
    head = head.replace("__TITLE__", _escape(title)).replace("__CSS__", _template("report.css"))
    tail = tail.replace("__JS__", _scripts())
    return head + data + tail


@cache
def _scripts() -> str:
    """The vendored libraries, then the page's own script, as the body of one inline ``<script>``."""
    code = "\n;\n".join(_template(name) for name in SCRIPTS)
    lowered = code.lower()
    # Inside a <script> element these would end it early or change how it is parsed.
    if "</script" in lowered or "<!--" in lowered or "<script" in lowered:
        raise ValueError("a report script contains </script, <script or <!--: it cannot be inlined")
    return code


def payload(ctx: RenderContext) -> dict[str, Any]:
    """The compact data the page renders (documented in docs/formats.md)."""
    report = ctx.report
    variants: dict[tuple[Any, ...], int] = {}
    variant_rows: list[list[Any]] = []
    resource_index = {r.uid: i for i, r in enumerate(report.resources)}
    resource_rows = [_resource_row(r) for r in report.resources]
    mute_index: dict[str, int] = {}
    mute_rows: list[list[Any]] = []
    findings = []
    for f in report.findings:
        key = (f.check_id, f.title, f.severity, f.baseline, f.remediation, _freeze(f.compliance), tuple(f.attack))
        v = variants.get(key)
        if v is None:
            v = variants[key] = len(variant_rows)
            variant_rows.append(
                [f.check_id, f.title, f.severity.value, f.baseline.value, f.remediation, f.compliance, f.attack]
            )
        r = resource_index.get(f.resource_uid)
        if r is None:
            r = resource_index[f.resource_uid] = len(resource_rows)
            resource_rows.append(_orphan_row(f))
        findings.append(
            [
                v,
                r,
                STATUS_CODE[f.status],
                1 if f.muted else 0,
                f.message,
                f.evidence or 0,
                _mute(ctx, f, mute_index, mute_rows),
            ]
        )
    return {
        "meta": {
            "tool": report.tool.name,
            "version": report.tool.version,
            "schema_version": report.schema_version,
            "scan": report.scan.model_dump(mode="json"),
            "summary": report.summary.model_dump(mode="json", by_alias=True),
        },
        "variants": variant_rows,
        "resources": resource_rows,
        "findings": findings,
        "mutes": mute_rows,
        "expired": [[m.label, m.reason, m.expires] for m in ctx.expired_mutes],
        "errors": [[e.account, e.region, e.service, e.operation, e.code, e.message] for e in report.errors],
        "lineage": ctx.lineage_graph,
        "risks": _risks(ctx),
        "priorities": [] if ctx.risk_list else priorities(ctx),
    }


def _risks(ctx: RenderContext) -> list[dict[str, Any]] | None:
    """The report's risks (already ranked), with only the fields the page reads; ``None`` when the
    report has no ``risks`` section."""
    risks = ctx.risk_list
    if risks is None:
        return None
    return [{k: r.get(k) for k in RISK_FIELDS} for r in risks]


def priorities(ctx: RenderContext) -> list[list[Any]]:
    """What to fix first when the report has no risks (no section, or an empty one): per check,
    its most pressing failing finding, ``[finding index, relevance, why, how many more findings
    of the check fail]``, ranked by severity weight x AI-supply-chain relevance (never by how
    often a check fails; one entry per check, so one noisy check cannot fill the list).

    Relevance 3: the resource is a node of the AI lineage, or the finding's severity was raised
    because the resource is part of an AI supply chain; 2: the resource is an AI workload (its
    service is SageMaker, Bedrock, Azure ML / AI Services, Vertex AI); 1: anything else.
    """
    lineage = ctx.lineage_graph or {}
    in_chain = {str(n.get("id")) for n in lineage.get("nodes", ()) if isinstance(n, dict)}
    ranked = []
    for i, f in enumerate(ctx.report.findings):
        if f.status is not Status.FAIL or f.muted or not f.severity.weight:
            continue
        relevance, why = _relevance(f, in_chain)
        ranked.append((-(f.severity.weight * relevance), f.check_id, f.resource_uid, i, relevance, why))
    ranked.sort()
    first: dict[str, list[Any]] = {}
    for _, check_id, _, i, relevance, why in ranked:
        if check_id in first:
            first[check_id][3] += 1
        else:
            first[check_id] = [i, relevance, why, 0]
    return list(first.values())[:PRIORITY_LIMIT]


def _relevance(f: Finding, in_chain: set[str]) -> tuple[int, str]:
    if f.resource_uid in in_chain:
        return 3, "in the AI lineage"
    if isinstance(f.evidence, dict) and "ai_supply_chain" in f.evidence:
        return 3, "part of an AI supply chain"
    service = f.resource_type.split(".")[1] if f.resource_type.count(".") >= 2 else ""
    if service in AI_SERVICES:
        return 2, "an AI workload"
    return 1, ""


def _mute(ctx: RenderContext, f: Finding, index: dict[str, int], rows: list[list[Any]]) -> int:
    ref = ctx.muted_by(f)
    if ref is None:
        return -1
    i = index.get(ref.label)
    if i is None:
        i = index[ref.label] = len(rows)
        rows.append([ref.label, ref.reason, ref.expires, ref.by_tags])
    return i


def _resource_row(r: ResourceEntry) -> list[Any]:
    return [r.uid, r.name, r.type, r.account, r.region, r.tags, r.scores]


def _orphan_row(f: Finding) -> list[Any]:
    """A finding whose resource is not in ``resources`` (e.g. an unassessed scope)."""
    return [f.resource_uid, short_name(f.resource_uid), f.resource_type, f.account, f.region, {}, {}]


def _freeze(compliance: dict[str, list[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((k, tuple(v)) for k, v in sorted(compliance.items()))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
