""" "Did you mean": one short line for an unknown check id, service, framework or other choice.

A short list of valid values (severities, baselines, services) is named in full; a long one (the
check ids, hundreds of them) never is: the message gives the closest few matches and the command
that lists them all.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from cspm.errors import UsageError
from cspm.inputs import one_line

LIST_IN_FULL = 12  # at most this many valid values are named in the message
MATCHES = 3


def close_matches(given: str, valid: Sequence[str], n: int = MATCHES) -> list[str]:
    """The closest few valid values: same last dotted part first (``s3.bucket_x`` → ``aws.s3.bucket_x``),
    then :func:`difflib.get_close_matches`."""
    tail = given.rsplit(".", 1)[-1].lower()
    same_tail = [v for v in valid if v != given and v.rsplit(".", 1)[-1].lower() == tail]
    fuzzy = difflib.get_close_matches(given.lower(), [v.lower() for v in valid], n=n, cutoff=0.6)
    by_lower = {v.lower(): v for v in valid}
    out: list[str] = []
    for match in (*same_tail, *(by_lower[f] for f in fuzzy)):
        if match not in out:
            out.append(match)
    return out[:n]


def unknown_choice(kind: str, given: Sequence[str], valid: Sequence[str], *, list_all: str | None = None) -> UsageError:
    """The one-line :class:`UsageError` (exit 2) for unknown values of ``kind``.

    ``list_all`` is the command that lists every valid value, named when the list is too long to print.
    """
    parts = []
    for value in given:
        matches = close_matches(value, valid)
        shown = one_line(value, 80)
        parts.append(f"{shown} (did you mean {', '.join(matches)}?)" if matches else shown)
    message = f"unknown {kind} {', '.join(parts)}"
    if len(valid) <= LIST_IN_FULL or list_all is None:
        names = valid if len(valid) <= LIST_IN_FULL else [*valid[:LIST_IN_FULL], "…"]
        return UsageError(f"{message}; valid: {', '.join(names)}")
    return UsageError(f"{message}; run '{list_all}' for all {len(valid)}")
