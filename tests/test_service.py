"""The service loop in-process: concurrency limit, no self-overlap, lock loss, refusal."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraper.config import load_config
from scraper.errors import LockedError
from scraper.models import SourceReport
from scraper.service import LOCK_NAME, Service, _listen, _main
from scraper.store import Store
from tests._service_helpers import ThinkTank, write_config
from tests.sitesrv import SiteServer


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        yield server


def _overlaps(a: SourceReport, b: SourceReport) -> bool:
    return a.started < b.finished and b.started < a.finished


async def _run_until(service: Service, done: object, timeout: float = 20.0) -> int:
    sock = _listen("127.0.0.1", 0)
    task = asyncio.create_task(service.run(sock))
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while not done():  # type: ignore[operator]
            assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
            assert not task.done(), task
            await asyncio.sleep(0.05)
    finally:
        service.request_stop("test")
        code = await asyncio.wait_for(task, 15)
        sock.close()
    return code


@pytest.mark.parametrize("limit", [1, 2])
async def test_global_limit_on_concurrent_sources(
    site: SiteServer, tmp_path: Path, limit: int
) -> None:
    # two hosts (127.0.0.1, localhost): the fetcher alone would run them in parallel
    a = ThinkTank(site, "alpha", "Alpha", delay=0.3)
    b = ThinkTank(site, "beta", "Beta", delay=0.3, host="localhost")
    path = write_config(
        tmp_path / "c.toml",
        [a, b],
        data=tmp_path / "data",
        schedule="every 1h",
        serve={"max_concurrent_sources": limit},
    )
    config = load_config(path)
    with Store.open(config.database_url) as store:
        store.sync_sources(config.sources, datetime.now(UTC))
        service = Service(config, store, config_path=str(path), owner="t")
        code = await _run_until(
            service, lambda: store.recent_reports("alpha") and store.recent_reports("beta")
        )
        assert code == 0
        (ra,), (rb,) = store.recent_reports("alpha"), store.recent_reports("beta")
    assert ra.new == 3 and rb.new == 3
    assert _overlaps(ra, rb) is (limit == 2)


async def test_a_source_never_overlaps_itself(site: SiteServer, tmp_path: Path) -> None:
    slow = ThinkTank(site, "slow", "Slow", delay=0.4)  # a run takes > 1 s, the schedule is 1 s
    path = write_config(tmp_path / "c.toml", [slow], data=tmp_path / "data", schedule="every 1s")
    config = load_config(path)
    with Store.open(config.database_url) as store:
        store.sync_sources(config.sources, datetime.now(UTC))
        service = Service(config, store, config_path=str(path), owner="t")
        assert await _run_until(service, lambda: len(store.recent_reports("slow")) >= 2) == 0
        runs = store.recent_reports("slow")
    for i, first in enumerate(runs):
        for second in runs[i + 1 :]:
            assert not _overlaps(first, second)


async def test_losing_the_lock_stops_the_service_with_status_1(
    site: SiteServer, tmp_path: Path
) -> None:
    path = write_config(tmp_path / "c.toml", [ThinkTank(site, "a", "A")], data=tmp_path / "d")
    config = load_config(path)
    now = datetime.now(UTC)
    with Store.open(config.database_url) as store:
        assert store.acquire_lock(LOCK_NAME, "other-host:1:abc", now, 60)
        service = Service(config, store, config_path=str(path), owner="me")
        await service._heartbeat()
        assert service.exit_code == 1 and service._stop.is_set()


async def test_a_held_lock_refuses_to_start(site: SiteServer, tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.toml", [ThinkTank(site, "a", "A")], data=tmp_path / "d")
    config = load_config(path)
    with Store.open(config.database_url) as store:
        assert store.acquire_lock(LOCK_NAME, "box:42:beef", datetime.now(UTC), 60)
        with pytest.raises(LockedError, match=r"lock held by box:42:beef"):
            await _main(config, str(path), "127.0.0.1", 0)
        assert store.lock_owner(LOCK_NAME, datetime.now(UTC)) == "box:42:beef"


async def test_digest_goes_out_once_per_period_as_the_ledger_says(
    site: SiteServer, tmp_path: Path
) -> None:
    path = write_config(
        tmp_path / "c.toml",
        [ThinkTank(site, "a", "A")],
        data=tmp_path / "d",
        subscribers=["one@example.org", "two@example.org"],
    )
    config = load_config(path)
    outbox = tmp_path / "d" / "outbox"
    now = [datetime(2025, 7, 14, 8, 0, tzinfo=UTC)]  # Monday, an hour after 07:00 UTC

    def sent() -> int:
        return len(list(outbox.rglob("*.eml")))

    with Store.open(config.database_url) as store:
        service = Service(config, store, config_path=str(path), owner="t", clock=lambda: now[0])
        await service._wake_digest()
        assert service._digest_task is not None
        await service._digest_task
        assert sent() == 2 and service.metrics.digests_sent.value() == 2
        await service._digest()  # woken again: the ledger says nothing is due
        assert sent() == 2
        restarted = Service(config, store, config_path=str(path), owner="t", clock=lambda: now[0])
        await restarted._digest()  # a restart neither loses nor repeats
        assert sent() == 2 and restarted.metrics.digests_sent.value() == 0
        now[0] = datetime(2025, 7, 21, 6, 59, tzinfo=UTC)  # a minute before next week's time
        await restarted._digest()
        assert sent() == 2
        now[0] = datetime(2025, 7, 23, 12, 0, tzinfo=UTC)  # two days of downtime later
        await restarted._digest()
        assert sent() == 4
        periods = sorted({(r.period, r.state) for r in store.ledger_rows()})
    assert periods == [("2025-W28", "sent"), ("2025-W29", "sent")]


async def test_a_build_that_cannot_keep_refreshed_bodies_is_logged_not_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The service's feed job: the feeds are built; the store refusing the refreshed bodies
    is one warning event (the next build tries again)."""
    import logging

    from feeds.publish import BodyStore
    from scraper.errors import StoreError
    from scraper.metrics import ServiceMetrics
    from scraper.service import jobs
    from tests._feeds_helpers import config as feeds_config
    from tests._feeds_helpers import replace, sample_articles, save_stored

    def locked(refreshed: object) -> int:
        raise StoreError("database error in refresh_bodies: database is locked")

    config = feeds_config(str(tmp_path / "feeds"))
    with Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as store:
        save_stored(store, [replace(a, body_policy=None) for a in sample_articles()])
        assert isinstance(store, BodyStore)
        monkeypatch.setattr(store, "refresh_bodies", locked)
        metrics = ServiceMetrics()
        with caplog.at_level(logging.INFO):
            report = await jobs.build_feeds(store, config, metrics, datetime.now(UTC))
    assert report is not None and report.written and report.refreshed == 0
    events = {r.getMessage(): r for r in caplog.records}
    assert "feeds.built" in events
    warning = events["feeds.bodies_not_refreshed"]
    assert warning.levelno == logging.WARNING
    assert "database is locked" in str(warning.__dict__["fields"]["error"])
