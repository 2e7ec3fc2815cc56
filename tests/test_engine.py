"""The engine: planning, collection errors, ERROR propagation, scoring and the report."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pytest

import cspm.engine as engine_module
from cspm.engine import CollectorUnit, Inventory, UnitContext, collect, evaluate, plan_types, scan, unassessed_uid
from cspm.models import CollectionError, Scope, Severity, Status
from cspm.registry import Dependency
from cspm.resources.base import Resource
from support.fakes import (
    NOW,
    SETTINGS_DEP,
    FakeProvider,
    Settings,
    Thing,
    counts_things,
    explodes,
    is_good,
    only_bad,
    settings,
    spec,
    strict_and_good,
    thing,
)


def inventory_with(*resources: Resource) -> Inventory:
    inv = Inventory()
    for r in resources:
        inv.add(r)
    return inv


def test_pass_fail_and_error_findings() -> None:
    findings = evaluate([spec(is_good)], inventory_with(thing("a"), thing("b", False), thing("c", None)), NOW)
    assert [(f.resource_uid.rsplit(":", 1)[-1], f.status) for f in findings] == [
        ("a", Status.PASS),
        ("b", Status.FAIL),
        ("c", Status.ERROR),
    ]
    assert findings[1].evidence == {"name": "b"} and findings[1].remediation == "fix it"


def test_singletons_sequences_and_now_are_injected() -> None:
    deps = (
        Dependency(name="others", kind="all", resource_type=Thing),
        Dependency(name="now", kind="now"),
    )
    inv = inventory_with(thing("a"), thing("b"), thing("x", account="222222222222"), settings())
    findings = evaluate([spec(counts_things, deps=deps), spec(strict_and_good, deps=SETTINGS_DEP)], inv, NOW)
    by_check = {(f.check_id, f.resource_uid) for f in findings if f.status is Status.PASS}
    assert ("aws.fake.counts_things", "arn:aws:fake:::a") in by_check
    messages = {f.message for f in findings if f.check_id == "aws.fake.counts_things" and f.account == "111111111111"}
    assert messages == {"2 things"}  # only things of the same account


def test_missing_singleton_answers_error_not_pass() -> None:
    findings = evaluate([spec(strict_and_good, deps=SETTINGS_DEP)], inventory_with(thing("a")), NOW)
    assert [f.status for f in findings] == [Status.ERROR]
    assert "was not collected" in findings[0].message


def test_incomplete_dependency_answers_error() -> None:
    inv = inventory_with(thing("a"), settings())
    inv.mark_incomplete(Settings, "111111111111", "global", "GetSettings failed: AccessDenied")
    findings = evaluate([spec(strict_and_good, deps=SETTINGS_DEP)], inv, NOW)
    assert [f.status for f in findings] == [Status.ERROR]
    assert findings[0].evidence["reason"] == "GetSettings failed: AccessDenied"


def test_incomplete_listing_gives_one_error_per_scope_never_silence() -> None:
    inv = Inventory()
    inv.mark_incomplete(Thing, "111111111111", "eu-west-1", "ListThings failed: AccessDenied")
    findings = evaluate([spec(is_good)], inv, NOW)
    assert len(findings) == 1
    f = findings[0]
    assert f.status is Status.ERROR and f.region == "eu-west-1"
    assert f.resource_uid == unassessed_uid("aws.fake.thing", "111111111111", "eu-west-1")


def test_a_check_that_raises_answers_error_and_the_scan_goes_on() -> None:
    findings = evaluate([spec(explodes), spec(is_good)], inventory_with(thing("a")), NOW)
    statuses = {f.check_id: f.status for f in findings}
    assert statuses == {"aws.fake.explodes": Status.ERROR, "aws.fake.is_good": Status.PASS}
    assert "KeyError" in next(f.message for f in findings if f.check_id == "aws.fake.explodes")


def test_not_applicable_writes_no_finding() -> None:
    findings = evaluate([spec(only_bad)], inventory_with(thing("a"), thing("b", False)), NOW)
    assert [f.resource_uid for f in findings] == ["arn:aws:fake:::b"]


def test_finding_uids_are_stable_and_distinct() -> None:
    first = evaluate([spec(is_good)], inventory_with(thing("a"), thing("b")), NOW)
    again = evaluate([spec(is_good)], inventory_with(thing("b"), thing("a")), NOW)
    assert [f.uid for f in first] == [f.uid for f in again]
    assert len({f.uid for f in first}) == 2


def test_scan_builds_a_report_with_scores_and_errors() -> None:
    provider = FakeProvider([thing("a"), thing("b", False), settings()])
    report = scan(provider, [spec(is_good), spec(strict_and_good, severity=Severity.LOW, deps=SETTINGS_DEP)], workers=2)
    expected: set[type[Resource]] = {Thing, Settings}
    assert provider.planned == expected
    assert report.schema_version == "1" and report.scan.provider == "aws"
    assert {f.provider for f in report.findings} == {"aws"}  # every scan, not only combined ones
    assert report.scan.checks_run == 2
    assert report.scan.complete is False  # the setup error counts
    assert [e.code for e in report.errors] == ["RegionNotEnabled"]
    s = report.summary
    assert (s.pass_, s.fail, s.error) == (2, 2, 0)
    # high PASS (4) + high FAIL (4) + low PASS (1) + low FAIL (1) -> 5 / 10
    assert s.scores["encryption"] == 50.0 and s.scores["overall"] == 50.0
    assert s.scores["least-privilege"] is None
    entries = {e.name: e for e in report.resources}
    assert entries["a"].scores == {"encryption": 100.0}
    assert entries["b"].scores == {"encryption": 0.0}
    dumped = report.to_json()
    assert '"pass": 2' in dumped


def test_a_collector_that_raises_is_recorded_and_its_types_answer_error() -> None:
    report = scan(FakeProvider([thing("a")], fail=True), [spec(is_good)], workers=1)
    codes = [(e.operation, e.code, e.message) for e in report.errors]
    assert ("collect", "RuntimeError", "collector bug") in codes
    statuses = sorted(f.status for f in report.findings)
    assert Status.ERROR in statuses  # the unassessed scope
    assert {f.provider for f in report.findings} == {"aws"}
    assert report.scan.complete is False


def test_plan_types_covers_dependencies() -> None:
    expected: set[type[Resource]] = {Thing, Settings}
    assert plan_types([spec(strict_and_good, deps=SETTINGS_DEP)]) == expected


@pytest.mark.parametrize("muted", [True, False])
def test_muted_and_error_findings_are_left_out_of_scores(muted: bool) -> None:
    from cspm.scoring import score

    findings = evaluate([spec(is_good)], inventory_with(thing("a"), thing("b", False), thing("c", None)), NOW)
    findings = [f.model_copy(update={"muted": muted and f.status is Status.FAIL}) for f in findings]
    assert score(findings) == (100.0 if muted else 50.0)


# -- per-service concurrency, streamed evaluation, per-account scores ----------------------------


class ConcurrencyRecorder:
    """Counts calls in flight per (account, service) and per service, and the maxima."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now: Counter[tuple[str, ...]] = Counter()
        self.peak: Counter[tuple[str, ...]] = Counter()

    def call(self, account: str, service: str) -> None:
        keys = [(account, service), (service,)]
        with self._lock:
            for key in keys:
                self.now[key] += 1
                self.peak[key] = max(self.peak[key], self.now[key])
        time.sleep(0.02)
        with self._lock:
            for key in keys:
                self.now[key] -= 1


def fanning_unit(recorder: ConcurrencyRecorder, account: str, service: str, max_calls: int) -> CollectorUnit:
    def one(i: int) -> str:
        recorder.call(account, service)
        return f"{service}-{i}"

    def run(ctx: UnitContext) -> Iterable[Resource]:
        return [thing(name, account=account) for name in ctx.map(one, range(12))]

    return CollectorUnit(account, "us-east-1", service, (Thing,), run, max_calls=max_calls)


def test_each_services_concurrent_calls_are_bounded_per_account() -> None:
    recorder = ConcurrencyRecorder()
    units = [
        fanning_unit(recorder, account, service, bound)
        for account in ("111111111111", "222222222222", "333333333333")
        for service, bound in (("iam", 2), ("s3", 5))
    ]
    inventory = collect(units, workers=16)
    assert len(inventory.of_type(Thing)) == 3 * 2 * 12  # map keeps every result
    for account in ("111111111111", "222222222222", "333333333333"):
        assert 1 <= recorder.peak[(account, "iam")] <= 2
        assert 1 <= recorder.peak[(account, "s3")] <= 5
    # the bound is per account: several accounts' IAM calls run side by side
    assert recorder.peak[("iam",)] > 2


def test_a_fan_out_larger_than_the_pool_neither_deadlocks_nor_exceeds_its_bound() -> None:
    recorder = ConcurrencyRecorder()
    inventory = collect([fanning_unit(recorder, "111111111111", "sagemaker", 8)], workers=2)
    assert len(inventory.of_type(Thing)) == 12
    assert recorder.peak[("111111111111", "sagemaker")] <= 2  # the pool is smaller than the bound


def test_an_error_can_name_another_service() -> None:
    def run(ctx: UnitContext) -> Iterable[Resource]:
        ctx.error("AssumeRole", "AccessDenied", "role gone", service="sts", affects=(Thing,))
        return []

    inventory = collect([CollectorUnit("111111111111", "us-east-1", "s3", (Thing,), run)], workers=1)
    [error] = inventory.errors
    assert (error.service, error.operation, error.account) == ("sts", "AssumeRole", "111111111111")
    assert inventory.incomplete_reason(Thing, "111111111111") == "AssumeRole failed: AccessDenied"


class TwoAccounts(FakeProvider):
    """Account A's unit is quick; B's waits, so A is evaluated while B still collects. A's unit
    also yields a stray resource of account C, which only counts if evaluated at the end."""

    def __init__(self, release: threading.Event) -> None:
        super().__init__([])
        self.setup_errors: list[CollectionError] = []
        self.release = release

    def scopes(self) -> list[Scope]:
        return [Scope(account=a, regions=["us-east-1"]) for a in ("111111111111", "222222222222")]

    def plan(self, resource_types: set[type[Resource]]) -> list[CollectorUnit]:
        def quick(ctx: UnitContext) -> Iterable[Resource]:
            return [thing("a-good"), thing("a-bad", False), settings(), settings(account="222222222222")]

        def slow(ctx: UnitContext) -> Iterable[Resource]:
            self.release.wait(10)
            return [thing("b-good", account="222222222222"), thing("late-a", False)]

        return [
            CollectorUnit("111111111111", "global", "fake", (Thing, Settings), quick),
            CollectorUnit("222222222222", "global", "fake", (Thing, Settings), slow),
        ]


def test_streamed_evaluation_finds_what_evaluating_at_the_end_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    checks = [spec(is_good), spec(strict_and_good, severity=Severity.LOW, deps=SETTINGS_DEP)]
    evaluated: list[str] = []
    original = engine_module.evaluate_account

    def spying(check: Any, inventory: Inventory, account: str, now: Any) -> Any:
        evaluated.append(account)
        release.set()  # B's unit finishes only once A has been evaluated
        return original(check, inventory, account, now)

    monkeypatch.setattr(engine_module, "evaluate_account", spying)
    report = scan(TwoAccounts(release), checks, workers=2)
    assert evaluated == ["111111111111", "111111111111", "222222222222", "222222222222"]

    done = threading.Event()
    done.set()
    at_the_end = evaluate(checks, collect(TwoAccounts(done).plan({Thing, Settings}), workers=2), NOW)
    streamed = {(f.check_id, f.resource_uid, f.status) for f in report.findings}
    assert streamed == {(f.check_id, f.resource_uid, f.status) for f in at_the_end}
    # "late-a" arrived for account A after A was evaluated: A was evaluated again, nothing lost
    assert ("aws.fake.is_good", "arn:aws:fake:::late-a", Status.FAIL) in streamed
    assert report.findings == sorted(report.findings, key=lambda f: (f.check_id, f.resource_uid))


def test_every_scope_has_its_own_scores() -> None:
    release = threading.Event()
    release.set()
    report = scan(TwoAccounts(release), [spec(is_good)], workers=2)
    scores = {s.account: s.scores for s in report.scan.scopes}
    assert scores["111111111111"] is not None and scores["222222222222"] is not None
    # A: a-good PASS, a-bad FAIL, late-a FAIL (all high) -> 33.3; B: b-good PASS -> 100
    assert scores["111111111111"]["overall"] == 33.3
    assert scores["222222222222"]["overall"] == 100.0
    assert scores["222222222222"]["least-privilege"] is None  # nothing of that baseline assessed
    assert report.summary.scores["overall"] == 50.0


def test_a_later_phase_starts_after_the_first_and_reads_what_it_collected() -> None:
    """Units of phase 1 (the artifact inspection) see every resource phase 0 collected in their
    account, and none of another account's."""
    seen: list[str] = []

    def first(ctx: UnitContext) -> Iterable[Resource]:
        time.sleep(0.2)  # slower than the phase-1 unit would be, were it started at once
        return [thing("model-a"), thing("model-b"), thing("other", account="222222222222")]

    def second(ctx: UnitContext) -> Iterable[Resource]:
        seen.extend(sorted(r.name for r in ctx.collected(Thing.resource_type)))
        return [settings()]

    units = [
        CollectorUnit("111111111111", "global", "artifacts", (Settings,), second, phase=1),
        CollectorUnit("111111111111", "global", "fake", (Thing,), first),
    ]
    inventory = collect(units, workers=4)
    assert seen == ["model-a", "model-b"]
    assert len(inventory.of_type(Settings)) == 1


def test_a_stop_before_a_later_phase_marks_its_units_unfinished() -> None:
    stop = engine_module.Stop()

    def first(ctx: UnitContext) -> Iterable[Resource]:
        stop.request("interrupted (SIGINT)")
        time.sleep(0.3)
        return [thing("model-a")]

    def never(ctx: UnitContext) -> Iterable[Resource]:
        raise AssertionError("a unit of a later phase ran after the stop")

    units = [
        CollectorUnit("111111111111", "global", "fake", (Thing,), first),
        CollectorUnit("111111111111", "global", "artifacts", (Settings,), never, phase=1),
    ]
    inventory = collect(units, workers=2, stop=stop)
    unfinished = {(e.service, e.code) for e in inventory.errors}
    assert ("artifacts", "Unfinished") in unfinished
    assert inventory.incomplete_reason(Settings, "111111111111")
