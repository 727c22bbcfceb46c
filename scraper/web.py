"""The service's HTTP app: status page, ``/healthz``, ``/metrics``, admin reload, feeds.

Routes:

* ``GET /``: the status page (server-rendered HTML, no JavaScript): every source with its
  health, last success, next run, items this week, fill rates, last error and feed; totals;
  links to every feed and the OPML. Strict CSP (``default-src 'none'``; the one inline style
  block is allowed by its SHA-256 hash; images only from ``'self'`` and ``data:``).
* ``GET /healthz``: JSON. ``status`` is ``ok``, ``degraded`` (some source is flagged: the
  service works, a *site* is broken) or ``unhealthy`` (database unreachable or scheduler
  stopped). HTTP 200 for ``ok`` and ``degraded``, 503 for ``unhealthy``: a container
  orchestrator should restart the process only when a restart can help, which it cannot when
  a think tank redesigned its website.
* ``GET /metrics``: Prometheus text format (:class:`scraper.metrics.ServiceMetrics`).
* ``POST /admin/reload``: reload the configuration, from loopback only and never through a
  proxy (a ``Forwarded``/``X-Forwarded-For`` header is refused); 200 applied, 422 rejected.
* ``/feeds/...``, ``/feeds.opml`` (:func:`feeds.web.feed_routes`) and ``/unsubscribe``
  (:func:`feeds.unsubscribe.unsubscribe_routes`).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from feeds.unsubscribe import unsubscribe_routes
from feeds.web import feed_routes
from scraper import __version__
from scraper.errors import ScraperError
from scraper.health import HISTORY, SourceHealth, assess_all
from scraper.logs import event
from scraper.metrics import CONTENT_TYPE
from scraper.models import FillRates

if TYPE_CHECKING:
    from scraper.service import Service

__all__ = ["FeedLink", "create_app", "health_payload", "relative_time", "status_csp"]

TEMPLATES = Path(__file__).parent / "templates"
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed the status page links to."""

    title: str
    href: str
    kind: str
    entries: int | None = None


def relative_time(when: datetime | None, now: datetime) -> str:
    """``5 min ago`` / ``in 2 h`` / ``just now`` / ``never``."""
    if when is None:
        return "never"
    seconds = (when - now).total_seconds()
    ahead, span = seconds > 0, abs(seconds)
    if span < 45:
        return "now" if ahead else "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if span >= size or unit == "min":
            amount = max(1, round(span / size))
            text = f"{amount} {unit}"
            return f"in {text}" if ahead else f"{text} ago"
    return ""  # pragma: no cover - the loop always returns


def status_csp(html: str) -> str:
    """The page's Content-Security-Policy: nothing but its own inline styles, by hash."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode("utf-8")).digest()).decode() + "'"
        for m in _STYLE.findall(html)
    )
    styles = hashes or "'self'"
    return (
        f"default-src 'none'; style-src {styles}; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _feed_links(service: Service) -> list[FeedLink]:
    report = service.last_build
    if report is not None:
        return [
            FeedLink(f.title, f"/feeds/{f.path.as_posix()}", f.kind, f.entries)
            for f in report.feeds
        ]
    config = service.config
    links = [FeedLink(config.feeds.title, "/feeds/all.atom", "all")]
    links += [FeedLink(s.name, f"/feeds/sources/{s.id}.atom", "source") for s in config.sources]
    tags = sorted({t for s in config.sources for t in s.tags})
    links += [FeedLink(f"Tag: {t}", f"/feeds/tags/{t}.atom", "tag") for t in tags]
    links += [
        FeedLink(f.title, f"/feeds/filtered/{f.id}.atom", "filtered") for f in config.feeds.filtered
    ]
    return links


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _source_json(h: SourceHealth, running: bool) -> dict[str, Any]:
    return {
        "id": h.source_id,
        "name": h.name,
        "status": h.status,
        "flags": list(h.flags),
        "enabled": h.enabled,
        "running": running,
        "last_run": _iso(h.last_run),
        "last_success": _iso(h.last_success),
        "next_run": _iso(h.next_run),
        "consecutive_failures": h.consecutive_failures,
        "articles": h.article_count,
        "last_error": h.last_error,
    }


def health_payload(service: Service) -> tuple[int, dict[str, Any]]:
    """``(http_status, body)`` of ``/healthz`` (see the module docstring for the policy)."""
    now = service.clock()
    database = service.store.ping()
    scheduler = service.scheduler_running()
    sources: list[dict[str, Any]] = []
    if database:
        try:
            rows = assess_all(service.config, service.store, now=now)
            sources = [_source_json(h, h.source_id in service.running) for h in rows]
        except ScraperError:
            database = False
    flagged = [s["id"] for s in sources if s["flags"] and s["enabled"]]
    status = "unhealthy" if not (database and scheduler) else "degraded" if flagged else "ok"
    service.metrics.database_up.set(1 if database else 0)
    service.metrics.scheduler_running.set(1 if scheduler else 0)
    body = {
        "status": status,
        "version": __version__,
        "database": {"reachable": database},
        "scheduler": {"running": scheduler, "stopping": service.stopping},
        "uptime_seconds": round((now - service.started_at).total_seconds(), 1),
        "running": sorted(service.active),
        "flagged": flagged,
        "sources": sources,
    }
    return (503 if status == "unhealthy" else 200), body


def _refresh_source_gauges(service: Service) -> None:
    m = service.metrics
    try:
        rows = assess_all(service.config, service.store, now=service.clock())
    except ScraperError:
        m.database_up.set(0)
        return
    m.database_up.set(1)
    m.scheduler_running.set(1 if service.scheduler_running() else 0)
    for gauge in (m.source_healthy, m.source_flag, m.source_failures, m.source_articles):
        gauge.clear()
    m.source_last_success.clear()
    for h in rows:
        m.source_healthy.set(0 if h.flags else 1, source=h.source_id)
        for flag in h.flags:
            m.source_flag.set(1, source=h.source_id, flag=flag)
        m.source_failures.set(h.consecutive_failures, source=h.source_id)
        m.source_articles.set(h.article_count, source=h.source_id)
        success = h.last_success.timestamp() if h.last_success else 0.0
        m.source_last_success.set(success, source=h.source_id)


def _next_run_text(h: SourceHealth, now: datetime) -> str:
    if not h.enabled:
        return "disabled"
    if h.next_run is not None and h.next_run <= now:
        return "due now"
    return relative_time(h.next_run, now)


def _last_fill(service: Service, h: SourceHealth) -> FillRates | None:
    """Fill rates of the source's latest run that extracted anything (``None``: none yet).

    A run that found nothing new has no fill rates; showing 0 % would read as breakage.
    """
    if h.links_last_run or h.new_last_run:
        return h.fill
    for report in service.store.recent_reports(h.source_id, limit=HISTORY):
        if report.fetched:
            return report.fill
    return None


def _status_context(service: Service) -> dict[str, Any]:
    config = service.config
    now = service.clock()
    rows = assess_all(config, service.store, now=now)
    week_ago = now - timedelta(days=7)
    recent = service.store.articles(first_seen_from=week_ago, include_duplicates=True)
    this_week = Counter(a.source_id for a in recent)
    homepages = {s.id: s.homepage for s in config.sources}
    sources = [
        {
            "h": h,
            "fill": _last_fill(service, h),
            "extra_flags": [f for f in h.flags if f.split(":")[0] != h.status],
            "homepage": homepages.get(h.source_id),
            "week": this_week.get(h.source_id, 0),
            "running": h.source_id in service.running,
            "last_success": relative_time(h.last_success, now),
            "next_run": _next_run_text(h, now),
            "feed": f"/feeds/sources/{h.source_id}.atom",
        }
        for h in rows
    ]
    statuses = Counter(h.status for h in rows)
    return {
        "title": config.feeds.title,
        "version": __version__,
        "now": now,
        "sources": sources,
        "totals": {
            "sources": len(rows),
            "ok": statuses.get("ok", 0),
            "flagged": sum(1 for h in rows if h.flags),
            "articles": sum(h.article_count for h in rows),
            "week": sum(this_week.values()),
            "running": len(service.active),
        },
        "feeds": _feed_links(service),
        "scheduler": service.scheduler_running(),
        "last_build": service.last_build,
        "uptime": relative_time(service.started_at, now).removesuffix(" ago"),
        "percent": lambda value: f"{round(value * 100)}%",
        "short": lambda value: value.strftime("%Y-%m-%d %H:%M UTC") if value else "",
    }


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def _loopback(request: Request) -> bool:
    if request.headers.get("forwarded") or request.headers.get("x-forwarded-for"):
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def create_app(service: Service) -> Starlette:
    """The Starlette app of ``scraper serve`` (reads ``service.config`` on every request)."""
    env = _environment()

    async def status_page(request: Request) -> Response:
        try:
            context = await run_in_threadpool(_status_context, service)
        except ScraperError as e:
            text = f"status unavailable: {e.one_line()}\n"
            return PlainTextResponse(text, status_code=503, headers=_HEADERS)
        html = env.get_template("status.html").render(**context)
        headers = {**_HEADERS, "Content-Security-Policy": status_csp(html)}
        return HTMLResponse(html, headers=headers)

    async def healthz(request: Request) -> Response:
        code, body = await run_in_threadpool(health_payload, service)
        return JSONResponse(body, status_code=code, headers={"Cache-Control": "no-store"})

    async def metrics(request: Request) -> Response:
        await run_in_threadpool(_refresh_source_gauges, service)
        return Response(service.metrics.render(), media_type=CONTENT_TYPE)

    async def reload(request: Request) -> Response:
        if not _loopback(request):
            client = request.client.host if request.client else "?"
            event("admin.refused", client=client, path="/admin/reload")
            return JSONResponse({"ok": False, "error": "loopback only"}, status_code=403)
        ok, message = await service.reload("http")
        return JSONResponse({"ok": ok, "message": message}, status_code=200 if ok else 422)

    routes: list[BaseRoute] = [
        Route("/", status_page, methods=["GET", "HEAD"]),
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/admin/reload", reload, methods=["POST"]),
        *feed_routes(service.config.resolve(service.config.feeds.output_dir)),
    ]
    try:
        routes.extend(unsubscribe_routes(service.store, service.config, clock=service.clock))
    except ScraperError as e:
        event("unsubscribe.disabled", error=e.one_line())
    return Starlette(routes=routes)
