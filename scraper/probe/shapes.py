"""Article links by URL shape and the pager's selector (pure, no I/O).

Same-site links are grouped by shape (``/analysis/<slug>``, ``/<YYYY>/<MM>/<slug>``,
``/news/<id>``); the strongest group gives the proposed ``link_pattern``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from statistics import mean
from urllib.parse import urlsplit

from scraper.config import ListingConfig
from scraper.discover import links_from_listing, same_site
from scraper.probe._types import LinkCluster

__all__ = ["NEXT_SELECTORS", "cluster_links", "find_next"]


NEXT_SELECTORS = (
    'a[rel~="next"]',
    "a.next",
    ".pager__link--next",
    ".pager__item--next a",
    ".pager-next a",
    "li.next a",
    ".pagination .next",
    "a.nextpostslink",
    'link[rel="next"]',
)
# Path segments of pages that are not articles: taxonomies, people, machinery.
_NOT_ARTICLES = frozenset(
    {"tag", "tags", "category", "categories", "author", "authors", "topic", "topics", "page"}
    | {"wp-content", "wp-json", "wp-admin", "feed", "search", "login", "account", "user"}
    | {"users", "people", "experts", "expert", "staff", "team", "cdn-cgi", "share", "print"}
)
_FILE = re.compile(r"\.(?:pdf|jpe?g|png|gif|svg|webp|css|js|xml|rss|zip|docx?|xlsx?|pptx?|mp[34])$")
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_SMALL = re.compile(r"^\d{1,2}$")
_DIGITS = re.compile(r"^\d+$")
_WORDS = re.compile(r"[-_+]+|%20")


_SECTION = "<*>"
MAX_SECTIONS = 8  # sections of one family written out as an alternation; more: any segment
_Member = tuple[str, list[str], bool]  # (URL, path segments, trailing slash)


def _token(segment: str, last: bool) -> str:
    if _YEAR.match(segment):
        return "<YYYY>"
    if _SMALL.match(segment):
        return "<MM>"
    if _DIGITS.match(segment):
        return "<id>"
    return "<slug>" if last else segment


def _words(segment: str) -> int:
    return len([w for w in _WORDS.split(segment) if w])


def cluster_links(links: Sequence[str], homepage: str) -> tuple[LinkCluster, ...]:
    """Group same-site links by URL shape, strongest first (see the module docstring).

    A segment is a year, a 1-2 digit number (month, day), an id, a literal, or (the last one)
    a slug. A group counts when it has two or more URLs, does not end in a date part (archive
    pages) and holds no taxonomy/people segment; its score is the number of URLs times how
    article-like the last segments are (words per slug, capped; an id counts as three), so
    ``/analysis/<five-word-slugs>`` beats ``/about/``, ``/contact-us/``, ``/privacy-policy/``.

    Shapes that differ only in a section (``/defense/commentary/<slug>``,
    ``/economy/report/<slug>``) also form a family, ``/(?:defense|economy)/...``, proposed when
    no one section holds more than half of its links.
    """
    home_path = urlsplit(homepage).path.rstrip("/")
    groups: dict[tuple[str, ...], list[_Member]] = {}
    for url in links:
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if parts.query or not same_site(url, homepage) or not segments:
            continue
        if parts.path.rstrip("/") == home_path or _FILE.search(segments[-1].lower()):
            continue
        if any(s.lower() in _NOT_ARTICLES for s in segments):
            continue
        tokens = tuple(_token(s, i == len(segments) - 1) for i, s in enumerate(segments))
        if tokens[-1] in {"<YYYY>", "<MM>"}:
            continue
        groups.setdefault(tokens, []).append((url, segments, parts.path.endswith("/")))
    clusters = [c for tokens, members in groups.items() if (c := _scored(tokens, members))]
    families: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for tokens in groups:
        families.setdefault(_family(tokens), []).append(tokens)
    for key, kinds in families.items():
        if len(kinds) < 2:
            continue
        family = _scored(key, [m for tokens in kinds for m in groups[tokens]])
        biggest = max(len({u for u, _, _ in groups[tokens]}) for tokens in kinds)
        if family is not None and biggest <= len(family.urls) / 2:  # no section dominates
            clusters.append(family)
    clusters.sort(key=lambda c: -c.score)
    return tuple(clusters)


def _family(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The shape with its sections (literal segments before the last) left open."""
    last = len(tokens) - 1
    return tuple(
        _SECTION if i < last and not t.startswith("<") else t for i, t in enumerate(tokens)
    )


def _scored(tokens: tuple[str, ...], members: list[_Member]) -> LinkCluster | None:
    urls = tuple(dict.fromkeys(u for u, _, _ in members))
    if len(urls) < 2:
        return None
    lasts = [segs[-1] for _, segs, _ in members]
    dated = any(t in {"<YYYY>", "<MM>", "<id>"} for t in tokens)
    quality = 3.0 if tokens[-1] == "<id>" else mean(min(_words(v), 8) for v in lasts)
    if quality < 2.0 and not dated:
        return None
    return _cluster(tokens, members, urls, quality * (1.2 if dated else 1.0))


def _cluster(
    tokens: tuple[str, ...], members: list[_Member], urls: tuple[str, ...], quality: float
) -> LinkCluster:
    regex: list[str] = []
    shape: list[str] = []
    literal: list[str] = []
    after_year = 0
    for i, tok in enumerate(tokens):
        values = [segs[i] for _, segs, _ in members]
        label = tok
        if tok == "<YYYY>":
            regex.append(r"\d{4}")
            after_year = 1
        elif tok == "<MM>":
            regex.append(r"\d{2}" if all(len(v) == 2 for v in values) else r"\d{1,2}")
            after_year += 1
            label = "<DD>" if after_year == 3 else "<MM>"
        elif tok == "<id>":
            regex.append(r"\d+")
        elif tok == "<slug>":
            regex.append("[^/]+-[^/]+" if all("-" in v for v in values) else "[^/]+")
        else:  # a literal segment, or a family's section
            sections = sorted(set(values))
            if len(sections) == 1:
                label = sections[0]
                regex.append(re.escape(label))
            else:
                label = "<section>"
                alternation = "(?:" + "|".join(re.escape(v) for v in sections) + ")"
                regex.append(alternation if len(sections) <= MAX_SECTIONS else "[^/]+")
        shape.append(label)
        if len(literal) == i and not label.startswith("<"):
            literal.append(label)
    trailing = {t for _, _, t in members}
    tail = "/" if trailing == {True} else "/?" if len(trailing) > 1 else ""
    listing_path = "/" + "".join(f"{s}/" for s in literal)
    return LinkCluster(
        shape="/" + "/".join(shape) + ("/" if True in trailing else ""),
        pattern="^https?://[^/]+/" + "/".join(regex) + tail + "$",
        urls=urls,
        score=round(len(urls) * quality, 2),
        listing_path=listing_path,
    )


def find_next(html: str, page_url: str, link_pattern: str) -> tuple[str, str] | None:
    """The first of :data:`NEXT_SELECTORS` that gives a same-site next page: ``(selector,
    next URL)``, read with the pipeline's own listing parser."""
    for selector in NEXT_SELECTORS:
        listing = ListingConfig(
            start_urls=[page_url], link_pattern=link_pattern, next_selector=selector
        )
        nxt = links_from_listing(html, page_url, listing).next_url
        if nxt and same_site(nxt, page_url):
            return selector, nxt
    return None
