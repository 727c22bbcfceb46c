"""Shared database fixtures (owned by the store area).

- ``pg_url``: a PostgreSQL URL whose ``search_path`` is a fresh schema ``t_<random>`` in the
  ``test`` database at 127.0.0.1:5432 (dropped afterwards), so tests of several people can share
  the server. Skips with the reason when PostgreSQL is unreachable (set ``TTD_REQUIRE_POSTGRES=1``
  to fail instead, as CI does). ``TTD_TEST_PG_URL`` overrides the server URL.
- ``sqlite_url``: a SQLite file in ``tmp_path``.
- ``store``: an open :class:`~scraper.store.Store`, parametrised ``sqlite`` / ``postgres``.
- ``make_article``: a factory of consistent ``(Article, Decision)`` pairs.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Literal

import psycopg
import pytest
from psycopg import sql

from scraper.models import Article, Decision, SaveAction
from scraper.store import Store

PG_SERVER_URL = os.environ.get("TTD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2025, 7, 14, 9, 0, tzinfo=UTC)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@cache
def pg_unavailable_reason() -> str | None:
    """Why PostgreSQL cannot be used for tests (``None`` when it can)."""
    try:
        with psycopg.connect(_libpq(PG_SERVER_URL), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as e:
        return f"PostgreSQL at {PG_SERVER_URL} unreachable ({type(e).__name__}: {e})".strip()
    return None


def _require_pg() -> None:
    reason = pg_unavailable_reason()
    if reason is None:
        return
    if os.environ.get("TTD_REQUIRE_POSTGRES") == "1":
        pytest.fail(reason + " and TTD_REQUIRE_POSTGRES=1")
    pytest.skip(reason)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A ``postgresql+psycopg://`` URL confined to a fresh schema, dropped after the test."""
    _require_pg()
    name = f"t_{secrets.token_hex(6)}"
    base = _libpq(PG_SERVER_URL)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    sep = "&" if "?" in PG_SERVER_URL else "?"
    url = PG_SERVER_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{url}{sep}options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    """A SQLite database file (not yet created) in a sub-folder of ``tmp_path``."""
    return f"sqlite:///{tmp_path / 'db' / 'scraper.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A fresh database URL on each backend (ids ``sqlite`` / ``postgres``)."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An open, migrated, empty store on each backend (ids ``sqlite`` / ``postgres``)."""
    st = Store.open(db_url)
    try:
        yield st
    finally:
        st.close()


class ArticleFactory:
    """Makes ``(Article, Decision)`` pairs; ``n`` numbers the article (URL, title, body).

    The content hash is derived from the body (sha256) and the simhash from ``n`` unless given
    (``simhash=None`` means "too short to fingerprint"). ``published=None`` gets a date; pass
    ``undated=True`` for an article without one.
    """

    def __init__(self) -> None:
        self.counter = 0

    def __call__(
        self,
        n: int | None = None,
        *,
        source: str = "ipis",
        canonical_url: str | None = None,
        title: str | None = None,
        body: str | None = None,
        published: datetime | None = None,
        updated: datetime | None = None,
        authors: tuple[str, ...] = ("Ali Rezaei",),
        language: str | None = "en",
        summary: str | None = "A short summary.",
        image: str | None = None,
        tags: tuple[str, ...] = (),
        field_sources: Mapping[str, str] | None = None,
        action: SaveAction = SaveAction.NEW,
        article_id: int | None = None,
        duplicate_of: int | None = None,
        content_hash: str | None = None,
        simhash: int | Literal["auto"] | None = "auto",
        count_change: bool = True,
        undated: bool = False,
    ) -> tuple[Article, Decision]:
        if n is None:
            self.counter += 1
            n = self.counter
        url = canonical_url or f"https://{source}.example.org/articles/{n}"
        body_text = body if body is not None else f"Body of article {n}.\n\nSecond paragraph {n}."
        article = Article(
            url=url,
            canonical_url=url,
            title=title if title is not None else f"Article {n}",
            authors=authors,
            published=None
            if undated
            else published or NOW - timedelta(days=30) + timedelta(hours=n),
            updated=updated,
            language=language,
            summary=summary,
            body_text=body_text,
            body_html="".join(f"<p>{p}</p>" for p in body_text.split("\n\n")),
            tags=tags,
            image=image,
            field_sources=dict(field_sources or {"title": "json-ld", "body": "heuristic"}),
        )
        decision = Decision(
            action=action,
            canonical_url=url,
            content_hash=content_hash or "v1:" + hashlib.sha256(body_text.encode()).hexdigest(),
            simhash=(n * 0x9E3779B97F4A7C15) % (1 << 64) if simhash == "auto" else simhash,
            article_id=article_id,
            duplicate_of=duplicate_of,
            count_change=count_change,
        )
        return article, decision


@pytest.fixture
def two_stores(db_url: str) -> Iterator[tuple[Store, Store]]:
    """Two separate stores (two engines, two pools) on one database, for races."""
    a = Store.open(db_url)
    b = Store.open(db_url)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


@pytest.fixture
def make_article() -> ArticleFactory:
    """A fresh :class:`ArticleFactory` (numbers start at 1 in each test)."""
    return ArticleFactory()
