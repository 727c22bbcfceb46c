"""Reading articles back (``scraper.store.queries``): filters, newest-first order and its
indexes, look-ups by id.

Every test runs on SQLite (a file in tmp_path) and PostgreSQL (a fresh schema) via ``store``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from scraper.store import Store
from scraper.store import queries as store_queries
from tests.conftest import NOW, ArticleFactory


def test_articles_filters_and_order(store: Store, make_article: ArticleFactory) -> None:
    base = datetime(2025, 7, 1, tzinfo=UTC)
    ids: dict[str, int] = {}
    rows: list[tuple[str, str, datetime | None, datetime, list[str]]] = [
        # name, source, published, first_seen, tags
        ("old", "ipis", base - timedelta(days=10), base, ["iran"]),
        ("newest", "csis", base + timedelta(days=3), base + timedelta(days=1), ["energy"]),
        ("undated_late", "ipis", None, base + timedelta(days=5), []),
        ("undated_early", "csis", None, base + timedelta(days=2), ["iran", "energy"]),
        ("middle", "rand", base + timedelta(days=1), base + timedelta(days=2), ["defense"]),
    ]
    for i, (name, src, pub, seen, tags) in enumerate(rows, start=1):
        art, dec = make_article(i, source=src, published=pub, undated=pub is None)
        ids[name] = store.save_article(src, art, dec, url=name, tags=tags, now=seen)

    def names(**kw: Any) -> list[str]:
        by_id = {v: k for k, v in ids.items()}
        return [by_id[a.id] for a in store.articles(**kw)]

    # newest first by publication date, an undated article by when it was first seen (the
    # order feeds show: an undated article is not pushed behind every dated one)
    assert names() == ["undated_late", "newest", "undated_early", "middle", "old"]
    assert names(source_ids=["ipis"]) == ["undated_late", "old"]
    assert names(source_ids=["ipis", "rand"]) == ["undated_late", "middle", "old"]
    assert names(source_ids=[]) == names()  # empty filter = no filter
    assert names(tags=["iran"]) == ["undated_early", "old"]
    assert names(tags=["energy", "defense"]) == ["newest", "undated_early", "middle"]
    assert names(tags=["nothing"]) == []
    assert names(first_seen_from=base + timedelta(days=2)) == [
        "undated_late",
        "undated_early",
        "middle",
    ]
    assert names(
        first_seen_from=base + timedelta(days=1), first_seen_to=base + timedelta(days=2)
    ) == ["newest"]
    # windows given in another offset mean the same instants
    plus_330 = timezone(timedelta(hours=3, minutes=30))
    assert names(first_seen_to=(base + timedelta(days=1)).astimezone(plus_330)) == ["old"]
    assert names(limit=2) == ["undated_late", "newest"]
    assert names(source_ids=["csis"], tags=["iran"], limit=5) == ["undated_early"]
    got = store.articles(tags=["energy"])
    assert {a.id: a.tags for a in got}[ids["undated_early"]] == ("energy", "iran")


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ({}, "ix_articles_newest"),
        ({"source_ids": ["ipis"]}, "ix_articles_source_newest"),
        ({"tags": ["iran"]}, "ix_articles_newest"),
        # source, tag and filtered feeds read near-duplicates too
        ({"source_ids": ["ipis"], "include_duplicates": True}, "ix_articles_source_newest"),
        ({"tags": ["iran"], "include_duplicates": True}, "ix_articles_newest"),
    ],
)
def test_newest_first_reads_an_index_in_order(
    store: Store, make_article: ArticleFactory, query: dict[str, Any], index: str
) -> None:
    """Feed queries stop at their limit instead of sorting every row (with its bodies).

    SQLite used to pick the duplicate_of index for ``duplicate_of IS NULL`` (nearly every row)
    and sort the whole table; on 50,000 articles one feed query took 0.1-0.4 s (PostgreSQL,
    without an index in that order: 40-50 ms for the combined and tag feeds).
    """
    for i in range(1, 31):
        art, dec = make_article(i, published=NOW - timedelta(days=i))
        store.save_article("ipis", art, dec, url=f"u{i}", tags=["iran"], now=NOW)
    stmt = store_queries.articles_select(limit=10, **query)
    with store._db.read() as conn:
        sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        if store.backend == "postgresql":
            # a table this small is cheaper to sort: ask whether an index gives the order
            conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
            conn.execute(sa.text("SET LOCAL enable_sort = off"))
            index += "_desc"
            plan = " | ".join(r[0] for r in conn.execute(sa.text("EXPLAIN " + sql)))
            assert index in plan and "Sort" not in plan, plan
        else:
            plan = " | ".join(r[3] for r in conn.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
            assert index in plan and "TEMP B-TREE" not in plan, plan
    assert [a.id for a in store.articles(limit=10, **query)] == list(range(1, 11))


def test_articles_by_id_returns_the_existing_ones(
    store: Store, make_article: ArticleFactory
) -> None:
    ids = []
    for i in range(1, 4):
        art, dec = make_article(i)
        ids.append(store.save_article("ipis", art, dec, url=f"u{i}", tags=["iran"], now=NOW))
    got = store.articles_by_id([ids[2], ids[0], ids[0], 9999])
    assert sorted(got) == sorted([ids[0], ids[2]])
    assert got[ids[2]] == store.article(ids[2])  # same rows, tags included
    assert got[ids[0]].tags == ("iran",)
    assert store.articles_by_id([]) == {}
    many = store.articles_by_id(range(1, 1200))  # more ids than one IN (...) chunk
    assert sorted(many) == sorted(ids)


def test_articles_many_is_articles_per_query_with_each_row_read_once(
    store: Store, make_article: ArticleFactory
) -> None:
    from scraper.models import ArticleQuery

    base = datetime(2025, 7, 1, tzinfo=UTC)
    for i, (src, tags) in enumerate(
        [("ipis", ["iran"]), ("csis", ["energy"]), ("ipis", []), ("rand", ["iran", "energy"])],
        start=1,
    ):
        art, dec = make_article(i, source=src, published=base + timedelta(days=i))
        store.save_article(src, art, dec, url=f"u{i}", tags=tags, now=base)
    queries = [
        ArticleQuery(limit=3),
        ArticleQuery(("ipis",), include_duplicates=True),
        ArticleQuery(tags=("iran",), limit=10),
        ArticleQuery(("csis", "rand"), ("energy",)),
        ArticleQuery(("nobody",)),
    ]
    got = store.articles_many(queries)
    for q, articles in zip(queries, got, strict=True):
        one = store.articles(
            source_ids=q.source_ids,
            tags=q.tags,
            include_duplicates=q.include_duplicates,
            limit=q.limit,
        )
        assert articles == one  # same rows, order and tags
    assert got[4] == []
    newest_iran = got[2][0]
    assert any(a is newest_iran for a in got[0])  # one object for a row in two selections
    assert store.articles_many([]) == []
