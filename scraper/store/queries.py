"""Reading stored articles back as :class:`~scraper.models.StoredArticle` values.

The newest-first query behind ``Store.articles`` (:func:`articles_select` builds it,
:func:`load` runs it), single and batched look-ups by id, near-duplicate clusters and
counts. Rows and their tags become ``StoredArticle`` values in :func:`_materialise`, one tag
query per 500 rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql.elements import ColumnElement

from scraper.models import ArticleQuery, StoredArticle
from scraper.store.articles import chunks
from scraper.store.engine import Database
from scraper.store.schema import article_tags, articles
from scraper.store.types import ensure_aware, parse_iso, simhash_from_db

__all__ = [
    "article",
    "articles_by_id",
    "articles_select",
    "count_articles",
    "duplicate_clusters",
    "load",
    "load_many",
]


def _tags_for(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for part in chunks(ids):
        for aid, tag in conn.execute(
            select(article_tags.c.article_id, article_tags.c.tag)
            .where(article_tags.c.article_id.in_(part))
            .order_by(article_tags.c.article_id, article_tags.c.tag)
        ):
            out.setdefault(int(aid), []).append(tag)
    return {k: tuple(v) for k, v in out.items()}


def _stored(row: RowMapping, tags: Mapping[int, tuple[str, ...]]) -> StoredArticle:
    fs = row["field_sources"] or {}
    return StoredArticle(
        id=row["id"],
        source_id=row["source_id"],
        url=row["url"],
        canonical_url=row["canonical_url"],
        title=row["title"],
        authors=tuple(row["authors"] or ()),
        published=parse_iso(row["published"]),
        updated=parse_iso(row["updated"]),
        language=row["language"],
        summary=row["summary"],
        body_text=row["body_text"],
        body_html=row["body_html"],
        tags=tags.get(row["id"], ()),
        image=row["image"],
        content_hash=row["content_hash"],
        simhash=simhash_from_db(row["simhash"]),
        duplicate_of=row["duplicate_of"],
        first_seen=row["first_seen"],
        last_changed=row["last_changed"],
        field_sources=MappingProxyType(dict(fs)),
        body_policy=row["body_policy"],
    )


_NEWEST_FIRST = (
    articles.c.published_utc.desc().nulls_last(),
    articles.c.first_seen.desc(),
    articles.c.id.desc(),
)


def _materialise(conn: Connection, rows: Sequence[RowMapping]) -> list[StoredArticle]:
    tags = _tags_for(conn, [r["id"] for r in rows])
    return [_stored(r, tags) for r in rows]


def load(db: Database, stmt: Select[Any]) -> list[StoredArticle]:
    """The stored articles a select of ``articles`` rows finds, in its order, tags included."""
    with db.read() as conn:
        rows = conn.execute(stmt).mappings().all()
        return _materialise(conn, rows)


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
        row = conn.execute(select(articles).where(articles.c.id == article_id)).mappings().all()
        found = _materialise(conn, row)
    return found[0] if found else None


def articles_by_id(db: Database, ids: Iterable[int]) -> dict[int, StoredArticle]:
    """The stored articles of ``ids`` that exist, by id (one query per 500 ids)."""
    with db.read() as conn:
        return _by_id(conn, ids)


def _by_id(conn: Connection, ids: Iterable[int]) -> dict[int, StoredArticle]:
    rows: list[RowMapping] = []
    for part in chunks(sorted(set(ids))):
        rows.extend(conn.execute(select(articles).where(articles.c.id.in_(part))).mappings().all())
    return {a.id: a for a in _materialise(conn, rows)}


def load_many(db: Database, queries: Sequence[ArticleQuery]) -> list[list[StoredArticle]]:
    """The articles of each query, in one read transaction, each row read once.

    The queries select ids (cheap: the newest-first indexes); the union of the rows is then
    read in chunks, so an article in several selections is materialised once and shared.
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
        found = _by_id(conn, (i for ids in id_lists for i in ids))
    return [[found[i] for i in ids if i in found] for ids in id_lists]


def duplicate_clusters(db: Database) -> list[tuple[StoredArticle, list[StoredArticle]]]:
    """Each first copy with its near-duplicates (oldest first); clusters newest first."""
    with db.read() as conn:
        dup_rows = (
            conn.execute(
                select(articles)
                .where(articles.c.duplicate_of.is_not(None))
                .order_by(articles.c.first_seen, articles.c.id)
            )
            .mappings()
            .all()
        )
        if not dup_rows:
            return []
        first_ids = sorted({int(r["duplicate_of"]) for r in dup_rows})
        first_rows: list[RowMapping] = []
        for part in chunks(first_ids):
            first_rows.extend(
                conn.execute(select(articles).where(articles.c.id.in_(part))).mappings().all()
            )
        dups = _materialise(conn, dup_rows)
        firsts = _materialise(conn, first_rows)
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
