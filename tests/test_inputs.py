"""Reading untrusted input documents: regular files under a cap, strict UTF-8, bounded JSON."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from cspm.errors import UsageError
from cspm.inputs import MAX_DEPTH, InputError, one_line, parse_json, read_input


def test_a_regular_file_is_read_and_a_bom_dropped(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(b"\xef\xbb\xbf{}")
    assert read_input(path, "policy") == "{}"
    link = tmp_path / "link.json"
    link.symlink_to(path)
    assert read_input(link, "policy") == "{}"  # symlinks are followed


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: "/dev/zero", "/dev/zero: cannot read policy: a character device, not a regular file"),
        (str, "cannot read policy: a directory, not a regular file"),
        (lambda p: str(p / "missing.json"), "missing.json: cannot read policy: No such file or directory"),
    ],
    ids=["dev-zero", "directory", "missing"],
)
def test_non_regular_and_missing_files_are_refused(tmp_path: Path, make: object, message: str) -> None:
    with pytest.raises(InputError) as info:
        read_input(make(tmp_path), "policy")  # type: ignore[operator]
    assert message in str(info.value) and isinstance(info.value, UsageError) and info.value.exit_code == 2


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    result: list[BaseException] = []

    def read() -> None:
        try:
            read_input(fifo, "mutelist")
        except InputError as exc:
            result.append(exc)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()  # refused from the stat: no open that would block on a FIFO
    assert len(result) == 1 and "a FIFO, not a regular file" in str(result[0])


def test_the_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text("[" + "0," * 600 + "0]")
    assert read_input(path, "report", cap=2000).startswith("[0,")
    with pytest.raises(InputError, match=r"big\.json: the report is 1,203 bytes, over the 1,000 bytes limit"):
        read_input(path, "report", cap=1000)


def test_bad_utf8_names_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"mutes:\n  - reason: caf\xe9\n")
    with pytest.raises(InputError, match=r"bad\.yaml:2:16: not UTF-8 text \(byte 0xe9\)"):
        read_input(path, "mutelist")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 200_000, f"x.json:1:{MAX_DEPTH + 1}: nested deeper than {MAX_DEPTH} levels"),
        ('{"a": [{"b": ' * 60, "x.json:1:436: nested deeper than 100 levels"),  # 3 levels a unit: the 34th
        ('{"a":\n  NaN}', "x.json:2:3: NaN is not JSON"),
        ("[1, -Infinity]", "x.json:1:5: -Infinity is not JSON"),
        ('{"Version": ' + "1" * 100_000 + "}", "x.json:1:13: a number of 100,000 characters (the limit is 100)"),
        ("[0.5, 1e999]", "x.json:1:7: 1e999 is out of range for a JSON number"),
        ("[1." + "0" * 200 + "]", "x.json:1:2: a number of 202 characters"),
        ('["\\ud800 alone"]', "x.json:1:3: a string holds a lone UTF-16 surrogate escape"),
        ('{"a": 1,,}', "x.json:1:9: not valid JSON: Expecting property name enclosed in double quotes"),
        ("", "x.json:1:1: not valid JSON: Expecting value"),
    ],
    ids=[
        "deep-arrays",
        "deep-objects",
        "nan",
        "infinity",
        "huge-int",
        "overflow",
        "long-float",
        "surrogate",
        "syntax",
        "empty",
    ],
)
def test_parse_json_refuses_with_the_location(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_json(text, "x.json")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_parse_json_accepts_what_json_means() -> None:
    deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_json(deep, "x") == json.loads(deep)
    assert parse_json('{"s": "[[[[ not nesting", "e": "\\ud83d\\ude00", "n": -12.5e3, "i": 1234567890123}', "x") == {
        "s": "[[[[ not nesting",
        "e": "😀",
        "n": -12500.0,
        "i": 1234567890123,
    }
    assert parse_json('{"k": 1, "k": 2}', "x") == {"k": 2}  # as json does; policy lint reports duplicates


def test_one_line_escapes_controls_and_cuts() -> None:
    assert one_line("a\nb\x1b[31m") == "a\\nb\\x1b[31m"
    assert one_line("x" * 500, 10) == "x" * 9 + "…"
