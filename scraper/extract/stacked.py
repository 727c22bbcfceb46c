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

from scraper.extract.blockdata import Block
from scraper.extract.regions import letters

__all__ = ["headline_article", "other_article"]

_HEADINGS = ("h1", "h2", "h3")


def _story_of(node: LexborNode) -> LexborNode | None:
    """The nearest ``<article>`` around ``node``."""
    parent = node.parent
    while parent is not None:
        if parent.tag == "article":
            return parent
        parent = parent.parent
    return None


def headline_article(
    tree: LexborHTMLParser, headline: Block | None, title: str | None
) -> LexborNode | None:
    """The ``<article>``, on a page of two or more, whose own headline is ``title``.

    Stacked stories may sit side by side or inside one wrapper ``<article>``: the story is the
    nearest ``<article>`` around a heading that reads ``title``, an ``<h1>`` first (a sidebar
    teaser may carry the headline in an ``<h3>``), then ``<h2>``, then ``<h3>``. ``None`` when
    the headline block found by the walk (``headline``) is in no ``<article>``, when headings of
    one rank name the title in two stories, or when there is no title. (The headline block's
    ancestors, known from the walk, spare the tree queries on most pages.)
    """
    if not title or headline is None or not headline.inside("article"):
        return None
    key = letters(title)
    if len(key) < 10:
        return None
    for tag in _HEADINGS:
        stories: dict[int, LexborNode] = {}
        for heading in tree.css(tag):
            if letters(heading.text(deep=True, separator=" ")) != key:
                continue
            story = _story_of(heading)
            if story is not None:
                stories[story.mem_id] = story
        if stories:
            return next(iter(stories.values())) if len(stories) == 1 else None
    return None


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
