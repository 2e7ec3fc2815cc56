"""With half of the read APIs denied, no check answers PASS or FAIL about anything it could not
read, every denied call is in ``errors``, and ``--strict`` exits 4.

The denials are real: moto's IAM authorization mode, and an IAM user whose policy allows every
other action of ``cspm permissions aws`` (``resilience.account.split_in_half``). moto enforces
IAM for every service the scanner reads (the negative control in test_least_privilege.py proves
it per service); the few S3 actions moto authorizes under other names are granted or denied
together with their moto names, so moto denies exactly what AWS would.
"""

from __future__ import annotations

from typing import Any

import pytest
from resilience.scenario import Scenario

from cspm.permissions import aws_action

# One fault server (moto, in this process) per worker: with `pytest -n --dist loadgroup` these
# tests share one worker, so the account is seeded and scanned once.
pytestmark = pytest.mark.xdist_group("resilience-moto")

DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}


def test_the_scan_is_incomplete_and_strict_exits_4(scenario: Scenario) -> None:
    half = scenario.half
    assert half.returncode == 4, half.explain()
    assert half.report["scan"]["complete"] is False
    assert "incomplete" in half.stderr.lower()


def _denied_calls(scenario: Scenario) -> set[str]:
    """The operations the half scan sent whose IAM action its policy does not allow."""
    return {
        r.call.operation
        for r in scenario.half.records
        if aws_action(r.call.service, r.call.operation) in scenario.half_denied
    }


def test_every_denied_operation_is_in_errors(scenario: Scenario) -> None:
    denied = _denied_calls(scenario)
    assert len(denied) >= 10, f"half of the policy denies many operations the scan tried: {sorted(denied)}"
    reported = {e["operation"] for e in scenario.half.errors}
    assert denied <= reported, f"denied but not reported: {sorted(denied - reported)}"


def test_errors_are_the_denials_and_nothing_else(scenario: Scenario) -> None:
    denied = _denied_calls(scenario)
    for error in scenario.half.errors:
        assert error["operation"] in denied, error
        assert error["code"] in DENIED_CODES, error
        assert error["account"] == "123456789012" and error["message"], error


def test_no_finding_changes_between_pass_and_fail(scenario: Scenario) -> None:
    full, half = scenario.baseline.findings, scenario.half.findings
    changed = {uid: (full[uid]["status"], half[uid]["status"]) for uid in full.keys() & half.keys()}
    flipped = {uid: pair for uid, pair in changed.items() if pair[0] != pair[1] and pair[1] != "ERROR"}
    assert not flipped, f"a finding changed between PASS and FAIL without its data: {flipped}"
    became_error = [uid for uid, (before, after) in changed.items() if before != after]
    assert became_error, "denied reads turned findings into ERROR"


def _scope_error(half: dict[str, dict[str, Any]], finding: dict[str, Any]) -> dict[str, Any] | None:
    """The scope-level ERROR finding of ``finding``'s check when its resources could not be listed."""
    for other in half.values():
        if (
            other["check_id"] == finding["check_id"]
            and other["resource_type"] == finding["resource_type"]
            and other["account"] == finding["account"]
            and other["resource_uid"].endswith(":*")
        ):
            return other
    return None


def test_every_finding_that_disappeared_is_covered_by_a_scope_error(scenario: Scenario) -> None:
    full, half = scenario.baseline.findings, scenario.half.findings
    missing = [full[uid] for uid in full.keys() - half.keys()]
    assert missing, "denied listings left resources unlisted"
    for finding in missing:
        scope = _scope_error(half, finding)
        assert scope is not None, f"{finding['check_id']} on {finding['resource_uid']} vanished silently"
        assert scope["status"] == "ERROR"


def test_every_new_finding_is_an_error(scenario: Scenario) -> None:
    full, half = scenario.baseline.findings, scenario.half.findings
    new = [half[uid] for uid in half.keys() - full.keys()]
    assert new and all(f["status"] == "ERROR" for f in new), [f for f in new if f["status"] != "ERROR"]
