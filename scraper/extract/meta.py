"""``<meta>``/``<link>``/``<time>`` metadata: citation_*, OpenGraph, article:*, Dublin Core,
parsely, Twitter cards, itemprop microdata.

:class:`PageMeta` gathers every ``<meta>`` once (keys lower-cased) and offers ordered look-ups;
the cascade decides which of them wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.extract.boilerplate import in_widget
from scraper.extract.query import distinct, matches
from scraper.extract.text import collapse

__all__ = [
    "AUTHOR_KEYS",
    "DESCRIPTION_KEYS",
    "MODIFIED_KEYS",
    "PUBLISHED_KEYS",
    "TITLE_KEYS",
    "PageMeta",
    "read_meta",
]

TITLE_KEYS = (
    "citation_title",
    "og:title",
    "twitter:title",
    "dc.title",
    "dcterms.title",
    "parsely-title",
    "sailthru.title",
    "headline",
)
AUTHOR_KEYS = (
    "citation_author",
    "article:author",
    "article:author_name",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "dcterms.creator",
    "author",
    "byl",
    "twitter:creator",
)
PUBLISHED_KEYS = (
    "article:published_time",
    "citation_publication_date",
    "citation_date",
    "citation_online_date",
    "parsely-pub-date",
    "og:published_time",
    "article:published",
    "datepublished",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "dcterms.created",
    "dc.date.created",
    "sailthru.date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publication_date",
    "date",
    "article.published",
    "published-date",
    "release_date",
    "originalpublicationdate",
    "cxenseparse:recs:publishtime",
    "og:article:published_time",
    "bt:pubdate",
    "analyticsattributes.articledate",
)
MODIFIED_KEYS = (
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "dcterms.modified",
    "dc.date.modified",
    "last-modified",
    "lastmod",
)
DESCRIPTION_KEYS = (
    "og:description",
    "description",
    "twitter:description",
    "dc.description",
    "dcterms.abstract",
    "citation_abstract",
)


@dataclass(slots=True)
class PageMeta:
    """Everything the ``<head>`` (and microdata in the body) says about the page."""

    values: dict[str, list[str]] = field(default_factory=dict)
    title_tag: str | None = None
    canonical: str | None = None
    lang: str | None = None
    rel_authors: list[str] = field(default_factory=list)
    time_datetimes: list[str] = field(default_factory=list)
    date_titles: list[str] = field(default_factory=list)  # title="..." of date-classed elements

    def first(self, keys: tuple[str, ...]) -> tuple[str, str] | None:
        """The first non-empty ``(key, value)`` in ``keys`` order."""
        for key in keys:
            for value in self.values.get(key, ()):
                if value:
                    return key, value
        return None

    def all(self, key: str) -> list[str]:
        return [v for v in self.values.get(key, ()) if v]


def _add(values: dict[str, list[str]], key: str, value: str | None) -> None:
    if not key or value is None:
        return
    value = collapse(value)
    if value:
        values.setdefault(key.strip().lower(), []).append(value)


_HEAD_SELECTOR = "meta, [itemprop], link[rel][href], time[datetime]"
_REL_AUTHOR = 'a[rel~="author" i]'
# elements whose title (or data-* attribute) may hold the date, and the word of the class
# (lower-cased) that a class selector needs
_DATE_TITLE_CLASSES = (
    ("date", '[class*="date" i][title]'),
    ("publish", '[class*="publish" i][title]'),
    ("published", "abbr.published[title]"),
    ("updated", '[class*="updated" i][title]'),
)
_DATE_ATTRIBUTES = ("data-date-time", "data-published", "data-publish-date", "data-date")
_DATE_ATTRIBUTE_SET = frozenset(_DATE_ATTRIBUTES)
# One query finds the elements of all three look-ups (each query walks the whole tree): the
# head's, a[rel] holding "author", those with a class and a title, those with a date attribute.
# Each element is then tested in Python for each selector it may match; a test that Python
# cannot settle for sure (case rules, quirks mode) is confirmed by lexbor on that element alone.
_ONE_QUERY = ", ".join(
    (
        _HEAD_SELECTOR,
        'a[rel*="author" i]',
        "[class][title]",
        *(f"[{name}]" for name in _DATE_ATTRIBUTES),
    )
)


def _date_title_matches(node: LexborNode, tag: str, attrs: dict[str, str | None]) -> int:
    """How many of the date-title selectors ``node`` matches (a query lists it as many times)."""
    count = 0
    if "title" in attrs:
        value = (attrs.get("class") or "").lower()
        for word, selector in _DATE_TITLE_CLASSES:
            if word in value and (word != "published" or tag == "abbr") and matches(node, selector):
                count += 1
    for name in _DATE_ATTRIBUTES:
        if name in attrs:
            count += 1
    return count


def _head_title(tree: LexborHTMLParser) -> LexborNode | None:
    """The first ``<title>`` child of ``<head>`` (``head > title``, without a query)."""
    head = tree.head
    child = head.first_child if head is not None else None
    while child is not None:
        if child.tag == "title":
            return child
        child = child.next
    return None


def _itemprop_value(node: LexborNode) -> str | None:
    attrs = node.attributes
    for name in ("content", "datetime"):
        if attrs.get(name):
            return attrs.get(name)
    if node.tag in {"meta", "link"}:
        return attrs.get("href")
    return node.text(deep=True)


def read_meta(tree: LexborHTMLParser) -> PageMeta:
    """Collect the page's metadata in one pass over ``meta``, ``link``, ``time`` and itemprops."""
    meta = PageMeta()
    # one query (:data:`_ONE_QUERY`); each kind of element is then read in the query's order,
    # kind after kind
    metas: list[dict[str, str | None]] = []
    itemprops: list[tuple[LexborNode, dict[str, str | None]]] = []
    links: list[dict[str, str | None]] = []
    rel_authors: list[LexborNode] = []
    date_titles: list[tuple[dict[str, str | None], int]] = []
    for node in distinct(tree.css(_ONE_QUERY)):
        tag = node.tag or ""
        attrs = node.attributes
        if tag == "meta":
            metas.append(attrs)
        elif "itemprop" in attrs:  # [itemprop]:not(meta)
            itemprops.append((node, attrs))
        if tag == "link" and "rel" in attrs and "href" in attrs:
            links.append(attrs)
        elif tag == "time" and "datetime" in attrs:
            value = attrs["datetime"]
            if value and value.strip():
                meta.time_datetimes.append(value.strip())
        if (
            tag == "a"
            and "author" in (attrs.get("rel") or "").lower()
            and matches(node, _REL_AUTHOR)
        ):
            rel_authors.append(node)
        if "title" in attrs or not _DATE_ATTRIBUTE_SET.isdisjoint(attrs):
            count = _date_title_matches(node, tag, attrs)
            if count:
                date_titles.append((attrs, count))
    for attrs in metas:
        content = attrs.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = attrs.get(attr)
            if key:
                for part in key.split():
                    _add(meta.values, part, content)
    for node, attrs in itemprops:
        key = attrs.get("itemprop") or ""
        low = key.lower()
        if low in {"datepublished", "datemodified", "headline"}:
            _add(meta.values, low, _itemprop_value(node))
    title = _head_title(tree) or tree.css_first("title:not(svg title)")
    if title is not None:
        meta.title_tag = collapse(title.text(deep=True)) or None
    for attrs in links:
        rel = (attrs.get("rel") or "").lower().split()
        href = attrs.get("href")
        if "canonical" in rel and href and meta.canonical is None:
            meta.canonical = href.strip()
    for node in rel_authors:
        if in_widget(node):
            continue
        text = collapse(node.text(deep=True))
        if text:
            meta.rel_authors.append(text)
    for attrs, count in date_titles:
        value = (
            attrs.get("data-published")
            or attrs.get("data-publish-date")
            or attrs.get("data-date-time")
            or attrs.get("data-date")
            or attrs.get("title")
        )
        if value and any(ch.isdigit() for ch in value) and len(value) <= 60:
            meta.date_titles.extend([value.strip()] * count)
    root = tree.root  # (the html element: the parser always makes one)
    if root is not None and root.tag == "html":
        lang = root.attributes.get("lang") or root.attributes.get("xml:lang")
        if lang and lang.strip():
            meta.lang = lang.strip()
    return meta
