"""``cspm checks list`` and ``cspm checks show``: the check catalog."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from cspm.choices import BASELINES, CLOUDS, one_of, some_of
from cspm.cli.app import checks_app
from cspm.cli.options import Services, SeverityOpt, renamed


@checks_app.command("list")
def checks_list(
    provider: Annotated[
        str | None, typer.Option("--provider", metavar=one_of(CLOUDS), help="Only checks of this cloud.")
    ] = None,
    service: Services = None,
    service_deprecated: Annotated[
        list[str] | None, typer.Option("--service", hidden=True, help="Deprecated: use --services.")
    ] = None,
    severity: SeverityOpt = None,
    baseline: Annotated[
        list[str] | None,
        typer.Option(
            "--baseline", metavar=some_of(BASELINES), help="Only checks of these baselines (comma-separated)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List the checks with their severity and baseline: a table on a terminal, one tab-separated
    line per check (id, severity, baseline, title) when piped."""
    from cspm.models import Baseline
    from cspm.registry import CLOUDS, load_checks
    from cspm.selection import parse_severities, split_csv
    from cspm.suggest import unknown_choice

    if provider and provider not in CLOUDS:
        raise unknown_choice("provider", [provider], CLOUDS)
    specs = load_checks([provider] if provider else CLOUDS)
    services = sorted({s.service for s in specs})
    wanted_services = split_csv(renamed("--service", "--services", service_deprecated, service))
    if bad := [s for s in wanted_services if s not in services]:
        raise unknown_choice("service", bad, services)  # the catalog's services, of any cloud
    severities = parse_severities(severity)
    baselines = [b.value for b in Baseline]
    wanted_baselines = [b.lower() for b in split_csv(baseline)]
    if bad := [b for b in wanted_baselines if b not in baselines]:
        raise unknown_choice("baseline", bad, baselines)
    specs = [
        s
        for s in specs
        if (not wanted_services or s.service in wanted_services)
        and (not severities or s.severity in severities)
        and (not wanted_baselines or s.baseline.value in wanted_baselines)
    ]
    if as_json:
        typer.echo(json.dumps([s.metadata() for s in specs], indent=2))
        return
    rows = [(s.id, s.severity.value, s.baseline.value, s.title) for s in specs]
    if not sys.stdout.isatty():  # piped: for grep, cut and awk; no wrapping, no colours
        from cspm.reporting.safe import safe_text

        for row in rows:
            typer.echo("\t".join(safe_text(v) for v in row))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{len(specs)} checks")
    for col in ("id", "severity", "baseline", "title"):
        table.add_column(col, overflow="fold")
    for row in rows:  # Text cells: a "[" in a title is shown, never parsed as markup
        table.add_row(*(Text(v) for v in row))
    Console(emoji=False).print(table)


@checks_app.command("show")
def checks_show(
    check_id: Annotated[str, typer.Argument(metavar="CHECK_ID", help="A check id, e.g. aws.s3.bucket_is_not_public.")],
) -> None:
    """Show one check: rationale, remediation, compliance and ATLAS ids."""
    from cspm.registry import CLOUDS, load_checks

    specs = {s.id: s for s in load_checks(CLOUDS)}
    spec = specs.get(check_id)
    if spec is None:
        from cspm.suggest import unknown_choice

        raise unknown_choice("check", [check_id], list(specs), list_all="cspm checks list")
    meta = spec.metadata()
    typer.echo(f"{meta['id']}\n  {meta['title']}\n")
    typer.echo(f"severity:      {meta['severity']}\nbaseline:      {meta['baseline']}")
    typer.echo(f"resource type: {meta['resource_type']}\nreads:         {', '.join(meta['reads'])}")
    typer.echo(f"\nwhy:\n  {meta['rationale']}\n\nremediation:\n  {meta['remediation']}")
    if meta["compliance"]:
        typer.echo("\ncompliance:")
        for framework, ids in meta["compliance"].items():
            typer.echo(f"  {framework}: {', '.join(ids)}")
    if meta["attack"]:
        typer.echo(f"\nMITRE ATLAS: {', '.join(meta['attack'])}")
    if meta["references"]:
        typer.echo("\nreferences:")
        for ref in meta["references"]:
            typer.echo(f"  {ref}")
