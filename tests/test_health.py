"""Source health verdicts (pure): failing, blocked, empty, degraded fill rates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scraper.config import ServeConfig, SourceConfig
from scraper.health import assess, fill_drops
from scraper.models import FillRates, SourceReport, SourceState

NOW = datetime(2025, 7, 14, 12, 0, tzinfo=UTC)
SOURCE = SourceConfig(
    id="demo", name="Demo", homepage="https://demo.example/", feeds=["https://demo.example/f"]
)
GOOD = FillRates(title=1.0, author=0.9, date=1.0, body=1.0)


def _report(days_ago: float, *, new: int = 3, fill: FillRates = GOOD, **kw: int) -> SourceReport:
    started = NOW - timedelta(days=days_ago)
    counts = {"listing_pages": 1, "links_found": 5, "fetched": 5} | kw
    return SourceReport(
        source_id="demo",
        started=started,
        finished=started + timedelta(minutes=1),
        new=new,
        fill=fill,
        **counts,
    )


def _state(failures: int = 0) -> SourceState:
    return SourceState(
        source_id="demo",
        name="Demo",
        last_run=NOW,
        last_success=NOW,
        next_run=None,
        consecutive_failures=failures,
        last_error="boom" if failures else None,
        article_count=9,
    )


def test_never_run_is_new() -> None:
    health = assess(SOURCE, None, [], serve=ServeConfig(), now=NOW)
    assert health.status == "new"
    assert health.flags == ()


def test_healthy_source_is_ok() -> None:
    history = [_report(d) for d in (0, 1, 2)]
    health = assess(SOURCE, _state(), history, serve=ServeConfig(), now=NOW)
    assert health.status == "ok"
    assert health.article_count == 9


def test_failing_after_n_runs_in_a_row() -> None:
    serve = ServeConfig(failing_after=3)
    assert assess(SOURCE, _state(2), [_report(0)], serve=serve, now=NOW).status == "ok"
    down = [_report(0, new=0, fetched=0, links_found=0, errors=2)]
    once = assess(SOURCE, _state(1), down, serve=serve, now=NOW)
    assert once.status == "error" and once.flags == ()
    health = assess(SOURCE, _state(3), [_report(0)], serve=serve, now=NOW)
    assert health.status == "failing"
    assert health.last_error == "boom"


def test_blocked_source_is_flagged() -> None:
    history = [_report(0, new=0, fetched=0, blocked=4)]
    assert "blocked" in assess(SOURCE, _state(), history, serve=ServeConfig(), now=NOW).flags


def test_empty_for_too_long() -> None:
    history = [_report(d, new=0) for d in (0, 5, 10)] + [_report(20, new=2)]
    health = assess(SOURCE, _state(), history, serve=ServeConfig(empty_after_days=14), now=NOW)
    assert "empty" in health.flags
    recent = [_report(0, new=0), _report(3, new=1)]
    assert "empty" not in assess(SOURCE, _state(), recent, serve=ServeConfig(), now=NOW).flags


def test_silent_degradation_of_fill_rates() -> None:
    broken = FillRates(title=1.0, author=0.0, date=0.2, body=1.0)
    history = [_report(0, fill=broken)] + [_report(d) for d in (1, 2, 3)]
    health = assess(SOURCE, _state(), history, serve=ServeConfig(), now=NOW)
    assert "degraded:author" in health.flags
    assert "degraded:date" in health.flags
    assert health.status == "degraded"


def test_fill_drops_ignores_fields_a_source_never_had() -> None:
    never = FillRates(title=1.0, author=0.1, date=1.0, body=1.0)
    assert fill_drops(FillRates(title=1.0, author=0.0, date=1.0, body=1.0), [never, never]) == ()
    assert fill_drops(FillRates(), [GOOD]) == ()  # one run of history is not a baseline


def test_no_links_only_for_a_source_that_never_stored_anything() -> None:
    quiet = [_report(0, new=0, links_found=0), _report(1)]
    known = assess(SOURCE, _state(), quiet, serve=ServeConfig(), now=NOW)
    assert "no-links" not in known.flags  # all links were known already
    empty_state = SourceState(
        source_id="demo",
        name="Demo",
        last_run=NOW,
        last_success=NOW,
        next_run=None,
        consecutive_failures=0,
        last_error=None,
        article_count=0,
    )
    fresh = assess(SOURCE, empty_state, quiet, serve=ServeConfig(), now=NOW)
    assert "no-links" in fresh.flags
