"""The IAM policy document model and its parser.

:func:`parse_policy` turns a policy (a JSON string, URL-encoded JSON as some IAM APIs return it,
a dict, or a bare list of statements) into a frozen :class:`PolicyDocument`, or raises
:class:`PolicyError` with the JSON path of the first problem. :func:`parse_policy_with_issues`
returns every grammar problem at once, for ``cspm policy lint``.

JSON paths look like ``Statement[2].Condition.StringEquals.aws:SourceAccount``; when the
``Statement`` element is a single object rather than an array, its path is ``Statement``.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cspm.iam.conditions import Condition, parse_operator

VALID_VERSIONS = ("2012-10-17", "2008-10-17")
_TOP_KEYS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
    }
)
_PRINCIPAL_KEYS = {
    "AWS": "aws",
    "Service": "service",
    "Federated": "federated",
    "CanonicalUser": "canonical_user",
}
_ACTION_RE = re.compile(r"^(\*+|[A-Za-z0-9*?_-]+:[A-Za-z0-9*?_-]*)$")


class PolicyError(ValueError):
    """A policy that IAM would reject. ``path`` is the JSON path of the problem, ``code`` its kind."""

    def __init__(self, path: str, message: str, code: str = "SYNTAX_ERROR") -> None:
        super().__init__(f"{path or '<document>'}: {message}")
        self.path = path
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Principal:
    """A ``Principal`` / ``NotPrincipal`` element.

    ``star`` is ``"Principal": "*"``; ``{"AWS": "*"}`` is kept as ``aws=("*",)``.
    """

    star: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()

    def items(self) -> list[tuple[str, str]]:
        """Every principal as (type, value): ``("AWS", "arn:aws:iam::1:root")``, ``("*", "*")``."""
        out: list[tuple[str, str]] = [("*", "*")] if self.star else []
        for kind, attr in _PRINCIPAL_KEYS.items():
            out.extend((kind, value) for value in getattr(self, attr))
        return out


@dataclass(frozen=True)
class StatementRef:
    """Where a statement is: its position in the document and its Sid, for evidence."""

    index: int
    sid: str | None

    def as_dict(self) -> dict[str, Any]:
        """The reference as plain data."""
        return {"index": self.index, "sid": self.sid}


@dataclass(frozen=True)
class Statement:
    """One statement. ``actions`` / ``resources`` … are ``None`` when the element is absent.

    Action patterns keep their spelling; match them with :mod:`cspm.iam.actions`. ``path`` is the
    statement's JSON path (``Statement[2]``); ``list_elements`` names the elements written as arrays,
    so that a finding can point at ``Action[1]`` rather than ``Action``.
    """

    index: int
    sid: str | None
    effect: str
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principals: Principal | None
    not_principals: Principal | None
    conditions: tuple[Condition, ...]
    path: str = field(default="", compare=False)
    list_elements: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def ref(self) -> StatementRef:
        """The statement's :class:`StatementRef`."""
        return StatementRef(self.index, self.sid)

    @property
    def is_allow(self) -> bool:
        """Whether the effect is ``Allow``."""
        return self.effect == "Allow"


@dataclass(frozen=True)
class PolicyDocument:
    """A parsed policy document. ``name`` is free for callers (e.g. the policy ARN) and not parsed."""

    version: str | None
    statements: tuple[Statement, ...]
    id: str | None
    name: str | None = field(default=None, compare=False)


def parse_policy(raw: str | bytes | Mapping[str, Any] | Sequence[Any]) -> PolicyDocument:
    """Parse a policy; raise :class:`PolicyError` (first problem, with its path) if it is invalid."""
    doc, issues = parse_policy_with_issues(raw)
    if issues:
        raise issues[0]
    assert doc is not None  # no issues means a document was built
    return doc


def parse_policy_with_issues(
    raw: str | bytes | Mapping[str, Any] | Sequence[Any],
) -> tuple[PolicyDocument | None, list[PolicyError]]:
    """Parse a policy and return every grammar problem found.

    The document is ``None`` only when its shape is unusable (not JSON, not an object, no
    statements); otherwise it is built from the valid parts so that analysis can still run.
    """
    try:
        data = load_json(raw) if isinstance(raw, str | bytes) else raw
    except PolicyError as exc:
        return None, [exc]
    parser = _Parser()
    doc = parser.document(data)
    return doc, parser.issues


def load_json(raw: str | bytes) -> Any:
    """Decode JSON, also URL-encoded JSON (as ``GetAccountAuthorizationDetails`` returns it)."""
    text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw.lstrip("\ufeff")
    stripped = text.strip()
    if stripped[:1] not in ("{", "[") and "%" in stripped:
        text = urllib.parse.unquote(stripped)
    from cspm.inputs import InputError, parse_json

    try:
        return parse_json(text, "<policy>")  # no NaN, no huge numbers, no deep nesting: untrusted text
    except InputError as exc:
        where = f" at line {exc.line} column {exc.column}" if exc.line is not None else ""
        raise PolicyError(
            "", f"invalid JSON{where}: {exc.message.removeprefix('not valid JSON: ')}", "INVALID_JSON"
        ) from exc


class _Parser:
    """Builds the model and collects :class:`PolicyError` instead of stopping at the first."""

    def __init__(self) -> None:
        self.issues: list[PolicyError] = []

    def error(self, path: str, message: str, code: str) -> None:
        self.issues.append(PolicyError(path, message, code))

    def document(self, data: Any) -> PolicyDocument | None:
        if isinstance(data, Sequence) and not isinstance(data, str | bytes):
            data = {"Statement": list(data)}
        if not isinstance(data, Mapping):
            self.error("", "a policy must be a JSON object", "INVALID_DOCUMENT")
            return None
        for key in data:
            if key not in _TOP_KEYS:
                self.error(str(key), f"unknown top-level element {key!r}", "UNKNOWN_ELEMENT")
        version = self.version(data.get("Version"))
        policy_id = self.optional_string(data.get("Id"), "Id")
        statements = self.statements(data.get("Statement"))
        if statements is None:
            return None
        return PolicyDocument(version=version, statements=statements, id=policy_id)

    def version(self, value: Any) -> str | None:
        if value is None:
            return None
        if value not in VALID_VERSIONS:
            self.error(
                "Version", f"Version must be one of {', '.join(VALID_VERSIONS)}, not {value!r}", "INVALID_VERSION"
            )
            return value if isinstance(value, str) else None
        return str(value)

    def optional_string(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.error(path, "must be a string", "INVALID_TYPE")
            return None
        return value

    def statements(self, value: Any) -> tuple[Statement, ...] | None:
        if value is None:
            self.error("Statement", "a policy needs a Statement element", "MISSING_STATEMENT")
            return None
        if isinstance(value, Mapping):
            items: list[tuple[str, Any]] = [("Statement", value)]
        elif isinstance(value, list):
            items = [(f"Statement[{i}]", item) for i, item in enumerate(value)]
        else:
            self.error("Statement", "Statement must be an object or an array of objects", "INVALID_TYPE")
            return None
        built = (self.statement(index, path, item) for index, (path, item) in enumerate(items))
        out = tuple(stmt for stmt in built if stmt is not None)
        self.check_unique_sids(out)
        return out

    def check_unique_sids(self, statements: tuple[Statement, ...]) -> None:
        seen: set[str] = set()
        for stmt in statements:
            if stmt.sid is not None and stmt.sid in seen:
                self.error(f"{stmt.path}.Sid", f"duplicate Sid {stmt.sid!r}: Sids must be unique", "DUPLICATE_SID")
            if stmt.sid is not None:
                seen.add(stmt.sid)

    def statement(self, index: int, path: str, data: Any) -> Statement | None:
        if not isinstance(data, Mapping):
            self.error(path, "a statement must be a JSON object", "INVALID_TYPE")
            return None
        for key in data:
            if key not in _STATEMENT_KEYS:
                self.error(f"{path}.{key}", f"unknown statement element {key!r}", "UNKNOWN_ELEMENT")
        effect = data.get("Effect")
        if effect not in ("Allow", "Deny"):
            self.error(f"{path}.Effect", f"Effect must be 'Allow' or 'Deny', not {effect!r}", "INVALID_EFFECT")
            return None
        self.check_pairs(path, data)
        return Statement(
            index=index,
            sid=self.sid(data.get("Sid"), f"{path}.Sid"),
            effect=effect,
            actions=self.actions(data, "Action", path),
            not_actions=self.actions(data, "NotAction", path),
            resources=self.resources(data, "Resource", path),
            not_resources=self.resources(data, "NotResource", path),
            principals=self.principal(data, "Principal", path),
            not_principals=self.principal(data, "NotPrincipal", path),
            conditions=self.conditions(data.get("Condition"), f"{path}.Condition"),
            path=path,
            list_elements=frozenset(key for key, value in data.items() if isinstance(value, list)),
        )

    def sid(self, value: Any, path: str) -> str | None:
        sid = self.optional_string(value, path)
        if sid is not None and not re.fullmatch(r"[A-Za-z0-9 _\-.:/]*", sid):
            self.error(path, f"Sid {sid!r} has characters IAM does not accept", "INVALID_SID")
        return sid

    def check_pairs(self, path: str, data: Mapping[str, Any]) -> None:
        for plain, negated in (
            ("Action", "NotAction"),
            ("Resource", "NotResource"),
            ("Principal", "NotPrincipal"),
        ):
            if plain in data and negated in data:
                self.error(
                    f"{path}.{negated}", f"a statement cannot have both {plain} and {negated}", "CONFLICTING_ELEMENTS"
                )
        if "Action" not in data and "NotAction" not in data:
            self.error(path, "a statement needs Action or NotAction", "MISSING_ACTION")

    def string_list(self, value: Any, path: str) -> tuple[tuple[str, str], ...] | None:
        """(path, string) for a string or an array of strings; ``None`` (and an error) otherwise."""
        if isinstance(value, str):
            return ((path, value),)
        if not isinstance(value, list):
            self.error(path, "must be a string or an array of strings", "INVALID_TYPE")
            return None
        out = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                out.append((f"{path}[{i}]", item))
            else:
                self.error(f"{path}[{i}]", "must be a string", "INVALID_TYPE")
        return tuple(out)

    def actions(self, data: Mapping[str, Any], key: str, path: str) -> tuple[str, ...] | None:
        if key not in data:
            return None
        items = self.string_list(data[key], f"{path}.{key}") or ()
        for item_path, action in items:
            if not _ACTION_RE.match(action):
                self.error(item_path, f"{action!r} is not an action: use 'service:Action'", "INVALID_ACTION_FORMAT")
        return tuple(action for _, action in items)

    def resources(self, data: Mapping[str, Any], key: str, path: str) -> tuple[str, ...] | None:
        if key not in data:
            return None
        items = self.string_list(data[key], f"{path}.{key}") or ()
        for item_path, resource in items:
            if resource != "*" and not resource.startswith("arn:"):
                self.error(item_path, f"{resource!r} is not an ARN or '*'", "INVALID_RESOURCE_FORMAT")
        return tuple(resource for _, resource in items)

    def principal(self, data: Mapping[str, Any], key: str, path: str) -> Principal | None:
        if key not in data:
            return None
        value, here = data[key], f"{path}.{key}"
        if value == "*":
            return Principal(star=True)
        if not isinstance(value, Mapping):
            self.error(here, 'a principal must be "*" or an object like {"AWS": …}', "INVALID_PRINCIPAL")
            return None
        kwargs: dict[str, Any] = {}
        for kind, values in value.items():
            attr = _PRINCIPAL_KEYS.get(kind)
            if attr is None:
                self.error(f"{here}.{kind}", f"unknown principal type {kind!r}", "INVALID_PRINCIPAL")
                continue
            kwargs[attr] = tuple(v for _, v in self.string_list(values, f"{here}.{kind}") or ())
        return Principal(**kwargs)

    def conditions(self, value: Any, path: str) -> tuple[Condition, ...]:
        if value is None:
            return ()
        if not isinstance(value, Mapping):
            self.error(path, "Condition must be an object", "INVALID_TYPE")
            return ()
        out: list[Condition] = []
        for operator, block in value.items():
            out.extend(self.condition_block(str(operator), block, f"{path}.{operator}"))
        return tuple(out)

    def condition_block(self, operator: str, block: Any, path: str) -> list[Condition]:
        if parse_operator(operator) is None:
            self.error(path, f"invalid condition operator {operator!r}", "INVALID_CONDITION_OPERATOR")
        if not isinstance(block, Mapping):
            self.error(path, "a condition operator takes an object of {key: values}", "INVALID_TYPE")
            return []
        out = []
        for key, values in block.items():
            converted = self.condition_values(values, f"{path}.{key}")
            if converted is not None:
                out.append(Condition(operator=operator, key=str(key), values=converted, path=f"{path}.{key}"))
        return out

    def condition_values(self, value: Any, path: str) -> tuple[str, ...] | None:
        items = value if isinstance(value, list) else [value]
        out = []
        for i, item in enumerate(items):
            text = _scalar(item)
            if text is None:
                where = f"{path}[{i}]" if isinstance(value, list) else path
                self.error(where, "condition values must be strings, numbers or booleans", "INVALID_CONDITION_VALUE")
                return None
            out.append(text)
        return tuple(out)


def _scalar(value: Any) -> str | None:
    """A condition value as IAM compares it, or ``None`` when it is not a scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    return None
