"""A raw pickle is scanned without being held in memory: picklescan reads a skeleton of it
(:func:`cspm.artifacts.inspect.pickle_skeleton`) in which long arguments are placeholders. The
bytes held are counted with tracemalloc (never timed)."""

from __future__ import annotations

import io
import os
import pickle
import struct
import tracemalloc
from pathlib import Path

import pytest

from cspm.artifacts import inspect
from cspm.artifacts.inspect import ELIDE_OVER, MAX_PICKLE_OPCODES, Limits, inspect_file, pickle_skeleton
from support.model_corpus import reduce_pickle

MiB = 2**20
SIZE = 64 * MiB


def _huge_pickle(path: Path, tail: bytes = b"") -> Path:
    """A protocol-4 pickle of one 64 MiB bytes object (BINBYTES8), written in 1 MiB pieces,
    followed by ``tail`` (another pickle in the same stream)."""
    with path.open("wb") as out:
        out.write(b"\x80\x04\x8e" + struct.pack("<Q", SIZE))
        for _ in range(SIZE // MiB):
            out.write(b"\x00" * MiB)
        out.write(b"\x94." + tail)
    return path


def _held_while_inspecting(path: Path, tmp_path: Path) -> tuple[int, object]:
    with path.open("rb") as f:
        tracemalloc.start()
        try:
            found = inspect_file(f, path.name, Limits(), tmpdir=str(tmp_path))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return peak, found


def test_a_huge_raw_pickle_is_scanned_holding_a_few_mib(tmp_path: Path) -> None:
    path = _huge_pickle(tmp_path / "model.pkl")

    peak, found = _held_while_inspecting(path, tmp_path)

    assert peak < 12 * MiB, f"{peak / MiB:.1f} MiB held for a {SIZE // MiB} MiB pickle"
    assert found.format == "pickle" and found.members == [("model.pkl", "pickle")]  # type: ignore[attr-defined]
    assert found.problems == [] and found.dangerous == []  # type: ignore[attr-defined]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pkl"]  # the skeleton spool is gone


def test_an_import_after_a_huge_argument_is_still_found(tmp_path: Path) -> None:
    path = _huge_pickle(tmp_path / "model.pkl", tail=reduce_pickle(os.system, "id"))

    peak, found = _held_while_inspecting(path, tmp_path)

    assert peak < 12 * MiB
    assert [(i.module, i.name) for i in found.dangerous] in ([("posix", "system")], [("os", "system")])  # type: ignore[attr-defined]


def test_the_skeleton_keeps_short_arguments_and_replaces_long_ones() -> None:
    short = pickle.dumps({"w": b"x" * 100, "name": "fc"}, protocol=4)
    long = pickle.dumps({"w": b"x" * (ELIDE_OVER + 1)}, protocol=4)
    out = io.BytesIO()
    assert pickle_skeleton(io.BytesIO(short), out) is None
    assert out.getvalue() == short  # nothing to elide: a byte-for-byte copy
    out = io.BytesIO()
    assert pickle_skeleton(io.BytesIO(long), out) is None
    assert len(out.getvalue()) < 200 and b"bytes not copied" in out.getvalue()


def test_a_truncated_huge_argument_stays_truncated(tmp_path: Path) -> None:
    data = b"\x80\x04\x8e" + struct.pack("<Q", SIZE) + b"\x00" * 1000  # 64 MiB announced, 1000 bytes
    path = tmp_path / "model.pkl"
    path.write_bytes(data)

    _, found = _held_while_inspecting(path, tmp_path)

    assert any("truncated or corrupt" in p for p in found.problems)  # type: ignore[attr-defined]


def test_a_stream_of_too_many_opcodes_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert MAX_PICKLE_OPCODES == 1_000_000
    monkeypatch.setattr(inspect, "MAX_PICKLE_OPCODES", 1000)  # the same path, a thousand times faster
    data = b"\x80\x04" + b"N0" * 600 + b"N."

    found = inspect_file(io.BytesIO(data), "model.pkl", Limits(), tmpdir=str(tmp_path))

    assert any("more than 1,000 pickle opcodes" in p for p in found.problems)
