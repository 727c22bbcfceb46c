"""Reading stored articles back as :class:`~scraper.models.StoredArticle` values.

The newest-first query behind ``Store.articles`` (:func:`articles_select` builds it,
:func:`load` runs it), single and batched look-ups by id, near-duplicate clusters and
counts. Rows and their tags become ``StoredArticle`` values in :mod:`scraper.store.rows`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.sql.elements import ColumnElement

from scraper.models import ArticleQuery, StoredArticle
from scraper.store import rows as _rows
from scraper.store.engine import Database
from scraper.store.schema import article_tags, articles
from scraper.store.types import ensure_aware

__all__ = [
    "article",
    "articles_by_id",
    "articles_select",
    "count_articles",
    "duplicate_clusters",
    "load",
    "load_many",
]


# published, else first seen (``sort_utc``), newest first: the order feeds show
_NEWEST_FIRST = (articles.c.sort_utc.desc(), articles.c.id.desc())


def load(db: Database, stmt: Select[Any]) -> list[StoredArticle]:
    """The stored articles a select of ``articles`` rows finds, in its order, tags included."""
    with db.read() as conn:
        return _rows.read(conn, stmt.with_only_columns(*_rows.ROW_COLUMNS))


def articles_select(
    *,
    source_ids: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
    include_duplicates: bool = False,
    first_seen_from: datetime | None = None,
    first_seen_to: datetime | None = None,
    limit: int | None = None,
) -> Select[Any]:
    """Stored articles, newest first (published, else first seen): the query, for :func:`load`.

    ``source_ids``/``tags`` filter when non-empty (tags: any of them); ``first_seen_from`` is
    inclusive, ``first_seen_to`` exclusive; near-duplicates are left out unless asked for. The
    ``ix_articles_*newest`` indexes serve its order.
    """
    conds: list[ColumnElement[bool]] = []
    if source_ids:
        conds.append(articles.c.source_id.in_(list(source_ids)))
    if tags:
        conds.append(
            exists().where(
                article_tags.c.article_id == articles.c.id, article_tags.c.tag.in_(list(tags))
            )
        )
    if not include_duplicates:
        conds.append(articles.c.duplicate_of.is_(None))
    if first_seen_from is not None:
        conds.append(articles.c.first_seen >= ensure_aware(first_seen_from, "first_seen_from"))
    if first_seen_to is not None:
        conds.append(articles.c.first_seen < ensure_aware(first_seen_to, "first_seen_to"))
    stmt = select(articles).where(*conds).order_by(*_NEWEST_FIRST)
    if limit is not None:
        stmt = stmt.limit(max(limit, 0))
    return stmt


def article(db: Database, article_id: int) -> StoredArticle | None:
    """One stored article by id."""
    with db.read() as conn:
        found = _rows.by_id(conn, [article_id])
    return found.get(article_id)


def articles_by_id(db: Database, ids: Iterable[int]) -> dict[int, StoredArticle]:
    """The stored articles of ``ids`` that exist, by id."""
    with db.read() as conn:
        return _rows.by_id(conn, ids)


def load_many(db: Database, queries: Sequence[ArticleQuery]) -> list[list[StoredArticle]]:
    """The articles of each query, in one read transaction, each row read once.

    The queries select ids (cheap: the newest-first indexes); the union of the rows is then
    read in one query, so an article in several selections is materialised once and shared.
    """
    with db.read() as conn:
        id_lists: list[list[int]] = []
        for q in queries:
            stmt = articles_select(
                source_ids=q.source_ids,
                tags=q.tags,
                include_duplicates=q.include_duplicates,
                limit=q.limit,
            ).with_only_columns(articles.c.id)
            id_lists.append([int(i) for i in conn.execute(stmt).scalars()])
        found = _rows.by_id(conn, (i for ids in id_lists for i in ids))
    return [[found[i] for i in ids if i in found] for ids in id_lists]


def duplicate_clusters(db: Database) -> list[tuple[StoredArticle, list[StoredArticle]]]:
    """Each first copy with its near-duplicates (oldest first); clusters newest first."""
    with db.read() as conn:
        dups = _rows.read(
            conn,
            select(*_rows.ROW_COLUMNS)
            .where(articles.c.duplicate_of.is_not(None))
            .order_by(articles.c.first_seen, articles.c.id),
        )
        if not dups:
            return []
        first_ids = (d.duplicate_of for d in dups if d.duplicate_of is not None)
        firsts = list(_rows.by_id(conn, first_ids).values())
    by_first: dict[int, list[StoredArticle]] = {}
    for d in dups:
        assert d.duplicate_of is not None
        by_first.setdefault(d.duplicate_of, []).append(d)
    firsts.sort(key=lambda a: (a.first_seen, a.id), reverse=True)
    return [(f, by_first[f.id]) for f in firsts if f.id in by_first]


def count_articles(db: Database, source_id: str | None = None) -> int:
    """How many articles are stored (for one source, or all), duplicates included."""
    stmt = select(func.count()).select_from(articles)
    if source_id is not None:
        stmt = stmt.where(articles.c.source_id == source_id)
    with db.read() as conn:
        return int(conn.execute(stmt).scalar_one())
