"""Per-source health: catch sources that break or silently degrade.

A source is flagged when it fails N runs in a row (``failing``; a single failed run only shows
as status ``error``), is served challenge pages
(``blocked``), finds no items for longer than expected (``empty``), or its fill rate of
title/author/date/body drops sharply against its own history (``degraded:<field>``).
:func:`assess` is pure (state, history and ``now`` in, verdict out); :func:`assess_all` reads
the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import TYPE_CHECKING

from scraper.config import Config, ServeConfig, SourceConfig
from scraper.models import FillRates, SourceReport, SourceState

if TYPE_CHECKING:
    from scraper.store import Store

__all__ = ["SourceHealth", "assess", "assess_all", "fill_drops"]

#: A fill rate counts as dropped when it falls this much below the source's own median ...
DROP = 0.3
#: ... and that median was at least this high (a source that never had authors is not broken).
BASELINE = 0.6
#: Runs of history a verdict looks at.
HISTORY = 20


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """What ``scraper sources``, the status page and ``/healthz`` show for one source."""

    source_id: str
    name: str
    enabled: bool
    status: str  # "ok", "new" (never run), "disabled", "error" (last run failed), or the first flag
    flags: tuple[str, ...]
    last_run: datetime | None
    last_success: datetime | None
    next_run: datetime | None
    article_count: int
    consecutive_failures: int
    last_error: str | None
    fill: FillRates
    links_last_run: int
    new_last_run: int


def fill_drops(latest: FillRates, history: Sequence[FillRates]) -> tuple[str, ...]:
    """Fields whose fill rate fell sharply below their median over ``history``."""
    if len(history) < 2:
        return ()
    dropped = []
    for name in ("title", "author", "date", "body"):
        base = median(getattr(h, name) for h in history)
        if base >= BASELINE and base - getattr(latest, name) >= DROP:
            dropped.append(name)
    return tuple(dropped)


def _empty_for(history: Sequence[SourceReport], now: datetime) -> timedelta | None:
    """How long the source has found nothing new, when its history covers that long."""
    if not history:
        return None
    last_new = next((r.finished for r in history if r.new > 0), None)
    oldest = history[-1].started
    since = last_new or oldest
    return now - since


def assess(
    source: SourceConfig,
    state: SourceState | None,
    history: Sequence[SourceReport],
    *,
    serve: ServeConfig,
    now: datetime,
) -> SourceHealth:
    """The verdict on one source. ``history`` is newest first."""
    flags: list[str] = []
    latest = history[0] if history else None
    failures = state.consecutive_failures if state else 0
    if failures >= serve.failing_after:
        flags.append("failing")
    if latest is not None and latest.blocked and latest.blocked >= max(1, latest.fetched):
        flags.append("blocked")
    # Discovery leaves out URLs it already knows, so zero links is only suspicious for a source
    # that never stored anything (a broken selector on a known source shows as an error).
    article_count = state.article_count if state else 0
    if latest is not None and latest.ok and latest.links_found == 0 and article_count == 0:
        flags.append("no-links")
    empty = _empty_for(history, now)
    if empty is not None and empty > timedelta(days=serve.empty_after_days):
        flags.append("empty")
    if latest is not None and latest.fetched:
        previous = [r.fill for r in history[1:] if r.fetched]
        flags.extend(f"degraded:{name}" for name in fill_drops(latest.fill, previous))
    if not source.enabled:
        status = "disabled"
    elif latest is None and (state is None or state.last_run is None):
        status = "new"
    elif flags:
        status = flags[0].split(":")[0]
    else:
        # a failed last run shows, but flags (and /healthz) wait for failing_after in a row
        status = "error" if latest is not None and not latest.ok else "ok"
    return SourceHealth(
        source_id=source.id,
        name=source.name,
        enabled=source.enabled,
        status=status,
        flags=tuple(flags),
        last_run=state.last_run if state else None,
        last_success=state.last_success if state else None,
        next_run=state.next_run if state else None,
        article_count=state.article_count if state else 0,
        consecutive_failures=failures,
        last_error=state.last_error if state else None,
        fill=latest.fill if latest else FillRates(),
        links_last_run=latest.links_found if latest else 0,
        new_last_run=latest.new if latest else 0,
    )


def assess_all(config: Config, store: Store, *, now: datetime) -> list[SourceHealth]:
    """Health of every configured source, in config order."""
    states = {s.source_id: s for s in store.source_states()}
    return [
        assess(
            src,
            states.get(src.id),
            store.recent_reports(src.id, limit=HISTORY),
            serve=config.serve,
            now=now,
        )
        for src in config.sources
    ]
