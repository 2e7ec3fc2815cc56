"""``cspm lineage REPORT.json``: the AI lineage of a report (renderers in :mod:`cspm.reporting.lineage`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cspm.choices import one_of
from cspm.cli.app import app
from cspm.errors import UsageError
from cspm.reporting.lineage import FORMATS, load_lineage, render_dot, render_mermaid, render_tree


@app.command("lineage")
def lineage_command(
    report: Annotated[
        Path, typer.Argument(metavar="REPORT", help="A report.json written by 'cspm scan' or 'cspm demo'.")
    ],
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", metavar=one_of(FORMATS), help="How to print the graph: a tree, Graphviz DOT or Mermaid."
        ),
    ] = "tree",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """Show the AI lineage of a report: data → jobs → artifacts → models → endpoints, with images, roles and keys."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt}; valid: {', '.join(FORMATS)}")
    from cspm.reporting.safe import stream_is_utf

    lineage = load_lineage(report)
    ascii_only = output is None and not stream_is_utf(sys.stdout)  # a terminal that is not UTF-8
    if fmt == "tree":
        text = render_tree(lineage, ascii_only=ascii_only)
    else:
        text = render_dot(lineage) if fmt == "dot" else render_mermaid(lineage)
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from cspm.reporting.json_report import write_atomic

    write_atomic(output, text)  # a regular file atomically; a FIFO or device directly
