"""The CLI's command tree, for tests that walk every command: import as ``support.cli``."""

from __future__ import annotations

from typing import Any

from cspm.cli import command


def command_tree(cmd: Any = None, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """(path, click command) of ``cspm`` and of every group and command under it, depth first."""
    cmd = command() if cmd is None else cmd
    found = [(path, cmd)]
    for name, sub in getattr(cmd, "commands", {}).items():  # a group (Typer ships its own click)
        found.extend(command_tree(sub, (*path, name)))
    return found
