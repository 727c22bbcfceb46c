"""<meta>/<link>/<time> reading (scraper.extract.meta); hand-written pages."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from scraper.extract.meta import PUBLISHED_KEYS, read_meta


def test_read_meta() -> None:
    tree = LexborHTMLParser(
        """<html lang="de"><head><title> Page  title </title>
        <meta property="og:title" content="OG"><meta name="citation_author" content="A, B">
        <meta name="citation_author" content="C D"><meta name="DC.date" content="2020-01-02">
        <link rel="canonical" href="/c"></head><body>
        <svg><title>Bluesky</title></svg><time datetime="2020-01-03">Jan 3</time>
        <span itemprop="datePublished" content="2020-01-04"></span>
        <a rel="author" href="/u">Ann Lee</a><div class="comments"><a rel="author">Troll</a></div>
        <span class="date" title="2020-01-05">yesterday</span></body></html>"""
    )
    m = read_meta(tree)
    assert m.title_tag == "Page title"
    assert m.first(("og:title",)) == ("og:title", "OG")
    assert m.all("citation_author") == ["A, B", "C D"]
    assert m.first(PUBLISHED_KEYS) == ("datepublished", "2020-01-04")
    assert m.all("dc.date") == ["2020-01-02"]
    assert m.canonical == "/c" and m.lang == "de"
    assert m.time_datetimes == ["2020-01-03"]
    assert m.rel_authors == ["Ann Lee"]
    assert m.date_titles == ["2020-01-05"]


def test_title_inside_svg_is_not_the_page_title() -> None:
    assert (
        read_meta(LexborHTMLParser("<body><svg><title>Icon</title></svg></body>")).title_tag is None
    )


def test_date_titles_and_rel_authors_as_their_selectors_find_them() -> None:
    # one entry per selector an element matches (as a query with the selector list gives it);
    # without a doctype (quirks mode) class selectors ignore case
    body = (
        "<abbr class=PUBLISHED title='2020-01-02'>x</abbr>"
        "<abbr class='published x' title='2020-01-03'>y</abbr>"
        "<p class='xpublishedupdated' title='2020 1' data-published='2020-01-04'>z</p>"
        "<a rel='nofollow Author' href=x>Jane Doe</a><a rel='authors'>No One</a>"
    )
    quirks = read_meta(LexborHTMLParser(body))
    standard = read_meta(LexborHTMLParser("<!DOCTYPE html>" + body))
    assert quirks.date_titles == ["2020-01-02"] * 2 + ["2020-01-03"] * 2 + ["2020-01-04"] * 4
    assert standard.date_titles == ["2020-01-02"] + ["2020-01-03"] * 2 + ["2020-01-04"] * 4
    assert quirks.rel_authors == standard.rel_authors == ["Jane Doe"]
