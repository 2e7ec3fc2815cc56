"""``cspm permissions CLOUD``: the least-privilege policy the scanner itself needs."""

from __future__ import annotations

from typing import Annotated

import typer

from cspm.choices import CLOUDS, one_of
from cspm.cli.app import app
from cspm.cli.options import Services


@app.command("permissions")
def permissions(
    cloud: Annotated[str, typer.Argument(metavar="CLOUD", help=f"The cloud: {one_of(CLOUDS)}.")],
    services: Services = None,
    inspect_artifacts: Annotated[
        bool, typer.Option("--inspect-artifacts", help="Add what reading model artifacts needs (AWS, GCP).")
    ] = False,
) -> None:
    """Print the least-privilege policy (AWS) or custom role (Azure, GCP) the scanner needs."""
    from cspm.permissions import policy_for, render
    from cspm.selection import split_csv

    typer.echo(render(policy_for(cloud, split_csv(services), inspect_artifacts=inspect_artifacts)), nl=False)
