"""Engines and transactions: SQLite (embedded default) and PostgreSQL with the same code.

SQLite: WAL journal, a busy timeout, foreign keys on, reads through a memory map
(:data:`MMAP_BYTES`), and write transactions that take the write
lock up front (``BEGIN IMMEDIATE``) so two writers queue on the busy timeout instead of failing
with "database is locked" when a deferred transaction tries to upgrade its lock. pysqlite's own
transaction handling is switched off (``isolation_level = None``) and SQLAlchemy's ``begin`` event
emits the BEGIN (the recipe from the SQLAlchemy SQLite documentation). Read transactions use a
plain deferred ``BEGIN``: in WAL mode they never wait for a writer.

PostgreSQL: ``postgresql+psycopg://`` (``postgresql://`` and ``postgres://`` are rewritten to the
psycopg 3 driver); read-committed transactions; the store's atomic claims are conditional
``UPDATE``s whose ``WHERE`` PostgreSQL re-checks after waiting on a row lock.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Table, create_engine, event
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from scraper.errors import StoreError

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "DEFAULT_URL",
    "MMAP_BYTES",
    "Database",
    "create_store_engine",
    "normalize_url",
]

DEFAULT_URL = "sqlite:///data/scraper.db"
BUSY_TIMEOUT_SECONDS = 10.0
# SQLite reads the first MMAP_BYTES of the file through a memory map instead of one pread per
# page: a page fault brings in its neighbours too (the kernel reads around it), so a feed build
# reading the rows of 5,000 recent articles (about 40 MB, mostly overflow pages) waits for the
# disk far less when they are not in the page cache (430-470 ms instead of 660-690 ms) and
# copies less when they are (125-145 ms instead of 155-160 ms), measured on the 50,000 articles
# of ``benchmarks/feeds.py``. Address space only: pages are the page cache's, shared and
# reclaimable; writes still go through the WAL.
MMAP_BYTES = 1 << 30
_READ_OPTION = "ttd_read_only"

Insert = sqlite.Insert | pg.Insert


def normalize_url(url: str) -> URL:
    """Parse a database URL; PostgreSQL URLs always use the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise StoreError(
            f"not a database URL: {url!r}",
            hint="use sqlite:///data/scraper.db or postgresql+psycopg://user@host/db",
        ) from e
    if parsed.drivername in {"postgresql", "postgres", "postgresql+psycopg2"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in {"sqlite", "sqlite+pysqlite", "postgresql+psycopg"}:
        raise StoreError(
            f"unsupported database {parsed.drivername!r}",
            hint="use sqlite:///PATH or postgresql+psycopg://user@host/db",
        )
    return parsed


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:")


def _enable_wal(cursor: Any) -> None:
    """Switch to WAL (persistent), retrying while another connection holds a lock.

    Changing the journal mode needs an exclusive lock and SQLite does not always call the busy
    handler for it, so two processes opening a fresh database at once can get "database is
    locked" here; retry for up to the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_engine(url: URL) -> Engine:
    kwargs: dict[str, Any] = {}
    if _is_memory(url):
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {"check_same_thread": False}
    else:
        database = url.database or ""
        if not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False}
    engine = create_engine(url, **kwargs)
    memory = _is_memory(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite; the "begin" hook below emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if not memory:
                _enable_wal(cursor)
                cursor.execute("PRAGMA synchronous = NORMAL")
                cursor.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(_READ_OPTION):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_store_engine(url: str = DEFAULT_URL) -> Engine:
    """An engine for ``url`` (SQLite: creates the parent folder and sets up pragmas)."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10)


class Database:
    """An engine plus the two kinds of transaction the store uses."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(create_store_engine(url))

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction (SQLite: ``BEGIN IMMEDIATE``); commits on success."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (SQLite: deferred ``BEGIN``, never waits in WAL mode)."""
        with self.engine.connect() as conn:
            conn.execution_options(**{_READ_OPTION: True})
            with conn.begin():
                yield conn

    def insert(self, table: Table) -> Insert:
        """A dialect ``INSERT`` that supports ``ON CONFLICT`` (both backends)."""
        if self.is_postgres:
            return pg.insert(table)
        return sqlite.insert(table)

    def dispose(self) -> None:
        self.engine.dispose()
