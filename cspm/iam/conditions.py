"""IAM condition blocks: the operator grammar, operator families and the global ``aws:`` keys.

A policy's ``Condition`` block is ``{operator: {key: value | [values]}}``. Each (operator, key)
pair becomes one :class:`Condition`. Operators are parsed into their parts::

    ForAnyValue:StringLikeIfExists
    └─ qualifier ─┘└── base ──┘└ if_exists

The action databases have no table of the *global* condition keys (``aws:SourceIp``,
``aws:PrincipalOrgID`` …), so the small typed table :data:`GLOBAL_CONDITION_KEYS` lives here.
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum

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


# --- The request context: every key is known present (with its values), known absent, or unknown ---
#
# A context maps condition keys (any case) to what is known of them in the request:
#
# - ``"value"`` or ``["v1", "v2"]``: present with these values (``[]``: present, but an empty set);
# - ``None`` (:data:`ABSENT`): known to be absent, e.g. ``aws:username`` in a role session;
# - a key that is not in the mapping is *unknown*: the request may carry it with any value, or not.
#
# IAM User Guide, "IAM JSON policy elements: Condition operators" and "Condition element": a key
# absent from the request makes a condition false, except that the negated operators (…Not…) are
# then true, …IfExists is true, ForAllValues is true and ForAnyValue false; ``Null`` tests presence.
# An unknown key leaves a condition undecided (``None``) — never silently true or false.

ContextValue = str | Sequence[str] | None
ConditionContext = Mapping[str, ContextValue]
ABSENT = None  # the context value of a key known to be absent from the request


class _Unknown(Enum):
    """What a lookup or a policy variable gives when the context does not say."""

    UNKNOWN = "unknown"


UNKNOWN = _Unknown.UNKNOWN
Lookup = tuple[str, ...] | None | _Unknown  # values (present), None (absent), UNKNOWN


def lookup(context: ConditionContext | None, key: str) -> Lookup:
    """What ``context`` says of ``key`` (case-insensitive): its values, ``None`` (absent) or :data:`UNKNOWN`."""
    lowered = key.lower()
    for name, value in (context or {}).items():
        if name.lower() == lowered:
            if value is None:
                return None
            return (value,) if isinstance(value, str) else tuple(value)
    return UNKNOWN


# --- Policy variables (IAM User Guide, "IAM policy elements: Variables and tags") ---
#
# ``${aws:username}`` takes the value of a single-valued key of the request. A key that is absent
# (or multi-valued) gives the variable no value: an ARN or a condition value that contains it
# matches nothing — unless a default is given, ``${aws:username, 'nobody'}``. ``${*}``, ``${?}``
# and ``${$}`` are a literal ``*``, ``?`` and ``$``. Variables work in Resource / NotResource and
# in the values of string and ARN conditions, in policies of version 2012-10-17.

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
# Literal * and ? from ${*} / ${?}, carried to the matcher as characters no ARN or name contains.
LITERAL_STAR = "\ue000"
LITERAL_QUESTION = "\ue001"
_ESCAPES = {"*": LITERAL_STAR, "?": LITERAL_QUESTION, "$": "$"}
_DEFAULT = re.compile(r"^\s*'(.*)'\s*$", re.DOTALL)


class _NoValue(Enum):
    """A policy variable whose key is absent (or multi-valued) and has no default: nothing matches it."""

    NO_VALUE = "no value"


NO_VALUE = _NoValue.NO_VALUE
Resolved = str | _NoValue | _Unknown


def _variable_value(body: str, context: ConditionContext | None) -> Resolved:
    name, comma, default = body.partition(",")
    name = name.strip()
    if name in _ESCAPES:
        return _ESCAPES[name] if not comma else NO_VALUE
    found = lookup(context, name)
    if found is UNKNOWN:
        return UNKNOWN
    if found is not None and len(found) == 1:
        return found[0]
    quoted = _DEFAULT.match(default)
    return quoted.group(1) if quoted else NO_VALUE


def resolve_variables(text: str, context: ConditionContext | None) -> Resolved:
    """``text`` with its policy variables replaced by their values from ``context``.

    :data:`NO_VALUE` when a variable has no value (its key is absent and no default is given: the
    text then matches nothing), else :data:`UNKNOWN` when a variable's key is unknown. ``${*}`` and
    ``${?}`` become :data:`LITERAL_STAR` / :data:`LITERAL_QUESTION` (literal characters for the
    wildcard matcher), ``${$}`` a ``$``.
    """
    if "${" not in text:
        return text
    found = {m.group(0): _variable_value(m.group(1), context) for m in _VARIABLE.finditer(text)}
    if NO_VALUE in found.values():
        return NO_VALUE
    if UNKNOWN in found.values():
        return UNKNOWN
    return _VARIABLE.sub(lambda m: str(found[m.group(0)]), text)


def resolve_resource_variables(pattern: str, context: ConditionContext | None) -> str | None:
    """A Resource / NotResource pattern with the variables ``context`` knows substituted.

    Unknown variables and the escapes ``${*}``, ``${?}``, ``${$}`` stay as written (the resource
    matcher reads them); ``None`` when a variable has no value: the pattern matches no resource.
    """
    if "${" not in pattern:
        return pattern

    def replace(match: re.Match[str]) -> str:
        body = match.group(1)
        if body.strip() in _ESCAPES:
            return match.group(0)
        value = _variable_value(body, context)
        if value is NO_VALUE:
            raise _NoMatchError
        return match.group(0) if value is UNKNOWN else str(value)

    try:
        return _VARIABLE.sub(replace, pattern)
    except _NoMatchError:
        return None


class _NoMatchError(Exception):
    """A resource pattern with a variable that has no value."""


# --- Comparing one policy value with one request value, per operator family ---


def _glob(pattern: str, value: str, *, ignore_case: bool) -> bool:
    # Policy variables in condition values are read literally for now (no ``variables=True``).
    return wildcard_match(pattern, value, ignore_case=ignore_case)


def _literal(text: str) -> str:
    """A resolved policy value read literally (``${*}`` is a ``*``)."""
    return text.replace(LITERAL_STAR, "*").replace(LITERAL_QUESTION, "?")


def _like(pattern: str, value: str) -> bool:
    """``*`` / ``?`` wildcards, case-sensitive; ``${*}`` / ``${?}`` in the pattern match only themselves."""
    if LITERAL_STAR in pattern or LITERAL_QUESTION in pattern:
        value = value.replace("*", LITERAL_STAR).replace("?", LITERAL_QUESTION)
    return _glob(pattern, value, ignore_case=False)


def _arn_like(pattern: str, value: str) -> bool | None:
    """ArnEquals and ArnLike: each of the six colon-separated parts matched on its own, with wildcards.

    (User Guide, "Amazon Resource Name (ARN) condition operators": "Each of the six
    colon-delimited components of the ARN is checked separately and each can include
    multi-character match wildcards (*) or single-character match wildcards (?)".) A ``*`` does
    not cross a colon before the resource part. A pattern that is not six parts is undecided.
    """
    parts = pattern.split(":", 5)
    if len(parts) < 6:
        return None
    values = value.split(":", 5)
    if len(values) < 6:
        return False
    return all(_like(parts[i], values[i]) for i in range(6))


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() and "_" not in text else None


def _date(text: str) -> datetime | None:
    """ISO 8601 (``2026-01-01``, ``2026-01-01T12:00:00Z``) or epoch seconds; naive times are UTC."""
    seconds = _number(text)
    if seconds is not None:
        try:
            return datetime.fromtimestamp(float(seconds), tz=UTC)
        except (OverflowError, OSError, ValueError):  # beyond what a date can be: not a date value
            return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        return None


def _ip_in(network: str, address: str) -> bool | None:
    try:
        net = ipaddress.ip_network(network.strip(), strict=False)
        addr = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    return addr.version == net.version and addr in net


_ORDER: dict[str, Callable[[int], bool]] = {
    "Equals": lambda c: c == 0,
    "LessThan": lambda c: c < 0,
    "LessThanEquals": lambda c: c <= 0,
    "GreaterThan": lambda c: c > 0,
    "GreaterThanEquals": lambda c: c >= 0,
}


def _ordered(relation: str, policy: Decimal | datetime | None, request: Decimal | datetime | None) -> bool | None:
    if policy is None or request is None:
        return None
    cmp = (request > policy) - (request < policy)  # type: ignore[operator]
    return _ORDER[relation](cmp)


def compare(base: str, policy: str, request: str) -> bool | None:
    """Whether a request value satisfies the *positive* operator ``base`` for one (resolved) policy value.

    ``base`` is the operator without ``Not`` (``StringNotLike`` → ``StringLike``, ``NotIpAddress`` →
    ``IpAddress``). ``None`` when a value does not parse as the operator's type.
    """
    if base == "StringEquals":
        return _literal(policy) == request
    if base == "StringEqualsIgnoreCase":
        return _literal(policy).casefold() == request.casefold()
    if base == "StringLike":
        return _like(policy, request)
    if base in ("ArnEquals", "ArnLike"):
        return _arn_like(policy, request)
    if base.startswith("Numeric"):
        return _ordered(base.removeprefix("Numeric"), _number(policy), _number(request))
    if base.startswith("Date"):
        return _ordered(base.removeprefix("Date"), _date(policy), _date(request))
    if base == "Bool":
        return policy.lower() == request.lower()
    if base == "BinaryEquals":
        decoded = _binary(policy), _binary(request)
        return None if None in decoded else decoded[0] == decoded[1]
    if base == "IpAddress":
        return _ip_in(policy, request)
    return None


# --- Three-valued logic (Kleene): True, False, or None = undecided ---


def any3(results: Iterable[bool | None]) -> bool | None:
    """OR: True when one is True, False when all are False, else undecided."""
    values = list(results)
    if True in values:
        return True
    return None if None in values else False


def all3(results: Iterable[bool | None]) -> bool | None:
    """AND: False when one is False, True when all are True, else undecided."""
    values = list(results)
    if False in values:
        return False
    return None if None in values else True


def _not3(result: bool | None) -> bool | None:
    return None if result is None else not result


def _policy_values(op: Operator, values: tuple[str, ...], context: ConditionContext | None) -> list[Resolved]:
    if op.family in (OperatorFamily.STRING, OperatorFamily.ARN):
        return [resolve_variables(v, context) for v in values]
    return list(values)  # no variables in numeric, date, bool, binary or IP values


def _matches(base: str, policy_values: list[Resolved], request: str) -> bool | None:
    """Whether ``request`` matches one of the policy values (a value without a value matches nothing)."""
    return any3(
        None if p is UNKNOWN else False if p is NO_VALUE else compare(base, str(p), request) for p in policy_values
    )


def _null(values: tuple[str, ...], found: Lookup) -> bool | None:
    """``Null``: ``true`` holds when the key is absent (or an empty set), ``false`` when it is present."""
    if found is UNKNOWN:
        return None
    absent = not found
    return any3(absent if v.lower() == "true" else not absent if v.lower() == "false" else None for v in values)


def evaluate_condition(condition: Condition, context: ConditionContext | None) -> bool | None:
    """Evaluate one condition against what is known of the request; ``None`` when it cannot be decided.

    A key missing from ``context`` is unknown: the condition is undecided whatever its operator
    (``…IfExists`` included: the key may be present with another value). A key given as ``None``
    is absent: positive operators are false, negated ones true, ``…IfExists`` and ``ForAllValues``
    true, ``ForAnyValue`` false. Without a set qualifier a negated operator is the complement of
    its positive form (no request value matches); ``ForAllValues`` / ``ForAnyValue`` apply the
    operator to each request value. Policy variables in string and ARN values are substituted
    from ``context`` (see :func:`resolve_variables`).
    """
    op = condition.parsed
    if op is None:
        return None
    found = lookup(context, condition.key)
    if op.family is OperatorFamily.NULL:
        return _null(condition.values, found)
    if found is UNKNOWN:
        return None
    if not found:
        if op.if_exists or op.qualifier == "ForAllValues":
            return True
        return False if op.qualifier == "ForAnyValue" else op.negated
    base = op.base.replace("Not", "")
    policy_values = _policy_values(op, condition.values, context)
    matches = [_matches(base, policy_values, value) for value in found]
    if op.qualifier is None:
        result = any3(matches)
        return _not3(result) if op.negated else result
    if op.negated:
        matches = [_not3(m) for m in matches]
    return all3(matches) if op.qualifier == "ForAllValues" else any3(matches)


def evaluate_conditions(conditions: Sequence[Condition], context: ConditionContext | None) -> bool | None:
    """AND of a statement's conditions: ``True`` / ``False``, or ``None`` when one is undecided and none false."""
    return all3(evaluate_condition(c, context) for c in conditions)
