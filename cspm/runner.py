"""One scan from options to exit code: shared by ``cspm scan <cloud>`` and ``cspm demo``."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from cspm.choices import FAIL_ON
from cspm.engine import Provider, Stop, scan
from cspm.errors import ExitCode
from cspm.models import ScanReport, Severity, Status
from cspm.registry import CheckSpec

if TYPE_CHECKING:
    from cspm.mutelist import Mutelist, MuteOutcome

log = logging.getLogger(__name__)

FAIL_ON_CHOICES = FAIL_ON  # --fail-on's levels (cspm/choices.py)

# --timeout T: collection stops at T; evaluating and writing the partial report then takes well
# under a second. Should they not be done by T + EXIT_GRACE_SECONDS, the watchdog ends the process
# (exit 1, one line on stderr): the process never outlives T + 5 s.
EXIT_GRACE_SECONDS = 4.5


@dataclass(frozen=True)
class OutputOptions:
    output_dir: Path = Path("cspm-output")
    json_path: str | None = None  # "-" = stdout
    fail_on: str = "none"
    strict: bool = False
    quiet: bool = False
    timeout: float | None = None  # seconds; the scan is cut short and reported incomplete
    # When the run began (time.monotonic()): --timeout counts from here, so connecting to the
    # cloud (credentials, regions) is inside the bound too. The options are made before that.
    started: float = field(default_factory=time.monotonic)
    formats: tuple[str, ...] = ()  # besides json, which is always written
    mutelist: Mutelist | None = None
    compliance: str | None = None  # a framework id: writes compliance-<id>.json and prints the view
    store: str | None = None  # history store URL; "default" = SQLite in the user's data directory


def run(provider: Provider, checks: Sequence[CheckSpec], out: OutputOptions, *, workers: int) -> int:
    """Scan, write the reports, print the summary; return the exit code.

    SIGINT / SIGTERM and ``--timeout`` stop the collection early: the report is still written,
    marked ``complete: false``, with the unfinished collectors in ``errors``. After a signal the
    exit code is 130 (SIGINT) or 143 (SIGTERM).
    """
    from cspm.reporting.progress import progress_for
    from cspm.reporting.terminal import print_summary

    deadline = out.started + out.timeout if out.timeout else None
    stop = Stop(deadline=deadline, timeout_label=f"timed out after {out.timeout:g} s" if out.timeout else "")
    with watchdog(deadline), stop_on_signals(stop) as received, progress_for(quiet=out.quiet) as progress:
        report = scan(provider, checks, workers=workers, progress=progress, stop=stop)
        report, mutes = _mute(report, out)
        write_reports(report, out, mutes=mutes)
    from cspm.supply_chain import supply_chain_note

    note = supply_chain_note(report.findings)  # e.g. --services s3: no lineage, no severity raise
    if not out.quiet:
        _guarded(
            "the summary",
            print_summary,
            report,
            to_stderr=out.json_path == "-",
            report_path=out.output_dir / "report.json",
        )
        if note:
            (sys.stderr if out.json_path == "-" else sys.stdout).write(f"note: {note}\n")
    if out.compliance:
        _compliance(report, out)
    if out.store:
        from cspm.history import save_scan

        save_scan(report, None if out.store == "default" else out.store)  # ScanError: exit 1, reports kept
    if received:
        log.error("%s: partial report written to %s", stop.reason, out.output_dir / "report.json")
        return 128 + received[0]
    if stop.reason:
        log.warning("%s: the report is incomplete", stop.reason)
    code = exit_code(report, out.fail_on, strict=out.strict)
    if code:
        sys.stderr.write(f"cspm: {exit_reason(report, code, out.fail_on)}\n")
    elif note and out.quiet:  # a quiet gate that passed still learns why it may differ from a full scan
        sys.stderr.write(f"cspm: note: {note}\n")
    return code


def exit_reason(report: ScanReport, code: int, fail_on: str) -> str:
    """The one line that explains a non-zero exit code (printed even with --quiet)."""
    if code == ExitCode.FAILING_FINDINGS:
        threshold = Severity(fail_on).rank
        count = sum(
            1 for f in report.findings if f.status is Status.FAIL and not f.muted and f.severity.rank >= threshold
        )
        return f"{count} unmuted failing finding(s) at or above {fail_on} (exit 3)"
    return f"the scan is incomplete: {len(report.errors)} collection error(s) (exit 4, --strict)"


@contextmanager
def watchdog(deadline: float | None, grace: float = EXIT_GRACE_SECONDS) -> Iterator[None]:
    """While active, the process ends ``grace`` seconds after ``deadline`` (a ``time.monotonic()``
    value) whatever it is doing (evaluating or writing past the deadline): exit 1, one line on
    stderr. Collectors stuck in a read do not need it: collection stops at the deadline and
    :func:`cspm.cli.entry` does not wait for them. Called off once the report is written."""
    if deadline is None:
        yield
        return

    def expire() -> None:
        sys.stderr.write(f"cspm: error: --timeout: the scan did not finish within {grace:g} s of its deadline; "
                         "no report was written (exit 1)\n")  # fmt: skip
        sys.stderr.flush()
        os._exit(ExitCode.RUNTIME)

    timer = threading.Timer(max(0.0, deadline + grace - time.monotonic()), expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


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


def _mute(report: ScanReport, out: OutputOptions) -> tuple[ScanReport, MuteOutcome | None]:
    if out.mutelist is None:
        return report, None
    from cspm.mutelist import evaluate_mutelist

    outcome = evaluate_mutelist(report, out.mutelist, report.scan.started_at)
    for line in outcome.warnings:
        log.warning("%s", line)
    return outcome.report, outcome


def _guarded(what: str, show: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    """Print ``what`` for people. The reports are already written: should printing fail (a bug, an
    odd terminal), one line says so and --compliance, --store and the exit code still follow."""
    try:
        show(*args, **kwargs)
    except Exception as exc:  # whatever broke the printing must not lose the scan's outcome
        log.error("could not print %s (%s: %s); the reports are written", what, type(exc).__name__, exc)
        log.debug("printing %s failed", what, exc_info=True)


def _compliance(report: ScanReport, out: OutputOptions) -> None:
    from cspm.compliance import compliance_view, render_text
    from cspm.reporting.json_report import write_atomic

    assert out.compliance is not None
    view = compliance_view(report, out.compliance)
    write_atomic(out.output_dir / f"compliance-{out.compliance}.json", view.model_dump_json(indent=2) + "\n")
    if not out.quiet:
        (sys.stderr if out.json_path == "-" else sys.stdout).write(render_text(view) + "\n")


def write_reports(report: ScanReport, out: OutputOptions, *, mutes: MuteOutcome | None = None) -> None:
    from cspm.reporting.formats import write_formats
    from cspm.reporting.json_report import write_json

    for path in write_formats(report, ["json", *out.formats], out.output_dir, mutes=mutes):
        log.info("wrote %s", path)
    if out.json_path == "-":
        from cspm.reporting.json_report import json_chunks

        for chunk in json_chunks(report):
            sys.stdout.write(chunk)
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
