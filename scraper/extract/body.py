"""Find the article body: score paragraph containers by text and link density.

The approach is the classic one (Readability, boilerpipe): every paragraph-like element with
enough text gives points (length, commas) to its parent and, less, to its grandparents; the best
container after a link-density penalty wins, with its siblings that look like article text.
The container is then walked into blocks, furniture inside it dropped, and the standing lines
trimmed (:mod:`scraper.extract.boilerplate`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.extract.blocks import Block, walk
from scraper.extract.scoring import score_candidates

__all__ = [
    "BodyResult",
    "drop_dangling_tail",
    "find_body",
    "scattered_paragraphs",
    "score_candidates",
]

_NOT_CONTAINERS = frozenset({"ul", "ol", "dl", "li", "tr", "tbody", "thead"})


@dataclass(slots=True)
class BodyResult:
    """The chosen container(s) and their blocks."""

    blocks: list[Block]
    container: LexborNode | None


def _link_density(node: LexborNode, text_len: int) -> float:
    if text_len <= 0:
        return 0.0
    links = sum(len(a.text(deep=True, strip=True)) for a in node.css("a"))
    return min(1.0, links / text_len)


_Measures = dict[int, tuple[int, float]]


def _measure(node: LexborNode, cache: _Measures) -> tuple[int, float]:
    """Text length and link density of ``node``, computed once per node (``cache``: by id)."""
    key = node.mem_id
    found = cache.get(key)
    if found is None:
        text_len = _text_len(node)
        found = cache[key] = (text_len, _link_density(node, text_len))
    return found


def _pick(
    scores: dict[int, tuple[LexborNode, float]], measures: _Measures
) -> tuple[LexborNode | None, float]:
    """The candidate with the best score after the link-density penalty (the first in
    ``scores`` order on a tie).

    A penalised score never exceeds its upper bound (the raw score, or 0 for a negative one), so
    candidates are measured in decreasing bound order until the bound falls below the best so
    far: the others cannot win or tie.
    """
    items = list(scores.values())
    order = sorted(range(len(items)), key=lambda i: -max(items[i][1], 0.0))
    finals: dict[int, float] = {}
    top = float("-inf")
    for i in order:
        node, raw = items[i]
        if max(raw, 0.0) < top:
            break
        final = finals[i] = raw * (1.0 - _measure(node, measures)[1])
        top = max(top, final)
    best: LexborNode | None = None
    best_score = float("-inf")
    for i in sorted(finals):
        final = finals[i]
        if final > best_score:
            best, best_score = items[i][0], final
    return best, best_score


def _text_len(node: LexborNode) -> int:
    return len(node.text(deep=True, separator=" ", strip=True))


def find_body(
    tree: LexborHTMLParser,
    base_url: str | None,
    root: LexborNode | None = None,
    *,
    walked: list[Block] | None = None,
    scope: LexborNode | None = None,
) -> BodyResult:
    """The article blocks of an already pruned tree (``root`` forces the container).

    ``walked`` are the blocks of the same tree walked before pruning: the article's blocks are
    then taken from them (those whose element survived inside the chosen containers) instead
    of walking the containers again. ``scope`` limits the vote to one element's subtree (one
    story of several stacked on the page).
    """
    body = root or scope or tree.body
    if body is None:
        return BodyResult([], None)
    if root is not None:
        return BodyResult(walk(root, base_url), root)
    scores = score_candidates(body)
    measures: _Measures = {}
    top, top_score = _pick(scores, measures)
    if top is None:
        return BodyResult(walk(body, base_url), body)
    top, top_score = _common_ancestor(top, top_score, scores, measures)
    top, top_score = _climb(top, top_score, scores)
    while top.tag in _NOT_CONTAINERS and top.parent is not None and top.parent.tag != "body":
        top = top.parent  # a list or a table row is part of an article, not the article
    top = _out_of_gallery(top)
    # siblings that look like more of the article
    parent = top.parent
    chosen: list[LexborNode] = [top]
    if parent is not None and parent.tag not in {"html"}:
        threshold = max(10.0, top_score * 0.2)
        chosen = []
        sib = parent.first_child
        while sib is not None:
            if sib.mem_id == top.mem_id:
                chosen.append(sib)
            elif sib.is_element_node:
                entry = scores.get(sib.mem_id)
                is_p = sib.tag == "p"
                # (measured only when the score or the <p> test reads it)
                text_len, ld = _measure(sib, measures) if entry or is_p else (0, 0.0)
                s = entry[1] * (1.0 - ld) if entry else 0.0
                if sib.attributes.get("class") and sib.attributes.get(
                    "class"
                ) == top.attributes.get("class"):
                    s += top_score * 0.2
                if s >= threshold or (
                    is_p
                    and ((text_len > 80 and ld < 0.25) or (0 < text_len <= 80 and ld == 0))
                    and re.search(r"\.( |$)", sib.text(deep=True)) is not None
                ):
                    chosen.append(sib)
            sib = sib.next
    blocks: list[Block] = []
    if walked is not None:
        inside: set[int] = set()
        for node in chosen:
            inside.add(node.mem_id)
            inside.update(d.mem_id for d in node.css("*"))
        inside -= _embedded_galleries(chosen)
        blocks = [b for b in walked if b.node_id in inside]
    else:
        for node in chosen:
            blocks.extend(walk(node, base_url))
    return BodyResult(_drop_link_lists(blocks), top)


_GALLERY = re.compile(r"gallery|slideshow|carousel|slider", re.I)
# the elements whose class _GALLERY may match, found by lexbor: a word in any ASCII case, or a
# character that re.I equates with an ASCII letter (İ ı ſ K: "ſlider" is a match too)
_GALLERY_CANDIDATES = ", ".join(
    [
        *(f'[class*="{word}" i]' for word in _GALLERY.pattern.split("|")),
        *(f'[class*="{twin}"]' for twin in "\u0130\u0131\u017f\u212a"),
    ]
)
_GALLERY_ITEMS = 5
_ARTICLE_REST = 500


def _embedded_galleries(chosen: list[LexborNode]) -> set[int]:
    """Element ids of picture galleries embedded in the article ("1/50 United goin down").

    A gallery widget (a box classed ``gallery``/``slideshow``/``carousel``/``slider`` holding
    five or more slides) inside the chosen containers is a separate story told in captions; it
    is left out when the containers hold an article of their own beside it.
    """
    out: set[int] = set()
    for node in chosen:
        total = -1  # the container's text length, measured when a gallery needs it
        for box in node.css(_GALLERY_CANDIDATES):
            if box.mem_id in out or not _is_gallery(box):
                continue
            if total < 0:
                total = _text_len(node)
            if total - _text_len(box) < _ARTICLE_REST:
                continue
            out.add(box.mem_id)
            out.update(d.mem_id for d in box.css("*"))
    return out


# _GALLERY for lower-cased ASCII: the same matches (only İ ı ſ K, none ASCII, match an ASCII
# letter of another case under re.I), without re.I, which turns off the engine's quick tests
_GALLERY_ASCII = re.compile(_GALLERY.pattern)


def _is_gallery(node: LexborNode) -> bool:
    value = node.attributes.get("class") or ""
    if value.isascii():
        named = _GALLERY_ASCII.search(value.lower()) is not None
    else:
        named = _GALLERY.search(value) is not None
    return named and len(node.css("li, figure")) >= _GALLERY_ITEMS


def _out_of_gallery(top: LexborNode) -> LexborNode:
    """The article around a picture gallery that outscored it (captions are not the story).

    When the winner sits in a gallery widget embedded in a box whose own paragraphs make an
    article (at least 500 characters outside the gallery), that box is the container; the
    gallery itself is then left out by :func:`_embedded_galleries`.
    """
    node: LexborNode | None = top
    gallery: LexborNode | None = None
    for _ in range(5):  # the outermost gallery box a few levels up
        if node is None or node.parent is None or node.tag == "body":
            break
        if _is_gallery(node):
            gallery = node
        node = node.parent
    if gallery is None or gallery.parent is None:
        return top
    parent = gallery.parent
    own = sum(
        len(p.text(deep=True, strip=True)) for p in parent.css("p") if not _inside(p, gallery)
    )
    return parent if own >= _ARTICLE_REST else top


def _inside(node: LexborNode, box: LexborNode) -> bool:
    cur: LexborNode | None = node
    while cur is not None:
        if cur.mem_id == box.mem_id:
            return True
        cur = cur.parent
    return False


def _element_children(node: LexborNode) -> int:
    count = 0
    child = node.first_child
    while child is not None:
        if child.is_element_node:
            count += 1
        child = child.next
    return count


def _climb(
    top: LexborNode, top_score: float, scores: dict[int, tuple[LexborNode, float]]
) -> tuple[LexborNode, float]:
    """Move up while ancestors' raw scores grow (more of the article lives beside the winner),
    and past wrappers whose only child is the winner."""
    entry = scores.get(top.mem_id)
    last = entry[1] if entry else top_score
    threshold = last / 3
    parent = top.parent
    while parent is not None and parent.tag not in {"body", "html"}:
        pentry = scores.get(parent.mem_id)
        if pentry is None:
            parent = parent.parent
            continue
        if pentry[1] < threshold:
            break
        if pentry[1] > last:
            top, top_score = parent, max(top_score, pentry[1])
            break
        last = pentry[1]
        parent = parent.parent
    parent = top.parent
    while (
        parent is not None and parent.tag not in {"body", "html"} and _element_children(parent) == 1
    ):
        top = parent
        parent = top.parent
    return top, top_score


def _common_ancestor(
    top: LexborNode,
    top_score: float,
    scores: dict[int, tuple[LexborNode, float]],
    measures: _Measures,
) -> tuple[LexborNode, float]:
    """Readability's rule: when other strong candidates share an ancestor with the winner
    (the article is split over sibling blocks), the ancestor is the article."""
    ranked: list[tuple[float, LexborNode]] = []
    floor = top_score * 0.75
    for node, raw in scores.values():
        if node.mem_id == top.mem_id or max(raw, 0.0) < floor:
            continue  # (the penalised score is at most the raw one, or 0 when that is negative)
        final = raw * (1.0 - _measure(node, measures)[1])
        if final >= floor:
            ranked.append((final, node))
    ranked.sort(key=lambda x: -x[0])
    others = [n for _, n in ranked[:4]]
    if len(others) < 2:
        return top, top_score
    chains: list[set[int]] = []
    for other in others:
        ids: set[int] = set()
        p = other.parent
        while p is not None and p.tag not in {"html", "body"}:
            ids.add(p.mem_id)
            p = p.parent
        chains.append(ids)
    ancestor = top.parent
    while ancestor is not None and ancestor.tag not in {"html", "body"}:
        inside = sum(1 for c in chains if ancestor.mem_id in c)
        if inside >= 2:
            entry = scores.get(ancestor.mem_id)
            return ancestor, max(top_score, entry[1] if entry else top_score)
        ancestor = ancestor.parent
    return top, top_score


LINK_MAX = 0.8


def _drop_link_lists(blocks: list[Block]) -> list[Block]:
    """Remove link-only paragraphs and runs of list items that are mostly links."""
    out: list[Block] = []
    # list groups: if most items of one list are links, the list is navigation
    by_list: dict[int, list[Block]] = {}
    for b in blocks:
        if b.list_id is not None:
            by_list.setdefault(b.list_id, []).append(b)
    nav_lists = {
        lid
        for lid, items in by_list.items()
        if sum(1 for i in items if i.link_density > 0.6) > 0.5 * len(items)
    }
    for b in blocks:
        if b.list_id in nav_lists:
            continue
        if (
            b.kind != "img"
            and b.link_density > LINK_MAX
            and len(b.text) < 200
            and b.hints.split(" ", 1)[0] not in {"td", "th"}
        ):
            continue
        out.append(b)
    return out


_DANGLING = re.compile(r"[:：]\s*$")


def drop_dangling_tail(blocks: list[Block]) -> list[Block]:
    """Drop what ends the body without introducing anything that follows.

    A heading as the very last block heads a section that pruning removed ("Related topics",
    "Schon gelesen?", "Kategorien"); a short last line ending with a colon ("Themen:", "Die
    Karte zum Abspeichern:") introduces a list or a widget that is gone too.
    """
    end = len(blocks)
    while end > 1:
        b = blocks[end - 1]
        if b.kind == "img":
            break
        heading = (
            b.kind in {"h2", "h3", "h4", "h5", "h6"}
            and len(b.text) <= 120
            and not b.text.rstrip().endswith((".", "!", "。"))  # a pull quote is text
        )
        colon = len(b.text) <= 80 and _DANGLING.search(b.text) is not None
        if not (heading or colon):
            break
        end -= 1
    return blocks[:end]


_SCATTER_MIN = 40
_SCATTER_LINKS = 0.3


def scattered_paragraphs(
    tree: LexborHTMLParser, walked: list[Block], start: int | None = None
) -> list[Block]:
    """Prose blocks anywhere in the pruned page, for an article no single container holds.

    Landing pages and recipe steps split the text over many small boxes, none of which wins
    the container vote. This fallback (cf. trafilatura's baseline) keeps, from the headline on,
    every surviving block of prose: paragraphs of some length with few links, and the headings
    between them.
    """
    if tree.body is None:
        return []
    alive = {n.mem_id for n in tree.body.css("*")}
    out: list[Block] = []
    for b in walked[(start or 0) :]:
        if b.node_id not in alive or b.kind == "img":
            continue
        heading = b.kind in {"h2", "h3", "h4", "h5", "h6"}
        if heading or (len(b.text) >= _SCATTER_MIN and b.link_density < _SCATTER_LINKS):
            out.append(b)
    while out and out[-1].kind.startswith("h"):
        out.pop()
    return out
