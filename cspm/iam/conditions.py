"""IAM condition blocks: the operator grammar, operator families and the global ``aws:`` keys.

A policy's ``Condition`` block is ``{operator: {key: value | [values]}}``. Each (operator, key)
pair becomes one :class:`Condition`. Operators are parsed into their parts::

    ForAnyValue:StringLikeIfExists
    └─ qualifier ─┘└── base ──┘└ if_exists

The action databases have no table of the *global* condition keys (``aws:SourceIp``,
``aws:PrincipalOrgID`` …), so the small typed table :data:`GLOBAL_CONDITION_KEYS` lives here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cspm.wildcard import wildcard_match


class OperatorFamily(StrEnum):
    """The value type an operator compares; each condition key has one of these types."""

    STRING = "String"
    NUMERIC = "Numeric"
    DATE = "Date"
    BOOL = "Bool"
    BINARY = "Binary"
    IP_ADDRESS = "IpAddress"
    ARN = "Arn"
    NULL = "Null"


_OPERATORS: dict[str, tuple[OperatorFamily, bool]] = {
    # name: (family, negated)
    "StringEquals": (OperatorFamily.STRING, False),
    "StringNotEquals": (OperatorFamily.STRING, True),
    "StringEqualsIgnoreCase": (OperatorFamily.STRING, False),
    "StringNotEqualsIgnoreCase": (OperatorFamily.STRING, True),
    "StringLike": (OperatorFamily.STRING, False),
    "StringNotLike": (OperatorFamily.STRING, True),
    "NumericEquals": (OperatorFamily.NUMERIC, False),
    "NumericNotEquals": (OperatorFamily.NUMERIC, True),
    "NumericLessThan": (OperatorFamily.NUMERIC, False),
    "NumericLessThanEquals": (OperatorFamily.NUMERIC, False),
    "NumericGreaterThan": (OperatorFamily.NUMERIC, False),
    "NumericGreaterThanEquals": (OperatorFamily.NUMERIC, False),
    "DateEquals": (OperatorFamily.DATE, False),
    "DateNotEquals": (OperatorFamily.DATE, True),
    "DateLessThan": (OperatorFamily.DATE, False),
    "DateLessThanEquals": (OperatorFamily.DATE, False),
    "DateGreaterThan": (OperatorFamily.DATE, False),
    "DateGreaterThanEquals": (OperatorFamily.DATE, False),
    "Bool": (OperatorFamily.BOOL, False),
    "BinaryEquals": (OperatorFamily.BINARY, False),
    "IpAddress": (OperatorFamily.IP_ADDRESS, False),
    "NotIpAddress": (OperatorFamily.IP_ADDRESS, True),
    "ArnEquals": (OperatorFamily.ARN, False),
    "ArnLike": (OperatorFamily.ARN, False),
    "ArnNotEquals": (OperatorFamily.ARN, True),
    "ArnNotLike": (OperatorFamily.ARN, True),
    "Null": (OperatorFamily.NULL, False),
}
_CANONICAL = {name.lower(): name for name in _OPERATORS}
_QUALIFIERS = {"forallvalues": "ForAllValues", "foranyvalue": "ForAnyValue"}


@dataclass(frozen=True)
class Operator:
    """A parsed condition operator such as ``ForAnyValue:StringLikeIfExists``."""

    base: str
    family: OperatorFamily
    negated: bool
    qualifier: str | None
    if_exists: bool

    @property
    def name(self) -> str:
        """The canonical spelling of the whole operator."""
        prefix = f"{self.qualifier}:" if self.qualifier else ""
        return f"{prefix}{self.base}{'IfExists' if self.if_exists else ''}"


@functools.lru_cache(maxsize=1024)
def parse_operator(text: str) -> Operator | None:
    """Parse an operator, case-insensitively; ``None`` when it is not a valid IAM operator.

    ``Null`` takes neither ``IfExists`` nor a set qualifier (both make the policy invalid).
    """
    qualifier: str | None = None
    rest = text
    if ":" in text:
        head, rest = text.split(":", 1)
        qualifier = _QUALIFIERS.get(head.lower())
        if qualifier is None:
            return None
    if_exists = rest.lower().endswith("ifexists")
    if if_exists:
        rest = rest[: -len("IfExists")]
    base = _CANONICAL.get(rest.lower())
    if base is None:
        return None
    family, negated = _OPERATORS[base]
    if family is OperatorFamily.NULL and (if_exists or qualifier):
        return None
    return Operator(base, family, negated, qualifier, if_exists)


@dataclass(frozen=True)
class Condition:
    """One (operator, key, values) triple of a statement's ``Condition`` block.

    ``values`` are strings, as IAM compares them (JSON ``true`` becomes ``"true"``, ``5`` becomes
    ``"5"``). ``path`` is the JSON path of the key, e.g. ``Statement[1].Condition.Bool.aws:SecureTransport``.
    """

    operator: str
    key: str
    values: tuple[str, ...]
    path: str = ""

    @property
    def parsed(self) -> Operator | None:
        """The parsed operator, or ``None`` when the operator is not valid."""
        return parse_operator(self.operator)

    @property
    def key_lower(self) -> str:
        """The key in lower case (condition keys are case-insensitive)."""
        return self.key.lower()


# Global condition keys and their types (AWS "AWS global condition context keys" page).
# Multi-valued keys are marked; the databases carry the service-specific keys.
GLOBAL_CONDITION_KEYS: dict[str, OperatorFamily] = {
    "aws:calledvia": OperatorFamily.STRING,
    "aws:calledviafirst": OperatorFamily.STRING,
    "aws:calledvialast": OperatorFamily.STRING,
    "aws:currenttime": OperatorFamily.DATE,
    "aws:epochtime": OperatorFamily.DATE,
    "aws:federatedprovider": OperatorFamily.STRING,
    "aws:multifactorauthage": OperatorFamily.NUMERIC,
    "aws:multifactorauthpresent": OperatorFamily.BOOL,
    "aws:principalaccount": OperatorFamily.STRING,
    "aws:principalarn": OperatorFamily.ARN,
    "aws:principalisawsservice": OperatorFamily.BOOL,
    "aws:principalorgid": OperatorFamily.STRING,
    "aws:principalorgpaths": OperatorFamily.STRING,
    "aws:principalservicename": OperatorFamily.STRING,
    "aws:principalservicenameslist": OperatorFamily.STRING,
    "aws:principaltag": OperatorFamily.STRING,
    "aws:principaltype": OperatorFamily.STRING,
    "aws:referer": OperatorFamily.STRING,
    "aws:requestedregion": OperatorFamily.STRING,
    "aws:requesttag": OperatorFamily.STRING,
    "aws:resourceaccount": OperatorFamily.STRING,
    "aws:resourceorgid": OperatorFamily.STRING,
    "aws:resourceorgpaths": OperatorFamily.STRING,
    "aws:resourcetag": OperatorFamily.STRING,
    "aws:securetransport": OperatorFamily.BOOL,
    "aws:sourceaccount": OperatorFamily.STRING,
    "aws:sourcearn": OperatorFamily.ARN,
    "aws:sourceidentity": OperatorFamily.STRING,
    "aws:sourceip": OperatorFamily.IP_ADDRESS,
    "aws:sourceorgid": OperatorFamily.STRING,
    "aws:sourceorgpaths": OperatorFamily.STRING,
    "aws:sourceowner": OperatorFamily.STRING,
    "aws:sourcevpc": OperatorFamily.STRING,
    "aws:sourcevpce": OperatorFamily.STRING,
    "aws:sourcevpcarn": OperatorFamily.ARN,
    "aws:tagkeys": OperatorFamily.STRING,
    "aws:tokenissuetime": OperatorFamily.DATE,
    "aws:useragent": OperatorFamily.STRING,
    "aws:userid": OperatorFamily.STRING,
    "aws:username": OperatorFamily.STRING,
    "aws:viaawsservice": OperatorFamily.BOOL,
    "aws:vpcsourceip": OperatorFamily.IP_ADDRESS,
    "aws:ec2instancesourcevpc": OperatorFamily.STRING,
    "aws:ec2instancesourceprivateipv4": OperatorFamily.IP_ADDRESS,
}
MULTIVALUED_GLOBAL_KEYS = frozenset(
    {
        "aws:calledvia",
        "aws:principalorgpaths",
        "aws:principalservicenameslist",
        "aws:resourceorgpaths",
        "aws:sourceorgpaths",
        "aws:tagkeys",
    }
)
_TAG_KEY = re.compile(r"^(aws:(?:principaltag|requesttag|resourcetag))/.+$")


def global_key_type(key: str) -> OperatorFamily | None:
    """The type of a global ``aws:`` condition key (tag keys like ``aws:RequestTag/team`` included).

    ``None`` when ``key`` is not a known global key.
    """
    lowered = key.lower()
    tag = _TAG_KEY.match(lowered)
    if tag:
        return GLOBAL_CONDITION_KEYS[tag.group(1)]
    if lowered in {"aws:principaltag", "aws:requesttag", "aws:resourcetag"}:
        return None  # these exist only with a "/tag-key" suffix
    return GLOBAL_CONDITION_KEYS.get(lowered)


def is_multivalued_global_key(key: str) -> bool:
    """Whether a global key carries several values in one request (set operators apply)."""
    return key.lower() in MULTIVALUED_GLOBAL_KEYS


ConditionContext = Mapping[str, str | Sequence[str]]


def _context_values(context: ConditionContext, key: str) -> tuple[str, ...] | None:
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            return (value,) if isinstance(value, str) else tuple(value)
    return None


def _glob(pattern: str, value: str, *, ignore_case: bool) -> bool:
    # Policy variables in condition values are read literally for now (no ``variables=True``).
    return wildcard_match(pattern, value, ignore_case=ignore_case)


def _value_matches(op: Operator, pattern: str, value: str) -> bool | None:
    base = op.base.replace("Not", "")
    if base in ("StringEquals", "ArnEquals"):
        return pattern == value if base == "StringEquals" else _glob(pattern, value, ignore_case=False)
    if base == "StringEqualsIgnoreCase":
        return pattern.lower() == value.lower()
    if base in ("StringLike", "ArnLike"):
        return _glob(pattern, value, ignore_case=False)
    if base == "Bool":
        return pattern.lower() == value.lower()
    return None


def _any_match(op: Operator, patterns: tuple[str, ...], value: str) -> bool | None:
    results = [_value_matches(op, p, value) for p in patterns]
    if any(r is None for r in results):
        return None
    return any(results)


def evaluate_condition(condition: Condition, context: ConditionContext) -> bool | None:
    """Evaluate one condition against known request values; ``None`` when it cannot be decided.

    Only the String, Arn and Bool families are evaluated; a key missing from ``context`` is
    unknown (the context describes what we know, not the whole request), except with
    ``…IfExists``, which then passes.
    """
    op = condition.parsed
    if op is None or op.family is OperatorFamily.NULL:
        return None
    values = _context_values(context, condition.key)
    if values is None:
        return True if op.if_exists else None
    matches = [_any_match(op, condition.values, v) for v in values]
    if any(m is None for m in matches):
        return None
    if op.negated:
        matches = [not m for m in matches]
    if op.qualifier == "ForAllValues":
        return all(matches)
    return any(matches)


def evaluate_conditions(conditions: Sequence[Condition], context: ConditionContext | None) -> bool | None:
    """AND of a statement's conditions: ``True`` / ``False``, or ``None`` when some are undecided."""
    if not conditions:
        return True
    if not context:
        return None
    results = [evaluate_condition(c, context) for c in conditions]
    if any(r is False for r in results):
        return False
    return True if all(results) else None
