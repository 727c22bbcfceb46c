"""The articles of ``benchmarks/feeds.py``: 50 sources x 1,000 distinct ~3 KB articles and an
in-memory article source with per-source and per-tag indexes (the store uses SQL indexes)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from feeds.sanitize import POLICY, sanitize_html
from scraper.models import ArticleQuery, StoredArticle
from tests._feeds_helpers import select_each

NOW = datetime(2025, 7, 14, 9, 0, tzinfo=UTC)
WORDS = [
    "policy",
    "sanctions",
    "nuclear",
    "energy",
    "security",
    "alliance",
    "economy",
    "trade",
    "diplomacy",
    "region",
    "election",
    "reform",
    "strategy",
    "defence",
    "climate",
    "migration",
    "budget",
    "parliament",
    "treaty",
]


def _bodies(n: int, sid: str, paras: list[str]) -> tuple[str, str]:
    """(raw HTML as a page gives it, the same after ``sanitize_html``) of article ``n``.

    The sanitised form is written out directly (sanitising 50,000 bodies would take longer
    than the benchmark); :func:`main` checks on a sample that it is what the sanitiser makes.
    """
    base = f"https://{sid}.example"
    raw = (
        f'<h2>Section {n}</h2><p><a href="/related/{n}">Related</a> '
        f'<img src="img/{n}.png" alt="figure"></p>'
        + "".join(f"<p>{p} <em>{n}</em></p>" for p in paras)
        + '<script>track()</script><p onclick="x()">end</p>'
    )
    clean = (
        f'<h2>Section {n}</h2><p><a href="{base}/related/{n}" rel="noopener noreferrer">'
        f'Related</a> <img src="{base}/analysis/img/{n}.png" alt="figure"></p>'
        + "".join(f"<p>{p} <em>{n}</em></p>" for p in paras)
        + "<p>end</p>"
    )
    return raw, clean


def make_articles(
    sources: int, per_source: int, seed: int = 1, *, sanitised: bool = True
) -> list[StoredArticle]:
    """``sources`` x ``per_source`` distinct articles with ~3 KB bodies.

    ``sanitised``: bodies as the pipeline stores them (sanitised at ingest, ``body_policy``
    set); otherwise raw page HTML without a policy, as rows stored before ingest-time
    sanitising were (feed builds sanitise those).
    """
    rng = random.Random(seed)
    out: list[StoredArticle] = []
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for s in range(sources):
        sid = f"src{s:02d}"
        for i in range(per_source):
            n = s * per_source + i
            paras = [" ".join(rng.choices(WORDS, k=60)) for _ in range(6)]
            raw, clean = _bodies(n, sid, paras)
            when = start + timedelta(minutes=37 * n + s)
            out.append(
                StoredArticle(
                    id=n + 1,
                    source_id=sid,
                    url=f"https://{sid}.example/analysis/{n}",
                    canonical_url=f"https://{sid}.example/analysis/{n}",
                    title=f"Analysis {n}: " + " ".join(rng.choices(WORDS, k=6)),
                    authors=(f"Author {n % 97}", f"Co-author {n % 31}"),
                    published=when,
                    updated=None,
                    language="en",
                    summary=paras[0][:200],
                    body_text="\n\n".join(paras),
                    body_html=clean if sanitised else raw,
                    tags=(f"t{s % 5}",),
                    image=None,
                    content_hash=f"v1:{n:064x}",
                    simhash=None,
                    duplicate_of=(n - 1) if i % 50 == 49 else None,
                    first_seen=when,
                    last_changed=when,
                    body_policy=POLICY if sanitised else None,
                )
            )
    return out


class IndexedArticles:
    """In-memory ArticleSource with per-source/per-tag indexes (the store uses SQL indexes)."""

    def __init__(self, articles: Sequence[StoredArticle]) -> None:
        def key(a: StoredArticle) -> tuple[datetime, int]:
            return (a.published or a.first_seen, a.id)

        self._all = sorted(articles, key=key, reverse=True)
        self._by_id = {a.id: a for a in articles}
        self._by_source: dict[str, list[StoredArticle]] = {}
        self._by_tag: dict[str, list[StoredArticle]] = {}
        for a in self._all:
            self._by_source.setdefault(a.source_id, []).append(a)
            for t in a.tags:
                self._by_tag.setdefault(t, []).append(a)

    def articles(
        self,
        *,
        source_ids: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        include_duplicates: bool = False,
        limit: int | None = None,
    ) -> list[StoredArticle]:
        if source_ids and len(source_ids) == 1 and not tags:
            pool = self._by_source.get(source_ids[0], [])
        elif tags and len(tags) == 1 and not source_ids:
            pool = self._by_tag.get(tags[0], [])
        else:
            pool = self._all
        out: list[StoredArticle] = []
        for a in pool:
            if source_ids and a.source_id not in source_ids:
                continue
            if tags and not set(a.tags) & set(tags):
                continue
            if a.duplicate_of is not None and not include_duplicates:
                continue
            out.append(a)
            if limit is not None and len(out) >= limit:
                break
        return out

    def articles_many(self, queries: Sequence[ArticleQuery]) -> list[list[StoredArticle]]:
        return select_each(self, queries)

    def articles_by_id(self, ids: Iterable[int]) -> dict[int, StoredArticle]:
        return {i: self._by_id[i] for i in ids if i in self._by_id}


def check_bodies(articles: Sequence[StoredArticle]) -> None:
    """The stored bodies are what the sanitiser makes of the raw ones (so trusting is fair)."""
    for a in articles[:: max(1, len(articles) // 50)]:
        n = a.id - 1
        raw, clean = _bodies(n, a.source_id, a.body_text.split("\n\n"))
        if sanitize_html(raw, a.url) != clean:
            raise SystemExit(f"benchmark data: stored body {n} is not sanitize_html's output")
