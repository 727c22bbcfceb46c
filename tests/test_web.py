"""The service's HTTP app in-process (httpx over ASGI): health, status page, metrics, reload."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from scraper.config import load_config
from scraper.models import FillRates, SourceReport
from scraper.service import Service
from scraper.store import Store
from scraper.web import create_app, relative_time, status_csp

NOW = datetime.now(UTC)
_CONFIG = """
database_url = "{db}"
data_dir = "{data}"
[feeds]
output_dir = "{data}/feeds"
title = "Status test"
[serve]
failing_after = 2
[[sources]]
id = "alpha"
name = "Alpha <Institute>"
homepage = "https://alpha.example/"
feeds = ["https://alpha.example/feed"]
tags = ["security"]
[[sources]]
id = "beta"
name = "Beta Centre"
homepage = "https://beta.example/"
feeds = ["https://beta.example/feed"]
"""


def _write(path: Path, db: str, data: Path, extra: str = "") -> Path:
    path.write_text(_CONFIG.format(db=db, data=data) + extra, encoding="utf-8")
    return path


def _report(source: str, *, ok: bool, minutes_ago: float = 5) -> SourceReport:
    started = NOW - timedelta(minutes=minutes_ago)
    return SourceReport(
        source_id=source,
        started=started,
        finished=started + timedelta(seconds=3),
        listing_pages=1,
        links_found=4,
        fetched=4 if ok else 0,
        new=2 if ok else 0,
        errors=0 if ok else 1,
        error_messages=() if ok else ("https://beta.example/feed: HTTP 500",),
        fill=FillRates(title=1.0, author=0.5, date=1.0, body=1.0) if ok else FillRates(),
    )


@pytest.fixture
async def service(tmp_path: Path, sqlite_url: str, make_article: Any) -> AsyncIterator[Service]:
    path = _write(tmp_path / "config.toml", sqlite_url, tmp_path / "data")
    config = load_config(path)
    store = Store.open(sqlite_url)
    store.sync_sources(config.sources, NOW)
    for i in range(3):
        article, decision = make_article(source="alpha")
        store.save_article("alpha", article, decision, url=article.url, tags=(), now=NOW)
        del i
    store.record_run(_report("alpha", ok=True), success=True)
    svc = Service(config, store, config_path=str(path), owner="test-owner")
    try:
        yield svc
    finally:
        if svc._scheduler.running:
            svc._scheduler.shutdown(wait=False)
        store.close()


def _client(svc: Service, client: tuple[str, int] = ("127.0.0.1", 5555)) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(svc), client=client)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_healthz_ok_degraded_and_unhealthy(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _client(service) as http:
        r = await http.get("/healthz")
        assert r.status_code == 503  # the scheduler is not running yet
        assert r.json()["status"] == "unhealthy"
        service._scheduler.start(paused=True)
        r = await http.get("/healthz")
        body = r.json()
        assert r.status_code == 200 and body["status"] == "ok"
        assert body["database"] == {"reachable": True}
        assert [s["id"] for s in body["sources"]] == ["alpha", "beta"]
        assert body["sources"][0]["articles"] == 3
        assert body["sources"][1]["status"] == "new"
        # beta's site starts failing: degraded after failing_after (2) runs, still HTTP 200
        service.store.record_run(_report("beta", ok=False, minutes_ago=2), success=False)
        assert (await http.get("/healthz")).json()["status"] == "ok"
        service.store.record_run(_report("beta", ok=False, minutes_ago=1), success=False)
        r = await http.get("/healthz")
        body = r.json()
        assert r.status_code == 200 and body["status"] == "degraded"
        assert body["flagged"] == ["beta"]
        beta = body["sources"][1]
        assert beta["flags"] == ["failing"] and beta["consecutive_failures"] == 2
        assert beta["last_error"] == "https://beta.example/feed: HTTP 500"
        # the database stops answering: unhealthy, 503 (a restart may help)
        monkeypatch.setattr(service.store, "ping", lambda: False)
        r = await http.get("/healthz")
        assert r.status_code == 503
        assert r.json()["status"] == "unhealthy" and r.json()["database"]["reachable"] is False


async def test_status_page_shows_every_source_with_a_strict_csp(service: Service) -> None:
    service.store.record_run(_report("beta", ok=False), success=False)
    service.store.set_next_run("alpha", NOW + timedelta(hours=2))
    async with _client(service) as http:
        r = await http.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "Alpha &lt;Institute&gt;" in html and "<Institute>" not in html  # escaped
    assert "Beta Centre" in html
    assert 'id="source-alpha"' in html and 'id="source-beta"' in html
    assert "https://beta.example/feed: HTTP 500" in html  # last error
    assert 'href="/feeds/sources/alpha.atom"' in html and 'href="/feeds.opml"' in html
    assert 'href="/feeds/tags/security.atom"' in html
    assert "in 2 h" in html  # next run
    assert "100% / 50% / 100% / 100%" in html  # fill rates of alpha's last run
    alpha_row = html.split('id="source-alpha"')[1].split("</tr>")[0]
    assert '<td class="num">3</td>' in alpha_row  # items this week
    assert "<script" not in html.lower()
    csp = r.headers["content-security-policy"]
    assert csp.startswith("default-src 'none';")
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp
    assert "img-src 'self' data:" in csp and "unsafe-inline" not in csp


async def test_metrics_are_prometheus_text(service: Service) -> None:
    service.metrics.fetches.inc(source="alpha", status="ok")
    service.metrics.run_seconds.observe(1.5, source="alpha")
    service.store.record_run(_report("beta", ok=False, minutes_ago=2), success=False)
    service.store.record_run(_report("beta", ok=False, minutes_ago=1), success=False)
    async with _client(service) as http:
        r = await http.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    sample = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+Inf]+$')
    lines = [ln for ln in r.text.splitlines() if ln and not ln.startswith("#")]
    assert lines and all(sample.match(ln) for ln in lines), lines
    text = r.text
    assert 'scraper_fetches_total{source="alpha",status="ok"} 1' in text
    assert 'scraper_run_duration_seconds_bucket{source="alpha",le="2.5"} 1' in text
    assert 'scraper_run_duration_seconds_bucket{source="alpha",le="1"} 0' in text
    assert 'scraper_source_healthy{source="alpha"} 1' in text
    assert 'scraper_source_healthy{source="beta"} 0' in text
    assert 'scraper_source_flag{source="beta",flag="failing"} 1' in text
    assert 'scraper_source_articles{source="alpha"} 3' in text
    assert "# TYPE scraper_digests_sent_total counter" in text


async def test_feeds_and_unsubscribe_are_mounted(service: Service) -> None:
    async with _client(service) as http:
        assert (await http.get("/feeds.opml")).status_code == 404  # not built yet
        service.request_feeds()
        assert service._feeds_task is not None
        await service._feeds_task
        r = await http.get("/feeds.opml")
        assert r.status_code == 200 and b"Beta Centre" in r.content
        assert (await http.get("/feeds/sources/alpha.atom")).status_code == 200
        assert (await http.get("/unsubscribe?e=a@b.org&t=nope")).status_code == 403
        page = await http.get("/")
    assert "(3)" in page.text  # entries per feed from the last build


async def test_admin_reload_is_loopback_only_and_keeps_a_bad_config_out(
    service: Service, tmp_path: Path, sqlite_url: str
) -> None:
    path = Path(service.config_path or "")
    async with _client(service, ("203.0.113.9", 4000)) as outsider:
        r = await outsider.post("/admin/reload")
        assert r.status_code == 403
    async with _client(service) as http:
        r = await http.post("/admin/reload", headers={"X-Forwarded-For": "203.0.113.9"})
        assert r.status_code == 403  # proxied from elsewhere
        assert (await http.get("/admin/reload")).status_code == 405
        # an invalid file: rejected, the old configuration keeps running
        path.write_text(path.read_text() + "\n[serve]\nbogus = 1\n")
        r = await http.post("/admin/reload")
        assert r.status_code == 422 and r.json()["ok"] is False
        assert [s.id for s in service.config.sources] == ["alpha", "beta"]
        # another database needs a restart
        _write(path, sqlite_url + ".other", tmp_path / "data")
        r = await http.post("/admin/reload")
        assert r.status_code == 422 and "database_url" in r.json()["message"]
        # a valid file is applied
        extra = (
            '\n[[sources]]\nid = "gamma"\nname = "Gamma"\nhomepage = "https://g.example/"\n'
            'feeds = ["https://g.example/feed"]\nschedule = "every 3h"\n'
        )
        _write(path, sqlite_url, tmp_path / "data", extra)
        r = await http.post("/admin/reload")
        assert r.status_code == 200 and r.json()["ok"] is True
        assert [s.id for s in service.config.sources] == ["alpha", "beta", "gamma"]
        health = (await http.get("/healthz")).json()
        assert [s["id"] for s in health["sources"]] == ["alpha", "beta", "gamma"]
    assert service.metrics.reloads.value(result="rejected") == 2
    assert service.metrics.reloads.value(result="applied") == 1


def test_relative_time() -> None:
    assert relative_time(None, NOW) == "never"
    assert relative_time(NOW - timedelta(seconds=10), NOW) == "just now"
    assert relative_time(NOW + timedelta(seconds=10), NOW) == "now"
    assert relative_time(NOW - timedelta(minutes=5), NOW) == "5 min ago"
    assert relative_time(NOW + timedelta(hours=2, minutes=10), NOW) == "in 2 h"
    assert relative_time(NOW - timedelta(days=3), NOW) == "3 d ago"


def test_status_csp_without_inline_styles() -> None:
    assert "style-src 'self'" in status_csp("<p>no style</p>")
