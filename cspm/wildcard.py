"""Wildcard matching without backtracking: IAM actions, resources and condition values, and any other
pattern that comes from an account (ECR scan filters).

IAM patterns know two wildcards: ``*`` (any run of characters, the empty one included) and ``?``
(exactly one character). Resource patterns may also hold policy variables: with
``variables=True`` a ``${name}`` matches any run, like ``*`` (the answer then depends on the
request: :attr:`Wildcard.has_variable`), and the escapes ``${*}``, ``${?}``, ``${$}`` are the
literal characters ``*``, ``?``, ``$``.

Why not :mod:`re`: a pattern translated to a regular expression (``sagemaker:.*.*.*.*Q``)
backtracks, exponentially in the number of wildcards: a 126-byte policy kept ``policy lint``
busy for minutes, and a long match holds the GIL, so even SIGINT waited for it.

The matcher here splits a pattern on ``*`` into segments of fixed length (literal characters and
``?``). The first segment must match at the start of the text, the last one at its end, and each
segment in between is placed at its leftmost occurrence after the previous one. Leftmost is
always safe (a match that places a segment further right leaves less text for the rest), so
nothing is ever undone: each text position is passed over once per segment at most, the worst
case is O(len(pattern) * len(text)) and the usual case, literal segments found with
:meth:`str.find`, is linear. :meth:`Wildcard.match_steps` counts the work, for tests.

:func:`intersects` answers the other question, "can two patterns match a common string", over
the product of their positions: O(len(a) * len(b)), iteratively.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from enum import Enum
from typing import Final


class Wild(Enum):
    """A wildcard token: ``*`` or ``?``."""

    STAR = "*"
    ANY = "?"


Token = str | Wild  # a literal character, or a wildcard
STAR: Final = Wild.STAR
ANY: Final = Wild.ANY
_ESCAPES: Final = {"${*}": "*", "${?}": "?", "${$}": "$"}


def tokenize(pattern: str, *, variables: bool = False) -> tuple[tuple[Token, ...], bool]:
    """The tokens of a pattern, and whether it holds a policy variable (``variables=True`` only).

    Escapes are read first, then variables: ``${`` up to the next ``}`` that does not close an
    escape; a ``${`` without one is literal text. Two linear passes.
    """
    if not variables or "${" not in pattern:
        return tuple(STAR if ch == "*" else ANY if ch == "?" else ch for ch in pattern), False
    units: list[str] = []  # one character, or an escape ("${*}") standing for one
    i, n = 0, len(pattern)
    while i < n:
        escape = pattern[i : i + 4] if pattern.startswith("${", i) else ""
        units.append(escape if escape in _ESCAPES else pattern[i])
        i += len(units[-1])
    next_close = [len(units)] * (len(units) + 1)  # index of the next "}" unit at or after k
    for k in range(len(units) - 1, -1, -1):
        next_close[k] = k if units[k] == "}" else next_close[k + 1]
    out: list[Token] = []
    has_variable = False
    k = 0
    while k < len(units):
        unit = units[k]
        if unit == "$" and k + 1 < len(units) and units[k + 1] == "{" and next_close[k + 2] < len(units):
            out.append(STAR)
            has_variable = True
            k = next_close[k + 2] + 1
            continue
        out.append(_ESCAPES.get(unit) or (STAR if unit == "*" else ANY if unit == "?" else unit))
        k += 1
    return tuple(out), has_variable


def _fold(text: str) -> str:
    """Lower case, one character for one (``str.lower`` makes two of ``İ``): positions stay put."""
    if text.isascii():
        return text.lower()
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


class _Segment:
    """A run of tokens without ``*``: literal characters and ``?``, of fixed length."""

    __slots__ = ("anchor", "length", "literal", "runs")

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.length = len(tokens)
        runs: list[tuple[int, str]] = []  # (offset, literal text) of each ``?``-free run
        start = 0
        for i, token in enumerate((*tokens, ANY)):
            if token is ANY:
                if i > start:
                    runs.append((start, "".join(str(t) for t in tokens[start:i])))
                start = i + 1
        self.runs = tuple(runs)
        self.literal = len(runs) == 1 and len(runs[0][1]) == self.length  # no ``?`` at all
        # The longest run, searched with str.find; None for a segment of ``?`` only.
        self.anchor = max(runs, key=lambda run: len(run[1])) if runs else None

    def at(self, text: str, pos: int) -> bool:
        """Whether the segment matches ``text`` at ``pos`` (the caller checked the length)."""
        runs = self.runs
        if len(runs) == 1:
            return text.startswith(runs[0][1], pos + runs[0][0])
        return all(text.startswith(run, pos + offset) for offset, run in runs)

    def find(self, text: str, pos: int, limit: int) -> tuple[int, int]:
        """(leftmost start ≥ ``pos`` with the segment ending ≤ ``limit``, or -1; steps spent).

        A step is one character comparison, counting ``len(segment)`` for each text position
        examined (an upper bound of what :meth:`str.find` and :meth:`at` do there).
        """
        last = limit - self.length  # the last admissible start
        if last < pos:
            return -1, 1
        if self.anchor is None:  # ``?`` only: the first position fits
            return pos, self.length
        offset, run = self.anchor
        if self.literal:
            found = text.find(run, pos, limit)
            return found, ((found if found != -1 else last) - pos + 1) * self.length
        steps = 0
        candidate = pos
        while candidate <= last:
            found = text.find(run, candidate + offset, last + offset + len(run))
            steps += ((found - offset if found != -1 else last) - candidate + 1) * self.length
            if found == -1:
                return -1, steps
            if self.at(text, found - offset):
                return found - offset, steps
            candidate = found - offset + 1
        return -1, steps


class Wildcard:
    """A compiled pattern: ``Wildcard("s3:Get*", ignore_case=True).matches("s3:GetObject")``.

    Use :func:`compile_pattern` (cached) rather than the constructor.
    """

    __slots__ = ("exact", "first", "has_variable", "ignore_case", "last", "middle", "min_length", "pattern", "prefix")

    def __init__(self, pattern: str, *, ignore_case: bool = False, variables: bool = False) -> None:
        tokens, self.has_variable = tokenize(_fold(pattern) if ignore_case else pattern, variables=variables)
        self.pattern = pattern
        self.ignore_case = ignore_case
        pieces: list[list[Token]] = [[]]
        for token in tokens:
            if token is STAR:
                pieces.append([])
            else:
                pieces[-1].append(token)
        self.first = _Segment(pieces[0])
        # last is None when the pattern has no ``*``: then ``first`` is the whole pattern.
        self.last = _Segment(pieces[-1]) if len(pieces) > 1 else None
        self.middle = tuple(_Segment(p) for p in pieces[1:-1] if p)
        self.min_length = sum(len(p) for p in pieces)
        # The shapes of nearly every real pattern, matched with one string operation:
        # no wildcard (``s3:GetObject``), or literal then only ``*`` (``s3:Get*``, ``*``).
        literal = self.first.literal or self.first.length == 0
        self.exact = "".join(map(str, pieces[0])) if literal and self.last is None else None
        trailing = self.last is not None and not self.middle and self.last.length == 0
        self.prefix = "".join(map(str, pieces[0])) if literal and trailing else None

    def __repr__(self) -> str:
        return f"Wildcard({self.pattern!r}, ignore_case={self.ignore_case})"

    def matches(self, text: str) -> bool:
        """Whether the pattern matches all of ``text``."""
        return self.matches_folded(_fold(text) if self.ignore_case else text)

    def matches_folded(self, text: str) -> bool:
        """:meth:`matches` for a text already passed through :func:`fold` when ``ignore_case``."""
        if self.exact is not None:
            return text == self.exact
        if self.prefix is not None:
            return text.startswith(self.prefix)
        return self.match_steps(text)[0]

    def match_steps(self, text: str) -> tuple[bool, int]:
        """(whether the pattern matches ``text`` as given, the steps spent: see :meth:`_Segment.find`).

        ``text`` is compared as it is: fold it first for a case-insensitive pattern.
        """
        n = len(text)
        first, last = self.first, self.last
        if n < self.min_length:
            return False, 1
        if last is None:
            return n == first.length and first.at(text, 0), first.length + 1
        if not first.at(text, 0):
            return False, first.length + 1
        steps = first.length + 1
        pos = first.length
        limit = n - last.length  # the middle segments end before the last one starts
        for segment in self.middle:
            found, spent = segment.find(text, pos, limit)
            steps += spent
            if found == -1:
                return False, steps
            pos = found + segment.length
        return last.at(text, limit), steps + last.length


class WildcardSet:
    """Patterns of which any may match (a statement's ``Action`` list): ``s3:GetObject`` and
    ``s3:Get*`` shapes are tested all at once, with a set lookup and one ``startswith``."""

    __slots__ = ("exact", "ignore_case", "others", "prefixes")

    def __init__(self, patterns: Sequence[str], *, ignore_case: bool = False) -> None:
        matchers = [compile_pattern(p, ignore_case=ignore_case) for p in patterns]
        self.ignore_case = ignore_case
        self.exact = frozenset(m.exact for m in matchers if m.exact is not None)
        self.prefixes = tuple(m.prefix for m in matchers if m.prefix is not None)
        self.others = tuple(m for m in matchers if m.exact is None and m.prefix is None)

    def matches(self, text: str) -> bool:
        """Whether any of the patterns matches all of ``text``."""
        if self.ignore_case:
            text = _fold(text)
        return (
            text in self.exact
            or (bool(self.prefixes) and text.startswith(self.prefixes))
            or any(m.matches_folded(text) for m in self.others)
        )


def fold(text: str) -> str:
    """The text as a case-insensitive :class:`Wildcard` compares it (for :meth:`Wildcard.matches_folded`)."""
    return _fold(text)


@functools.lru_cache(maxsize=65536)
def compile_pattern(pattern: str, *, ignore_case: bool = False, variables: bool = False) -> Wildcard:
    """The matcher of a pattern, compiled once per process (patterns repeat across principals)."""
    return Wildcard(pattern, ignore_case=ignore_case, variables=variables)


def wildcard_match(pattern: str, text: str, *, ignore_case: bool = False, variables: bool = False) -> bool:
    """Whether ``pattern`` matches all of ``text``."""
    return compile_pattern(pattern, ignore_case=ignore_case, variables=variables).matches(text)


def _squeeze(tokens: Sequence[Token]) -> tuple[Token, ...]:
    """Runs of ``*`` as one ``*`` (the same strings): fewer states for :func:`intersects`."""
    out: list[Token] = []
    for token in tokens:
        if token is STAR and out and out[-1] is STAR:
            continue
        out.append(token)
    return tuple(out)


def intersects(a: Sequence[Token], b: Sequence[Token]) -> bool:
    """Whether two token sequences (see :func:`tokenize`) can match a common string.

    A search over the pairs of positions (i in ``a``, j in ``b``), each visited once:
    O(len(a) * len(b)) time and memory, no recursion.
    """
    return intersects_steps(a, b)[0]


def intersects_steps(a: Sequence[Token], b: Sequence[Token]) -> tuple[bool, int]:
    """:func:`intersects` and the number of position pairs it visited."""
    a, b = _squeeze(a), _squeeze(b)
    la, lb = len(a), len(b)
    width = lb + 1
    seen = bytearray((la + 1) * width)
    stack = [0]
    seen[0] = 1
    steps = 0
    while stack:
        state = stack.pop()
        steps += 1
        i, j = divmod(state, width)
        if i == la or j == lb:
            rest = a[i:] if j == lb else b[j:]
            if all(token is STAR for token in rest):
                return True, steps
            continue
        x, y = a[i], b[j]
        if x is STAR or y is STAR:
            moves: tuple[int, ...] = (state + width, state + 1)  # (i + 1, j), (i, j + 1)
        elif x == y or x is ANY or y is ANY:
            moves = (state + width + 1,)
        else:
            continue
        for move in moves:
            if not seen[move]:
                seen[move] = 1
                stack.append(move)
    return False, steps
