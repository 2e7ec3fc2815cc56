"""report.json, written atomically: a temporary file in the same folder, then a rename.

A scan that fails before this point leaves any earlier report untouched; a crash while writing
leaves at most a stray temporary file, never a half-written report.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from cspm.errors import UsageError
from cspm.models import ScanReport


def write_json(report: ScanReport, path: Path) -> Path:
    return write_chunks_atomic(path, json_chunks(report))


def json_chunks(report: ScanReport) -> Iterator[str]:
    """report.json in pieces (see :meth:`ScanReport.json_chunks`), with its final newline."""
    yield from report.json_chunks()
    yield "\n"


def write_atomic(path: Path, text: str) -> Path:
    return write_chunks_atomic(path, (text,))


def write_chunks_atomic(path: Path, chunks: Iterable[str]) -> Path:
    """Write text produced in pieces (large reports stream) to a temporary file, then rename.

    The file gets the usual permissions (0666 less the umask), not mkstemp's 0600: reports are
    meant to be read by others, e.g. an HTML report served from a shared folder.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            batch: list[str] = []
            for chunk in chunks:
                batch.append(chunk)
                if len(batch) >= 1000:
                    handle.write("".join(batch))
                    batch.clear()
            handle.write("".join(batch))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
