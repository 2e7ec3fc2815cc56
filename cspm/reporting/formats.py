"""Every output format in one registry: format name -> file name and renderer.

``write_formats(report, ["json", "sarif", "html"], Path("cspm-output"))`` writes each file
atomically (temporary file + rename) and returns the paths. Renderers are imported only when
their format is asked for, so the CLI stays fast. Every renderer receives the same
:class:`RenderContext`: the report, plus what the report model does not carry (yet): which
mutelist entry muted each finding, the expired entries, and an optional AI lineage graph.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cspm.errors import UsageError
from cspm.models import Finding, MuteInfo, ResourceEntry, ScanReport
from cspm.reporting.json_report import json_chunks, write_atomic, write_chunks_atomic

if TYPE_CHECKING:
    from cspm.mutelist import MuteOutcome, MuteRef

__all__ = ["FORMATS", "FormatSpec", "RenderContext", "parse_formats", "render", "write_formats"]


@dataclass(frozen=True)
class RenderContext:
    report: ScanReport
    mutes: MuteOutcome | None = None
    lineage: Mapping[str, Any] | None = None
    risks: Sequence[Mapping[str, Any]] | None = None

    @cached_property
    def resources(self) -> dict[str, ResourceEntry]:
        return {r.uid: r for r in self.report.resources}

    def resource(self, finding: Finding) -> ResourceEntry | None:
        return self.resources.get(finding.resource_uid)

    def resource_name(self, finding: Finding) -> str:
        resource = self.resource(finding)
        return resource.name if resource is not None else short_name(finding.resource_uid)

    def muted_by(self, finding: Finding) -> MuteRef | None:
        if self.mutes is not None:
            return self.mutes.muted_by.get(finding.uid)
        info = finding.muted_by  # a report read back from disk carries it
        return None if info is None else _ref(info)

    @property
    def expired_mutes(self) -> tuple[MuteRef, ...]:
        if self.mutes is not None:
            return self.mutes.expired
        return tuple(_ref(i) for i in self.report.mutelist.expired) if self.report.mutelist else ()

    @property
    def lineage_graph(self) -> Mapping[str, Any] | None:
        """An explicit lineage, else the report's optional ``lineage`` section once the model has one."""
        if self.lineage is not None:
            return self.lineage
        section = getattr(self.report, "lineage", None)
        if section is None:
            return None
        dumped = section.model_dump(mode="json") if hasattr(section, "model_dump") else section
        return dumped if isinstance(dumped, Mapping) else None

    @property
    def risk_list(self) -> list[Mapping[str, Any]] | None:
        """Explicit risks, else the report's optional ``risks`` section; ``None`` when it has none
        (a report of an older cspm)."""
        section = self.risks if self.risks is not None else getattr(self.report, "risks", None)
        if section is None:
            return None
        dumped = [r.model_dump(mode="json") if hasattr(r, "model_dump") else r for r in section]
        return [r for r in dumped if isinstance(r, Mapping)]


@dataclass(frozen=True)
class FormatSpec:
    name: str
    filename: str
    renderer: str  # "module:function", imported on use; the function is (RenderContext) -> str
    description: str = field(default="", compare=False)
    chunks: str | None = None  # optional "module:function" -> Iterable[str], for streaming large files

    def load(self) -> Callable[[RenderContext], str]:
        module, _, func = self.renderer.partition(":")
        renderer: Callable[[RenderContext], str] = getattr(importlib.import_module(module), func)
        return renderer

    def load_chunks(self) -> Callable[[RenderContext], Iterable[str]] | None:
        if self.chunks is None:
            return None
        module, _, func = self.chunks.partition(":")
        chunks: Callable[[RenderContext], Iterable[str]] = getattr(importlib.import_module(module), func)
        return chunks


FORMATS: Mapping[str, FormatSpec] = {
    spec.name: spec
    for spec in (
        FormatSpec(
            "json",
            "report.json",
            "cspm.reporting.formats:render_json",
            "the cspm report (schema_version 1)",
            chunks="cspm.reporting.formats:render_json_chunks",
        ),
        FormatSpec(
            "ocsf",
            "report.ocsf.json",
            "cspm.reporting.ocsf:render",
            "OCSF 1.5.0 Detection Findings",
            chunks="cspm.reporting.ocsf:render_chunks",
        ),
        FormatSpec(
            "asff",
            "report.asff.json",
            "cspm.reporting.asff:render",
            "AWS Security Finding Format",
            chunks="cspm.reporting.asff:render_chunks",
        ),
        FormatSpec("sarif", "report.sarif", "cspm.reporting.sarif:render", "SARIF 2.1.0"),
        FormatSpec("csv", "report.csv", "cspm.reporting.csv_report:render", "CSV (RFC 4180), one row per finding"),
        FormatSpec("html", "report.html", "cspm.reporting.html:render", "a single self-contained HTML page"),
    )
}


def _ref(info: MuteInfo) -> MuteRef:
    from cspm.mutelist import MuteRef

    return MuteRef(label=info.entry, reason=info.reason, expires=info.expires, by_tags=info.by_tags)


def render_json(ctx: RenderContext) -> str:
    return ctx.report.to_json() + "\n"


def render_json_chunks(ctx: RenderContext) -> Iterator[str]:
    return json_chunks(ctx.report)


def parse_formats(values: Sequence[str] | None) -> list[str]:
    """``--format json,sarif --format html`` -> ["json", "sarif", "html"]; UsageError for unknown names."""
    names: list[str] = []
    for value in values or ():
        for part in value.split(","):
            name = part.strip().lower()
            if name and name not in names:
                names.append(name)
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise UsageError(f"unknown format {', '.join(unknown)}; valid: {', '.join(FORMATS)}")
    return names


def render(
    report: ScanReport,
    fmt: str,
    *,
    mutes: MuteOutcome | None = None,
    lineage: Mapping[str, Any] | None = None,
    risks: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    """One format as text."""
    (name,) = parse_formats([fmt])
    return FORMATS[name].load()(RenderContext(report, mutes, lineage, risks))


def write_formats(
    report: ScanReport,
    formats: Sequence[str],
    output_dir: Path,
    *,
    mutes: MuteOutcome | None = None,
    lineage: Mapping[str, Any] | None = None,
    risks: Sequence[Mapping[str, Any]] | None = None,
) -> list[Path]:
    """Write each format to ``output_dir/<file name>`` atomically; returns the paths in order."""
    ctx = RenderContext(report, mutes, lineage, risks)
    paths = []
    for name in parse_formats(formats):
        spec = FORMATS[name]
        chunks = spec.load_chunks()
        path = output_dir / spec.filename
        if chunks is not None:
            paths.append(write_chunks_atomic(path, chunks(ctx)))
        else:
            paths.append(write_atomic(path, spec.load()(ctx)))
    return paths


_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):")


def aws_partition(uid: str) -> str:
    match = _ARN.match(uid)
    return match.group("partition") if match else "aws"


def short_name(uid: str) -> str:
    """The readable tail of an ARN, an Azure id or a GCP full resource name."""
    tail = uid.rsplit(":", 1)[-1] if uid.startswith("arn:") else uid
    return tail.rstrip("/").rsplit("/", 1)[-1] or uid
