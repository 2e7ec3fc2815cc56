"""``cspm risks REPORT.json``: the ranked risks (attack paths) of a report (docs/risks.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from cspm.cli.app import app


@app.command("risks")
def risks_command(
    report: Annotated[
        Path, typer.Argument(metavar="REPORT", help="A report.json written by 'cspm scan' or 'cspm demo'.")
    ],
    top: Annotated[
        int | None, typer.Option("--top", min=1, metavar="N", help="Only the N highest-scored risks.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The risks as a JSON list (report.json's shape).")] = False,
) -> None:
    """Show the ranked risks of a report: failing findings joined along the AI lineage into attack
    paths, highest score first. A table on a terminal; one tab-separated line per risk when piped
    (rank, score, severity, kind, id, title, fix check, fix resource, path)."""
    from cspm.diff import read_report
    from cspm.errors import UsageError
    from cspm.reporting.risks import lineage_nodes, print_risks, tsv_lines
    from cspm.risks import risks_of

    loaded = read_report(report)
    risks = loaded.risks
    if risks is None:
        risks = risks_of(loaded)
        if risks is None:
            raise UsageError(
                f"{report} has no risks and no lineage section to compute them from: it is a report of an older cspm"
            )
        typer.echo(
            f"cspm: {report} has no risks section (an older cspm): computed from its lineage and findings", err=True
        )
    shown = risks[:top] if top else risks
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in shown], indent=2))
        return
    nodes = lineage_nodes(loaded)
    if not sys.stdout.isatty():  # piped: for grep, cut and awk; no wrapping, no colours
        # sys.stdout, not click's echo: a stream that is not UTF-8 gets backslash escapes (cspm.cli.main).
        sys.stdout.write("".join(f"{line}\n" for line in tsv_lines(shown, nodes)))
        sys.stdout.flush()
        return
    from rich.console import Console

    console = Console(emoji=False, highlight=False)
    if not risks:
        console.print("No risks: no failing finding opens a path of the report's lineage.")
        return
    print_risks(console, shown, nodes)
    if len(shown) < len(risks):
        console.print(f"{len(risks) - len(shown)} more: cspm risks {report}", style="dim", soft_wrap=True)
