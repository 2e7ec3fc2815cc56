"""Options shared by the scan commands, and their validation before the first API call."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from cspm.choices import FAIL_ON, REPORT_FORMATS, SERVICES, SEVERITIES, one_of, some_of
from cspm.errors import UsageError

if TYPE_CHECKING:
    from cspm.runner import OutputOptions
    from cspm.selection import Selection

T = TypeVar("T")

Services = Annotated[
    list[str] | None,
    typer.Option("--services", metavar="SERVICE,...", help="Only these services (comma-separated or repeated)."),
]
AwsServices = Annotated[
    list[str] | None,
    typer.Option("--services", metavar=some_of(SERVICES["aws"]), help="Only these services (comma-separated)."),
]
AzureServices = Annotated[
    list[str] | None,
    typer.Option("--services", metavar=some_of(SERVICES["azure"]), help="Only these services (comma-separated)."),
]
GcpServices = Annotated[
    list[str] | None,
    typer.Option("--services", metavar=some_of(SERVICES["gcp"]), help="Only these services (comma-separated)."),
]
Checks = Annotated[
    list[str] | None, typer.Option("--checks", metavar="ID,...", help="Only these check ids or globs (aws.s3.*).")
]
Exclude = Annotated[
    list[str] | None, typer.Option("--exclude-checks", metavar="ID,...", help="Skip these check ids or globs.")
]
SeverityOpt = Annotated[
    list[str] | None,
    typer.Option("--severity", metavar=some_of(SEVERITIES), help="Only checks of these severities (comma-separated)."),
]
OutputDir = Annotated[Path, typer.Option("--output-dir", metavar="DIR", help="Where report.json is written.")]
JsonPath = Annotated[
    str | None,
    typer.Option("--json", metavar="PATH", help="Also write the JSON report to PATH ('-' = stdout)."),
]
FailOn = Annotated[
    str,
    typer.Option(
        "--fail-on",
        metavar=one_of(FAIL_ON),
        help="Exit 3 when an unmuted FAIL of this severity or higher exists.",
    ),
]
Workers = Annotated[int, typer.Option("--workers", min=1, max=64, metavar="N", help="Concurrent API workers.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")]
Strict = Annotated[bool, typer.Option("--strict", help="Exit 4 when the scan is incomplete.")]
Formats = Annotated[
    list[str] | None,
    typer.Option(
        "--output-formats",
        metavar=some_of(REPORT_FORMATS),
        help="Also write these report files into --output-dir (comma-separated; report.json is always written).",
    ),
]
# Deprecated spelling of --output-formats (before issue 18): still works, one warning line.
FormatsDeprecated = Annotated[
    list[str] | None,
    typer.Option("--format", hidden=True, metavar=some_of(REPORT_FORMATS), help="Deprecated: use --output-formats."),
]
MutelistOpt = Annotated[
    Path | None,
    typer.Option("--mutelist", metavar="FILE", help="YAML mutelist (muted findings stay, flagged)."),
]
Compliance = Annotated[
    str | None,
    typer.Option(
        "--compliance", metavar="FRAMEWORK", help="Show and write the view of one framework, e.g. cis-aws-5.0."
    ),
]
MaxResponseMb = Annotated[
    int,
    typer.Option(
        "--max-response-mb",
        min=1,
        max=4096,
        metavar="MIB",
        help="Largest API answer read, in MiB; a larger one is recorded as an error.",
    ),
]
Store = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="CSPM_STORE",
        metavar="URL",
        help="Save the scan in a history store: sqlite:///PATH, postgresql://..., or 'default' "
        "(SQLite in the user's data directory).",
    ),
]
Timeout = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        min=1,
        metavar="SECONDS",
        help="Stop collecting after this many seconds; the report is then incomplete.",
    ),
]


def renamed(old: str, new: str, old_value: T | None, new_value: T | None) -> T | None:
    """The value of an option given under its deprecated name ``old`` or its name ``new``: the old
    name still works and prints one warning line on stderr; both on the command line is a usage
    error. A flag under the old name wins over the new name's value from the configuration file."""
    if not old_value:
        return new_value
    if new_value and not _from_config(new):
        raise UsageError(f"{old} is the deprecated name of {new}: give only {new}")
    typer.echo(f"cspm: warning: {old} is deprecated; use {new} (same values)", err=True)
    return old_value


def _from_config(option: str) -> bool:
    """Whether the current command's ``option`` (e.g. ``--output-formats``) took its value from the
    configuration file (click's default_map)."""
    from typer._click.core import ParameterSource
    from typer._click.globals import get_current_context

    ctx = get_current_context(silent=True)
    if ctx is None:
        return False
    param = next((p for p in ctx.command.params if option in p.opts), None)
    return param is not None and ctx.get_parameter_source(param.name or "") is ParameterSource.DEFAULT_MAP


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
    cloud: str | None = None,
) -> OutputOptions:
    """Validate the report options before anything is scanned: a bad value exits 2 at once.
    ``cloud``: the one cloud a scan covers (None for the demo's three), so that a --compliance
    framework of another cloud is refused before the scan rather than after it."""
    from cspm.runner import OutputOptions

    check_fail_on(fail_on)
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

        framework = load_framework(compliance)
        if cloud is not None and framework.provider not in ("multi", cloud):
            raise UsageError(f"--compliance {compliance} is for {framework.provider}, not {cloud}")
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


def check_fail_on(value: str) -> str:
    """The --fail-on level, lower-cased; UsageError (exit 2) naming the valid ones."""
    if value.lower() not in FAIL_ON:
        raise UsageError(f"unknown --fail-on {value}; valid: {', '.join(FAIL_ON)}")
    return value.lower()


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
