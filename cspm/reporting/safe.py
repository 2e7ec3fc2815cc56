"""Text from a scanned account, an API error or a report file, made safe for a terminal.

Nothing the scanner reads is trusted to be printable: a bucket name, a tag, an account alias, an
API error message or a report edited by hand can hold terminal escape sequences (clear the
screen, move the cursor, set the window title, OSC 8 hyperlinks), carriage returns and
backspaces that overwrite what was printed, bidirectional overrides that show text in another
order than it is stored, and Rich markup (``[/bold]``) that either raises ``MarkupError`` or
restyles the summary.

:func:`safe_text` replaces every such character with a visible escape (``\\x1b``, ``\\u202e``,
``\\n``), so an engineer sees that something was there and what; the rest of an escape sequence
(``[2J``) is then inert printable text. :func:`safe_markup` also escapes Rich markup, for the
places that build markup strings. Renderers that hand Rich a :class:`rich.text.Text` need only
:func:`safe_text` (a ``Text`` is never parsed as markup).

Replaced (the *banned* set):

- C0 controls U+0000-U+001F (ESC included), except ``\\n`` (and ``\\t``) where a text is
  multi-line by nature (``multiline=True``: a rationale, a traceback); DEL U+007F; C1 controls
  U+0080-U+009F (``\\x9b`` is a one-byte CSI on some terminals);
- every format character (Unicode category Cf): the bidi marks, embeddings, overrides and
  isolates (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069, U+061C), zero-width spaces and joiners,
  the BOM, and the invisible tag characters U+E0000-U+E007F — except ZERO WIDTH JOINER (U+200D),
  which joins emoji sequences and some scripts and moves neither the cursor nor the text order;
- the line and paragraph separators U+2028 and U+2029 (some terminals and viewers break lines
  there), and lone surrogates (they cannot be encoded: printing one would raise).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Mapping
from types import TracebackType
from typing import Any

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
ZWJ = "\u200d"
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def is_banned(char: str, *, multiline: bool = False) -> bool:
    """True when ``char`` must not reach a terminal as it is (see the module docstring)."""
    if multiline and char in "\n\t":
        return False
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return True
    if char == ZWJ:
        return False
    return unicodedata.category(char) in ("Cf", "Zl", "Zp", "Cs")


def safe_text(value: object, *, multiline: bool = False) -> str:
    """``value`` as text with every banned character replaced by a visible escape.

    One-line by default: a newline becomes ``\\n``, so a field cannot start a forged line.
    ``multiline=True`` keeps ``\\n`` and ``\\t`` for texts whose lines are structure.
    """
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # fast path: no Cc, Cf, Cs, Zl, Zp (nor other categories we keep)
        return text
    return "".join(c if c.isprintable() or not is_banned(c, multiline=multiline) else _escape(c) for c in text)


# Arrows and marks the renderers draw: Unicode on a UTF-8 terminal, ASCII on any other, whose
# encoding could not show them (LANG=C, PYTHONIOENCODING=ascii).
UNICODE_MARKS: Mapping[str, str] = {"arrow": "→", "cross": "✗", "more": "…", "dot": "·", "warn": "⚠"}
ASCII_MARKS: Mapping[str, str] = {"arrow": "->", "cross": "x", "more": "...", "dot": "|", "warn": "!"}


def is_utf(encoding: str | None) -> bool:
    return (encoding or "").lower().replace("-", "").replace("_", "").startswith("utf")


def marks(encoding: str | None) -> Mapping[str, str]:
    """The marks a stream of this encoding can show."""
    return UNICODE_MARKS if is_utf(encoding) else ASCII_MARKS


def stream_is_utf(stream: Any) -> bool:
    return is_utf(getattr(stream, "encoding", None))


def safe_markup(value: object, *, multiline: bool = False) -> str:
    """:func:`safe_text`, then escaped for Rich markup: for f-strings passed to ``console.print``.

    Prefer a :class:`rich.text.Text`. Rich's ``escape`` doubles a trailing backslash so that it
    cannot escape a tag that follows; with no tag after it, the doubled backslash is shown.
    """
    from rich.markup import escape

    return escape(safe_text(value, multiline=multiline))


class SafeFormatter(logging.Formatter):
    """A log formatter whose message is one safe line; tracebacks keep their lines but no controls.

    Log messages quote API errors and resource names: without this, a newline in one forges a
    second ``cspm: WARNING:`` line and an escape sequence reaches the terminal.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        message = record.message
        record.message = safe_text(message)
        try:
            return super().formatMessage(record)
        finally:
            record.message = message

    def formatException(self, ei: ExcInfo) -> str:
        return safe_text(super().formatException(ei), multiline=True)

    def formatStack(self, stack_info: str) -> str:
        return safe_text(super().formatStack(stack_info), multiline=True)
