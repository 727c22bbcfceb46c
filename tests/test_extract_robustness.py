"""extract() never raises and strips XML-invalid characters (scraper.extract + .text).

All inputs are generated here; nothing comes from a real site."""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scraper.extract import extract
from scraper.extract.cascade import run
from scraper.extract.text import clean, clean_utf8, collapse_checked, decode, squeeze
from scraper.models import Article

NOW = datetime(2026, 1, 1, tzinfo=UTC)
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text_fields(a: Article) -> list[str]:
    out = [a.title or "", a.summary or "", a.body_text, a.body_html, a.language or ""]
    return out + list(a.authors) + list(a.tags)


def _assert_clean(a: Article) -> None:
    for value in _text_fields(a):
        assert not _INVALID.search(value), repr(value[:80])


def test_empty_and_junk_inputs() -> None:
    for raw in (b"", "", b"\x00" * 100, os.urandom(4096), "   ", "<", "<html", "</p></div>"):
        a = extract(raw, now=NOW)
        assert isinstance(a, Article) and not a.blocked
        _assert_clean(a)


def test_deeply_nested_divs() -> None:
    page = "<div>" * 10_000 + "<p>Deep text that is the only content of the page, a sentence.</p>"
    page += "</div>" * 10_000
    a = extract(page, now=NOW)
    assert "Deep text" in a.body_text


def test_five_megabyte_text_node() -> None:
    big = "word " * 1_000_000
    t0 = time.perf_counter()
    a = extract(f"<html><body><h1>Big</h1><p>{big}</p></body></html>", now=NOW)
    assert time.perf_counter() - t0 < 20
    assert a.title == "Big"
    assert len(a.body_text) > 4_000_000


def test_broken_markup() -> None:
    page = (
        "<html><head><title>Broken</title><body><h1>Broken <b>head</h1><p>An unclosed <i>para"
        "graph with text, long enough to be an article body.<div><p>More text <a href='x'>here"
        "</table></td><p>And more, with commas, to score.</span></body></body></html><p>after"
    )
    a = extract(page, "https://e.org/", now=NOW)
    assert "unclosed" in a.body_text
    assert a.body_html.count("<p>") == a.body_html.count("</p>")


def test_control_characters_and_surrogates_are_stripped() -> None:
    page = (
        "<html><head><title>T\x01itle\x0b</title><meta name='author' content='Ann\x00 Lee'>"
        "</head><body><h1>Tit\x08le\ud800</h1><p>Body \x1f text\udfff with a sentence, "
        "and commas, enough to count.\ufffe</p></body></html>"
    )
    a = extract(page, now=NOW)
    _assert_clean(a)
    assert a.title == "Title"
    assert "Body  text" in a.body_text or "Body text" in a.body_text


def test_clean_and_decode() -> None:
    assert clean("a\x00b\ud800c\u200bd\ufffe") == "abcd"
    assert decode("café".encode()) == "café"
    assert decode(b"\xef\xbb\xbfbom") == "bom"
    assert decode("<meta charset=koi8-r>привет".encode("koi8-r")).endswith("привет")
    assert decode(b"caf\xe9") == "café"


_UNWANTED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff\u00ad\u200b\u200e\u200f\u2060\ufeff]"
)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=40), st.integers(min_value=1, max_value=400))
def test_clean_of_a_long_text_is_the_regex_removal(piece: str, times: int) -> None:
    text = piece * times + "padding " * 600  # long enough for the whole-page path
    assert clean(text) == _UNWANTED.sub("", text)
    cleaned, utf8 = clean_utf8(text)
    assert cleaned == clean(text) and utf8 in (None, cleaned.encode())
    with_surrogate = text + "\ud800x"  # (text() draws none; they take the regex path)
    assert clean(with_surrogate) == _UNWANTED.sub("", with_surrogate)


_NASTY = "ab \n\t\x0b\x0c\x1c\x1f\x00\x7f\x85\xa0\xad\u200b\u2003\u2028\ufeff\ufffe\ue000é“"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_NASTY), max_size=40))
def test_collapse_checked_is_squeeze_of_clean(text: str) -> None:
    collapsed, changed = collapse_checked(text)
    assert collapsed == squeeze(clean(text))
    assert changed == (clean(text) != text)


_TAGS = ["p", "div", "span", "a", "h1", "h2", "ul", "li", "table", "td", "script", "time"]
_fragment = st.recursive(
    st.text(max_size=30),
    lambda children: st.builds(
        lambda tag, attrs, inner: f"<{tag} {attrs}>{''.join(inner)}</{tag}>",
        st.sampled_from(_TAGS),
        st.sampled_from(
            [
                "",
                'class="author"',
                'class="date"',
                'href="//x"',
                'datetime="2020-13-45"',
                'dir="rtl"',
                'itemprop="articleBody"',
                'class="comments"',
                "hidden",
            ]
        ),
        st.lists(children, max_size=4),
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.lists(_fragment, max_size=6),
    head=st.sampled_from(
        [
            "",
            '<script type="application/ld+json">{"@type":"Article","author":[null,{}],'
            '"datePublished":"-0001-11-30"}</script>',
            '<script type="application/ld+json">{broken</script>',
            '<meta property="article:published_time" content="۱۳۹۹/۰۲/۲۱">',
            "<title>Just a moment...</title>",
        ]
    ),
    as_bytes=st.booleans(),
)
def test_random_fragments_never_raise(body: list[str], head: str, as_bytes: bool) -> None:
    page = f"<html><head>{head}</head><body>{''.join(body)}</body></html>"
    # the unguarded cascade itself must not raise (extract() adds a last-resort guard)
    run(page, "https://e.org/x", None, language="en", timezone="Asia/Tehran", now=NOW)
    a = extract(
        page.encode("utf-8", "surrogatepass") if as_bytes else page, "https://e.org/x", now=NOW
    )
    assert isinstance(a, Article)
    _assert_clean(a)
