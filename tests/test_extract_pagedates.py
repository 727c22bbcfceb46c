"""Gathering a page's date candidates (scraper.extract.pagedates); pages written here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from scraper.extract.blocks import walk
from scraper.extract.jsonld import read_jsonld
from scraper.extract.meta import read_meta
from scraper.extract.pagedates import page_dates
from scraper.models import FieldOrigin

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def dates(html: str, url: str | None = None, **extra: Any) -> tuple[Any, Any]:
    tree = LexborHTMLParser(html)
    blocks = walk(tree.body) if tree.body is not None else []
    meta = read_meta(tree)
    args: dict[str, Any] = {
        "ruled_dates": [],
        "ld": read_jsonld(tree),
        "meta": meta,
        "text": html,
        "visible": None,
        "all_blocks": blocks,
        "body_blocks": blocks,
        "after": [],
        "idx": None,
        "url": url,
        "canonical": meta.canonical,
        "page_lang": "en",
        "timezone": None,
        "now": NOW,
    }
    args.update(extra)
    return page_dates(**args)


def test_metadata_dates_and_the_modified_date() -> None:
    published, modified = dates(
        '<html><head><meta property="article:published_time" content="2025-07-09T10:00:00+03:30">'
        '<meta property="article:modified_time" content="2025-07-10T08:00:00+03:30">'
        "</head><body><p>Text</p></body></html>"
    )
    assert published.value.isoformat() == "2025-07-09T10:00:00+03:30"
    assert published.origin is FieldOrigin.META
    assert modified.value.isoformat() == "2025-07-10T08:00:00+03:30"


def test_rules_come_first_and_a_zero_date_loses() -> None:
    published, modified = dates(
        '<html><head><meta property="article:published_time" content="-0001-11-30T00:00:00+00:00">'
        "</head><body><p>Text</p></body></html>",
        ruled_dates=["9 July 2025"],
    )
    assert published.value.date().isoformat() == "2025-07-09"
    assert published.origin is FieldOrigin.RULES
    assert modified is None


def test_without_metadata_the_pages_json_state_then_a_published_line() -> None:
    state = '<script>{"props":{"publishedAt":"2024-03-05T12:00:00Z"}}</script>'
    published, _ = dates(f"<html><body>{state}<p>Text</p></body></html>")
    assert published.value.isoformat() == "2024-03-05T12:00:00+00:00"
    published, _ = dates(
        "<html><body><p>A long article.</p><p>Published on 14 December 2015 by the team.</p>"
        "</body></html>"
    )
    assert published.value.date().isoformat() == "2015-12-14"
    assert published.origin is FieldOrigin.HEURISTIC


def test_the_url_dates_a_page_with_nothing_else() -> None:
    published, _ = dates(
        "<html><body><p>Text</p></body></html>", url="https://example.org/2019/10/04/a-story/"
    )
    assert published.value.date().isoformat() == "2019-10-04"
    assert published.origin is FieldOrigin.URL
    assert dates("<html><body><p>Text</p></body></html>") == (None, None)
