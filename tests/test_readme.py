"""The README walk (issue 18): every ``cspm`` command in the README's shell blocks runs without an
error on the demo's report, in a directory laid out as after ``make demo`` (``./cspm-output/``
holds the combined report, written by the ``demo_report_dir`` fixture's real ``cspm demo``).
Commands that need a real cloud account, and ``cspm demo --serve`` (tests/test_demo_serve.py runs
it), are in SKIPPED; those must still parse, values included. Exit 0 is expected of each."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest

from cspm.cli import command, main

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
# The first words of the commands not run here, and why.
SKIPPED = {
    ("scan", "aws"): "needs a real AWS account",
    ("scan", "azure"): "needs a real Azure subscription",
    ("scan", "gcp"): "needs a real Google Cloud project",
    ("demo", "--serve"): "serves until Ctrl-C; tests/test_demo_serve.py runs it",
}


def readme_commands(text: str) -> list[tuple[list[str], str | None]]:
    """(``cspm`` arguments, stdout redirect target) of each ``cspm`` line of the ```sh blocks;
    a pipe's later stages and trailing comments are left out."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line.split("|")[0], comments=True)
            if not words or words[0] != "cspm":
                continue
            target = None
            if ">" in words:
                at = words.index(">")
                words, target = words[:at], words[at + 1]
            commands.append((words[1:], target))
    return commands


COMMANDS = readme_commands(README.read_text(encoding="utf-8"))


def _skipped(args: list[str]) -> str | None:
    return next((why for first, why in SKIPPED.items() if tuple(args[: len(first)]) == first), None)


def test_the_readme_walk_covers_every_command() -> None:
    """Each command group the README's table lists has a runnable example (or an explicit skip)."""
    walked = {args[0] for args, _ in COMMANDS}
    assert walked >= {"scan", "demo", "compliance", "lineage", "diff", "checks", "permissions", "policy", "history"}
    assert {tuple(args[:2]) for args, _ in COMMANDS if _skipped(args)} == set(SKIPPED)


@pytest.fixture
def after_make_demo(demo_report_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(demo_report_dir, tmp_path / "cspm-output")
    monkeypatch.chdir(tmp_path)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):  # the user's own config and history stay out
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.delenv("CSPM_STORE", raising=False)
    return tmp_path


def test_every_readme_command_runs_on_the_demo_report(
    after_make_demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = 0
    for args, target in COMMANDS:
        if _skipped(args):
            continue
        code = main(list(args))
        captured = capsys.readouterr()
        assert code == 0, (args, captured.err)
        if target:
            (after_make_demo / target).write_text(captured.out, encoding="utf-8")
        ran += 1
    assert ran >= 9
    assert (after_make_demo / "lineage.mmd").read_text(encoding="utf-8").startswith("flowchart")


@pytest.mark.parametrize(
    "args", [a for a, _ in COMMANDS if _skipped(a)], ids=lambda a: " ".join(a) if isinstance(a, list) else ""
)
def test_skipped_commands_still_parse(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*args, "--help"]) == 0
    assert capsys.readouterr().out.startswith("Usage: ")
    cmd: Any = command()
    path = [a for a in args if not a.startswith("-")][:2] if args[0] == "scan" else args[:1]
    for name in path:
        cmd = cmd.commands[name]
    cmd.make_context(" ".join(path), list(args[len(path) :]))  # names and values are valid; nothing runs
