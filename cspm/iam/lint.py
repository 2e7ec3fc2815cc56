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
from cspm.iam.jsonpos import DuplicateKey, locate_all, nearest
from cspm.iam.lint_rules import (
    Level,
    LintFinding,
    document_security_findings,
    duplicate_key_findings,
    empty_findings,
    grammar_findings,
    permission_findings,
    statement_findings,
    version_findings,
)
from cspm.iam.policy import PolicyDocument, PolicyError, load_json, parse_policy_with_issues
from cspm.inputs import InputError, parse_json, read_input

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
    if isinstance(raw, str):  # a document given as text (URL-encoded in an export): its own duplicates
        findings += duplicate_key_findings(_text_duplicates(raw))
    if doc is None or not isinstance(data, Mapping):
        return findings, None
    findings += version_findings(data, doc)
    for stmt in doc.statements:
        findings += statement_findings(stmt)
    findings += document_security_findings(doc)
    findings += empty_findings(data)
    return findings, doc


def _text_duplicates(raw: str) -> list[DuplicateKey]:
    """Duplicate keys of a policy given as JSON text, decoded as :func:`load_json` does."""
    text = raw.lstrip("\ufeff")
    stripped = text.strip()
    if stripped[:1] not in ("{", "[") and "%" in stripped:
        text = urllib.parse.unquote(stripped)
    return locate_all(text)[1]  # load_json accepted the text: it is valid, bounded JSON


def _owner(path: str, sources: Sequence[_Source]) -> _Source | None:
    """The source whose document holds ``path`` (the longest prefix), or None."""
    best: _Source | None = None
    for source in sources:
        prefix = source.prefix
        inside = not prefix or path == prefix or (path.startswith(prefix) and path[len(prefix)] in ".[")
        if inside and not isinstance(source.raw, str) and (best is None or len(prefix) > len(best.prefix)):
            best = source
    return best


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
        text = read_input(path, "policy")
    except InputError as exc:
        raise LintInputError(file, exc.line or 1, exc.column or 1, exc.message) from exc
    return lint_text(text, file)


def _decode(text: str, file: str) -> tuple[Any, dict[str, tuple[int, int]], list[DuplicateKey]]:
    try:
        return parse_json(text, file), *locate_all(text)
    except InputError as exc:
        stripped = text.strip()
        if isinstance(exc.__cause__, json.JSONDecodeError) and stripped[:1] not in ("{", "[") and "%" in stripped:
            try:
                decoded = urllib.parse.unquote(stripped)
                return parse_json(decoded, file), {}, locate_all(decoded)[1]
            except InputError:
                pass
        raise LintInputError(file, exc.line or 1, exc.column or 1, exc.message) from exc


def lint_text(text: str, file: str = "<string>") -> list[FileFinding]:
    """Lint the JSON text of a file (one policy, an array of policies, or an account export)."""
    data, positions, duplicates = _decode(text, file)
    sources, export = _sources(data, file, positions)
    out: list[FileFinding] = []
    for source in sources:
        findings, doc = _lint_one(source.raw if isinstance(source.raw, str) else dict(source.raw))
        if doc is not None and export is not None:
            export.inline.setdefault(source.prefix, doc)
        inline_positions = positions if not isinstance(source.raw, str) else {}
        mine = [d for d in duplicates if _owner(d.path, sources) is source]
        findings += duplicate_key_findings(mine, source.prefix)
        out += (_place(file, source, f, inline_positions) for f in findings)
    outside = [d for d in duplicates if _owner(d.path, sources) is None]  # an export's own keys
    out += (_place(file, _Source(file, "", None), f, positions) for f in duplicate_key_findings(outside))
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
        _check_export_shape(data, file, positions)
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


# The fields of a GetAccountAuthorizationDetails export the analysis reads, by the type they must have.
_EXPORT_LISTS = frozenset(
    {*_GAAD_KEYS, "UserPolicyList", "GroupPolicyList", "RolePolicyList", "AttachedManagedPolicies", "PolicyVersionList"}
)
_EXPORT_STRINGS = frozenset(
    {"Arn", "UserName", "GroupName", "RoleName", "PolicyName", "PolicyArn", "PermissionsBoundaryArn"}
)
_EXPORT_DOCUMENTS = frozenset({"PolicyDocument", "AssumeRolePolicyDocument", "Document"})


def _check_export_shape(data: Mapping[str, Any], file: str, positions: dict[str, tuple[int, int]]) -> None:
    """Raise :class:`LintInputError` at the first field of an export that has the wrong type (a
    list of objects, a string, a policy document as an object or JSON text), before analysis."""
    stack: list[tuple[str, Any]] = [(key, data[key]) for key in _GAAD_KEYS if key in data]
    while stack:
        path, value = stack.pop()
        problem, children = _shape(path, value)
        if problem:
            line, column = _position(positions, path)
            message = f"not a GetAccountAuthorizationDetails export: {path} must be {problem}"
            raise LintInputError(file, line, column, message)
        stack += children


def _shape(path: str, value: Any) -> tuple[str | None, list[tuple[str, Any]]]:
    """(what the field must be if it is not, the fields inside it to check next)."""
    name = path.rsplit(".", 1)[-1].split("[", 1)[0]
    if value is None:
        return None, []
    if name in _EXPORT_LISTS:
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            return "a list of objects", []
        return None, [(f"{path}[{i}].{k}", v[k]) for i, v in enumerate(value) for k in v]
    if name == "PermissionsBoundary":
        ok = isinstance(value, Mapping)
        return (None, [(f"{path}.{k}", v) for k, v in value.items()]) if ok else ("an object", [])
    if name in _EXPORT_STRINGS and not isinstance(value, str):
        return "a string", []
    if name == "GroupList" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return "a list of group names", []
    if name in _EXPORT_DOCUMENTS and not isinstance(value, Mapping | str):
        return "a policy document (an object or its JSON text)", []
    return None, []


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
                if policy.get("PolicyDocument") is not None:
                    yield _Source(f"{arn} inline {policy.get('PolicyName', j)}", prefix, policy["PolicyDocument"])
            if entity.get("AssumeRolePolicyDocument") is not None:
                prefix = f"{list_key}[{i}].AssumeRolePolicyDocument"
                yield _Source(f"{arn} trust policy", prefix, entity["AssumeRolePolicyDocument"])
    for i, policy in enumerate(data.get("Policies") or ()):
        for j, version in enumerate(policy.get("PolicyVersionList") or ()):
            if version.get("IsDefaultVersion") and version.get("Document") is not None:
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
