"""Progress bars for long steps (rich), silent when not wanted."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class Reporter:
    """Shows one progress bar per step on ``console``; ``quiet`` turns them off."""

    def __init__(self, console: Console | None = None, quiet: bool = False):
        self.console = console or Console(stderr=True)
        self.quiet = quiet

    @contextmanager
    def step(self, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        """A bar for ``description``; the block gets ``advance(n)``."""
        if self.quiet:
            yield _ignore
            return
        columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
        with Progress(*columns, console=self.console, transient=False) as progress:
            task = progress.add_task(description, total=total)
            yield partial(progress.advance, task)
            progress.update(task, completed=total if total is not None else 1, total=total or 1)


def _ignore(n: int = 1) -> None:
    """The ``advance`` of a quiet step: nothing to show."""
