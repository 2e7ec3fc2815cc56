"""The command line: a thin Typer layer. Options -> engine -> renderers -> exit code.

Cloud SDKs are imported inside the commands that need them, so ``cspm --help`` and
``cspm --version`` stay fast. Every non-zero exit prints one line on stderr.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cspm import __version__
from cspm.errors import CspmError, ExitCode, UsageError, missing_extra

if TYPE_CHECKING:
    from cspm.runner import OutputOptions
    from cspm.selection import Selection

# `-h` as well as `--help` on every command; sub-apps (here and in the cli_* modules) pass it too.
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    context_settings=CONTEXT_SETTINGS,
    name="cspm",
    help="Cloud security posture scanner for AI workloads (read-only).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
scan_app = typer.Typer(
    help="Scan a cloud account (read-only).", no_args_is_help=True, context_settings=CONTEXT_SETTINGS
)
checks_app = typer.Typer(help="The check catalog.", no_args_is_help=True, context_settings=CONTEXT_SETTINGS)
app.add_typer(scan_app, name="scan")
app.add_typer(checks_app, name="checks")

log = logging.getLogger("cspm")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cspm {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Debug logs and tracebacks on stderr.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Informational logs on stderr.")] = False,
) -> None:
    _configure_logging(debug=debug, verbose=verbose)


def _configure_logging(*, debug: bool, verbose: bool) -> None:
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    from cspm.reporting.safe import SafeFormatter

    handler = logging.StreamHandler(sys.stderr)
    # Log messages quote API errors and resource names: one safe line each (cspm.reporting.safe).
    handler.setFormatter(SafeFormatter("cspm: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The SDKs' own DEBUG logs print request and response bodies and signed headers (session
    # tokens, environment values of scanned jobs): they stay quiet even with --debug.
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug", "azure", "google", "msal", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.WARNING if debug else logging.ERROR)


# ---------------------------------------------------------------------------------------------
# Shared scan options
# ---------------------------------------------------------------------------------------------

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


AWS_WORKERS = 8
AWS_ORG_WORKERS = 24  # an organization has many more independent (account, region, service) units


@scan_app.command("aws")
def scan_aws(
    profile: Annotated[str | None, typer.Option("--profile", help="AWS named profile.")] = None,
    region: Annotated[
        list[str] | None, typer.Option("--region", help="Region to scan (repeatable); default: all enabled.")
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option("--endpoint-url", help="Custom AWS endpoint (AWS_ENDPOINT_URL is honoured too)."),
    ] = None,
    org: Annotated[
        bool,
        typer.Option(
            "--org",
            help="Scan every ACTIVE account of the organization (run from the management or a delegated "
            "administrator account), assuming --role-name in each; the caller's own account with its own credentials.",
        ),
    ] = False,
    role_name: Annotated[
        str | None,
        typer.Option(
            "--role-name", help="With --org: the role to assume in each account [OrganizationAccountAccessRole]."
        ),
    ] = None,
    role_arn: Annotated[
        str | None, typer.Option("--role-arn", help="Scan the one account of this role, assumed with sts:AssumeRole.")
    ] = None,
    external_id: Annotated[
        str | None, typer.Option("--external-id", help="The sts:ExternalId to pass to every AssumeRole.")
    ] = None,
    accounts: Annotated[
        list[str] | None, typer.Option("--accounts", help="With --org: only these account ids (comma-separated).")
    ] = None,
    exclude_accounts: Annotated[
        list[str] | None,
        typer.Option("--exclude-accounts", help="With --org: skip these account ids (comma-separated)."),
    ] = None,
    scp: Annotated[
        bool | None,
        typer.Option(
            "--scp/--no-scp",
            help="Read the organization's SCPs and RCPs (with the caller's credentials) and apply them to IAM "
            "verdicts [on with --org, off otherwise].",
        ),
    ] = None,
    services: Services = None,
    checks: Checks = None,
    exclude_checks: Exclude = None,
    severity: SeverityOpt = None,
    output_dir: OutputDir = Path("cspm-output"),
    json_path: JsonPath = None,
    fail_on: FailOn = "none",
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, max=64, help=f"Concurrent API workers [{AWS_WORKERS}; {AWS_ORG_WORKERS} with --org]."
        ),
    ] = None,
    quiet: Quiet = False,
    strict: Strict = False,
    timeout: Timeout = None,
    formats: Formats = None,
    mutelist: MutelistOpt = None,
    compliance: Compliance = None,
    store: Store = None,
    max_response_mb: MaxResponseMb = 64,
    inspect_artifacts: Annotated[
        bool,
        typer.Option(
            "--inspect-artifacts",
            help="Read the model artifacts the models load (s3:GetObject) and judge their contents: unsafe "
            "pickle code, safe formats. Off by default.",
        ),
    ] = False,
    artifact_max_mb: Annotated[
        int,
        typer.Option("--artifact-max-mb", min=1, help="With --inspect-artifacts: most MiB read per artifact [512]."),
    ] = 512,
    artifact_scan_max_mb: Annotated[
        int,
        typer.Option("--artifact-scan-max-mb", min=1, help="With --inspect-artifacts: most MiB read per scan [10240]."),
    ] = 10240,
) -> None:
    """Scan an AWS account, or every account of an organization (--org): IAM, S3, VPC, SageMaker,
    ECR, KMS and CloudTrail."""
    from cspm.artifacts.options import artifact_settings, select_checks
    from cspm.selection import split_csv

    out = output_options(
        output_dir,
        json_path,
        fail_on,
        strict,
        quiet,
        timeout,
        formats=formats,
        mutelist=mutelist,
        compliance=compliance,
        store=store,
    )
    selection = selection_from(services, checks, exclude_checks, severity)
    from cspm.providers.aws import SERVICE_MODULES, AwsOptions, AwsProvider
    from cspm.runner import run

    selected = select_checks(selection.apply("aws", available_services=list(SERVICE_MODULES)), inspect_artifacts)
    workers = workers or (AWS_ORG_WORKERS if org else AWS_WORKERS)
    options = AwsOptions(
        profile=profile,
        regions=tuple(split_csv(region)),
        endpoint_url=endpoint_url,
        workers=workers,
        org=org,
        role_name=role_name,
        role_arn=role_arn,
        external_id=external_id,
        accounts=tuple(split_csv(accounts)),
        exclude_accounts=tuple(split_csv(exclude_accounts)),
        max_response_bytes=max_response_mb * 2**20,
        scp=scp,
        artifacts=artifact_settings(inspect_artifacts, artifact_max_mb, artifact_scan_max_mb, store),
    )
    options.validate()
    provider = AwsProvider(options)
    provider.connect()
    raise typer.Exit(run(provider, selected, out, workers=workers))


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


# ---------------------------------------------------------------------------------------------
# checks list / show
# ---------------------------------------------------------------------------------------------


@checks_app.command("list")
def checks_list(
    provider: Annotated[str | None, typer.Option("--provider", help="aws, azure or gcp.")] = None,
    service: Annotated[
        list[str] | None, typer.Option("--service", help="Only checks of these services (comma-separated).")
    ] = None,
    severity: SeverityOpt = None,
    baseline: Annotated[
        list[str] | None,
        typer.Option("--baseline", help="Only checks of these baselines, e.g. encryption,logging (comma-separated)."),
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
    wanted_services = split_csv(service)
    if bad := [s for s in wanted_services if s not in services]:
        raise unknown_choice("service", bad, services)
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
    check_id: Annotated[str, typer.Argument(help="A check id, e.g. aws.s3.bucket_is_not_public.")],
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


@app.command("permissions")
def permissions(
    cloud: Annotated[str, typer.Argument(help="aws, azure or gcp")],
    services: Services = None,
    inspect_artifacts: Annotated[
        bool, typer.Option("--inspect-artifacts", help="Add what reading model artifacts needs (AWS).")
    ] = False,
) -> None:
    """Print the least-privilege policy (AWS) or custom role (Azure, GCP) the scanner needs."""
    from cspm.permissions import policy_for, render
    from cspm.selection import split_csv

    typer.echo(render(policy_for(cloud, split_csv(services), inspect_artifacts=inspect_artifacts)), nl=False)


def _mount_command_modules() -> None:
    """Commands that live in their own modules register themselves on ``app`` / ``scan_app``."""
    import importlib

    from cspm.cli_policy import policy_app

    app.add_typer(policy_app, name="policy")
    for module in COMMAND_MODULES:
        importlib.import_module(module)


# Each module imports only typer and cspm core at import time; SDKs load inside commands.
COMMAND_MODULES: tuple[str, ...] = ("cspm.cli_clouds", "cspm.cli_ops", "cspm.cli_lineage")
_mount_command_modules()


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def _run_app(args: list[str]) -> Any:
    """The Typer app; a missing optional extra (a cloud SDK, the demo's moto) becomes
    :class:`MissingExtra` (exit 2, naming the extra to install) instead of an internal error."""
    try:
        return app(args=args, prog_name="cspm", standalone_mode=False)
    except ModuleNotFoundError as exc:
        missing = missing_extra(exc)
        if missing is None:
            raise
        raise missing from exc


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: runs the app and maps errors to exit codes and one line."""
    from cspm.reporting.safe import safe_text

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        result = _run_app(args)
    except CspmError as exc:
        if debug:
            log.exception("failed")
        typer.echo(f"cspm: error: {safe_text(exc)}", err=True)
        return exc.exit_code
    except typer.Abort:
        typer.echo("cspm: interrupted", err=True)
        return 130
    except typer.TyperException as exc:  # click's usage errors (bad flag, bad value)
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        typer.echo(f"cspm: error: {safe_text(message)}", err=True)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        typer.echo("cspm: interrupted", err=True)
        return 130
    except Exception as exc:  # a bug: one line, the traceback only with --debug
        if debug:
            raise
        typer.echo(
            f"cspm: internal error: {type(exc).__name__}: {safe_text(exc)} (run with --debug for details)", err=True
        )
        return ExitCode.RUNTIME
    return int(result or 0)


def entry() -> None:  # pragma: no cover - exercised through the installed console script
    """The console script. After an interrupt or --timeout, collector threads may still be
    waiting on the network (a dripping answer cannot be interrupted); the partial report is
    already written, so exit without waiting for them."""
    import threading

    code = main()
    main_thread = threading.main_thread()
    abandoned = [t for t in threading.enumerate() if t is not main_thread and t.is_alive() and not t.daemon]
    if code in (128 + 2, 128 + 15) or abandoned:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
