"""Blocks to the two body forms: a clean HTML fragment and plain text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from scraper.extract.blocks import Block

__all__ = ["first_sentences", "render_html", "render_text"]

_SENTENCE = re.compile(r"(?<=[.!?؟。])\s+(?=[\"'“«(\[]?[A-ZА-ЯÀ-Ý\u0600-\u06FF0-9])")


def render_text(blocks: Sequence[Block]) -> str:
    """Paragraphs separated by blank lines."""
    return "\n\n".join(b.text for b in blocks if b.text)


def render_html(blocks: Sequence[Block]) -> str:
    """``<p>``, ``<h2>``-``<h6>``, ``<ul>/<ol><li>``, ``<blockquote>``, ``<pre>``, ``<figure>``."""
    out: list[str] = []
    open_list: tuple[int, str] | None = None
    in_quote = False
    for b in blocks:
        if open_list is not None and (b.kind != "li" or b.list_id != open_list[0]):
            out.append(f"</{open_list[1]}>")
            open_list = None
        if in_quote and not b.quote:
            out.append("</blockquote>")
            in_quote = False
        if b.quote and not in_quote:
            out.append("<blockquote>")
            in_quote = True
        if b.kind == "img":
            out.append(f"<figure>{b.html}</figure>")
        elif b.kind == "li":
            if open_list is None:
                tag = "ol" if b.ordered else "ul"
                out.append(f"<{tag}>")
                open_list = (b.list_id or 0, tag)
            out.append(f"<li>{b.html}</li>")
        elif b.kind in {"h1", "h2"}:
            out.append(f"<h2>{b.html}</h2>")
        elif b.kind in {"h3", "h4", "h5", "h6"}:
            out.append(f"<{b.kind}>{b.html}</{b.kind}>")
        elif b.kind == "pre":
            out.append(f"<pre>{b.html}</pre>")
        else:
            out.append(f"<p>{b.html}</p>")
    if open_list is not None:
        out.append(f"</{open_list[1]}>")
    if in_quote:
        out.append("</blockquote>")
    return "\n".join(out)


def first_sentences(blocks: Sequence[Block], count: int = 3, limit: int = 500) -> str:
    """The opening sentences of the first real paragraph(s), at most ``limit`` characters."""
    text = " ".join(b.text for b in blocks if b.kind == "p" and len(b.text) >= 40)[:4000]
    if not text:
        return ""
    sentences = _SENTENCE.split(text)
    out = ""
    for s in sentences[:count]:
        if out and len(out) + len(s) + 1 > limit:
            break
        out = f"{out} {s}".strip()
    return out[:limit].strip()
