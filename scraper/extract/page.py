"""From the page's text to its parsed tree: cleaned, checked for a challenge page, parsed, and
with a ``<noscript>`` fallback that holds the article unwrapped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

from scraper.extract.blocked import page_is_blocked
from scraper.extract.text import clean_utf8, decode

__all__ = ["Page", "load"]

_NOSCRIPT_OPEN = re.compile(r"<noscript\b[^>]*>", re.I)
_NOSCRIPT_CLOSE = re.compile(r"</noscript\s*>", re.I)
_NOSCRIPT_PAGE = 2000
_MAX_CHARS = 20_000_000


@dataclass(slots=True)
class Page:
    """The cleaned page's text, its UTF-8 bytes when known, and its tree."""

    text: str
    utf8: bytes | None  # (the parser is given these: it would encode the text again)
    tree: LexborHTMLParser

    def parse_again(self) -> LexborHTMLParser:
        """A fresh tree of the same text."""
        return LexborHTMLParser(self.utf8 if self.utf8 is not None else self.text)


def load(html: str | bytes) -> Page | None:
    """The page ready for extraction, or None for a challenge page."""
    text = decode(html) if isinstance(html, bytes | bytearray) else html
    text, utf8 = clean_utf8(text[:_MAX_CHARS])
    if page_is_blocked(text, utf8):
        return None
    tree = LexborHTMLParser(utf8 if utf8 is not None else text)
    # (an ASCII string is in the text exactly when its bytes are in the UTF-8, searched faster)
    has_noscript = b"<noscript" in utf8 if utf8 is not None else "<noscript" in text
    unwrapped = _unwrap_noscript(text, tree) if has_noscript else None
    if unwrapped is not None:
        text, utf8 = unwrapped, None
        tree = LexborHTMLParser(text)
    return Page(text, utf8, tree)


def _unwrap_noscript(text: str, tree: LexborHTMLParser) -> str | None:
    """The page with its fallback ``<noscript>`` unwrapped, or None when it has none.

    The parser keeps a noscript's content as raw markup, so an article that a script would
    render and that the page also gives in a ``<noscript>`` (or a page wrapped whole in one)
    would be lost with it. A big noscript that is all its parent shows is that fallback.
    """
    for i, box in enumerate(tree.css("noscript")):
        raw = box.text(deep=True)
        parent = box.parent
        if len(raw) < _NOSCRIPT_PAGE or parent is None:
            continue
        around = sum(
            len((child.text(deep=True) or "").strip())
            for child in parent.iter(include_text=True)
            if child.tag not in {"script", "style", "template", "noscript"}
        )
        if around > 100:
            continue
        inner = LexborHTMLParser(raw).body
        if inner is None or len(inner.text(deep=True, separator=" ", strip=True)) < 500:
            continue
        tags = list(_NOSCRIPT_OPEN.finditer(text))
        if i >= len(tags):
            return None
        opening = tags[i]
        closing = _NOSCRIPT_CLOSE.search(text, opening.end())
        if closing is None:
            return text[: opening.start()] + text[opening.end() :]
        return (
            text[: opening.start()] + text[opening.end() : closing.start()] + text[closing.end() :]
        )
    return None
