"""Rich progress bars for the pipeline (one bar per source: articles done of links found)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from scraper.models import SourceReport

__all__ = ["RichProgress"]


class RichProgress:
    """Implements :class:`scraper.pipeline.Progress` with rich bars on a console."""

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self._enabled = enabled
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<18}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self._progress.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.__exit__(exc_type, exc, tb)

    def source_started(self, source_id: str) -> None:
        self._tasks[source_id] = self._progress.add_task(source_id, total=None, note="discovering")

    def links_found(self, source_id: str, count: int) -> None:
        self._progress.update(self._tasks[source_id], total=count, note="fetching")

    def article_done(self, source_id: str, outcome: str) -> None:
        self._progress.advance(self._tasks[source_id])

    def source_finished(self, report: SourceReport) -> None:
        task = self._tasks[report.source_id]
        note = f"{report.new} new, {report.errors} errors"
        total = max(report.links_found, 1)
        self._progress.update(task, total=total, completed=total, note=note)
