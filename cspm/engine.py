"""Plan, collect, evaluate, score.

1. **Plan**: the selected checks name the resource types they read; the provider turns those into
   collector units, one per (account, region, service).
2. **Collect**: one bounded thread pool runs the units; a unit may fan out (per bucket, per job)
   on a second bounded pool through :meth:`UnitContext.map`. Failed API calls are recorded as
   :class:`~cspm.models.CollectionError`; a listing that failed marks its resource type
   *incomplete* in that scope.
3. **Evaluate**: every check runs on every resource of its type, with its dependencies injected.
   Missing data always gives ERROR: an incomplete listing, a missing singleton, a check that
   raised. Nothing is silently skipped.
4. **Score**: as DESIGN defines it, in :mod:`cspm.scoring`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from cspm import __version__
from cspm.lineage import Coverage, LineageGraph, ai_inventory, annotate, build_lineage, raise_supply_chain_severity
from cspm.models import (
    CollectionError,
    Finding,
    ResourceEntry,
    Result,
    ScanInfo,
    ScanReport,
    Scope,
    Status,
    ToolInfo,
    finding_uid,
)
from cspm.registry import CheckSpec
from cspm.resources.base import GLOBAL_REGION, Resource
from cspm.resources.base import Scope as ResourceScope
from cspm.scoring import resource_scores, summarize

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


# ---------------------------------------------------------------------------------------------
# What providers implement
# ---------------------------------------------------------------------------------------------


class UnitContext:
    """Handed to a collector unit: where it runs, how it reports errors, how it fans out."""

    def __init__(self, unit: CollectorUnit, inventory: Inventory, fanout: ThreadPoolExecutor) -> None:
        self.unit = unit
        self.account = unit.account
        self.region = unit.region
        self.service = unit.service
        self._inventory = inventory
        self._fanout = fanout

    def error(
        self,
        operation: str,
        code: str,
        message: str,
        *,
        region: str | None = None,
        affects: Iterable[type[Resource]] = (),
    ) -> None:
        """Record a failed call. ``affects``: resource types whose listing is now incomplete."""
        where = region or self.region
        self._inventory.record_error(
            CollectionError(
                account=self.account,
                region=where,
                service=self.service,
                operation=operation,
                code=code,
                message=message,
            )
        )
        for rtype in affects:
            self._inventory.mark_incomplete(rtype, self.account, where, f"{operation} failed: {code}")

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Run ``fn`` over ``items`` on the scan's bounded fan-out pool, keeping order."""
        return list(self._fanout.map(fn, items))


@dataclass(frozen=True)
class CollectorUnit:
    """One piece of collection: a service in one account and region."""

    account: str
    region: str
    service: str
    produces: tuple[type[Resource], ...]
    run: Callable[[UnitContext], Iterable[Resource]] = field(compare=False, repr=False)

    @property
    def label(self) -> str:
        return f"{self.service} {self.account}/{self.region}"


class Provider(Protocol):
    name: str
    setup_errors: list[CollectionError]  # failures before collection (e.g. listing regions)

    def scopes(self) -> list[Scope]: ...

    def plan(self, resource_types: set[type[Resource]]) -> list[CollectorUnit]: ...


class Progress(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self, label: str) -> None: ...

    def stop(self) -> None: ...


# ---------------------------------------------------------------------------------------------
# Inventory
# ---------------------------------------------------------------------------------------------


class Inventory:
    """Everything collected, plus what could not be."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_type: dict[type[Resource], list[Resource]] = defaultdict(list)
        self._incomplete: dict[tuple[str, str, str], str] = {}
        self.errors: list[CollectionError] = []
        self._closed = False

    def add(self, resource: Resource) -> None:
        with self._lock:
            if not self._closed:
                self._by_type[type(resource)].append(resource)

    def record_error(self, error: CollectionError) -> None:
        with self._lock:
            if not self._closed:
                self.errors.append(error)

    def close(self) -> None:
        """Ignore whatever abandoned collector threads still report."""
        with self._lock:
            self._closed = True

    def mark_incomplete(self, rtype: type[Resource], account: str, region: str, reason: str) -> None:
        with self._lock:
            if self._closed:
                return
            self._incomplete.setdefault((rtype.resource_type, account, region), reason)

    def of_type(self, rtype: type[Resource]) -> list[Resource]:
        return self._by_type.get(rtype, [])

    def all_in_account(self, rtype: type[Resource], account: str) -> list[Resource]:
        return [r for r in self.of_type(rtype) if r.account == account]

    def singleton(self, rtype: type[Resource], account: str, region: str) -> Resource | None:
        want_region = region if rtype.scope is ResourceScope.REGION else None
        for r in self.of_type(rtype):
            if r.account == account and (want_region is None or r.region == want_region):
                return r
        return None

    def incomplete_scopes(self, rtype: type[Resource]) -> list[tuple[str, str, str]]:
        """(account, region, reason) for every scope in which ``rtype`` could not be fully listed."""
        return [(a, r, why) for (t, a, r), why in self._incomplete.items() if t == rtype.resource_type]

    def incomplete_reason(self, rtype: type[Resource], account: str, region: str | None = None) -> str | None:
        """Why ``rtype`` is incomplete in ``account`` (and ``region``, if given), else None."""
        for (t, a, r), why in self._incomplete.items():
            if t == rtype.resource_type and a == account and (region is None or r in (region, GLOBAL_REGION)):
                return why
        return None

    @property
    def complete(self) -> bool:
        return not self.errors and not self._incomplete

    def resources(self) -> Iterator[Resource]:
        for items in self._by_type.values():
            yield from items


# ---------------------------------------------------------------------------------------------
# Collect
# ---------------------------------------------------------------------------------------------


class Stop:
    """Asks a running collection to stop early (a signal, or the --timeout deadline).

    ``reason`` names why, for the report: "interrupted (SIGINT)", "timed out after 600 s"...
    """

    def __init__(self, deadline: float | None = None, timeout_label: str = "") -> None:
        self._event = threading.Event()
        self.reason = ""
        self.deadline = deadline  # time.monotonic() value
        self._timeout_label = timeout_label

    def request(self, reason: str) -> None:
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    def requested(self) -> bool:
        if self.deadline is not None and not self._event.is_set() and time.monotonic() >= self.deadline:
            self.request(self._timeout_label or "timed out")
        return self._event.is_set()

    def wait(self, seconds: float) -> None:
        self._event.wait(seconds)


POLL_SECONDS = 0.1


def collect(
    units: Sequence[CollectorUnit],
    *,
    workers: int,
    progress: Progress | None = None,
    stop: Stop | None = None,
) -> Inventory:
    """Run every unit; with ``stop``, units still running when it fires are recorded as
    unfinished: their resource types become incomplete, so their checks answer ERROR."""
    inventory = Inventory()
    if progress:
        progress.start(len(units))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cspm-unit")
    fanout = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cspm-fanout")
    pending = {pool.submit(_run_unit, unit, inventory, fanout): unit for unit in units}
    try:
        while pending:
            done, _ = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                unit = pending.pop(future)
                future.result()  # _run_unit never raises
                if progress:
                    progress.advance(unit.label)
            if pending and stop is not None and stop.requested():
                _abandon(inventory, list(pending.values()), stop.reason)
                break
    finally:
        interrupted = bool(pending)
        # After a stop, in-flight calls are abandoned (not waited for) and their results dropped.
        pool.shutdown(wait=not interrupted, cancel_futures=interrupted)
        fanout.shutdown(wait=not interrupted, cancel_futures=interrupted)
        if progress:
            progress.stop()
    if interrupted:
        inventory.close()
    return inventory


def _abandon(inventory: Inventory, units: Sequence[CollectorUnit], reason: str) -> None:
    for unit in units:
        inventory.record_error(
            CollectionError(
                account=unit.account,
                region=unit.region,
                service=unit.service,
                operation="collect",
                code="Unfinished",
                message=f"collection stopped before this finished: {reason}",
            )
        )
        for rtype in unit.produces:
            inventory.mark_incomplete(rtype, unit.account, unit.region, f"collection unfinished: {reason}")


def _run_unit(unit: CollectorUnit, inventory: Inventory, fanout: ThreadPoolExecutor) -> None:
    ctx = UnitContext(unit, inventory, fanout)
    try:
        for resource in unit.run(ctx):
            inventory.add(resource)
    except Exception as exc:
        # A collector bug or an unexpected SDK failure: recorded, never silent. Everything the
        # unit should have produced is now incomplete, so its checks answer ERROR.
        log.debug("collector %s failed", unit.label, exc_info=True)
        ctx.error("collect", type(exc).__name__, _one_line(exc), affects=unit.produces)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:500] if text else type(exc).__name__


# ---------------------------------------------------------------------------------------------
# Evaluate
# ---------------------------------------------------------------------------------------------


def evaluate(checks: Sequence[CheckSpec], inventory: Inventory, now: datetime) -> list[Finding]:
    findings: list[Finding] = []
    for spec in checks:
        findings.extend(_unassessed_scopes(spec, inventory))
        for resource in inventory.of_type(spec.resource_type):
            result = _evaluate_one(spec, resource, inventory, now)
            if result.status is not None:
                findings.append(make_finding(spec, resource, result))
    findings.sort(key=lambda f: (f.check_id, f.resource_uid))
    return findings


def unassessed_uid(resource_type: str, account: str, region: str) -> str:
    """The resource uid of an ERROR finding for resources that could not even be listed."""
    return f"{resource_type}:{account}:{region}:*"


def _unassessed_scopes(spec: CheckSpec, inventory: Inventory) -> Iterator[Finding]:
    rtype = spec.resource_type
    for account, region, reason in inventory.incomplete_scopes(rtype):
        yield Finding(
            uid=finding_uid(spec.id, unassessed_uid(rtype.resource_type, account, region)),
            check_id=spec.id,
            title=spec.title,
            status=Status.ERROR,
            severity=spec.severity,
            baseline=spec.baseline,
            resource_uid=unassessed_uid(rtype.resource_type, account, region),
            resource_type=rtype.resource_type,
            account=account,
            region=region,
            message=f"Could not assess: {rtype.resource_type} could not be listed ({reason}).",
            evidence={"reason": reason},
            remediation=spec.remediation,
            compliance={k: list(v) for k, v in spec.compliance.items()},
            attack=list(spec.attack),
        )


def _evaluate_one(spec: CheckSpec, resource: Resource, inventory: Inventory, now: datetime) -> Result:
    kwargs: dict[str, Any] = {}
    for dep in spec.dependencies:
        if dep.kind == "now":
            kwargs[dep.name] = now
            continue
        assert dep.resource_type is not None
        reason = inventory.incomplete_reason(
            dep.resource_type, resource.account, resource.region if dep.kind == "singleton" else None
        )
        if reason:
            return Result(
                status=Status.ERROR,
                message=f"Could not assess: {dep.resource_type.resource_type} data is missing ({reason}).",
                evidence={"missing": dep.resource_type.resource_type, "reason": reason},
            )
        if dep.kind == "singleton":
            value = inventory.singleton(dep.resource_type, resource.account, resource.region)
            if value is None:
                return Result(
                    status=Status.ERROR,
                    message=f"Could not assess: {dep.resource_type.resource_type} was not collected.",
                    evidence={"missing": dep.resource_type.resource_type},
                )
            kwargs[dep.name] = value
        else:
            kwargs[dep.name] = inventory.all_in_account(dep.resource_type, resource.account)
    try:
        result = spec.func(resource, **kwargs)
    except Exception as exc:
        log.warning("check %s raised on %s: %s", spec.id, resource.uid, exc, exc_info=log.isEnabledFor(10))
        return Result(
            status=Status.ERROR,
            message=f"Could not assess: the check failed ({type(exc).__name__}: {_one_line(exc)}).",
            evidence={"exception": type(exc).__name__},
        )
    if not isinstance(result, Result):
        return Result(status=Status.ERROR, message="Could not assess: the check returned no result.")
    return result


def make_finding(spec: CheckSpec, resource: Resource, result: Result) -> Finding:
    assert result.status is not None
    return Finding(
        uid=finding_uid(spec.id, resource.uid),
        check_id=spec.id,
        title=spec.title,
        status=result.status,
        severity=spec.severity,
        baseline=spec.baseline,
        resource_uid=resource.uid,
        resource_type=resource.resource_type,
        account=resource.account,
        region=resource.region,
        message=result.message,
        evidence=result.evidence,
        remediation=spec.remediation,
        compliance={k: list(v) for k, v in spec.compliance.items()},
        attack=list(spec.attack),
    )


# ---------------------------------------------------------------------------------------------
# Scan
# ---------------------------------------------------------------------------------------------


def plan_types(checks: Sequence[CheckSpec]) -> set[type[Resource]]:
    return {t for spec in checks for t in spec.resource_types}


def scan(
    provider: Provider,
    checks: Sequence[CheckSpec],
    *,
    workers: int = 8,
    progress: Progress | None = None,
    stop: Stop | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ScanReport:
    started = clock()
    units = provider.plan(plan_types(checks))
    inventory = collect(units, workers=workers, progress=progress, stop=stop)
    for error in provider.setup_errors:
        inventory.record_error(error)
    findings = evaluate(checks, inventory, started)
    return build_report(provider, checks, inventory, findings, started, clock())


def build_report(
    provider: Provider,
    checks: Sequence[CheckSpec],
    inventory: Inventory,
    findings: list[Finding],
    started: datetime,
    finished: datetime,
) -> ScanReport:
    graph = _lineage(provider, checks, inventory)
    if graph is not None:
        findings = raise_supply_chain_severity(findings, graph)
    by_resource: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_resource[f.resource_uid].append(f)
    resources = sorted(
        (
            ResourceEntry(
                uid=r.uid,
                type=r.resource_type,
                name=r.name,
                account=r.account,
                region=r.region,
                tags=dict(r.tags),
                scores=resource_scores(by_resource.get(r.uid, [])),
            )
            for r in inventory.resources()
        ),
        key=lambda e: (e.type, e.uid),
    )
    errors = sorted(inventory.errors, key=lambda e: (e.account, e.region, e.service, e.operation))
    summary = summarize(findings)
    lineage = None
    if graph is not None:
        lineage = annotate(graph.to_model(), findings)
        summary = summary.model_copy(update={"ai_inventory": ai_inventory(resources, findings, lineage)})
    return ScanReport(
        tool=ToolInfo(version=__version__),
        scan=ScanInfo(
            id=str(uuid.uuid4()),
            provider=provider.name,
            started_at=started,
            finished_at=finished,
            complete=inventory.complete,
            scopes=provider.scopes(),
            checks_run=len(checks),
        ),
        summary=summary,
        resources=resources,
        findings=findings,
        errors=errors,
        lineage=lineage,
    )


def _lineage(provider: Provider, checks: Sequence[CheckSpec], inventory: Inventory) -> LineageGraph | None:
    """The AI lineage graph of an AWS scan (None for other clouds), with what the scan covered so
    that unresolved references say why."""
    if provider.name != "aws":
        return None
    planned = plan_types(checks)
    coverage = Coverage(
        collected=frozenset(t.resource_type for t in planned),
        incomplete={(t.resource_type, a, r): why for t in planned for a, r, why in inventory.incomplete_scopes(t)},
        scopes={s.account: frozenset(s.regions) for s in provider.scopes()},
    )
    return build_lineage(inventory.resources(), coverage)
