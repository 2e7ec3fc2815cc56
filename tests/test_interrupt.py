"""SIGINT, SIGTERM and --timeout: the collection stops, a partial report is still written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from cspm.engine import CollectorUnit, Stop, UnitContext, collect, evaluate
from cspm.models import Status
from cspm.resources.base import Resource
from support.fakes import NOW, Thing, is_good, spec, thing


def slow_unit(release: threading.Event, region: str = "eu-west-1") -> CollectorUnit:
    def run(ctx: UnitContext) -> Iterable[Resource]:
        yield thing(f"early-{region}")
        release.wait(30)
        yield thing(f"late-{region}")

    return CollectorUnit("111111111111", region, "fake", (Thing,), run)


def quick_unit() -> CollectorUnit:
    return CollectorUnit("111111111111", "us-east-1", "fake", (Thing,), lambda ctx: [thing("quick")])


def test_a_stopped_collection_keeps_what_it_has_and_marks_the_rest_unfinished() -> None:
    release = threading.Event()
    stop = Stop()
    threading.Timer(0.3, stop.request, args=("interrupted (SIGINT)",)).start()
    try:
        started = time.monotonic()
        inventory = collect([quick_unit(), slow_unit(release)], workers=2, stop=stop)
        assert time.monotonic() - started < 5
    finally:
        release.set()
    names = sorted(r.name for r in inventory.of_type(Thing))
    assert names == ["early-eu-west-1", "quick"]  # the late resource of the abandoned unit is dropped
    assert [(e.operation, e.code, e.region) for e in inventory.errors] == [("collect", "Unfinished", "eu-west-1")]
    assert "interrupted (SIGINT)" in inventory.errors[0].message
    findings = evaluate([spec(is_good)], inventory, NOW)
    by_uid = {f.resource_uid: f.status for f in findings}
    assert by_uid["aws.fake.thing:111111111111:eu-west-1:*"] is Status.ERROR
    assert by_uid["arn:aws:fake:::quick"] is Status.PASS
    assert not inventory.complete


def test_the_deadline_stops_the_collection() -> None:
    release = threading.Event()
    stop = Stop(deadline=time.monotonic() + 0.3, timeout_label="timed out after 0.3 s")
    try:
        inventory = collect([slow_unit(release)], workers=1, stop=stop)
    finally:
        release.set()
    assert stop.reason == "timed out after 0.3 s"
    assert inventory.errors[0].code == "Unfinished"


SCRIPT = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from support.fakes import FakeProvider, spec, is_good, thing
    from cspm.engine import CollectorUnit
    from cspm.runner import OutputOptions, run

    class Slow(FakeProvider):
        def plan(self, resource_types):
            def forever(ctx):
                yield thing("seen")
                print("collecting", flush=True)
                threading.Event().wait(60)
            return [CollectorUnit("111111111111", "us-east-1", "fake", self.produce_types, forever)]

    provider = Slow([])
    provider.produce_types = tuple({{type(thing("x"))}})
    out = OutputOptions(output_dir=Path({out!r}), quiet=True, timeout={timeout})
    code = run(provider, [spec(is_good)], out, workers=2)
    print("exit", code, flush=True)
    import os
    os._exit(code)
    """
)


def _start(tmp_path: Path, timeout: float | None = None) -> subprocess.Popen[str]:
    tests = str(Path(__file__).parent)
    code = SCRIPT.format(tests=tests, out=str(tmp_path), timeout=timeout)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize(("sig", "expected"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_writes_a_partial_report_and_exits_128_plus_signal(
    tmp_path: Path, sig: signal.Signals, expected: int
) -> None:
    proc = _start(tmp_path)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "collecting"
    os.kill(proc.pid, sig)
    _stdout, stderr = proc.communicate(timeout=20)
    assert proc.returncode == expected, stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["scan"]["complete"] is False
    assert report["errors"][0]["code"] == "Unfinished"
    assert f"interrupted ({sig.name})" in report["errors"][0]["message"]
    assert [f["status"] for f in report["findings"]].count("PASS") == 1  # what was collected is still assessed
    assert f"interrupted ({sig.name}): partial report written" in stderr


def test_timeout_cuts_the_scan_short_and_reports_it(tmp_path: Path) -> None:
    proc = _start(tmp_path, timeout=0.5)
    stdout, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "exit 0" in stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["scan"]["complete"] is False
    assert "timed out after 0.5 s" in report["errors"][0]["message"]
    assert "the report is incomplete" in stderr


def test_the_watchdog_ends_a_run_that_overstays_its_deadline() -> None:
    """Whatever holds the process past the deadline (here a sleep standing for an analysis that
    does not end), it exits 1 with one line, ``grace`` seconds after the deadline."""
    code = textwrap.dedent(
        """
        import time
        from cspm.runner import watchdog
        with watchdog(time.monotonic() + 0.2, grace=0.2):
            time.sleep(30)
        print("not reached")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20, check=False)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("cspm: error: --timeout: the scan did not finish within 0.2 s of its deadline")


def test_the_watchdog_is_called_off_when_the_run_ends() -> None:
    code = textwrap.dedent(
        """
        import time
        from cspm.runner import watchdog
        with watchdog(time.monotonic() + 0.1, grace=0.1):
            pass
        time.sleep(0.5)
        print("finished")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "finished")
