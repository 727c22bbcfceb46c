"""What is not the article: page furniture (by element) and standing lines (by text).

Two layers:

* :func:`prune` removes elements before the body is scored: navigation, footers, forms, share
  bars, "related"/"recommended" lists, newsletter boxes, author-bio boxes, comment threads...
  recognised by tag, ARIA role and class/id words.
* :func:`is_boilerplate_text` and :func:`trim_blocks` (in :mod:`scraper.extract.lines`,
  exported here too) drop paragraphs that survive inside the article column: view counters,
  standing disclaimers ("The opinions expressed are those of the authors..."), signature lines
  repeating the author, comment-box labels, and text in another script than the article (an RTL
  comment form under an English article).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.extract.classes import NEGATIVE, POSITIVE, STRONG, is_furniture, marks
from scraper.extract.lines import is_boilerplate_text, script_of, trim_blocks
from scraper.extract.query import distinct, matches

__all__ = [
    "NEGATIVE",
    "POSITIVE",
    "in_widget",
    "is_boilerplate_text",
    "prune",
    "remove_all",
    "script_of",
    "trim_blocks",
]

_DROP_TAGS = "nav, footer, aside, form, header, menu, dialog, [role=navigation], [role=banner]"
_DROP_TAGS += ", [role=contentinfo], [role=complementary], [role=search], [role=dialog]"
_DROP_TAGS += ", [aria-hidden=true], [hidden], .sr-only, .visually-hidden, .screen-reader-text"
# _DROP_TAGS with one [role] for the six role values (each selector costs the query a test of
# every element): what it finds is picked out in Python, lexbor confirming the class selectors
# (whose case rules depend on the document's mode)
_DROP_QUERY = "nav, footer, aside, form, header, menu, dialog, [role], [aria-hidden=true], [hidden]"
_DROP_QUERY += ", .sr-only, .visually-hidden, .screen-reader-text"
_DROP_BY_TAG = frozenset({"nav", "footer", "aside", "form", "header", "menu", "dialog"})
_DROP_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "search", "dialog"}
)
_HIDING_CLASSES = (".sr-only", ".visually-hidden", ".screen-reader-text")
_HIDING_SELECTOR = ", ".join(_HIDING_CLASSES)


def _dropped(node: LexborNode, tag: str | None) -> bool:
    """Whether ``node`` (found by :data:`_DROP_QUERY`) is one that _DROP_TAGS finds."""
    if tag in _DROP_BY_TAG:
        return True
    attrs = node.attributes
    if attrs.get("role") in _DROP_ROLES or attrs.get("aria-hidden") == "true" or "hidden" in attrs:
        return True  # ([role=x] and [aria-hidden=true] compare values exactly, case included)
    value = (attrs.get("class") or "").lower()
    return any(c[1:] in value for c in _HIDING_CLASSES) and matches(node, _HIDING_SELECTOR)


_WIDGET = re.compile(
    r"taboola|outbrain|comment|related|recommend|sidebar|footer|promo|newsletter|popular"
    r"|trending|more-?stories|read-?next|widget",
    re.I,
)


_WIDGET_ASCII = re.compile(_WIDGET.pattern)  # (lower-case words) for lower-cased ASCII text


def in_widget(node: LexborNode, *, by_tag: bool = True) -> bool:
    """Whether ``node`` sits in a footer/aside/nav or a comments/related/promo widget
    (``by_tag=False``: only a widget named so by its class or id)."""
    parent = node.parent
    depth = 0
    while parent is not None and depth < 15:
        tag = parent.tag
        if tag in {"body", "html"}:
            break
        if by_tag and tag in {"footer", "aside", "nav"}:
            return True
        attrs = parent.attributes
        marks = (attrs.get("class") or "") + " " + (attrs.get("id") or "")
        if marks.isascii():  # (case-sensitive on the lower-cased text: the same, faster)
            if _WIDGET_ASCII.search(marks.lower()):
                return True
        elif _WIDGET.search(marks):
            return True
        parent = parent.parent
        depth += 1
    return False


_PROTECT_TAGS = frozenset({"html", "body", "main", "article"})


def _prose(node: LexborNode, enough: int) -> bool:
    """Whether ``node`` holds ``enough`` long paragraphs (120+ characters)."""
    found = 0
    for p in node.css("p"):
        if len(p.text(deep=True, strip=True)) >= 120:
            found += 1
            if found >= enough:
                return True
    return False


def remove_all(nodes: Iterable[LexborNode]) -> None:
    """Decompose ``nodes``, skipping those inside another one of them and repeats.

    A node inside an already removed subtree must never be touched again (its memory is gone),
    so nesting is resolved on the intact tree first, with memoised ancestor walks; a query
    with a selector list gives an element once per selector it matches, and a node must not be
    decomposed twice either.
    """
    chosen = distinct(list(nodes))
    ids = {n.mem_id for n in chosen}
    inside: dict[int, bool] = {}  # node id -> has a chosen ancestor
    top: list[LexborNode] = []
    for node in chosen:
        path: list[int] = []
        parent = node.parent
        found = False
        while parent is not None:
            pid = parent.mem_id
            if pid in ids:
                found = True
                break
            if pid in inside:
                found = inside[pid]
                break
            path.append(pid)
            parent = parent.parent
        for pid in path:
            inside[pid] = found
        if not found:
            top.append(node)
    for node in top:
        node.decompose()


def _text_len(node: LexborNode) -> int:
    return len(node.text(deep=True, separator=" ", strip=True))


_MARKED = "[class], [id]"


def prune(tree: LexborHTMLParser, *, light: bool = False) -> None:
    """Remove page furniture in place (``light``: only nav/footer/aside/forms by tag).

    An element holding more than half of the page's text is never removed by its class name
    alone (a ``<div class="post-meta-wrapper">`` around everything happens).
    """
    body = tree.body
    if body is None:
        return
    total = len(body.text(deep=True, separator=" ", strip=True)) or 1
    doomed: list[LexborNode] = []
    for node in tree.css("nav, footer, aside, form, menu, dialog" if light else _DROP_QUERY):
        tag = node.tag
        if tag in _PROTECT_TAGS or not (light or _dropped(node, tag)):
            continue
        if tag in {"header", "form"} and _text_len(node) > 0.5 * total:
            continue  # ASP.NET wraps the whole page in one <form>
        doomed.append(node)
    remove_all(doomed)
    if light:
        return
    doomed = []
    gone: set[int] = set()  # ids of the elements inside those doomed so far (no need to judge)
    seen: set[int] = set()  # (the query lists an element with a class and an id twice)
    for node in tree.css(_MARKED):
        key = node.mem_id
        if key in gone or key in seen:
            continue  # (document order: a doomed element comes before what it holds)
        seen.add(key)
        flags = marks(node)[0]
        if not is_furniture(flags) or node.tag in _PROTECT_TAGS:
            continue
        if total > 500 and _text_len(node) > 0.5 * total:
            continue
        if not flags & STRONG and _prose(node, 5):
            continue  # a weakly named box full of prose ("read-more" rest of a story) stays
        doomed.append(node)
        gone.update(n.mem_id for n in node.css(_MARKED))
    remove_all(doomed)
