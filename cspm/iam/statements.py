"""What one statement covers: which actions, which resources.

Action matching is case-insensitive; resource matching is case-sensitive (ARNs are), and a
resource pattern with a policy variable (``${aws:username}``) matches only *possibly*: the answer
depends on the request, so callers treat it like a condition.
"""

from __future__ import annotations

import functools
import re
from enum import Enum

from cspm.iam.actions import action_database, action_matches, is_full_action_wildcard
from cspm.iam.policy import Statement

_FULL_RESOURCE = re.compile(r"^(\*+|arn:\*+|arn:(\*+|aws(-[a-z]+)*)(:\*+)+)$")
_VARIABLE = re.compile(r"\$\{[^}]*\}")
_ESCAPES = {"${*}": "\x00", "${?}": "\x01", "${$}": "\x02"}
_SPECIAL = {"*": ".*", "?": ".", "\x03": ".*", "\x00": r"\*", "\x01": r"\?", "\x02": r"\$"}


class Match(Enum):
    """Result of matching a resource pattern."""

    NO = 0
    MAYBE = 1  # depends on a policy variable
    YES = 2


def is_full_resource_wildcard(pattern: str) -> bool:
    """Whether a resource pattern matches every resource: ``*``, ``arn:*``, ``arn:aws:*:*:*:*``."""
    return _FULL_RESOURCE.match(pattern) is not None


@functools.lru_cache(maxsize=4096)
def _resource_regex(pattern: str) -> tuple[re.Pattern[str], bool]:
    text = pattern
    for escape, marker in _ESCAPES.items():
        text = text.replace(escape, marker)
    has_variable = _VARIABLE.search(text) is not None
    text = _VARIABLE.sub("\x03", text)
    regex = "".join(_SPECIAL.get(ch) or re.escape(ch) for ch in text)
    return re.compile(regex, re.DOTALL), has_variable


def resource_match(pattern: str, resource: str) -> Match:
    """Match one resource pattern against a concrete ARN (or a pattern, read literally)."""
    regex, has_variable = _resource_regex(pattern)
    if regex.fullmatch(resource) is None:
        return Match.NO
    return Match.MAYBE if has_variable else Match.YES


def statement_matches_action(stmt: Statement, action: str) -> bool:
    """Whether a statement's Action / NotAction covers ``action``."""
    if stmt.actions is not None:
        return any(action_matches(p, action) for p in stmt.actions)
    if stmt.not_actions is not None:
        return not any(action_matches(p, action) for p in stmt.not_actions)
    return False


def statement_resource_match(stmt: Statement, resource: str | None) -> Match:
    """How a statement's Resource / NotResource covers a resource.

    ``resource="*"`` asks "every resource": only full wildcards and ``NotResource`` (all but a
    few) cover it. ``resource=None`` asks "at least one resource" (MAYBE when every pattern has a
    policy variable: ``user/${aws:username}`` is usually the caller itself). Otherwise ``resource``
    is an ARN.
    A statement with neither element (a trust policy's) applies to the resource it is attached to.
    """
    if stmt.resources is None and stmt.not_resources is None:
        return Match.YES
    if resource == "*":
        return Match.YES if covers_all_resources(stmt) else Match.NO
    if resource is None:
        return _any_resource_match(stmt)
    if stmt.resources is not None:
        return max((resource_match(p, resource) for p in stmt.resources), default=Match.NO, key=_rank)
    return _not_resource_match(stmt.not_resources or (), resource)


def _any_resource_match(stmt: Statement) -> Match:
    """ "At least one resource": MAYBE when every resource pattern depends on a policy variable."""
    if _grants_no_resource(stmt):
        return Match.NO
    if stmt.resources and all(_resource_regex(p)[1] for p in stmt.resources):
        return Match.MAYBE
    return Match.YES


def _rank(match: Match) -> int:
    return match.value


def _not_resource_match(patterns: tuple[str, ...], resource: str) -> Match:
    excluded = max((resource_match(p, resource) for p in patterns), default=Match.NO, key=_rank)
    return {Match.NO: Match.YES, Match.MAYBE: Match.MAYBE, Match.YES: Match.NO}[excluded]


def _grants_no_resource(stmt: Statement) -> bool:
    if stmt.resources is not None:
        return len(stmt.resources) == 0
    return any(is_full_resource_wildcard(p) for p in stmt.not_resources or ())


def covers_all_resources(stmt: Statement) -> bool:
    """Resource is a full wildcard, or NotResource excludes only some resources."""
    if stmt.resources is not None:
        return any(is_full_resource_wildcard(p) for p in stmt.resources)
    if stmt.not_resources is not None:
        return not any(is_full_resource_wildcard(p) for p in stmt.not_resources)
    return False


def grants_all_actions(stmt: Statement) -> bool:
    """Action has a full wildcard, or NotAction excludes no known action."""
    if stmt.actions is not None:
        return any(is_full_action_wildcard(p) for p in stmt.actions)
    if stmt.not_actions is not None:
        return not excluded_known_actions(stmt.not_actions)
    return False


def excluded_known_actions(patterns: tuple[str, ...]) -> tuple[str, ...]:
    """The known actions a NotAction list excludes (loads the action database)."""
    db = action_database()
    out: set[str] = set()
    for pattern in patterns:
        out.update(db.expand(pattern))
    return tuple(sorted(out))


def uses_variables(stmt: Statement) -> bool:
    """Whether any resource pattern of the statement has a policy variable."""
    return any(_resource_regex(p)[1] for p in (stmt.resources or ()) + (stmt.not_resources or ()))
