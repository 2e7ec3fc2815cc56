"""The scan history: ``cspm history`` and ``cspm diff``.

Registered on :data:`cspm.cli.app.app` when ``cspm.cli`` imports this module (``COMMAND_MODULES``).
Only typer and cspm core load at import time; SQLAlchemy and the rest load inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cspm.choices import FAIL_ON, one_of
from cspm.cli.app import app
from cspm.cli.options import check_fail_on
from cspm.errors import ExitCode, UsageError

Store = Annotated[
    str | None,
    typer.Option(
        "--store",
        metavar="URL",
        help="History store: sqlite:///PATH, a file path or postgresql://… (default: $XDG_DATA_HOME/cspm/history.db).",
        envvar="CSPM_STORE",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]


@app.command("diff")
def diff_command(
    reports: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="REPORT...", help="OLD.json NEW.json; with --last, at most NEW.json.", show_default=False
        ),
    ] = None,
    last: Annotated[
        bool, typer.Option("--last", help="Compare with the previous scan of the same scope in the history store.")
    ] = False,
    store: Store = None,
    as_json: AsJson = False,
    fail_on: Annotated[
        str,
        typer.Option("--fail-on", metavar=one_of(FAIL_ON), help="Exit 3 when a new failure reaches this severity."),
    ] = "none",
) -> None:
    """New, resolved, unchanged and re-rated failures between two scans (by finding uid)."""
    from cspm.diff import diff_reports, failing_count, read_report, render_text

    threshold = check_fail_on(fail_on)
    paths = list(reports or [])
    if last:
        if len(paths) > 1:
            raise UsageError("with --last give at most one report (NEW.json); the other comes from the store")
        from cspm.history import last_two

        old, new = last_two(store, read_report(paths[0]) if paths else None)
    elif len(paths) != 2:
        raise UsageError("give two reports (cspm diff OLD.json NEW.json), or use --last")
    else:
        old, new = read_report(paths[0]), read_report(paths[1])
    diff = diff_reports(old, new)
    typer.echo(diff.to_json() if as_json else render_text(diff), nl=as_json)
    if count := failing_count(diff, threshold):  # every non-zero exit explains itself on stderr
        noun = "failure" if count == 1 else "failures"
        typer.echo(f"cspm: {count} new {noun} at or above --fail-on {threshold} (exit 3)", err=True)
        raise typer.Exit(ExitCode.FAILING_FINDINGS)


@app.command("history")
def history_command(
    store: Store = None,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider", metavar="PROVIDER", help="Only scans of this cloud: aws, azure, gcp or aws+azure+gcp."
        ),
    ] = None,
    account: Annotated[
        str | None, typer.Option("--account", metavar="ID", help="Only scans (and trend) of this account.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, metavar="N", help="How many recent scans.")] = 20,
    as_json: AsJson = False,
) -> None:
    """The stored scans, newest first, and the score trend per baseline and account."""
    from cspm.history import history, render_history_text

    view = history(store, provider=provider, account=account, limit=limit)
    typer.echo(json.dumps(view.as_dict(), indent=2) if as_json else render_history_text(view), nl=as_json)
