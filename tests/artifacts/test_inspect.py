"""The inspection of model files: the corpus (every malicious sample flagged, no benign one),
formats, and bad input bounded by the limits. Nothing is ever unpickled."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cspm.artifacts.inspect import DATA_ONLY, PICKLE_BASED, Limits, inspect_file, inspect_header, sniff
from support.model_corpus import BENIGN, MALICIOUS, npy, reduce_pickle, safetensors, tar_gz, torch_zip

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_unpickling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading a pickle during inspection fails the test (the corpus would run code)."""

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("the inspection unpickled something")

    for name in ("load", "loads", "Unpickler", "_Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)


def _inspect(name: str, data: bytes, limits: Limits | None = None) -> Any:
    return inspect_file(io.BytesIO(data), name, limits or Limits())


@pytest.mark.parametrize("sample", sorted(MALICIOUS), ids=str)
def test_every_malicious_sample_is_flagged(sample: str) -> None:
    filename, data = MALICIOUS[sample]
    found = _inspect(filename, data)
    assert found.dangerous, f"{sample}: nothing dangerous found ({found})"
    assert found.members


@pytest.mark.parametrize("sample", sorted(BENIGN), ids=str)
def test_no_benign_sample_is_flagged(sample: str) -> None:
    filename, data = BENIGN[sample]
    found = _inspect(filename, data)
    assert found.dangerous == [] and found.problems == [], sample
    assert found.members, f"{sample}: no model file recognised"


def test_the_dangerous_imports_name_module_name_and_member() -> None:
    found = _inspect("model.tar.gz", tar_gz({"model.pt": torch_zip(reduce_pickle(eval, "1+1"))}))
    assert [(i.module, i.name, i.member) for i in found.dangerous] == [
        ("builtins", "eval", "model.tar.gz!model.pt!archive/data.pkl")
    ]
    assert found.format == "tar.gz"
    assert ("model.tar.gz!model.pt", "pytorch") in found.members


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("model.safetensors", safetensors(), "safetensors"),
        ("w.npy", npy("<f4", (1,), b"\x00" * 4), "numpy"),
        ("w.npy", npy("|O", (1,), reduce_pickle(os.system, "id", protocol=3)), "numpy-object"),
        ("model.pkl", reduce_pickle(os.system, "id"), "pickle"),
        ("model.joblib", reduce_pickle(os.system, "id"), "joblib"),
        ("model.pt", torch_zip(reduce_pickle(os.system, "id")), "pytorch"),
    ],
)
def test_formats(name: str, data: bytes, expected: str) -> None:
    assert _inspect(name, data).format == expected
    assert expected in PICKLE_BASED | DATA_ONLY


def test_sniff_knows_formats_by_magic_not_by_name() -> None:
    assert sniff(gzip.compress(b"x"), "model.safetensors") == "gzip"
    assert sniff(b"GGUF\x03\x00\x00\x00", "x") == "gguf"
    assert sniff(b"\x80\x04\x95", "weights.bin") == "pickle"
    assert sniff(b"hello", "notes.txt") == "unknown"


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------


def test_a_zip_bomb_stops_at_the_ratio_cap() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("archive/data.pkl", b"\x80\x04" + b"\x00" * (50 * 2**20))  # a pickle header, then zeros
    found = _inspect("model.pt", buf.getvalue())
    assert any("times its packed size" in p for p in found.problems)
    assert found.unpacked < 12 * 2**20  # stopped at 200 times the ~50 KiB packed, never 50 MiB


def test_the_unpacked_budget_holds_over_all_members() -> None:
    members = {f"m{i}.bin": os.urandom(2**20) for i in range(6)}  # incompressible: no ratio trip
    found = _inspect("model.tar.gz", tar_gz(members), Limits(max_unpacked=3 * 2**20))
    assert any("more than 3 MiB unpacked" in p for p in found.problems)


def test_nesting_and_member_count_are_bounded() -> None:
    nested = reduce_pickle(os.system, "id")
    for level in range(6):
        nested = gzip.compress(nested) if level % 2 else tar_gz({f"l{level}.tar.gz": nested})
    assert any("nested more than" in p for p in _inspect("model.tar.gz", nested).problems)
    many = tar_gz({f"f{i}.txt": b"x" for i in range(40)})
    assert any("more than 20 members" in p for p in _inspect("m.tar.gz", many, Limits(max_members=20)).problems)


@pytest.mark.parametrize(
    ("case", "data", "problem"),
    [
        ("truncated", pickle.dumps(list(range(500)), protocol=4)[:-100], "truncated or corrupt"),
        ("garbage after a valid pickle", pickle.dumps(1, protocol=4) + b"\xff\xfe", "truncated or corrupt"),
    ],
)
def test_broken_pickles_are_problems(case: str, data: bytes, problem: str) -> None:
    found = _inspect("model.pkl", data)
    assert any(problem in p for p in found.problems), found.problems


def test_a_truncated_pickle_still_reports_what_it_imported() -> None:
    data = reduce_pickle(os.system, "id")[:-2]
    found = _inspect("model.pkl", data)
    assert found.dangerous and found.problems


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (struct.pack("<Q", 8 * 2**30) + b'{"a": 1}', "claims 8589934592 bytes (the format allows 100 MiB)"),
        (struct.pack("<Q", 4096) + b'{"a": {}}', "claims 4096 bytes; the file holds"),
        (struct.pack("<Q", 7) + b'{"a": 1', "not valid JSON"),
        (
            struct.pack("<Q", 60) + b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 999]}}'[:60],
            "",
        ),
    ],
)
def test_safetensors_headers_are_bounded(header: bytes, problem: str) -> None:
    found = _inspect("model.safetensors", header)
    assert found.problems and problem in found.problems[0]


def test_no_pickle_loading_anywhere_in_the_code() -> None:
    for path in [*(ROOT / "cspm" / "artifacts").glob("*.py"), ROOT / "providers" / "aws" / "artifacts.py"]:
        text = path.read_text()
        for banned in ("pickle.load", "pickle.Unpickler", "joblib.load", "torch.load", "np.load", "numpy.load"):
            assert banned not in text, f"{path.name} mentions {banned}"


def test_an_oversize_data_only_file_is_judged_by_its_header() -> None:
    full = safetensors()
    found = inspect_header(full[:200], "model.safetensors", size=len(full))
    assert found is not None and found.format == "safetensors" and found.problems == []
    lying = inspect_header(full[:200], "model.safetensors", size=20)  # tensors beyond the object
    assert lying is not None and lying.problems
    assert inspect_header(b"GGUF\x03\x00\x00\x00", "m.gguf", size=10**10) is not None
    assert inspect_header(reduce_pickle(os.system, "id"), "model.pkl", size=10**10) is None  # needs the whole file
