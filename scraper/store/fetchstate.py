"""Per-URL fetch state: validators for conditional GET and what we knew at the last fetch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select

from scraper.models import FetchResult, FetchState, FetchStatus
from scraper.store.articles import chunks
from scraper.store.engine import Database
from scraper.store.schema import fetch_state
from scraper.store.types import ensure_aware

__all__ = ["KNOWN_STATUSES", "fetch_states", "known_urls", "record_fetch"]

# A URL whose last fetch ended like this is "known": not fetched again unless the listing says
# it changed. Errors, blocks and robots refusals are retried on the next run.
KNOWN_STATUSES = (FetchStatus.OK.value, FetchStatus.NOT_MODIFIED.value, FetchStatus.NOT_HTML.value)


def fetch_states(db: Database, urls: Sequence[str]) -> dict[str, FetchState]:
    """The known state of each of ``urls`` (absent ones are left out); one query per 500."""
    wanted = list(dict.fromkeys(urls))
    out: dict[str, FetchState] = {}
    if not wanted:
        return out
    with db.read() as conn:
        for part in chunks(wanted):
            for row in conn.execute(
                select(fetch_state).where(fetch_state.c.url.in_(part))
            ).mappings():
                out[row["url"]] = FetchState(
                    url=row["url"],
                    source_id=row["source_id"],
                    etag=row["etag"],
                    last_modified=row["last_modified"],
                    last_status=row["last_status"],
                    last_fetched=row["last_fetched"],
                    lastmod_seen=row["lastmod_seen"],
                    article_id=row["article_id"],
                )
    return out


def known_urls(db: Database, source_id: str) -> dict[str, datetime | None]:
    """The source's known URLs mapped to the listing ``lastmod`` seen at their last fetch.

    Known: the URL has a stored article, or its last fetch was OK / not modified / not HTML.
    """
    c = fetch_state.c
    stmt = select(c.url, c.lastmod_seen).where(
        c.source_id == source_id,
        or_(c.article_id.is_not(None), c.last_status.in_(KNOWN_STATUSES)),
    )
    with db.read() as conn:
        rows = conn.execute(stmt).all()
    out: dict[str, datetime | None] = {}
    for url, lastmod in rows:
        out[url] = lastmod
    return out


def retry_urls(db: Database, source_id: str, limit: int) -> list[str]:
    """The source's URLs whose last fetch failed with an error and that have no article,
    oldest attempt first: the next run tries them again even when no listing shows them
    (a listing answering 304 no longer shows its links). Blocked pages are not retried."""
    c = fetch_state.c
    stmt = (
        select(c.url)
        .where(
            c.source_id == source_id,
            c.article_id.is_(None),
            c.last_status == "error",
        )
        .order_by(c.last_fetched.asc())
        .limit(limit)
    )
    with db.read() as conn:
        return [row[0] for row in conn.execute(stmt).all()]


def record_fetch(
    db: Database,
    source_id: str,
    result: FetchResult,
    *,
    lastmod: datetime | None,
    article_id: int | None,
    now: datetime,
) -> None:
    """Upsert the state of ``result.url`` after a fetch.

    A 200 replaces the validators with the response's (even with none); a 304 or a failure keeps
    the stored ones unless the response brought new ones. ``lastmod`` and ``article_id`` update
    the row when given and are kept otherwise. ``last_fetched`` is ``result.fetched_at`` or
    ``now``.
    """
    ensure_aware(now, "now")
    if lastmod is not None:
        ensure_aware(lastmod, "lastmod")
    fetched = ensure_aware(result.fetched_at or now, "result.fetched_at")
    stmt = db.insert(fetch_state).values(
        url=result.url,
        source_id=source_id,
        etag=result.etag,
        last_modified=result.last_modified,
        last_status=result.status.value,
        last_fetched=fetched,
        lastmod_seen=lastmod,
        article_id=article_id,
    )
    ex = stmt.excluded
    c = fetch_state.c
    replace_validators = result.status is FetchStatus.OK
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.url],
        set_={
            "source_id": ex.source_id,
            "etag": ex.etag if replace_validators else func.coalesce(ex.etag, c.etag),
            "last_modified": (
                ex.last_modified
                if replace_validators
                else func.coalesce(ex.last_modified, c.last_modified)
            ),
            "last_status": ex.last_status,
            "last_fetched": ex.last_fetched,
            "lastmod_seen": func.coalesce(ex.lastmod_seen, c.lastmod_seen),
            "article_id": func.coalesce(ex.article_id, c.article_id),
        },
    )
    with db.write() as conn:
        conn.execute(stmt)
