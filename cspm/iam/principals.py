"""Principals and the conditions that restrict who a statement applies to.

Shared by resource-policy exposure, trust-policy analysis and the escalation graph.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from cspm.iam.conditions import Condition, parse_operator
from cspm.iam.policy import Principal

_ACCOUNT = re.compile(r"^\d{12}$")

# Keys that, with a positive operator and concrete values, limit who can use an Allow granted to "*".
RESTRICTING_KEYS = frozenset(
    {
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceowner",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourcevpcarn",
        "aws:sourceip",
        "aws:vpcsourceip",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalservicename",
        "aws:principalisawsservice",
        "aws:userid",
        "aws:username",
        "kms:calleraccount",
        "s3:dataaccesspointaccount",
        "s3:dataaccesspointarn",
        "sts:externalid",
    }
)
# Keys whose values name an account (or an ARN that contains one).
ACCOUNT_KEYS = frozenset(
    {
        "aws:sourceaccount",
        "aws:principalaccount",
        "aws:sourceowner",
        "kms:calleraccount",
        "s3:dataaccesspointaccount",
    }
)
ARN_ACCOUNT_KEYS = frozenset({"aws:principalarn", "aws:sourcearn", "s3:dataaccesspointarn"})
ORG_KEYS = frozenset({"aws:principalorgid", "aws:sourceorgid"})


def is_public_principal(principal: Principal | str | Mapping[str, Any] | None) -> bool:
    """Whether a principal is everyone: ``"*"`` or ``{"AWS": "*"}`` (also in a list).

    Accepts a parsed :class:`Principal` or the raw JSON value.
    """
    if principal is None:
        return False
    if isinstance(principal, Principal):
        return principal.star or "*" in principal.aws
    if isinstance(principal, str):
        return principal == "*"
    aws = principal.get("AWS")
    return aws == "*" or (isinstance(aws, list) and "*" in aws)


def account_of(value: str) -> str | None:
    """The account of a principal or ARN: ``123456789012``, ``arn:aws:iam::123456789012:role/x``."""
    if _ACCOUNT.match(value):
        return value
    parts = value.split(":")
    if len(parts) >= 5 and parts[0] == "arn" and _ACCOUNT.match(parts[4]):
        return parts[4]
    return None


def _is_wildcard_only(value: str) -> bool:
    return value.strip("*?") == "" or is_open_network(value)


def is_restricting(condition: Condition, keys: Iterable[str] = RESTRICTING_KEYS) -> bool:
    """Whether a condition limits an Allow to known callers.

    The operator must be positive (not ``…Not…``), without ``IfExists`` (a request without the key
    would pass), and at least one value must be concrete (not ``*`` and not ``0.0.0.0/0``).
    ``aws:PrincipalIsAWSService`` restricts only when it is ``true``.
    """
    op = parse_operator(condition.operator)
    key = condition.key_lower
    if op is None or op.negated or op.if_exists or key not in set(keys):
        return False
    if key == "aws:principalisawsservice":
        return condition.values == ("true",)
    return any(not _is_wildcard_only(v) for v in condition.values)


def is_negated_restriction(condition: Condition) -> bool:
    """Whether a condition, in a Deny, denies callers outside a known set (``StringNotEquals aws:SourceVpce``)."""
    op = parse_operator(condition.operator)
    if op is None or not op.negated or condition.key_lower not in RESTRICTING_KEYS:
        return False
    return any(not _is_wildcard_only(v) for v in condition.values)


def restricted_accounts(conditions: Iterable[Condition]) -> set[str]:
    """Accounts (and organization ids) the restricting conditions name."""
    out: set[str] = set()
    for cond in conditions:
        if not is_restricting(cond):
            continue
        key = cond.key_lower
        if key in ACCOUNT_KEYS:
            out.update(v for v in cond.values if _ACCOUNT.match(v))
        elif key in ARN_ACCOUNT_KEYS:
            out.update(a for a in (account_of(v) for v in cond.values) if a)
        elif key in ORG_KEYS:
            out.update(cond.values)
    return out


def is_open_network(value: str) -> bool:
    """Whether a CIDR in a condition is the whole internet (``0.0.0.0/0``, ``::/0``)."""
    try:
        return ipaddress.ip_network(value, strict=False).prefixlen == 0
    except ValueError:
        return False
