"""CSV (RFC 4180): comma-separated, CRLF line ends, a header row, one row per finding.

Fields are quoted when they hold a comma, a quote or a line break (quotes doubled). Lists are
joined with ``|`` and compliance as ``framework:id|framework:id``; evidence is JSON. A cell
that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR)
gets a leading apostrophe (OWASP CSV injection guidance); no other value is changed.
"""

from __future__ import annotations

import csv
import io
import json

from cspm.reporting.formats import RenderContext

COLUMNS = (
    "finding_uid",
    "check_id",
    "title",
    "status",
    "muted",
    "muted_by",
    "severity",
    "baseline",
    "provider",
    "account",
    "region",
    "resource_uid",
    "resource_type",
    "resource_name",
    "message",
    "remediation",
    "compliance",
    "mitre_atlas",
    "evidence",
    "scan_id",
    "scan_time",
)
_FORMULA_START = frozenset("=+-@\t\r")


def render(ctx: RenderContext) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    scan = ctx.report.scan
    scan_time = scan.started_at.isoformat().replace("+00:00", "Z")
    for f in ctx.report.findings:
        mute = ctx.muted_by(f)
        row = (
            f.uid,
            f.check_id,
            f.title,
            f.status.value,
            "true" if f.muted else "false",
            mute.text if mute is not None else "",
            f.severity.value,
            f.baseline.value,
            f.cloud(scan.provider),
            f.account,
            f.region,
            f.resource_uid,
            f.resource_type,
            ctx.resource_name(f),
            f.message,
            f.remediation,
            "|".join(f"{fw}:{rid}" for fw, ids in sorted(f.compliance.items()) for rid in ids),
            "|".join(f.attack),
            json.dumps(f.evidence, ensure_ascii=False, sort_keys=True) if f.evidence else "",
            scan.id,
            scan_time,
        )
        writer.writerow([_safe(v) for v in row])
    return out.getvalue()


def _safe(value: str) -> str:
    return "'" + value if value and value[0] in _FORMULA_START else value
