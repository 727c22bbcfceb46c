"""Crawl benchmark: our whole pipeline vs a plain httpx loop over the same URLs.

Serves 2,000 small article pages on 20 loopback hosts (127.0.0.1 .. 127.0.0.20, one threaded
HTTP server each), then in one process:

1. a plain ``httpx.AsyncClient`` loop fetching every article URL with the same concurrency;
2. our pipeline (``run_scrape``: discovery from a listing page per host, polite fetcher with
   spacing 0, extraction, dedup, SQLite store) over the same sites;
3. the store's insert rate (``save_article`` one transaction per article).

Prints pages/s of each and the ratio (target: ours >= 0.7 of the plain loop).

    python benchmarks/crawl.py [--hosts 20] [--pages 100] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from scraper.config import parse_config
from scraper.dedup import content_hash, simhash
from scraper.models import Article, Decision, SaveAction
from scraper.pipeline import run_scrape
from scraper.store import Store

_WORD_LINES = (
    "policy sanctions ceasefire negotiations alliance security energy markets diplomacy",
    "parliament election budget defence treaty summit region council strategy economy",
    "inflation trade tariffs ministers reform coalition envoy pipeline grain border",
)
WORDS = [word for line in _WORD_LINES for word in line.split(" ")]


def _article(host: int, i: int) -> bytes:
    rng = (host * 7919 + i * 104729) % 1_000_003
    paras = []
    for p in range(6):
        words = [WORDS[(rng + p * 31 + k * 17) % len(WORDS)] for k in range(60)]
        paras.append("<p>" + " ".join(words).capitalize() + ".</p>")
    title = f"Analysis {host}-{i}: {WORDS[rng % len(WORDS)]} and {WORDS[(rng // 7) % len(WORDS)]}"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{title} | Bench Institute {host}</title>"
        f'<meta property="og:title" content="{title}">'
        '<meta property="article:published_time" '
        f'content="2025-07-{1 + i % 28:02d}T10:00:00+00:00">'
        '<meta name="author" content="Bench Author">'
        f"</head><body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>"
        + "".join(paras)
        + "</article><footer>Bench footer</footer></body></html>"
    ).encode()


def _listing(pages: int) -> bytes:
    links = "".join(f'<li><a href="/a/{i}">Article {i}</a></li>' for i in range(pages))
    return f"<html><body><ul class=list>{links}</ul></body></html>".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def do_GET(self) -> None:
        pages: int = self.server.pages
        host: int = self.server.host_no
        if self.path == "/list":
            body, ctype = _listing(pages), "text/html; charset=utf-8"
        elif self.path.startswith("/a/"):
            body, ctype = _article(host, int(self.path[3:])), "text/html; charset=utf-8"
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _server_process(hosts: int, pages: int, ready: Any) -> None:
    """Runs in a child process, so the sites do not compete with the clients for the GIL."""
    bases = []
    for h in range(1, hosts + 1):
        server = ThreadingHTTPServer((f"127.0.0.{h}", 0), _Handler)
        server.pages = pages  # type: ignore[attr-defined]
        server.host_no = h  # type: ignore[attr-defined]
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        bases.append(f"http://127.0.0.{h}:{server.server_address[1]}")
    ready.put(bases)
    threading.Event().wait()


def _serve(hosts: int, pages: int) -> tuple[multiprocessing.Process, list[str]]:
    ready: Any = multiprocessing.Queue()
    proc = multiprocessing.Process(target=_server_process, args=(hosts, pages, ready), daemon=True)
    proc.start()
    return proc, ready.get(timeout=30)


async def _plain(urls: list[str], concurrency: int) -> float:
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(url: str) -> None:
            async with sem:
                r = await client.get(url)
                r.raise_for_status()
                _ = r.text

        t0 = time.perf_counter()
        await asyncio.gather(*(one(u) for u in urls))
        return time.perf_counter() - t0


def _config(bases: list[str], pages: int, concurrency: int, db: str) -> Any:
    sources = [
        {
            "id": f"host{n}",
            "name": f"Bench host {n}",
            "homepage": base + "/",
            "listing": {"start_urls": [base + "/list"], "link_selector": "ul.list a"},
            "max_articles": pages,
        }
        for n, base in enumerate(bases, 1)
    ]
    return parse_config(
        {
            "database_url": f"sqlite:///{db}",
            "fetch": {"concurrency": concurrency, "per_host_spacing": 0, "retries": 0},
            "serve": {"max_concurrent_sources": len(bases)},
            "sources": sources,
        }
    )


def _store_rate(db: str, n: int) -> float:
    store = Store.open(f"sqlite:///{db}")
    now = datetime.now(UTC)
    body = " ".join(WORDS * 20)
    t0 = time.perf_counter()
    for i in range(n):
        text = f"{body} {i}"
        article = Article(url=f"https://bench.example/{i}", title=f"T{i}", body_text=text)
        decision = Decision(
            action=SaveAction.NEW,
            canonical_url=f"https://bench.example/{i}",
            content_hash=content_hash(text),
            simhash=simhash(text),
        )
        store.save_article("bench", article, decision, url=article.url or "", tags=(), now=now)
    elapsed = time.perf_counter() - t0
    store.close()
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    proc, bases = _serve(args.hosts, args.pages)
    urls = [f"{base}/a/{i}" for base in bases for i in range(args.pages)]
    with tempfile.TemporaryDirectory() as tmp:
        plain = asyncio.run(_plain(urls, args.concurrency))
        config = _config(bases, args.pages, args.concurrency, str(Path(tmp) / "bench.db"))
        store = Store.open(config.database_url)
        t0 = time.perf_counter()
        reports = asyncio.run(run_scrape(config, store, config.sources))
        ours = time.perf_counter() - t0
        store.close()
        new = sum(r.new for r in reports)
        errors = sum(r.errors for r in reports)
        rate = _store_rate(str(Path(tmp) / "insert.db"), 2000)
    proc.terminate()
    n = len(urls)
    print(f"pages: {n} on {args.hosts} hosts, concurrency {args.concurrency}")
    print(f"plain httpx loop : {n / plain:8.1f} pages/s ({plain:.2f} s)")
    print(f"our pipeline     : {n / ours:8.1f} pages/s ({ours:.2f} s; {new} new, {errors} errors)")
    print(f"ratio ours/plain : {plain / ours:8.2f}  (target >= 0.7)")
    print(f"store inserts    : {rate:8.1f} articles/s (one transaction each, SQLite)")


if __name__ == "__main__":
    main()
