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
        bool, typer.Option("--inspect-artifacts", help="Add what reading model artifacts needs (AWS, Azure, GCP).")
    ] = False,
) -> None:
    """Print the least-privilege policy (AWS) or custom role (Azure, GCP) the scanner needs."""
    from cspm.permissions import policy_for, render
    from cspm.selection import split_csv

    selected = split_csv(services)
    typer.echo(render(policy_for(cloud, selected, inspect_artifacts=inspect_artifacts)), nl=False)
    if cloud == "azure" and (not selected or "authorization" in selected):
        typer.echo(
            "cspm: also grant Microsoft Graph Directory.Read.All (not an ARM action) to tell deleted "
            "role-assignment principals; without it azure.authorization.principal_is_resolved answers ERROR",
            err=True,
        )
