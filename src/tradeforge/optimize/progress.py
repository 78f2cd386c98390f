"""A progress bar for searches: done of total, trials per second, elapsed time and ETA.

Drawn with ``rich.progress`` on stderr (so ``--json`` output on stdout stays clean), only when
asked or, by default, when stderr is a terminal. Points a resumed search finds already done
count as done from the start without inflating the speed, so the ETA reflects new work.
"""

from __future__ import annotations

from typing import Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class SearchProgress:
    """The progress of one search.

    Parameters
    ----------
    total : int
        Trials in the search.
    description : str
        Shown before the bar (``grid SmaCross``).
    enabled : bool, optional
        Draw it; default: when stderr is a terminal.
    done : int
        Trials already done (a resumed search).
    """

    def __init__(
        self, total: int, description: str, enabled: bool | None = None, done: int = 0
    ) -> None:
        console = Console(stderr=True)
        self.enabled = console.is_terminal if enabled is None else enabled
        self.completed = done
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console,
            )
            self._task = self._progress.add_task(description, total=total, completed=done, rate="")

    def advance(self, count: int = 1) -> None:
        """``count`` more trials finished."""
        self.completed += count
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, count)
            speed = self._progress.tasks[0].speed
            rate = f"{speed:,.1f} trials/s" if speed else ""
            self._progress.update(self._task, rate=rate)

    def grow(self, total: int) -> None:
        """Set a new total (a model-based search that had to ask again)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, total=total)

    def __enter__(self) -> Self:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()
