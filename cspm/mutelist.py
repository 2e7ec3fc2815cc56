"""Muting findings with a YAML mutelist: validated, line-numbered errors, expiry by scan time.

A mutelist file::

    mutes:
      - reason: Static website assets, public by design (SEC-123)   # required
        id: website-bucket            # optional name, shown as the entry that muted a finding
        expires: 2026-12-31           # optional: mutes through that day (UTC), then stops and is reported
        provider: aws
        accounts: [111111111111]
        regions: [eu-*]
        checks: [aws.s3.bucket_is_not_public, aws.s3.bucket_blocks_*]
        resources: ["arn:aws:s3:::www-*", "www-*"]          # glob on the resource uid or name
        resource_regex: ['^arn:aws:s3:::tmp-[0-9]+$']       # full-match regex on the uid or name
        tags: {env: dev*}                                    # every key present, value matches the glob

Matching: every condition an entry names must hold (AND); a list matches when any of its values
does; a finding is muted when any active entry matches (OR across entries). Globs are
case-sensitive ``fnmatch`` patterns. Every entry needs a ``reason`` and at least one condition.

Expiry uses the scan time passed in, never the clock: a date expires at the end of that day
(UTC); a date-time at that instant. An expired entry mutes nothing and is reported.

Muted findings stay in the report with ``muted: true``; :class:`MuteOutcome` records which entry
muted each one. Muting only adds: a finding already muted stays muted. An entry with a ``tags``
condition can be satisfied by anyone allowed to tag the resource: the findings it mutes say so
(``muted_by.by_tags``).
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from cspm.errors import UsageError
from cspm.inputs import one_line
from cspm.models import Finding, MuteInfo, MutelistInfo, ResourceEntry, ScanReport
from cspm.scoring import resource_scores, scope_scores, summarize

log = logging.getLogger(__name__)

__all__ = [
    "MuteEntry",
    "MuteOutcome",
    "MuteRef",
    "Mutelist",
    "apply_mutelist",
    "evaluate_mutelist",
    "load_mutelist",
    "parse_mutelist",
]


def _as_list(value: Any) -> Any:
    """A single string is accepted where a list is expected: ``checks: aws.s3.*``."""
    return [value] if isinstance(value, str) else value


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
    return pattern


def _expiry(value: Any) -> Any:
    """A YAML date, a YAML/RFC 3339 date-time, or the same as a quoted string."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # not a date: the message below
            value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    if isinstance(value, datetime):
        try:
            _utc(value)  # 9999-12-31T23:00:00-05:00 is past the end of datetime in UTC
        except OverflowError:
            raise ValueError("expires is out of range once converted to UTC") from None
        return value
    if value is None or isinstance(value, date):
        return value
    raise ValueError("expires must be a date (2026-12-31) or a date-time (2026-12-31T18:00:00Z)")


StrList = Annotated[tuple[Annotated[str, Field(min_length=1)], ...], BeforeValidator(_as_list)]
RegexList = Annotated[
    tuple[Annotated[str, Field(min_length=1), AfterValidator(_compiles)], ...], BeforeValidator(_as_list)
]


class MuteEntry(BaseModel):
    """One entry of the mutelist. ``line`` is where it starts in the file (0 when built in code)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str = Field(min_length=1)
    id: str | None = None
    expires: Annotated[datetime | date | None, BeforeValidator(_expiry)] = None
    provider: str | None = None
    accounts: StrList = ()
    regions: StrList = ()
    checks: StrList = ()
    resources: StrList = ()
    resource_regex: RegexList = ()
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("reason")
    @classmethod
    def _reason_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("reason must not be blank")
        return value.strip()

    @model_validator(mode="after")
    def _has_a_condition(self) -> MuteEntry:
        conditions = (
            self.provider,
            self.accounts,
            self.regions,
            self.checks,
            self.resources,
            self.resource_regex,
            self.tags,
        )
        if not any(conditions):
            raise ValueError(
                "an entry needs at least one condition "
                "(provider, accounts, regions, checks, resources, resource_regex or tags)"
            )
        return self

    def is_expired(self, now: datetime) -> bool:
        if self.expires is None:
            return False
        now_utc = _utc(now)
        if isinstance(self.expires, datetime):
            return now_utc >= _utc(self.expires)
        return now_utc.date() > self.expires

    def ref(self, source: str = "", line: int = 0) -> MuteRef:
        """How reports name this entry: its ``id``, else ``file:line``."""
        label = self.id or (f"{source}:{line}" if source else f"entry {line}")
        expires = self.expires.isoformat() if self.expires is not None else None
        return MuteRef(label=label, reason=self.reason, expires=expires, line=line)


class _MutelistFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    mutes: list[MuteEntry]

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value != 1:
            raise ValueError(f"unsupported version {value}; this cspm reads version 1")
        return value

    @field_validator("mutes")
    @classmethod
    def _ids_unique(cls, mutes: list[MuteEntry]) -> list[MuteEntry]:
        ids = [m.id for m in mutes if m.id]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate entry id {', '.join(duplicates)}")
        return mutes


@dataclass(frozen=True)
class MuteRef:
    """The entry that muted a finding (or that expired), as reports show it."""

    label: str
    reason: str
    expires: str | None = None
    line: int = 0
    by_tags: bool = False  # the entry has a tags condition: whoever may tag the resource can satisfy it

    def as_dict(self) -> dict[str, Any]:
        return {"entry": self.label, "reason": self.reason, "expires": self.expires, "by_tags": self.by_tags}

    def info(self) -> MuteInfo:
        return MuteInfo(entry=self.label, reason=self.reason, expires=self.expires, by_tags=self.by_tags)

    @property
    def text(self) -> str:
        """``entry: reason``, and a warning when the entry matched on resource tags."""
        return f"{self.label}: {self.reason}" + (f" {BY_TAGS_NOTE}" if self.by_tags else "")


BY_TAGS_NOTE = "(muted by a tag condition: anyone who may tag the resource can mute it)"


# ---------------------------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _globs(patterns: Sequence[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


@dataclass(frozen=True)
class _Matcher:
    """An entry compiled once for matching many findings."""

    entry: MuteEntry
    ref: MuteRef
    accounts: re.Pattern[str] | None
    regions: re.Pattern[str] | None
    checks: re.Pattern[str] | None
    resources: re.Pattern[str] | None
    regexes: tuple[re.Pattern[str], ...]
    tags: tuple[tuple[str, re.Pattern[str]], ...]

    @classmethod
    def of(cls, entry: MuteEntry, ref: MuteRef) -> _Matcher:
        return cls(
            entry=entry,
            ref=replace(ref, by_tags=bool(entry.tags)),
            accounts=_globs(entry.accounts),
            regions=_globs(entry.regions),
            checks=_globs(entry.checks),
            resources=_globs(entry.resources),
            regexes=tuple(re.compile(p) for p in entry.resource_regex),
            tags=tuple((k, re.compile(fnmatch.translate(v))) for k, v in entry.tags.items()),
        )

    def matches(self, finding: Finding, provider: str, resource: ResourceEntry | None) -> bool:
        entry = self.entry
        if entry.provider is not None and entry.provider != provider:
            return False
        if not _hit(self.accounts, finding.account) or not _hit(self.regions, finding.region):
            return False
        if not _hit(self.checks, finding.check_id):
            return False
        names = (finding.resource_uid,) if resource is None else (finding.resource_uid, resource.name)
        if self.resources is not None and not any(self.resources.match(n) for n in names):
            return False
        if self.regexes and not any(r.fullmatch(n) for r in self.regexes for n in names):
            return False
        return not self.tags or self._tags_match(resource)

    def _tags_match(self, resource: ResourceEntry | None) -> bool:
        if resource is None:
            return False
        return all(key in resource.tags and value.match(resource.tags[key]) for key, value in self.tags)


def _hit(pattern: re.Pattern[str] | None, value: str) -> bool:
    return pattern is None or pattern.match(value) is not None


@dataclass(frozen=True)
class Mutelist:
    """A validated mutelist. Build it with :func:`load_mutelist` or :func:`parse_mutelist`."""

    entries: tuple[MuteEntry, ...]
    source: str = ""
    lines: tuple[int, ...] = ()  # where each entry starts in the file

    def refs(self) -> list[MuteRef]:
        name = Path(self.source).name if self.source else ""
        lines = self.lines or tuple(range(1, len(self.entries) + 1))
        return [e.ref(name, line) for e, line in zip(self.entries, lines, strict=True)]


@dataclass(frozen=True)
class MuteOutcome:
    """The muted report, which entry muted each finding, and the entries that have expired."""

    report: ScanReport
    muted_by: Mapping[str, MuteRef] = field(default_factory=dict)  # finding uid -> entry
    expired: tuple[MuteRef, ...] = ()
    would_have_muted: Mapping[str, int] = field(default_factory=dict)  # expired label -> findings

    @property
    def warnings(self) -> list[str]:
        """One line per expired entry, for stderr."""
        lines = []
        for ref in self.expired:
            count = self.would_have_muted.get(ref.label, 0)
            lines.append(
                f"mutelist entry {ref.label} expired on {ref.expires} and no longer mutes "
                f"({count} matching finding{'s' if count != 1 else ''}); reason was: {ref.reason}"
            )
        return lines


def evaluate_mutelist(report: ScanReport, mutelist: Mutelist, now: datetime) -> MuteOutcome:
    """Mute the findings active entries match; ``now`` is the scan time. Does not log."""
    matchers = [_Matcher.of(e, r) for e, r in zip(mutelist.entries, mutelist.refs(), strict=True)]
    active = [m for m in matchers if not m.entry.is_expired(now)]
    expired = [m for m in matchers if m.entry.is_expired(now)]
    resources = {r.uid: r for r in report.resources}
    provider = report.scan.provider
    muted_by: dict[str, MuteRef] = {}
    would_have: dict[str, int] = defaultdict(int)
    findings: list[Finding] = []
    changed = False
    for original in report.findings:
        resource = resources.get(original.resource_uid)
        cloud = original.cloud(provider)  # in a combined report, the finding's own cloud
        hit = next((m for m in active if m.matches(original, cloud, resource)), None)
        finding = original
        if hit is not None:
            muted_by[original.uid] = hit.ref
            finding = original.model_copy(update={"muted": True, "muted_by": hit.ref.info()})
            changed = changed or not original.muted
        elif not original.muted:
            for m in expired:
                if m.matches(original, cloud, resource):
                    would_have[m.ref.label] += 1
        findings.append(finding)
    muted_report = _rescored(report, findings) if changed else report.model_copy(update={"findings": findings})
    info = MutelistInfo(source=mutelist.source or "<mutelist>", expired=[m.ref.info() for m in expired])
    muted_report = muted_report.model_copy(update={"mutelist": info})
    return MuteOutcome(
        report=muted_report,
        muted_by=muted_by,
        expired=tuple(m.ref for m in expired),
        would_have_muted=dict(would_have),
    )


def apply_mutelist(report: ScanReport, mutelist: Mutelist, now: datetime) -> ScanReport:
    """Mute matching findings (summary and scores recomputed); log one warning per expired entry."""
    outcome = evaluate_mutelist(report, mutelist, now)
    for line in outcome.warnings:
        log.warning("%s", line)
    return outcome.report


def _rescored(report: ScanReport, findings: list[Finding]) -> ScanReport:
    """Muted findings leave the scores: recompute the summary and every resource's scores."""
    by_resource: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_resource[f.resource_uid].append(f)
    resources = [r.model_copy(update={"scores": resource_scores(by_resource.get(r.uid, []))}) for r in report.resources]
    summary = summarize(findings)
    scan = report.scan.model_copy(update={"scopes": scope_scores(report.scan.scopes, findings)})
    update: dict[str, Any] = {"findings": findings, "summary": summary, "resources": resources, "scan": scan}
    from cspm.lineage import refresh  # fail counts and AI-asset scores leave muted findings out too

    return refresh(report.model_copy(update=update))


# ---------------------------------------------------------------------------------------------
# Loading: YAML -> pydantic, with the line of every error
# ---------------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe YAML without implicit ints and floats: account ids like 012345678901 stay text.

    A value the constructors cannot build (``expires: 9999-99-99``, ``!!int`` of 5,000 digits)
    is a :class:`yaml.constructor.ConstructorError` with its line, not a ``ValueError``."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError, TypeError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {node.value!r:.60}: {exc}", node.start_mark
            ) from exc


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_mutelist(path: Path | str) -> Mutelist:
    """Read and validate a mutelist file. Raises UsageError naming ``file:line``."""
    from cspm.inputs import read_input

    return parse_mutelist(read_input(path, "mutelist"), source=str(path))


def parse_mutelist(text: str, source: str = "<mutelist>") -> Mutelist:
    try:
        loader = _Loader(text)  # the reader refuses control characters here, before parsing
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character if isinstance(exc.character, int) else 0
        raise UsageError(f"{source}:{line}: invalid YAML: character U+{char:04X} is not allowed") from exc
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_shape(node, source)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise UsageError(f"{source}:{line}: invalid YAML: {one_line(exc.problem or exc.context, 300)}") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"{source}: invalid YAML: {one_line(exc, 300)}") from exc
    except RecursionError as exc:  # the composer recurses per level: a backstop for the depth check
        raise UsageError(f"{source}: invalid YAML: nested too deeply") from exc
    finally:
        loader.dispose()
    if node is None or data is None:
        raise UsageError(f"{source}:1: the mutelist is empty; expected a 'mutes:' list")
    if not isinstance(data, dict):
        raise UsageError(f"{source}:{node.start_mark.line + 1}: expected a mapping with a 'mutes:' list")
    try:
        parsed = _MutelistFile.model_validate(data)
    except ValidationError as exc:
        raise UsageError(_first_error(exc, node, source)) from exc
    lines = tuple(_line(node, ("mutes", i)) for i in range(len(parsed.mutes)))
    return Mutelist(entries=tuple(parsed.mutes), source=source, lines=lines)


MAX_YAML_DEPTH = 50
MAX_YAML_NODES = 1_000_000  # counted with every alias expanded: "billion laughs" stops here


def _check_shape(root: yaml.Node, source: str) -> None:
    """Refuse a document nested deeper than :data:`MAX_YAML_DEPTH` or larger than
    :data:`MAX_YAML_NODES` nodes once aliases are expanded (an alias is a reference when loaded,
    but validation copies it: nine nested aliases of nine make 387 million strings)."""
    sizes: dict[int, int] = {}
    # Iterative post-order walk; ``on_path`` finds an alias that contains itself.
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    on_path: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        children = _children(node)
        if done:
            on_path.discard(id(node))
            sizes[id(node)] = min(MAX_YAML_NODES + 1, 1 + sum(sizes[id(c)] for c in children))
            if sizes[id(node)] > MAX_YAML_NODES:
                raise UsageError(
                    f"{source}:{node.start_mark.line + 1}: the mutelist expands to more than "
                    f"{MAX_YAML_NODES:,} values (aliases of aliases)"
                )
            continue
        if id(node) in sizes:
            continue
        if depth > MAX_YAML_DEPTH:
            raise UsageError(f"{source}:{node.start_mark.line + 1}: nested deeper than {MAX_YAML_DEPTH} levels")
        if id(node) in on_path:
            raise UsageError(f"{source}:{node.start_mark.line + 1}: an alias refers to a node that contains it")
        on_path.add(id(node))
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in children if id(child) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _first_error(exc: ValidationError, root: yaml.Node, source: str) -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(first["loc"])
    where = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    message = one_line(str(first["msg"]).removeprefix("Value error, "), 300)
    return f"{source}:{_line(root, loc)}: {one_line(where) or 'document'}: {message}{more}"


def _line(root: yaml.Node, loc: Sequence[str | int]) -> int:
    """The 1-based line of the deepest node the pydantic location reaches."""
    node = root
    for step in loc:
        child = _child(node, step)
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


def _child(node: yaml.Node, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in _pairs(node) if k.value == step), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        item: yaml.Node = node.value[step]
        return item
    return None


def _pairs(node: yaml.MappingNode) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    yield from node.value
