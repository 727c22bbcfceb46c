"""The headline: metadata titles checked against the page's ``<title>`` and ``<h1>``.

Metadata titles are kept as the publisher wrote them, except a leading site name
(``Site - Headline``) when the rest is the page's ``<h1>``. A metadata title that shares nothing
with the ``<title>`` or any ``<h1>`` (a JSON-LD ``headline`` that is really a description) is
ignored. Without metadata, the ``<h1>`` outside page furniture wins, else the ``<title>``.
"""

from __future__ import annotations

import html
import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.extract.jsonld import LdArticle
from scraper.extract.meta import TITLE_KEYS, PageMeta
from scraper.extract.text import collapse, words
from scraper.models import FieldOrigin

__all__ = ["choose_title", "strip_site_prefix"]

_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|·|•|::|»|«|/|\\|~)\s+")
_LETTERS = re.compile(r"[\W_]+", re.UNICODE)
# "Klimaschutz: Bohren, bis es heiß wird": a topic word or two before a colon
_KICKER = re.compile(r"^([^:]{2,40}):\s+(.+)$")
_KICKER_CLASS = re.compile(r"kicker|topic|label|overline|dachzeile|roofline|eyebrow", re.I)
_FURNITURE_TAGS = frozenset({"header", "nav", "aside", "footer"})


def _key(text: str) -> str:
    return _LETTERS.sub("", text.casefold())


def _overlap(a: str, b: str) -> float:
    wa, wb = set(words(a)), set(words(b))
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def _shares_headline(a: str, b: str) -> bool:
    """Half the words of the shorter text, and two words when both have two or more.

    One common word is chance ("matrix equal to its conjugate-transpose" vs "Hermitian
    matrix": Wikipedia's JSON-LD ``headline`` is the item's description).
    """
    wa, wb = set(words(a)), set(words(b))
    if not wa or not wb:
        return False
    shared = len(wa & wb)
    return shared / min(len(wa), len(wb)) >= 0.5 and shared >= min(2, len(wa), len(wb))


def strip_site_prefix(title: str, h1s: list[str], kickers: list[str] | None = None) -> str:
    """``Site - Headline`` / ``Headline | Site`` -> ``Headline`` when that is the ``<h1>``;
    ``Kicker: Headline`` -> ``Headline`` when the ``<h1>`` is the headline alone, or holds
    the kicker in an element of its own (``kickers``: those ``<h1>`` texts without it)."""
    t = collapse(html.unescape(title))
    keys = {_key(h): h for h in h1s if _key(h)}
    kicked = {_key(h) for h in kickers or () if _key(h)}
    m = _KICKER.match(t)
    if m and _n_words(m.group(2)) >= 2 and _key(m.group(2)) in (keys.keys() | kicked):
        return m.group(2).strip()
    if _key(t) in keys:
        return t
    for m in _SEPARATORS.finditer(t):
        head, rest = t[: m.start()].strip(), t[m.end() :].strip()
        if rest and _key(rest) in keys:
            return rest
        if head and _key(head) in keys:
            return head
    return t


_SITE_PART = re.compile(r"\s+(?:\||-|–|—|·|•|::|»|«|/|\\|~)\s+|\s*\[")
_TAG_SEP = re.compile(r" [|\-–—\\/>»] ")
_HIERARCHY = re.compile(r" [\\/>»] ")


def _n_words(text: str) -> int:
    return len(text.split())


def title_from_tag(tag: str, headings: list[str]) -> str:
    """A ``<title>`` trimmed of its site part, Readability's way (short results are undone)."""
    cur = tag
    hierarchical = False
    if _TAG_SEP.search(tag):
        hierarchical = _HIERARCHY.search(tag) is not None
        last = list(_TAG_SEP.finditer(tag))[-1]
        cur = tag[: last.start()]
        if _n_words(cur) < 3:
            cur = tag[_TAG_SEP.search(tag).end() :]  # type: ignore[union-attr]
    elif ": " in tag:
        if not any(collapse(h) == tag for h in headings):
            cur = tag[tag.rfind(":") + 1 :]
            if _n_words(cur) < 3:
                cur = tag[tag.find(":") + 1 :]
            elif _n_words(tag[: tag.find(":")]) > 5:
                cur = tag
    elif (len(tag) > 150 or len(tag) < 15) and len(headings) == 1:
        cur = headings[0]
    cur = collapse(cur)
    n = _n_words(cur)
    if n <= 4 and (not hierarchical or n != _n_words(re.sub(r"[|\-–—\\/>»]+", "", tag)) - 1):
        cur = tag
    return cur


_H1_FURNITURE = re.compile(
    r"(?:^|[-_])(?:nav|navbar|navigation|menu|sidebar|widget|footer|masthead|logo|brand"
    r"|branding|site-?header|site-?title|site-?name|topbar|related|comments?|promo|modal"
    r"|popup|cookies?|teaser|card|aside)(?:$|[-_])",
    re.I,
)


def _in_furniture(node: LexborNode) -> bool:
    """An ``<h1>`` in the site's header, navigation, sidebar or a widget."""
    parent = node.parent
    in_article = False
    chain: list[LexborNode] = []
    while parent is not None and parent.tag not in {"body", "html"}:
        chain.append(parent)
        if parent.tag in {"article", "main"}:
            in_article = True
        parent = parent.parent
    for p in chain:
        if p.tag in {"nav", "aside", "footer"} or (p.tag == "header" and not in_article):
            return True
        marks = [*(p.attributes.get("class") or "").split(), p.attributes.get("id") or ""]
        if any(m and _H1_FURNITURE.search(m) for m in marks):
            return True
    return False


def _headings(nodes: list[LexborNode], texts: list[str]) -> list[str]:
    """The ``<h1>`` texts (``texts``, collapsed, of ``nodes``) that may be the headline."""
    out: list[str] = []
    for node, full in zip(nodes, texts, strict=True):
        text = full.rstrip(" ¶#🔗")
        if text and len(text) <= 300 and not _in_furniture(node):
            out.append(text)
    return out


def _without_kickers(nodes: list[LexborNode]) -> list[str]:
    """The texts of the ``<h1>`` elements that hold a kicker/topic label in a child element of
    its own, without it (compared by letters only: a hidden ": " after it does not count)."""
    out: list[str] = []
    for node in nodes:
        parts: list[str] = []
        kicker = False
        for child in node.iter(include_text=True):
            if child.tag != "-text" and _KICKER_CLASS.search(child.attributes.get("class") or ""):
                kicker = True
            else:
                parts.append(child.text(deep=True, separator=" "))
        if kicker:
            out.append(collapse(" ".join(parts)))
    return out


def choose_title(
    rule_title: str | None, ld: list[LdArticle], meta: PageMeta, tree: LexborHTMLParser
) -> tuple[str | None, FieldOrigin]:
    """Best headline and where it came from."""
    if rule_title:
        return collapse(rule_title), FieldOrigin.RULES
    h1_nodes = tree.css("h1")
    all_h1 = [collapse(n.text(deep=True, separator=" ")) for n in h1_nodes]
    h1s = _headings(h1_nodes, all_h1)
    kickers = _without_kickers(h1_nodes[:3])
    tag = meta.title_tag or ""
    checks = [x for x in [tag, *all_h1] if x]

    def consistent(candidate: str) -> bool:
        return not checks or any(_shares_headline(candidate, c) for c in checks)

    for obj in ld:
        if obj.rank > 3:
            continue
        options = [x for x in (obj.headline, obj.name) if x]
        if obj.rank == 3:  # a WebPage's name is the <title>; only its headline is a headline
            options = [obj.headline] if obj.headline else []
        for option in options:
            if consistent(option):
                return strip_site_prefix(option, h1s, kickers), FieldOrigin.JSON_LD
    for key in TITLE_KEYS:
        for value in meta.all(key):
            if consistent(value):
                return strip_site_prefix(value, h1s, kickers), FieldOrigin.META
    if h1s:
        # the <title>'s longest part is the headline; an <h1> matching only another part
        # (the site's name) is not
        main = max(_SITE_PART.split(tag), key=len) if tag else ""
        main_key = _key(main)
        for h in h1s:
            if _key(h) and _key(h) in main_key:
                return h, FieldOrigin.HEURISTIC
        for h in h1s:
            if not tag or _overlap(h, main) >= 0.5:
                return h, FieldOrigin.HEURISTIC
    if tag:
        h2s = [collapse(n.text(deep=True, separator=" ")) for n in tree.css("h2")][:20]
        return title_from_tag(tag, all_h1 + h2s), FieldOrigin.HEURISTIC
    if all_h1:
        return all_h1[0], FieldOrigin.HEURISTIC
    return None, FieldOrigin.HEURISTIC
