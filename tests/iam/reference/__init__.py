"""A small reference evaluator of identity policies, written from the IAM User Guide alone.

It shares no code with ``cspm.iam``: it reads raw policy JSON (dicts) and a *complete* request —
every condition key is either present with its values or absent; there is no "unknown" here.
The tests compare cspm's three-valued engine against it by trying every completion of what
cspm is told is unknown (tests/iam/test_reference.py).

Written from, in the IAM User Guide:

- "Policy evaluation logic" (the flowchart, for identity policies and a permissions boundary): an
  explicit Deny in any policy wins; otherwise the request is allowed only when the identity
  policies allow it and, if there is a boundary, the boundary allows it too; else implicit deny.
- "IAM JSON policy elements: Action / NotAction, Resource / NotResource": ``*`` and ``?``
  wildcards, actions case-insensitive, ARNs case-sensitive.
- "IAM JSON policy elements: Condition operators": the operator tables, ``…IfExists``
  ("If the key is not present, evaluate the condition element as true"), ``Null``; "Condition
  element": a key not in the request makes a condition false, except the negated operators,
  which are then true.
- "Single-valued vs. multivalued context keys": ``ForAllValues`` is true when every request
  value matches and when the key is missing or an empty set; ``ForAnyValue`` needs one matching
  request value and is false for a missing key or an empty set.
- "IAM policy elements: Variables and tags": ``${key}``, ``${key, 'default'}``, ``${*}``,
  ``${?}``, ``${$}``; a variable whose key is absent (or multivalued) has no value and matches
  nothing; variables are read in Resource and in string and ARN condition values.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from fractions import Fraction

# A request context: key -> value(s); a key that is missing (or None) is absent from the request.
Context = Mapping[str, str | Sequence[str] | None]
ALLOW, EXPLICIT_DENY, IMPLICIT_DENY = "Allow", "ExplicitDeny", "ImplicitDeny"

# --- Wildcard patterns as token lists: ("lit", ch), ("star",), ("one",) ---
Token = tuple[str, ...]
NO_VALUE = object()  # a variable without a value: the text matches nothing


def _values(context: Context, key: str) -> list[str] | None:
    """The request's values for ``key`` (any case), or None when it is absent (or an empty set)."""
    for name, value in context.items():
        if name.lower() == key.lower():
            if value is None:
                return None
            values = [value] if isinstance(value, str) else list(value)
            return values or None
    return None


def _variable(body: str, context: Context) -> list[Token] | object:
    """The tokens a ``${...}`` stands for, or NO_VALUE."""
    if body in ("*", "?", "$"):
        return [("lit", body)]
    name, has_default, default = body.partition(",")
    values = _values(context, name.strip())
    if values is not None and len(values) == 1:
        return [("lit", ch) for ch in values[0]]
    default = default.strip()
    if has_default and len(default) >= 2 and default[0] == default[-1] == "'":
        return [("lit", ch) for ch in default[1:-1]]
    return NO_VALUE


def tokens(text: str, context: Context, *, wildcards: bool, variables: bool = True) -> list[Token] | object:
    """``text`` as tokens; ``*`` / ``?`` are wildcards only when ``wildcards``."""
    out: list[Token] = []
    i = 0
    while i < len(text):
        if variables and text.startswith("${", i) and "}" in text[i:]:
            end = text.index("}", i)
            value = _variable(text[i + 2 : end], context)
            if value is NO_VALUE:
                return NO_VALUE
            assert isinstance(value, list)
            out.extend(value)
            i = end + 1
            continue
        ch = text[i]
        if wildcards and ch == "*":
            out.append(("star",))
        elif wildcards and ch == "?":
            out.append(("one",))
        else:
            out.append(("lit", ch))
        i += 1
    return out


def matches(pattern: list[Token], text: str, *, fold: bool = False) -> bool:
    """Dynamic programming over (pattern position, text position)."""
    if fold:
        text = text.lower()
        pattern = [("lit", t[1].lower()) if t[0] == "lit" else t for t in pattern]
    n = len(text)
    reach = [True] + [False] * n  # reach[j]: the pattern so far can consume text[:j]
    for token in pattern:
        new = [False] * (n + 1)
        if token[0] == "star":
            seen = False
            for j in range(n + 1):
                seen = seen or reach[j]
                new[j] = seen
        else:
            for j in range(1, n + 1):
                new[j] = reach[j - 1] and (token[0] == "one" or token[1] == text[j - 1])
        reach = new
    return reach[n]


def _literal(pattern: list[Token]) -> str:
    return "".join(t[1] if t[0] == "lit" else "*" if t[0] == "star" else "?" for t in pattern)


# --- Operators ---


def _number(text: str) -> Fraction | None:
    try:
        return Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        return None


def _date(text: str) -> datetime | None:
    if text.strip().isdigit():
        return datetime.fromtimestamp(int(text), tz=UTC)
    for form in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), form).replace(tzinfo=UTC)
        except ValueError:
            pass
    return None


def _ordered(name: str, policy: object, request: object) -> bool:
    if policy is None or request is None:
        return False
    table = {
        "Equals": request == policy,
        "LessThan": request < policy,  # type: ignore[operator]
        "LessThanEquals": request <= policy,  # type: ignore[operator]
        "GreaterThan": request > policy,  # type: ignore[operator]
        "GreaterThanEquals": request >= policy,  # type: ignore[operator]
    }
    return table[name]


def _arn(pattern: list[Token], value: str) -> bool:
    """ARN operators: the six colon-separated parts, each a wildcard pattern of its own."""
    parts: list[list[Token]] = [[]]
    for token in pattern:
        if token == ("lit", ":") and len(parts) < 6:
            parts.append([])
        else:
            parts[-1].append(token)
    values = value.split(":", 5)
    if len(parts) != 6 or len(values) != 6:
        return False
    return all(matches(part, val) for part, val in zip(parts, values, strict=True))


def one_value(operator: str, policy: str, request: str, context: Context) -> bool:
    """Whether one request value satisfies the positive ``operator`` for one policy value."""
    if operator in ("StringEquals", "StringEqualsIgnoreCase", "StringLike"):
        toks = tokens(policy, context, wildcards=operator == "StringLike")
        if toks is NO_VALUE:
            return False
        assert isinstance(toks, list)
        if operator == "StringLike":
            return matches(toks, request)
        literal = _literal(toks)
        return literal.lower() == request.lower() if operator == "StringEqualsIgnoreCase" else literal == request
    if operator in ("ArnEquals", "ArnLike"):
        toks = tokens(policy, context, wildcards=True)
        return toks is not NO_VALUE and _arn(toks, request)  # type: ignore[arg-type]
    if operator.startswith("Numeric"):
        return _ordered(operator[len("Numeric") :], _number(policy), _number(request))
    if operator.startswith("Date"):
        return _ordered(operator[len("Date") :], _date(policy), _date(request))
    if operator == "Bool":
        return policy.lower() == request.lower()
    if operator == "BinaryEquals":
        return base64.b64decode(policy) == base64.b64decode(request)
    if operator == "IpAddress":
        network = ipaddress.ip_network(policy, strict=False)
        address = ipaddress.ip_address(request)
        return address.version == network.version and address in network
    raise ValueError(operator)


NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def condition_holds(operator: str, key: str, policy_values: Sequence[str], context: Context) -> bool:
    """One (operator, key, values) of a Condition block against a complete request context."""
    qualifier = None
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    if if_exists:
        operator = operator[: -len("IfExists")]
    request = _values(context, key)
    if operator == "Null":
        wants_absent = [v.lower() == "true" for v in policy_values]
        return (request is None) in wants_absent
    positive = NEGATED.get(operator, operator)
    negated = positive != operator
    if request is None:  # absent, or an empty set
        if if_exists or qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return negated
    per_value = [any(one_value(positive, p, r, context) for p in policy_values) for r in request]
    if qualifier is None:
        return any(per_value) != negated
    if negated:
        per_value = [not m for m in per_value]
    return all(per_value) if qualifier == "ForAllValues" else any(per_value)


# --- Statements, policies, the flowchart ---


def _listed(value: str | list[str] | None) -> list[str] | None:
    return None if value is None else [value] if isinstance(value, str) else value


def _action_in(patterns: list[str], action: str) -> bool:
    return any(matches(tokens(p, {}, wildcards=True, variables=False), action, fold=True) for p in patterns)  # type: ignore[arg-type]


def _resource_in(patterns: list[str], resource: str, context: Context) -> bool:
    for pattern in patterns:
        toks = tokens(pattern, context, wildcards=True)
        if toks is not NO_VALUE and matches(toks, resource):  # type: ignore[arg-type]
            return True
    return False


def statement_applies(statement: Mapping[str, object], action: str, resource: str, context: Context) -> bool:
    actions, not_actions = _listed(statement.get("Action")), _listed(statement.get("NotAction"))  # type: ignore[arg-type]
    if actions is not None and not _action_in(actions, action):
        return False
    if not_actions is not None and _action_in(not_actions, action):
        return False
    resources, not_resources = _listed(statement.get("Resource")), _listed(statement.get("NotResource"))  # type: ignore[arg-type]
    if resources is not None and not _resource_in(resources, resource, context):
        return False
    if not_resources is not None and _resource_in(not_resources, resource, context):
        return False
    block = statement.get("Condition") or {}
    assert isinstance(block, Mapping)
    for operator, pairs in block.items():
        for key, values in pairs.items():
            if not condition_holds(operator, key, _listed(values) or [], context):
                return False
    return True


def _statements(policy: Mapping[str, object]) -> list[Mapping[str, object]]:
    statements = policy["Statement"]
    return [statements] if isinstance(statements, Mapping) else list(statements)  # type: ignore[call-overload]


def decide(
    policies: Sequence[Mapping[str, object]],
    action: str,
    resource: str,
    context: Context,
    boundary: Mapping[str, object] | None = None,
) -> str:
    """The flowchart for one principal's identity policies and an optional permissions boundary."""
    layers = [list(policies)] + ([[boundary]] if boundary is not None else [])
    applying = [
        [s for policy in layer for s in _statements(policy) if statement_applies(s, action, resource, context)]
        for layer in layers
    ]
    if any(s["Effect"] == "Deny" for layer in applying for s in layer):
        return EXPLICIT_DENY
    if all(any(s["Effect"] == "Allow" for s in layer) for layer in applying):
        return ALLOW
    return IMPLICIT_DENY
