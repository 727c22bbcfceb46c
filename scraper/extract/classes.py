"""Class and id words: what an element's ``class``/``id`` say about it (furniture or content).

Each whitespace-separated token of a ``class``/``id`` value is matched against word lists
(``comments``, ``share``, ``related``... are furniture; ``article``, ``content``, ``post``...
are content), a word counting when ``-``/``_`` or the token's ends delimit it. Verdicts are
cached per value and per token: pages repeat the same values hundreds of times.
"""

from __future__ import annotations

import re
from functools import lru_cache

from selectolax.lexbor import LexborNode

__all__ = [
    "NEG",
    "NEGATIVE",
    "POS",
    "POSITIVE",
    "STRONG",
    "attribute_marks",
    "is_furniture",
    "marks",
]

# class/id words of furniture (matched against each class/id token)
NEGATIVE = re.compile(
    r"(?:^|[-_])(?:comments?|commentlist|respond|reply|share|sharing|sharer|social|socials"
    r"|related|relatedposts|recommend(?:ed|ations)?|more-?stories|read-?more|readmore"
    r"|newsletter|subscribe|subscription|signup|sign-?up|promo|promotion|advert\w*|ads?|adv"
    r"|sponsor\w*|banner|cookies?|consent|gdpr|popup|modal|overlay|breadcrumbs?|pagination"
    r"|pager|sidebar|widget|menu|navbar|nav|navigation|footer|masthead|skip|toolbar|tags?"
    r"|tag-?list|taxonomy|bio|author-?bio|about-?(?:the-?)?author|author-?box|author-?info"
    r"|disclaimer|most-?(?:popular|read|viewed)|popular|trending|outbrain|taboola|rating"
    r"|view-?count|counter|hit-?count|print|email-?this|follow|donate|login|search"
    r"|header|site-?header|topbar|teaser|cta|card-?list|listing|carousel|slider|more-?from"
    r"|further-?reading|see-?also|also-?read|next-?article|prev-?article|post-?nav"
    r"|shoutbox|feedback|survey|byline|meta|metadata|dateline|caption-?credit)(?:$|[-_])",
    re.I,
)
POSITIVE = re.compile(
    r"(?:^|[-_])(?:article|articles|content|entry|post|story|body|main|text|blog|prose"
    r"|rich-?text|field-?body|news-?body|page-?content|single)(?:$|[-_])",
    re.I,
)
_STRONG_NEGATIVE = re.compile(
    r"(?:^|[-_])(?:comments?|commentlist|respond|share|sharing|social|related|relatedposts"
    r"|recommend(?:ed|ations)?|newsletter|subscribe|signup|cookies?|consent|breadcrumbs?"
    r"|author-?bio|about-?(?:the-?)?author|author-?box|outbrain|taboola|most-?popular"
    r"|more-?stories|further-?reading|see-?also|also-?read)(?:$|[-_])",
    re.I,
)


# page builders name every box "...-widget-..." or "...-module-...": not furniture by itself
_BUILDER = re.compile(r"^(?:elementor|et_pb|et-|vc_|wpb_|wp-block|fl-|brxe|kb-|uagb|gb-)", re.I)

NEG, POS, STRONG = 1, 2, 4  # flags: a negative word, a positive one, a strongly negative one

_OPEN, _CLOSE = "(?:^|[-_])(?:", ")(?:$|[-_])"
_OPEN_VALUE, _CLOSE_VALUE = "(?:^|[-_\\s])(?:", ")(?:$|[-_\\s])"  # whitespace delimits too


def _words(pattern: re.Pattern[str]) -> str:
    """The alternation of words of one of the patterns above."""
    return pattern.pattern.removeprefix(_OPEN).removesuffix(_CLOSE)


def _by_first_letter(words: str) -> str:
    """``words`` (an alternation) regrouped by first letter: ``c(?:omments?|ookies?)|s(?:...``.

    At each position the engine then tries one group per letter instead of every word (it
    skips an alternative whose first literal differs); words of different first letters cannot
    match at the same position, so what matches is unchanged.
    """
    alternatives: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(words):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            alternatives.append(words[start:i])
            start = i + 1
    alternatives.append(words[start:])
    groups: dict[str, list[str]] = {}
    for alt in alternatives:
        if not alt[:1].isalpha():
            return words  # (every word list here starts each word with a letter)
        groups.setdefault(alt[0], []).append(alt[1:])
    return "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items())


# NEGATIVE or POSITIVE in one search (_STRONG_NEGATIVE's words are all NEGATIVE words): most
# tokens match neither and need no further search
_ANY_WORDS = _words(NEGATIVE) + "|" + _words(POSITIVE)
_ANY_MARK = re.compile(_OPEN + _ANY_WORDS + _CLOSE, re.I)

# the same on a whole class/id value, tokens delimited by whitespace too: no match, no token
# can match either
_ANY_MARK_IN_VALUE = re.compile(
    _ANY_MARK.pattern.replace("(?:^|[-_])", "(?:^|[-_\\s])").replace("(?:$|[-_])", "(?:$|[-_\\s])"),
    re.I,
)


def _lower(pattern: str) -> re.Pattern[str]:
    """A pattern of lower-case words, grouped by first letter, for lower-cased ASCII text.

    Without a character that ``re.I`` equates with an ASCII letter (İ ı ſ K), searching
    the lower-cased text case-sensitively finds what the ``re.I`` pattern finds in the text,
    several times faster (the engine's quick first-letter test works only without ``re.I``).
    """
    for open_, close in ((_OPEN, _CLOSE), (_OPEN_VALUE, _CLOSE_VALUE)):
        if pattern.startswith(open_) and pattern.endswith(close):
            return re.compile(open_ + _by_first_letter(pattern[len(open_) : -len(close)]) + close)
    return re.compile(pattern)


_ASCII_VALUE = _lower(_ANY_MARK_IN_VALUE.pattern)
_ASCII_ANY = _lower(_ANY_MARK.pattern)
_ASCII_NEGATIVE = _lower(NEGATIVE.pattern)
_ASCII_POSITIVE = _lower(POSITIVE.pattern)
_ASCII_STRONG = _lower(_STRONG_NEGATIVE.pattern)
_ASCII_BUILDER = re.compile(_BUILDER.pattern)


def _judge(
    tok: str,
    any_mark: re.Pattern[str],
    builder: re.Pattern[str],
    negative: re.Pattern[str],
    positive: re.Pattern[str],
    strong: re.Pattern[str],
) -> tuple[int, int]:
    if any_mark.search(tok) is None or builder.match(tok):
        return 0, 0
    flags = 0
    weight = 0
    if negative.search(tok):
        flags |= NEG
        weight -= 25
    if positive.search(tok):
        flags |= POS
        weight += 25
    if strong.search(tok):
        flags |= STRONG
    return flags, weight


@lru_cache(maxsize=16384)
def _token_marks(tok: str) -> tuple[int, int]:
    """(flags, class weight) of one class/id token."""
    return _judge(tok, _ANY_MARK, _BUILDER, NEGATIVE, POSITIVE, _STRONG_NEGATIVE)


@lru_cache(maxsize=16384)
def _ascii_token_marks(tok: str) -> tuple[int, int]:
    """:func:`_token_marks` of a lower-cased ASCII token (the same verdict, found faster)."""
    return _judge(tok, _ASCII_ANY, _ASCII_BUILDER, _ASCII_NEGATIVE, _ASCII_POSITIVE, _ASCII_STRONG)


@lru_cache(maxsize=8192)
def _value_marks(value: str) -> tuple[int, int]:
    """(OR of the flags, class weight) of one class/id value."""
    if value.isascii():  # the usual case: lower-case it and search case-sensitively (faster)
        value = value.lower()
        if _ASCII_VALUE.search(value) is None:
            return 0, 0
        judge = _ascii_token_marks
    else:
        if _ANY_MARK_IN_VALUE.search(value) is None:
            return 0, 0
        judge = _token_marks
    flags = 0
    weight = 0
    for tok in value.split():
        f, w = judge(tok)
        flags |= f
        weight += w
    return flags, weight


def marks(node: LexborNode) -> tuple[int, int]:
    """(flags, class weight) of an element's ``class`` and ``id``."""
    return attribute_marks(node.attributes)


def attribute_marks(attrs: dict[str, str | None]) -> tuple[int, int]:
    """:func:`marks` of an element's attributes."""
    # (the class's marks combined with the id's, unrolled: it runs for every classed element)
    value = attrs.get("class")
    ident = attrs.get("id")
    if value:
        found = _value_marks(value)
        if ident:
            flags, weight = _value_marks(ident)
            return found[0] | flags, found[1] + weight
        return found
    return _value_marks(ident) if ident else (0, 0)


def is_furniture(flags: int) -> bool:
    """Whether the flags of :func:`marks` make an element page furniture."""
    if not flags & NEG:
        return False
    return bool(flags & STRONG) or not flags & POS
