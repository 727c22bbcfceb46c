"""Schema migrations: versions recorded, upgrade from older versions, atomic steps, drift check."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from scraper.config import SourceConfig
from scraper.errors import StoreError
from scraper.models import SiteIcons
from scraper.store import Store, migrations, schema
from scraper.store.engine import Database
from scraper.store.migrations import LATEST_VERSION, MIGRATIONS, Migration, current_version, migrate
from tests.conftest import NOW, ArticleFactory


def test_fresh_database_is_at_latest_version(store: Store) -> None:
    with store._db.read() as conn:
        rows = conn.execute(
            sa.select(schema.schema_version).order_by(schema.schema_version.c.version)
        ).all()
    assert [r.version for r in rows] == [m.version for m in MIGRATIONS]
    assert [r.version for r in rows] == list(range(1, LATEST_VERSION + 1))
    assert all(r.applied.tzinfo is not None for r in rows)


def test_upgrade_from_previous_version_keeps_data(
    db_url: str, make_article: ArticleFactory
) -> None:
    db = Database.from_url(db_url)
    assert migrate(db, target=6) == 6  # before the last two: locks.holder, v8's indexes
    old = Store(db)  # the older version's store: ingest and service tables only
    old.sync_sources(
        [
            SourceConfig(
                id="ipis",
                name="IPIS",
                homepage="https://ipis.example.org",
                feeds=["https://ipis.example.org/f"],
            )
        ],
        NOW,
    )
    art, _ = make_article(1)
    aid = _insert_old_article(db, art.canonical_url, art.published, tags=["iran"])
    undated, _ = make_article(2, undated=True)
    undated_id = _insert_old_article(db, undated.canonical_url, None, tags=[])
    with db.write() as conn:  # a lease taken by the previous version: no holder column yet
        conn.execute(
            sa.insert(schema.locks).values(  # only these columns: no holder
                name="serve",
                owner="old-serve",
                acquired=NOW,
                heartbeat=NOW,
                expires=NOW + timedelta(seconds=60),
                ttl=60,
            )
        )
    with db.read() as conn:
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("articles")}
        columns = {c["name"] for c in sa.inspect(conn).get_columns("articles")}
        lock_columns = {c["name"] for c in sa.inspect(conn).get_columns("locks")}
    assert "ix_articles_content_hash" in indexes  # migration 4
    assert "minhash" in columns  # migration 5
    assert "body_policy" in columns  # migration 6
    assert "holder" not in lock_columns  # added by migration 7
    assert {"ix_articles_published_utc", "ix_articles_duplicate_of"} <= indexes  # v1's
    assert not indexes & {*schema.DIALECT_INDEXES, "ix_articles_duplicates"}  # migration 8's
    old.close()

    new = Store.open(db_url)
    try:
        assert current_version(new._db) == LATEST_VERSION
        with new._db.read() as conn:
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("articles")}
            columns = {c["name"] for c in sa.inspect(conn).get_columns("articles")}
        assert "ix_articles_content_hash" in indexes
        wanted = {i.name for i in schema.indexes_on(schema.articles, new.backend)}
        assert wanted & set(schema.DIALECT_INDEXES) and wanted <= indexes
        assert not indexes & {"ix_articles_published_utc", "ix_articles_duplicate_of"}
        assert "body_policy" in columns
        with new._db.read() as conn:
            lock = conn.execute(sa.select(schema.locks)).one()
        assert (lock.owner, lock.holder) == ("old-serve", None)
        # a holder nobody described is waited for until its lease expires
        assert new.acquire_lock("serve", "new-serve", NOW + timedelta(seconds=1), 60) is False
        assert new.acquire_lock("serve", "new-serve", NOW + timedelta(seconds=60), 60)
        got = new.article(aid)
        assert got is not None and got.tags == ("iran",) and got.first_seen == NOW
        assert got.published == art.published
        # migration 9 filled the sort key: published, else first seen
        with new._db.read() as conn:
            rows = conn.execute(sa.select(schema.articles.c.id, schema.articles.c.sort_utc)).all()
        keys = {int(r[0]): r[1] for r in rows}
        assert keys == {aid: art.published, undated_id: NOW}
        assert got.body_policy is None  # rows from before: sanitised again when published
        assert [s.source_id for s in new.source_states()] == ["ipis"]
        row = new.ledger_ensure("a@example.org", "2025-W28", "<m>", 1, NOW)
        assert new.ledger_claim(row.id, NOW)
    finally:
        new.close()


def _insert_old_article(
    db: Database, url: str, published: datetime | None, *, tags: list[str]
) -> int:
    """An article row as the store wrote it before migration 9 (no ``sort_utc``) and its tags."""
    with db.write() as conn:
        aid = conn.execute(
            sa.insert(schema.articles)
            .values(
                source_id="ipis",
                url=url,
                canonical_url=url,
                title="Old row",
                authors=["Ali Rezaei"],
                published=None if published is None else published.isoformat(),
                published_utc=published,
                body_text="Body.",
                body_html="<p>Body.</p>",
                content_hash="v1:x" + url,
                field_sources={},
                first_seen=NOW,
                last_changed=NOW,
                change_count=0,
            )
            .returning(schema.articles.c.id)
        ).scalar_one()
        for tag in tags:
            conn.execute(sa.insert(schema.article_tags).values(article_id=aid, tag=tag))
    return int(aid)


def test_upgrade_to_9_puts_undated_articles_in_feed_order(db_url: str) -> None:
    """Before migration 9 every undated article sorted after all dated ones, so a feed of the
    newest N never showed a new undated article once N dated ones existed."""
    db = Database.from_url(db_url)
    assert migrate(db, target=8) == 8
    dated = _insert_old_article(db, "https://x.example/old", NOW - timedelta(days=30), tags=[])
    undated = _insert_old_article(db, "https://x.example/new", None, tags=[])
    db.dispose()
    store = Store.open(db_url)
    try:
        assert [a.id for a in store.articles(limit=1)] == [undated]  # first seen NOW
        assert [a.id for a in store.articles(source_ids=["ipis"])] == [undated, dated]
    finally:
        store.close()


def test_upgrade_to_10_adds_source_icons(db_url: str) -> None:
    """Sources from before migration 10 have no icons until a run finds them."""
    db = Database.from_url(db_url)
    assert migrate(db, target=9) == 9
    with db.write() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO sources (id, name, active, consecutive_failures) "
                "VALUES ('rand', 'RAND', :t, 0)"
            ),
            {"t": True},
        )
    db.dispose()
    store = Store.open(db_url)
    try:
        assert store.source_icons() == {}
        icons = SiteIcons(icon="https://rand.example/a.png", favicon="https://rand.example/f.ico")
        assert store.set_source_icons("rand", icons)
        assert store.source_icons() == {"rand": icons}
        s = store.source_state("rand")
        assert s is not None and s.name == "RAND"
    finally:
        store.close()


def test_upgrade_from_version_1_adds_columns(db_url: str) -> None:
    db = Database.from_url(db_url)
    migrate(db, target=1)
    with db.write() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO sources (id, name, active, consecutive_failures, last_error) "
                "VALUES ('rand', 'RAND', :t, 2, 'HTTP 500')"
            ),
            {"t": True},
        )
    db.dispose()
    store = Store.open(db_url)
    try:
        s = store.source_state("rand")
        assert s is not None
        assert (s.consecutive_failures, s.last_error, s.flags, s.next_run) == (
            2,
            "HTTP 500",
            (),
            None,
        )
        store.set_next_run("rand", NOW + timedelta(hours=1))
        s = store.source_state("rand")
        assert s is not None and s.next_run == NOW + timedelta(hours=1)
    finally:
        store.close()


def _describe(conn: Connection) -> dict[str, object]:
    insp = sa.inspect(conn)
    out: dict[str, object] = {}
    for table in sorted(insp.get_table_names()):
        out[table] = {
            "columns": [(c["name"], bool(c["nullable"])) for c in insp.get_columns(table)],
            "pk": sorted(insp.get_pk_constraint(table)["constrained_columns"]),
            "indexes": sorted(
                (tuple(ix["column_names"]), bool(ix["unique"])) for ix in insp.get_indexes(table)
            ),
            "unique": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table)),
            "fks": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in insp.get_foreign_keys(table)
            ),
        }
    return out


def _expected(dialect: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for table in sorted(schema.metadata.tables.values(), key=lambda t: t.name):
        uniques = sorted(
            tuple(c.name for c in con.columns)
            for con in table.constraints
            if isinstance(con, sa.UniqueConstraint)
        ) + sorted((c.name,) for c in table.columns if c.unique)
        out[table.name] = {
            "columns": [(c.name, bool(c.nullable)) for c in table.columns],
            "pk": sorted(c.name for c in table.primary_key.columns),
            "indexes": sorted(
                (tuple(c.name for c in ix.columns), bool(ix.unique))
                for ix in schema.indexes_on(table, dialect)
            ),
            "unique": sorted(uniques),
            "fks": sorted(((fk.parent.name,), fk.column.table.name) for fk in table.foreign_keys),
        }
    return out


def test_migrations_build_exactly_the_declared_schema(store: Store) -> None:
    with store._db.read() as conn:
        got = _describe(conn)
        simhash_type = next(
            c["type"] for c in sa.inspect(conn).get_columns("articles") if c["name"] == "simhash"
        )
    expected = _expected(store.backend)
    assert set(got) == set(expected)
    for table, want in expected.items():
        have = got[table]
        assert isinstance(have, dict) and isinstance(want, dict)
        # SQLite reports UNIQUE column constraints as unique indexes or constraints depending on
        # how they were declared: compare the union of both
        for key in ("columns", "pk", "fks"):
            assert have[key] == want[key], f"{table}.{key}"
        have_unique = sorted(set(have["unique"]) | {c for c, u in have["indexes"] if u})
        want_unique = sorted(set(want["unique"]) | {c for c, u in want["indexes"] if u})
        assert have_unique == want_unique, f"{table} unique"
        assert sorted(c for c, u in have["indexes"] if not u) == sorted(
            c for c, u in want["indexes"] if not u
        ), f"{table} indexes"
    assert isinstance(simhash_type, sa.BigInteger)


def test_a_failing_migration_leaves_nothing(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(conn: Connection) -> None:
        conn.execute(sa.text("CREATE TABLE half_done (x INTEGER)"))
        conn.execute(sa.text("ALTER TABLE articles ADD COLUMN also_half TEXT"))
        raise RuntimeError("crash in the middle of migration 99")

    monkeypatch.setattr(
        migrations, "MIGRATIONS", (*MIGRATIONS, Migration(LATEST_VERSION + 1, "broken", broken))
    )
    monkeypatch.setattr(migrations, "LATEST_VERSION", LATEST_VERSION + 1)
    with pytest.raises(RuntimeError, match="migration 99"):
        Store.open(db_url)
    db = Database.from_url(db_url)
    try:
        assert current_version(db) == LATEST_VERSION
        with db.read() as conn:
            insp = sa.inspect(conn)
            assert "half_done" not in insp.get_table_names()
            assert "also_half" not in {c["name"] for c in insp.get_columns("articles")}
    finally:
        db.dispose()


def test_newer_database_is_refused(db_url: str) -> None:
    Store.open(db_url).close()
    db = Database.from_url(db_url)
    with db.write() as conn:
        conn.execute(
            sa.insert(schema.schema_version).values(
                version=LATEST_VERSION + 5, description="from the future", applied=NOW
            )
        )
    db.dispose()
    with pytest.raises(StoreError, match="newer than this program") as info:
        Store.open(db_url)
    assert info.value.hint is not None and "upgrade" in info.value.hint


def test_unknown_target_is_refused(db_url: str) -> None:
    db = Database.from_url(db_url)
    try:
        with pytest.raises(ValueError, match="no migration"):
            migrate(db, target=LATEST_VERSION + 1)
    finally:
        db.dispose()


def test_concurrent_first_open_migrates_once(db_url: str) -> None:
    errors: list[BaseException] = []
    opened: list[Store] = []
    barrier = threading.Barrier(3)

    def open_it() -> None:
        barrier.wait()
        try:
            opened.append(Store.open(db_url))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    try:
        assert errors == []
        assert len(opened) == 3
        with opened[0]._db.read() as conn:
            versions = conn.execute(sa.select(schema.schema_version.c.version)).scalars().all()
        assert sorted(versions) == list(range(1, LATEST_VERSION + 1))
    finally:
        for s in opened:
            s.close()
