"""feeds.fingerprint: any field a feed's bytes may depend on moves the fingerprint."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from feeds.fingerprint import feed_fingerprint
from feeds.model import FeedSpec
from scraper.models import StoredArticle
from tests._feeds_helpers import article

SPEC = FeedSpec(
    kind="source",
    key="ipis",
    title="IPIS",
    self_url="http://localhost:8080/feeds/sources/ipis.atom",
    alternate_url="http://localhost:8080/feeds/",
)
NAMES = {"ipis": "IPIS", "csis": "CSIS"}
LINKS = {"ipis": "https://ipis.example/", "csis": "https://csis.example/"}


def _fp(*articles: StoredArticle, names: dict[str, str] = NAMES) -> str:
    return feed_fingerprint(
        SPEC, articles, source_names=names, source_links=LINKS, originals={}, salt="s"
    )


OTHER_VALUES: dict[str, Any] = {
    "id": 99,
    "source_id": "csis",
    "url": "https://ipis.example/other",
    "canonical_url": "https://ipis.example/other",
    "title": "Another title",
    "authors": ("Someone Else",),
    "published": datetime(2020, 1, 1, tzinfo=UTC),
    "updated": datetime(2020, 1, 2, tzinfo=UTC),
    "language": "fa",
    "summary": "Another summary",
    "body_text": "Another body",
    "body_html": "<p>Another body</p>",
    "tags": ("energy",),
    "image": "https://ipis.example/i.png",
    "content_hash": "v1:other",
    "simhash": (1 << 64) - 1,
    "duplicate_of": 3,
    "first_seen": datetime(2020, 1, 3, tzinfo=UTC),
    "last_changed": datetime(2020, 1, 4, tzinfo=UTC),
    "field_sources": MappingProxyType({"title": "rules"}),
    "body_policy": "policy-2",
}


def test_every_field_moves_the_fingerprint() -> None:
    base = article(1)
    names = {f.name for f in dataclasses.fields(StoredArticle)}
    assert set(OTHER_VALUES) == names  # a new field needs a value here
    seen = {_fp(base)}
    for name, value in OTHER_VALUES.items():
        changed = dataclasses.replace(base, **{name: value})
        seen.add(_fp(changed))
        assert _fp(changed) == _fp(dataclasses.replace(base, **{name: value})), name
    assert len(seen) == len(OTHER_VALUES) + 1


def test_the_source_name_and_order_move_it() -> None:
    a, b = article(1), article(2)
    assert _fp(a, b) != _fp(b, a)
    assert _fp(a) != _fp(a, names={"ipis": "IPIS (renamed)"})


def test_dates_count_by_instant_and_offset_as_written() -> None:
    tehran = timezone(timedelta(hours=3, minutes=30))
    when = datetime(2025, 3, 1, 10, 0, tzinfo=tehran)
    a = dataclasses.replace(article(1), published=when)
    same_offset = dataclasses.replace(a, published=when.replace(tzinfo=ZoneInfo("Asia/Tehran")))
    other_offset = dataclasses.replace(a, published=when.astimezone(UTC))  # same instant
    assert _fp(a) == _fp(same_offset)  # the writers print the same text for both
    assert _fp(a) != _fp(other_offset)


def test_a_lone_surrogate_is_digested_too() -> None:
    a = dataclasses.replace(article(1), title="broken \ud800 title")
    b = dataclasses.replace(article(1), title="broken \ud801 title")
    assert _fp(a) != _fp(b)
    assert _fp(a) == _fp(dataclasses.replace(article(1), title="broken \ud800 title"))
    assert _fp(a) != _fp(dataclasses.replace(a, title="broken  title"))
