"""report.json, written atomically: a temporary file in the same folder, then a rename.

A scan that fails before this point leaves any earlier report untouched; a crash while writing
leaves at most a stray temporary file, never a half-written report.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cspm.errors import UsageError
from cspm.models import ScanReport


def write_json(report: ScanReport, path: Path) -> Path:
    return write_atomic(path, report.to_json() + "\n")


def write_atomic(path: Path, text: str) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
