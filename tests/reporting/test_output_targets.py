"""Where reports go: regular files atomically, FIFOs and devices directly, symlinks followed."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cspm.errors import ScanError, UsageError
from cspm.reporting.json_report import resolve_target, write_atomic, write_chunks_atomic

CHUNKS = [f'{{"n": {i}}}\n' for i in range(5000)]  # ~60 KB: more than a pipe's 64 KB buffer holds at once
TEXT = "".join(CHUNKS)


def _read_fifo(path: Path, into: list[bytes]) -> threading.Thread:
    def reader() -> None:
        with open(path, "rb") as handle:
            into.append(handle.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return thread


def test_a_fifo_is_written_directly_and_its_reader_gets_everything(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    thread = _read_fifo(fifo, received)
    write_chunks_atomic(fifo, iter(CHUNKS))
    thread.join(timeout=30)
    assert received == [TEXT.encode()]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a FIFO, not replaced by a regular file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.fifo"]  # no temporary file


def test_a_character_device_stays_a_device() -> None:
    assert resolve_target(Path("/dev/null")) == (Path("/dev/null"), True)
    write_atomic(Path("/dev/null"), TEXT)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_file_descriptor_names_are_written_directly(name: str) -> None:
    assert resolve_target(Path(name)) == (Path(name), True)


def test_a_symlink_to_a_descriptor_name_is_written_directly(tmp_path: Path) -> None:
    link = tmp_path / "out.json"
    link.symlink_to("/proc/self/fd/1")
    assert resolve_target(link) == (Path("/proc/self/fd/1"), True)


def test_a_symlink_to_a_regular_file_replaces_the_target_and_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    target = tmp_path / "reports" / "2026-12-01.json"
    target.write_text("old\n")
    link = tmp_path / "latest.json"
    link.symlink_to(Path("reports") / "2026-12-01.json")  # relative, as people make them
    write_atomic(link, TEXT)
    assert link.is_symlink() and os.readlink(link) == str(Path("reports") / "2026-12-01.json")
    assert target.read_text() == TEXT
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["2026-12-01.json"]


def test_a_chain_of_symlinks_to_a_fifo_is_written_directly(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "a").symlink_to("pipe")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    received: list[bytes] = []
    thread = _read_fifo(fifo, received)
    write_atomic(tmp_path / "b", TEXT)
    thread.join(timeout=30)
    assert received == [TEXT.encode()]
    assert (tmp_path / "b").is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "report.json"
    link.symlink_to("real.json")
    write_atomic(link, TEXT)
    assert link.is_symlink() and (tmp_path / "real.json").read_text() == TEXT


def test_a_symlink_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(UsageError, match="too many levels of symbolic links"):
        write_atomic(tmp_path / "a", TEXT)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "report.json").mkdir()
    with pytest.raises(UsageError, match=r"report\.json: a directory"):
        write_atomic(tmp_path / "report.json", TEXT)


def test_a_regular_file_is_replaced_atomically_and_survives_a_failed_write(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old\n")
    before = os.stat(target).st_ino

    def failing() -> Iterator[str]:
        yield "{"
        raise OSError(28, "No space left on device")

    with pytest.raises(ScanError, match="No space left on device"):
        write_chunks_atomic(target, failing())
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    write_atomic(target, TEXT)
    assert target.read_text() == TEXT
    assert os.stat(target).st_ino != before  # a new file renamed over the old one


def test_a_fifo_whose_reader_leaves_is_a_runtime_error(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)

    def reader() -> None:
        with open(fifo, "rb") as handle:
            handle.read(1)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    with pytest.raises(ScanError, match="Broken pipe"):
        write_chunks_atomic(fifo, iter(CHUNKS * 20))  # ~1.2 MB: far more than the pipe buffer
    thread.join(timeout=30)
