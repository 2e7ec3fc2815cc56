"""Options shared by the scan commands, and their validation before the first API call."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cspm.errors import UsageError

if TYPE_CHECKING:
    from cspm.runner import OutputOptions
    from cspm.selection import Selection


Services = Annotated[list[str] | None, typer.Option("--services", help="Only these services (comma-separated).")]
Checks = Annotated[list[str] | None, typer.Option("--checks", help="Only these check ids or globs.")]
Exclude = Annotated[list[str] | None, typer.Option("--exclude-checks", help="Skip these check ids or globs.")]
SeverityOpt = Annotated[
    list[str] | None, typer.Option("--severity", help="Only checks of these severities, e.g. high,critical.")
]
OutputDir = Annotated[Path, typer.Option("--output-dir", help="Where report.json is written.")]
JsonPath = Annotated[str | None, typer.Option("--json", help="Also write the JSON report to PATH ('-' = stdout).")]
FailOn = Annotated[
    str,
    typer.Option("--fail-on", help="Exit 3 when an unmuted FAIL of this severity or higher exists."),
]
Workers = Annotated[int, typer.Option("--workers", min=1, max=64, help="Concurrent API workers.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")]
Strict = Annotated[bool, typer.Option("--strict", help="Exit 4 when the scan is incomplete.")]
Formats = Annotated[
    list[str] | None,
    typer.Option("--format", help="Also write these formats: ocsf, asff, sarif, csv, html (comma-separated)."),
]
MutelistOpt = Annotated[Path | None, typer.Option("--mutelist", help="YAML mutelist (muted findings stay, flagged).")]
Compliance = Annotated[
    str | None, typer.Option("--compliance", help="Show and write the view of one framework, e.g. cis-aws-5.0.")
]
MaxResponseMb = Annotated[
    int,
    typer.Option(
        "--max-response-mb",
        min=1,
        max=4096,
        help="Largest API answer read, in MiB; a larger one is recorded as an error [64].",
    ),
]
Store = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="CSPM_STORE",
        help="Save the scan in a history store: sqlite:///PATH, postgresql://..., or 'default' "
        "(SQLite in the user's data directory).",
    ),
]
Timeout = Annotated[
    float | None,
    typer.Option("--timeout", min=1, help="Stop collecting after this many seconds; the report is then incomplete."),
]


def output_options(
    output_dir: Path,
    json_path: str | None,
    fail_on: str,
    strict: bool,
    quiet: bool,
    timeout: float | None = None,
    *,
    formats: list[str] | None = None,
    mutelist: Path | None = None,
    compliance: str | None = None,
    store: str | None = None,
) -> OutputOptions:
    """Validate the report options before anything is scanned: a bad value exits 2 at once."""
    from cspm.runner import FAIL_ON_CHOICES, OutputOptions

    if fail_on.lower() not in FAIL_ON_CHOICES:
        raise UsageError(f"unknown --fail-on {fail_on}; valid: {', '.join(FAIL_ON_CHOICES)}")
    parsed_formats: list[str] = []
    if formats:
        from cspm.reporting.formats import parse_formats

        parsed_formats = parse_formats(formats)
    loaded = None
    if mutelist is not None:
        from cspm.mutelist import load_mutelist

        loaded = load_mutelist(mutelist)
    if compliance:
        from cspm.compliance import load_framework

        load_framework(compliance)
    # Before the first API call: a scan must not run for minutes and then find it cannot be kept.
    check_output_dir(output_dir)
    if store:
        from cspm.history.store import validate_store

        validate_store(None if store == "default" else store)
    return OutputOptions(
        output_dir=output_dir,
        json_path=json_path,
        fail_on=fail_on.lower(),
        strict=strict,
        quiet=quiet,
        timeout=timeout,
        formats=tuple(parsed_formats),
        mutelist=loaded,
        compliance=compliance,
        store=store,
    )


def check_output_dir(path: Path) -> None:
    """Exit 2 at once when ``path`` cannot be created or written. Nothing is created here: the
    nearest existing ancestor must be a writable directory (the reports create the rest)."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"--output-dir {path}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--output-dir {path}: {existing} is not writable")


def selection_from(
    services: list[str] | None, checks: list[str] | None, exclude: list[str] | None, severity: list[str] | None
) -> Selection:
    from cspm.selection import Selection, parse_severities, split_csv

    return Selection(
        services=tuple(split_csv(services)),
        checks=tuple(split_csv(checks)),
        exclude_checks=tuple(split_csv(exclude)),
        severities=frozenset(parse_severities(severity)),
    )
