"""The rules of ``cspm policy lint``, one small function per family of checks.

Levels and codes follow AWS IAM Access Analyzer policy validation where it has an equivalent
(``PASS_ROLE_WITH_STAR_IN_RESOURCE``, ``MISSING_VERSION``, ``REDUNDANT_ACTION`` …). Every finding
carries the JSON path of what it is about, relative to the policy document.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cspm.iam.actions import (
    action_database,
    action_matches,
    is_full_action_wildcard,
    key_template_matches,
    split_action,
)
from cspm.iam.analysis import (
    admin_statements,
    conditional_admin_statements,
    data_exfiltration,
    pass_role_on_star,
)
from cspm.iam.conditions import (
    Condition,
    Operator,
    OperatorFamily,
    global_key_type,
    is_multivalued_global_key,
)
from cspm.iam.escalation import escalation_methods
from cspm.iam.evaluate import EffectivePermissions, Verdict
from cspm.iam.jsonpos import DuplicateKey
from cspm.iam.policy import PolicyDocument, PolicyError, Statement
from cspm.iam.principals import is_public_principal, is_restricting
from cspm.iam.statements import is_full_resource_wildcard
from cspm.wildcard import Token, intersects, tokenize


class Level(StrEnum):
    """Finding levels, as Access Analyzer defines them."""

    ERROR = "ERROR"
    SECURITY_WARNING = "SECURITY_WARNING"
    WARNING = "WARNING"
    SUGGESTION = "SUGGESTION"

    @property
    def rank(self) -> int:
        """Higher is more serious."""
        return {"ERROR": 4, "SECURITY_WARNING": 3, "WARNING": 2, "SUGGESTION": 1}[self.value]


@dataclass(frozen=True)
class LintFinding:
    """One finding: level, code, message and the JSON path it is about (within its policy)."""

    level: Level
    code: str
    message: str
    path: str
    details: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


E, S, W, G = Level.ERROR, Level.SECURITY_WARNING, Level.WARNING, Level.SUGGESTION
_DB_TYPES = {
    "string": OperatorFamily.STRING,
    "arn": OperatorFamily.ARN,
    "bool": OperatorFamily.BOOL,
    "numeric": OperatorFamily.NUMERIC,
    "date": OperatorFamily.DATE,
    "ipaddress": OperatorFamily.IP_ADDRESS,
}
# Keys present in every request: IfExists on them is pointless.
_ALWAYS_PRESENT = frozenset(
    {
        "aws:currenttime",
        "aws:epochtime",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:requestedregion",
        "aws:securetransport",
        "aws:userid",
        "aws:viaawsservice",
        "aws:principalisawsservice",
    }
)
_MAX_EXPANSION = 400


# --- grammar and version ---------------------------------------------------------------------


def grammar_findings(issues: list[PolicyError]) -> Iterator[LintFinding]:
    """ERROR for everything IAM would reject (from the parser)."""
    for issue in issues:
        yield LintFinding(E, issue.code, issue.message, issue.path)


def version_findings(raw: Mapping[str, Any], doc: PolicyDocument) -> Iterator[LintFinding]:
    """WARNING without ``Version`` (variables are then literal text) or with variables under 2008-10-17."""
    if "Version" not in raw:
        yield LintFinding(
            W, "MISSING_VERSION", 'Add "Version": "2012-10-17"; without it policy variables are literal text.', ""
        )
    elif doc.version == "2008-10-17" and any("${" in r for s in doc.statements for r in s.resources or ()):
        yield LintFinding(W, "VARIABLES_NEED_2012_VERSION", "Policy variables need Version 2012-10-17.", "Version")


def duplicate_key_findings(duplicates: Iterable[DuplicateKey], prefix: str = "") -> Iterator[LintFinding]:
    """ERROR for a key given twice in one object (``"Effect": "Allow", "Effect": "Deny"``).

    JSON leaves the meaning open: Python and most parsers keep the last value, some the first, and
    a reviewer reads the first. A duplicate ``Effect``, ``Action`` or ``Condition`` silently turns
    the policy into something other than what it appears to say, so this is an ERROR (it fails
    ``policy lint`` at the default ``--fail-on error``), not a style warning. ``prefix`` is the
    policy's own path in the file; finding paths are relative to the policy."""
    for dup in duplicates:
        path = dup.path[len(prefix) :].lstrip(".") if prefix else dup.path
        message = (
            f"Key {dup.key!r} appears twice in one object: {dup.first} then {dup.second}. "
            "JSON parsers disagree on which value counts (cspm, like most, keeps the last); keep one."
        )
        yield LintFinding(E, "DUPLICATE_KEY", message, path, {"key": dup.key, "values": [dup.first, dup.second]})


# --- actions and resources -------------------------------------------------------------------


def _action_items(stmt: Statement) -> Iterator[tuple[str, str]]:
    for key, values in (("Action", stmt.actions), ("NotAction", stmt.not_actions)):
        for i, action in enumerate(values or ()):
            yield (f"{stmt.path}.{key}[{i}]" if _is_list(stmt, key) else f"{stmt.path}.{key}"), action


def _is_list(stmt: Statement, key: str) -> bool:
    return key in stmt.list_elements


def action_findings(stmt: Statement) -> Iterator[LintFinding]:
    """ERROR for unknown services and actions; SUGGESTION for wildcards in a service name."""
    db = action_database()
    for path, action in _action_items(stmt):
        service, name = split_action(action)
        if not name or is_full_action_wildcard(action):
            continue
        if not re.search(r"[*?]", service) and not db.service_exists(service):
            yield LintFinding(E, "INVALID_SERVICE", f"Unknown service prefix {service!r}.", path, {"action": action})
        elif not db.expand(action):
            yield LintFinding(
                E, "INVALID_ACTION", f"{action!r} matches no action of the service.", path, {"action": action}
            )
        elif re.search(r"[*?]", service):
            yield LintFinding(G, "WILDCARD_IN_SERVICE_NAME", f"{action!r} has a wildcard in the service name.", path)


@functools.lru_cache(maxsize=8192)
def _tokens(pattern: str, *, template: bool) -> tuple[Token, ...]:
    """A resource read as a glob; in an ARN template each ``${Variable}`` is a ``*``."""
    return tokenize(pattern, variables=template)[0]


@functools.lru_cache(maxsize=65536)
def _intersects(a: tuple[Token, ...], b: tuple[Token, ...]) -> bool:
    """Whether two glob patterns (``*``, ``?``) can match a common string."""
    return intersects(a, b)


def _expanded_infos(stmt: Statement) -> list[Any] | None:
    """The known actions of an Action list, or ``None`` when too many to check (or NotAction)."""
    if stmt.actions is None:
        return None
    db = action_database()
    names = {a for p in stmt.actions for a in db.expand(p)}
    if len(names) > _MAX_EXPANSION:
        return None
    return [info for info in (db.lookup(n) for n in sorted(names)) if info is not None]


def resource_findings(stmt: Statement) -> Iterator[LintFinding]:
    """ERROR for an ARN that no action of the statement can apply to."""
    infos = _expanded_infos(stmt)
    if not infos or stmt.resources is None:
        return
    db = action_database()
    formats = {info.full_name: db.resource_arn_formats(info) for info in infos}
    for i, resource in enumerate(stmt.resources):
        if is_full_resource_wildcard(resource) or "${" in resource:
            continue
        path = f"{stmt.path}.Resource[{i}]" if _is_list(stmt, "Resource") else f"{stmt.path}.Resource"
        yield from _arn_fits(resource, formats, path)


def _arn_fits(resource: str, formats: dict[str, tuple[str, ...]], path: str) -> Iterator[LintFinding]:
    if resource.count(":") < 5 and "*" not in resource:
        yield LintFinding(E, "INVALID_ARN", f"{resource!r} is not a complete ARN.", path)
        return
    res = _tokens(resource, template=False)
    if not any(_intersects(res, _tokens(f, template=True)) for fs in formats.values() for f in fs):
        message = f"{resource!r} fits no resource type of the statement's actions."
        yield LintFinding(E, "INVALID_ARN_FOR_ACTIONS", message, path, {"actions": sorted(formats)})


def redundant_action_findings(stmt: Statement) -> Iterator[LintFinding]:
    """SUGGESTION for an action already covered by another pattern of the same list."""
    items = list(_action_items(stmt))
    for i, (path, action) in enumerate(items):
        for j, (_, other) in enumerate(items):
            if i == j or path.split(".")[-1].startswith("Not") != items[j][0].split(".")[-1].startswith("Not"):
                continue
            covered = action_matches(other, action)
            if covered and (not action_matches(action, other) or j < i):
                message = f"{action!r} is already covered by {other!r}."
                yield LintFinding(G, "REDUNDANT_ACTION", message, path, {"covered_by": other})
                break


# --- conditions ------------------------------------------------------------------------------


def _key_type(key: str) -> tuple[OperatorFamily | None, bool]:
    """(type, multi-valued) of a condition key, ``(None, False)`` when unknown."""
    if key.lower().startswith("aws:"):
        return global_key_type(key), is_multivalued_global_key(key)
    text = action_database().condition_key_type(key)
    if text is None:
        return None, False
    multi = text.lower().startswith("arrayof")
    return _DB_TYPES.get(text.lower().removeprefix("arrayof")), multi


def _operator_fits_key(op: Operator, key_type: OperatorFamily) -> bool:
    if op.family in (OperatorFamily.NULL, OperatorFamily.BINARY):
        return True
    if op.family is OperatorFamily.STRING:
        return key_type in (OperatorFamily.STRING, OperatorFamily.ARN)
    return op.family is key_type


def _valid_date(value: str) -> bool:
    if value.isdigit():
        return True
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _valid_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


_VALUE_CHECKS = {
    OperatorFamily.BOOL: lambda v: v.lower() in ("true", "false"),
    OperatorFamily.NULL: lambda v: v.lower() in ("true", "false"),
    OperatorFamily.NUMERIC: _valid_number,
    OperatorFamily.DATE: _valid_date,
    OperatorFamily.IP_ADDRESS: _valid_ip,
    OperatorFamily.ARN: lambda v: v.startswith("arn:") or v.strip("*?") == "",
}


def _unfit_values(cond: Condition, op: Operator) -> list[str]:
    """The policy values that do not fit the operator's type (``Bool`` with ``"yes"`` …)."""
    check = _VALUE_CHECKS.get(op.family)
    if check is None:
        return []
    return [v for v in cond.values if "${" not in v and not check(v)]


def condition_value_findings(cond: Condition, op: Operator) -> Iterator[LintFinding]:
    """WARNING for values that do not fit the operator's type (``Bool`` with ``"yes"`` …)."""
    for value in _unfit_values(cond, op):
        message = f"{value!r} is not a valid {op.family.value} value for {cond.operator}."
        yield LintFinding(W, f"TYPE_MISMATCH_{op.family.name}", message, cond.path, {"value": value})


# The operator a key of each type is compared with: what to use instead of a mismatched one.
_FIX = {
    OperatorFamily.STRING: ("StringEquals", "StringNotEquals"),
    OperatorFamily.ARN: ("ArnLike", "ArnNotLike"),
    OperatorFamily.BOOL: ("Bool", "Bool"),
    OperatorFamily.NUMERIC: ("NumericEquals", "NumericNotEquals"),
    OperatorFamily.DATE: ("DateEquals", "DateNotEquals"),
    OperatorFamily.IP_ADDRESS: ("IpAddress", "NotIpAddress"),
}


def _fixed_operator(cond: Condition, op: Operator) -> str:
    """The operator to use instead: the key's own family (``StringEquals`` for a string key),
    with the qualifier, the negation and IfExists of the original kept."""
    key_type = _key_type(cond.key)[0] or OperatorFamily.STRING
    base = _FIX.get(key_type, _FIX[OperatorFamily.STRING])[1 if op.negated else 0]
    return f"{op.qualifier + ':' if op.qualifier else ''}{base}{'IfExists' if op.if_exists else ''}"


def never_true(cond: Condition, op: Operator) -> bool:
    """Whether the condition can never be true for any request.

    Only when it is certain: a plain (not negated, no IfExists, no ``ForAllValues``, which is true
    for a request without the key) operator of a typed family (Bool, Numeric, Date, IpAddress, or
    an ARN operator with a wildcard-free value) whose every policy value is not a value of that
    type. A request value of the operator's type never equals such a value, so the condition block
    — all of whose conditions must hold — never holds. ``Bool`` with ``"public-read"`` is the
    classic case: meant as ``StringEquals``, it matches nothing.
    """
    if op.negated or op.if_exists or op.qualifier == "ForAllValues" or not cond.values:
        return False
    typed = (OperatorFamily.BOOL, OperatorFamily.NUMERIC, OperatorFamily.DATE, OperatorFamily.IP_ADDRESS)
    wildcard_arn = op.family is OperatorFamily.ARN and any(ch in v for v in cond.values for ch in "*?")
    if op.family not in typed and (op.family is not OperatorFamily.ARN or wildcard_arn):
        return False
    return len(_unfit_values(cond, op)) == len(cond.values)


def dead_condition_findings(stmt: Statement, cond: Condition, op: Operator) -> Iterator[LintFinding]:
    """SECURITY_WARNING for a statement that a never-true condition switches off.

    A Deny that never applies protects nothing (``DENY_NEVER_APPLIES``): it is usually the only
    statement meant to stop something, so the policy looks guarded and is not. An Allow whose
    guard never holds grants nothing (``ALLOW_CONDITION_NEVER_MATCHES``): the access it was meant
    to grant under a condition fails, and the usual "fix" is to remove the condition. Both name the
    statement and the operator to use instead. Access Analyzer reports only the type mismatch.
    """
    fix = _fixed_operator(cond, op)
    values = ", ".join(repr(v) for v in cond.values)
    why = f"{cond.operator} compares {op.family.value} values and {values} is not one, so {cond.key} never matches"
    details = {
        "condition": cond.path,
        "operator": cond.operator,
        "key": cond.key,
        "values": list(cond.values),
        "fix": fix,
    }
    if stmt.is_allow:
        message = f"This Allow never grants anything: {why}. Use {fix}."
        yield LintFinding(S, "ALLOW_CONDITION_NEVER_MATCHES", message, stmt.path, details)
    else:
        message = f"This Deny never applies: {why}. Use {fix}."
        yield LintFinding(S, "DENY_NEVER_APPLIES", message, stmt.path, details)


def _type_findings(stmt: Statement, cond: Condition, op: Operator) -> Iterator[LintFinding]:
    """One finding per mistake: the dead statement when the condition can never be true; else
    one type finding, the operator/key mismatch carrying the unfit values when both apply."""
    if never_true(cond, op):
        yield from dead_condition_findings(stmt, cond, op)
        yield from (f for f in condition_key_findings(stmt, cond, op) if f.code != "OPERATOR_KEY_TYPE_MISMATCH")
        return
    key_findings = list(condition_key_findings(stmt, cond, op))
    mismatch = next((f for f in key_findings if f.code == "OPERATOR_KEY_TYPE_MISMATCH"), None)
    unfit = _unfit_values(cond, op)
    if mismatch is not None and unfit:
        fix = _fixed_operator(cond, op)
        message = f"{mismatch.message} {', '.join(repr(v) for v in unfit)} is not a {op.family.value} value: use {fix}."
        details = {**mismatch.details, "values": unfit, "fix": fix}
        yield LintFinding(W, mismatch.code, message, cond.path, details)
        yield from (f for f in key_findings if f is not mismatch)
        return
    yield from condition_value_findings(cond, op)
    yield from key_findings


def condition_key_findings(stmt: Statement, cond: Condition, op: Operator) -> Iterator[LintFinding]:
    """WARNING for unknown keys, operator/key type mismatch, set operators on single-valued keys."""
    key_type, multi = _key_type(cond.key)
    if key_type is None:
        yield LintFinding(W, "UNKNOWN_CONDITION_KEY", f"Unknown condition key {cond.key!r}.", cond.path)
        return
    if not _operator_fits_key(op, key_type):
        message = f"{cond.operator} compares {op.family.value} values but {cond.key} is {key_type.value}."
        details = {"operator_type": op.family.value, "key_type": key_type.value}
        yield LintFinding(W, "OPERATOR_KEY_TYPE_MISMATCH", message, cond.path, details)
    if op.qualifier == "ForAllValues" and not multi and stmt.is_allow:
        message = f"ForAllValues with the single-valued key {cond.key} also matches requests without the key."
        yield LintFinding(S, "FOR_ALL_VALUES_WITH_SINGLE_VALUED_KEY", message, cond.path)
    elif op.qualifier == "ForAnyValue" and not multi:
        message = f"ForAnyValue with the single-valued key {cond.key}: use the plain operator."
        yield LintFinding(W, "FOR_ANY_VALUE_WITH_SINGLE_VALUED_KEY", message, cond.path)


def if_exists_findings(stmt: Statement, cond: Condition, op: Operator) -> Iterator[LintFinding]:
    """WARNING for IfExists that widens an Allow, or that is pointless on a key every request has."""
    if not op.if_exists:
        return
    if cond.key_lower in _ALWAYS_PRESENT:
        message = f"{cond.key} is in every request: IfExists does nothing here."
        yield LintFinding(W, "REDUNDANT_IF_EXISTS", message, cond.path)
    elif stmt.is_allow and not op.negated:
        message = f"{cond.operator} allows every request that lacks {cond.key}, not only those that match."
        yield LintFinding(W, "IF_EXISTS_BROADENS_ALLOW", message, cond.path)


def unsupported_key_findings(stmt: Statement) -> Iterator[LintFinding]:
    """WARNING for service condition keys that no action of the statement supports."""
    infos = _expanded_infos(stmt)
    if not infos:
        return
    db = action_database()
    supported = {k for info in infos for k in db.supported_condition_keys(info)}
    for cond in stmt.conditions:
        if cond.key_lower.startswith("aws:") or _key_type(cond.key)[0] is None:
            continue
        if not any(key_template_matches(k, cond.key) for k in supported):
            message = f"No action in the statement supports the condition key {cond.key}."
            yield LintFinding(W, "UNSUPPORTED_CONDITION_KEY", message, cond.path, {"key": cond.key})


def condition_findings(stmt: Statement) -> Iterator[LintFinding]:
    """Every condition rule for one statement."""
    for cond in stmt.conditions:
        op = cond.parsed
        if op is None:
            continue  # the parser reported the invalid operator
        yield from _type_findings(stmt, cond, op)
        yield from if_exists_findings(stmt, cond, op)
    yield from unsupported_key_findings(stmt)


# --- security --------------------------------------------------------------------------------


def negated_element_findings(stmt: Statement) -> Iterator[LintFinding]:
    """SECURITY_WARNING for Allow with NotPrincipal, NotAction or NotResource."""
    if not stmt.is_allow:
        return
    for element, present in (
        ("NotPrincipal", stmt.not_principals is not None),
        ("NotAction", stmt.not_actions is not None),
        ("NotResource", stmt.not_resources is not None),
    ):
        if present:
            code = f"ALLOW_WITH_{element.upper().replace('NOT', 'NOT_')}"
            message = f"Allow with {element} grants everything except what it lists."
            yield LintFinding(S, code, message, f"{stmt.path}.{element}")


def public_access_findings(stmt: Statement) -> Iterator[LintFinding]:
    """SECURITY_WARNING for an Allow to everyone (``"*"``) without a restricting condition."""
    if stmt.is_allow and is_public_principal(stmt.principals) and not any(is_restricting(c) for c in stmt.conditions):
        yield LintFinding(
            S, "PUBLIC_ACCESS", "Allows every AWS principal, with no restricting condition.", f"{stmt.path}.Principal"
        )


def document_security_findings(doc: PolicyDocument) -> Iterator[LintFinding]:
    """Admin, PassRole on ``*``, escalation and exfiltration for the document as a whole."""
    admin = admin_statements(doc)
    conditional = conditional_admin_statements(doc)
    for stmt in admin:
        yield LintFinding(S, "FULL_ADMIN", "Allows every action on every resource.", stmt.path)
    for stmt in conditional:
        message = "Allows every action on every resource, under a condition."
        yield LintFinding(S, "CONDITIONAL_ADMIN", message, stmt.path)
    for stmt in pass_role_on_star(doc):
        if stmt in admin or stmt in conditional:
            continue  # admin says it all
        message = "iam:PassRole on every role lets the caller give any role to a service."
        yield LintFinding(S, "PASS_ROLE_WITH_STAR_IN_RESOURCE", message, stmt.path)
    if any(s.principals is not None or s.not_principals is not None for s in doc.statements):
        return  # resource and trust policies: the permission categories are about identities
    yield from permission_findings(EffectivePermissions([doc]), doc)


def permission_findings(
    perms: EffectivePermissions, doc: PolicyDocument | None = None, *, skip_methods: frozenset[str] = frozenset()
) -> Iterator[LintFinding]:
    """Escalation and exfiltration from effective permissions (one policy or a whole principal).

    One finding per set of statements that together allow escalation, listing every method they
    allow: one PassRole statement beside ``sagemaker:Create*`` is one finding naming the 14
    combinations, not 14 findings. ``skip_methods`` are left out (already reported elsewhere).
    """
    if perms.is_admin:
        return  # FULL_ADMIN says it all
    paths = {(s.index): s.path for s in doc.statements} if doc else {}
    groups: dict[tuple[str, ...], list[Any]] = {}
    for match in escalation_methods(perms):
        if match.verdict is not Verdict.ALLOWED or match.method.id in skip_methods:
            continue
        origins = [o for d in match.decisions for o in d.allowed_by]
        where = tuple(dict.fromkeys(paths.get(o.ref.index, "") for o in origins)) if origins else ("",)
        groups.setdefault(where, []).append(match)
    for where, matches in groups.items():
        ids = [m.method.id for m in matches]
        if len(matches) == 1:
            message = f"Privilege escalation ({ids[0]}): {matches[0].method.description}."
        else:
            message = f"Privilege escalation, {len(matches)} ways: {', '.join(ids)}."
        details = {"methods": [m.as_dict() for m in matches], "statements": [w for w in where if w]}
        yield LintFinding(S, "PRIVILEGE_ESCALATION", message, where[0], details)
    exfil = data_exfiltration(perms)
    if exfil.unrestricted:
        first = perms.allows(exfil.unrestricted[0]).allowed_by
        path = paths.get(first[0].ref.index, "") if first else ""
        message = f"Unrestricted data access: {', '.join(exfil.unrestricted)}."
        yield LintFinding(S, "DATA_EXFILTRATION", message, path, {"actions": list(exfil.unrestricted)})


# --- style -----------------------------------------------------------------------------------


def empty_findings(raw: Any, path: str = "") -> Iterator[LintFinding]:
    """SUGGESTION for empty arrays and objects anywhere in the document."""
    if isinstance(raw, Mapping):
        if not raw and path:
            yield LintFinding(G, "EMPTY_OBJECT", "Remove the empty object.", path)
        for key, value in raw.items():
            yield from empty_findings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(raw, list):
        if not raw:
            yield LintFinding(G, "EMPTY_ARRAY", "Remove the empty array (it grants or matches nothing).", path)
        for i, value in enumerate(raw):
            yield from empty_findings(value, f"{path}[{i}]")


def missing_resource_findings(stmt: Statement) -> Iterator[LintFinding]:
    """ERROR for an identity-policy statement (no Principal) without Resource or NotResource."""
    has_principal = stmt.principals is not None or stmt.not_principals is not None
    if not has_principal and stmt.resources is None and stmt.not_resources is None:
        yield LintFinding(E, "MISSING_RESOURCE", "The statement needs Resource or NotResource.", stmt.path)


def statement_findings(stmt: Statement) -> Iterator[LintFinding]:
    """Every per-statement rule."""
    yield from missing_resource_findings(stmt)
    yield from action_findings(stmt)
    yield from resource_findings(stmt)
    yield from condition_findings(stmt)
    yield from negated_element_findings(stmt)
    yield from public_access_findings(stmt)
    yield from redundant_action_findings(stmt)
