"""DOM to blocks (scraper.extract.blocks); hand-written HTML."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from scraper.extract.blocks import walk


def _walk(html: str, base: str | None = "https://e.org/a/") -> list[tuple[str, str, str]]:
    tree = LexborHTMLParser(html)
    assert tree.body is not None
    return [(b.kind, b.text, b.html) for b in walk(tree.body, base)]


def test_inline_markup_and_links() -> None:
    got = _walk('<p>See <a href="/x" onclick="y()">this <i>page</i></a> <span>now</span></p>')
    assert got == [
        ("p", "See this page now", 'See <a href="https://e.org/x">this <em>page</em></a> now')
    ]


def test_lists_quotes_headings_images() -> None:
    tree = LexborHTMLParser(
        "<h3>Head</h3><ol><li>one</li><li>two</li></ol><blockquote><p>quoted</p></blockquote>"
        '<img src="i.png" alt="Alt"><script>x()</script><div hidden>secret</div>'
    )
    assert tree.body is not None
    blocks = walk(tree.body, "https://e.org/a/")
    assert [b.kind for b in blocks] == ["h3", "li", "li", "p", "img"]
    assert blocks[1].ordered and blocks[1].list_id == blocks[2].list_id
    assert blocks[3].quote
    assert blocks[4].extra["src"] == "https://e.org/a/i.png"
    assert all("secret" not in b.text and "x()" not in b.text for b in blocks)


def test_br_lines_and_paragraphs() -> None:
    flat = _walk("<div>Line one<br>Line two<br><br>Para three</div>")
    assert [t for _, t, _ in flat] == ["Line one", "Line two", "Para three"]
    inside_p = _walk("<p>Roses are red<br>violets are blue</p>")
    assert [t for _, t, _ in inside_p] == ["Roses are red violets are blue"]
    assert "<br>" in inside_p[0][2]


def test_link_density_and_hints() -> None:
    tree = LexborHTMLParser('<div class="byline"><a href="/a">Ann Lee</a></div><p>plain</p>')
    assert tree.body is not None
    first, second = walk(tree.body)
    assert first.link_density == 1.0 and "byline" in first.hints
    assert second.link_density == 0.0


def test_ten_thousand_levels() -> None:
    html = "<div>" * 10_000 + "deep" + "</div>" * 10_000
    assert [t for _, t, _ in _walk(html)] == ["deep"]


def test_navigation_left_out_when_asked() -> None:
    tree = LexborHTMLParser(
        "<nav><p>Home</p></nav><div role=navigation><p>Topics</p></div>"
        "<div role=Navigation><p>Kept: role values compare exactly</p></div>"
        "<div role=main><p>Story</p></div>"
    )
    assert tree.body is not None
    everything = [b.text for b in walk(tree.body)]
    assert everything == ["Home", "Topics", "Kept: role values compare exactly", "Story"]
    walked = [b.text for b in walk(tree.body, skip_navigation=True)]
    assert walked == ["Kept: role values compare exactly", "Story"]
    # the same elements as the CSS query the walk replaces
    queried = {n.text(deep=True) for n in tree.css("nav, [role=navigation]")}
    assert queried == {"Home", "Topics"}


def test_inside_reads_the_ancestors_the_walk_saw() -> None:
    tree = LexborHTMLParser(
        "<main><article><header><h1>Story</h1></header><p>Text of it.</p></article>"
        "<p>Outside.</p></main>"
    )
    assert tree.body is not None
    blocks = walk(tree.body, None)
    by_text = {b.text: b for b in blocks}
    assert by_text["Story"].inside("article") and by_text["Story"].inside("header")
    assert by_text["Text of it."].inside("article") and not by_text["Text of it."].inside("header")
    assert not by_text["Outside."].inside("article") and by_text["Outside."].inside("main")
    assert by_text["Outside."].inside("p")  # the element itself counts
