"""Digest periods: ISO weeks in the digest's time zone, keyed ``2025-W28``.

A period runs from Monday 00:00 local time to the next Monday 00:00 local time, so a week that
contains a DST change is 167 or 169 hours long but still has exactly one key. When a zone skips
local midnight (Asia/Tehran before 2023, Asia/Beirut...), the period starts at the first instant
that exists on that Monday.

**Which week does a digest cover?** The most recent *completed* week whose send time has passed.
The send time of week ``W`` is the configured weekday and time (``digest.weekday`` /
``digest.time`` in ``digest.timezone``) of the week *after* ``W``: with the default Monday 07:00,
the digest sent on Monday 2025-07-14 covers Monday 2025-07-07 .. Sunday 2025-07-13 (2025-W28).
A Friday 17:00 schedule sends, on Friday of week ``W+1``, the whole of week ``W``; never a
partial week.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from scraper.config import DigestConfig

__all__ = [
    "WEEKDAYS",
    "due_period",
    "next_period",
    "parse_period",
    "period_bounds",
    "period_for",
    "periods_between",
    "send_time",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PERIOD_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def _key(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year:04d}-W{week:02d}"


def parse_period(period: str) -> date:
    """The Monday of ``period`` (``2025-W28``); ``ValueError`` for anything else."""
    m = _PERIOD_RE.match(period)
    if not m:
        raise ValueError(f"not a period key {period!r} (use e.g. 2025-W28)")
    try:
        return date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError as e:
        raise ValueError(f"no such ISO week {period!r}") from e


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone`` (normalised when midnight does not exist)."""
    naive = datetime.combine(day, dtime(0), tzinfo=zone)
    return naive.astimezone(UTC).astimezone(zone)


def period_for(now: datetime, tz: ZoneInfo | str) -> str:
    """The key of the ISO week that contains the instant ``now`` in time zone ``tz``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(_zone(tz))
    return _key(local.date())


def period_bounds(period: str, tz: ZoneInfo | str) -> tuple[datetime, datetime]:
    """``(start, end)`` of ``period``: Monday 00:00 local, inclusive, to the next, exclusive."""
    zone = _zone(tz)
    monday = parse_period(period)
    return _local_midnight(monday, zone), _local_midnight(monday + timedelta(days=7), zone)


def next_period(period: str, step: int = 1) -> str:
    """The key ``step`` weeks after ``period`` (negative: before)."""
    return _key(parse_period(period) + timedelta(weeks=step))


def periods_between(after: str, upto: str) -> list[str]:
    """Keys strictly after ``after`` up to and including ``upto`` (empty when none)."""
    first, last = parse_period(after), parse_period(upto)
    weeks = (last - first).days // 7
    return [_key(first + timedelta(weeks=i)) for i in range(1, weeks + 1)]


def send_time(period: str, config: DigestConfig) -> datetime:
    """When the digest of ``period`` is due: the configured weekday/time of the next week."""
    zone = ZoneInfo(config.timezone)
    day = parse_period(period) + timedelta(days=7 + WEEKDAYS.index(config.weekday))
    hour, minute = (int(part) for part in config.time.split(":"))
    naive = datetime.combine(day, dtime(hour, minute), tzinfo=zone)
    return naive.astimezone(UTC).astimezone(zone)  # a skipped local time moves forward


def due_period(now: datetime, config: DigestConfig) -> str:
    """The most recent completed period whose send time is at or before ``now``."""
    current = period_for(now, config.timezone)
    previous = next_period(current, -1)
    if send_time(previous, config) <= now:
        return previous
    return next_period(current, -2)
