"""The current database schema (SQLAlchemy Core tables), identical on SQLite and PostgreSQL.

This module describes the *latest* version. Databases get there through the ordered list in
:mod:`scraper.store.migrations`; a test checks that upgrading an old database produces exactly
these tables, columns and indexes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from scraper.store.types import JSONText, UTCDateTime

__all__ = [
    "article_tags",
    "articles",
    "digest_ledger",
    "fetch_state",
    "locks",
    "metadata",
    "runs",
    "schema_version",
    "sources",
    "subscribers",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", Text, nullable=False),
    Column("applied", UTCDateTime, nullable=False),
)

# One row per source ever configured; ``active`` is false once it left the config.
sources = Table(
    "sources",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("added", UTCDateTime, nullable=True),
    Column("last_run", UTCDateTime, nullable=True),
    Column("last_success", UTCDateTime, nullable=True),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    # added by migration 2 (service scheduling and health)
    Column("next_run", UTCDateTime, nullable=True),
    Column("flags", JSONText, nullable=True),
    Column("last_report", JSONText, nullable=True),
    # added by migration 10: the icons the source's pages name (see scraper.discover.icons),
    # for its feeds; absolute http(s) URLs, NULL until a run finds one
    Column("icon", Text, nullable=True),  # large: apple-touch-icon or >= 128 px
    Column("favicon", Text, nullable=True),  # small
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_id", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("canonical_url", Text, nullable=False, unique=True),
    Column("title", Text, nullable=True),
    Column("authors", JSONText, nullable=False),
    Column("published", String(40), nullable=True),  # ISO text with the page's own offset
    Column("published_utc", UTCDateTime, nullable=True),  # sort key
    Column("updated", String(40), nullable=True),  # ISO text with the page's own offset
    Column("language", String(35), nullable=True),
    Column("summary", Text, nullable=True),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("image", Text, nullable=True),
    Column("content_hash", String(80), nullable=False),
    Column("simhash", BigInteger, nullable=True),  # unsigned 64-bit stored signed
    Column(
        "duplicate_of",
        Integer,
        ForeignKey("articles.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("field_sources", JSONText, nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_changed", UTCDateTime, nullable=False),
    Column("change_count", Integer, nullable=False, default=0),
    Column("minhash", LargeBinary, nullable=True),  # short texts' MinHash signature (v5)
    Column("body_policy", Text, nullable=True),  # sanitiser policy of body_html (v6)
    # the newest-first sort key (v9): published_utc, else first_seen; set by every write of
    # the store (nullable only because SQLite cannot add a NOT NULL column without a default)
    Column("sort_utc", UTCDateTime, nullable=True),
    Index("ix_articles_source_id_first_seen", "source_id", "first_seen"),
    Index("ix_articles_simhash", "simhash"),
    # only the near-duplicates: a full index made SQLite pick it for "duplicate_of IS NULL",
    # which is nearly every row (v8)
    Index(
        "ix_articles_duplicates",
        "duplicate_of",
        sqlite_where=text("duplicate_of IS NOT NULL"),
        postgresql_where=text("duplicate_of IS NOT NULL"),
    ),
    Index("ix_articles_content_hash", "content_hash"),
    sqlite_autoincrement=True,
)

# Newest first (feeds, digests, listings: ``sort_utc DESC, id DESC``, where ``sort_utc`` is the
# publication date, else the first-seen time, exactly the order feeds show), read in index
# order and stopped at the limit instead of sorting every candidate row with its bodies (v8,
# on sort_utc since v9). SQLite reads an ascending index backwards in that order; PostgreSQL
# gets the order spelled out.
DIALECT_INDEXES: dict[str, str] = {
    "ix_articles_newest": "sqlite",
    "ix_articles_source_newest": "sqlite",
    "ix_articles_newest_desc": "postgresql",
    "ix_articles_source_newest_desc": "postgresql",
}
Index("ix_articles_newest", articles.c.sort_utc, articles.c.id).ddl_if(dialect="sqlite")
Index("ix_articles_source_newest", articles.c.source_id, articles.c.sort_utc, articles.c.id).ddl_if(
    dialect="sqlite"
)
Index("ix_articles_newest_desc", articles.c.sort_utc.desc(), articles.c.id.desc()).ddl_if(
    dialect="postgresql"
)
Index(
    "ix_articles_source_newest_desc",
    articles.c.source_id,
    articles.c.sort_utc.desc(),
    articles.c.id.desc(),
).ddl_if(dialect="postgresql")


def indexes_on(table: Table, dialect: str) -> list[Index]:
    """The indexes of ``table`` that a database of ``dialect`` has."""
    return [i for i in table.indexes if DIALECT_INDEXES.get(str(i.name), dialect) == dialect]


article_tags = Table(
    "article_tags",
    metadata,
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("tag", String(128), primary_key=True),
    Index("ix_article_tags_tag", "tag"),
)

fetch_state = Table(
    "fetch_state",
    metadata,
    Column("url", Text, primary_key=True),
    Column("source_id", String(64), nullable=False),
    Column("etag", Text, nullable=True),
    Column("last_modified", Text, nullable=True),
    Column("last_status", String(32), nullable=True),
    Column("last_fetched", UTCDateTime, nullable=True),
    Column("lastmod_seen", UTCDateTime, nullable=True),
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Index("ix_fetch_state_source_id", "source_id"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_id", String(64), nullable=False),
    Column("started", UTCDateTime, nullable=False),
    Column("finished", UTCDateTime, nullable=False),
    Column("listing_pages", Integer, nullable=False, default=0),
    Column("links_found", Integer, nullable=False, default=0),
    Column("fetched", Integer, nullable=False, default=0),
    Column("new", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("not_modified", Integer, nullable=False, default=0),
    Column("blocked", Integer, nullable=False, default=0),
    Column("disallowed", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("duplicates", Integer, nullable=False, default=0),
    Column("error_messages", JSONText, nullable=False),
    Column("fill_title", Float, nullable=False, default=0.0),
    Column("fill_author", Float, nullable=False, default=0.0),
    Column("fill_date", Float, nullable=False, default=0.0),
    Column("fill_body", Float, nullable=False, default=0.0),
    Column("ok", Boolean, nullable=False),
    Index("ix_runs_source_id_started", "source_id", "started"),
    sqlite_autoincrement=True,
)

# migration 2: the service's single-instance lock
locks = Table(
    "locks",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("owner", Text, nullable=False),
    Column("acquired", UTCDateTime, nullable=False),
    Column("heartbeat", UTCDateTime, nullable=False),
    Column("expires", UTCDateTime, nullable=False),
    Column("ttl", Float, nullable=False),
    # migration 7: the holding process (host, boot id, PID, start time; see locks.Holder),
    # so a dead holder on the same machine is replaced at once. NULL: unknown, wait for expiry.
    Column("holder", JSONText, nullable=True),
)

# migration 3: digest delivery
digest_ledger = Table(
    "digest_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscriber", Text, nullable=False),
    Column("period", String(16), nullable=False),
    Column("message_id", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_try", UTCDateTime, nullable=True),
    Column("items", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    UniqueConstraint("subscriber", "period"),
    Index("ix_digest_ledger_period_state", "period", "state"),
    sqlite_autoincrement=True,
)

subscribers = Table(
    "subscribers",
    metadata,
    Column("email", Text, primary_key=True),
    Column("subscribed", Boolean, nullable=False),
    Column("changed", UTCDateTime, nullable=False),
)
