"""What one statement covers: which actions, which resources.

Action matching is case-insensitive; resource matching is case-sensitive (ARNs are), and a
resource pattern with a policy variable (``${aws:username}``) matches only *possibly*: the answer
depends on the request, so callers treat it like a condition. Matching never backtracks
(:mod:`cspm.wildcard`).
"""

from __future__ import annotations

import functools
import re
from enum import Enum

from cspm.iam.actions import action_database, is_full_action_wildcard, patterns_match
from cspm.iam.policy import Statement
from cspm.wildcard import STAR, Wildcard, compile_pattern, intersects, tokenize

_FULL_RESOURCE = re.compile(r"^(\*+|arn:\*+|arn:(\*+|aws(-[a-z]+)*)(:\*+)+)$")


class Match(Enum):
    """Result of matching a resource pattern."""

    NO = 0
    MAYBE = 1  # depends on a policy variable
    YES = 2


def is_full_resource_wildcard(pattern: str) -> bool:
    """Whether a resource pattern matches every resource: ``*``, ``arn:*``, ``arn:aws:*:*:*:*``."""
    return _FULL_RESOURCE.match(pattern) is not None


@functools.lru_cache(maxsize=65536)
def _resource_wildcard(pattern: str) -> Wildcard:
    """Case-sensitive; a policy variable matches any run; ``${*}``, ``${?}``, ``${$}`` are literals."""
    return compile_pattern(pattern, variables=True)


def resource_match(pattern: str, resource: str) -> Match:
    """Match one resource pattern against a concrete ARN (or a pattern, read literally)."""
    matcher = _resource_wildcard(pattern)
    if not matcher.matches(resource):
        return Match.NO
    return Match.MAYBE if matcher.has_variable else Match.YES


def statement_matches_action(stmt: Statement, action: str) -> bool:
    """Whether a statement's Action / NotAction covers ``action``."""
    if stmt.actions is not None:
        return patterns_match(stmt.actions, action)
    if stmt.not_actions is not None:
        return not patterns_match(stmt.not_actions, action)
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
    if stmt.resources and all(_resource_wildcard(p).has_variable for p in stmt.resources):
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
        return _has_full_wildcard(stmt.resources)
    if stmt.not_resources is not None:
        return not _has_full_wildcard(stmt.not_resources)
    return False


@functools.lru_cache(maxsize=65536)
def _has_full_wildcard(patterns: tuple[str, ...]) -> bool:
    return any(is_full_resource_wildcard(p) for p in patterns)


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


def literal_prefix(pattern: str) -> str:
    """The part of a resource pattern before its first wildcard or policy variable."""
    cut = len(pattern)
    for marker in ("*", "?", "${"):
        found = pattern.find(marker)
        if found != -1:
            cut = min(cut, found)
    return pattern[:cut]


def pattern_meets_prefix(pattern: str, prefix: str) -> bool:
    """Whether a resource pattern matches at least one ARN that starts with ``prefix``.

    ``arn:aws:s3:::bucket/*``, ``arn:aws:s3:::bucket/data/*``, ``arn:aws:s3:::buck*`` and ``*`` meet
    ``arn:aws:s3:::bucket/``; ``arn:aws:s3:::other/*`` does not. Policy variables count as ``*``,
    ``${*}``, ``${?}`` and ``${$}`` as the literal characters. (Whether the pattern and
    ``prefix*`` can match a common string: :func:`~cspm.wildcard.intersects`.)
    """
    return intersects(tokenize(pattern, variables=True)[0], (*prefix, STAR))


def covers_some_resource_under(stmt: Statement, prefix: str) -> bool:
    """Whether the statement applies to at least one resource whose ARN starts with ``prefix``."""
    if stmt.resources is not None:
        return any(pattern_meets_prefix(p, prefix) for p in stmt.resources)
    if stmt.not_resources is not None:
        everything_under = prefix + "*"
        return not any(resource_match(p, everything_under) is Match.YES and p.endswith("*") for p in stmt.not_resources)
    return True
