"""Scores, exactly as DESIGN defines them.

For a set of findings and a baseline: the weighted share of PASS among PASS + FAIL findings,
0-100, with weights critical 8, high 4, medium 2, low 1, informational 0. ERROR and muted
findings are left out. ``None`` when nothing (with a non-zero weight) was assessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from cspm.models import Baseline, Finding, Scope, Scores, Severity, Status, Summary


def score(findings: Iterable[Finding]) -> float | None:
    passed = total = 0
    for f in findings:
        if f.muted or f.status is Status.ERROR:
            continue
        weight = f.severity.weight
        total += weight
        if f.status is Status.PASS:
            passed += weight
    if total == 0:
        return None
    return round(100.0 * passed / total, 1)


def baseline_scores(findings: Sequence[Finding]) -> Scores:
    """Overall plus one score per baseline (every baseline present, ``None`` when unassessed)."""
    scores: Scores = {"overall": score(findings)}
    for baseline in Baseline:
        scores[baseline.value] = score(f for f in findings if f.baseline is baseline)
    return scores


def scope_scores(scopes: Sequence[Scope], findings: Sequence[Finding]) -> list[Scope]:
    """The scopes with each account's own scores (as :func:`baseline_scores`, over the findings
    of that account). Call it again whenever findings change (muting), as :func:`summarize`."""
    by_account: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_account[f.account].append(f)
    return [s.model_copy(update={"scores": baseline_scores(by_account.get(s.account, []))}) for s in scopes]


def resource_scores(findings: Sequence[Finding]) -> Scores:
    """Per baseline that has any finding on this resource."""
    present = sorted({f.baseline for f in findings}, key=list(Baseline).index)
    return {b.value: score(f for f in findings if f.baseline is b) for b in present}


def summarize(findings: Sequence[Finding]) -> Summary:
    counts = {Status.PASS: 0, Status.FAIL: 0, Status.ERROR: 0}
    muted = 0
    by_severity = dict.fromkeys(Severity, 0)
    for f in findings:
        if f.muted:
            muted += 1
            continue
        counts[f.status] += 1
        if f.status is Status.FAIL:
            by_severity[f.severity] += 1
    return Summary(
        pass_=counts[Status.PASS],
        fail=counts[Status.FAIL],
        error=counts[Status.ERROR],
        muted=muted,
        fail_by_severity=by_severity,
        scores=baseline_scores(findings),
    )
