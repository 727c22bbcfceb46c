"""Bot-protection pages (scraper.extract.blocked). Unit pages are hand-written; the real
Cloudflare pages of ../shared/corpus/thinktanks are checked when the corpus is present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scraper.extract import blocked, extract, is_blocked

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "thinktanks"

CHALLENGE = """<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>
<div class="main-wrapper"><h1>www.example.org</h1><p>Verifying you are human.</p></div>
<script>(function(){window._cf_chl_opt={cvId: '3'};})();</script></body></html>"""
BAN = """<html><head><title>Access denied</title></head><body><div id="cf-wrapper">
<div id="cf-error-details"><h1>Error 1015</h1><p>You are being rate limited</p>
<span>Ray ID: 123abc</span></div></div></body></html>"""


def test_challenge_and_ban_pages() -> None:
    assert is_blocked(CHALLENGE)
    assert is_blocked(BAN)
    assert extract(CHALLENGE).blocked
    a = extract(BAN, "https://x.org/a")
    assert a.blocked and a.title is None and a.body_text == "" and a.url == "https://x.org/a"


def test_header_and_status() -> None:
    assert is_blocked("", 403, {"CF-Mitigated": "challenge"})
    weak = "<html><body><p>Checking your browser before accessing the site.</p></body></html>"
    assert not is_blocked(weak, 200)
    assert is_blocked(weak, 503)


def test_marker_case_and_non_ascii_text() -> None:
    shouting = CHALLENGE.replace("Just a moment...", "JUST A MOMENT...")
    assert is_blocked(shouting)
    assert is_blocked("<p>Café “quoted” \u2014 ü</p>" + shouting)
    assert is_blocked("<p>\u0130stanbul</p>" + shouting)  # İ: the case-insensitive path
    # the Kelvin sign is a "k" only to a case-insensitive match
    assert is_blocked(CHALLENGE.replace("<title>", "<p>\u212a</p><title>"))
    assert not is_blocked("<title>Just a mo\u212aent</title>" + "<p>text</p>" * 10)


def test_title_after_any_whitespace_and_grouped_literals() -> None:
    assert is_blocked(CHALLENGE.replace("<title>", "<title>\u3000\n\u2003"))
    assert is_blocked(CHALLENGE.replace("<title>", "<p>\u00ab\u2019</p><title>\xa0"))
    # the pieces sought for the weak markers stand for exactly the literals
    grouped = {w for piece, words in blocked._WEAK_GROUPS for w in words or (piece,)}
    assert grouped == {w.encode("ascii") for w in blocked._WEAK_LITERALS}
    assert all(piece in w for piece, words in blocked._WEAK_GROUPS for w in words)


def test_cloudflare_1020_title_alone_is_decisive() -> None:
    # the title of Cloudflare's "Access denied" (error 1020) page, without its other markup
    page = (
        "<html><head><title>Access denied | www.example.org used Cloudflare to restrict access"
        "</title></head><body><p>The owner of this website has set rules.</p></body></html>"
    )
    assert blocked._STRONG.search(page) is not None
    assert is_blocked(page) and extract(page).blocked
    assert is_blocked(page.replace("<p>", "<p>\u0130")) and extract(page).blocked  # İ: text path
    assert not is_blocked(page.replace("used Cloudflare", "uses a firewall"))


def test_articles_mentioning_cloudflare_are_not_blocked() -> None:
    text = "<p>" + "Cloudflare said the Ray ID: field helps support staff. " * 200 + "</p>"
    page = f"<html><head><title>Why CDNs fail</title></head><body>{text}</body></html>"
    assert not is_blocked(page, 200)
    assert not is_blocked(page, 403)
    assert not extract(page).blocked


def test_the_extractor_takes_a_long_page_for_the_page_asked_for() -> None:
    # challenge pages are small: past PAGE_MAX characters the extractor does not search one
    # (the fetcher, which has the status and headers, still does)
    filler = "<p>" + "An article paragraph of ordinary prose. " * 50 + "</p>"
    long_page = CHALLENGE.replace(
        "</body>", filler * (blocked.PAGE_MAX // len(filler) + 1) + "</body>"
    )
    assert len(long_page) > blocked.PAGE_MAX
    assert is_blocked(long_page)
    assert not blocked.page_is_blocked(long_page, None)
    assert not extract(long_page).blocked
    at_limit = CHALLENGE + " " * (blocked.PAGE_MAX - len(CHALLENGE))
    assert blocked.page_is_blocked(at_limit, None) and extract(at_limit).blocked


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus absent")
def test_real_blocked_pages_in_corpus() -> None:
    kinds = {
        case: json.loads((case / "truth.json").read_text(encoding="utf-8"))["kind"]
        for case in sorted(CORPUS.iterdir())
        if (case / "truth.json").exists()
    }
    assert "blocked" in kinds.values() and "article" in kinds.values()
    for case, kind in kinds.items():
        page = (case / "page.html").read_text(encoding="utf-8", errors="replace")
        assert is_blocked(page) is (kind == "blocked"), case.name
