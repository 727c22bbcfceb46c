"""Stories stacked on one page: which ``<article>`` is the one the page is about.

News sites with "infinite scroll" serve the requested story followed by the next ones, each in
its own ``<article>`` with its own headline; a longer story further down can outscore the
requested one in the body vote. :func:`headline_article` finds, before pruning (which removes
the ``<header>`` that usually holds an article's headline), the ``<article>`` whose headline is
the page's title; :func:`other_article` says, after the vote, whether the chosen container sits
in a different one, so the body is sought again inside the right story.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.extract.regions import letters

__all__ = ["headline_article", "other_article"]

_HEADINGS = "h1, h2, h3"
_MAX_ARTICLES = 80  # more is a listing of teasers, not a page of stacked stories


def _contains(outer: LexborNode, inner: LexborNode) -> bool:
    node = inner.parent
    while node is not None:
        if node.mem_id == outer.mem_id:
            return True
        node = node.parent
    return False


def headline_article(tree: LexborHTMLParser, html: str, title: str | None) -> LexborNode | None:
    """The innermost ``<article>``, on a page of two or more, whose headline is ``title``.

    Stacked stories may sit side by side or inside one wrapper ``<article>``: of the elements
    whose first headings include ``title``, the one holding no other is the story (the one
    whose heading is an ``<h1>`` when a sidebar teaser carries the headline too). ``None``
    when the page has fewer than two ``<article>`` elements (or a listing's worth), when no
    single story carries that headline, or when there is no title. ``html`` (the page's text)
    spares the tree query on the many pages without two ``<article>`` tags.
    """
    if not title or html.count("<article") < 2:
        return None
    key = letters(title)
    if len(key) < 10:
        return None
    articles = list(tree.css("article"))
    if not 2 <= len(articles) <= _MAX_ARTICLES:
        return None
    found: list[tuple[LexborNode, bool]] = []  # (story, its headline is an <h1>)
    for art in articles:
        tags = [
            h.tag
            for h in art.css(_HEADINGS)[:3]
            if letters(h.text(deep=True, separator=" ")) == key
        ]
        if tags:
            found.append((art, "h1" in tags))
    innermost = [
        (a, h1) for a, h1 in found if not any(b is not a and _contains(a, b) for b, _ in found)
    ]
    if len(innermost) > 1:  # the story and a sidebar teaser of it: the story's is the <h1>
        innermost = [(a, h1) for a, h1 in innermost if h1]
    return innermost[0][0] if len(innermost) == 1 else None


def other_article(container: LexborNode | None, wanted: LexborNode) -> bool:
    """Whether ``container`` lies in an ``<article>`` that is neither ``wanted``, nor inside it,
    nor around it (the body vote chose another story of the page)."""
    if container is None:
        return False
    node: LexborNode | None = container
    holder: LexborNode | None = None
    while node is not None:
        if node.mem_id == wanted.mem_id:
            return False  # inside the wanted story
        if node.tag == "article" and holder is None:
            holder = node
        node = node.parent
    if holder is None:
        return False  # not in any <article>: nothing says it is another story
    inner = wanted.parent
    while inner is not None:  # around the wanted story (a wrapper <article>)
        if inner.mem_id == holder.mem_id:
            return False
        inner = inner.parent
    return True
