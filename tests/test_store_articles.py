"""Articles in the store: save/update/unchanged, identity, tags, duplicates, atomicity.

Every test runs on SQLite (a file in tmp_path) and PostgreSQL (a fresh schema) via ``store``.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from scraper.errors import StoreError
from scraper.models import SaveAction
from scraper.store import Store
from scraper.store import articles as store_articles
from tests.conftest import NOW, ArticleFactory

TEHRAN_SUMMER = timezone(timedelta(hours=4, minutes=30))
TEHRAN = timezone(timedelta(hours=3, minutes=30))


def test_new_article_round_trips_every_field(store: Store, make_article: ArticleFactory) -> None:
    art, dec = make_article(
        1,
        authors=("Ali Rezaei", "Sara Kamali"),
        image="https://ipis.example.org/img/1.jpg",
        field_sources={"title": "rules", "published": "meta"},
        simhash=(1 << 64) - 5,  # above the signed range: stored as a negative BIGINT
    )
    aid = store.save_article("ipis", art, dec, url=art.url or "", tags=["iran", "nuclear"], now=NOW)
    got = store.article(aid)
    assert got is not None
    assert got.id == aid
    assert got.source_id == "ipis"
    assert got.url == art.url
    assert got.canonical_url == dec.canonical_url
    assert got.title == "Article 1"
    assert got.authors == ("Ali Rezaei", "Sara Kamali")
    assert got.published == art.published
    assert got.language == "en"
    assert got.summary == "A short summary."
    assert got.body_text == art.body_text
    assert got.body_html == art.body_html
    assert got.image == "https://ipis.example.org/img/1.jpg"
    assert got.tags == ("iran", "nuclear")
    assert got.content_hash == dec.content_hash
    assert got.simhash == (1 << 64) - 5
    assert got.duplicate_of is None
    assert got.first_seen == NOW
    assert got.last_changed == NOW
    assert got.first_seen.tzinfo is not None
    assert dict(got.field_sources) == {"title": "rules", "published": "meta"}
    assert got.body_policy is None  # not sanitised by anyone
    assert store.count_articles() == 1
    assert store.count_articles("ipis") == 1
    assert store.count_articles("other") == 0
    assert store.article(aid + 1000) is None


def test_published_keeps_original_offset(store: Store, make_article: ArticleFactory) -> None:
    p1 = datetime(2025, 7, 9, 10, 15, tzinfo=TEHRAN)
    p2 = datetime(2021, 6, 1, 8, 0, 30, tzinfo=TEHRAN_SUMMER)
    a1, d1 = make_article(1, published=p1, updated=p2)
    a2, d2 = make_article(2, published=p2)
    i1 = store.save_article("ipis", a1, d1, url="u1", tags=[], now=NOW)
    i2 = store.save_article("ipis", a2, d2, url="u2", tags=[], now=NOW)
    s1, s2 = store.article(i1), store.article(i2)
    assert s1 is not None and s2 is not None
    assert s1.published is not None and s2.published is not None and s1.updated is not None
    assert s1.published.utcoffset() == timedelta(hours=3, minutes=30)
    assert s1.published == p1
    assert s1.published.isoformat() == "2025-07-09T10:15:00+03:30"
    assert s1.updated.utcoffset() == timedelta(hours=4, minutes=30)
    assert s2.published.isoformat() == "2021-06-01T08:00:30+04:30"
    # store-made timestamps come back aware in UTC
    assert s1.first_seen.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(store: Store, make_article: ArticleFactory) -> None:
    art, dec = make_article(1)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.save_article("ipis", art, dec, url="u", tags=[], now=datetime(2025, 1, 1))
    naive, dec2 = make_article(2, published=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        store.save_article("ipis", naive, dec2, url="u", tags=[], now=NOW)
    assert store.count_articles() == 0


def test_resaving_new_is_idempotent(store: Store, make_article: ArticleFactory) -> None:
    art, dec = make_article(1)
    first = store.save_article("ipis", art, dec, url="u", tags=["a"], now=NOW)
    again = store.save_article("ipis", art, dec, url="u", tags=["a"], now=NOW + timedelta(days=1))
    assert again == first
    assert store.count_articles() == 1
    got = store.article(first)
    assert got is not None
    assert got.first_seen == NOW
    assert got.last_changed == NOW  # same content: nothing moved
    ident = store.identity(dec.canonical_url)
    assert ident is not None and ident.change_count == 0


def test_stale_new_decision_with_new_content_updates(
    store: Store, make_article: ArticleFactory
) -> None:
    art, dec = make_article(1)
    aid = store.save_article("ipis", art, dec, url="u", tags=[], now=NOW)
    art2, dec2 = make_article(1, body="Edited body text.")
    later = NOW + timedelta(hours=2)
    assert store.save_article("ipis", art2, dec2, url="u", tags=[], now=later) == aid
    got = store.article(aid)
    assert got is not None
    assert got.body_text == "Edited body text."
    assert got.last_changed == later
    assert got.first_seen == NOW


def test_canonical_url_is_unique_in_the_schema(store: Store, make_article: ArticleFactory) -> None:
    art, dec = make_article(1)
    store.save_article("ipis", art, dec, url="u", tags=[], now=NOW)
    table = sa.table("articles", sa.column("id"), sa.column("canonical_url"))
    with pytest.raises(IntegrityError), store._db.write() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO articles (source_id, url, canonical_url, authors, body_text, "
                "body_html, content_hash, field_sources, first_seen, last_changed, "
                "change_count) SELECT source_id, url, canonical_url, authors, body_text, "
                "body_html, content_hash, field_sources, first_seen, last_changed, "
                "change_count FROM articles"
            )
        )
    with store._db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 1


def test_updated_moves_last_changed_and_counts(store: Store, make_article: ArticleFactory) -> None:
    art, dec = make_article(1, title="First title")
    aid = store.save_article("ipis", art, dec, url="u", tags=["a"], now=NOW)
    t1 = NOW + timedelta(days=1)
    art2, dec2 = make_article(
        1, title="Second title", body="New body", action=SaveAction.UPDATED, article_id=aid
    )
    assert store.save_article("other", art2, dec2, url="u2", tags=["b"], now=t1) == aid
    got = store.article(aid)
    assert got is not None
    assert got.title == "Second title"
    assert got.body_text == "New body"
    assert got.content_hash == dec2.content_hash
    assert got.url == "u2"
    assert got.source_id == "ipis"  # stays with the source that found it first
    assert got.tags == ("b",)
    assert got.first_seen == NOW
    assert got.last_changed == t1
    ident = store.identity(dec.canonical_url)
    assert ident is not None and ident.change_count == 1

    # churn cap: content replaced, but last_changed/change_count stay
    t2 = NOW + timedelta(days=2)
    art3, dec3 = make_article(
        1, body="Third body", action=SaveAction.UPDATED, article_id=aid, count_change=False
    )
    store.save_article("ipis", art3, dec3, url="u2", tags=["b"], now=t2)
    got = store.article(aid)
    assert got is not None
    assert got.body_text == "Third body"
    assert got.last_changed == t1
    ident = store.identity(dec.canonical_url)
    assert ident is not None and ident.change_count == 1


def test_every_write_keeps_the_sort_key(store: Store, make_article: ArticleFactory) -> None:
    """``sort_utc`` is the published date, else the first-seen time, after inserts and updates
    (the newest-first order of feeds reads it)."""

    def sort_key(aid: int) -> datetime:
        with store._db.read() as conn:
            value = conn.execute(
                sa.select(store_articles.articles.c.sort_utc).where(
                    store_articles.articles.c.id == aid
                )
            ).scalar_one()
        assert isinstance(value, datetime)
        return value

    published = datetime(2025, 6, 1, 8, 0, tzinfo=TEHRAN)
    art, dec = make_article(1, published=published)
    dated = store.save_article("ipis", art, dec, url="u1", tags=[], now=NOW)
    art, dec = make_article(2, undated=True)
    undated = store.save_article("ipis", art, dec, url="u2", tags=[], now=NOW)
    assert (sort_key(dated), sort_key(undated)) == (published, NOW)
    later = NOW + timedelta(days=3)
    # the date disappears from the page: first seen again, not the time of the update
    art, dec = make_article(
        1, undated=True, body="Edited", action=SaveAction.UPDATED, article_id=dated
    )
    store.save_article("ipis", art, dec, url="u1", tags=[], now=later)
    # a date appears on the page, also in an update that does not count as a change
    art, dec = make_article(
        2,
        published=published,
        body="Edited",
        action=SaveAction.UPDATED,
        article_id=undated,
        count_change=False,
    )
    store.save_article("ipis", art, dec, url="u2", tags=[], now=later)
    assert (sort_key(dated), sort_key(undated)) == (NOW, published)
    assert [a.id for a in store.articles()] == [dated, undated]


def test_unchanged_only_syncs_tags(store: Store, make_article: ArticleFactory) -> None:
    art, dec = make_article(1, title="Kept")
    aid = store.save_article("ipis", art, dec, url="u", tags=["a", "b"], now=NOW)
    art2, dec2 = make_article(1, title="Ignored", action=SaveAction.UNCHANGED, article_id=aid)
    later = NOW + timedelta(days=1)
    assert (
        store.save_article("ipis", art2, dec2, url="u", tags=["b", "c", " ", "c"], now=later) == aid
    )
    got = store.article(aid)
    assert got is not None
    assert got.title == "Kept"
    assert got.last_changed == NOW
    assert got.tags == ("b", "c")
    # each tag once ignoring case, the first spelling kept (config tags come first)
    store.save_article("ipis", art2, dec2, url="u", tags=["c", "C", " B ", "b", "Iran"], now=later)
    got = store.article(aid)
    assert got is not None and set(got.tags) == {"B", "Iran", "c"}


def test_updated_for_a_vanished_row_inserts(store: Store, make_article: ArticleFactory) -> None:
    art, dec = make_article(5, action=SaveAction.UPDATED, article_id=999)
    aid = store.save_article("ipis", art, dec, url="u", tags=[], now=NOW)
    assert store.identity(dec.canonical_url) is not None
    assert store.article(aid) is not None
    assert store.count_articles() == 1


def test_identity(store: Store, make_article: ArticleFactory) -> None:
    assert store.identity("https://nowhere.example/x") is None
    art, dec = make_article(1, simhash=0xFFFF_0000_FFFF_0000)
    aid = store.save_article("ipis", art, dec, url="u", tags=[], now=NOW)
    ident = store.identity(dec.canonical_url)
    assert ident is not None
    assert ident.id == aid
    assert ident.canonical_url == dec.canonical_url
    assert ident.content_hash == dec.content_hash
    assert ident.simhash == 0xFFFF_0000_FFFF_0000
    assert ident.first_seen == NOW
    assert ident.last_changed == NOW
    assert ident.change_count == 0
    assert ident.duplicate_of is None


def test_duplicates_simhashes_and_clusters(store: Store, make_article: ArticleFactory) -> None:
    a1, d1 = make_article(1, simhash=(1 << 63) + 1)
    first = store.save_article("ipis", a1, d1, url="u1", tags=[], now=NOW)
    a2, d2 = make_article(2, source="partner", duplicate_of=first)
    dup1 = store.save_article("partner", a2, d2, url="u2", tags=[], now=NOW + timedelta(hours=1))
    a3, d3 = make_article(3, source="mirror", duplicate_of=first)
    dup2 = store.save_article("mirror", a3, d3, url="u3", tags=[], now=NOW + timedelta(hours=2))
    a4, d4 = make_article(4, simhash=None)
    lone = store.save_article("ipis", a4, d4, url="u4", tags=[], now=NOW)
    a5, d5 = make_article(5)
    other = store.save_article("ipis", a5, d5, url="u5", tags=[], now=NOW)
    a6, d6 = make_article(6, duplicate_of=other)
    dup3 = store.save_article("ipis", a6, d6, url="u6", tags=[], now=NOW + timedelta(days=1))

    hashes = dict(store.simhashes())
    assert set(hashes) == {first, other}  # no duplicates, no missing fingerprints
    assert hashes[first] == (1 << 63) + 1
    assert lone not in hashes

    clusters = store.duplicate_clusters()
    assert [(f.id, [d.id for d in ds]) for f, ds in clusters] == [
        (other, [dup3]),  # both first copies have first_seen NOW: higher id first
        (first, [dup1, dup2]),
    ]
    assert all(d.duplicate_of == f.id for f, ds in clusters for d in ds)

    visible = {a.id for a in store.articles()}
    assert visible == {first, lone, other}
    assert {a.id for a in store.articles(include_duplicates=True)} == {
        first,
        dup1,
        dup2,
        lone,
        other,
        dup3,
    }


def test_duplicate_of_must_exist(store: Store, make_article: ArticleFactory) -> None:
    art, dec = make_article(1, duplicate_of=12345)
    with pytest.raises(StoreError, match="save_article"):
        store.save_article("ipis", art, dec, url="u", tags=["x"], now=NOW)
    assert store.count_articles() == 0


def test_save_is_one_transaction(
    store: Store, make_article: ArticleFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    art, dec = make_article(1, title="Original")
    aid = store.save_article("ipis", art, dec, url="u", tags=["keep"], now=NOW)

    def boom(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("crash between the row and its tags")

    monkeypatch.setattr(store_articles, "_set_tags", boom)
    art2, dec2 = make_article(2)
    with pytest.raises(RuntimeError, match="crash"):
        store.save_article("ipis", art2, dec2, url="u2", tags=["t"], now=NOW)
    assert store.identity(dec2.canonical_url) is None
    assert store.count_articles() == 1

    art3, dec3 = make_article(
        1, title="Changed", body="Changed body", action=SaveAction.UPDATED, article_id=aid
    )
    with pytest.raises(RuntimeError, match="crash"):
        store.save_article("ipis", art3, dec3, url="u", tags=["new"], now=NOW + timedelta(days=1))
    got = store.article(aid)
    assert got is not None
    assert got.title == "Original"
    assert got.body_text == art.body_text
    assert got.last_changed == NOW
    assert got.tags == ("keep",)


def test_first_with_hash_finds_the_earliest_first_copy(
    store: Store, make_article: ArticleFactory
) -> None:
    body = "The same short statement, republished word for word by two institutes."
    a1, d1 = make_article(1, body=body, simhash=None)
    first = store.save_article("ipis", a1, d1, url=a1.url or "", tags=(), now=NOW)
    a2, d2 = make_article(2, body=body, simhash=None, duplicate_of=first)
    store.save_article("ipis", a2, d2, url=a2.url or "", tags=(), now=NOW)
    other, d3 = make_article(3, simhash=None)
    store.save_article("ipis", other, d3, url=other.url or "", tags=(), now=NOW)
    assert store.first_with_hash(d1.content_hash, other_than="https://x.example/new") == first
    # never the article itself, and never a copy
    assert store.first_with_hash(d1.content_hash, other_than=d1.canonical_url) is None
    assert store.first_with_hash("v1:" + "0" * 64, other_than="https://x.example/new") is None


def test_minhashes_of_first_copies_round_trip(store: Store, make_article: ArticleFactory) -> None:
    from dataclasses import replace

    from scraper.dedup.minhash import from_db, signature, to_db

    sig = signature("a short blurb about the nuclear talks in Vienna and what comes next " * 3)
    assert sig is not None
    blob = to_db(sig)
    a1, d1 = make_article(1, simhash=None)
    first = store.save_article("ipis", a1, replace(d1, minhash=blob), url="u1", tags=[], now=NOW)
    a2, d2 = make_article(2, simhash=None, duplicate_of=first)
    store.save_article("partner", a2, replace(d2, minhash=blob), url="u2", tags=[], now=NOW)
    a3, d3 = make_article(3)  # a long text: no signature
    store.save_article("ipis", a3, d3, url="u3", tags=[], now=NOW)

    assert store.minhashes() == [(first, blob)]  # duplicates and unsigned rows left out
    assert from_db(store.minhashes()[0][1]) == sig

    # an update stores the new text's signature; one that grew long clears it
    edited, upd = make_article(
        1, body="edited", simhash=None, action=SaveAction.UPDATED, article_id=first
    )
    other = to_db(tuple(reversed(sig)))
    store.save_article("ipis", edited, replace(upd, minhash=other), url="u1", tags=[], now=NOW)
    assert store.minhashes() == [(first, other)]
    store.save_article(
        "ipis", edited, replace(upd, content_hash="v1:x"), url="u1", tags=[], now=NOW
    )
    assert store.minhashes() == []


def test_body_policy_is_stored_and_follows_the_content(
    store: Store, make_article: ArticleFactory
) -> None:
    art, dec = make_article(1)
    aid = store.save_article(
        "ipis", dataclasses.replace(art, body_policy="nh3-1-abc"), dec, url="u", tags=[], now=NOW
    )
    got = store.article(aid)
    assert got is not None and got.body_policy == "nh3-1-abc"
    edited, upd = make_article(1, body="A new version", action=SaveAction.UPDATED, article_id=aid)
    store.save_article("ipis", edited, upd, url="u", tags=[], now=NOW)  # unsanitised now
    got = store.article(aid)
    assert got is not None and got.body_policy is None


def test_refresh_bodies_rewrites_only_rows_still_as_computed(
    store: Store, make_article: ArticleFactory
) -> None:
    """Bodies sanitised again by a feed build are kept, unless the row changed meanwhile;
    nothing a reader sees as an edit moves (last_changed, change count)."""
    from scraper.models import BodyRefresh

    ids = []
    for n, policy in ((1, None), (2, "nh3-1-old"), (3, "nh3-1-old"), (4, "nh3-1-old")):
        art, dec = make_article(n)
        art = dataclasses.replace(art, body_policy=policy, body_html=f"<p>raw {n}</p>")
        ids.append(store.save_article("ipis", art, dec, url=f"u{n}", tags=[], now=NOW))
    before = {a.id: a for a in store.articles()}
    wanted = [
        BodyRefresh(
            aid, before[aid].content_hash, before[aid].body_policy, f"<p>new {aid}</p>", "P2"
        )
        for aid in ids
    ]
    # row 3 was re-scraped since (another content hash), row 4 re-sanitised by someone else
    art, dec = make_article(3, body="Edited.", action=SaveAction.UPDATED, article_id=ids[2])
    store.save_article("ipis", art, dec, url="u3", tags=[], now=NOW + timedelta(days=1))
    with store._db.write() as conn:
        conn.execute(
            sa.update(store_articles.articles)
            .where(store_articles.articles.c.id == ids[3])
            .values(body_policy="P2", body_html="<p>theirs</p>")
        )
    assert store.refresh_bodies(wanted) == 2
    assert store.refresh_bodies([]) == 0
    after = {a.id: a for a in store.articles()}
    for aid in ids[:2]:  # NULL and an older policy alike
        assert (after[aid].body_html, after[aid].body_policy) == (f"<p>new {aid}</p>", "P2")
        assert after[aid].last_changed == before[aid].last_changed
        assert after[aid].content_hash == before[aid].content_hash
    assert after[ids[2]].body_text == "Edited."  # the re-scraped row is left alone
    assert after[ids[2]].body_html != f"<p>new {ids[2]}</p>"
    assert after[ids[3]].body_html == "<p>theirs</p>"
    assert store.refresh_bodies(wanted) == 0  # done once
