"""Helpers for the ``scraper serve`` tests: a think-tank site, a config, the service process.

:class:`ThinkTank` adds routes to a :class:`tests.sitesrv.SiteServer`: ``/<id>/feed.xml`` (RSS
of the items published so far) and ``/<id>/p/<n>`` (article pages with a title, an author, a
date and a body of distinct words, so no two pages are near-duplicates). ``publish()`` adds an
item, ``fail = True`` turns every route of the source into a 500, ``delay`` slows pages down.

:func:`start_serve` runs ``scraper --config PATH serve`` as a real subprocess on a free port and
waits until ``/healthz`` answers; :class:`Served` stops it with a signal and returns the exit
status. Logs go to a file so a failing test can show them.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests._smtp_helpers import free_port
from tests.sitesrv import Request, Response, SiteServer

__all__ = ["Served", "ThinkTank", "start_serve", "wait_until", "write_config"]

ROOT = Path(__file__).resolve().parent.parent
_VOCABULARY = (
    "policy security energy trade sanctions alliance deterrence diplomacy economy growth "
    "inflation budget defence maritime cyber climate migration election reform strategy "
    "governance treaty region summit export market pipeline industry labour health water "
    "nuclear missile border conflict ceasefire mediation coalition parliament ministry"
)
_WORDS = _VOCABULARY.split()


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, step: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy; that value, or fail."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError, OSError):
            last = predicate()
            if last:
                return last
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s (last value: {last!r})")


@dataclass
class ThinkTank:
    """One source's site on a shared :class:`SiteServer`."""

    site: SiteServer
    id: str
    name: str
    items: int = 3
    fail: bool = False
    delay: float = 0.0
    host: str = "127.0.0.1"  # "localhost" is another host for the fetcher, same server

    def __post_init__(self) -> None:
        self.site.route(f"/{self.id}/feed.xml", self._feed)
        for n in range(1, 200):
            self.site.route(f"/{self.id}/p/{n}", self._page)

    @property
    def homepage(self) -> str:
        return self.site.url(f"/{self.id}/", host=self.host)

    @property
    def feed_url(self) -> str:
        return self.site.url(f"/{self.id}/feed.xml", host=self.host)

    def page_url(self, n: int) -> str:
        return self.site.url(f"/{self.id}/p/{n}", host=self.host)

    def title(self, n: int) -> str:
        return f"{self.name} analysis number {n}"

    def publish(self) -> int:
        self.items += 1
        return self.items

    def feed_hits(self) -> int:
        return self.site.count(f"/{self.id}/feed.xml")

    def _broken(self) -> Response:
        return Response(500, {"Content-Type": "text/plain"}, b"internal error", delay=self.delay)

    def _feed(self, req: Request) -> Response:
        if self.fail:
            return self._broken()
        entries = "".join(
            f"<item><title>{self.title(n)}</title><link>{self.page_url(n)}</link>"
            f"<guid>{self.page_url(n)}</guid>"
            f"<pubDate>Mon, {n % 27 + 1:02d} Sep 2025 10:00:00 GMT</pubDate></item>"
            for n in range(self.items, 0, -1)
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{self.name}</title><link>{self.homepage}</link><description>d</description>"
            f"{entries}</channel></rss>"
        )
        return Response(200, {"Content-Type": "application/rss+xml; charset=utf-8"}, body.encode())

    def _page(self, req: Request) -> Response:
        if self.fail:
            return self._broken()
        n = int(req.route.rsplit("/", 1)[1])
        rng = random.Random(f"{self.id}-{n}")
        paragraphs = "".join(
            "<p>" + " ".join(rng.choice(_WORDS) for _ in range(60)).capitalize() + ".</p>"
            for _ in range(4)
        )
        title = self.title(n)
        html = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{title}</title>"
            f'<meta name="author" content="Jane Analyst">'
            f'<meta property="article:published_time" content="2025-09-{n % 27 + 1:02d}T10:00:00Z">'
            f'<link rel="canonical" href="{self.page_url(n)}">'
            f"</head><body><article><h1>{title}</h1><p class='byline'>By Jane Analyst</p>"
            f"{paragraphs}</article></body></html>"
        )
        return Response(
            200, {"Content-Type": "text/html; charset=utf-8"}, html.encode(), delay=self.delay
        )


def write_config(
    path: Path,
    sources: Sequence[ThinkTank],
    *,
    data: Path,
    schedule: str = "every 2s",
    schedules: dict[str, str] | None = None,
    smtp_port: int | None = None,
    subscribers: Sequence[str] = (),
    serve: dict[str, Any] | None = None,
) -> Path:
    """A TOML config for ``sources`` with short schedules and no politeness delays."""
    serve_cfg = {
        "default_schedule": schedule,
        "grace_seconds": 5.0,
        "failing_after": 2,
        "max_concurrent_sources": 2,
        **(serve or {}),
    }
    lines = [
        f'database_url = "sqlite:///{data / "scraper.db"}"',
        f'data_dir = "{data}"',
        "[fetch]",
        "per_host_spacing = 0",
        "retries = 0",
        "deadline = 20",
        "[feeds]",
        f'output_dir = "{data / "feeds"}"',
        'title = "Test digest"',
        "[serve]",
        *(f"{k} = {_toml(v)}" for k, v in serve_cfg.items()),
        "[digest]",
        'empty_policy = "send"',
        f'outbox_dir = "{data / "outbox"}"',
    ]
    if smtp_port is not None:
        lines += ["[smtp]", 'host = "127.0.0.1"', f"port = {smtp_port}", 'security = "none"']
        lines += ["timeout = 5.0"]
    for email in subscribers:
        lines += ["[[subscribers]]", f'email = "{email}"']
    for src in sources:
        lines += [
            "[[sources]]",
            f'id = "{src.id}"',
            f'name = "{src.name}"',
            f'homepage = "{src.homepage}"',
            f'feeds = ["{src.feed_url}"]',
            'tags = ["policy"]',
        ]
        if schedules and src.id in schedules:
            lines.append(f'schedule = "{schedules[src.id]}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


@dataclass
class Served:
    """A running ``scraper serve`` process."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.base, timeout=10.0)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def health(self) -> dict[str, Any]:
        data: dict[str, Any] = self.get("/healthz").json()
        return data

    def source(self, source_id: str) -> dict[str, Any]:
        return next(s for s in self.health()["sources"] if s["id"] == source_id)

    def logs(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Send ``sig`` and wait for the exit status."""
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise AssertionError(f"serve did not stop within {timeout} s:\n{self.logs()}") from None


def _command(config: Path, args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "scraper", "--config", str(config), "serve", *args]


def start_serve(
    config: Path,
    *,
    cwd: Path,
    port: int | None = None,
    args: Sequence[str] = (),
    wait: bool = True,
    name: str = "serve",
) -> Served:
    """Start ``scraper serve`` on a free port; wait until ``/healthz`` answers."""
    port = port or free_port()
    log = cwd / f"{name}-{port}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SCRAPER_UNSUBSCRIBE_SECRET": "x" * 40}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _command(config, ["--port", str(port), *args]),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    served = Served(proc, port, log)
    if wait:
        try:
            wait_until(lambda: served.proc.poll() is not None or served.get("/healthz"), 20.0)
        except AssertionError:
            served.stop(signal.SIGKILL)
            raise
        if proc.poll() is not None:
            raise AssertionError(f"serve exited with {proc.returncode}:\n{served.logs()}")
    return served


@contextlib.contextmanager
def serving(config: Path, *, cwd: Path, **kwargs: Any) -> Iterator[Served]:
    """:func:`start_serve`, killed afterwards if the test did not stop it."""
    served = start_serve(config, cwd=cwd, **kwargs)
    try:
        yield served
    finally:
        if served.proc.poll() is None:
            served.proc.kill()
            served.proc.wait(5)
        served.client.close()
