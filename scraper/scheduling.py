"""What is due, and when next: the pure core of ``scraper serve``'s scheduler.

The service's timer wakes a dispatcher every few seconds; the dispatcher asks this module,
with the sources' states from the database and an explicit ``now``, which sources are due.
Nothing here reads the clock or the database, so a restart decides exactly as the previous
process would have, and tests can walk through days in microseconds.

Schedules are ``every 6h`` / ``every 30m`` / ``every 2s`` / ``every 1d`` (an interval counted
from the end of the previous run) or a 5-field cron expression (evaluated in UTC). After a
failed run the next one waits longer: the schedule's own period doubled per failure in a row,
at most ``error_backoff_max_hours``, never earlier than the schedule itself would run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from scraper.config import Config, SourceConfig
from scraper.models import LedgerRow, SourceState

__all__ = [
    "MAX_TICK",
    "MIN_TICK",
    "Schedule",
    "backoff",
    "digest_needed",
    "due_sources",
    "next_due",
    "next_run_after",
    "parse_schedule",
    "schedule_for",
    "tick_seconds",
]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EVERY = re.compile(r"^every\s+(\d+)\s*([smhd])$")
#: The dispatcher never sleeps longer than this (a due source waits at most this long) ...
MAX_TICK = 5.0
#: ... nor wakes more often than this.
MIN_TICK = 0.5


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed schedule: an interval (``every``) or a cron expression (``cron``, UTC)."""

    text: str
    every: timedelta | None = None
    cron: str | None = None

    def next_after(self, when: datetime) -> datetime:
        """The first time strictly after ``when`` this schedule wants a run."""
        _aware(when)
        if self.every is not None:
            return when + self.every
        assert self.cron is not None
        trigger = CronTrigger.from_crontab(self.cron, timezone="UTC")
        fire = trigger.get_next_fire_time(None, when + timedelta(microseconds=1))
        if fire is None:  # pragma: no cover - a 5-field crontab always fires again
            raise ValueError(f"cron expression {self.cron!r} never fires")
        result: datetime = fire.astimezone(UTC)
        return result

    def period(self, around: datetime) -> timedelta:
        """The schedule's nominal gap between runs (for cron: between the next two fires)."""
        if self.every is not None:
            return self.every
        first = self.next_after(around)
        return self.next_after(first) - first


def _aware(when: datetime) -> None:
    if when.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")


def parse_schedule(text: str) -> Schedule:
    """``every 6h`` (s/m/h/d) or a 5-field cron expression; ``ValueError`` otherwise."""
    value = " ".join(text.split()).lower()
    match = _EVERY.match(value)
    if match:
        amount = int(match.group(1))
        if amount <= 0:
            raise ValueError(f"{text!r}: the interval must be positive")
        return Schedule(text=text, every=timedelta(seconds=amount * _UNITS[match.group(2)]))
    if len(value.split()) != 5:
        raise ValueError(f"{text!r}: use 'every 6h' (s/m/h/d) or a 5-field cron expression")
    CronTrigger.from_crontab(value, timezone="UTC")  # raises ValueError when invalid
    return Schedule(text=text, cron=value)


def schedule_for(source: SourceConfig, config: Config) -> Schedule:
    """The source's own schedule, else ``serve.default_schedule``."""
    return parse_schedule(source.schedule or config.serve.default_schedule)


def backoff(schedule: Schedule, failures: int, *, around: datetime, cap_hours: float) -> timedelta:
    """Wait after ``failures`` failed runs in a row: the period doubled per failure, capped.

    The cap never shortens a schedule's own period (a weekly source stays weekly).
    """
    period = schedule.period(around)
    if failures <= 0:
        return period
    exponent = min(failures - 1, 60)  # float seconds: no overflow, any cap is reached first
    grown = min(period.total_seconds() * float(1 << exponent), cap_hours * 3600.0)
    return max(period, timedelta(seconds=grown))


def next_run_after(
    schedule: Schedule, finished: datetime, failures: int, *, cap_hours: float
) -> datetime:
    """When a source should run next, given when its last run ended and how it went."""
    _aware(finished)
    normal = schedule.next_after(finished)
    if failures <= 0:
        return normal
    waited = finished + backoff(schedule, failures, around=finished, cap_hours=cap_hours)
    return max(normal, waited)


def next_due(
    state: SourceState | None, schedule: Schedule, *, now: datetime, cap_hours: float
) -> datetime:
    """When the source is due: its stored ``next_run``; else computed from its last run
    (a run made by ``scraper scrape`` stores none); a source never run is due ``now``."""
    _aware(now)
    if state is None:
        return now
    if state.next_run is not None:
        return state.next_run
    if state.last_run is None:
        return now
    return next_run_after(schedule, state.last_run, state.consecutive_failures, cap_hours=cap_hours)


def due_sources(
    config: Config,
    states: Iterable[SourceState],
    *,
    now: datetime,
    running: Iterable[str] = (),
) -> list[SourceConfig]:
    """Enabled sources whose time has come and that are not running, most overdue first."""
    by_id = {s.source_id: s for s in states}
    busy = set(running)
    cap = config.serve.error_backoff_max_hours
    due: list[tuple[datetime, int, SourceConfig]] = []
    for order, src in enumerate(config.sources):
        if not src.enabled or src.id in busy:
            continue
        when = next_due(by_id.get(src.id), schedule_for(src, config), now=now, cap_hours=cap)
        if when <= now:
            due.append((when, order, src))
    due.sort(key=lambda item: (item[0], item[1]))
    return [src for _, _, src in due]


def tick_seconds(schedules: Sequence[Schedule], *, around: datetime) -> float:
    """How often the dispatcher wakes: a quarter of the shortest period, within limits."""
    if not schedules:
        return MAX_TICK
    shortest = min(s.period(around).total_seconds() for s in schedules)
    return max(MIN_TICK, min(MAX_TICK, shortest / 4))


def digest_needed(
    *,
    due_period: str,
    subscribers: Iterable[str],
    unsubscribed: Iterable[str],
    due_rows: Iterable[LedgerRow],
    open_rows: Iterable[LedgerRow],
    now: datetime,
    stale_after: float,
) -> bool:
    """Whether ``send_due`` has work: a subscriber without a row for the due period, or an
    open row (``pending`` whose retry time has come, ``sending`` gone stale) of a period up
    to the due one. Decided from the ledger only, so a restart neither skips nor repeats."""
    _aware(now)
    gone = {e.lower() for e in unsubscribed}
    wanted = {e.lower() for e in subscribers} - gone
    have = {r.subscriber.lower() for r in due_rows}
    if wanted - have:
        return True
    for row in open_rows:
        if row.period > due_period:
            continue
        if row.state == "pending" and (row.next_try is None or row.next_try <= now):
            return True
        if row.state == "sending" and row.updated + timedelta(seconds=stale_after) <= now:
            return True
    return False
