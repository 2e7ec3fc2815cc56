"""With 30 % of requests throttled, the real ``cspm scan aws`` process finishes with the same
findings as without throttling, and says the scan is complete.

The throttled scan runs in ``resilience.scenario`` against the account every other resilience
scan reads; the middleware answers 30 % of its requests (seeded, so the same requests every run)
with each protocol's real throttling error, retries included.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from resilience.scans import statuses
from resilience.scenario import THROTTLE_RATE, Scenario

from cspm.cli import main
from support.faults import THROTTLED, Faults, FaultServer

# One fault server (moto, in this process) per worker: with `pytest -n --dist loadgroup` these
# tests share one worker, so the account is seeded and scanned once.
pytestmark = pytest.mark.xdist_group("resilience-moto")


def test_the_scan_was_throttled_about_as_asked(scenario: Scenario) -> None:
    records = scenario.throttled.records
    throttled = [r for r in records if r.outcome == THROTTLED]
    requests = len(records) - len(throttled)  # requests answered for real (or stubbed)
    assert requests >= 50, "a scan of the whole small account"
    share = len(throttled) / len(records)
    assert THROTTLE_RATE / 2 < share < THROTTLE_RATE * 1.5, f"{len(throttled)} of {len(records)} throttled"
    assert len({r.call.service for r in throttled}) >= 4, "several services and protocols were throttled"


def test_a_throttled_scan_finds_exactly_what_an_unthrottled_one_finds(scenario: Scenario) -> None:
    baseline, throttled = scenario.baseline, scenario.throttled
    assert baseline.returncode == 0, baseline.explain()
    assert throttled.returncode == 0, throttled.explain()
    assert throttled.report["scan"]["complete"] is True
    assert throttled.errors == []
    assert statuses(throttled) == statuses(baseline)
    assert {r["uid"] for r in throttled.report["resources"]} == {r["uid"] for r in baseline.report["resources"]}


def test_every_throttled_request_was_retried_until_answered(scenario: Scenario) -> None:
    """Each distinct request that was throttled was eventually answered (not given up on)."""
    answered = {r.call for r in scenario.throttled.records if r.outcome != THROTTLED}
    given_up = {r.call for r in scenario.throttled.records if r.outcome == THROTTLED} - answered
    assert not given_up


def test_a_throttled_identity_call_is_retried(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.reset()
    fault_server.faults.configure(Faults(throttle_first={"sts:GetCallerIdentity": 3}))
    args = ["--endpoint-url", fault_server.url, "--region", "us-east-1", "--services", "kms", "--quiet"]
    assert main(["scan", "aws", *args, "--output-dir", str(tmp_path)]) == 0
