"""Author bios at the end of an article: "About Jane Doe" boxes and "Jane Doe is a senior fellow
at ..." paragraphs, which pruning by class missed because the page gave them none.

Only the last blocks are read. A bio paragraph is dropped when it opens with a person's name and
a linking verb ("is", "ist", "est"...), names a role in its first sentence, and the person is one
of the article's authors or is not mentioned anywhere else in the body (an article that ends on
a paragraph about someone it discussed keeps it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from scraper.extract.blockdata import Block
from scraper.extract.text import normalize_words

__all__ = ["drop_bios"]

_TAIL = 6  # the blocks at the end that may be a bio box
_BIO_MAX = 700  # characters: a bio is a paragraph, not a chapter
_BOX_FOLLOWERS = 3  # the blocks after an "About <author>" heading that are its box

_ABOUT = re.compile(
    r"^(?:über|about|à propos de|acerca de|sobre|o autorze|об авторе)\s*:?\s*(?P<who>.{0,80}?)"
    r"[:.]?$",
    re.I,
)
_THE_AUTHOR = re.compile(
    r"^(?:the\s+authors?|(?:den|die)\s+autor(?:in|en)?|l['’]auteur(?:e|s)?|el\s+autor|la\s+autora"
    r"|los\s+autores)$",
    re.I,
)
_NAME_IS = re.compile(
    r"^(?:(?:dr|prof|mr|ms|mrs)\.?\s+)*"
    r"(?P<name>[^\W\d_][\w'’.-]+(?:\s+[^\W\d_][\w'’.-]+){1,3}?)"
    r"\s+(?:is|was|ist|war|est|es|serves\s+as|works\s+as|arbeitet\s+als)\s",
)
_ROLE = re.compile(
    r"\b(?:fellow|director|president|professor|editor|correspondent|reporter|chair|founder"
    r"|co-founder|analyst|researcher|associate|lecturer|consultant|journalist|author|writer"
    r"|scholar|economist|head|partner|ceo|manager|senior|gründer\w*|leiter\w*|direktor\w*"
    r"|professor\w*|journalist\w*|autor\w*|redakteur\w*|chercheu\w+|directeur\w*"
    r"|investigador\w*|periodista)\b",
    re.I,
)


def _capitalised(name: str) -> bool:
    return all(part[0].isupper() for part in name.split())


def _about_box(blocks: list[Block], keys: set[str]) -> int | None:
    """The index of an "About <author>" / "About the author" heading among the last blocks."""
    for i in range(max(0, len(blocks) - _TAIL), len(blocks)):
        text = blocks[i].text.strip()
        if not text or len(text) > 100:
            continue
        m = _ABOUT.match(text)
        if m is None:
            continue
        who = m.group("who").strip()
        if _THE_AUTHOR.match(who) or (who and normalize_words(who) in keys):
            return i
    return None


def _is_bio(text: str, keys: set[str], elsewhere: Callable[[], str]) -> bool:
    if len(text) > _BIO_MAX:
        return False
    m = _NAME_IS.match(text)
    if m is None:
        return False
    name = m.group("name")
    if not _capitalised(name):
        return False
    first_sentence = text.split(". ", 1)[0]
    if not _ROLE.search(first_sentence):
        return False
    key = normalize_words(name)
    if key in keys:
        return True
    surname = key.rsplit(" ", 1)[-1]
    return len(surname) >= 3 and f" {surname} " not in elsewhere()


def drop_bios(blocks: list[Block], authors: Sequence[str]) -> list[Block]:
    """``blocks`` without an author-bio box or paragraph at their end."""
    if len(blocks) < 3:
        return blocks
    keys = {normalize_words(a) for a in authors if a}
    keys.discard("")
    at = _about_box(blocks, keys)
    if at is not None and at > 0:
        end = at + 1
        while (
            end < len(blocks) and end <= at + _BOX_FOLLOWERS and len(blocks[end].text) <= _BIO_MAX
        ):
            end += 1
        blocks = blocks[:at] + blocks[end:]
    text_at = [i for i, b in enumerate(blocks) if b.text]
    if len(text_at) < 3:
        return blocks
    drop: set[int] = set()
    for i in text_at[-2:]:

        def elsewhere(i: int = i) -> str:  # (the other blocks' words, read only when needed)
            rest = " ".join(normalize_words(blocks[j].text) for j in text_at if j != i)
            return f" {rest} "

        if _is_bio(blocks[i].text.strip(), keys, elsewhere):
            drop.add(i)
    if not drop:
        return blocks
    return [b for i, b in enumerate(blocks) if i not in drop]
