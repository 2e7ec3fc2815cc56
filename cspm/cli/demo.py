"""``cspm demo``: scan the built-in simulated AI platform."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cspm.cli.app import app
from cspm.cli.options import (
    Compliance,
    FailOn,
    Formats,
    FormatsDeprecated,
    JsonPath,
    MutelistOpt,
    OutputDir,
    Quiet,
    Workers,
    output_options,
    renamed,
)


@app.command("demo")
def demo(
    output_dir: OutputDir = Path("cspm-output"),
    json_path: JsonPath = None,
    fail_on: FailOn = "none",
    workers: Workers = 8,
    quiet: Quiet = False,
    formats: Formats = None,
    formats_deprecated: FormatsDeprecated = None,
    mutelist: MutelistOpt = None,
    compliance: Compliance = None,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Scan nothing: keep the simulators up on 127.0.0.1 and print the 'cspm scan' command for each "
            "cloud, until Ctrl-C (exit 130).",
        ),
    ] = False,
) -> None:
    """Scan the built-in simulated AI platform on AWS, Azure and GCP (local simulators; no credentials)."""
    if serve:
        import sys

        from cspm.demo.serve import serve_demo, stopped_line

        code = serve_demo(sys.stdout)
        typer.echo(stopped_line(code), err=True)
        raise typer.Exit(code)
    out = output_options(
        output_dir,
        json_path,
        fail_on,
        False,
        quiet,
        formats=renamed("--format", "--output-formats", formats_deprecated, formats),
        mutelist=mutelist,
        compliance=compliance,
    )
    from cspm.demo import run_demo

    raise typer.Exit(run_demo(out, workers=workers))
