"""Plan, collect, evaluate, score.

1. **Plan**: the selected checks name the resource types they read; the provider turns those into
   collector units, one per (account, region, service).
2. **Collect**: one bounded thread pool runs the units; a unit may fan out (per bucket, per job)
   on a second bounded pool through :meth:`UnitContext.map`. Concurrency per service is bounded
   too: a unit's fan-out keeps at most ``unit.max_calls`` calls in flight, counted per
   (account, region, service) so that each service's API rate limit in each account is respected
   however many accounts run at once. Failed API calls are recorded as
   :class:`~cspm.models.CollectionError`; a listing that failed marks its resource type
   *incomplete* in that scope.
3. **Evaluate**: every check runs on every resource of its type, with its dependencies injected.
   Missing data always gives ERROR: an incomplete listing, a missing singleton, a check that
   raised. Nothing is silently skipped. A scan evaluates each account as soon as its data for a
   check is complete, while other units are still collecting (:class:`StreamedEvaluation`).
4. **Score**: as DESIGN defines it, in :mod:`cspm.scoring`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence, Set
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from cspm import __version__
from cspm.artifacts.report import annotate_artifacts, artifact_entries
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
from cspm.risks import find_risks
from cspm.scoring import resource_scores, scope_scores, summarize
from cspm.secrets import redact, redact_finding, redact_tags
from cspm.supply_chain import mark_unassessed

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


# ---------------------------------------------------------------------------------------------
# What providers implement
# ---------------------------------------------------------------------------------------------


class UnitContext:
    """Handed to a collector unit: where it runs, how it reports errors, how it fans out."""

    def __init__(
        self,
        unit: CollectorUnit,
        inventory: Inventory,
        fanout: ThreadPoolExecutor,
        slots: CallSlots | None = None,
    ) -> None:
        self.unit = unit
        self.account = unit.account
        self.region = unit.region
        self.service = unit.service
        self._inventory = inventory
        self._fanout = fanout
        self._slots = slots or CallSlots()

    def error(
        self,
        operation: str,
        code: str,
        message: str,
        *,
        region: str | None = None,
        affects: Iterable[type[Resource]] = (),
        service: str | None = None,
    ) -> None:
        """Record a failed call. ``affects``: resource types whose listing is now incomplete.
        ``service``: the service that failed, when it is not the unit's (e.g. ``sts`` when the
        account's session could not be renewed)."""
        where = region or self.region
        self._inventory.record_error(
            CollectionError(
                account=self.account,
                region=where,
                service=service or self.service,
                operation=operation,
                code=code,
                message=message,
            )
        )
        for rtype in affects:
            self._inventory.mark_incomplete(rtype, self.account, where, f"{operation} failed: {code}")

    def collected(self, resource_type: str) -> list[Resource]:
        """What the earlier collection phase collected of ``resource_type`` in this unit's
        account: for units of a later phase (``CollectorUnit.phase``), which read what the
        first one found (the model artifacts the SageMaker models load)."""
        return [
            r for r in self._inventory.resources() if r.resource_type == resource_type and r.account == self.account
        ]

    def mark_incomplete(self, affects: Iterable[type[Resource]], reason: str) -> None:
        """Mark the listings of ``affects`` incomplete in this unit's scope with a reason of the
        collector's own (after the failed call was recorded by :meth:`error`): every check of
        those types then answers ERROR with ``reason``."""
        for rtype in affects:
            self._inventory.mark_incomplete(rtype, self.account, self.region, reason)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Run ``fn`` over ``items`` on the scan's bounded fan-out pool, keeping order.

        At most ``unit.max_calls`` of them run at once for this (account, region, service): the
        unit's thread waits for a free slot before handing the next item to the pool, so one
        large unit neither exceeds its service's bound nor floods the shared pool's queue.
        """
        slots = self._slots.semaphore(self.unit)
        futures: list[Future[R]] = []
        for item in items:
            slots.acquire()
            try:
                future = self._fanout.submit(fn, item)
            except BaseException:
                slots.release()
                raise
            future.add_done_callback(lambda _: slots.release())
            futures.append(future)
        return [future.result() for future in futures]


DEFAULT_MAX_CALLS = 8  # concurrent calls of one unit's fan-out, unless its provider says otherwise


@dataclass(frozen=True)
class CollectorUnit:
    """One piece of collection: a service in one account and region.

    ``max_calls``: how many calls of this (account, region, service) may be in flight at once
    (its fan-out through :meth:`UnitContext.map`), to stay under the service's API rate limit.

    ``phase``: units of phase 1 start once every unit of phase 0 is done, and read what those
    collected (:meth:`UnitContext.collected`): the artifact inspection reads the models' URIs.
    """

    account: str
    region: str
    service: str
    produces: tuple[type[Resource], ...]
    run: Callable[[UnitContext], Iterable[Resource]] = field(compare=False, repr=False)
    max_calls: int = DEFAULT_MAX_CALLS
    phase: int = 0

    @property
    def label(self) -> str:
        return f"{self.service} {self.account}/{self.region}"


class CallSlots:
    """One semaphore per (account, region, service), sized by the first unit that asks for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._semaphores: dict[tuple[str, str, str], threading.BoundedSemaphore] = {}

    def semaphore(self, unit: CollectorUnit) -> threading.BoundedSemaphore:
        key = (unit.account, unit.region, unit.service)
        with self._lock:
            found = self._semaphores.get(key)
            if found is None:
                found = self._semaphores[key] = threading.BoundedSemaphore(max(1, unit.max_calls))
            return found


class Provider(Protocol):
    name: str

    @property
    def setup_errors(self) -> list[CollectionError]:
        """Failures before collection (e.g. listing regions)."""
        ...

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
        # (type, account) -> resources, in order of addition: the engine injects a check's
        # ``Sequence[...]`` arguments from it once per resource (a scan-wide filter cost 10 % of the
        # IAM checks' CPU on 2,000 principals).
        self._by_account: dict[tuple[type[Resource], str], list[Resource]] = defaultdict(list)
        self._incomplete: dict[tuple[str, str, str], str] = {}
        self._changes: Counter[tuple[str, str]] = Counter()  # (resource type, account) -> additions + marks
        self.errors: list[CollectionError] = []
        self._closed = False

    def add(self, resource: Resource) -> None:
        with self._lock:
            if not self._closed:
                self._by_type[type(resource)].append(resource)
                self._by_account[(type(resource), resource.account)].append(resource)
                self._changes[(resource.resource_type, resource.account)] += 1

    def record_error(self, error: CollectionError) -> None:
        # API error messages are text we did not write: secrets in them never reach a report.
        error = error.model_copy(update={"message": redact(error.message)})
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
            self._changes[(rtype.resource_type, account)] += 1

    def version(self, rtypes: Iterable[type[Resource]], account: str) -> tuple[int, ...]:
        """Changes so far to these types in ``account``: equal versions, same data."""
        with self._lock:
            return tuple(self._changes[(t.resource_type, account)] for t in rtypes)

    def of_type(self, rtype: type[Resource]) -> list[Resource]:
        return self._by_type.get(rtype, [])

    def all_in_account(self, rtype: type[Resource], account: str) -> list[Resource]:
        return list(self._by_account.get((rtype, account), ()))

    def singleton(self, rtype: type[Resource], account: str, region: str) -> Resource | None:
        want_region = region if rtype.scope is ResourceScope.REGION else None
        for r in self.of_type(rtype):
            if r.account == account and (want_region is None or r.region == want_region):
                return r
        return None

    def incomplete_scopes(self, rtype: type[Resource]) -> list[tuple[str, str, str]]:
        """(account, region, reason) for every scope in which ``rtype`` could not be fully listed."""
        with self._lock:  # collection may still be running (streamed evaluation)
            marks = list(self._incomplete.items())
        return [(a, r, why) for (t, a, r), why in marks if t == rtype.resource_type]

    def incomplete_marks(self) -> list[tuple[str, str, str, str]]:
        """(resource type, account, region, reason) of every incomplete listing."""
        with self._lock:
            return [(t, a, r, why) for (t, a, r), why in self._incomplete.items()]

    def incomplete_reason(self, rtype: type[Resource], account: str, region: str | None = None) -> str | None:
        """Why ``rtype`` is incomplete in ``account`` (and ``region``, if given), else None."""
        with self._lock:
            marks = list(self._incomplete.items())
        for (t, a, r), why in marks:
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
    on_unit_done: Callable[[CollectorUnit, Inventory], None] | None = None,
) -> Inventory:
    """Run every unit; with ``stop``, units still running when it fires are recorded as
    unfinished: their resource types become incomplete, so their checks answer ERROR.
    ``on_unit_done`` is called on this thread after each unit, while the others go on."""
    inventory = Inventory()
    if progress:
        progress.start(len(units))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cspm-unit")
    fanout = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cspm-fanout")
    slots = CallSlots()
    waiting = _Phases(units)

    def start_next_phase() -> dict[Future[None], CollectorUnit]:
        return {pool.submit(_run_unit, unit, inventory, fanout, slots): unit for unit in waiting.next()}

    pending = start_next_phase()
    try:
        while pending:
            done, _ = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                unit = pending.pop(future)
                future.result()  # _run_unit never raises
                _unit_finished(unit, inventory, progress, on_unit_done)
            if pending and stop is not None and stop.requested():
                _abandon(inventory, [*pending.values(), *waiting.rest()], stop.reason)
                break
            while not pending and waiting:
                pending = start_next_phase()
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


def _unit_finished(
    unit: CollectorUnit,
    inventory: Inventory,
    progress: Progress | None,
    on_unit_done: Callable[[CollectorUnit, Inventory], None] | None,
) -> None:
    if progress:
        progress.advance(unit.label)
    if on_unit_done is not None:
        on_unit_done(unit, inventory)


class _Phases:
    """The units not started yet, by phase (``CollectorUnit.phase``): a phase starts when the one
    before it is done."""

    def __init__(self, units: Sequence[CollectorUnit]) -> None:
        self._by_phase = {p: [u for u in units if u.phase == p] for p in sorted({u.phase for u in units})}

    def __bool__(self) -> bool:
        return bool(self._by_phase)

    def next(self) -> list[CollectorUnit]:
        return self._by_phase.pop(min(self._by_phase)) if self._by_phase else []

    def rest(self) -> list[CollectorUnit]:
        return [u for units in self._by_phase.values() for u in units]


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


def _run_unit(unit: CollectorUnit, inventory: Inventory, fanout: ThreadPoolExecutor, slots: CallSlots) -> None:
    ctx = UnitContext(unit, inventory, fanout, slots)
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
        findings.extend(_evaluate_spec(spec, inventory, now))
    findings.sort(key=finding_order)
    return findings


def finding_order(f: Finding) -> tuple[str, ...]:
    """The report's order of findings: total, so that a scan merged from parts (cspm.merge) lists
    them exactly as one process does, whatever order the parts arrived in."""
    return (f.check_id, f.resource_uid, f.account, f.region, f.uid, f.status.value, f.message)


def error_order(e: CollectionError) -> tuple[str, ...]:
    """The report's order of collection errors (total, as :func:`finding_order`)."""
    return (e.account, e.region, e.service, e.operation, e.code, e.message)


def resource_order(e: ResourceEntry) -> tuple[str, ...]:
    return (e.type, e.uid, e.account, e.region, e.name)


class StreamedEvaluation:
    """Evaluates each check in each account as soon as the account's collection of every type
    the check reads is over, while the other accounts and services are still being collected:
    checks are CPU work, collection mostly waits on the network, so the two overlap. A check
    whose data changed after it was evaluated (a unit yielding another account's resources) is
    evaluated again at the end, so the findings are always those of :func:`evaluate`.
    """

    def __init__(self, checks: Sequence[CheckSpec], units: Sequence[CollectorUnit], now: datetime) -> None:
        self.checks = list(checks)
        self.now = now
        self._pending: Counter[tuple[str, str]] = Counter()  # (account, resource type) -> units to go
        for unit in units:
            for rtype in unit.produces:
                self._pending[(unit.account, rtype.resource_type)] += 1
        # check id -> account -> (the version of the data it saw, its findings)
        self._done: dict[str, dict[str, tuple[tuple[int, ...], list[Finding]]]] = defaultdict(dict)

    def unit_done(self, unit: CollectorUnit, inventory: Inventory) -> None:
        for rtype in unit.produces:
            self._pending[(unit.account, rtype.resource_type)] -= 1
        produced = {t.resource_type for t in unit.produces}
        for spec in self.checks:
            types = spec.resource_types
            if unit.account in self._done[spec.id] or not produced & {t.resource_type for t in types}:
                continue
            if any(self._pending[(unit.account, t.resource_type)] > 0 for t in types):
                continue
            version = inventory.version(types, unit.account)
            self._done[spec.id][unit.account] = (version, evaluate_account(spec, inventory, unit.account, self.now))

    def finish(self, inventory: Inventory) -> list[Finding]:
        """Every finding: those streamed (unless their data changed since), and the rest."""
        findings: list[Finding] = []
        for spec in self.checks:
            fresh: set[str] = set()
            for account, (version, found) in self._done[spec.id].items():
                if inventory.version(spec.resource_types, account) == version:
                    findings.extend(found)
                    fresh.add(account)
            findings.extend(_evaluate_spec(spec, inventory, self.now, skip=fresh))
        findings.sort(key=finding_order)
        return findings


def evaluate_account(spec: CheckSpec, inventory: Inventory, account: str, now: datetime) -> list[Finding]:
    """The findings of one check in one account."""
    findings = [f for f in _unassessed_scopes(spec, inventory) if f.account == account]
    for resource in inventory.of_type(spec.resource_type):
        if resource.account == account:
            result = _evaluate_one(spec, resource, inventory, now)
            if result.status is not None:
                findings.append(make_finding(spec, resource, result))
    return findings


def _evaluate_spec(
    spec: CheckSpec, inventory: Inventory, now: datetime, skip: Set[str] = frozenset()
) -> Iterator[Finding]:
    """The findings of one check, except in the accounts of ``skip``."""
    yield from (f for f in _unassessed_scopes(spec, inventory) if f.account not in skip)
    for resource in inventory.of_type(spec.resource_type):
        if resource.account in skip:
            continue
        result = _evaluate_one(spec, resource, inventory, now)
        if result.status is not None:
            yield make_finding(spec, resource, result)


def unassessed_uid(resource_type: str, account: str, region: str) -> str:
    """The resource uid of an ERROR finding for resources that could not even be listed."""
    return f"{resource_type}:{account}:{region}:*"


def _unassessed_scopes(spec: CheckSpec, inventory: Inventory) -> Iterator[Finding]:
    rtype = spec.resource_type
    for account, region, reason in inventory.incomplete_scopes(rtype):
        yield Finding(
            uid=finding_uid(spec.id, unassessed_uid(rtype.resource_type, account, region)),
            status=Status.ERROR,
            resource_uid=unassessed_uid(rtype.resource_type, account, region),
            resource_type=rtype.resource_type,
            account=account,
            region=region,
            message=f"Could not assess: {rtype.resource_type} could not be listed ({reason}).",
            evidence={"reason": reason},
            **spec.finding_fields,
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
    """The finding of a check's result. Built without validating again what the registry and
    :class:`Result` already validated, and sharing the check's metadata (title, remediation,
    compliance, ATT&CK ids) between its findings: a large account has tens of thousands."""
    assert result.status is not None
    return Finding.model_construct(
        uid=finding_uid(spec.id, resource.uid),
        status=result.status,
        resource_uid=resource.uid,
        resource_type=resource.resource_type,
        account=resource.account,
        region=resource.region,
        message=result.message,
        evidence=result.evidence,
        **spec.finding_fields,
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
    inventory, findings = collect_and_evaluate(provider, checks, started, workers=workers, progress=progress, stop=stop)
    return build_report(provider, checks, inventory, findings, started, clock())


def collect_and_evaluate(
    provider: Provider,
    checks: Sequence[CheckSpec],
    now: datetime,
    *,
    workers: int = 8,
    progress: Progress | None = None,
    stop: Stop | None = None,
) -> tuple[Inventory, list[Finding]]:
    """Collect what ``checks`` read and evaluate them at ``now``: the inventory (the provider's
    setup errors included) and the findings before the lineage rule. A scan builds its report
    from them; a shard of a distributed scan (:mod:`cspm.shards`) writes them as account parts."""
    units = provider.plan(plan_types(checks))
    streamed = StreamedEvaluation(checks, units, now)
    inventory = collect(units, workers=workers, progress=progress, stop=stop, on_unit_done=streamed.unit_done)
    for error in provider.setup_errors:
        inventory.record_error(error)
    return inventory, streamed.finish(inventory)


def build_report(
    provider: Provider,
    checks: Sequence[CheckSpec],
    inventory: Inventory,
    findings: list[Finding],
    started: datetime,
    finished: datetime,
    *,
    scan_id: str | None = None,
) -> ScanReport:
    """The report of a scan; ``scan_id``: the id a distributed scan's coordinator fixed (default: a new one)."""
    graph, coverage = _lineage(provider, checks, inventory)
    if graph is not None and coverage is not None:
        findings = mark_unassessed(raise_supply_chain_severity(findings, graph), coverage)
    # Checks quote account text (rule descriptions, names) in messages and evidence: redacted too.
    findings = [redact_finding(f) for f in findings]
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
                tags=redact_tags(r.tags),  # a token kept in a tag is not copied into reports
                scores=resource_scores(by_resource.get(r.uid, [])),
            )
            for r in inventory.resources()
        ),
        key=resource_order,
    )
    errors = sorted(inventory.errors, key=error_order)
    summary = summarize(findings)
    lineage = None
    artifacts = artifact_entries(inventory.resources())
    if graph is not None:
        lineage = annotate_artifacts(annotate(graph.to_model(), findings), artifacts)
        summary = summary.model_copy(update={"ai_inventory": ai_inventory(resources, findings, lineage)})
    return ScanReport(
        tool=ToolInfo(version=__version__),
        scan=ScanInfo(
            id=scan_id or str(uuid.uuid4()),
            provider=provider.name,
            started_at=started,
            finished_at=finished,
            complete=inventory.complete,
            scopes=scope_scores(provider.scopes(), findings),
            checks_run=len(checks),
        ),
        summary=summary,
        resources=resources,
        findings=findings,
        errors=errors,
        lineage=lineage,
        artifacts=artifacts,
        risks=find_risks(lineage, findings) if lineage is not None else None,
    )


def _lineage(
    provider: Provider, checks: Sequence[CheckSpec], inventory: Inventory
) -> tuple[LineageGraph | None, Coverage | None]:
    """The AI lineage graph of an AWS, Azure or GCP scan and what the scan covered, so that
    unresolved references say why (None, None for another provider)."""
    if not {"aws", "azure", "gcp"} & set(provider.name.split("+")):
        return None, None
    planned = plan_types(checks)
    marks: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # one pass, not one per type
    for t, a, r, why in inventory.incomplete_marks():
        marks[t].append((a, r, why))
    coverage = Coverage(
        collected=frozenset(t.resource_type for t in planned),
        incomplete={(t.resource_type, a, r): why for t in planned for a, r, why in marks.get(t.resource_type, ())},
        scopes={s.account: frozenset(s.regions) for s in provider.scopes()},
    )
    return build_lineage(inventory.resources(), coverage), coverage
