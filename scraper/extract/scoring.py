"""Readability-style candidate scores: every paragraph-like element with enough text gives points
(length, commas) to its parent and, less, to its grandparents, on top of each container's base
score (its tag, ``itemprop``, class/id words). :mod:`scraper.extract.body` picks the winner.
"""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from scraper.extract.classes import attribute_marks

__all__ = ["score_candidates"]

_PARA_SELECTOR = "p, pre, td, blockquote, dd"
_TEXT_CONTAINERS = frozenset({"div", "section", "article", "main", "span", "font", "center"})
_CONTAINER_SELECTOR = ", ".join(sorted(_TEXT_CONTAINERS))  # one query, in document order
_MIN_PARA = 25


_INLINE_TEXT = frozenset({"a", "b", "strong", "em", "i", "span", "sup", "sub", "font"})


def _has_own_text(node: LexborNode, enough: int) -> bool:
    """Whether ``node``'s own text (its text children and inline elements, each stripped)
    reaches ``enough`` characters (counting stops there)."""
    total = 0
    child = node.first_child
    while child is not None:
        tag = child.tag
        if tag == "-text":
            total += len((child.text_content or "").strip())
        elif tag in _INLINE_TEXT:
            total += len(child.text(deep=True, strip=True))
        else:
            child = child.next
            continue
        if total >= enough:
            return True
        child = child.next
    return False


_TAG_SCORES = {"div": 5.0, "article": 10.0, "main": 5.0, "section": 3.0, "pre": 3.0, "td": 3.0}
_TAG_SCORES |= {"blockquote": 3.0, "h1": -5.0, "h2": -5.0, "h3": -5.0, "h4": -5.0, "h5": -5.0}
_TAG_SCORES |= {"h6": -5.0, "th": -5.0, "address": -3.0, "ol": -3.0, "ul": -3.0, "dl": -3.0}
_TAG_SCORES |= {"dd": -3.0, "dt": -3.0, "li": -3.0, "form": -3.0}


def _base_score(node: LexborNode) -> float:
    attrs = node.attributes
    score = _TAG_SCORES.get(node.tag or "", 0.0)
    itemprop = (attrs.get("itemprop") or "").lower()
    if itemprop in {"articlebody", "text"}:
        score += 30.0
    return score + attribute_marks(attrs)[1]


def _hidden(node: LexborNode) -> bool:
    attrs = node.attributes
    style = (attrs.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "hidden" in attrs


def score_candidates(root: LexborNode) -> dict[int, tuple[LexborNode, float]]:
    """Container scores keyed by node id (before the link-density penalty)."""
    scores: dict[int, tuple[LexborNode, float]] = {}
    hidden: dict[int, bool] = {}  # _hidden of ancestors, by node id (they recur for each para)
    chains: dict[int, _Chain] = {}  # _ancestors, by node id
    paras: list[LexborNode] = list(root.css(_PARA_SELECTOR))
    paras.extend(n for n in root.css(_CONTAINER_SELECTOR) if _has_own_text(n, _MIN_PARA))
    for para in paras:
        text = para.text(deep=True, separator=" ", strip=True)
        if len(text) < _MIN_PARA:
            continue
        if para.tag == "li" and len(text) < 80:
            continue
        commas = text.count(",") + text.count("،") + text.count("、") + text.count("，")
        points = 1.0 + commas + text.count(";") + min(len(text) // 100, 3)
        chain = _ancestors(para.parent, chains)
        if _hidden(para) or _any_hidden(chain, hidden):
            continue  # invisible text (a closed tab, a template) is not the article
        if para.tag in _TEXT_CONTAINERS:
            # the container itself holds text directly: it is a candidate of its own
            key = para.mem_id
            if key not in scores:
                scores[key] = (para, _base_score(para))
            node0, s0 = scores[key]
            scores[key] = (node0, s0 + points)
        for level, (key, ancestor) in enumerate(chain):
            if key not in scores:
                scores[key] = (ancestor, _base_score(ancestor))
            divider = 1 if level == 0 else 2 if level == 1 else level * 3
            node0, s0 = scores[key]
            scores[key] = (node0, s0 + points / divider)
    return scores


_Chain = list[tuple[int, LexborNode]]
_CHAIN = 5  # a paragraph gives points to this many ancestors
_NOT_CANDIDATES = frozenset({"html", None, "-undef"})


def _ancestors(node: LexborNode | None, cache: dict[int, _Chain]) -> _Chain:
    """(id, node) of ``node`` and its ancestors, at most five, up to ``<html>``.

    Paragraphs share parents: the chain of a node met before (``cache``, by node id) gives the
    rest of a new one.
    """
    chain: _Chain = []
    while node is not None and len(chain) < _CHAIN:
        if node.tag in _NOT_CANDIDATES:
            break
        key = node.mem_id
        above = cache.get(key)
        if above is not None:
            chain.extend(above[: _CHAIN - len(chain)])
            break
        chain.append((key, node))
        node = node.parent
    if chain:
        cache[chain[0][0]] = chain  # (a node's own chain: complete, or five long)
    return chain


def _any_hidden(chain: list[tuple[int, LexborNode]], cache: dict[int, bool]) -> bool:
    """Whether one of ``chain`` (id, node) is hidden (``cache``: verdicts by id)."""
    for key, node in chain:
        found = cache.get(key)
        if found is None:
            found = cache[key] = _hidden(node)
        if found:
            return True
    return False
