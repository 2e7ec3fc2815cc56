"""Line and column of every value in a JSON text, by JSON path (``Statement[0].Action[2]``).

Used by ``cspm policy lint`` to point at the exact place of a finding, and to find duplicate keys
(which ``json.loads`` silently resolves to the last). The text must already be valid JSON
(``json.loads`` succeeded, nesting bounded); this walker only records where each value starts.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]  # public since 2.6, missing from typeshed

_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null")


@dataclass(frozen=True)
class DuplicateKey:
    """A key given twice in one object: its path, both values as written, where the second starts."""

    path: str
    key: str
    first: str
    second: str
    line: int
    column: int


class _Walker:
    def __init__(self, text: str) -> None:
        self.text = text
        self.positions: dict[str, int] = {}
        self.duplicates: list[tuple[str, str, int, int, int, int]] = []  # path, key, first and second spans
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def skip(self, pos: int) -> int:
        match = _WS.match(self.text, pos)
        return match.end() if match else pos

    def value(self, pos: int, path: str) -> int:
        pos = self.skip(pos)
        self.positions[path] = pos
        char = self.text[pos]
        if char == "{":
            return self.obj(pos + 1, path)
        if char == "[":
            return self.array(pos + 1, path)
        if char == '"':
            return int(scanstring(self.text, pos + 1)[1])
        match = _SCALAR.match(self.text, pos)
        if match is None:
            raise ValueError(f"not JSON at offset {pos}")
        return match.end()

    def obj(self, pos: int, path: str) -> int:
        pos = self.skip(pos)
        if self.text[pos] == "}":
            return pos + 1
        seen: dict[str, tuple[int, int]] = {}
        while True:
            key, pos = scanstring(self.text, self.skip(pos) + 1)
            start = self.skip(self.skip(pos) + 1)  # after the colon
            child = f"{path}.{key}" if path else key
            end = self.value(start, child)
            if key in seen:
                self.duplicates.append((child, key, *seen[key], start, end))
            else:
                seen[key] = (start, end)
            pos = self.skip(end)
            if self.text[pos] == "}":
                return pos + 1
            pos += 1  # the comma

    def array(self, pos: int, path: str) -> int:
        pos = self.skip(pos)
        if self.text[pos] == "]":
            return pos + 1
        index = 0
        while True:
            pos = self.skip(self.value(pos, f"{path}[{index}]"))
            if self.text[pos] == "]":
                return pos + 1
            pos, index = pos + 1, index + 1

    def line_column(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1


def locate(text: str) -> dict[str, tuple[int, int]]:
    """Map every JSON path in ``text`` to the (line, column) where its value starts (1-based)."""
    return locate_all(text)[0]


def locate_all(text: str) -> tuple[dict[str, tuple[int, int]], list[DuplicateKey]]:
    """:func:`locate`, and every duplicate key (values cut to 60 characters)."""
    walker = _Walker(text)
    walker.value(0, "")
    positions = {path: walker.line_column(offset) for path, offset in walker.positions.items()}
    duplicates = [
        DuplicateKey(path, key, _cut(text[a:b]), _cut(text[c:d]), *walker.line_column(c))
        for path, key, a, b, c, d in walker.duplicates
    ]
    return positions, duplicates


def _cut(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= 60 else value[:59] + "…"


def nearest(positions: dict[str, tuple[int, int]], path: str) -> tuple[int, int] | None:
    """The position of ``path``, or of its closest ancestor that has one."""
    while True:
        if path in positions:
            return positions[path]
        if not path:
            return None
        cut = max(path.rfind("."), path.rfind("["))
        path = path[: max(cut, 0)]
