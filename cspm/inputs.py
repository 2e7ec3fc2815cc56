"""Reading input documents nobody here wrote: policies, reports, mutelists.

Every file cspm reads goes through :func:`read_input` (a regular file under a size cap, decoded
as UTF-8) and, when it is JSON, :func:`parse_json` (no NaN / Infinity, no number longer than
:data:`MAX_NUMBER_CHARS`, nesting at most :data:`MAX_DEPTH` deep, no lone UTF-16 surrogate).
Every problem is an :class:`InputError`: a :class:`~cspm.errors.UsageError` (exit 2) whose one-line
message names the file and, where known, the line and column::

    cspm: error: policy.json:3:12: NaN is not JSON (use a number or a string)

Reading refuses non-regular files (FIFOs, ``/dev/zero``, directories, sockets) *before* opening
them for reading, so ``cspm policy lint /dev/zero`` ends at once instead of filling memory, and
reads at most ``cap + 1`` bytes even if the file grows while being read.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cspm.errors import UsageError

__all__ = [
    "CAPS",
    "MAX_DEPTH",
    "MAX_NUMBER_CHARS",
    "InputError",
    "one_line",
    "parse_json",
    "read_input",
]

MiB = 1024 * 1024
# Per kind of document, the largest file read. A report of a large organization is hundreds of
# MB (the benchmark account's is 23 MB); an account export (GetAccountAuthorizationDetails) tens
# of MB; a mutelist a few hundred KB (and it is parsed by pure-Python YAML, ~1 MB/s).
CAPS: dict[str, int] = {"report": 1024 * MiB, "policy": 64 * MiB, "mutelist": 8 * MiB}
MAX_DEPTH = 100  # nesting of arrays and objects; cspm's own reports stay under 15
MAX_NUMBER_CHARS = 100  # a JSON number's text (Python refuses ints over 4,300 digits anyway)


class InputError(UsageError):
    """A file cspm cannot use as input: names the file and, where known, line and column."""

    def __init__(self, source: str, message: str, *, line: int | None = None, column: int | None = None) -> None:
        where = source if line is None else f"{source}:{line}" if column is None else f"{source}:{line}:{column}"
        super().__init__(f"{one_line(where)}: {one_line(message, 300)}")
        self.source, self.message, self.line, self.column = source, one_line(message, 300), line, column


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: object, limit: int = 120) -> str:
    """Text from an input document made safe for a one-line message: control characters (newlines
    too) escaped, cut at ``limit`` characters with an ellipsis."""
    value = _CONTROL.sub(lambda m: repr(m.group())[1:-1], str(text))
    return value if len(value) <= limit else value[: limit - 1] + "…"


def read_input(path: Path | str, kind: str, cap: int | None = None) -> str:
    """The text of a regular file of at most ``cap`` bytes (default: ``CAPS[kind]``).

    Symlinks are followed. A leading UTF-8 byte-order mark is dropped. Raises :class:`InputError`
    for a missing or unreadable file, a FIFO, device, directory or socket, a file over the cap, or
    bytes that are not UTF-8 (naming the line of the first bad byte).
    """
    source = str(path)
    limit = CAPS[kind] if cap is None else cap
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(source, f"cannot read {kind}: {_kind_of(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise InputError(source, f"the {kind} is {_size(info.st_size)}, over the {_size(limit)} limit")
        # O_NONBLOCK: if the path was swapped for a FIFO since the stat, open does not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise InputError(source, f"cannot read {kind}: not a regular file")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(source, f"cannot read {kind}: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise InputError(source, f"the {kind} is over the {_size(limit)} limit")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _line_column_bytes(data, exc.start)
        raise InputError(source, f"not UTF-8 text (byte 0x{data[exc.start]:02x})", line=line, column=column) from exc


def _kind_of(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"


def _size(n: int) -> str:
    return f"{n / MiB:.0f} MiB" if n >= MiB else f"{n:,} bytes"


def _line_column_bytes(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


# ---------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------

_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_STRINGS = re.compile(_STRING, re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
# The slow, exact scanner, used only to place an error already known to exist.
_TOKEN = re.compile(
    rf"{_STRING}|(?P<open>[\[{{])|(?P<close>[\]}}])|(?P<number>-?[0-9][0-9.eE+-]*)|(?P<word>-?[A-Za-z]+)"
)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class _Refused(ValueError):
    """Raised by the decoder hooks; :func:`parse_json` places it in the text."""

    def __init__(self, what: str, message: str) -> None:
        super().__init__(message)
        self.what, self.message = what, message


def parse_json(text: str, source: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` for untrusted text. Raises :class:`InputError` naming ``source:line:column``.

    Refused besides syntax errors: ``NaN`` / ``Infinity`` (and numbers that overflow to them, such
    as ``1e999``), numbers longer than :data:`MAX_NUMBER_CHARS` characters, nesting deeper than
    ``max_depth``, and escaped lone UTF-16 surrogates (``"\\ud800"``), which no UTF-8 output can hold.
    Duplicate keys keep the last value, as ``json`` does (``policy lint`` reports them).
    """
    offset = _too_deep(text, max_depth)
    if offset is not None:
        raise InputError(source, f"nested deeper than {max_depth} levels", **_at(text, offset))
    try:
        data = json.loads(text, parse_constant=_constant, parse_int=_int, parse_float=_float)
    except json.JSONDecodeError as exc:
        raise InputError(source, f"not valid JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from exc
    except _Refused as exc:
        raise InputError(source, exc.message, **_at(text, _find(text, exc.what))) from exc
    except RecursionError as exc:  # a backstop: the depth check comes first
        raise InputError(source, "nested too deeply to parse") from exc
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(data, text, source)
    return data


def _constant(name: str) -> Any:
    raise _Refused("word", f"{name} is not JSON (use a number or a string)")


def _int(digits: str) -> int:
    if len(digits) > MAX_NUMBER_CHARS:
        raise _Refused("number", f"a number of {len(digits):,} characters (the limit is {MAX_NUMBER_CHARS})")
    return int(digits)


def _float(digits: str) -> float:
    if len(digits) > MAX_NUMBER_CHARS:
        raise _Refused("number", f"a number of {len(digits):,} characters (the limit is {MAX_NUMBER_CHARS})")
    value = float(digits)
    if not math.isfinite(value):
        raise _Refused("number", f"{digits} is out of range for a JSON number")
    return value


def _too_deep(text: str, limit: int) -> int | None:
    """The offset where nesting first exceeds ``limit``, else None. Fast path: strings removed,
    then only brackets kept (both in C); the exact scan runs only when the limit is exceeded."""
    if text.count("[") + text.count("{") <= limit:
        return None
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    depth = deepest = 0
    for char in brackets:
        depth += 1 if char in "[{" else -1
        deepest = max(deepest, depth)
    if deepest <= limit:
        return None
    depth = 0
    for match in _TOKEN.finditer(text):
        if match.group("open"):
            depth += 1
            if depth > limit:
                return match.start()
        elif match.group("close"):
            depth -= 1
    return 0  # an unterminated string hid the brackets from the exact scan; the fast one counted them


def _find(text: str, what: str) -> int | None:
    """The offset of the first token of a refused kind (``number`` over the limit, or a ``word``)."""
    for match in _TOKEN.finditer(text):
        token = match.group(what)
        if token is None:
            continue
        if what == "word" and token.lstrip("-") not in ("NaN", "Infinity"):
            continue
        if what == "number" and not _number_refused(token):
            continue
        return match.start()
    return None


def _number_refused(token: str) -> bool:
    try:
        parse: Callable[[str], object] = _float if any(c in token for c in ".eE") else _int
        parse(token)
    except (_Refused, ValueError):
        return True
    return False


def _at(text: str, offset: int | None) -> dict[str, int]:
    if offset is None:
        return {}
    line, column = line_column(text, offset)
    return {"line": line, "column": column}


def _refuse_lone_surrogates(data: Any, text: str, source: str) -> None:
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        match = _SURROGATE_ESCAPE.search(text)
        raise InputError(
            source,
            "a string holds a lone UTF-16 surrogate escape, which is not text",
            **_at(text, match.start() if match else None),
        ) from exc
