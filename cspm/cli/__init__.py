"""The command line: a thin Typer layer. Options -> engine -> renderers -> exit code.

One module per command group (``scan``, ``checks``, ``demo``, ``permissions``, ``policy``,
``history`` with ``diff``, ``compliance``, ``lineage``, ``risks``), each registering on :data:`app`
(:mod:`cspm.cli.app`). Cloud SDKs are imported inside the commands that need them, so
``cspm --help`` and ``cspm --version`` stay fast. Every non-zero exit prints one line on stderr.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from typing import Any

import typer

from cspm.cli.app import CONTEXT_SETTINGS, _configure_logging, app, checks_app, scan_app
from cspm.errors import CspmError, ExitCode, missing_extra

__all__ = ["CONTEXT_SETTINGS", "_configure_logging", "app", "checks_app", "entry", "main", "scan_app"]

log = logging.getLogger("cspm")

# Each module imports only typer and cspm core at import time; SDKs load inside commands.
COMMAND_MODULES: tuple[str, ...] = (
    "cspm.cli.scan",
    "cspm.cli.demo",
    "cspm.cli.checks",
    "cspm.cli.permissions",
    "cspm.cli.policy",
    "cspm.cli.history",
    "cspm.cli.compliance",
    "cspm.cli.lineage",
    "cspm.cli.risks",
)
for _module in COMMAND_MODULES:
    importlib.import_module(_module)


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def command() -> Any:
    """The click command tree of :data:`app`, with the help conventions of docs/cli.md applied:
    an argument is shown by its name (``REPORT``), never followed by a type name (``<str>``)."""
    root = typer.main.get_command(app)
    _name_only_arguments(root)
    return root


def _name_only_arguments(cmd: Any) -> None:
    for param in cmd.params:
        if param.param_type_name == "argument":
            # Typer prints "NAME <type>" for arguments, even with a metavar; options use the metavar.
            setattr(param, "display_type_rich", _no_type_name)  # noqa: B010 - an instance override
    for sub in getattr(cmd, "commands", {}).values():
        _name_only_arguments(sub)


def _no_type_name(ctx: Any = None) -> None:
    return None


def _run_app(args: list[str]) -> Any:
    """The Typer app; a missing optional extra (a cloud SDK, the demo's moto) becomes
    :class:`MissingExtra` (exit 2, naming the extra to install) instead of an internal error."""
    try:
        return command().main(args=args, prog_name="cspm", standalone_mode=False)
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
    _escape_what_the_terminal_cannot_encode()
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
        if type(exc).__name__ == "NoArgsIsHelpError":  # `cspm`, `cspm scan`: the help, then one line
            typer.echo(exc.format_message() if hasattr(exc, "format_message") else str(exc))
            typer.echo("cspm: error: a command is missing (see the list above)", err=True)
            return ExitCode.USAGE
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


def _escape_what_the_terminal_cannot_encode() -> None:
    """On a stdout or stderr whose encoding is not UTF-8 (``PYTHONIOENCODING=ascii``, a Latin-1
    terminal), characters it cannot hold are written as backslash escapes (``\u2192``) instead of
    ending the command with ``UnicodeEncodeError``; renderers pick ASCII marks there themselves."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and not encoding.startswith("utf"):
            reconfigure(errors="backslashreplace")


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
