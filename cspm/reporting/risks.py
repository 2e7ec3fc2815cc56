"""Risks for people: the ranked attack paths of a report (``cspm risks``, the terminal summary).

- On a terminal: one block per risk (rank, severity and score, the title; the path from entry
  to impact; the fix; the factors of the score; the id), wrapped to the width, never cut: an id
  or ARN longer than the line folds onto the next one.
- Plain (piped, or a summary redirected to a file): the same lines unwrapped; ``cspm risks``
  writes one tab-separated line per risk instead, for grep, cut and awk.
- A terminal whose encoding is not UTF-8 gets ASCII arrows and marks (``->``, ``x``).

An unresolved edge of a path is never dropped: the path shows ``✗`` (``x``) where it crosses it,
and a line names the edge and why it could not be resolved. Every string from the report goes
through :func:`~cspm.reporting.safe.safe_text` into Rich ``Text`` (never markup).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from cspm.reporting.safe import ASCII_MARKS, marks, safe_text

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from cspm.models import LineageEdge, LineageNode, Risk, ScanReport

SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan"}
TSV_COLUMNS = ("rank", "score", "severity", "kind", "id", "title", "fix_check_id", "fix_resource_uid", "path")


def glyphs(console: Console) -> Mapping[str, str]:
    """Arrows and marks the console's encoding can show."""
    return marks(console.encoding)


def node_label(node_id: str, nodes: Mapping[str, LineageNode]) -> str:
    """``bucket public-data``: the kind and name of a lineage node; for a principal of an escalation
    path (not a lineage node), the kind and name its ARN gives."""
    from cspm.lineage import label

    node = nodes.get(node_id)
    if node is not None:
        return f"{label(node.type)} {node.name}"
    for kind in ("role", "user", "group"):
        if f":{kind}/" in node_id:
            return f"{kind} {node_id.rsplit('/', 1)[-1]}"
    return node_id


def path_line(risk: Risk, nodes: Mapping[str, LineageNode], g: Mapping[str, str]) -> str:
    """The path in one line, entry to impact; ``✗`` marks where it crosses an unresolved edge."""
    parts = [node_label(risk.path.nodes[0], nodes)] if risk.path.nodes else []
    for index, node_id in enumerate(risk.path.nodes[1:]):
        edge = risk.path.edges[index] if index < len(risk.path.edges) else None
        mark = g["arrow"] if edge is None or edge.resolved else f"{g['cross']}{g['arrow']}"
        parts.append(f"{mark} {node_label(node_id, nodes)}")
    return safe_text(" ".join(parts))


def unresolved_lines(risk: Risk, nodes: Mapping[str, LineageNode], g: Mapping[str, str]) -> list[str]:
    return [
        safe_text(f"{g['cross']} unresolved: {_edge_label(e, nodes, g)}: {e.reason or 'no reason recorded'}")
        for e in risk.path.edges
        if not e.resolved
    ]


def _edge_label(edge: LineageEdge, nodes: Mapping[str, LineageNode], g: Mapping[str, str]) -> str:
    return f"{node_label(edge.source, nodes)} {g['arrow']} {node_label(edge.target, nodes)} ({edge.relation})"


def factors_line(risk: Risk, g: Mapping[str, str]) -> str:
    parts = [
        f"{name.replace('_', ' ')} {factor.value} {factor.contribution:+g}"
        for name, factor in risk.factors.items()
        if factor.contribution or name != "uncertainty"
    ]
    parts.append(f"{len(risk.findings)} finding(s)")
    return safe_text(f" {g['dot']} ".join(parts))


def fix_line(risk: Risk) -> str:
    check = f" (check {risk.fix.check_id})" if risk.fix.check_id else ""
    return safe_text(f"{risk.fix.action}{check}")


def risk_rows(risk: Risk, nodes: Mapping[str, LineageNode], g: Mapping[str, str]) -> list[tuple[str, str]]:
    """The labelled lines of one risk's block, after its title."""
    rows = [("path", path_line(risk, nodes, g))]
    rows += [("", line) for line in unresolved_lines(risk, nodes, g)]
    rows += [("fix", fix_line(risk)), ("score", factors_line(risk, g)), ("id", safe_text(f"{risk.id} ({risk.kind})"))]
    return rows


def print_risks(
    console: Console,
    risks: Sequence[Risk],
    nodes: Mapping[str, LineageNode],
    *,
    plain: bool = False,
) -> None:
    """Each risk as a block: wrapped to the console (never cut) on a terminal, unwrapped when ``plain``."""
    from rich.table import Table
    from rich.text import Text

    g = glyphs(console)
    for rank, risk in enumerate(risks, 1):
        head = _head(risk)
        if plain:
            console.print(Text.assemble(f"{rank:>3} ", head), soft_wrap=True)
            for name, value in risk_rows(risk, nodes, g):
                console.print(Text(f"    {name + ':' if name else ' '} {value}"), soft_wrap=True)
            continue
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, style="dim", min_width=5)
        grid.add_column(overflow="fold", ratio=1)
        grid.add_row(Text(f"{rank:>3}"), head)
        for name, value in risk_rows(risk, nodes, g):
            style = "bold red" if value.startswith(g["cross"]) else ""
            grid.add_row(Text(name), Text(value, style=style))
        console.print(grid)
        console.print()


def _head(risk: Risk) -> Text:
    from rich.text import Text

    return Text.assemble(
        (f"{risk.severity.value} {risk.score:g}", SEVERITY_STYLE.get(risk.severity.value, "")),
        "  ",
        (safe_text(risk.title), "bold"),
    )


def tsv_lines(risks: Sequence[Risk], nodes: Mapping[str, LineageNode]) -> list[str]:
    """One tab-separated line per risk (columns :data:`TSV_COLUMNS`, no header); no value holds a
    tab or a newline (safe_text escapes them)."""
    out = []
    for rank, r in enumerate(risks, 1):
        values = (
            str(rank),
            f"{r.score:g}",
            r.severity.value,
            r.kind,
            r.id,
            r.title,
            r.fix.check_id or "",
            r.fix.resource_uid,
            path_line(r, nodes, ASCII_MARKS),
        )
        out.append("\t".join(safe_text(v) for v in values))
    return out


def lineage_nodes(report: ScanReport) -> dict[str, LineageNode]:
    return {n.id: n for n in report.lineage.nodes} if report.lineage is not None else {}
