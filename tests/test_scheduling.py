"""The pure scheduling core: schedules, due sources, error backoff, digest due-ness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scraper.config import Config, ServeConfig, SourceConfig
from scraper.models import LedgerRow, SourceState
from scraper.scheduling import (
    MAX_TICK,
    MIN_TICK,
    backoff,
    digest_needed,
    due_sources,
    next_due,
    next_run_after,
    parse_schedule,
    schedule_for,
    tick_seconds,
)

NOW = datetime(2025, 7, 14, 9, 0, tzinfo=UTC)  # a Monday


def _src(sid: str, schedule: str | None = None, *, enabled: bool = True) -> SourceConfig:
    return SourceConfig(
        id=sid,
        name=sid.title(),
        homepage=f"https://{sid}.example/",
        feeds=[f"https://{sid}.example/feed"],
        schedule=schedule,
        enabled=enabled,
    )


def _state(
    sid: str,
    *,
    last_run: datetime | None = None,
    next_run: datetime | None = None,
    failures: int = 0,
) -> SourceState:
    return SourceState(
        source_id=sid,
        name=sid,
        last_run=last_run,
        last_success=last_run if not failures else None,
        next_run=next_run,
        consecutive_failures=failures,
        last_error="boom" if failures else None,
        article_count=0,
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("every 6h", 21600), ("every 30m", 1800), ("every 2s", 2), ("every 1d", 86400)],
)
def test_intervals(text: str, seconds: int) -> None:
    schedule = parse_schedule(text)
    assert schedule.every == timedelta(seconds=seconds)
    assert schedule.next_after(NOW) == NOW + timedelta(seconds=seconds)


def test_cron_next_fire_is_strictly_after() -> None:
    schedule = parse_schedule("0 7 * * mon")
    assert schedule.next_after(NOW) == datetime(2025, 7, 21, 7, 0, tzinfo=UTC)
    at_fire = datetime(2025, 7, 21, 7, 0, tzinfo=UTC)
    assert schedule.next_after(at_fire) == datetime(2025, 7, 28, 7, 0, tzinfo=UTC)
    assert schedule.period(NOW) == timedelta(days=7)


@pytest.mark.parametrize("text", ["every 0h", "every 5y", "hourly", "* * *", "61 * * * *"])
def test_bad_schedules_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(text)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_schedule("every 1h").next_after(datetime(2025, 1, 1))


def test_backoff_doubles_per_failure_and_stops_at_the_cap() -> None:
    hourly = parse_schedule("every 1h")
    waits = [backoff(hourly, n, around=NOW, cap_hours=6).total_seconds() / 3600 for n in range(7)]
    assert waits == [1, 1, 2, 4, 6, 6, 6]
    # the cap never shortens the schedule itself: a weekly source stays weekly
    weekly = parse_schedule("every 7d")
    assert backoff(weekly, 5, around=NOW, cap_hours=24) == timedelta(days=7)
    # a huge failure count does not overflow
    assert backoff(hourly, 10_000, around=NOW, cap_hours=24) == timedelta(hours=24)


def test_next_run_after_success_and_failure() -> None:
    every = parse_schedule("every 2h")
    assert next_run_after(every, NOW, 0, cap_hours=24) == NOW + timedelta(hours=2)
    assert next_run_after(every, NOW, 3, cap_hours=24) == NOW + timedelta(hours=8)
    assert next_run_after(every, NOW, 30, cap_hours=24) == NOW + timedelta(hours=24)
    cron = parse_schedule("0 * * * *")  # hourly on the hour
    assert next_run_after(cron, NOW, 0, cap_hours=24) == NOW + timedelta(hours=1)
    assert next_run_after(cron, NOW, 2, cap_hours=24) == NOW + timedelta(hours=2)


def test_next_due_comes_from_the_stored_state() -> None:
    every = parse_schedule("every 6h")
    assert next_due(None, every, now=NOW, cap_hours=24) == NOW  # never seen: now
    assert next_due(_state("a"), every, now=NOW, cap_hours=24) == NOW  # never run: now
    stored = NOW + timedelta(minutes=5)
    assert next_due(_state("a", next_run=stored), every, now=NOW, cap_hours=24) == stored
    # a run made by `scraper scrape` stores no next_run: counted from the last run
    ran = NOW - timedelta(hours=1)
    assert next_due(_state("a", last_run=ran), every, now=NOW, cap_hours=24) == ran + timedelta(
        hours=6
    )
    failing = _state("a", last_run=ran, failures=2)
    assert next_due(failing, every, now=NOW, cap_hours=24) == ran + timedelta(hours=12)


def test_due_sources_skip_running_disabled_and_future_ones() -> None:
    config = Config(
        serve=ServeConfig(default_schedule="every 1h"),
        sources=[_src("a"), _src("b"), _src("c", enabled=False), _src("d"), _src("e")],
    )
    states = [
        _state("a", next_run=NOW - timedelta(minutes=1)),
        _state("b", next_run=NOW - timedelta(hours=3)),  # most overdue: first
        _state("c", next_run=NOW - timedelta(hours=9)),  # disabled
        _state("d", next_run=NOW + timedelta(seconds=1)),  # not yet
        # e: never run -> due now
    ]
    due = due_sources(config, states, now=NOW)
    assert [s.id for s in due] == ["b", "a", "e"]
    assert [s.id for s in due_sources(config, states, now=NOW, running={"b"})] == ["a", "e"]


def test_restart_does_not_rerun_what_ran_recently() -> None:
    """What is due is decided from the database: a restart sees the same next_run."""
    config = Config(sources=[_src("a", "every 6h")])
    finished = NOW - timedelta(minutes=10)
    stored = next_run_after(schedule_for(config.sources[0], config), finished, 0, cap_hours=24)
    states = [_state("a", last_run=finished, next_run=stored)]
    assert due_sources(config, states, now=NOW) == []
    assert [s.id for s in due_sources(config, states, now=stored)] == ["a"]


def test_schedule_for_uses_the_default() -> None:
    config = Config(serve=ServeConfig(default_schedule="every 30m"), sources=[_src("a")])
    assert schedule_for(config.sources[0], config).every == timedelta(minutes=30)
    own = Config(sources=[_src("a", "*/5 * * * *")])
    assert schedule_for(own.sources[0], own).cron == "*/5 * * * *"


def test_tick_follows_the_shortest_schedule_within_bounds() -> None:
    assert tick_seconds([], around=NOW) == MAX_TICK
    assert tick_seconds([parse_schedule("every 6h")], around=NOW) == MAX_TICK
    assert tick_seconds([parse_schedule("every 6h"), parse_schedule("every 4s")], around=NOW) == 1
    assert tick_seconds([parse_schedule("every 1s")], around=NOW) == MIN_TICK


def _row(sub: str, period: str, state: str, **kw: object) -> LedgerRow:
    values: dict[str, object] = {
        "id": 1,
        "subscriber": sub,
        "period": period,
        "message_id": "<m@x>",
        "state": state,
        "attempts": 0,
        "next_try": None,
        "items": 0,
        "error": None,
        "created": NOW,
        "updated": NOW,
    }
    values.update(kw)
    return LedgerRow(**values)  # type: ignore[arg-type]


def test_digest_needed_when_a_subscriber_has_no_row() -> None:
    common = {"due_period": "2025-W28", "now": NOW, "stale_after": 600.0, "open_rows": []}
    subs = ["a@x.org", "B@x.org"]
    assert digest_needed(subscribers=subs, unsubscribed=[], due_rows=[], **common)  # type: ignore[arg-type]
    rows = [_row("a@x.org", "2025-W28", "sent"), _row("b@x.org", "2025-W28", "skipped")]
    assert not digest_needed(subscribers=subs, unsubscribed=[], due_rows=rows, **common)  # type: ignore[arg-type]
    # an unsubscribed reader without a row is not a reason to send
    assert not digest_needed(
        subscribers=subs,
        unsubscribed=["b@X.org"],
        due_rows=rows[:1],
        **common,  # type: ignore[arg-type]
    )


def test_digest_needed_for_due_retries_and_stale_sends_only() -> None:
    sent = [_row("a@x.org", "2025-W28", "sent")]
    base = {
        "due_period": "2025-W28",
        "subscribers": ["a@x.org"],
        "unsubscribed": [],
        "due_rows": sent,
        "now": NOW,
        "stale_after": 600.0,
    }
    later = _row("a@x.org", "2025-W27", "pending", next_try=NOW + timedelta(minutes=5))
    now_due = _row("a@x.org", "2025-W27", "pending", next_try=NOW - timedelta(seconds=1))
    fresh = _row("a@x.org", "2025-W27", "sending", updated=NOW - timedelta(seconds=30))
    stale = _row("a@x.org", "2025-W27", "sending", updated=NOW - timedelta(seconds=601))
    future = _row("a@x.org", "2025-W29", "pending")
    assert not digest_needed(open_rows=[later, fresh, future], **base)  # type: ignore[arg-type]
    assert digest_needed(open_rows=[now_due], **base)  # type: ignore[arg-type]
    assert digest_needed(open_rows=[stale], **base)  # type: ignore[arg-type]
