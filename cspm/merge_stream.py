"""``cspm merge`` of an estate too large to hold: report.json written as it is built.

:func:`cspm.merge.merge_parts` holds the merged report as objects, as every other output (the
terminal summary, SARIF, HTML, a mutelist, the history store) needs it. For 20,000 accounts that
is millions of findings, gigabytes as objects. A merge whose only output is report.json
(``--quiet``, no ``--format``, ``--mutelist``, ``--compliance``, ``--store`` or ``--json``:
:func:`streamable`) writes the same file, byte for byte, without them:

1. The parts are read one at a time. Each finding is written as a JSON line to a temporary file
   of its check (the report lists findings by check id first); only the resources the lineage
   reads are kept as snapshots (:func:`cspm.merge.needs_snapshot`), the others as entries, the
   errors as tuples of shared strings.
2. The lineage is built across accounts from the kept snapshots. Then check by check, in the
   report's order, the check's findings are read back, sorted, put through the same rules as in
   :func:`cspm.engine.build_report` (AI-supply-chain severity, unassessed marks, redaction) and
   written, as report.json lays them out, to a second temporary file. What the scores read of a
   finding (status, severity, baseline, muted) is kept as one shared object per combination; the
   unmuted FAILs of lineage nodes are kept whole (and their PASSes as check ids), for the
   lineage annotations and the risks; the AI inventory's scores read the shared objects.
3. report.json is written atomically: the report without its lists, with the resources (built
   one at a time), the findings (copied from the file) and the errors spliced in.

Memory is the lineage's snapshots, the resource entries, the errors, and one check's findings at
a time. The temporary files are in the output directory and removed at the end.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from cspm import __version__
from cspm.artifacts.report import annotate_artifacts, artifact_entries
from cspm.engine import Inventory, _lineage, finding_order
from cspm.errors import ExitCode, ScanError, UsageError
from cspm.lineage import _INVENTORY, REPOSITORY, ai_inventory, annotate, raise_supply_chain_severity
from cspm.merge import MergedProvider, _Pool, _refuse_strangers, _sharing, needs_snapshot, read_part
from cspm.models import (
    Baseline,
    CollectionError,
    Finding,
    ResourceEntry,
    ScanInfo,
    ScanReport,
    Severity,
    Status,
    ToolInfo,
)
from cspm.reporting.json_report import write_chunks_atomic
from cspm.resources.base import Resource
from cspm.risks import find_risks
from cspm.scoring import baseline_scores, resource_scores, summarize
from cspm.secrets import redact, redact_finding, redact_tags
from cspm.shards import PLAN_FILE, part_path, read_plan_file, resource_classes
from cspm.supply_chain import mark_unassessed, supply_chain_note

_ErrorRecord = tuple[str, str, str, str, str, str]  # error_order's fields: account, region, service, ...


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
    """What the command needs once report.json is written: its exit code and its stderr line."""

    complete: bool
    errors: int
    failing: dict[str, int]  # --fail-on severity -> unmuted FAIL findings at or above it
    note: str | None


def streamable(out: Any) -> bool:
    """Whether ``out`` (the command's OutputOptions) asks for report.json alone."""
    return bool(
        out.quiet and not out.formats and out.mutelist is None and not out.compliance and not out.store
    ) and out.json_path in (None, "")


def stream_merge(parts_dir: Path, report_path: Path, *, finished: datetime | None = None) -> StreamedMerge:
    """Merge the parts in ``parts_dir`` into ``report_path`` (the text :func:`cspm.merge.merge_parts`
    and :func:`cspm.reporting.json_report.write_json` would write)."""
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
        return _Merge(plan, spill).run(parts_dir, report_path, finished)
    except OSError as exc:  # the temporary files: a full disk (the parts' own errors are errors of their accounts)
        raise ScanError(f"merging into {report_path.parent} failed: {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(spill, ignore_errors=True)


@functools.lru_cache(maxsize=65536)
def _redacted(message: str) -> str:
    return redact(message)


class _Merge:
    def __init__(self, plan: Any, spill: Path) -> None:
        self.plan = plan
        self.spill = spill
        self.checks = plan.selected_checks()
        self.classes = resource_classes(plan.provider)
        self.shared = {c.id: c.finding_fields for c in self.checks}
        self.pool = _Pool()
        self.inventory = _Inventory()
        self.errors: list[_ErrorRecord] = []
        self.buckets: dict[str, IO[str]] = {}
        self.atoms: dict[tuple[Any, ...], _Atom] = {}

    # -- 1. the parts ---------------------------------------------------------------------------

    def error(self, e: CollectionError) -> None:
        intern = self.pool.strings.setdefault
        fields = (e.account, e.region, e.service, e.operation, e.code, _redacted(e.message))
        self.errors.append(tuple(intern(v, v) for v in fields))  # type: ignore[arg-type]

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
        graph, coverage = _lineage(provider, self.checks, self.inventory)
        entries = sorted(
            ((r.resource_type, r.uid, r.account, r.region, r.name, r) for r in self.inventory.resources()),
            key=lambda e: e[:5],
        )
        ai_types = {t for types in _INVENTORY.values() for t in types} | {REPOSITORY}
        members = {e[1] for e in entries if e[0] in ai_types}
        nodes = {n.id for n in graph.nodes} if graph is not None else set()
        tally = _Tally(nodes, {e[1]: e[1] for e in entries})
        findings_path = self.spill / "findings.json"
        unassessed: dict[tuple[str, str], str | None] = {}  # account -> why the supply-chain rule could not judge
        with open(findings_path, "w", encoding="utf-8") as out:
            for check_id in sorted(self.buckets):
                found = self.load(check_id)
                if graph is not None and coverage is not None:
                    found = mark_unassessed(raise_supply_chain_severity(found, graph), coverage, unassessed)
                for raw in found:
                    f = redact_finding(raw)
                    tally.add(f, self.atom(f))
                    out.write(",\n    " if tally.count > 1 else "")
                    out.write(f.model_dump_json(by_alias=True, indent=2).replace("\n", "\n    "))
                del found
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
        artifacts = artifact_entries(self.inventory.resources())
        types_uids = [_TypeUid(e[0], e[1]) for e in entries if e[0] in ai_types]
        if graph is not None:
            lineage = annotate_artifacts(annotate(graph.to_model(), kept), artifacts)  # type: ignore[arg-type]
            scored = [_Scored(uid, atom) for uid in sorted(members) for atom in by_resource.get(uid, ())]
            inventory = ai_inventory(types_uids, scored, lineage)  # type: ignore[arg-type]
            del scored
            summary = summary.model_copy(update={"ai_inventory": inventory})
        complete = not self.errors and not self.inventory.incomplete_marks()
        skeleton = ScanReport(
            tool=ToolInfo(version=__version__),
            scan=ScanInfo(
                id=self.plan.scan_id or str(uuid.uuid4()),
                provider=provider.name,
                started_at=self.plan.started_at,
                finished_at=finished,
                complete=complete,
                scopes=[
                    s.model_copy(update={"scores": baseline_scores(by_account.get(s.account, []))})  # type: ignore[arg-type]
                    for s in provider.scopes()
                ],
                checks_run=len(self.checks),
            ),
            summary=summary,
            resources=[],
            findings=[],
            errors=[],
            lineage=lineage,
            artifacts=artifacts,
            risks=find_risks(lineage, kept) if lineage is not None else None,  # type: ignore[arg-type]
        )
        note = supply_chain_note(every)  # type: ignore[arg-type]
        del kept, every, by_account
        self.errors.sort()  # error_order is the tuple's own order
        chunks = self.chunks(skeleton, entries, by_resource, findings_path, count)
        write_chunks_atomic(report_path, chunks)
        return StreamedMerge(complete=complete, errors=len(self.errors), failing=failing, note=note)

    def load(self, check_id: str) -> list[Finding]:
        name = self.buckets[check_id].name
        with open(name, encoding="utf-8") as handle:
            found = [_sharing(Finding.model_validate_json(line), self.shared) for line in handle]
        os.unlink(name)
        found.sort(key=finding_order)
        return found

    # -- 3. report.json ----------------------------------------------------------------------------

    def chunks(
        self,
        skeleton: ScanReport,
        entries: list[tuple[str, str, str, str, str, Any]],
        by_resource: dict[str, list[_Atom]],
        findings_path: Path,
        count: int,
    ) -> Iterator[str]:
        text = skeleton.model_dump_json(by_alias=True, indent=2)
        lists = {"resources": bool(entries), "findings": bool(count), "errors": bool(self.errors)}
        for name, present in lists.items():
            if not present:
                continue
            head, sep, text = text.partition(f'\n  "{name}": []')
            assert sep, name
            yield head
            yield f'\n  "{name}": [\n    '
            if name == "resources":
                for index, (rtype, uid, account, region, rname, r) in enumerate(entries):
                    entry = ResourceEntry(
                        uid=uid,
                        type=rtype,
                        name=rname,
                        account=account,
                        region=region,
                        tags=redact_tags(r.tags),
                        scores=resource_scores(by_resource.get(uid, [])),  # type: ignore[arg-type]
                    )
                    yield (",\n    " if index else "") + entry.model_dump_json(by_alias=True, indent=2).replace(
                        "\n", "\n    "
                    )
            elif name == "findings":
                with open(findings_path, encoding="utf-8") as handle:
                    # 4 KB: the writer joins a thousand chunks before each write
                    while block := handle.read(1 << 12):
                        yield block
            else:
                for index, fields in enumerate(self.errors):
                    account, region, service, operation, code, message = fields
                    error = CollectionError.model_construct(
                        account=account, region=region, service=service, operation=operation, code=code, message=message
                    )
                    yield (",\n    " if index else "") + error.model_dump_json(by_alias=True, indent=2).replace(
                        "\n", "\n    "
                    )
            yield "\n  ]"
        yield text
        yield "\n"


class _Inventory(Inventory):
    """The inventory of a merge: what the report reads (resources by type, incomplete listings),
    without the per-account indexes and change counts that only evaluating checks needs."""

    def add(self, resource: Resource) -> None:
        self._by_type[type(resource)].append(resource)

    def mark_incomplete(self, rtype: type[Resource], account: str, region: str, reason: str) -> None:
        self._incomplete.setdefault((rtype.resource_type, account, region), reason)


@dataclass(frozen=True, slots=True)
class _Pass:
    """What the risks read of a PASS finding on a lineage node (:class:`cspm.risks.Graph`)."""

    resource_uid: str
    check_id: str
    status: Status = Status.PASS
    muted: bool = False
    uid: str = ""  # the risks sort findings by (check id, uid): only FAILs' order shows


class _Tally:
    """The findings' share of the report, counted as they are written."""

    def __init__(self, nodes: set[str], resources: dict[str, str]) -> None:
        self.nodes = nodes
        self.resources = resources  # the inventory's uids, each to itself: the key shares the string
        self.by_resource: dict[str, list[_Atom]] = defaultdict(list)
        self.by_account: dict[str, list[_Atom]] = defaultdict(list)
        self.every: list[_Atom] = []
        self.kept: list[Finding | _Pass] = []  # the lineage nodes' unmuted FAILs (whole) and PASSes
        self.failing = dict.fromkeys((s.value for s in Severity), 0)
        self.count = 0

    def add(self, f: Finding, atom: _Atom) -> None:
        self.count += 1
        self.every.append(atom)
        uid = self.resources.get(f.resource_uid)
        if uid is not None:  # not the findings of listings that failed ("type:account:region:*")
            self.by_resource[uid].append(atom)
        self.by_account[f.account].append(atom)
        failing = f.status is Status.FAIL and not f.muted
        if f.resource_uid in self.nodes:
            if failing:
                self.kept.append(f)
            elif f.status is Status.PASS:
                self.kept.append(_Pass(f.resource_uid, f.check_id))
        if failing:
            for severity in Severity:
                if f.severity.rank >= severity.rank:
                    self.failing[severity.value] += 1


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
