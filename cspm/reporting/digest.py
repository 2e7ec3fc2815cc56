"""What the terminal summary shows of a report: :class:`SummaryDigest`, the one input of
:func:`cspm.reporting.terminal.print_summary`'s renderer.

A report held in memory is digested by :func:`digest`; the streamed merge (:mod:`cspm.merge_stream`)
builds the same digest as it writes report.json, holding only what the summary shows: the header's
scan, the number of resources, the summary's counts, the number of ERROR findings and of their
checks, the first :data:`MAX_ERROR_ROWS` collection errors and their number, the top
:data:`TOP_RISKS` risks, their number and the lineage nodes they name, and per failing check its
severity, problem, count and the first :data:`MAX_NAMES` resources (all of them read back from a
file when the summary is plain, :class:`SpilledNames`). One renderer prints both: the streamed and
the in-memory summaries are the same text.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, overload

from pydantic import BaseModel

from cspm.models import CollectionError, Finding, LineageNode, Risk, ScanInfo, ScanReport, Severity, Status, Summary

MAX_ERROR_ROWS = 10
MAX_NAMES = 3
TOP_RISKS = 5

_M = TypeVar("_M", bound=BaseModel)


@functools.cache
def _fail_titles() -> Mapping[str, str]:
    """check id -> fail_title of every check in the registry (imported only for the summary)."""
    from cspm.registry import CLOUDS, load_checks

    return {s.id: s.fail_title for s in load_checks(CLOUDS)}


def fail_title(finding: Finding) -> str:
    """The problem a failing finding's check names: its ``fail_title``; for a check this cspm does
    not know (a report of another version), the one derived from the finding's title, else the title."""
    from cspm.problems import problem_title

    known = _fail_titles().get(finding.check_id)
    if known:
        return known
    try:
        return problem_title(finding.title)
    except ValueError:
        return finding.title


def short(uid: str) -> str:
    """The readable tail of an ARN or resource id."""
    tail = uid.rsplit(":", 1)[-1] if uid.startswith("arn:") else uid
    return tail.rsplit("/", 1)[-1] or uid


def resource_name(finding: Finding) -> str:
    """A failing finding's resource as the summary names it: ``name (region)``."""
    return short(finding.resource_uid) + (f" ({finding.region})" if finding.region not in ("", "global") else "")


class SpilledNames(Sequence[str]):
    """The resource names of a failing check, ``count`` (``len``) of them: the first :data:`MAX_NAMES` held,
    every one in ``path`` (one JSON string per line, ``size`` bytes at ``offset``), read back when
    more are asked for (the plain summary lists them all)."""

    def __init__(
        self,
        head: Sequence[str],
        count: int,
        path: Path,
        offset: int,
        size: int,
        escape: Callable[[str], str] | None = None,
    ) -> None:
        self.head, self.total, self.path, self.offset, self.size = tuple(head), count, path, offset, size
        self.escape = escape

    def __len__(self) -> int:
        return self.total

    def _all(self) -> list[str]:
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            names = [json.loads(line) for line in handle.read(self.size).splitlines()]
        return [self.escape(n) for n in names] if self.escape else names

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice) and index.start in (None, 0) and index.step in (None, 1):
            if index.stop is not None and 0 <= index.stop <= len(self.head):
                return self._escaped_head()[: index.stop]
        elif isinstance(index, int) and 0 <= index < len(self.head):
            return self._escaped_head()[index]
        return self._all()[index]

    def _escaped_head(self) -> list[str]:
        return [self.escape(n) for n in self.head] if self.escape else list(self.head)

    def __iter__(self) -> Iterator[str]:
        yield from self._all()

    def escaped(self, escape: Callable[[str], str]) -> SpilledNames:
        return SpilledNames(self.head, self.total, self.path, self.offset, self.size, escape)


@dataclass(frozen=True)
class FailingCheck:
    """One row of the failing checks: its first finding's severity, check id and problem, and
    the resources of its unmuted FAIL findings in the report's order (``len`` is their number)."""

    severity: Severity
    check_id: str
    title: str
    names: Sequence[str]

    @property
    def count(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class SummaryDigest:
    """What the terminal summary reads of a report (docs/formats.md)."""

    tool_version: str
    scan: ScanInfo
    resources: int  # the number of resources
    summary: Summary
    error_findings: int  # ERROR findings
    error_checks: int  # the checks they are of
    errors: int  # collection errors
    first_errors: Sequence[CollectionError]  # the first MAX_ERROR_ROWS of them
    risks: int | None  # None: no lineage (an older report, a cloud without one)
    top_risks: Sequence[Risk]  # the first TOP_RISKS
    nodes: Mapping[str, LineageNode]  # the lineage nodes the top risks name
    failing: Sequence[FailingCheck]  # most severe first, then most resources, then check id

    def escaped(self, escape: Callable[[str], str]) -> SummaryDigest:
        """A copy whose every string from the report went through ``escape``."""

        def model(value: _M) -> _M:
            return type(value).model_validate(_walk(value.model_dump(mode="json", by_alias=True), escape))

        def names(value: Sequence[str]) -> Sequence[str]:
            return value.escaped(escape) if isinstance(value, SpilledNames) else [escape(n) for n in value]

        return dataclasses.replace(
            self,
            tool_version=escape(self.tool_version),
            scan=model(self.scan),
            summary=model(self.summary),
            first_errors=[model(e) for e in self.first_errors],
            top_risks=[model(r) for r in self.top_risks],
            nodes={escape(k): model(v) for k, v in self.nodes.items()},
            failing=[
                FailingCheck(f.severity, escape(f.check_id), escape(f.title), names(f.names)) for f in self.failing
            ],
        )


def _walk(value: Any, escape: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {_walk(k, escape): _walk(v, escape) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, escape) for v in value]
    return value


def failing_order(check: FailingCheck) -> tuple[int, int, str]:
    return (-check.severity.rank, -check.count, check.check_id)


def risk_nodes(risks: Sequence[Risk], nodes: Mapping[str, LineageNode]) -> dict[str, LineageNode]:
    """The lineage nodes that ``risks`` name (their paths' nodes and edges' ends)."""
    named = {n for r in risks for n in r.path.nodes} | {
        n for r in risks for e in r.path.edges for n in (e.source, e.target)
    }
    return {k: v for k, v in nodes.items() if k in named}


def digest(report: ScanReport) -> SummaryDigest:
    """The summary's share of a report held in memory."""
    by_check: dict[str, list[Finding]] = defaultdict(list)
    errors = [f for f in report.findings if f.status is Status.ERROR]
    for f in report.findings:
        if f.status is Status.FAIL and not f.muted:
            by_check[f.check_id].append(f)
    failing = [
        FailingCheck(group[0].severity, group[0].check_id, fail_title(group[0]), [resource_name(f) for f in group])
        for group in by_check.values()
    ]
    risks = report.risks or []
    top = risks[:TOP_RISKS]
    nodes = {n.id: n for n in report.lineage.nodes} if report.lineage is not None else {}
    return SummaryDigest(
        tool_version=report.tool.version,
        scan=report.scan,
        resources=len(report.resources),
        summary=report.summary,
        error_findings=len(errors),
        error_checks=len({f.check_id for f in errors}),
        errors=len(report.errors),
        first_errors=report.errors[:MAX_ERROR_ROWS],
        risks=None if report.risks is None else len(report.risks),
        top_risks=top,
        nodes=risk_nodes(top, nodes),
        failing=sorted(failing, key=failing_order),
    )
