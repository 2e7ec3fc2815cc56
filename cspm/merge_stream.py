"""``cspm merge`` of an estate too large to hold: report.json written as it is built.

:func:`cspm.merge.merge_parts` holds the merged report as objects, as the other outputs (SARIF,
HTML, a mutelist, the compliance view, the history store) need it. For 20,000 accounts that is
millions of findings, gigabytes as objects. A merge whose only outputs are report.json and the
terminal summary (no ``--output-formats``, ``--mutelist``, ``--compliance``, ``--store`` or
``--json``: :func:`streamable`) writes the same file, byte for byte, without them, and prints
the same summary from what it kept of it (:class:`_Shown`, :mod:`cspm.reporting.digest`):

1. The parts are read one at a time. Each finding is written as a JSON line to a temporary file
   of its check (the report lists findings by check id first); only the resources the lineage
   reads are kept as snapshots (:func:`cspm.merge.needs_snapshot`), the others as entries, the
   errors as (account, one shared tuple of their other fields), the incomplete listings once.
2. The lineage is built across accounts from the kept snapshots; the coverage takes the
   inventory's incomplete listings, and the snapshots are let go (the lineage keeps its nodes').
   Then check by check, in the report's order, the check's findings are sorted by their keys
   and places in the file and read back in batches of 2,048, put through the same rules as in
   :func:`cspm.engine.build_report` (AI-supply-chain severity, unassessed marks, redaction) and
   written, as report.json lays them out, to a second temporary file. What the scores read of a
   finding (status, severity, baseline, muted) is one shared object per combination, counted per
   account and for the summary, and kept per resource in a tuple; the unmuted FAILs of lineage
   nodes are kept whole (compacted; their PASSes as check ids), for the lineage annotations and
   the risks. The lineage graph, the coverage and the interned strings are let go after.
3. report.json is written atomically: the report without its lists, in slices, with the
   resources (built one at a time), the findings (copied from the file), the errors, the
   lineage's nodes and edges and the risks spliced in item by item.

Memory is the lineage's snapshots and coverage while it is built, then the resource entries, the
errors, the per-resource score tuples, the lineage nodes' failing findings and one batch of a
check's findings (docs/distributed.md has the figures). The temporary files are in the output
directory and removed at the end.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import sys
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel

from cspm import __version__
from cspm.artifacts.report import annotate_artifacts, artifact_entries
from cspm.engine import Inventory, plan_types
from cspm.errors import ExitCode, ScanError, UsageError
from cspm.lineage import (
    _INVENTORY,
    REPOSITORY,
    Coverage,
    LineageGraph,
    ai_inventory,
    annotate,
    build_lineage,
    raise_supply_chain_severity,
)
from cspm.merge import MergedProvider, _Pool, _refuse_strangers, _sharing, needs_snapshot, read_part
from cspm.models import (
    Baseline,
    CollectionError,
    Finding,
    Lineage,
    ResourceEntry,
    ScanInfo,
    ScanReport,
    Severity,
    Status,
    ToolInfo,
)
from cspm.reporting.digest import (
    MAX_ERROR_ROWS,
    MAX_NAMES,
    TOP_RISKS,
    FailingCheck,
    SpilledNames,
    SummaryDigest,
    fail_title,
    failing_order,
    resource_name,
    risk_nodes,
)
from cspm.reporting.json_report import write_chunks_atomic
from cspm.resources.base import Resource
from cspm.risks import find_risks
from cspm.scoring import baseline_scores, resource_scores, summarize
from cspm.secrets import redact, redact_finding, redact_tags
from cspm.shards import PLAN_FILE, part_path, read_plan_file, resource_classes
from cspm.supply_chain import mark_unassessed, supply_chain_note

log = logging.getLogger(__name__)

# error_order's fields: (account, (region, service, operation, code, message)), the second tuple
# one object for every account whose error it is (the same API refused in every account)
_ErrorRecord = tuple[str, tuple[str, str, str, str, str]]


@dataclass(frozen=True, slots=True)
class _Atom:
    """What the scores, the summary and the exit code read of a finding: one object per combination."""

    status: Status
    severity: Severity
    baseline: Baseline
    muted: bool
    supply_chain: str | None


@dataclass
class StreamedMerge:
    """What the command needs once report.json is written: its exit code and its stderr line, and
    the terminal summary's digest when it was asked for (``summary`` of :func:`stream_merge`)."""

    complete: bool
    errors: int
    failing: dict[str, int]  # --fail-on severity -> unmuted FAIL findings at or above it
    note: str | None
    digest: SummaryDigest | None = None


def streamable(out: Any) -> bool:
    """Whether ``out`` (the command's OutputOptions) asks for nothing but report.json and the
    terminal summary (or, with ``--quiet``, report.json alone): those the merge writes and prints
    as it streams. The other outputs read the whole report as objects, so they take the in-memory
    merge: ``--output-formats`` (SARIF, HTML, OCSF... are written from the report), ``--mutelist``
    (it rewrites findings before anything is written), ``--compliance`` (its view maps every
    finding to controls), ``--store`` (the history store saves every finding) and ``--json`` (a
    second copy, or report.json on stdout with the summary on stderr)."""
    return bool(not out.formats and out.mutelist is None and not out.compliance and not out.store) and (
        out.json_path in (None, "")
    )


def stream_merge(
    parts_dir: Path,
    report_path: Path,
    *,
    finished: datetime | None = None,
    summary: Callable[[StreamedMerge], None] | None = None,
) -> StreamedMerge:
    """Merge the parts in ``parts_dir`` into ``report_path`` (the text :func:`cspm.merge.merge_parts`
    and :func:`cspm.reporting.json_report.write_json` would write). With ``summary``, what the
    terminal summary shows is gathered as the report is written, and ``summary`` is called with
    the result (its ``digest`` set) once report.json is written: the digest's resource names are
    read from a temporary file, removed when ``summary`` returns."""
    plan_path = parts_dir / PLAN_FILE
    if not plan_path.exists():
        raise UsageError(f"{parts_dir}: no {PLAN_FILE}; not a cspm parts directory")
    plan = read_plan_file(plan_path)
    _refuse_strangers(parts_dir, plan)
    finished = finished or datetime.now(UTC)
    try:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        spill = Path(tempfile.mkdtemp(prefix=".cspm-merge-", dir=report_path.parent))
    except OSError as exc:
        raise UsageError(f"cannot write {report_path.parent}: {exc.strerror or exc}") from exc
    try:
        try:
            result = _Merge(plan, spill, shown=summary is not None).run(parts_dir, report_path, finished)
        except OSError as exc:  # the temporary files: a full disk (the parts' own errors are errors of their accounts)
            raise ScanError(f"merging into {report_path.parent} failed: {exc.strerror or exc}") from exc
        if summary is not None:
            summary(result)
        return result
    finally:
        shutil.rmtree(spill, ignore_errors=True)


@functools.lru_cache(maxsize=65536)
def _redacted(message: str) -> str:
    return redact(message)


class _Merge:
    def __init__(self, plan: Any, spill: Path, *, shown: bool = False) -> None:
        self.plan = plan
        self.spill = spill
        self.shown = _Shown(spill / "failing.jsonl") if shown else None
        self.checks = plan.selected_checks()
        self.classes = resource_classes(plan.provider)
        self.shared = {c.id: c.finding_fields for c in self.checks}
        self.pool = _Pool()
        self.inventory = _Inventory()
        self.errors: list[_ErrorRecord] = []
        self.rests: dict[tuple[str, str, str, str, str], tuple[str, str, str, str, str]] = {}
        self.buckets: dict[str, IO[str]] = {}
        self.atoms: dict[tuple[Any, ...], _Atom] = {}

    # -- 1. the parts ---------------------------------------------------------------------------

    def error(self, e: CollectionError) -> None:
        intern = self.pool.strings.setdefault
        rest = (e.region, e.service, e.operation, e.code, _redacted(e.message))
        self.errors.append((intern(e.account, e.account), self.rests.setdefault(rest, rest)))

    def read(self, parts_dir: Path) -> list[Any]:
        scopes = []
        for error in self.plan.setup_errors:
            self.error(error)
        for account in self.plan.accounts:
            part = read_part(part_path(parts_dir, account), self.plan, account, self.classes)
            if isinstance(part, CollectionError):
                self.error(part)
                continue
            found, snapshots = part
            if found.scope is not None:
                scopes.append(found.scope)
            for snapshot in snapshots:
                kept = self.pool.compact(snapshot) if needs_snapshot(type(snapshot)) else self.pool.entry(snapshot)
                self.inventory.add(kept)  # type: ignore[arg-type]
            del snapshots
            for error in found.errors:
                self.error(error)
            intern = self.pool.strings.setdefault
            for mark in found.incomplete:
                rtype = self.classes[mark.type]
                self.inventory.mark_incomplete(rtype, intern(account, account), intern(mark.region, mark.region),
                                               intern(mark.reason, mark.reason))  # fmt: skip
            for finding in found.findings:
                self.bucket(finding.check_id).write(finding.model_dump_json() + "\n")
            del found
        for handle in self.buckets.values():
            handle.close()
        return scopes

    def bucket(self, check_id: str) -> IO[str]:
        handle = self.buckets.get(check_id)
        if handle is None:
            name = self.spill / f"check-{len(self.buckets)}.jsonl"
            handle = self.buckets[check_id] = open(name, "w", encoding="utf-8")  # noqa: SIM115 - closed in read
        return handle

    # -- 2. the findings, check by check -----------------------------------------------------------

    def atom(self, f: Finding) -> _Atom:
        key = (f.status, f.severity, f.baseline, f.muted, f.supply_chain)
        found = self.atoms.get(key)
        if found is None:
            found = self.atoms[key] = _Atom(*key)
        return found

    def run(self, parts_dir: Path, report_path: Path, finished: datetime) -> StreamedMerge:
        scopes = self.read(parts_dir)
        provider = MergedProvider(self.plan.provider, scopes)
        incomplete = bool(self.inventory.marks)
        graph, coverage = self.lineage(provider)
        artifacts = artifact_entries(self.inventory.resources())
        empty: dict[str, str] = {}
        entries = sorted(
            (
                (r.resource_type, r.uid, r.account, r.region, r.name, r.tags or empty)
                for r in self.inventory.resources()
            ),
            key=lambda e: e[:5],
        )
        self.inventory = _Inventory()  # the snapshots: the lineage is built (it keeps its nodes' own)
        ai_types = {t for types in _INVENTORY.values() for t in types} | {REPOSITORY}
        members = {e[1] for e in entries if e[0] in ai_types}
        nodes = {n.id for n in graph.nodes} if graph is not None else set()
        tally = _Tally(nodes, [e[1] for e in entries], self.pool)
        findings_path = self.spill / "findings.json"
        unassessed: dict[tuple[str, str], str | None] = {}  # account -> why the supply-chain rule could not judge
        with open(findings_path, "w", encoding="utf-8") as out:
            for check_id in sorted(self.buckets):
                for batch in self.load(check_id):
                    found = batch
                    if graph is not None and coverage is not None:
                        found = mark_unassessed(raise_supply_chain_severity(batch, graph), coverage, unassessed)
                    for raw in found:
                        f = redact_finding(raw)
                        tally.add(f, self.atom(f))
                        if self.shown is not None:
                            self.shown.add(f)
                        out.write(",\n    " if tally.count > 1 else "")
                        out.write(f.model_dump_json(by_alias=True, indent=2).replace("\n", "\n    "))
                    del found, batch
        # what only the findings pass read: the lineage graph (its model is kept), the coverage,
        # the interned strings
        model = graph.to_model() if graph is not None else None
        del graph, coverage, unassessed, nodes
        tally.nodes = set()
        self.pool = tally.pool = _Pool()
        self.rests.clear()
        by_resource, by_account, every, kept, failing, count = (
            tally.by_resource,
            tally.by_account,
            tally.every,
            tally.kept,
            tally.failing,
            tally.count,
        )
        summary = summarize(every)  # type: ignore[arg-type]
        lineage = None
        types_uids = [_TypeUid(e[0], e[1]) for e in entries if e[0] in ai_types]
        if model is not None:
            lineage = annotate_artifacts(annotate(model, kept), artifacts)  # type: ignore[arg-type]
            del model
            scored = [_Scored(uid, atom) for uid in sorted(members) for atom in by_resource.get(uid) or ()]
            inventory = ai_inventory(types_uids, scored, lineage)  # type: ignore[arg-type]
            del scored
            summary = summary.model_copy(update={"ai_inventory": inventory})
        complete = not self.errors and not incomplete
        skeleton = ScanReport(
            tool=ToolInfo(version=__version__),
            scan=ScanInfo(
                id=self.plan.scan_id or str(uuid.uuid4()),
                provider=provider.name,
                started_at=self.plan.started_at,
                finished_at=finished,
                complete=complete,
                scopes=[
                    s.model_copy(update={"scores": baseline_scores(by_account.get(s.account, _Bag()))})  # type: ignore[arg-type]
                    for s in provider.scopes()
                ],
                checks_run=len(self.checks),
            ),
            summary=summary,
            resources=[],
            findings=[],
            errors=[],
            lineage=Lineage() if lineage is not None else None,  # its lists, and the risks, written item by item
            artifacts=artifacts,
            risks=[] if lineage is not None else None,
        )
        nested = None
        if lineage is not None:
            nested = (lineage.nodes, lineage.edges, find_risks(lineage, kept))  # type: ignore[arg-type]
        del lineage
        note = supply_chain_note(every)  # type: ignore[arg-type]
        del kept, every, by_account
        self.errors.sort()  # error_order is the tuple's own order
        digest = None
        if self.shown is not None:
            digest = self.shown.digest(skeleton, len(entries), self.errors, nested)
        chunks = self.chunks(skeleton, entries, by_resource, findings_path, count, nested)
        write_chunks_atomic(report_path, chunks)
        return StreamedMerge(complete=complete, errors=len(self.errors), failing=failing, note=note, digest=digest)

    def lineage(self, provider: MergedProvider) -> tuple[LineageGraph | None, Coverage | None]:
        """:func:`cspm.engine._lineage` of the merged inventory, its incomplete listings held once:
        the coverage takes the inventory's (its keys, in their order), which then lets them go."""
        marks = self.inventory.marks
        if not {"aws", "azure", "gcp"} & set(provider.name.split("+")):
            marks.clear()
            return None, None
        planned = frozenset(t.resource_type for t in plan_types(self.checks))
        coverage = Coverage(
            collected=planned,
            incomplete={key: why for key, why in marks.items() if key[0] in planned},
            scopes={s.account: frozenset(s.regions) for s in provider.scopes()},
        )
        marks.clear()
        return build_lineage(self.inventory.resources(), coverage), coverage

    def load(self, check_id: str) -> Iterator[list[Finding]]:
        """The findings of ``check_id`` in the report's order, in batches of :data:`_BATCH`: the
        sort reads each line's key (:func:`_line_order`, as :func:`cspm.engine.finding_order`)
        and its place in the file, and the findings are read back batch by batch. A check has a
        finding per resource of every account (80,000 at 20,000 accounts): whole, they were the
        merge's largest transient."""
        name = self.buckets[check_id].name
        with open(name, "rb") as handle:
            places: list[tuple[tuple[str, ...], int, int]] = []
            offset = 0
            for line in handle:
                places.append((_line_order(line), offset, len(line)))
                offset += len(line)
            places.sort(key=lambda p: p[0])
            keys_only = [(start, size) for _, start, size in places]
            del places
            for first in range(0, len(keys_only), _BATCH):
                batch = []
                for start, size in keys_only[first : first + _BATCH]:
                    handle.seek(start)
                    batch.append(_sharing(Finding.model_validate_json(handle.read(size)), self.shared))
                yield batch
        os.unlink(name)

    # -- 3. report.json ----------------------------------------------------------------------------

    def chunks(
        self,
        skeleton: ScanReport,
        entries: list[tuple[str, str, str, str, str, dict[str, str]]],
        by_resource: dict[str, tuple[_Atom, ...] | None],
        findings_path: Path,
        count: int,
        nested: tuple[list[Any], list[Any], list[Any]] | None = None,
    ) -> Iterator[str]:
        text = skeleton.model_dump_json(by_alias=True, indent=2)
        # (the empty list's text in the skeleton, its items' indent, the items' text), in the
        # skeleton's order of fields: the lists are written item by item, not held as text
        lists: list[tuple[str, str, Iterable[str]]] = [
            ('\n  "resources": []', "    ", self.resource_texts(entries, by_resource)),
            ('\n  "findings": []', "", _blocks(findings_path) if count else ()),
            ('\n  "errors": []', "    ", self.error_texts()),
        ]
        if nested is not None:
            nodes, edges, risks = nested
            lists += [
                ('\n    "nodes": []', "      ", _texts(nodes, "      ")),
                ('\n    "edges": []', "      ", _texts(edges, "      ")),
                ('\n  "risks": []', "    ", _texts(risks, "    ")),
            ]
        at = 0  # the skeleton's text is given in slices: a copy of its head and tail would be as large
        lineage_at = text.find('\n  "lineage": {')  # the lists named nodes and edges are the lineage's
        for marker, indent, texts in lists:
            found = text.find(marker, max(at, lineage_at) if marker.startswith('\n    "') else at)
            assert found >= 0, marker
            items = iter(texts)
            first = next(items, None)
            if first is None:  # an empty list stays as it is
                continue
            yield from _slices(text, at, found)
            at = found + len(marker)
            outer = indent[:-2] if indent else "  "
            yield f"{marker[:-1]}\n{indent or '    '}"
            yield first
            yield from items
            yield f"\n{outer}]"
        yield from _slices(text, at, len(text))
        yield "\n"

    def resource_texts(
        self,
        entries: list[tuple[str, str, str, str, str, dict[str, str]]],
        by_resource: dict[str, tuple[_Atom, ...] | None],
    ) -> Iterator[str]:
        for index, (rtype, uid, account, region, rname, tags) in enumerate(entries):
            entry = ResourceEntry(
                uid=uid,
                type=rtype,
                name=rname,
                account=account,
                region=region,
                tags=redact_tags(tags),
                scores=resource_scores(by_resource.get(uid) or ()),  # type: ignore[arg-type]
            )
            yield (",\n    " if index else "") + entry.model_dump_json(by_alias=True, indent=2).replace("\n", "\n    ")

    def error_texts(self) -> Iterator[str]:
        for index, fields in enumerate(self.errors):
            account, (region, service, operation, code, message) = fields
            error = CollectionError.model_construct(
                account=account, region=region, service=service, operation=operation, code=code, message=message
            )
            yield (",\n    " if index else "") + error.model_dump_json(by_alias=True, indent=2).replace("\n", "\n    ")


def _texts(models: Sequence[BaseModel], indent: str) -> Iterator[str]:
    for index, model in enumerate(models):
        yield (",\n" + indent if index else "") + model.model_dump_json(by_alias=True, indent=2).replace(
            "\n", "\n" + indent
        )


def _blocks(path: Path) -> Iterator[str]:
    """The findings' text, copied from their file in 4 KB pieces (the writer joins a thousand)."""
    with open(path, encoding="utf-8") as handle:
        while block := handle.read(1 << 12):
            yield block


def _slices(text: str, start: int, end: int, size: int = 1 << 12) -> Iterator[str]:
    """``text[start:end]`` in pieces of ``size`` characters (the writer joins a thousand pieces)."""
    for first in range(start, end, size):
        yield text[first : min(first + size, end)]


_BATCH = 2048  # findings of one check read back at a time


def _line_order(line: bytes) -> tuple[str, ...]:
    """:func:`cspm.engine.finding_order` of a finding's JSON line, without the model."""
    raw = json.loads(line)
    return (
        raw["check_id"],
        raw["resource_uid"],
        raw["account"],
        raw["region"],
        raw["uid"],
        Status(raw["status"]).value,
        raw["message"],
    )


class _Inventory(Inventory):
    """The inventory of a merge: what the report reads (resources by type, incomplete listings),
    without the per-account indexes and change counts that only evaluating checks needs."""

    def add(self, resource: Resource) -> None:
        self._by_type[type(resource)].append(resource)

    def mark_incomplete(self, rtype: type[Resource], account: str, region: str, reason: str) -> None:
        self._incomplete.setdefault((rtype.resource_type, account, region), reason)

    @property
    def marks(self) -> dict[tuple[str, str, str], str]:
        """(resource type, account, region) -> why its listing failed."""
        return self._incomplete


@dataclass(frozen=True, slots=True)
class _Pass:
    """What the risks read of a PASS finding on a lineage node (:class:`cspm.risks.Graph`)."""

    resource_uid: str
    check_id: str
    status: Status = Status.PASS
    muted: bool = False
    uid: str = ""  # the risks sort findings by (check id, uid): only FAILs' order shows


_ABSENT = ()  # not an inventory uid (a tuple of atoms is never empty)


class _Tally:
    """The findings' share of the report, counted as they are written."""

    def __init__(self, nodes: set[str], resources: list[str], pool: _Pool) -> None:
        self.nodes = nodes
        self.pool = pool
        # the inventory's uids (the keys share their strings) -> the atoms of their findings, as a
        # tuple (smaller than a list), None until the first
        self.by_resource: dict[str, tuple[_Atom, ...] | None] = dict.fromkeys(resources)
        self.by_account: dict[str, _Bag] = defaultdict(_Bag)
        self.every = _Bag()
        self.kept: list[Finding | _Pass] = []  # the lineage nodes' unmuted FAILs (whole) and PASSes
        self.failing = dict.fromkeys((s.value for s in Severity), 0)
        self.count = 0

    def add(self, f: Finding, atom: _Atom) -> None:
        self.count += 1
        self.every.add(atom)
        atoms = self.by_resource.get(f.resource_uid, _ABSENT)
        if atoms is not _ABSENT:  # not the findings of listings that failed ("type:account:region:*")
            self.by_resource[f.resource_uid] = (atom,) if atoms is None else (*atoms, atom)
        self.by_account[f.account].add(atom)
        failing = f.status is Status.FAIL and not f.muted
        if f.resource_uid in self.nodes:
            if failing:
                self.kept.append(self.pool.compact(f))  # its field-name set and strings shared
            elif f.status is Status.PASS:
                self.kept.append(_Pass(f.resource_uid, f.check_id))
        if failing:
            for severity in Severity:
                if f.severity.rank >= severity.rank:
                    self.failing[severity.value] += 1


class _Bag:
    """Findings as they are scored and summarized: how many of each :class:`_Atom`, iterated as
    that many atoms (a count per combination, not a pointer per finding)."""

    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts: dict[_Atom, int] = {}

    def add(self, atom: _Atom) -> None:
        self.counts[atom] = self.counts.get(atom, 0) + 1

    def __iter__(self) -> Iterator[_Atom]:
        for atom, count in self.counts.items():
            for _ in range(count):
                yield atom

    def __len__(self) -> int:
        return sum(self.counts.values())


class _Scored:
    """What the AI inventory's scores read of a finding of an AI asset."""

    __slots__ = ("atom", "resource_uid")

    def __init__(self, resource_uid: str, atom: _Atom) -> None:
        self.resource_uid, self.atom = resource_uid, atom

    def __getattr__(self, name: str) -> Any:
        return getattr(self.atom, name)


@dataclass(frozen=True, slots=True)
class _TypeUid:
    """What :func:`cspm.lineage.ai_inventory` reads of a resource entry."""

    type: str
    uid: str


class _Shown:
    """What the terminal summary shows of the findings (:class:`cspm.reporting.digest.SummaryDigest`),
    gathered as they are written, check by check in the report's order: the ERROR findings' count
    and checks; per failing check its first finding's severity and problem, its count and its
    first resources' names, every name written to ``path`` (one JSON string per line)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[bytes] | None = None
        self.offset = 0
        self.error_findings = 0
        self.error_checks: set[str] = set()
        self.rows: list[FailingCheck] = []
        self.row: tuple[Finding, list[str], int] | None = None  # the check's first finding, head, start
        self.count = 0

    def add(self, f: Finding) -> None:
        if f.status is Status.ERROR:
            self.error_findings += 1
            self.error_checks.add(f.check_id)
            return
        if f.status is not Status.FAIL or f.muted:
            return
        if self.row is None or self.row[0].check_id != f.check_id:
            self.close_row()
            self.row, self.count = (f, [], self.offset), 0
        if self.handle is None:
            self.handle = open(self.path, "wb")  # noqa: SIM115 - closed in digest
        name = resource_name(f)
        if len(self.row[1]) < MAX_NAMES:
            self.row[1].append(name)
        line = (json.dumps(name) + "\n").encode("ascii")
        self.handle.write(line)
        self.offset += len(line)
        self.count += 1

    def close_row(self) -> None:
        if self.row is None:
            return
        first, head, start = self.row
        names = SpilledNames(head, self.count, self.path, start, self.offset - start)
        self.rows.append(FailingCheck(first.severity, first.check_id, fail_title(first), names))
        self.row = None

    def digest(
        self,
        skeleton: ScanReport,
        resources: int,
        errors: list[_ErrorRecord],
        nested: tuple[list[Any], list[Any], list[Any]] | None,
    ) -> SummaryDigest:
        self.close_row()
        if self.handle is not None:
            self.handle.close()
        first_errors = [
            CollectionError.model_construct(
                account=account, region=region, service=service, operation=operation, code=code, message=message
            )
            for account, (region, service, operation, code, message) in errors[:MAX_ERROR_ROWS]
        ]
        top: list[Any] = []
        nodes: dict[str, Any] = {}
        if nested is not None:
            top = nested[2][:TOP_RISKS]
            nodes = risk_nodes(top, {n.id: n for n in nested[0]})
        return SummaryDigest(
            tool_version=skeleton.tool.version,
            scan=skeleton.scan,
            resources=resources,
            summary=skeleton.summary,
            error_findings=self.error_findings,
            error_checks=len(self.error_checks),
            errors=len(errors),
            first_errors=first_errors,
            risks=None if nested is None else len(nested[2]),
            top_risks=top,
            nodes=nodes,
            failing=sorted(self.rows, key=failing_order),
        )


def deliver_streamed(parts_dir: Path, out: Any, *, finished: datetime | None = None) -> int:
    """:func:`cspm.runner.deliver` of the merged report for ``out`` (:func:`streamable`), streamed:
    report.json written, then (unless ``--quiet``) the terminal summary and its supply-chain note,
    as :func:`cspm.runner.deliver` prints them; the exit code and its stderr line."""
    from cspm.reporting.terminal import print_summary
    from cspm.runner import _guarded

    report_path = out.output_dir / "report.json"

    def present(result: StreamedMerge) -> None:
        log.info("wrote %s", report_path)
        assert result.digest is not None
        _guarded("the summary", print_summary, result.digest, report_path=report_path)
        if result.note:  # e.g. --services s3: no lineage, no severity raise
            sys.stdout.write(f"note: {result.note}\n")

    result = stream_merge(parts_dir, report_path, finished=finished, summary=None if out.quiet else present)
    if out.quiet:
        log.info("wrote %s", report_path)
    return exit_code(result, out)


def exit_code(result: StreamedMerge, out: Any) -> int:
    """The exit code and stderr line of :func:`cspm.runner.deliver` for a streamed merge."""
    code = ExitCode.OK
    if out.fail_on != "none" and result.failing[out.fail_on]:
        code = ExitCode.FAILING_FINDINGS
        reason = f"{result.failing[out.fail_on]} unmuted failing finding(s) at or above {out.fail_on} (exit 3)"
    elif out.strict and not result.complete:
        code = ExitCode.INCOMPLETE
        reason = f"the scan is incomplete: {result.errors} collection error(s) (exit 4, --strict)"
    if code:
        sys.stderr.write(f"cspm: {reason}\n")
    elif out.quiet and result.note:
        sys.stderr.write(f"cspm: note: {result.note}\n")
    return int(code)
