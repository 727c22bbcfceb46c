"""The store: the only module that speaks SQL (SQLAlchemy 2 Core, SQLite or PostgreSQL).

``Store.open(url)`` creates the SQLite folder, applies the schema migrations and returns a
:class:`Store` whose methods each run in one transaction. Datetimes in and out are timezone-aware
(UTC out, except ``published``/``updated`` which keep the page's own offset). Database failures
surface as :class:`~scraper.errors.StoreError` with a hint; programming errors (a naive datetime,
an unknown ledger state) as ``ValueError``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import ParamSpec, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from scraper.config import SourceConfig
from scraper.errors import StoreError
from scraper.models import (
    Article,
    ArticleIdentity,
    ArticleQuery,
    BodyRefresh,
    Decision,
    FetchResult,
    FetchState,
    LedgerRow,
    SiteIcons,
    SourceReport,
    SourceState,
    StoredArticle,
)
from scraper.store import articles as _articles
from scraper.store import fetchstate as _fetch
from scraper.store import ledger as _ledger
from scraper.store import locks as _locks
from scraper.store import queries as _queries
from scraper.store import runs as _runs
from scraper.store.engine import DEFAULT_URL, Database, normalize_url
from scraper.store.ledger import SENDING_STALE_AFTER
from scraper.store.migrations import LATEST_VERSION, migrate

__all__ = ["DEFAULT_URL", "LATEST_VERSION", "SENDING_STALE_AFTER", "Store"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _db_errors(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn driver/SQLAlchemy failures into one-line :class:`StoreError` s."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return fn(*args, **kwargs)
        except SQLAlchemyError as e:
            detail = str(getattr(e, "orig", None) or e).strip().splitlines()
            raise StoreError(
                f"database error in {fn.__name__}: {detail[0] if detail else type(e).__name__}",
                hint="check that the database is reachable and not full; rerun with -v",
            ) from e

    return wrapper


def _safe_url(url: str) -> str:
    try:
        return normalize_url(url).render_as_string(hide_password=True)
    except StoreError:
        return url


class Store:
    """Facade over the store modules; see docs/contracts.md for the contract."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str = DEFAULT_URL) -> Store:
        """Open (and create/migrate) the database at ``url``."""
        try:
            db = Database.from_url(url)
        except OSError as e:
            raise StoreError(
                f"cannot create the database folder for {_safe_url(url)}: {e.strerror or e}",
                hint="check database_url in the config and that its folder is writable",
            ) from e
        try:
            migrate(db)
        except SQLAlchemyError as e:
            db.dispose()
            detail = str(getattr(e, "orig", None) or e).strip().splitlines()
            raise StoreError(
                f"cannot open the database {_safe_url(url)}: "
                f"{detail[0] if detail else type(e).__name__}",
                hint="check database_url in the config, that the server runs and the "
                "folder is writable",
            ) from e
        except BaseException:
            db.dispose()
            raise
        return cls(db)

    def close(self) -> None:
        """Close every pooled connection."""
        self._db.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._db.engine.dialect.name

    def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            with self._db.read() as conn:
                return bool(conn.execute(select(1)).scalar_one() == 1)
        except Exception:
            return False

    # -- sources ---------------------------------------------------------------------------
    @_db_errors
    def sync_sources(self, sources: Sequence[SourceConfig], now: datetime) -> None:
        """Make the sources table match the config (new, renamed; others inactive)."""
        _runs.sync_sources(self._db, sources, now)

    @_db_errors
    def source_states(self) -> list[SourceState]:
        """Health and schedule of every configured source, by id."""
        return _runs.source_states(self._db)

    @_db_errors
    def source_state(self, source_id: str) -> SourceState | None:
        """One source's state (also one no longer configured); ``None`` if unknown."""
        return _runs.source_state(self._db, source_id)

    @_db_errors
    def set_next_run(self, source_id: str, when: datetime | None) -> None:
        """Set or clear when the source is due next."""
        _runs.set_next_run(self._db, source_id, when)

    @_db_errors
    def set_source_icons(self, source_id: str, icons: SiteIcons) -> bool:
        """Keep the icons found on the source's pages (written only when they changed);
        ``True`` if the stored ones changed."""
        return _runs.set_source_icons(self._db, source_id, icons)

    @_db_errors
    def source_icons(self) -> dict[str, SiteIcons]:
        """The stored icons of every source that has any, by source id (feeds show them)."""
        return _runs.source_icons(self._db)

    @_db_errors
    def record_run(
        self,
        report: SourceReport,
        *,
        success: bool,
        next_run: datetime | None = None,
        flags: Sequence[str] = (),
    ) -> None:
        """Store a run and update the source's health; ``flags`` replace the stored ones."""
        _runs.record_run(self._db, report, success=success, next_run=next_run, flags=flags)

    @_db_errors
    def recent_reports(self, source_id: str, limit: int = 20) -> list[SourceReport]:
        """The source's last ``limit`` run reports, newest first."""
        return _runs.recent_reports(self._db, source_id, limit)

    # -- fetch state -----------------------------------------------------------------------
    @_db_errors
    def fetch_states(self, urls: Sequence[str]) -> dict[str, FetchState]:
        """Stored fetch state of each known URL among ``urls`` (batched queries)."""
        return _fetch.fetch_states(self._db, urls)

    @_db_errors
    def known_urls(self, source_id: str) -> dict[str, datetime | None]:
        """URLs of ``source_id`` not to fetch again unless their ``lastmod`` moved (see
        :func:`scraper.store.fetchstate.known_urls`), mapped to the ``lastmod`` seen last."""
        return _fetch.known_urls(self._db, source_id)

    @_db_errors
    def retry_urls(self, source_id: str, limit: int = 50) -> list[str]:
        """URLs of ``source_id`` whose last fetch failed and that have no article yet."""
        return _fetch.retry_urls(self._db, source_id, limit)

    @_db_errors
    def record_fetch(
        self,
        source_id: str,
        result: FetchResult,
        *,
        lastmod: datetime | None,
        article_id: int | None,
        now: datetime,
    ) -> None:
        """Upsert a URL's fetch state (a 304 or failure keeps the stored validators)."""
        _fetch.record_fetch(
            self._db, source_id, result, lastmod=lastmod, article_id=article_id, now=now
        )

    # -- articles / dedup ------------------------------------------------------------------
    @_db_errors
    def identity(self, canonical_url: str) -> ArticleIdentity | None:
        """What dedup needs about the article stored under ``canonical_url``."""
        return _articles.identity(self._db, canonical_url)

    @_db_errors
    def first_with_hash(self, content_hash: str, *, other_than: str) -> int | None:
        """Earliest first copy with exactly this content hash under another canonical URL."""
        return _articles.first_with_hash(self._db, content_hash, other_than=other_than)

    @_db_errors
    def simhashes(self) -> list[tuple[int, int]]:
        """``(id, simhash)`` of every non-duplicate article with a fingerprint."""
        return _articles.simhashes(self._db)

    @_db_errors
    def minhashes(self) -> list[tuple[int, bytes]]:
        """``(id, serialised MinHash signature)`` of every non-duplicate article with one."""
        return _articles.minhashes(self._db)

    @_db_errors
    def save_article(
        self,
        source_id: str,
        article: Article,
        decision: Decision,
        *,
        url: str,
        tags: Sequence[str],
        now: datetime,
    ) -> int:
        """Carry out a dedup decision in one transaction (row + tags); return the id."""
        return _articles.save_article(
            self._db, source_id, article, decision, url=url, tags=tags, now=now
        )

    @_db_errors
    def articles(
        self,
        *,
        source_ids: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        include_duplicates: bool = False,
        first_seen_from: datetime | None = None,
        first_seen_to: datetime | None = None,
        limit: int | None = None,
    ) -> list[StoredArticle]:
        """Stored articles, newest first (published, else first seen), filtered."""
        return _queries.load(
            self._db,
            _queries.articles_select(
                source_ids=source_ids,
                tags=tags,
                include_duplicates=include_duplicates,
                first_seen_from=first_seen_from,
                first_seen_to=first_seen_to,
                limit=limit,
            ),
        )

    @_db_errors
    def article(self, article_id: int) -> StoredArticle | None:
        """One stored article by id, ``None`` if absent."""
        return _queries.article(self._db, article_id)

    @_db_errors
    def articles_many(self, queries: Sequence[ArticleQuery]) -> list[list[StoredArticle]]:
        """:meth:`articles` for each query, in one read transaction; an article selected by
        several queries is read once (the same object in each list)."""
        return _queries.load_many(self._db, queries)

    @_db_errors
    def refresh_bodies(self, refreshed: Sequence[BodyRefresh]) -> int:
        """Keep bodies sanitised again under a newer policy (rows that changed meanwhile are
        left alone); return how many rows were rewritten."""
        return _articles.refresh_bodies(self._db, refreshed)

    @_db_errors
    def articles_by_id(self, ids: Iterable[int]) -> dict[int, StoredArticle]:
        """The stored articles of ``ids`` that exist, by id (absent ids are left out)."""
        return _queries.articles_by_id(self._db, ids)

    @_db_errors
    def duplicate_clusters(self) -> list[tuple[StoredArticle, list[StoredArticle]]]:
        """Each first copy with its near-duplicates; clusters newest first."""
        return _queries.duplicate_clusters(self._db)

    @_db_errors
    def count_articles(self, source_id: str | None = None) -> int:
        """Number of stored articles (of one source, or all), duplicates included."""
        return _queries.count_articles(self._db, source_id)

    # -- digest ledger ---------------------------------------------------------------------
    @_db_errors
    def ledger_get(self, subscriber: str, period: str) -> LedgerRow | None:
        """The ledger row of (subscriber, period), if any."""
        return _ledger.ledger_get(self._db, subscriber, period)

    @_db_errors
    def ledger_ensure(
        self, subscriber: str, period: str, message_id: str, items: int, now: datetime
    ) -> LedgerRow:
        """The ledger row of (subscriber, period), inserted ``pending`` if absent."""
        return _ledger.ledger_ensure(self._db, subscriber, period, message_id, items, now=now)

    @_db_errors
    def ledger_claim(
        self, row_id: int, now: datetime, *, stale_after: float = SENDING_STALE_AFTER
    ) -> bool:
        """Atomically take a due ``pending`` (or stale ``sending``) row; ``True`` if won."""
        return _ledger.ledger_claim(self._db, row_id, now, stale_after=stale_after)

    @_db_errors
    def ledger_mark(
        self,
        row_id: int,
        state: str,
        now: datetime,
        *,
        error: str | None = None,
        next_try: datetime | None = None,
    ) -> None:
        """Record a delivery outcome (state, error, next try)."""
        _ledger.ledger_mark(self._db, row_id, state, now, error=error, next_try=next_try)

    @_db_errors
    def ledger_rows(
        self, *, period: str | None = None, states: Sequence[str] | None = None
    ) -> list[LedgerRow]:
        """Ledger rows, optionally of one period and/or some states."""
        return _ledger.ledger_rows(self._db, period=period, states=states)

    @_db_errors
    def last_digest_period(self) -> str | None:
        """The latest period that has a ledger row."""
        return _ledger.last_digest_period(self._db)

    # -- subscribers -----------------------------------------------------------------------
    @_db_errors
    def set_subscribed(self, email: str, subscribed: bool, now: datetime) -> None:
        """Record a subscription change for ``email``."""
        _ledger.set_subscribed(self._db, email, subscribed, now)

    @_db_errors
    def unsubscribed(self) -> set[str]:
        """Emails that are currently unsubscribed."""
        return _ledger.unsubscribed(self._db)

    # -- service lock ----------------------------------------------------------------------
    @_db_errors
    def acquire_lock(self, name: str, owner: str, now: datetime, ttl: float) -> bool:
        """Take or renew the named lease for ``ttl`` s; ``False`` if another holds it."""
        return _locks.acquire_lock(self._db, name, owner, now, ttl)

    @_db_errors
    def refresh_lock(self, name: str, owner: str, now: datetime) -> None:
        """Extend our lease; :class:`LockedError` if it is no longer ours."""
        _locks.refresh_lock(self._db, name, owner, now)

    @_db_errors
    def release_lock(self, name: str, owner: str) -> None:
        """Give the lease up (no-op if not ours)."""
        _locks.release_lock(self._db, name, owner)

    @_db_errors
    def lock_owner(self, name: str, now: datetime) -> str | None:
        """The current holder of the named lease, ``None`` if free or expired."""
        return _locks.lock_owner(self._db, name, now)
