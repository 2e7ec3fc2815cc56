"""The AI lineage of a report as a tree, Graphviz DOT or Mermaid (``cspm lineage``, the demo).

Rendering reads only the report (no cloud, no credentials). The tree starts at the resources
nothing else refers to (endpoints first) and follows each reference; unresolved references are
marked ``✗ unresolved`` with their reason (a dashed red edge in DOT and Mermaid). Nodes with
unmuted failing findings show their count and highest severity.

Every name, relation and reason comes from the report file (and, before it, from the scanned
account): the tree shows it through :func:`~cspm.reporting.safe.safe_text` as Rich ``Text`` (never
markup), and DOT and Mermaid quote the same safe text, so a control character, a newline or a
bidi override reaches neither the terminal nor the syntax of the graph file.

Errors (exit 2, one line): the file cannot be read, is not JSON, is not a cspm report, or has no
``lineage`` section (a report of another cloud, or of a cspm before the section existed).
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cspm.errors import UsageError
from cspm.reporting.safe import ASCII_MARKS, UNICODE_MARKS, safe_text

if TYPE_CHECKING:
    from rich.tree import Tree

    from cspm.models import Lineage, LineageEdge, LineageNode

FORMATS = ("tree", "dot", "mermaid")
_FILL = {"critical": "#f8c9c4", "high": "#fbe0c3", "medium": "#fdf3c4", "low": "#e3f1dc", "informational": "#eef3ff"}
_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "green", "informational": "blue"}


def load_lineage(path: Path) -> Lineage:
    """The ``lineage`` section of a report file; :class:`UsageError` (one line) when there is none."""
    from pydantic import ValidationError

    from cspm.inputs import one_line, parse_json, read_input
    from cspm.models import Lineage

    data = parse_json(read_input(path, "report"), str(path))
    if not isinstance(data, dict) or "schema_version" not in data or "findings" not in data:
        raise UsageError(f"{path} is not a cspm report (no schema_version and findings)")
    section = data.get("lineage")
    if section is None:
        raise UsageError(
            f"{path} has no lineage section: it is a report of another cloud, or was written by an older cspm"
        )
    try:
        return Lineage.model_validate(section)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = one_line(".".join(str(p) for p in first["loc"]))
        raise UsageError(f"{path} has a corrupt lineage section: {where}: {one_line(first['msg'], 300)}") from exc


# ---------------------------------------------------------------------------------------------
# Walking the graph
# ---------------------------------------------------------------------------------------------


class _Graph:
    def __init__(self, lineage: Lineage) -> None:
        self.nodes: dict[str, LineageNode] = {n.id: n for n in lineage.nodes}
        self.edges = lineage.edges
        self.out: dict[str, list[LineageEdge]] = defaultdict(list)
        incoming: set[str] = set()
        for edge in lineage.edges:
            self.out[edge.source].append(edge)
            incoming.add(edge.target)
        self.roots = sorted(
            (n for n in lineage.nodes if n.id not in incoming), key=lambda n: (_ROOT_ORDER.get(n.type, 9), n.name)
        )
        # Nodes in a cycle only (no root reaches them) are shown as roots too.
        reached = set(self._reachable(n.id for n in self.roots))
        self.roots += [n for n in lineage.nodes if n.id not in reached]

    def _reachable(self, starts: Iterator[str]) -> Iterator[str]:
        stack, seen = list(starts), set()
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            yield current
            stack.extend(e.target for e in self.out.get(current, ()))


_ROOT_ORDER = {
    "aws.sagemaker.endpoint": 0,
    "aws.sagemaker.endpoint_config": 1,
    "aws.sagemaker.model": 2,
    "aws.sagemaker.model_package": 3,
    "aws.sagemaker.training_job": 4,
    "aws.sagemaker.processing_job": 5,
    "aws.sagemaker.feature_group": 6,
    "aws.sagemaker.domain": 7,
    # Bedrock and AgentCore: what serves (throughputs, agents, runtimes) after the endpoints, then
    # models and jobs among SageMaker's
    "aws.bedrock.provisioned_throughput": 1,
    "aws.bedrock.agent": 1,
    "aws.bedrock_agentcore.runtime": 1,
    "aws.bedrock.custom_model": 2,
    "aws.bedrock.imported_model": 2,
    "aws.bedrock.customization_job": 4,
    "aws.bedrock.model_import_job": 4,
    "aws.bedrock.knowledge_base": 6,
    # Vertex AI (cspm.lineage_gcp)
    "gcp.vertex.endpoint": 0,
    "gcp.vertex.model": 2,
    "gcp.vertex.training_pipeline": 4,
    "gcp.vertex.custom_job": 4,
    "gcp.vertex.dataset": 6,
}


def _kind(node_type: str) -> str:
    from cspm.lineage import label

    return label(node_type)


def _risk(node: LineageNode) -> str:
    return f"{node.risk.value}: {node.fail} failing" if node.fail and node.risk is not None else ""


def _kind_safe(node_type: str) -> str:
    return safe_text(_kind(node_type))


def _summary(lineage: Lineage) -> str:
    unresolved = sum(1 for e in lineage.edges if not e.resolved)
    return f"AI lineage: {len(lineage.nodes)} nodes, {len(lineage.edges)} edges ({unresolved} unresolved)"


# ---------------------------------------------------------------------------------------------
# Tree
# ---------------------------------------------------------------------------------------------


class _AsciiBuffer(io.StringIO):
    encoding = "ascii"  # Rich reads it: ASCII tree guides


def render_tree(lineage: Lineage, width: int = 160, *, ascii_only: bool = False) -> str:
    """The lineage as an indented tree (plain text: no colour codes, safe to redirect). The tree is
    exported from a recording console that prints to a discarded buffer. ``ascii_only``: for a
    terminal that is not UTF-8, ASCII guides and marks (``+--``, ``->``, ``x``)."""
    from rich.console import Console
    from rich.text import Text
    from rich.tree import Tree

    if not lineage.nodes:
        return (
            "The report's lineage is empty: the scan found no SageMaker or Bedrock jobs, models, endpoints or agents.\n"
        )
    g = ASCII_MARKS if ascii_only else UNICODE_MARKS
    graph = _Graph(lineage)
    top = Tree(Text(_summary(lineage)))
    expanded: set[str] = set()
    for root in graph.roots:
        branch = top.add(_node_text(root, None, g))
        _grow(graph, root.id, branch, expanded, (root.id,), g)
    buffer = _AsciiBuffer() if ascii_only else io.StringIO()
    console = Console(width=width, color_system=None, force_terminal=False, record=True, file=buffer)
    console.print(top)
    return console.export_text()


def _grow(
    graph: _Graph, node_id: str, branch: Tree, expanded: set[str], path: tuple[str, ...], g: Mapping[str, str]
) -> None:
    expanded.add(node_id)
    for edge in sorted(graph.out.get(node_id, ()), key=lambda e: (e.relation, e.target)):
        target = graph.nodes.get(edge.target)
        if target is None:
            continue
        child = branch.add(_node_text(target, edge, g))
        if edge.target in path:
            child.add("(cycle)")
        elif edge.target in expanded and graph.out.get(edge.target):
            child.add("(shown above)")
        else:
            _grow(graph, edge.target, child, expanded, (*path, edge.target), g)


def _node_text(node: LineageNode, edge: LineageEdge | None, g: Mapping[str, str]) -> Any:
    from rich.text import Text

    text = Text()
    if edge is not None:
        text.append(f"{safe_text(edge.relation)} {g['arrow']} ", style="dim")
    text.append(f"{_kind_safe(node.type)} ", style="cyan")
    text.append(safe_text(node.name))
    if risk := _risk(node):
        text.append(f"  [{risk}]", style=_STYLE.get(node.risk.value if node.risk else "", ""))
    if node.dangerous_imports:  # an artifact read with --inspect-artifacts
        text.append(f"  {g['warn']} unsafe code: {safe_text(', '.join(node.dangerous_imports))}", style="bold red")
    elif node.sha256 and node.format:
        text.append(f"  ({safe_text(node.format)}, sha256 {node.sha256[:12]}{g['more']})", style="dim")
    if edge is not None and not edge.resolved:
        text.append(f"  {g['cross']} unresolved: {safe_text(edge.reason)}", style="bold red")
    return text


# ---------------------------------------------------------------------------------------------
# Graphviz DOT and Mermaid
# ---------------------------------------------------------------------------------------------


def _dot_quote(value: str) -> str:
    """A DOT string: control and bidi characters as visible escapes; ``\\``, ``"`` and newlines escaped."""
    lines = (safe_text(line).replace("\\", "\\\\").replace('"', '\\"') for line in value.split("\n"))
    return '"' + "\\n".join(lines) + '"'


def render_dot(lineage: Lineage) -> str:
    """Graphviz DOT: ``dot -Tsvg lineage.dot -o lineage.svg``."""
    lines = [
        "digraph lineage {",
        "  rankdir=LR;",
        f"  label={_dot_quote(_summary(lineage))};",
        '  node [shape=box, style="rounded,filled", fillcolor="#eef3ff", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for node in lineage.nodes:
        label = "\n".join(safe_text(p) for p in (_kind(node.type), node.name, _risk(node)) if p)
        attrs = {"label": label, "tooltip": node.id}
        if node.risk is not None and node.fail:
            attrs["fillcolor"] = _FILL[node.risk.value]
        if not node.in_inventory and node.type not in (
            "aws.s3.prefix",
            "aws.ecr.image",
            "aws.bedrock.foundation_model",
            "gcp.storage.prefix",
            "gcp.iam.service_agent",
        ):
            attrs["style"] = "rounded,dashed"
        lines.append(f"  {_dot_quote(node.id)} [{_dot_attrs(attrs)}];")
    for edge in lineage.edges:
        attrs = {"label": edge.relation, "tooltip": edge.api_field}
        if not edge.resolved:
            attrs |= {"label": f"{edge.relation} (unresolved)", "tooltip": edge.reason or "", "color": "red"}
            attrs["style"] = "dashed"
        lines.append(f"  {_dot_quote(edge.source)} -> {_dot_quote(edge.target)} [{_dot_attrs(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_attrs(attrs: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={_dot_quote(v)}" for k, v in attrs.items())


def _mermaid_text(value: str) -> str:
    return safe_text(value).replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;").replace("|", "#124;")


def render_mermaid(lineage: Lineage) -> str:
    """A Mermaid flowchart (renders in GitHub and GitLab Markdown inside a ```mermaid block)."""
    ids = {node.id: f"n{i}" for i, node in enumerate(lineage.nodes)}
    lines = ["flowchart LR", f"  %% {_summary(lineage)}"]
    classes: dict[str, list[str]] = defaultdict(list)
    for node in lineage.nodes:
        parts = [_kind(node.type), node.name, _risk(node)]
        lines.append(f'  {ids[node.id]}["{"<br/>".join(_mermaid_text(p) for p in parts if p)}"]')
        if node.risk is not None and node.fail:
            classes[node.risk.value].append(ids[node.id])
    for edge in lineage.edges:
        if edge.source not in ids or edge.target not in ids:
            continue
        if edge.resolved:
            lines.append(f'  {ids[edge.source]} -->|"{_mermaid_text(edge.relation)}"| {ids[edge.target]}')
        else:
            label = _mermaid_text(f"{edge.relation} ✗ unresolved: {edge.reason}")
            lines.append(f'  {ids[edge.source]} -.->|"{label}"| {ids[edge.target]}')
            classes["unresolved"].append(ids[edge.target])
    for name, color in _FILL.items():
        lines.append(f"  classDef {name} fill:{color}")
    lines.append("  classDef unresolved stroke:#c00,stroke-dasharray:5 5")
    lines += [f"  class {','.join(dict.fromkeys(members))} {name}" for name, members in classes.items()]
    return "\n".join(lines) + "\n"
