"""Blocks to HTML and text (scraper.extract.render)."""

from __future__ import annotations

from scraper.extract.blocks import Block
from scraper.extract.render import first_sentences, render_html, render_text


def test_render_groups_lists_and_quotes() -> None:
    blocks = [
        Block(kind="h1", text="T", html="T"),
        Block(kind="p", text="a", html="a"),
        Block(kind="li", text="x", html="x", list_id=1, ordered=True),
        Block(kind="li", text="y", html="y", list_id=1, ordered=True),
        Block(kind="p", text="q", html="q", quote=True),
        Block(kind="img", text="", html='<img src="i" alt="">'),
        Block(kind="h4", text="h", html="h"),
    ]
    assert render_html(blocks) == (
        "<h2>T</h2>\n<p>a</p>\n<ol>\n<li>x</li>\n<li>y</li>\n</ol>\n<blockquote>\n<p>q</p>\n"
        '</blockquote>\n<figure><img src="i" alt=""></figure>\n<h4>h</h4>'
    )
    assert render_text(blocks) == "T\n\na\n\nx\n\ny\n\nq\n\nh"


def test_first_sentences() -> None:
    text = "One is a sentence. Two is one too! Three ends here? Four is dropped."
    assert first_sentences([Block(kind="p", text=text, html=text)]) == (
        "One is a sentence. Two is one too! Three ends here?"
    )
    assert first_sentences([]) == ""
