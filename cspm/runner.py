"""One scan from options to exit code: shared by ``cspm scan <cloud>`` and ``cspm demo``."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from cspm.engine import Provider, Stop, scan
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
    timeout: float | None = None  # seconds; the scan is cut short and reported incomplete


def run(provider: Provider, checks: Sequence[CheckSpec], out: OutputOptions, *, workers: int) -> int:
    """Scan, write the reports, print the summary; return the exit code.

    SIGINT / SIGTERM and ``--timeout`` stop the collection early: the report is still written,
    marked ``complete: false``, with the unfinished collectors in ``errors``. After a signal the
    exit code is 130 (SIGINT) or 143 (SIGTERM).
    """
    from cspm.reporting.progress import progress_for
    from cspm.reporting.terminal import print_summary

    deadline = time.monotonic() + out.timeout if out.timeout else None
    stop = Stop(deadline=deadline, timeout_label=f"timed out after {out.timeout:g} s" if out.timeout else "")
    with stop_on_signals(stop) as received, progress_for(quiet=out.quiet) as progress:
        report = scan(provider, checks, workers=workers, progress=progress, stop=stop)
    write_reports(report, out)
    if not out.quiet:
        print_summary(report, to_stderr=out.json_path == "-")
    if received:
        log.error("%s: partial report written to %s", stop.reason, out.output_dir / "report.json")
        return 128 + received[0]
    if stop.reason:
        log.warning("%s: the report is incomplete", stop.reason)
    return exit_code(report, out.fail_on, strict=out.strict)


@contextmanager
def stop_on_signals(stop: Stop) -> Iterator[list[int]]:
    """While active, SIGINT and SIGTERM ask ``stop`` to end the collection (a second signal
    of the same kind gets the default behaviour). Yields the list of signals received."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        stop.request(f"interrupted ({signal.Signals(signum).name})")
        signal.signal(signum, previous[signal.Signals(signum)])

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


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
