"""The lines around the headline (byline, date line, dek) and the body's final clean-up."""

from __future__ import annotations

import html as html_lib
import re

from scraper.extract.blocks import Block
from scraper.extract.boilerplate import trim_blocks
from scraper.extract.text import collapse, words

__all__ = [
    "DATE_HINT",
    "dek",
    "letters",
    "misses",
    "region",
    "text_blocks",
    "tidy_body",
    "title_index",
    "visible_dates",
]

# (a hint holding one of these words anywhere: each starts and ends with a letter, so the
# surrounding ``\b[\w-]*...[\w-]*\b`` that it once had always found a way to match)
_DEK_HINT = re.compile(
    r"dek|lead|lede|standfirst|summary|excerpt|intro|subtitle|sub-title|subhead"
    r"|teaser|abstract|description|deck|strapline|kicker-text|summary"
)
DATE_HINT = re.compile(r"date|time|publish|posted|dateline|meta|byline|info|details|datum|fecha")
_LETTERS = re.compile(r"[\W_\d]+", re.UNICODE)


_ASCII_NOT_LETTERS = bytes(c for c in range(128) if not chr(c).isalpha())
# UTF-8 of characters _LETTERS removes: U+2000-U+203F (spaces, dashes, quotes...) and those of
# U+00A0-U+00BF that are not letters or numbers (ª ² ³ µ ¹ º ¼ ½ ¾ are kept)
_PUNCTUATION_UTF8 = re.compile(
    rb"\xe2\x80[\x80-\xbf]|\xc2[\xa0-\xa9\xab-\xb1\xb4\xb6-\xb8\xbb\xbf]"
)


def letters(text: str) -> str:
    """The letters of ``text``, case-folded (a comparison key)."""
    if text.isascii():  # (the usual case: the same, several times faster)
        return text.encode("ascii").translate(None, _ASCII_NOT_LETTERS).lower().decode("ascii")
    # every ASCII character but a letter is one _LETTERS removes: those go first, as bytes of
    # the UTF-8 (where a byte below 0x80 is an ASCII character and nothing else), then the
    # usual punctuation (no-break space, quotes, dashes); the regex gets the rest, if any
    folded = text.casefold().encode("utf-8", "surrogatepass").translate(None, _ASCII_NOT_LETTERS)
    if b"\xe2\x80" in folded or b"\xc2" in folded:
        folded = _PUNCTUATION_UTF8.sub(b"", folded)
    rest = folded.decode("utf-8", "surrogatepass")
    return rest if rest.isalpha() else _LETTERS.sub("", rest)


def title_index(blocks: list[Block], title: str | None) -> int | None:
    h1s = [i for i, b in enumerate(blocks) if b.kind == "h1"]
    if title:
        key = letters(title)
        for i, b in enumerate(blocks):
            if b.kind.startswith("h") and key and letters(b.text) == key:
                return i
        for i in h1s:
            k = letters(blocks[i].text)
            if k and (k in key or key in k):
                return i
    return h1s[0] if h1s else None


def region(
    blocks: list[Block], idx: int | None, first_body: int | None
) -> tuple[list[Block], list[Block]]:
    """Lines before and after the headline (byline, date line, dek live there)."""
    if idx is None:
        if first_body is None:
            return [], blocks[:20]
        return blocks[max(0, first_body - 12) : first_body], blocks[first_body : first_body + 2]
    before = blocks[max(0, idx - 4) : idx]
    after: list[Block] = []
    for b in blocks[idx + 1 : idx + 26]:
        if len(b.text) > 600:
            break
        after.append(b)
    return before, after


def visible_dates(before: list[Block], after: list[Block]) -> list[str]:
    """Candidate date lines: date-classed short lines first, then bare short lines (a long
    unclassed line is a sentence of the article, whose dates are events, not publication)."""

    def ordered(blocks: list[Block]) -> list[str]:
        hinted: list[str] = []
        bare: list[str] = []
        for b in blocks:
            if b.text and len(b.text) <= 160 and not b.quote:
                if DATE_HINT.search(b.hints):
                    hinted.append(b.text)
                elif len(b.text) <= 70:
                    bare.append(b.text)
        return hinted + bare

    return ordered(after) + ordered(before)


def dek(after: list[Block], used: set[int]) -> Block | None:
    """The standfirst under the headline: a lead-classed line, or a long line followed by
    the date/byline lines."""
    for b in after[:8]:
        if b.kind == "img" or b.node_id in used:
            continue
        if _DEK_HINT.search(b.hints) and 40 <= len(b.text) <= 800 and b.link_density < 0.3:
            return b
    # a long line right under the headline followed by short meta lines (date, byline)
    for i, b in enumerate(after[:3]):
        if b.kind != "p" or not 60 <= len(b.text) <= 600 or b.link_density > 0.2:
            continue
        rest = [x for x in after[i + 1 : i + 5] if x.text]
        if rest and any(x.node_id in used for x in rest):
            return b
        break
    return None


def misses(reference: str, found: str) -> bool:
    """Whether ``found`` covers less than half of the words of a long ``reference`` text."""
    ref = set(words(reference[:200_000]))
    if len(ref) < 80:
        return False
    got = set(words(found[:400_000]))
    return len(ref & got) / len(ref) < 0.5


def text_blocks(text: str) -> list[Block]:
    """Plain text (paragraphs on their own lines) as paragraph blocks."""
    out: list[Block] = []
    for para in re.split(r"\n\s*\n|\r?\n", html_lib.unescape(text)):
        t = collapse(para)
        if t:
            out.append(Block(kind="p", text=t, html=html_lib.escape(t, quote=False)))
    return out


def tidy_body(
    blocks: list[Block],
    title: str | None,
    authors: tuple[str, ...],
    used: set[int],
    used_texts: set[str],
    lead: Block | None,
) -> list[Block]:
    """Drop the headline, byline/date lines, standing lines and a duplicated lead."""
    title_key = letters(title or "")
    out: list[Block] = []
    for i, b in enumerate(blocks):
        if (b.node_id in used or (i < 12 and b.text in used_texts)) and len(b.text) < 300:
            continue
        if b.kind.startswith("h") and title_key and letters(b.text) == title_key:
            continue
        if i < 8 and b.kind == "h1":
            continue
        out.append(b)
    out = trim_blocks(out, authors)
    # the lead repeated as (the start of) the first paragraph
    dek_key = letters(lead.text) if lead is not None else ""
    keys = [letters(b.text) for b in out]  # each block's letters, computed once
    final: list[Block] = []
    for i, b in enumerate(out):
        key = keys[i]
        if key and i + 1 < len(out) and len(key) >= 40:
            nxt = keys[i + 1]
            if nxt.startswith(key[: int(len(key) * 0.9)]) and len(nxt) > len(key):
                continue
        if (
            dek_key
            and key == dek_key
            and any(dek_key[:200] in k for o, k in zip(out, keys, strict=True) if o is not b)
        ):
            continue
        final.append(b)
    return final
