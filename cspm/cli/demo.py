"""``cspm demo``: scan the built-in simulated AI platform."""

from __future__ import annotations

from pathlib import Path

import typer

from cspm.cli.app import app
from cspm.cli.options import (
    Compliance,
    FailOn,
    Formats,
    JsonPath,
    MutelistOpt,
    OutputDir,
    Quiet,
    Workers,
    output_options,
)


@app.command("demo")
def demo(
    output_dir: OutputDir = Path("cspm-output"),
    json_path: JsonPath = None,
    fail_on: FailOn = "none",
    workers: Workers = 8,
    quiet: Quiet = False,
    formats: Formats = None,
    mutelist: MutelistOpt = None,
    compliance: Compliance = None,
) -> None:
    """Scan the built-in simulated AI platform on AWS, Azure and GCP (local simulators; no credentials)."""
    out = output_options(
        output_dir, json_path, fail_on, False, quiet, formats=formats, mutelist=mutelist, compliance=compliance
    )
    from cspm.demo import run_demo

    raise typer.Exit(run_demo(out, workers=workers))
