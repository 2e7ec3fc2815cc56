"""``cspm policy lint FILE ...``: offline IAM policy validation (no credentials, no network).

Exit codes: 0 nothing at or above ``--fail-on`` (default ``security_warning``, as the AWS IAM policy
validator tools for CloudFormation and Terraform block on ERROR and SECURITY_WARNING); 3 findings at
or above it; 2 a file that is not
JSON or holds no policy (one line on stderr: ``FILE:LINE:COLUMN: message``).
Only :mod:`cspm.iam` is imported: no cloud SDK.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cspm.choices import one_of
from cspm.cli.app import CONTEXT_SETTINGS, app
from cspm.errors import ExitCode

if TYPE_CHECKING:
    from cspm.iam.lint import FileFinding

policy_app = typer.Typer(
    help="Offline IAM policy analysis (no credentials needed).",
    no_args_is_help=True,
    context_settings=CONTEXT_SETTINGS,
)
app.add_typer(policy_app, name="policy")


class FailOn(StrEnum):
    """The lowest finding level that makes ``lint`` exit 3."""

    NONE = "none"
    SUGGESTION = "suggestion"
    WARNING = "warning"
    SECURITY_WARNING = "security_warning"
    ERROR = "error"


_STYLES = {"ERROR": "bold red", "SECURITY_WARNING": "red", "WARNING": "yellow", "SUGGESTION": "cyan"}


@policy_app.command("lint")
def lint(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE...", help="Policy files: a document, an array of them, or an account export."),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON on stdout.")] = False,
    fail_on: Annotated[
        FailOn,
        typer.Option(
            "--fail-on",
            case_sensitive=False,
            metavar=one_of(f.value for f in FailOn),
            help="Exit 3 when a finding reaches this level (default: errors and security warnings).",
        ),
    ] = FailOn.SECURITY_WARNING,
) -> None:
    """Validate IAM policies like AWS IAM Access Analyzer, offline."""
    from cspm.iam.lint import LintInputError, lint_file
    from cspm.reporting.safe import safe_text

    findings: list[FileFinding] = []
    unreadable: list[str] = []
    for file in files:
        try:
            findings += lint_file(file)
        except LintInputError as exc:
            unreadable.append(safe_text(exc))
    bad_input = bool(unreadable)
    if unreadable:  # FILE:LINE:COL: message, for editors; several files on the one line exit 2 allows
        typer.echo("; ".join(unreadable), err=True)
    findings.sort(key=lambda f: (f.file, f.line or 0, f.column or 0, -f.level.rank))
    if as_json:
        typer.echo(json.dumps([f.as_dict() for f in findings], indent=2))
    elif findings or not bad_input:
        _print_human(findings)
    if bad_input:
        raise typer.Exit(ExitCode.USAGE)
    _exit_for(findings, fail_on)


def _exit_for(findings: list[FileFinding], fail_on: FailOn) -> None:
    from cspm.iam.lint import Level, worst_level

    worst = worst_level(findings)
    if fail_on is FailOn.NONE or worst is None:
        return
    threshold = Level[fail_on.name]
    if worst.rank >= threshold.rank:
        count = sum(1 for f in findings if f.level.rank >= threshold.rank)
        typer.echo(f"cspm: policy lint: {count} finding(s) at or above {fail_on.value} (exit 3)", err=True)
        raise typer.Exit(ExitCode.FAILING_FINDINGS)


def _print_human(findings: list[FileFinding]) -> None:
    from rich.console import Console
    from rich.text import Text

    from cspm.reporting.safe import safe_text as t

    # File names, policy names, JSON paths and messages quote the files (an account export is
    # account text): Rich Text, never markup, stripped of control and bidi characters.
    console = Console(file=sys.stdout, highlight=False, soft_wrap=True, emoji=False)
    if not findings:
        console.print("No findings.")
        return
    for f in findings:
        where = f"{f.file}:{f.line}:{f.column}" if f.line else f.file
        level = f.level.value
        console.print(
            Text.assemble(
                f"{t(where)} ",
                (level, _STYLES[level]),
                f" {t(f.finding.code)} ",
                (f"{t(f.policy)} {t(f.finding.path or '<document>')}", "dim"),
                f"\n    {t(f.finding.message)}",
            )
        )
    counts = {level: sum(1 for f in findings if f.level.value == level) for level in _STYLES}
    console.print(", ".join(f"{n} {level.lower()}" for level, n in counts.items() if n))
