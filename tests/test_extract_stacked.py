"""Stacked stories (scraper.extract.stacked) and the body vote they correct; hand-written pages
shaped like an "infinite scroll" news page (the requested story, then the next ones)."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.extract import extract
from scraper.extract.blocks import walk
from scraper.extract.stacked import headline_article, other_article

TITLE = "Vehicles blessed on Saturday in the capital"
SHORT = (
    "<p>Drivers of every kind of vehicle are invited to the yearly blessing on Saturday, "
    "from six in the morning until nine in the evening, on the main avenue.</p>"
    "<p>The friars said that the blessing is also a reminder to drive with care, and "
    "that volunteers will hand out leaflets.</p>"
)
LONG = "<p>" + "The next story goes on at length, with commas, and with many words. " * 6
LONG += "</p>"


def _page(*, wrapper: bool, teaser: bool) -> str:
    first = f"<article id='s1'><header><h1>{TITLE}</h1></header><div class='text'>{SHORT}</div>"
    first += "</article>"
    second = "<article id='s2'><header><h1>Another story entirely, told at length</h1>"
    second += f"</header><div class='text'>{LONG * 8}</div></article>"
    side = f"<aside><article id='t1'><h3>{TITLE}</h3></article></aside>" if teaser else ""
    stories = first + second
    if wrapper:
        stories = f"<article id='wrap'>{stories}</article>"
    return f"<html><head><title>{TITLE}</title></head><body>{stories}{side}</body></html>"


def _tree(page: str) -> LexborHTMLParser:
    return LexborHTMLParser(page)


def _story(page: str, title: str | None = TITLE) -> LexborNode | None:
    """headline_article on ``page``, given the walk's headline block as the cascade does."""
    tree = _tree(page)
    assert tree.body is not None
    blocks = walk(tree.body, None, skip_navigation=True)
    heads = [b for b in blocks if b.kind == "h1" and b.text == title]
    return headline_article(tree, heads[0] if heads else None, title)


def _id(node: LexborNode | None) -> str | None:
    return None if node is None else node.attributes.get("id")


def test_the_story_whose_headline_is_the_title() -> None:
    for wrapper in (False, True):
        for teaser in (False, True):
            page = _page(wrapper=wrapper, teaser=teaser)
            assert _id(_story(page)) == "s1", (wrapper, teaser)


def test_no_story_when_the_headline_is_in_no_article_or_names_two() -> None:
    loose = f"<html><body><h1>{TITLE}</h1><article><h2>Other</h2>{SHORT}</article></body></html>"
    assert _story(loose) is None
    page = _page(wrapper=False, teaser=False)
    assert _story(page, "A headline no story on the page has") is None
    assert _story(page, None) is None
    # two stories with the same <h1>: nothing says which one
    twice = page.replace("Another story entirely, told at length", TITLE)
    assert _story(twice) is None


def test_other_article() -> None:
    page = _page(wrapper=True, teaser=False)
    tree = _tree(page)
    wanted = tree.css_first("#s1")
    assert wanted is not None
    inside, other = tree.css_first("#s1 .text"), tree.css_first("#s2 .text")
    wrap = tree.css_first("#wrap")
    assert not other_article(inside, wanted)
    assert other_article(other, wanted)
    assert not other_article(wrap, wanted)  # around the story: not another one
    assert not other_article(None, wanted)
    loose = _tree(f"<html><body><div id='x'>{SHORT}</div><article id='s1'></article></body></html>")
    x, s1 = loose.css_first("#x"), loose.css_first("#s1")
    assert x is not None and s1 is not None
    assert not other_article(x, s1)  # in no <article>: nothing says it is another story


def test_the_body_is_the_requested_story_not_the_longer_next_one() -> None:
    for wrapper in (False, True):
        a = extract(_page(wrapper=wrapper, teaser=True), None)
        assert a.title == TITLE
        assert a.body_text.startswith("Drivers of every kind"), wrapper
        assert "The next story goes on" not in a.body_text


def test_a_single_long_article_is_untouched() -> None:
    page = f"<html><head><title>{TITLE}</title></head><body><article><h1>{TITLE}</h1>"
    page += f"<div class='text'>{LONG * 6}</div></article><article><h2>Teaser</h2>"
    page += "<p>Short teaser text.</p></article></body></html>"
    a = extract(page, None)
    assert a.body_text.startswith("The next story goes on")
