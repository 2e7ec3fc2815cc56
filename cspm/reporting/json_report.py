"""Writing report files: a regular file atomically, a FIFO or device directly.

- A regular file (or a new path) is written to a temporary file in the same folder, then renamed
  over it: a scan that fails before this point leaves any earlier report untouched; a crash while
  writing leaves at most a stray temporary file, never a half-written report.
- A FIFO, a character device (``/dev/null``, a terminal) or a file descriptor's name
  (``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N``, ``/proc/PID/fd/N``, also when a symlink leads
  there: whatever it stands for, a pipe or a file the shell opened) is opened and written directly, streaming:
  a reader of the FIFO sees the report as it is produced, and the device stays a device. Opening a
  FIFO waits for its reader, as ``echo > fifo`` does.
- A symlink is followed: what its chain of links finally names is written by the rules above (a
  regular target is replaced atomically, in the target's folder; the link itself stays a link).
- A directory, a socket or a block device is refused.

Errors opening or creating the file are :class:`UsageError` (exit 2, the path is wrong); errors
while writing it (disk full, the FIFO's reader went away) are :class:`ScanError` (exit 1).
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from cspm.errors import ScanError, UsageError
from cspm.models import ScanReport

_FD_NAME = re.compile(r"^/(?:dev/(?:fd/|stdout$|stderr$)|proc/[^/]+/fd/)")
_MAX_LINKS = 40  # as the kernel's ELOOP limit


def write_json(report: ScanReport, path: Path) -> Path:
    return write_chunks_atomic(path, json_chunks(report))


def json_chunks(report: ScanReport) -> Iterator[str]:
    """report.json in pieces (see :meth:`ScanReport.json_chunks`), with its final newline."""
    yield from report.json_chunks()
    yield "\n"


def write_atomic(path: Path, text: str) -> Path:
    return write_chunks_atomic(path, (text,))


def write_chunks_atomic(path: Path, chunks: Iterable[str]) -> Path:
    """Write text produced in pieces (large reports stream): see the module docstring for how
    each kind of target is written. Returns ``path``.

    A new or replaced regular file gets the usual permissions (0666 less the umask), not
    mkstemp's 0600: reports are meant to be read by others, e.g. an HTML report served from a
    shared folder.
    """
    target, direct = resolve_target(path)
    if direct:
        _write_direct(path, chunks)
    else:
        _write_replacing(path, target, chunks)
    return path


def resolve_target(path: Path) -> tuple[Path, bool]:
    """(the file to write after following symlinks, whether to write it directly).

    Raises :class:`UsageError` for a directory, a socket, a block device or a symlink loop."""
    current = Path(os.path.abspath(path))
    for _ in range(_MAX_LINKS):
        if _FD_NAME.match(str(current)):
            return current, True
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return current, False  # a new file (or a dangling link's target): created atomically
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
        if stat.S_ISLNK(info.st_mode):
            current = Path(os.path.abspath(os.path.join(os.path.realpath(current.parent), os.readlink(current))))
            continue
        if stat.S_ISREG(info.st_mode):
            return current, False
        if stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
            return current, True
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a file, FIFO or character device"
        raise UsageError(f"cannot write {path}: {kind}")
    raise UsageError(f"cannot write {path}: too many levels of symbolic links")


def _write_direct(path: Path, chunks: Iterable[str]) -> None:
    try:
        handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed below, errors told apart
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with handle:
            _copy(chunks, handle)
    except OSError as exc:
        raise ScanError(f"writing {path} failed: {exc.strerror or exc}") from exc


def _write_replacing(path: Path, target: Path, chunks: Iterable[str]) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            _copy(chunks, handle)
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ScanError(f"writing {path} failed: {exc.strerror or exc}") from exc
        raise


def _copy(chunks: Iterable[str], handle: IO[str]) -> None:
    batch: list[str] = []
    for chunk in chunks:
        batch.append(chunk)
        if len(batch) >= 1000:
            handle.write("".join(batch))
            batch.clear()
    handle.write("".join(batch))
    handle.flush()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
