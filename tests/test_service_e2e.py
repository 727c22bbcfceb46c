"""``scraper serve`` end to end: a real subprocess, a local think-tank site, a local SMTP server.

Schedules are seconds long (``every 2s``), so a few seconds of wall clock cover many runs.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest

from scraper.store import Store
from tests._service_helpers import ThinkTank, serving, start_serve, wait_until, write_config
from tests._smtp_helpers import Mailbox, smtp_server
from tests.sitesrv import SiteServer

pytestmark = pytest.mark.slow


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        yield server


def _entries(served_get: object, path: str) -> list[str]:
    response = served_get(path)  # type: ignore[operator]
    assert response.status_code == 200, path
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [e.title for e in parsed.entries]


def _page_hits(site: SiteServer, source_id: str) -> int:
    return sum(1 for p in site.paths() if p.startswith(f"/{source_id}/p/"))


def _failing(health: dict[str, Any]) -> list[str]:
    """Sources flagged ``failing``. (Other flags are not asserted on here: ``no-links`` fires
    on every run that finds no *new* link, see the report on scraper/health.py.)"""
    return [s["id"] for s in health["sources"] if "failing" in s["flags"]]


def test_serve_scrapes_publishes_mails_degrades_and_restarts(
    site: SiteServer, tmp_path: Path
) -> None:
    alpha = ThinkTank(site, "alpha", "Alpha Institute")
    beta = ThinkTank(site, "beta", "Beta Centre")
    slow = ThinkTank(site, "gamma", "Gamma Forum")  # hourly: the restart must not refetch it
    box = Mailbox()
    data = tmp_path / "data"
    with smtp_server(box) as smtp_port:
        config = write_config(
            tmp_path / "config.toml",
            [alpha, beta, slow],
            data=data,
            schedules={"gamma": "every 1h"},
            smtp_port=smtp_port,
            subscribers=["reader@example.org"],
        )
        with serving(config, cwd=tmp_path) as served:
            # 1. every source is scraped on its schedule; feeds appear
            wait_until(lambda: all(s["articles"] >= 3 for s in served.health()["sources"]))
            titles = wait_until(
                lambda: len(t := _entries(served.get, "/feeds/all.atom")) >= 9 and t
            )
            assert alpha.title(1) in titles and slow.title(3) in titles
            health = served.health()
            assert health["status"] in {"ok", "degraded"}  # see _failing()
            assert not _failing(health)
            # 2. feeds update when a site publishes
            new = alpha.publish()
            wait_until(
                lambda: alpha.title(new) in _entries(served.get, "/feeds/sources/alpha.atom")
            )
            hits_alpha = alpha.feed_hits()
            assert hits_alpha >= 2  # scraped again on schedule
            assert slow.feed_hits() == 1  # hourly source: once
            # 3. a digest is delivered once
            wait_until(lambda: box.count() == 1)
            assert box.received[0].recipients == ["reader@example.org"]
            # 4. a failing site turns /healthz degraded (failing_after = 2), HTTP stays 200
            beta.fail = True
            health = wait_until(lambda: _failing(h := served.health()) and h, timeout=20)
            assert health["status"] == "degraded" and "beta" in health["flagged"]
            assert _failing(health) == ["beta"]
            beta_row = next(s for s in health["sources"] if s["id"] == "beta")
            assert "failing" in beta_row["flags"] and beta_row["last_error"]
            assert served.get("/healthz").status_code == 200
            metrics = served.get("/metrics").text
            assert 'scraper_runs_total{source="beta",result="failure"}' in metrics
            assert 'scraper_source_healthy{source="beta"} 0' in metrics
            assert 'scraper_source_flag{source="beta",flag="failing"} 1' in metrics
            assert 'scraper_articles_stored_total{source="alpha",action="new"} 4' in metrics
            assert "scraper_digests_sent_total 1" in metrics
            assert 'scraper_fetches_total{source="gamma",status="ok"} 3' in metrics
            assert "scraper_run_duration_seconds_count" in metrics
            # backoff: the failing source is not hammered (2s period doubled per failure)
            before = beta.feed_hits()
            time.sleep(3)
            assert beta.feed_hits() - before <= 1
            assert served.stop(signal.SIGTERM) == 0
        logs = served.logs()
        assert "event=run.finished source=alpha" in logs
        assert "event=digest.finished sent=1" in logs
        assert "x" * 40 not in logs  # the unsubscribe secret never reaches the logs
        gamma_hits = slow.feed_hits()
        beta.fail = False

        # 5. a restart continues: no second digest, the hourly source is not refetched
        with serving(config, cwd=tmp_path, name="restart") as again:
            wait_until(lambda: again.source("beta")["consecutive_failures"] == 0, timeout=40)
            time.sleep(1.5)  # the digest check runs one second after start
            assert box.count() == 1
            assert slow.feed_hits() == gamma_hits
            assert not _failing(again.health())
            assert again.stop(signal.SIGINT) == 0
        assert "event=digest.started" not in again.logs()

    with Store.open(f"sqlite:///{data / 'scraper.db'}") as store:
        rows = store.ledger_rows()
        assert [r.state for r in rows] == ["sent"]
        assert store.lock_owner("serve", datetime.now(UTC)) is None


def test_sigterm_during_a_run_exits_cleanly(site: SiteServer, tmp_path: Path) -> None:
    slow = ThinkTank(site, "slow", "Slow Institute", items=4, delay=3.0)
    data = tmp_path / "data"
    config = write_config(tmp_path / "config.toml", [slow], data=data, serve={"grace_seconds": 0.5})
    with serving(config, cwd=tmp_path) as served:
        wait_until(lambda: _page_hits(site, "slow"))  # a page fetch is in flight
        assert served.health()["running"] == ["slow"]
        began = time.monotonic()
        assert served.stop(signal.SIGTERM) == 0
        assert time.monotonic() - began < 8
    logs = served.logs()
    assert "event=serve.grace_expired" in logs and "event=run.cancelled source=slow" in logs
    db = data / "scraper.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with Store.open(f"sqlite:///{db}") as store:
        now = datetime.now(UTC)
        assert store.lock_owner("serve", now) is None
        state = store.source_state("slow")
        assert state is not None and state.next_run is not None
        assert state.next_run <= now  # resumes right after a restart
        assert store.recent_reports("slow") == []  # no half-written run


def test_sigterm_lets_a_run_finish_within_the_grace_period(
    site: SiteServer, tmp_path: Path
) -> None:
    slow = ThinkTank(site, "slow", "Slow Institute", items=2, delay=1.0)
    data = tmp_path / "data"
    config = write_config(tmp_path / "config.toml", [slow], data=data, schedule="every 1h")
    with serving(config, cwd=tmp_path) as served:
        wait_until(lambda: _page_hits(site, "slow"))
        assert served.stop(signal.SIGTERM) == 0
    with Store.open(f"sqlite:///{data / 'scraper.db'}") as store:
        reports = store.recent_reports("slow")
        assert len(reports) == 1 and reports[0].new == 2
        state = store.source_state("slow")
        assert state is not None and state.next_run is not None
        assert (state.next_run - reports[0].finished).total_seconds() == pytest.approx(3600, 5)


def test_second_serve_refused_and_sighup_with_a_bad_config_keeps_the_old_one(
    site: SiteServer, tmp_path: Path
) -> None:
    one = ThinkTank(site, "alpha", "Alpha Institute")
    two = ThinkTank(site, "beta", "Beta Centre")
    path = tmp_path / "config.toml"
    config = write_config(path, [one], data=tmp_path / "data")
    good = path.read_text()
    with serving(config, cwd=tmp_path) as served:
        # one `serve` per database: a second one is refused with a clear line and status 1
        second = start_serve(config, cwd=tmp_path, wait=False, name="second")
        assert second.proc.wait(30) == 1
        assert "another `scraper serve` runs on this database" in second.logs()
        wait_until(lambda: served.source("alpha")["articles"] >= 3)
        path.write_text(good + "\n[serve.nonsense]\nx = 1\n", encoding="utf-8")
        served.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "event=config.rejected" in served.logs())
        assert "origin=SIGHUP" in served.logs()
        assert served.proc.poll() is None
        assert [s["id"] for s in served.health()["sources"]] == ["alpha"]
        # the HTTP reload says why, and still keeps the old configuration
        answer = served.client.post("/admin/reload")
        assert answer.status_code == 422 and "serve.nonsense" in answer.json()["message"]
        # a good new file is applied: a second source appears and gets scraped
        write_config(path, [one, two], data=tmp_path / "data")
        answer = served.client.post("/admin/reload")
        assert answer.status_code == 200 and answer.json()["ok"] is True
        wait_until(lambda: served.source("beta")["articles"] >= 3)
        assert served.stop() == 0


def test_a_killed_serve_is_replaced_at_once_on_restart(site: SiteServer, tmp_path: Path) -> None:
    alpha = ThinkTank(site, "alpha", "Alpha Institute")
    data = tmp_path / "data"
    config = write_config(tmp_path / "config.toml", [alpha], data=data)
    with serving(config, cwd=tmp_path) as killed:
        wait_until(lambda: killed.source("alpha")["articles"] >= 3)
        assert killed.stop(signal.SIGKILL) == -signal.SIGKILL  # no chance to release the lock
    with Store.open(f"sqlite:///{data / 'scraper.db'}") as store:
        holder = store.lock_owner("serve", datetime.now(UTC))
    assert holder is not None and holder.split(":")[1] == str(killed.proc.pid)  # lease still runs
    began = time.monotonic()
    with serving(config, cwd=tmp_path, name="restart") as again:
        assert time.monotonic() - began < 10  # not the 60 s lease
        health = again.health()
        assert health["status"] in {"ok", "degraded"}
        assert health["database"]["reachable"] and health["scheduler"]["running"]
        assert f"event=lock.taken_over previous={holder}" in again.logs()
        assert again.stop(signal.SIGTERM) == 0
