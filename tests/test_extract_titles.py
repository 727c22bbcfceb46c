"""Headline choice (scraper.extract.titles); hand-written pages."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from scraper.extract.jsonld import read_jsonld
from scraper.extract.meta import read_meta
from scraper.extract.titles import choose_title, strip_site_prefix, title_from_tag
from scraper.models import FieldOrigin


def _choose(html: str) -> tuple[str | None, FieldOrigin]:
    tree = LexborHTMLParser(html)
    return choose_title(None, read_jsonld(tree), read_meta(tree), tree)


def test_strip_site_part_only_when_h1_confirms() -> None:
    assert strip_site_prefix("Headline here | Site", ["Headline here"]) == "Headline here"
    assert strip_site_prefix("Site - Headline here", ["Headline here"]) == "Headline here"
    assert strip_site_prefix("Headline | Site", []) == "Headline | Site"
    assert strip_site_prefix("A &#038; B | S", ["A & B"]) == "A & B"


def test_title_tag_processing() -> None:
    assert title_from_tag("Get your Frontend JavaScript Code Covered | Code | Nicolas", []) == (
        "Get your Frontend JavaScript Code Covered | Code"
    )
    assert title_from_tag("Mozilla - Wikipedia", []) == "Mozilla - Wikipedia"


def test_h1_in_site_header_is_not_the_headline() -> None:
    html = """<html><head><title>Real Story Title Goes Here - Blog</title></head><body>
    <header class="site-header"><h1>Hi, I'm Nicolas.</h1></header>
    <article><h2>Real Story Title Goes Here</h2></article></body></html>"""
    title, origin = _choose(html)
    assert title == "Real Story Title Goes Here" and origin is FieldOrigin.HEURISTIC


def test_inconsistent_jsonld_headline_is_ignored() -> None:
    html = """<html><head><title>List of films featuring time loops - Wikipedia</title>
    <script type="application/ld+json">{"@type": "Article", "headline": "Wikimedia list article"}
    </script></head><body><h1>List of films featuring time loops</h1></body></html>"""
    title, _ = _choose(html)
    assert title == "List of films featuring time loops"


def test_meta_title_and_rules() -> None:
    html = """<html><head><meta property="og:title" content="The Story | Site"></head>
    <body><article><h1>The Story</h1></article></body></html>"""
    assert _choose(html) == ("The Story", FieldOrigin.META)
    tree = LexborHTMLParser(html)
    assert choose_title("Ruled", [], read_meta(tree), tree) == ("Ruled", FieldOrigin.RULES)


def test_a_jsonld_headline_sharing_one_chance_word_with_the_h1_is_not_the_title() -> None:
    # hand-written: an encyclopedia page whose JSON-LD headline is the item's description
    ld = (
        '{"@context": "https://schema.org", "@type": "Article",'
        ' "headline": "matrix equal to its conjugate-transpose", "name": "Hermitian matrix"}'
    )
    got = _choose(
        f'<html><head><script type="application/ld+json">{ld}</script></head>'
        '<body><h1 id="firstHeading">Hermitian matrix</h1><p>Text.</p></body></html>'
    )
    assert got[0] == "Hermitian matrix"


def test_a_kicker_before_a_colon_goes_when_the_h1_is_the_headline_alone() -> None:
    assert strip_site_prefix("Chronik: Lotte Beispiel ist tot", ["Lotte Beispiel ist tot"]) == (
        "Lotte Beispiel ist tot"
    )
    # the <h1> keeps the kicker in an element of its own
    title, origin = _choose(
        '<html><head><meta property="og:title" content="Klimaschutz: Bohren, bis es heiß wird">'
        '</head><body><h1><span class="article-heading__kicker">Klimaschutz</span>'
        '<span class="visually-hidden">: </span><span>Bohren, bis es heiß wird</span></h1>'
        "</body></html>"
    )
    assert (title, origin) == ("Bohren, bis es heiß wird", FieldOrigin.META)


def test_a_colon_title_stays_when_the_h1_says_it_whole() -> None:
    same = "Brexit: Parliament votes again"
    assert strip_site_prefix(same, [same]) == same
    title, _ = _choose(
        f'<html><head><meta property="og:title" content="{same}"></head>'
        f"<body><h1>{same}</h1></body></html>"
    )
    assert title == same
    # nor when the rest would be one word
    assert strip_site_prefix("Interview: Merkel", ["Merkel"]) == "Interview: Merkel"
