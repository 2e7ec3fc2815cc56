"""Offline IAM policy validation: what ``cspm policy lint FILE ...`` runs.

A file holds one policy document, a JSON array of them, or a ``GetAccountAuthorizationDetails``
export. Findings come in Access Analyzer's four levels (:class:`Level`); each names its file, its
policy, the JSON path inside that policy and, when the policy is inline JSON in the file, the
line and column. For an export, every user and role is also evaluated with *all* its policies
(groups, managed, inline, boundary), so an escalation split across policies is found, and the
escalation graph reports paths from principals to admin-equivalent ones.

A file that is not JSON, or holds no policy, raises :class:`LintInputError` (the CLI prints one line
and exits 2).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cspm.iam.escalation import escalation_methods
from cspm.iam.evaluate import EffectivePermissions
from cspm.iam.export import export_snapshots
from cspm.iam.inventory import AccountAnalysis
from cspm.iam.jsonpos import locate, nearest
from cspm.iam.lint_rules import (
    Level,
    LintFinding,
    document_security_findings,
    empty_findings,
    grammar_findings,
    permission_findings,
    statement_findings,
    version_findings,
)
from cspm.iam.policy import PolicyDocument, PolicyError, load_json, parse_policy_with_issues

__all__ = ["FileFinding", "Level", "LintFinding", "LintInputError", "lint_document", "lint_file", "lint_text"]

_GAAD_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


class LintInputError(Exception):
    """A file that is not JSON or holds no policy, with the position of the problem."""

    def __init__(self, file: str, line: int, column: int, message: str) -> None:
        super().__init__(f"{file}:{line}:{column}: {message}")
        self.file, self.line, self.column, self.message = file, line, column, message


@dataclass(frozen=True)
class FileFinding:
    """A finding placed in its file: which policy, which JSON path, which line and column."""

    file: str
    policy: str
    finding: LintFinding
    line: int | None = None
    column: int | None = None

    @property
    def level(self) -> Level:
        """The finding's level."""
        return self.finding.level

    def as_dict(self) -> dict[str, Any]:
        """The finding as plain data (``--json``)."""
        return {
            "file": self.file,
            "policy": self.policy,
            "level": self.finding.level.value,
            "code": self.finding.code,
            "message": self.finding.message,
            "path": self.finding.path,
            "line": self.line,
            "column": self.column,
            "details": self.finding.details,
        }


def lint_document(raw: str | Mapping[str, Any]) -> list[LintFinding]:
    """Lint one policy document (a dict or a JSON string)."""
    findings, _ = _lint_one(raw)
    return findings


def _lint_one(raw: str | Mapping[str, Any]) -> tuple[list[LintFinding], PolicyDocument | None]:
    try:
        data = load_json(raw) if isinstance(raw, str) else raw
    except PolicyError as exc:
        return list(grammar_findings([exc])), None
    doc, issues = parse_policy_with_issues(data)
    findings = list(grammar_findings(issues))
    if doc is None or not isinstance(data, Mapping):
        return findings, None
    findings += version_findings(data, doc)
    for stmt in doc.statements:
        findings += statement_findings(stmt)
    findings += document_security_findings(doc)
    findings += empty_findings(data)
    return findings, doc


@dataclass
class _Source:
    name: str
    prefix: str
    raw: Any


@dataclass
class _Export:
    """Documents of a GetAccountAuthorizationDetails export, for per-principal analysis."""

    managed: dict[str, PolicyDocument] = field(default_factory=dict)
    inline: dict[str, PolicyDocument] = field(default_factory=dict)


def lint_file(path: str | Path) -> list[FileFinding]:
    """Lint a file; raises :class:`LintInputError` when it is not JSON or not a policy."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LintInputError(file, 1, 1, f"cannot read the file: {exc}") from exc
    return lint_text(text, file)


def _decode(text: str, file: str) -> tuple[Any, dict[str, tuple[int, int]]]:
    try:
        return json.loads(text), locate(text)
    except json.JSONDecodeError as exc:
        stripped = text.strip()
        if stripped[:1] not in ("{", "[") and "%" in stripped:
            try:
                return json.loads(urllib.parse.unquote(stripped)), {}
            except json.JSONDecodeError:
                pass
        raise LintInputError(file, exc.lineno, exc.colno, f"not JSON: {exc.msg}") from exc


def lint_text(text: str, file: str = "<string>") -> list[FileFinding]:
    """Lint the JSON text of a file (one policy, an array of policies, or an account export)."""
    data, positions = _decode(text, file)
    sources, export = _sources(data, file, positions)
    out: list[FileFinding] = []
    for source in sources:
        findings, doc = _lint_one(source.raw if isinstance(source.raw, str) else dict(source.raw))
        if doc is not None and export is not None:
            export.inline.setdefault(source.prefix, doc)
        inline_positions = positions if not isinstance(source.raw, str) else {}
        out += (_place(file, source, f, inline_positions) for f in findings)
    if export is not None and isinstance(data, Mapping):
        out += (
            _place(file, _Source(f.policy, "", None), f.finding, positions)
            for f in _export_findings(file, data, export)
        )
    return out


def _place(file: str, source: _Source, finding: LintFinding, positions: dict[str, tuple[int, int]]) -> FileFinding:
    where = nearest(positions, _join(source.prefix, finding.path)) if positions else None
    line, column = where if where else (None, None)
    return FileFinding(file, source.name, finding, line, column)


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def _position(positions: dict[str, tuple[int, int]], path: str) -> tuple[int, int]:
    return nearest(positions, path) or (1, 1)


def _sources(data: Any, file: str, positions: dict[str, tuple[int, int]]) -> tuple[list[_Source], _Export | None]:
    if isinstance(data, Mapping) and "Statement" in data:
        return [_Source(file, "", data)], None
    if isinstance(data, Mapping) and any(key in data for key in _GAAD_KEYS):
        return list(_export_sources(data)), _Export()
    if isinstance(data, list) and data:
        for i, item in enumerate(data):
            if not (isinstance(item, Mapping) and "Statement" in item):
                line, column = _position(positions, f"[{i}]")
                raise LintInputError(file, line, column, f"item {i} is not an IAM policy (no Statement element)")
        return [_Source(f"{file}[{i}]", f"[{i}]", item) for i, item in enumerate(data)], None
    line, column = _position(positions, "")
    what = "an empty array" if data == [] else "no Statement element"
    raise LintInputError(file, line, column, f"not an IAM policy: {what}")


def _export_sources(data: Mapping[str, Any]) -> Iterator[_Source]:
    lists = (
        ("UserDetailList", "UserName", "UserPolicyList"),
        ("GroupDetailList", "GroupName", "GroupPolicyList"),
        ("RoleDetailList", "RoleName", "RolePolicyList"),
    )
    for list_key, name_key, policies_key in lists:
        for i, entity in enumerate(data.get(list_key) or ()):
            arn = entity.get("Arn") or entity.get(name_key, "?")
            for j, policy in enumerate(entity.get(policies_key) or ()):
                prefix = f"{list_key}[{i}].{policies_key}[{j}].PolicyDocument"
                yield _Source(f"{arn} inline {policy.get('PolicyName', j)}", prefix, policy.get("PolicyDocument"))
            if "AssumeRolePolicyDocument" in entity:
                prefix = f"{list_key}[{i}].AssumeRolePolicyDocument"
                yield _Source(f"{arn} trust policy", prefix, entity["AssumeRolePolicyDocument"])
    for i, policy in enumerate(data.get("Policies") or ()):
        for j, version in enumerate(policy.get("PolicyVersionList") or ()):
            if version.get("IsDefaultVersion"):
                prefix = f"Policies[{i}].PolicyVersionList[{j}].Document"
                yield _Source(str(policy.get("Arn", policy.get("PolicyName"))), prefix, version.get("Document"))


# --- per-principal analysis of an export -----------------------------------------------------


def _prefixes(data: Mapping[str, Any]) -> dict[str, str]:
    """The JSON path of every principal of the export, by ARN."""
    out = {}
    for list_key in ("UserDetailList", "GroupDetailList", "RoleDetailList"):
        for i, entity in enumerate(data.get(list_key) or ()):
            if entity.get("Arn"):
                out[str(entity["Arn"])] = f"{list_key}[{i}]"
    return out


def _export_findings(file: str, data: Mapping[str, Any], export: _Export) -> list[FileFinding]:
    """Per-principal findings of an export, from the scanner's own builder (:mod:`cspm.iam.inventory`):
    boundaries of users and roles, group nodes, customer-managed policies — the scan's graph."""
    snapshots = export_snapshots(data)
    analysis = AccountAnalysis(snapshots.users, snapshots.groups, snapshots.roles, snapshots.policies)
    prefixes = _prefixes(data)
    out = []
    for view in analysis.views.values():
        if view.kind == "group":
            continue  # its policies are reported on its members
        single = {m.method.id for doc in view.documents for m in escalation_methods(EffectivePermissions([doc]))}
        # methods that one policy holds alone were already reported on that policy
        for finding in permission_findings(view.permissions, skip_methods=frozenset(single)):
            if finding.code == "DATA_EXFILTRATION" and len(view.documents) <= 1:
                continue
            out.append(FileFinding(file, view.arn, _at(finding, prefixes[view.arn])))
    graph = analysis.graph
    for source, reasons in graph.admin_equivalent.items():
        if reasons == ["admin"] or source in analysis.uncertain or analysis.views[source].kind == "group":
            continue  # FULL_ADMIN (on its policies) says it; a group's members are reported
        finding = LintFinding(
            Level.SECURITY_WARNING,
            "ESCALATION_PATH_TO_ADMIN",
            f"Admin-equivalent: may use {', '.join(reasons)} to grant itself anything.",
            prefixes[source],
            {"path": [], "admin_reasons": list(reasons)},
        )
        out.append(FileFinding(file, source, finding))
    for source, path in graph.paths_to_admin(include_conditional=False).items():
        if source in analysis.uncertain or any(e.source in analysis.uncertain for e in path):
            continue
        hops = " -> ".join(f"{e.target} ({e.method})" for e in path)
        finding = LintFinding(
            Level.SECURITY_WARNING,
            "ESCALATION_PATH_TO_ADMIN",
            f"Can reach admin-equivalent permissions: {hops}.",
            prefixes[source],
            {"path": [e.as_dict() for e in path]},
        )
        out.append(FileFinding(file, source, finding))
    return out


def _at(finding: LintFinding, path: str) -> LintFinding:
    return LintFinding(finding.level, finding.code, finding.message, path, finding.details)


def worst_level(findings: Sequence[FileFinding]) -> Level | None:
    """The most serious level among the findings."""
    return max((f.level for f in findings), key=lambda level: level.rank, default=None)
