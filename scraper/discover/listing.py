"""Listing pages: article links and the next page, from HTML (pure, no I/O).

``link_selector`` selects ``<a>`` elements, or containers (cards, list items, headings) whose
first ``a[href]`` is the article link; ``link_pattern`` is a regex searched in the *absolute*
URL. With only a pattern, every ``a[href]`` of the page is a candidate; with both, a link must
be selected and match. Links are resolved against ``<base href>`` (else the page URL), stripped
of their fragment, limited to http(s), and de-duplicated in page order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import count
from urllib.parse import urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.config import ListingConfig

__all__ = ["ListingPage", "absolute_url", "links_from_listing", "page_urls"]

_WS = re.compile(r"\s+")
_TITLE_MAX = 300


@dataclass(frozen=True, slots=True)
class ListingPage:
    """What one listing page offers.

    ``links`` are absolute article URLs in page order without duplicates; ``titles`` is parallel
    to ``links`` (the link text, ``None`` when empty); ``next_url`` is the next page from
    ``next_selector``, ``None`` when there is none (or it points back to this page).
    """

    links: tuple[str, ...]
    next_url: str | None = None
    titles: tuple[str | None, ...] = ()


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def absolute_url(href: str | None, base: str) -> str | None:
    """``href`` resolved against ``base``, without fragment, scheme and host in lower case;
    ``None`` unless http(s)."""
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        url = urldefrag(urljoin(base, href)).url
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    netloc = parts.netloc.lower() if "@" not in parts.netloc else parts.netloc
    if netloc != parts.netloc or not url.startswith(parts.scheme):
        url = parts._replace(scheme=parts.scheme, netloc=netloc).geturl()
    return url


def _base_url(tree: LexborHTMLParser, page_url: str) -> str:
    base = tree.css_first("base[href]")
    href = base.attributes.get("href") if base is not None else None
    resolved = absolute_url(href, page_url)
    return resolved or page_url


def _anchor(node: LexborNode) -> LexborNode | None:
    """The node itself when it is a link, else its first ``a[href]``."""
    if node.tag in {"a", "link", "area"} and node.attributes.get("href"):
        return node
    return node.css_first("a[href]")


def _text(node: LexborNode) -> str | None:
    text = _WS.sub(" ", node.text(deep=True, separator=" ")).strip()
    if not text:
        text = (node.attributes.get("title") or "").strip()
    return text[:_TITLE_MAX] or None


def links_from_listing(html: str, page_url: str, listing: ListingConfig) -> ListingPage:
    """The article links and next-page URL of one listing page (see the module docstring)."""
    tree = LexborHTMLParser(html)
    base = _base_url(tree, page_url)
    if listing.link_selector:
        anchors = [_anchor(n) for n in tree.css(listing.link_selector)]
    else:
        anchors = list(tree.css("a[href]"))
    pattern = _compiled(listing.link_pattern) if listing.link_pattern else None
    links: list[str] = []
    titles: list[str | None] = []
    seen: set[str] = set()
    for anchor in anchors:
        if anchor is None:
            continue
        url = absolute_url(anchor.attributes.get("href"), base)
        if url is None or url in seen:
            continue
        if pattern is not None and not pattern.search(url):
            continue
        seen.add(url)
        links.append(url)
        titles.append(_text(anchor))
    return ListingPage(tuple(links), _next_url(tree, base, page_url, listing), tuple(titles))


def _next_url(
    tree: LexborHTMLParser, base: str, page_url: str, listing: ListingConfig
) -> str | None:
    if not listing.next_selector:
        return None
    for node in tree.css(listing.next_selector):
        anchor = _anchor(node)
        if anchor is None:
            continue
        url = absolute_url(anchor.attributes.get("href"), base)
        if url is not None and url != urldefrag(page_url).url:
            return url
    return None


def page_urls(listing: ListingConfig) -> Iterator[str]:
    """``page_template`` filled with ``first_page``, ``first_page + 1``... (endless; empty
    without a template). The caller bounds it by ``max_pages``."""
    template = listing.page_template
    if template is None:
        return
    for n in count(listing.first_page):
        yield template.replace("{page}", str(n))
