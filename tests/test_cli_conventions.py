"""Conventions of the CLI's ecosystem (issue 18): -h, pipe-friendly lists, "did you mean",
one stderr line for every non-zero exit, and configuration checked before any API call."""

from __future__ import annotations

from typing import Any

import pytest
import typer

from cspm.cli import app, main


def _command_paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, sub in getattr(command, "commands", {}).items():  # a group (Typer ships its own click)
        paths.extend(_command_paths(sub, (*prefix, name)))
    return paths


COMMAND_PATHS = _command_paths(typer.main.get_command(app))


def test_every_command_is_walked() -> None:
    assert {(), ("scan", "aws"), ("checks", "list"), ("policy", "lint"), ("diff",)} <= set(COMMAND_PATHS)


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(p) or "cspm")
def test_dash_h_is_help_on_every_command(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*path, "-h"]) == 0
    short = capsys.readouterr().out
    assert main([*path, "--help"]) == 0
    assert short == capsys.readouterr().out
    assert short.startswith("Usage: ") and "-h, --help" in short
