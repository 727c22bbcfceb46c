"""Digest cost: render and queue digests for many subscribers over one week of articles.

    python benchmarks/digest.py [--articles 500] [--subscribers 250,1000] [--json]

Three measurements, on synthetic but realistic data (10 sources, 500 articles first seen in
one week, subscribers with a mix of filters: none, sources, tags, keywords, language):

* **render**: ``build`` + ``render`` + ``build_message`` per subscriber, pure (no I/O);
* **queue**: the whole ``send_due`` batch on a SQLite store in a temporary folder with a null
  transport that serialises each message (ledger ensure/claim/mark committed per subscriber);
* **baseline**: the same HTML produced with ``str.format`` + ``html.escape``, to report how
  much the Jinja2 templates cost compared with the plainest possible rendering.

The per-subscriber cost at the largest size divided by the one at the smallest is the linearity
check (about 1.0 when the cost grows linearly; the script fails above ``--max-growth``).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from feeds.digest import Digest, build, render
from feeds.mailer import send_due
from feeds.message import build_message
from feeds.period import period_bounds
from scraper.config import Config, parse_config
from scraper.models import Article, Decision, SaveAction, StoredArticle
from scraper.store import Store

PERIOD = "2025-W28"
NOW = datetime(2025, 7, 14, 8, 0, tzinfo=UTC)
SOURCES = [f"src{i}" for i in range(10)]
TAGS = ["security", "energy", "economy", "climate", "asia", "europe", "iran", "tech"]
WORDS = (
    "policy", "sanctions", "uranium", "trade", "alliance", "deterrence", "election", "budget",
    "pipeline", "tariffs", "ceasefire", "corridor", "semiconductors", "drought", "inflation",
    "summit", "refugees", "cyber", "shipping", "grid",
)  # fmt: skip


def make_config(subscribers: int, seed: int = 7) -> Config:
    rnd = random.Random(seed)
    subs: list[dict[str, Any]] = []
    for i in range(subscribers):
        sub: dict[str, Any] = {"email": f"reader{i}@example.org", "name": f"Reader {i}"}
        kind = i % 5
        if kind == 1:
            sub["sources"] = rnd.sample(SOURCES, 3)
        elif kind == 2:
            sub["tags"] = rnd.sample(TAGS, 2)
        elif kind == 3:
            sub["keywords"] = rnd.sample(WORDS, 3)
        elif kind == 4:
            sub["language"] = "en"
            sub["sources"] = rnd.sample(SOURCES, 5)
        subs.append(sub)
    return parse_config(
        {
            "digest": {"timezone": "Europe/Berlin", "from_address": "digest@news.example.org"},
            "serve": {"public_base_url": "https://digest.example.org"},
            "subscribers": subs,
            "sources": [
                {
                    "id": s,
                    "name": f"Institute {s}",
                    "homepage": f"https://{s}.example.org",
                    "feeds": [f"https://{s}.example.org/feed"],
                    "tags": [TAGS[i % len(TAGS)]],
                    "language": "de" if i == 9 else "en",
                }
                for i, s in enumerate(SOURCES)
            ],
        }
    )


def make_articles(n: int, seed: int = 11) -> list[tuple[str, Article, Decision, datetime]]:
    rnd = random.Random(seed)
    start, _ = period_bounds(PERIOD, "Europe/Berlin")
    out = []
    for i in range(n):
        seen = start.astimezone(UTC) + timedelta(minutes=rnd.randrange(7 * 24 * 60))
        words = [rnd.choice(WORDS) for _ in range(600)]
        body = "\n\n".join(
            " ".join(words[j : j + 60]).capitalize() + "." for j in range(0, 600, 60)
        )
        url = f"https://{SOURCES[i % 10]}.example.org/a/{i}"
        article = Article(
            url=url,
            canonical_url=url,
            title=f"{rnd.choice(WORDS).title()} and {rnd.choice(WORDS)}: analysis {i}",
            authors=(f"Author {i % 37}",),
            published=seen - timedelta(hours=3),
            language="en",
            summary=None if i % 3 else "A two sentence summary. It says what the piece argues.",
            body_text=body,
            body_html="",
            tags=(rnd.choice(TAGS),),
        )
        decision = Decision(
            action=SaveAction.NEW, canonical_url=url, content_hash=f"v1:{i:064x}", simhash=None
        )
        out.append((SOURCES[i % 10], article, decision, seen))
    return out


def fill_store(store: Store, config: Config, articles: list[Any]) -> None:
    store.sync_sources(config.sources, NOW)
    for source, article, decision, seen in articles:
        store.save_article(
            source, article, decision, url=article.url or "", tags=article.tags, now=seen
        )


def stored(store: Store) -> list[StoredArticle]:
    start, end = period_bounds(PERIOD, "Europe/Berlin")
    return store.articles(first_seen_from=start, first_seen_to=end)


class NullTransport:
    """Serialises each message (as SMTP would) and drops it."""

    def __init__(self) -> None:
        self.sent = 0
        self.bytes = 0

    async def send(self, message: EmailMessage, *, sender: str, recipient: str) -> None:
        self.bytes += len(message.as_bytes())
        self.sent += 1

    async def aclose(self) -> None:
        return None


def bench_render(config: Config, articles: list[StoredArticle]) -> float:
    t0 = time.perf_counter()
    cache: dict[int, Any] = {}
    for sub in config.subscribers:
        digest = build(articles, sub, config=config, period=PERIOD, cache=cache)
        rendered = render(digest)
        build_message(rendered, subscriber=sub, config=config, period=PERIOD, now=NOW)
    return time.perf_counter() - t0


ITEM = (
    '<tr><td style="padding:12px 24px 0 24px;"><h3 style="margin:0;font-size:16px;">'
    '<a href="{url}" style="color:#0b57d0;">{title}</a></h3><p style="margin:2px 0 0 0;">'
    "{authors} &middot; {date} &middot; {source}</p><p>{summary}</p></td></tr>\n"
)
PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>'
    '<table role="presentation" style="max-width:640px;">{groups}</table></body></html>'
)


def baseline(digest: Digest) -> tuple[str, str]:
    parts = []
    text = []
    for g in digest.groups:
        parts.append(f"<tr><td><h2>{html.escape(g.source_name)}</h2></td></tr>\n")
        text.append(f"== {g.source_name} ==\n")
        for item in g.items:
            date = item.published.strftime("%d %b %Y") if item.published else ""
            fields = {
                "url": html.escape(item.url),
                "title": html.escape(item.title),
                "authors": html.escape(", ".join(item.authors)),
                "date": date,
                "source": html.escape(item.source_name),
                "summary": html.escape(item.summary),
            }
            parts.append(ITEM.format(**fields))
            text.append(f"* {item.title}\n  {item.url}\n\n  {item.summary}\n")
    return PAGE.format(title=html.escape(digest.title), groups="".join(parts)), "\n".join(text)


def bench_render_vs_baseline(config: Config, articles: list[StoredArticle]) -> dict[str, float]:
    digests = [build(articles, s, config=config, period=PERIOD) for s in config.subscribers]
    t0 = time.perf_counter()
    for d in digests:
        render(d)
    jinja = time.perf_counter() - t0
    t0 = time.perf_counter()
    for d in digests:
        baseline(d)
    plain = time.perf_counter() - t0
    return {"jinja_s": jinja, "str_format_s": plain, "ratio": jinja / plain if plain else 0.0}


def bench_queue(config: Config, raw_articles: list[Any]) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.db")
        try:
            fill_store(store, config, raw_articles)
            cfg = config.model_copy(update={"data_dir": tmp})
            transport = NullTransport()
            t0 = time.perf_counter()
            results = asyncio.run(send_due(store, cfg, now=NOW, transport=transport))
            elapsed = time.perf_counter() - t0
            assert transport.sent == sum(r.state == "sent" for r in results)
            return elapsed, transport.sent
        finally:
            store.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=500)
    ap.add_argument("--subscribers", default="250,1000")
    ap.add_argument("--max-growth", type=float, default=1.5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    sizes = sorted(int(x) for x in args.subscribers.split(","))
    raw = make_articles(args.articles)
    report: dict[str, Any] = {"articles": args.articles, "render": {}, "queue": {}}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/articles.db")
        fill_store(store, make_config(1), raw)
        articles = stored(store)
        store.close()
    for n in sizes:
        config = make_config(n)
        seconds = bench_render(config, articles)
        report["render"][n] = {"seconds": seconds, "ms_per_subscriber": seconds / n * 1000}
        q_seconds, sent = bench_queue(config, raw)
        report["queue"][n] = {
            "seconds": q_seconds,
            "sent": sent,
            "ms_per_subscriber": q_seconds / n * 1000,
        }
    small, large = sizes[0], sizes[-1]
    for kind in ("render", "queue"):
        growth = report[kind][large]["ms_per_subscriber"] / report[kind][small]["ms_per_subscriber"]
        report[kind]["growth"] = growth
    report["baseline"] = bench_render_vs_baseline(make_config(small), articles)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{args.articles} articles, subscribers {sizes}")
        for kind in ("render", "queue"):
            for n in sizes:
                r = report[kind][n]
                print(
                    f"  {kind:6} {n:5} subscribers: {r['seconds']:7.2f} s, "
                    f"{r['ms_per_subscriber']:6.2f} ms/subscriber"
                )
            print(
                f"  {kind:6} per-subscriber cost {large} vs {small}: "
                f"x{report[kind]['growth']:.2f} (1.0 = linear)"
            )
        b = report["baseline"]
        print(f"  templates vs str.format ({small} digests): {b['jinja_s']:.3f} s vs "
              f"{b['str_format_s']:.3f} s = x{b['ratio']:.1f}")  # fmt: skip
    worst = max(report["render"]["growth"], report["queue"]["growth"])
    return 0 if worst <= args.max_growth else 1


if __name__ == "__main__":
    sys.exit(main())
