"""Shared data for the feeds tests: hand-written stored articles and a small config.

The articles are invented but shaped like the real sources (IPIS in Asia/Tehran with a +03:30
offset, a near-duplicate republished by another institute, hostile markup in one body).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import feedparser

from feeds.validate import validate_atom
from scraper.config import Config, parse_config
from scraper.models import Article, ArticleQuery, Decision, SaveAction, StoredArticle
from scraper.store import Store

NOW = datetime(2025, 7, 14, 9, 0, tzinfo=UTC)
TEHRAN = timezone(timedelta(hours=3, minutes=30))
EST = timezone(timedelta(hours=-5))

HOSTILE_BODY = (
    '<p>Intro <a href="/rel/link">relative</a> and <a href="javascript:alert(1)">js</a>.</p>'
    '<img src="pic.png" onerror="alert(1)" srcset="a.png 1x, javascript:alert(2) 2x">'
    "<script>alert(3)</script><style>body{display:none}</style>"
    '<iframe src="https://evil.example/"></iframe><svg><script>alert(4)</script></svg>'
    '<a href="&#106;avascript:alert(5)">enc</a><base href="https://evil.example/">'
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
    '<form action="https://evil.example/"><input name="x"></form>'
)


def article(
    id: int,
    source_id: str = "ipis",
    *,
    title: str | None = None,
    authors: Sequence[str] = ("Ali Rezaei",),
    published: datetime | None = None,
    last_changed: datetime | None = None,
    body_html: str | None = None,
    body_text: str | None = None,
    summary: str | None = None,
    tags: Sequence[str] = ("iran",),
    duplicate_of: int | None = None,
    language: str | None = "en",
    host: str = "ipis.example",
) -> StoredArticle:
    """A stored article with consistent defaults; ``id`` drives URL and dates."""
    url = f"https://{host}/analysis/{id}-piece"
    first_seen = datetime(2025, 7, 1, 12, 0, tzinfo=UTC) + timedelta(hours=id)
    return StoredArticle(
        id=id,
        source_id=source_id,
        url=url,
        canonical_url=url,
        title=title if title is not None else f"Analysis number {id}",
        authors=tuple(authors),
        published=published
        if published is not None
        else datetime(2025, 7, 1, 10, 0, tzinfo=TEHRAN) + timedelta(hours=id),
        updated=None,
        language=language,
        summary=summary,
        body_text=body_text if body_text is not None else f"Body text of analysis {id}. " * 20,
        body_html=body_html if body_html is not None else f"<p>Body of analysis {id}.</p>",
        tags=tuple(tags),
        image=None,
        content_hash=f"v1:{id:064x}",
        simhash=None,
        duplicate_of=duplicate_of,
        first_seen=first_seen,
        last_changed=last_changed or first_seen,
    )


def sample_articles() -> list[StoredArticle]:
    """Six articles over three sources, one near-duplicate, one hostile, odd titles."""
    return [
        article(
            1, title='Iran & the "West": <b>bold</b> ideas', authors=("Ali Rezaei", "Sara Ahmadi")
        ),
        article(2, authors=(), body_html=HOSTILE_BODY, tags=("iran", "security")),
        article(
            3,
            "csis",
            host="csis.example",
            title="Control\x07chars\x0b and lone \ud800 surrogate",
            published=datetime(2025, 7, 2, 8, 30, tzinfo=EST),
            tags=("security",),
            last_changed=datetime(2025, 7, 10, 8, 0, tzinfo=UTC),
        ),
        article(4, "csis", host="csis.example", duplicate_of=1, title="Republished analysis"),
        article(5, "kas", host="kas.example", language="de", authors=("Jürgen Müller",), tags=()),
        article(6, "kas", host="kas.example", published=None, body_html="", summary="Short."),
    ]


def config(tmp_dir: str, **feeds: Any) -> Config:
    """Three sources (tags iran/security), a filtered feed, output under ``tmp_dir``."""
    return parse_config(
        {
            "serve": {"public_base_url": "https://feeds.example.org/"},
            "feeds": {
                "output_dir": tmp_dir,
                "filtered": [
                    {"id": "nuclear", "title": "Nuclear", "keywords": ["nuclear"]},
                    {"id": "csis-sec", "title": "CSIS security", "sources": ["csis"],
                     "tags": ["security"]},
                ],
                **feeds,
            },
            "sources": [
                {"id": "ipis", "name": "IPIS", "homepage": "https://ipis.example/",
                 "tags": ["iran"], "feeds": ["https://ipis.example/feed"],
                 "icon": "https://ipis.example/favicon.ico"},
                {"id": "csis", "name": "CSIS", "homepage": "https://csis.example/",
                 "tags": ["security"], "feeds": ["https://csis.example/feed"]},
                {"id": "kas", "name": "Konrad-Adenauer-Stiftung", "homepage": "https://kas.example/",
                 "language": "de", "feeds": ["https://kas.example/feed"]},
            ],
        }
    )  # fmt: skip


class MemoryArticles:
    """An in-memory ``ArticleSource`` with the Store's filtering semantics (tests, benchmark)."""

    def __init__(self, articles: Sequence[StoredArticle]) -> None:
        self._all = sorted(
            articles,
            key=lambda a: ((a.published or a.first_seen).astimezone(UTC), a.id),
            reverse=True,
        )
        self._by_id = {a.id: a for a in articles}

    def replace(self, new: StoredArticle) -> None:
        self.__init__([new if a.id == new.id else a for a in self._all])  # type: ignore[misc]

    def articles(
        self,
        *,
        source_ids: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        include_duplicates: bool = False,
        limit: int | None = None,
    ) -> list[StoredArticle]:
        out = [
            a
            for a in self._all
            if (not source_ids or a.source_id in source_ids)
            and (not tags or set(a.tags) & set(tags))
            and (include_duplicates or a.duplicate_of is None)
        ]
        return out if limit is None else out[:limit]

    def articles_many(self, queries: Sequence[ArticleQuery]) -> list[list[StoredArticle]]:
        return select_each(self, queries)

    def articles_by_id(self, ids: Iterable[int]) -> dict[int, StoredArticle]:
        return {i: self._by_id[i] for i in ids if i in self._by_id}


def check_feed(data: bytes) -> Any:
    """Parse with feedparser (no bozo) and our validator (no problems); return the parse."""
    problems = validate_atom(data)
    assert problems == [], problems
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def replace(a: StoredArticle, **changes: Any) -> StoredArticle:
    return dataclasses.replace(a, **changes)


def save_stored(store: Store, articles: Iterable[StoredArticle]) -> dict[int, int]:
    """Save ``articles`` through the Store API as the pipeline saves them (in order, so a
    near-duplicate's first copy comes first); return their ids -> the store's ids."""
    ids: dict[int, int] = {}
    for a in articles:
        article = Article(
            url=a.url,
            canonical_url=a.canonical_url,
            # SQLite's driver refuses lone surrogates (the renderer copes with them: atom tests)
            title=(a.title or "").encode("utf-8", "replace").decode("utf-8"),
            authors=a.authors,
            published=a.published,
            language=a.language,
            summary=a.summary,
            body_text=a.body_text,
            body_html=a.body_html,
            tags=a.tags,
            body_policy=a.body_policy,
        )
        decision = Decision(
            action=SaveAction.NEW,
            canonical_url=a.canonical_url,
            content_hash=a.content_hash,
            simhash=None,
            duplicate_of=ids[a.duplicate_of] if a.duplicate_of is not None else None,
        )
        ids[a.id] = store.save_article(
            a.source_id, article, decision, url=a.url, tags=a.tags, now=a.first_seen
        )
    return ids


def select_each(source: Any, queries: Sequence[ArticleQuery]) -> list[list[StoredArticle]]:
    """``articles_many`` of an in-memory source: its ``articles(...)`` for each query."""
    return [
        source.articles(
            source_ids=q.source_ids,
            tags=q.tags,
            include_duplicates=q.include_duplicates,
            limit=q.limit,
        )
        for q in queries
    ]
