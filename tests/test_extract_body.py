"""Article container choice (scraper.extract.body); hand-written pages."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from scraper.extract.blocks import Block, walk
from scraper.extract.body import drop_dangling_tail, find_body, scattered_paragraphs
from scraper.extract.boilerplate import prune

P = "<p>" + "A sentence of the article, with commas, and with enough words to count. " * 3 + "</p>"


def _body(html: str) -> list[str]:
    tree = LexborHTMLParser(html)
    prune(tree)
    return [b.text for b in find_body(tree, "https://e.org/").blocks]


def test_picks_the_text_dense_container() -> None:
    texts = _body(
        f"""<div class="menu"><a href="/1">Home</a> <a href="/2">World</a></div>
        <div id="story">{P}{P}{P}</div><div class="sidebar"><p>Short teaser</p></div>"""
    )
    assert len(texts) == 3 and all(t.startswith("A sentence") for t in texts)


def test_article_split_over_sibling_sections_is_joined() -> None:
    texts = _body(
        f"""<div class="content"><section class="part">{P}{P}</section>
        <section class="part"><h2>Second part</h2>{P}{P}</section>
        <section class="part">{P}{P}</section></div><footer>{P}</footer>"""
    )
    assert "Second part" in texts and len([t for t in texts if t.startswith("A sentence")]) == 6


def test_link_lists_inside_the_article_are_dropped() -> None:
    links = "".join(f'<li><a href="/{i}">Related story number {i}</a></li>' for i in range(6))
    texts = _body(f"<article>{P}{P}<ul>{links}</ul>{P}</article>")
    assert not any(t.startswith("Related story") for t in texts)
    assert len(texts) == 3


def test_a_list_is_not_the_container() -> None:
    items = "".join(
        f"<li>{'A long comment from a reader, with commas, about the piece. ' * 2}</li>"
        for _ in range(8)
    )
    texts = _body(f"<div><ul class='x'>{items}</ul><h3>Heading in the same column</h3></div>")
    assert "Heading in the same column" in texts


def test_a_dangling_heading_or_colon_line_at_the_end_is_dropped() -> None:
    # hand-written: the article ends with the heading of a pruned "related" box and a
    # "Themen:" line whose tag links are gone
    tree = LexborHTMLParser(
        f"<article><h2>First part</h2>{P}{P}<h2>Zum Weiterlesen</h2><p>Themen:</p></article>"
    )
    blocks = find_body(tree, None).blocks
    assert [b.text for b in blocks][-2:] == ["Zum Weiterlesen", "Themen:"]
    kept = [b.text for b in drop_dangling_tail(blocks)]
    assert kept[0] == "First part" and kept[-1].startswith("A sentence") and len(kept) == 3


def test_a_closing_pull_quote_heading_is_kept() -> None:
    # hand-written: a heading that is a sentence is text, not a section title
    blocks = [Block("p", P, P, node_id=1), Block("h3", "It was a dark night.", "", node_id=2)]
    assert len(drop_dangling_tail(blocks)) == 2


def test_an_embedded_gallery_does_not_outscore_the_article() -> None:
    # hand-written: a 20-slide picture gallery with long captions inside the article's box
    slide = "<li><h2>Slide</h2><p>" + "A caption, long enough, with commas, and words. " * 6
    gallery = '<div class="type-gallery"><div class="scroller"><ul>' + (slide + "</p></li>") * 20
    story = "<p>" + "The story itself goes on, with commas, and with words. " * 4 + "</p>"
    tree = LexborHTMLParser(
        f'<article><div class="text-wrapper">{story}{gallery}</ul></div></div>{story}{story}'
        "</div></article>"
    )
    walked = walk(tree.body, None)
    texts = [b.text for b in find_body(tree, None, walked=walked).blocks]
    assert len(texts) == 3 and all(t.startswith("The story itself") for t in texts)


def test_scattered_paragraphs_gather_an_article_split_over_small_boxes() -> None:
    # hand-written: a landing page whose text sits in one small section per paragraph
    para = "Each section says one thing, in one sentence that is long enough to count here."
    sections = "".join(
        f'<div class="section"><div class="box"><h3>Part {i}</h3><p>{para}</p></div></div>'
        for i in range(4)
    )
    tree = LexborHTMLParser(
        f'<h1>Title</h1>{sections}<div class="footer"><a href="/a">Imprint</a></div>'
    )
    walked = walk(tree.body, None)
    prune(tree)
    got = [b.text for b in scattered_paragraphs(tree, walked, 0)]
    assert got.count(para) == 4 and "Part 0" in got and "Imprint" not in got


def test_linked_names_in_a_table_of_the_article_are_kept() -> None:
    # hand-written: an ingredients table whose product names link to the shop
    rows = "".join(
        f'<tr><td>{n} g</td><td><a href="/p/{n}">Vanilla sugar brand {n}</a></td></tr>'
        for n in range(1, 5)
    )
    tree = LexborHTMLParser(f'<article>{P}{P}<table class="ingredients">{rows}</table></article>')
    walked = walk(tree.body, None)
    texts = [b.text for b in find_body(tree, None, walked=walked).blocks]
    assert "Vanilla sugar brand 3" in texts
