"""Article rows decoded without SQLAlchemy's column types give what the types give.

Every test runs on SQLite (a file in tmp_path) and PostgreSQL (a fresh schema) via ``store``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from scraper.store import Store
from scraper.store import rows as store_rows
from scraper.store.schema import articles
from scraper.store.types import parse_iso, simhash_from_db, utc_from_db
from tests.conftest import NOW, ArticleFactory

TEHRAN = timezone(timedelta(hours=3, minutes=30))


def _fill(store: Store, make_article: ArticleFactory) -> list[int]:
    ids = []
    cases: list[dict[str, object]] = [
        {"authors": ("Ali Rezaei", "Sārā Kamālī"), "field_sources": {"title": "rules"}},
        {"authors": (), "published": datetime(2025, 7, 9, 10, 15, tzinfo=TEHRAN)},
        {"simhash": (1 << 64) - 5, "updated": datetime(2025, 7, 10, 1, 2, 3, tzinfo=TEHRAN)},
        {"simhash": None, "undated": True, "summary": None, "language": None},
    ]
    tag_sets = [["nuclear", "iran"], [], ["énergie"], ["b", "a", "c"]]
    for n, (kw, tags) in enumerate(zip(cases, tag_sets, strict=True), start=1):
        art, dec = make_article(n, **kw)  # type: ignore[arg-type]
        ids.append(store.save_article("ipis", art, dec, url=f"u{n}", tags=tags, now=NOW))
    return ids


def test_decoded_rows_equal_what_the_column_types_give(
    store: Store, make_article: ArticleFactory
) -> None:
    ids = _fill(store, make_article)
    db = store._db
    with db.read() as conn:
        typed = {r["id"]: r for r in conn.execute(select(articles)).mappings().all()}
        fast = store_rows.by_id(conn, ids)
    assert sorted(fast) == sorted(ids)
    for aid, row in typed.items():
        got = fast[aid]
        assert got.authors == tuple(row["authors"])
        assert dict(got.field_sources) == row["field_sources"]
        assert got.first_seen == row["first_seen"] and got.first_seen.tzinfo is UTC
        assert got.last_changed == row["last_changed"] and got.last_changed.tzinfo is UTC
        assert got.published == parse_iso(row["published"])
        assert got.updated == parse_iso(row["updated"])
        assert got.simhash == simhash_from_db(row["simhash"])
        for name in ("url", "title", "summary", "body_text", "body_html", "language", "image"):
            assert getattr(got, name) == row[name], name
        assert got == store.article(aid)  # every read path decodes alike
    assert fast[ids[0]].tags == ("iran", "nuclear")  # sorted by the database
    assert fast[ids[1]].tags == ()
    assert fast[ids[3]].tags == ("a", "b", "c")
    assert fast[ids[2]].simhash == (1 << 64) - 5


def test_one_statement_reads_any_number_of_ids(store: Store, make_article: ArticleFactory) -> None:
    ids = _fill(store, make_article)
    with store._db.read() as conn:
        assert store_rows.by_id(conn, []) == {}
        many = store_rows.by_id(conn, [*range(-5, 3000), ids[0]])
        none = store_rows.by_id(conn, [99999])
    assert sorted(many) == sorted(ids)
    assert none == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-07-09T10:00:00.000000+00:00", datetime(2025, 7, 9, 10, tzinfo=UTC)),
        ("2025-07-09T10:00:00", datetime(2025, 7, 9, 10, tzinfo=UTC)),
        ("2025-07-09T13:30:00+03:30", datetime(2025, 7, 9, 10, tzinfo=UTC)),
        (datetime(2025, 7, 9, 12, tzinfo=ZoneInfo("Europe/Paris")), datetime(2025, 7, 9, 10)),
        (datetime(2025, 7, 9, 10), datetime(2025, 7, 9, 10)),
    ],
)
def test_utc_from_db_gives_aware_utc(value: object, expected: datetime) -> None:
    got = utc_from_db(value)
    assert got.tzinfo is UTC
    assert got.replace(tzinfo=None) == expected.replace(tzinfo=None)
