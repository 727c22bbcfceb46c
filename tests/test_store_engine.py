"""Engine set-up: URLs, SQLite pragmas and locking, concurrent writers, unreachable databases."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from scraper.errors import StoreError
from scraper.models import SaveAction, SourceReport
from scraper.store import Store
from scraper.store.engine import MMAP_BYTES, Database, normalize_url
from tests.conftest import NOW, ArticleFactory


def test_url_normalisation() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///data/x.db").drivername == "sqlite"
    with pytest.raises(StoreError, match="unsupported database 'mysql'"):
        normalize_url("mysql://u@h/db")
    with pytest.raises(StoreError, match="not a database URL"):
        normalize_url("just some words")


def test_default_url_creates_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with Store.open() as store:
        assert store.backend == "sqlite"
        assert store.ping()
    assert (tmp_path / "data" / "scraper.db").is_file()


def test_sqlite_pragmas(sqlite_url: str) -> None:
    with Store.open(sqlite_url) as store, store._db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
        # reads go through the memory map (a build of feeds reads ~40 MB of rows)
        assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == MMAP_BYTES


def test_sqlite_write_transactions_take_the_lock_up_front(sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    with Store.open(sqlite_url) as store:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            with store._db.write() as conn:
                conn.execute(sa.select(1))  # nothing written yet, but the lock is ours
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
                # readers are not blocked by the writer (WAL + deferred read transactions)
                assert store.count_articles() == 0
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        finally:
            other.close()


def test_sqlite_concurrent_writers_do_not_fail(
    sqlite_url: str, make_article: ArticleFactory
) -> None:
    stores = [Store.open(sqlite_url), Store.open(sqlite_url)]  # two engines = two "processes"
    per_writer = 40
    barrier = threading.Barrier(4)
    pairs = [make_article(i) for i in range(1, 4 * per_writer + 1)]

    def writer(k: int) -> list[int]:
        store = stores[k % 2]
        barrier.wait()
        ids = []
        for n, (art, dec) in enumerate(pairs[k * per_writer : (k + 1) * per_writer]):
            aid = store.save_article("ipis", art, dec, url=art.url or "", tags=["t"], now=NOW)
            ids.append(aid)
            # read-then-write transactions: the pattern that fails with deferred BEGIN in WAL
            upd, udec = make_article(
                k * per_writer + n + 1,
                body=f"edit {k} {n}",
                action=SaveAction.UPDATED,
                article_id=aid,
            )
            store.save_article("ipis", upd, udec, url=art.url or "", tags=["t", "u"], now=NOW)
            store.record_run(_tiny_report(k), success=True, next_run=NOW + timedelta(hours=1))
        return ids

    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(writer, range(4)))
        all_ids = [i for r in results for i in r]
        assert len(set(all_ids)) == 4 * per_writer
        assert stores[0].count_articles() == 4 * per_writer
        assert len(stores[1].recent_reports("w0", limit=1000)) == per_writer
    finally:
        for s in stores:
            s.close()


def _tiny_report(k: int) -> SourceReport:
    return SourceReport(source_id=f"w{k}", started=NOW, finished=NOW, new=1)


def test_in_memory_sqlite(make_article: ArticleFactory) -> None:
    with Store.open("sqlite://") as store:
        art, dec = make_article(1)
        aid = store.save_article("ipis", art, dec, url="u", tags=[], now=NOW)
        assert store.article(aid) is not None
        assert store.count_articles() == 1


def test_unreachable_postgres_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot open the database") as info:
        Store.open("postgresql://postgres:secret@127.0.0.1:1/nowhere?connect_timeout=2")
    assert "secret" not in str(info.value)
    assert info.value.hint is not None
    store = Store(Database.from_url("postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=2"))
    assert store.ping() is False
    with pytest.raises(StoreError, match="count_articles"):
        store.count_articles()
    store.close()


def test_unwritable_sqlite_location_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the database folder") as info:
        Store.open(f"sqlite:///{blocker}/db/scraper.db")
    assert info.value.hint is not None
