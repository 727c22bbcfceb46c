"""What the service's jobs do, one call each: a source run, a feeds build, a digest, a reload check.

Each job takes what it works on (configuration, store, fetcher, metrics, the clock) and returns
what the service keeps; none of them knows about the scheduler, the signals or the other jobs
(:mod:`scraper.service.core` decides when they run and that they do not overlap). Failures a
job can survive are logged here, as one event line each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime

from feeds.mailer import send_due
from feeds.period import due_period
from feeds.publish import BuildReport, build_all
from scraper.config import Config, SourceConfig
from scraper.errors import ConfigError, ScraperError
from scraper.fetch import Fetcher
from scraper.logs import event
from scraper.metrics import ServiceMetrics
from scraper.models import SaveAction, SourceReport
from scraper.pipeline import DedupIndex, scrape_source, tag_names
from scraper.scheduling import digest_needed, next_run_after, parse_schedule, schedule_for
from scraper.store import SENDING_STALE_AFTER, Store

__all__ = [
    "Progress",
    "build_feeds",
    "check_reloadable",
    "digest_wanted",
    "scrape",
    "send_digest",
]


class Progress:
    """Pipeline progress turned into metrics (fetch outcomes, stored articles)."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self.metrics = metrics

    def source_started(self, source_id: str) -> None:
        pass

    def links_found(self, source_id: str, count: int) -> None:
        pass

    def article_done(self, source_id: str, outcome: str) -> None:
        saved = outcome in {a.value for a in SaveAction}
        self.metrics.fetches.inc(source=source_id, status="ok" if saved else outcome)
        if outcome in {SaveAction.NEW.value, SaveAction.UPDATED.value}:
            self.metrics.articles.inc(source=source_id, action=outcome)

    def source_finished(self, report: SourceReport) -> None:
        pass


async def scrape(
    src: SourceConfig,
    *,
    config: Config,
    store: Store,
    fetcher: Fetcher,
    index: DedupIndex,
    metrics: ServiceMetrics,
    clock: Callable[[], datetime],
) -> None:
    """One run of ``src``: its ``next_run`` moves one period ahead first (a crash does not rerun
    it in a loop), then the pipeline, then ``next_run`` from the schedule with error backoff.

    Cancelled (shutdown), the source's ``next_run`` becomes *now* so it resumes after a restart.
    """
    schedule = schedule_for(src, config)
    started = clock()
    store.set_next_run(src.id, schedule.next_after(started))  # a crash: no rerun loop
    event("run.started", source=src.id, schedule=schedule.text)
    began = time.monotonic()
    try:
        report = await scrape_source(
            src,
            store=store,
            fetcher=fetcher,
            index=index,
            progress=Progress(metrics),
            clock=clock,
            tag_names=tag_names(config),
        )
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            store.set_next_run(src.id, clock())  # resume right after a restart
        event("run.cancelled", logging.WARNING, source=src.id)
        raise
    seconds = time.monotonic() - began
    state = store.source_state(src.id)
    failures = state.consecutive_failures if state else (0 if report.ok else 1)
    cap = config.serve.error_backoff_max_hours
    next_run = next_run_after(schedule, report.finished, failures, cap_hours=cap)
    store.set_next_run(src.id, next_run)
    metrics.runs.inc(source=src.id, result="success" if report.ok else "failure")
    metrics.run_seconds.observe(seconds, source=src.id)
    event(
        "run.finished",
        logging.INFO if report.ok else logging.WARNING,
        source=src.id,
        ok=report.ok,
        links=report.links_found,
        fetched=report.fetched,
        new=report.new,
        updated=report.updated,
        errors=report.errors,
        blocked=report.blocked,
        seconds=round(seconds, 3),
        failures=failures,
        next_run=next_run,
        first_error=report.error_messages[0] if report.error_messages else None,
    )


async def build_feeds(
    store: Store, config: Config, metrics: ServiceMetrics, now: datetime
) -> BuildReport | None:
    """Build every feed once (in a thread, files written whole); ``None`` when it failed."""
    began = time.monotonic()
    try:
        report = await asyncio.to_thread(build_all, store, config, now=now)
    except ScraperError as e:
        metrics.feed_builds.inc(result="error")
        event("feeds.failed", logging.ERROR, error=e.one_line())
        return None
    except Exception as e:
        metrics.feed_builds.inc(result="error")
        event("feeds.failed", logging.ERROR, error=f"{type(e).__name__}: {e}")
        return None
    metrics.feed_builds.inc(result="ok")
    event(
        "feeds.built",
        feeds=len(report.feeds),
        written=len(report.written),
        removed=len(report.removed),
        refreshed=report.refreshed,
        seconds=round(time.monotonic() - began, 3),
    )
    if report.refresh_error:  # the feeds are fine; the next build tries again
        event("feeds.bodies_not_refreshed", logging.WARNING, error=report.refresh_error)
    return report


def digest_wanted(config: Config, store: Store, now: datetime) -> bool:
    """Whether the ledger says a digest delivery is due (or one is still open)."""
    if not config.digest.enabled or not config.subscribers:
        return False
    due = due_period(now, config.digest)
    return digest_needed(
        due_period=due,
        subscribers=[s.email for s in config.subscribers],
        unsubscribed=store.unsubscribed(),
        due_rows=store.ledger_rows(period=due),
        open_rows=store.ledger_rows(states=["pending", "sending"]),
        now=now,
        stale_after=SENDING_STALE_AFTER,
    )


async def send_digest(config: Config, store: Store, metrics: ServiceMetrics, now: datetime) -> bool:
    """Send what the ledger says is due; ``True`` when deliveries were worked on (``False``:
    nothing due, or the attempt failed and was logged)."""
    try:
        if not digest_wanted(config, store, now):
            return False
        event("digest.started", period=due_period(now, config.digest))
        results = await send_due(store, config, now=now)
    except ScraperError as e:
        event("digest.failed", logging.ERROR, error=e.one_line())
        return False
    except Exception as e:
        event("digest.failed", logging.ERROR, error=f"{type(e).__name__}: {e}")
        return False
    sent = sum(1 for r in results if r.sent_now)
    metrics.digests_sent.inc(sent)
    for r in results:
        metrics.deliveries.inc(state=r.state)
        if r.error and r.state in {"pending", "failed"}:
            event("digest.delivery", logging.WARNING, period=r.period, state=r.state,
                  error=r.error)  # fmt: skip
    states = sorted({r.state for r in results})
    event("digest.finished", sent=sent, deliveries=len(results), states=states)
    return True


def check_reloadable(new: Config, current: Config) -> None:
    """Raise :class:`ConfigError` when ``new`` cannot replace ``current`` in a running service."""
    if new.database_url != current.database_url:
        raise ConfigError(
            "database_url cannot change while the service runs",
            hint="restart `scraper serve` to move to another database",
        )
    for src in new.sources:
        parse_schedule(src.schedule or new.serve.default_schedule)
