"""Feed rendering cost: feedgen (what we ship) against a minimal lxml-only Atom writer.

Run: ``python -m benchmarks.feeds`` (``--sources 50 --per-source 1000 --repeat 3``); add
``--sqlite`` to also build from a real SQLite store holding the same articles, or
``--db URL`` from an empty database such as PostgreSQL (saving the articles through the Store
API takes about a minute).

Measured on the same in-memory articles (full HTML bodies of ~3 KB, all distinct, stored as
the pipeline stores them: sanitised at ingest under ``feeds.sanitize.POLICY``):

1. the combined feed of 100 entries, and all feeds of a 50 sources x 1,000 articles store
   (all + 50 source + tag + filtered feeds, 100 entries each): the XML writer alone, feedgen
   vs lxml, as a ratio; then the Atom part of a rebuild from the store (queries, entries and
   writer) for both;
2. our whole ``build_all`` (Atom + JSON + OPML + index): first build, a forced full render
   (every feed rendered), the usual rebuild where fingerprints show nothing changed, a rebuild
   after one article changed, and a forced full render of rows stored without a sanitiser
   policy (older rows: sanitised while rendering, with a cold and a warm sanitiser cache);
3. with ``--sqlite`` / ``--db``: ``build_all`` reading from that database (first build into
   an empty folder, forced, nothing changed), queries and row decoding included; the fill's
   writes are flushed (``os.sync``) before the first build is timed.

Writer-only and Atom-rebuild times are the best of ``--repeat`` runs; ``build_all`` times are
printed as ``median (min-max)`` of ``--repeat`` runs (a first build happens once per store),
and the < 1 s targets are checked against the slowest run.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence

from lxml import etree  # type: ignore[import-untyped]
from sqlalchemy import text

from benchmarks.feeds_data import NOW, IndexedArticles, check_bodies, make_articles
from feeds import model
from feeds.atom import render_entries
from feeds.model import EntryView, FeedSpec, feed_entries, feed_updated, rfc3339
from feeds.plan import plan_feeds
from feeds.publish import build_all
from scraper.config import Config, parse_config
from scraper.models import StoredArticle
from scraper.store import Store
from tests._feeds_helpers import save_stored

__all__ = ["NOW", "IndexedArticles", "make_articles", "make_config"]


def make_config(sources: int, out: str) -> Config:
    return parse_config(
        {
            "feeds": {
                "output_dir": out,
                "filtered": [
                    {"id": "nuclear", "title": "Nuclear", "keywords": ["nuclear treaty"]},
                    {"id": "mix", "title": "Mix", "sources": ["src00", "src01"], "tags": ["t0"]},
                ],
            },
            "sources": [
                {
                    "id": f"src{s:02d}",
                    "name": f"Institute {s}",
                    "homepage": f"https://src{s:02d}.example/",
                    "tags": [f"t{s % 5}"],
                    "feeds": [f"https://src{s:02d}.example/feed"],
                }
                for s in range(sources)
            ],
        }
    )


_A = "http://www.w3.org/2005/Atom"


def lxml_atom(spec: FeedSpec, entries: Sequence[EntryView]) -> bytes:
    """A minimal Atom writer with lxml only: the same elements as ``render_entries``."""
    E = etree.SubElement
    feed = etree.Element(f"{{{_A}}}feed", nsmap={None: _A})

    def text(parent: etree._Element, tag: str, value: str, **attrs: str) -> None:
        el = E(parent, f"{{{_A}}}{tag}", attrs)
        el.text = value

    text(feed, "id", spec.id)
    text(feed, "title", spec.title)
    text(feed, "updated", rfc3339(feed_updated(entries)))
    author = E(feed, f"{{{_A}}}author")
    text(author, "name", spec.author)
    E(feed, f"{{{_A}}}link", href=spec.self_url, rel="self", type="application/atom+xml")
    E(feed, f"{{{_A}}}link", href=spec.alternate_url, rel="alternate", type="text/html")
    text(feed, "generator", "thinktank-digest", version="0")
    if spec.subtitle:
        text(feed, "subtitle", spec.subtitle)
    for e in entries:
        entry = E(feed, f"{{{_A}}}entry")
        text(entry, "id", e.id)
        text(entry, "title", e.title)
        text(entry, "updated", rfc3339(e.updated))
        for name in e.authors:
            a = E(entry, f"{{{_A}}}author")
            text(a, "name", name)
        text(entry, "content", e.content_html, type="html")
        E(entry, f"{{{_A}}}link", href=e.url, rel="alternate", type="text/html")
        if e.related_url:
            E(entry, f"{{{_A}}}link", href=e.related_url, rel="related", type="text/html")
        if e.summary:
            text(entry, "summary", e.summary, type="text")
        for term, scheme, label in e.categories:
            attrs = {"term": term, "scheme": scheme}
            if label:
                attrs["label"] = label
            E(entry, f"{{{_A}}}category", attrs)
        if e.published is not None:
            text(entry, "published", rfc3339(e.published))
        src = E(entry, f"{{{_A}}}source")
        text(src, "title", e.source_name)
    data: bytes = etree.tostring(feed, pretty_print=True, encoding="UTF-8", xml_declaration=True)
    return data


def timed(fn: Callable[[], object], repeat: int, *, cold: bool = False) -> list[float]:
    """Seconds each of ``repeat`` calls of ``fn`` took."""
    times: list[float] = []
    for _ in range(repeat):
        if cold:
            model.SANITIZE_CACHE.clear()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def best(fn: Callable[[], object], repeat: int, *, cold: bool = False) -> float:
    return min(timed(fn, repeat, cold=cold))


def spread(times: Sequence[float]) -> str:
    """``median ms (min-max)`` of several timings."""
    ms = sorted(t * 1000 for t in times)
    return f"{statistics.median(ms):.0f} ms ({ms[0]:.0f}-{ms[-1]:.0f})"


def filled_store(articles: Sequence[StoredArticle], url: str) -> Store:
    """The store at ``url`` (empty) holding ``articles``, saved as the pipeline saves them."""
    store = Store.open(url)
    if store.count_articles():
        raise SystemExit(f"{url}: the benchmark needs an empty database")
    save_stored(store, articles)
    if store.backend == "postgresql":
        # what autovacuum does after a bulk insert (it is off on some machines): table
        # statistics (without them the planner scans article_tags for every feed) and the
        # rows' visibility hints (without them the first reads of 50,000 fresh rows write
        # every page back)
        with store._db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    # the fill leaves hundreds of MB for the kernel to write back; a first build timed in the
    # middle of that waits for it in every fsync (a scrape writes a few hundred KB)
    os.sync()
    return store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=int, default=50)
    ap.add_argument("--per-source", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sqlite", action="store_true", help="also build from a SQLite store")
    ap.add_argument("--db", help="also build from the (empty) database at this store URL")
    args = ap.parse_args()

    t0 = time.perf_counter()
    articles = make_articles(args.sources, args.per_source)
    check_bodies(articles)
    store = IndexedArticles(articles)
    print(f"data: {len(articles)} articles, generated in {time.perf_counter() - t0:.1f} s")

    with tempfile.TemporaryDirectory() as tmp:
        config = make_config(args.sources, tmp)
        plans = plan_feeds(store, config)
        names = {s.id: s.name for s in config.sources}
        all_plan = plans[0]

        def prepare(plan_articles: Sequence[StoredArticle], spec: FeedSpec) -> list[EntryView]:
            return feed_entries(spec, plan_articles, source_names=names)

        combined = prepare(all_plan.articles, all_plan.spec)
        r1 = best(
            lambda: render_entries(all_plan.spec, combined, generator_version="0"), args.repeat
        )
        b1 = best(lambda: lxml_atom(all_plan.spec, combined), args.repeat)
        print(
            f"combined feed, {len(combined)} entries, writer only: feedgen {r1 * 1000:.1f} ms, "
            f"lxml {b1 * 1000:.1f} ms, ratio {r1 / b1:.2f}x"
        )

        prepared = [(p.spec, prepare(p.articles, p.spec)) for p in plans]
        n_entries = sum(len(e) for _, e in prepared)
        r2 = best(
            lambda: [render_entries(s, e, generator_version="0") for s, e in prepared],
            args.repeat,
        )
        b2 = best(lambda: [lxml_atom(s, e) for s, e in prepared], args.repeat)
        print(
            f"all {len(prepared)} Atom feeds ({n_entries} entries), writer only: feedgen "
            f"{r2 * 1000:.0f} ms, lxml {b2 * 1000:.0f} ms, ratio {r2 / b2:.2f}x"
        )

        def atom_rebuild(writer: Callable[[FeedSpec, list[EntryView]], bytes]) -> None:
            for p in plan_feeds(store, config):
                writer(p.spec, prepare(p.articles, p.spec))

        r3 = best(
            lambda: atom_rebuild(lambda s, e: render_entries(s, e, generator_version="0")),
            args.repeat,
        )
        b3 = best(lambda: atom_rebuild(lxml_atom), args.repeat)
        print(
            f"Atom rebuild from the store (queries + entries + writer): feedgen "
            f"{r3 * 1000:.0f} ms, lxml {b3 * 1000:.0f} ms, ratio {r3 / b3:.2f}x"
        )

        t = time.perf_counter()
        first = build_all(store, config, now=NOW)
        first_s = time.perf_counter() - t
        forced_times = timed(lambda: build_all(store, config, now=NOW, force=True), args.repeat)
        skipped_times = timed(lambda: build_all(store, config, now=NOW), args.repeat)
        forced, skipped = max(forced_times), max(skipped_times)
        newest = store.articles(source_ids=["src00"], limit=1)[0]
        changed_store = IndexedArticles(
            [
                dataclasses.replace(a, title="Revised", last_changed=NOW) if a is newest else a
                for a in articles
            ]
        )
        t = time.perf_counter()
        one = build_all(changed_store, config, now=NOW)
        one_s = time.perf_counter() - t
        legacy = IndexedArticles(make_articles(args.sources, args.per_source, sanitised=False))
        legacy_cold = best(
            lambda: build_all(legacy, config, now=NOW, force=True), args.repeat, cold=True
        )
        legacy_warm = best(lambda: build_all(legacy, config, now=NOW, force=True), args.repeat)
        print(
            f"build_all (Atom + JSON + OPML + index, {len(first.feeds)} feeds): first build "
            f"{first_s * 1000:.0f} ms ({len(first.written)} files written)"
        )
        print(f"  forced full render (every feed rendered, none skipped): {spread(forced_times)}")
        print(
            f"  rebuild, nothing changed (fingerprints, nothing rendered): {spread(skipped_times)}"
        )
        print(
            f"  rebuild after one article changed: {one_s * 1000:.0f} ms "
            f"({len(one.written)} files rewritten)"
        )
        print(
            f"  forced full render of rows stored without a sanitiser policy (sanitised at "
            f"render): {legacy_cold * 1000:.0f} ms cold, {legacy_warm * 1000:.0f} ms with "
            f"the sanitiser cache warm"
        )
        ratio = r3 / b3
        print(
            f"targets: full rebuild < 1 s: first {'OK' if first_s < 1 else 'MISSED'}, forced "
            f"{'OK' if forced < 1 else 'MISSED'}, usual "
            f"{'OK' if skipped < 1 else 'MISSED'}, one change {'OK' if one_s < 1 else 'MISSED'}"
            f"; <= 2x lxml: {'OK' if ratio <= 2 else 'MISSED'} ({ratio:.2f}x from the store, "
            f"{r2 / b2:.2f}x writer only)"
        )
        for url in ([f"sqlite:///{tmp}/bench.db"] if args.sqlite else []) + (
            [args.db] if args.db else []
        ):
            from_database(articles, url, f"{tmp}/db-feeds", args.sources, args.repeat)


def from_database(
    articles: Sequence[StoredArticle], url: str, out: str, sources: int, repeat: int
) -> None:
    """``build_all`` reading ``articles`` from the database at ``url`` (filled first)."""
    t = time.perf_counter()
    db = filled_store(articles, url)
    saved_s = time.perf_counter() - t
    config = make_config(sources, f"{out}-{db.backend}")
    t = time.perf_counter()
    build_all(db, config, now=NOW)
    first_s = time.perf_counter() - t
    # the same first build into a second empty folder: the rows are in the page cache now
    # (this machine's memory reclaim evicts a file untouched for a few seconds, so the first
    # build above may read the rows from disk: both are printed)
    again = make_config(sources, f"{out}-{db.backend}-again")
    t = time.perf_counter()
    build_all(db, again, now=NOW)
    warm_s = time.perf_counter() - t
    forced = timed(lambda: build_all(db, config, now=NOW, force=True), repeat)
    skipped = timed(lambda: build_all(db, config, now=NOW), repeat)
    db.close()
    print(
        f"from {db.backend} ({len(articles)} articles saved in {saved_s:.0f} s): first build "
        f"{first_s * 1000:.0f} ms (rows as the page cache left them), {warm_s * 1000:.0f} ms "
        f"(rows in the page cache), forced full render {spread(forced)}, nothing changed "
        f"{spread(skipped)}"
    )
    print(
        f"  targets ({db.backend}): first build < 1 s {'OK' if first_s < 1 else 'MISSED'} "
        f"(rows cached: {'OK' if warm_s < 1 else 'MISSED'}), "
        f"forced < 1 s {'OK' if max(forced) < 1 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
