"""Fakes for engine tests: a resource type, a singleton type, small checks and a provider."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import ClassVar

from cspm.engine import CollectorUnit, UnitContext
from cspm.models import Baseline, CollectionError, Result, Scope, Severity, Status, failed, not_applicable, passed
from cspm.registry import CheckSpec, Dependency
from cspm.resources.base import Resource
from cspm.resources.base import Scope as RScope

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class Thing(Resource):
    resource_type: ClassVar[str] = "aws.fake.thing"
    good: bool | None = None


class Settings(Resource):
    resource_type: ClassVar[str] = "aws.fake.settings"
    scope: ClassVar[RScope] = RScope.ACCOUNT
    strict: bool | None = None


def thing(name: str, good: bool | None = True, account: str = "111111111111") -> Thing:
    return Thing(uid=f"arn:aws:fake:::{name}", name=name, account=account, region="us-east-1", good=good)


def settings(strict: bool | None = True, account: str = "111111111111") -> Settings:
    return Settings(uid=f"arn:aws:fake:::settings/{account}", name=account, account=account, strict=strict)


def is_good(t: Thing) -> Result:
    """Rationale."""
    if t.good is None:
        return Result(status=Status.ERROR, message="unreadable")
    return passed("good") if t.good else failed("bad", evidence={"name": t.name})


def strict_and_good(t: Thing, s: Settings) -> Result:
    """Rationale."""
    return passed("ok") if s.strict and t.good else failed("no")


def counts_things(t: Thing, others: Sequence[Thing], now: datetime) -> Result:
    """Rationale."""
    assert now == NOW
    return passed(f"{len(others)} things")


def explodes(t: Thing) -> Result:
    """Rationale."""
    raise KeyError("boom")


def only_bad(t: Thing) -> Result:
    """Rationale."""
    return not_applicable("skip") if t.good else failed("bad")


def spec(
    func: Callable[..., Result], severity: Severity = Severity.HIGH, deps: tuple[Dependency, ...] = ()
) -> CheckSpec:
    return CheckSpec(
        id=f"aws.fake.{func.__name__}",
        title=func.__name__,
        severity=severity,
        baseline=Baseline.ENCRYPTION,
        remediation="fix it",
        rationale="why",
        resource_type=Thing,
        func=func,
        dependencies=deps,
    )


SETTINGS_DEP = (Dependency(name="s", kind="singleton", resource_type=Settings),)


class FakeProvider:
    name = "aws"

    def __init__(self, produce: Iterable[Resource], fail: bool = False) -> None:
        self.produce = list(produce)
        self.fail = fail
        self.setup_errors = [
            CollectionError(
                account="111111111111",
                region="ap-east-1",
                service="ec2",
                operation="DescribeRegions",
                code="RegionNotEnabled",
                message="x",
            )
        ]
        self.planned: set[type[Resource]] = set()

    def scopes(self) -> list[Scope]:
        return [Scope(account="111111111111", regions=["us-east-1"])]

    def plan(self, resource_types: set[type[Resource]]) -> list[CollectorUnit]:
        self.planned = resource_types

        def run(ctx: UnitContext) -> Iterable[Resource]:
            yield from self.produce
            if self.fail:
                raise RuntimeError("collector bug\nsecond line")

        return [CollectorUnit("111111111111", "global", "fake", (Thing, Settings), run)]
