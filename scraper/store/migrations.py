"""Versioned schema migrations, applied in order when the store opens.

Each migration runs in its own transaction and records itself in ``schema_version`` in that same
transaction, so a crash leaves the database at the previous version, never half-way. The runner
re-reads the version inside each transaction (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a
transaction-scoped advisory lock), so two processes opening a fresh database at once apply each
migration exactly once.

Rule for writing migrations: a migration may create a table from :mod:`scraper.store.schema` only
when no later migration alters that table; otherwise it carries a frozen copy of the table as it
was at that version (see ``_SOURCES_V1``). ``tests/test_store_migrations.py`` checks that an
upgraded database has exactly the tables, columns and indexes of a fresh one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

from scraper.errors import StoreError
from scraper.store import schema
from scraper.store.engine import Database
from scraper.store.types import UTCDateTime

__all__ = ["LATEST_VERSION", "MIGRATIONS", "Migration", "current_version", "migrate"]

# Any fixed 64-bit number: serialises migrations of all processes on one PostgreSQL server.
_PG_ADVISORY_KEY = 7_361_044_220_915_001


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema history."""

    version: int
    description: str
    apply: Callable[[Connection], None]


_frozen = MetaData(naming_convention=schema.metadata.naming_convention)

# ``sources`` as migration 1 created it (migration 2 adds next_run, flags, last_report;
# migration 10 icon, favicon).
_SOURCES_V1 = Table(
    "sources",
    _frozen,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("added", UTCDateTime, nullable=True),
    Column("last_run", UTCDateTime, nullable=True),
    Column("last_success", UTCDateTime, nullable=True),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
)


# ``locks`` as migration 2 created it (migration 7 adds holder).
_LOCKS_V2 = Table(
    "locks",
    _frozen,
    Column("name", String(128), primary_key=True),
    Column("owner", Text, nullable=False),
    Column("acquired", UTCDateTime, nullable=False),
    Column("heartbeat", UTCDateTime, nullable=False),
    Column("expires", UTCDateTime, nullable=False),
    Column("ttl", Float, nullable=False),
)


def _add_column(conn: Connection, table: Table, name: str) -> None:
    """``ALTER TABLE ... ADD COLUMN`` for a nullable column as ``schema.py`` defines it."""
    column = table.c[name]
    if not column.nullable:
        raise ValueError(f"{table.name}.{name}: only nullable columns can be added this way")
    prep = conn.dialect.identifier_preparer
    type_sql = column.type.compile(dialect=conn.dialect)
    conn.execute(
        text(
            f"ALTER TABLE {prep.format_table(table)} "
            f"ADD COLUMN {prep.format_column(column)} {type_sql}"
        )
    )


#: Indexes schema.py declares on v1 tables that later migrations added.
_LATER_INDEXES = (
    "ix_articles_content_hash",
    *schema.DIALECT_INDEXES,
    "ix_articles_duplicates",
)
#: Indexes of v1 that a later migration (8) replaced, as v1 created them.
_V1_ONLY_INDEXES = {
    "ix_articles_published_utc": "published_utc",
    "ix_articles_duplicate_of": "duplicate_of",
}
#: Nullable columns schema.py declares on ``articles`` that later migrations added.
_LATER_ARTICLE_COLUMNS = ("minhash", "body_policy", "sort_utc")


def _drop_column(conn: Connection, table: Table, name: str) -> None:
    """``ALTER TABLE ... DROP COLUMN`` (SQLite >= 3.35, PostgreSQL) of an unindexed column."""
    prep = conn.dialect.identifier_preparer
    conn.execute(
        text(
            f"ALTER TABLE {prep.format_table(table)} "
            f"DROP COLUMN {prep.format_column(table.c[name])}"
        )
    )


def _v1_ingest(conn: Connection) -> None:
    _SOURCES_V1.create(conn)
    for table in (schema.articles, schema.article_tags, schema.fetch_state, schema.runs):
        table.create(conn)
    for index in schema.indexes_on(schema.articles, conn.dialect.name):  # v1 as it was:
        if index.name in _LATER_INDEXES:  # without the indexes added later
            index.drop(conn)
    for name in _LATER_ARTICLE_COLUMNS:  # ... and without the columns added later
        _drop_column(conn, schema.articles, name)
    for name, column in _V1_ONLY_INDEXES.items():  # ... and with the indexes replaced since
        conn.execute(text(f"CREATE INDEX {name} ON articles ({column})"))


def _v2_service(conn: Connection) -> None:
    for name in ("next_run", "flags", "last_report"):
        _add_column(conn, schema.sources, name)
    _LOCKS_V2.create(conn)


def _v3_digest(conn: Connection) -> None:
    schema.digest_ledger.create(conn)
    schema.subscribers.create(conn)


def _v4_content_hash_index(conn: Connection) -> None:
    index = next(i for i in schema.articles.indexes if i.name == "ix_articles_content_hash")
    index.create(conn)


def _v5_minhash(conn: Connection) -> None:
    _add_column(conn, schema.articles, "minhash")


def _v6_body_policy(conn: Connection) -> None:
    _add_column(conn, schema.articles, "body_policy")


def _v7_lock_holder(conn: Connection) -> None:
    _add_column(conn, schema.locks, "holder")


#: The newest-first indexes as migration 8 created them (9 rebuilt them on ``sort_utc``).
_V8_NEWEST = {
    "sqlite": (
        "CREATE INDEX ix_articles_newest ON articles (published_utc, first_seen, id)",
        "CREATE INDEX ix_articles_source_newest "
        "ON articles (source_id, published_utc, first_seen, id)",
    ),
    "postgresql": (
        "CREATE INDEX ix_articles_newest_desc "
        "ON articles (published_utc DESC NULLS LAST, first_seen DESC, id DESC)",
        "CREATE INDEX ix_articles_source_newest_desc "
        "ON articles (source_id, published_utc DESC NULLS LAST, first_seen DESC, id DESC)",
    ),
}


def _v8_newest_first_indexes(conn: Connection) -> None:
    for name in _V1_ONLY_INDEXES:
        conn.execute(text(f"DROP INDEX {name}"))
    for ddl in _V8_NEWEST[conn.dialect.name]:
        conn.execute(text(ddl))
    index = next(i for i in schema.articles.indexes if i.name == "ix_articles_duplicates")
    index.create(conn)


def _v9_sort_key(conn: Connection) -> None:
    """``articles.sort_utc`` (published, else first seen) and the newest-first indexes on it.

    Feeds show the newest N articles by publication date, an undated one by when it was first
    seen; the v8 indexes ordered every undated article after all dated ones, so once a feed had
    N dated articles an undated one never made it in, however new.
    """
    _add_column(conn, schema.articles, "sort_utc")
    a = schema.articles.c
    conn.execute(
        update(schema.articles).values(sort_utc=func.coalesce(a.published_utc, a.first_seen))
    )
    for name, dialect in schema.DIALECT_INDEXES.items():
        if dialect == conn.dialect.name:
            conn.execute(text(f"DROP INDEX {name}"))
    for index in schema.indexes_on(schema.articles, conn.dialect.name):
        if index.name in schema.DIALECT_INDEXES:
            index.create(conn)


def _v10_source_icons(conn: Connection) -> None:
    """``sources.icon``/``favicon``: the icons a source's pages name, shown by its feeds."""
    for name in ("icon", "favicon"):
        _add_column(conn, schema.sources, name)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "ingest: sources, articles, tags, fetch state, runs", _v1_ingest),
    Migration(2, "service: source schedule, flags, last report; locks", _v2_service),
    Migration(3, "digest: delivery ledger, subscribers", _v3_digest),
    Migration(4, "dedup: index on articles.content_hash", _v4_content_hash_index),
    Migration(5, "dedup: articles.minhash (short texts' MinHash signature)", _v5_minhash),
    Migration(
        6, "feeds: articles.body_policy (sanitiser policy of the stored HTML)", _v6_body_policy
    ),
    Migration(
        7, "service: locks.holder (the holding process, to replace a dead one)", _v7_lock_holder
    ),
    Migration(
        8,
        "feeds: newest-first indexes; the duplicate_of index holds only duplicates",
        _v8_newest_first_indexes,
    ),
    Migration(
        9,
        "feeds: articles.sort_utc (published, else first seen) and newest-first indexes on it",
        _v9_sort_key,
    ),
    Migration(
        10,
        "feeds: sources.icon, sources.favicon (the icons a source's pages name)",
        _v10_source_icons,
    ),
)
LATEST_VERSION = MIGRATIONS[-1].version


def _read_version(conn: Connection) -> int:
    schema.schema_version.create(conn, checkfirst=True)
    return int(
        conn.execute(
            select(func.coalesce(func.max(schema.schema_version.c.version), 0))
        ).scalar_one()
    )


@contextmanager
def _migration_tx(db: Database) -> Iterator[Connection]:
    with db.write() as conn:
        if db.is_postgres:
            conn.execute(select(func.pg_advisory_xact_lock(_PG_ADVISORY_KEY)))
        yield conn


def current_version(db: Database) -> int:
    """The version the database is at (0 for an empty database)."""
    with _migration_tx(db) as conn:
        return _read_version(conn)


def migrate(db: Database, target: int | None = None) -> int:
    """Apply every migration up to ``target`` (default: the latest); return the new version."""
    goal = LATEST_VERSION if target is None else target
    if not 0 <= goal <= LATEST_VERSION:
        raise ValueError(f"no migration {goal} (latest is {LATEST_VERSION})")
    version = current_version(db)
    if version > LATEST_VERSION:
        raise StoreError(
            f"the database schema is at version {version}, newer than this program "
            f"knows ({LATEST_VERSION})",
            hint="upgrade thinktank-digest or point database_url at another database",
        )
    for migration in MIGRATIONS:
        if migration.version > goal or migration.version <= version:
            continue
        with _migration_tx(db) as conn:
            if _read_version(conn) >= migration.version:
                continue  # another process applied it meanwhile
            migration.apply(conn)
            conn.execute(
                insert(schema.schema_version).values(
                    version=migration.version,
                    description=migration.description,
                    applied=datetime.now(UTC),
                )
            )
    return current_version(db)
