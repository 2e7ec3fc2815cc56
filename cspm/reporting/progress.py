"""A progress bar on stderr while collecting: only when stderr is a terminal and not --quiet."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cspm.reporting.safe import safe_text


class RichProgress:
    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]collecting[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}", markup=False),  # a unit label names an account
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("", total=None)

    def start(self, total: int) -> None:
        self._progress.update(self._task, total=total)
        self._progress.start()

    def advance(self, label: str) -> None:
        self._progress.update(self._task, advance=1, description=safe_text(label))

    def stop(self) -> None:
        self._progress.stop()


@contextmanager
def progress_for(*, quiet: bool) -> Iterator[RichProgress | None]:
    if quiet or not sys.stderr.isatty():
        yield None
        return
    progress = RichProgress(Console(stderr=True, emoji=False))
    try:
        yield progress
    finally:
        progress.stop()
