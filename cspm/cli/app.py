"""The Typer application and its command groups; every command module registers on these.

Only typer and cspm core load here, so ``cspm --help`` and ``cspm --version`` stay fast.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cspm import __version__

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
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Debug logs and tracebacks on stderr.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Informational logs on stderr.")] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="CSPM_CONFIG",
            metavar="FILE",
            help="Option defaults from this TOML file [./cspm.toml, else $XDG_CONFIG_HOME/cspm/config.toml].",
        ),
    ] = None,
) -> None:
    _configure_logging(debug=debug, verbose=verbose)
    from cspm.cli.config import config_path, load_default_map

    path = config_path(config)
    if path is not None:  # flags and environment variables still win over the file (click's default_map)
        ctx.default_map = load_default_map(path, ctx.command)


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
