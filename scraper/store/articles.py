"""Articles, their tags and the dedup identity: the store side of ``extract -> dedup -> store``.

Writing (:func:`save_article`) and what dedup asks before a save (:func:`identity`,
:func:`first_with_hash`, :func:`simhashes`, :func:`minhashes`); reading articles back as
:class:`~scraper.models.StoredArticle` values is :mod:`scraper.store.queries`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, bindparam, delete, func, select, update
from sqlalchemy.engine import Connection

from scraper.models import Article, ArticleIdentity, BodyRefresh, Decision, SaveAction
from scraper.store.engine import Database
from scraper.store.schema import article_tags, articles
from scraper.store.types import (
    ensure_aware,
    iso_with_offset,
    simhash_from_db,
    simhash_to_db,
    u64_from_db,
)

__all__ = [
    "CHUNK",
    "first_with_hash",
    "identity",
    "minhashes",
    "refresh_bodies",
    "save_article",
    "simhashes",
]

CHUNK = 500  # ids / URLs per IN (...) list


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """``items`` in slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Stripped, non-empty, each once ignoring case, the first spelling kept (the pipeline
    puts the source's config tags first, so a page's "Russia" is the config's "russia", which
    names the tag feed)."""
    seen: dict[str, str] = {}
    for tag in tags:
        t = tag.strip()
        if t:
            seen.setdefault(t.casefold(), t)
    return list(seen.values())


def _content_values(
    source_id: str, article: Article, decision: Decision, url: str
) -> dict[str, Any]:
    published = article.published
    return {
        "source_id": source_id,
        "url": url,
        "title": article.title,
        "authors": list(article.authors),
        "published": iso_with_offset(published),
        "published_utc": published,
        "updated": iso_with_offset(article.updated),
        "language": article.language,
        "summary": article.summary,
        "body_text": article.body_text,
        "body_html": article.body_html,
        "image": article.image,
        "content_hash": decision.content_hash,
        "simhash": simhash_to_db(decision.simhash),
        "minhash": decision.minhash,
        "field_sources": dict(article.field_sources),
        "body_policy": article.body_policy,
    }


def _id_by_canonical(conn: Connection, canonical_url: str) -> int | None:
    found = conn.execute(
        select(articles.c.id).where(articles.c.canonical_url == canonical_url)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def _set_tags(db: Database, conn: Connection, article_id: int, tags: Sequence[str]) -> None:
    wanted = clean_tags(tags)
    current = set(
        conn.execute(
            select(article_tags.c.tag).where(article_tags.c.article_id == article_id)
        ).scalars()
    )
    stale = current - set(wanted)
    if stale:
        conn.execute(
            delete(article_tags).where(
                article_tags.c.article_id == article_id, article_tags.c.tag.in_(stale)
            )
        )
    new = [{"article_id": article_id, "tag": t} for t in wanted if t not in current]
    if new:  # DO NOTHING: a concurrent save of the same article may have added it meanwhile
        conn.execute(db.insert(article_tags).on_conflict_do_nothing(), new)


_LATER_COLUMNS = frozenset({"minhash", "body_policy"})


def _insert_new(
    db: Database,
    conn: Connection,
    values: dict[str, Any],
    decision: Decision,
    now: datetime,
) -> int | None:
    """Insert a new row; ``None`` when the canonical URL exists already (race or re-save)."""
    # NULL anyway: leave the later columns out of the INSERT when they have nothing
    values = {k: v for k, v in values.items() if k not in _LATER_COLUMNS or v is not None}
    stmt = (
        db.insert(articles)
        .values(
            **values,
            canonical_url=decision.canonical_url,
            duplicate_of=decision.duplicate_of,
            first_seen=now,
            last_changed=now,
            change_count=0,
            sort_utc=values["published_utc"] or now,
        )
        .on_conflict_do_nothing(index_elements=[articles.c.canonical_url])
        .returning(articles.c.id)
    )
    new_id = conn.execute(stmt).scalar_one_or_none()
    return None if new_id is None else int(new_id)


def _update_existing(
    conn: Connection,
    article_id: int,
    values: dict[str, Any],
    decision: Decision,
    *,
    count_change: bool,
    now: datetime,
) -> None:
    changes: dict[str, Any] = dict(values)
    changes.pop("source_id")  # an article belongs to the source that found it first
    # published, else first seen: the newest-first order
    changes["sort_utc"] = (
        values["published_utc"] if values["published_utc"] is not None else articles.c.first_seen
    )
    if decision.duplicate_of is not None and decision.duplicate_of != article_id:
        changes["duplicate_of"] = decision.duplicate_of
    if count_change:
        changes["last_changed"] = now
        changes["change_count"] = articles.c.change_count + 1
    conn.execute(update(articles).where(articles.c.id == article_id).values(**changes))


def save_article(
    db: Database,
    source_id: str,
    article: Article,
    decision: Decision,
    *,
    url: str,
    tags: Sequence[str],
    now: datetime,
) -> int:
    """Carry out ``decision`` in one transaction (row + tags); return the article id.

    NEW inserts (first_seen = last_changed = now); UPDATED rewrites the content and, when
    ``decision.count_change``, moves ``last_changed`` and bumps ``change_count``; UNCHANGED only
    syncs the tags. Robust against a stale decision: a NEW whose canonical URL exists is applied
    to that row (an update if the content hash differs, else nothing), an UPDATED/UNCHANGED whose
    row is gone is inserted. The stored tags become exactly ``tags``.
    """
    ensure_aware(now, "now")
    values = _content_values(source_id, article, decision, url)
    with db.write() as conn:
        article_id: int | None = None
        if decision.action is SaveAction.NEW:
            article_id = _insert_new(db, conn, values, decision, now)
            if article_id is None:  # already stored: idempotent re-save
                existing = _id_by_canonical(conn, decision.canonical_url)
                assert existing is not None
                article_id = existing
                old_hash = conn.execute(
                    select(articles.c.content_hash).where(articles.c.id == article_id)
                ).scalar_one()
                if old_hash != decision.content_hash:
                    _update_existing(conn, article_id, values, decision, count_change=True, now=now)
        else:
            article_id = decision.article_id
            if article_id is not None:
                present = conn.execute(
                    select(articles.c.id).where(articles.c.id == article_id)
                ).scalar_one_or_none()
                article_id = None if present is None else int(present)
            if article_id is None:
                article_id = _id_by_canonical(conn, decision.canonical_url)
            if article_id is None:
                article_id = _insert_new(db, conn, values, decision, now)
                assert article_id is not None
            elif decision.action is SaveAction.UPDATED:
                _update_existing(
                    conn,
                    article_id,
                    values,
                    decision,
                    count_change=decision.count_change,
                    now=now,
                )
        _set_tags(db, conn, article_id, tags)
        return article_id


def refresh_bodies(db: Database, refreshed: Sequence[BodyRefresh]) -> int:
    """Store bodies sanitised again under a newer sanitiser policy; return how many rows.

    A row is rewritten only while it still holds the content hash and policy its new body was
    computed from (a scrape may have replaced the article meanwhile); nothing else moves:
    neither ``last_changed`` nor the change count (the text readers see is the same).
    """
    if not refreshed:
        return 0
    c = articles.c
    stmt = (
        update(articles)
        .where(
            c.id == bindparam("r_id"),
            c.content_hash == bindparam("r_hash"),
            c.body_policy.is_not_distinct_from(bindparam("r_old", type_=c.body_policy.type)),
        )
        .values(body_html=bindparam("r_html"), body_policy=bindparam("r_policy"))
    )
    done = 0
    with db.write() as conn:
        for r in refreshed:  # one statement per row: the rowcount of executemany is not portable
            values = {
                "r_id": r.article_id,
                "r_hash": r.content_hash,
                "r_old": r.old_policy,
                "r_html": r.body_html,
                "r_policy": r.policy,
            }
            done += conn.execute(stmt, values).rowcount
    return done


def identity(db: Database, canonical_url: str) -> ArticleIdentity | None:
    """What dedup needs to know about the article stored under ``canonical_url``."""
    with db.read() as conn:
        row = (
            conn.execute(
                select(
                    articles.c.id,
                    articles.c.canonical_url,
                    articles.c.content_hash,
                    articles.c.simhash,
                    articles.c.first_seen,
                    articles.c.last_changed,
                    articles.c.change_count,
                    articles.c.duplicate_of,
                    articles.c.title,
                ).where(articles.c.canonical_url == canonical_url)
            )
            .mappings()
            .one_or_none()
        )
    if row is None:
        return None
    return ArticleIdentity(
        id=row["id"],
        canonical_url=row["canonical_url"],
        content_hash=row["content_hash"],
        simhash=simhash_from_db(row["simhash"]),
        first_seen=row["first_seen"],
        last_changed=row["last_changed"],
        change_count=row["change_count"],
        duplicate_of=row["duplicate_of"],
        title=row["title"],
    )


def first_with_hash(db: Database, content_hash: str, *, other_than: str) -> int | None:
    """The earliest first copy (not itself a duplicate) stored with exactly ``content_hash``
    under another canonical URL than ``other_than``."""
    with db.read() as conn:
        found = conn.execute(
            select(func.min(articles.c.id)).where(
                articles.c.content_hash == content_hash,
                articles.c.duplicate_of.is_(None),
                articles.c.canonical_url != other_than,
            )
        ).scalar_one_or_none()
    return None if found is None else int(found)


def _first_copies_with(db: Database, column: Column[Any]) -> list[tuple[Any, Any]]:
    """``(id, column)`` of every non-duplicate article where ``column`` is set, by id."""
    with db.read() as conn:
        rows = conn.execute(
            select(articles.c.id, column)
            .where(articles.c.duplicate_of.is_(None), column.is_not(None))
            .order_by(articles.c.id)
        ).all()
    return [(row[0], row[1]) for row in rows]


def simhashes(db: Database) -> list[tuple[int, int]]:
    """``(id, simhash)`` of every non-duplicate article that has a fingerprint, by id."""
    rows = _first_copies_with(db, articles.c.simhash)
    return [(int(i), u64_from_db(int(h))) for i, h in rows]


def minhashes(db: Database) -> list[tuple[int, bytes]]:
    """``(id, serialised MinHash signature)`` of every non-duplicate article that has one, by
    id (short texts; ``scraper.dedup.minhash.from_db`` reads them)."""
    rows = _first_copies_with(db, articles.c.minhash)
    return [(int(i), bytes(m)) for i, m in rows]
