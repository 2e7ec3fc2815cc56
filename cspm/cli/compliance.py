"""``cspm compliance FRAMEWORK REPORT``: a report seen through one framework."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cspm.cli.app import app
from cspm.cli.history import AsJson


@app.command("compliance")
def compliance_command(
    framework: Annotated[
        str, typer.Argument(metavar="FRAMEWORK", help="A framework id, e.g. aws-fsbp, cis-aws-5.0, mitre-atlas.")
    ],
    report: Annotated[Path, typer.Argument(metavar="REPORT", help="A cspm JSON report.")],
    as_json: AsJson = False,
) -> None:
    """Per requirement of a framework: its checks and their pass/fail counts; manual ones listed."""
    from cspm.compliance import compliance_view, load_framework, render_text
    from cspm.diff import read_report

    fw = load_framework(framework)  # an unknown framework exits 2 before the report is read
    view = compliance_view(read_report(report), fw)
    typer.echo(view.model_dump_json(indent=2) if as_json else render_text(view), nl=as_json)
