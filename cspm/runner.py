"""One scan from options to exit code: shared by ``cspm scan <cloud>`` and ``cspm demo``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cspm.engine import Provider, scan
from cspm.errors import ExitCode
from cspm.models import ScanReport, Severity, Status
from cspm.registry import CheckSpec

log = logging.getLogger(__name__)

FAIL_ON_CHOICES = ("none", "informational", "low", "medium", "high", "critical")


@dataclass(frozen=True)
class OutputOptions:
    output_dir: Path = Path("cspm-output")
    json_path: str | None = None  # "-" = stdout
    fail_on: str = "none"
    strict: bool = False
    quiet: bool = False


def run(provider: Provider, checks: Sequence[CheckSpec], out: OutputOptions, *, workers: int) -> int:
    """Scan, write the reports, print the summary; return the exit code."""
    from cspm.reporting.progress import progress_for
    from cspm.reporting.terminal import print_summary

    with progress_for(quiet=out.quiet) as progress:
        report = scan(provider, checks, workers=workers, progress=progress)
    write_reports(report, out)
    if not out.quiet:
        print_summary(report, to_stderr=out.json_path == "-")
    return exit_code(report, out.fail_on, strict=out.strict)


def write_reports(report: ScanReport, out: OutputOptions) -> None:
    from cspm.reporting.json_report import write_json

    path = write_json(report, out.output_dir / "report.json")
    log.info("wrote %s", path)
    if out.json_path == "-":
        sys.stdout.write(report.to_json() + "\n")
        sys.stdout.flush()
    elif out.json_path:
        write_json(report, Path(out.json_path))


def exit_code(report: ScanReport, fail_on: str, *, strict: bool) -> int:
    """3 when an unmuted FAIL reaches --fail-on; else 4 when incomplete and --strict; else 0."""
    if fail_on != "none":
        threshold = Severity(fail_on).rank
        if any(f.status is Status.FAIL and not f.muted and f.severity.rank >= threshold for f in report.findings):
            return ExitCode.FAILING_FINDINGS
    if strict and not report.scan.complete:
        return ExitCode.INCOMPLETE
    return ExitCode.OK
