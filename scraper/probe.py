"""``scraper probe URL``: what discovery and extraction find on a new site, and a proposed
``[[sources]]`` block for it.

:func:`probe` is the I/O edge. Through the injected :class:`~scraper.fetch.Fetcher` (robots.txt
honoured, per-host spacing, every cap) it asks for a handful of pages, in order: the homepage;
robots.txt (for its ``Sitemap:`` lines); the feeds the homepage declares
(``<link rel="alternate" type="application/rss+xml|atom+xml">``), else the common feed paths
(:data:`FEED_PATHS`) until one answers; the robots.txt sitemaps, else :data:`SITEMAP_PATHS`
until one answers (plus one child of a sitemap index); the likely listing page; ``sample``
articles. A path group stops at the first challenge page: a host that blocks us is not asked
again and again.

The decisions are pure functions of fetched text: :func:`read_homepage`, :func:`cluster_links`
(same-site links grouped by URL shape, ``/analysis/<slug>``, ``/<YYYY>/<MM>/<slug>``; the
strongest group gives ``link_pattern``), :func:`find_next` (the pager's selector),
:func:`guess_timezone`, :func:`source_id_for`, :func:`propose`, :func:`render_toml` and
:func:`check_proposal` (the block validated by :func:`scraper.config.parse_config`).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from statistics import mean
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

from protego import Protego
from selectolax.lexbor import LexborHTMLParser

from scraper.config import ListingConfig, parse_config
from scraper.discover import (
    absolute_url,
    links_from_feed,
    links_from_listing,
    parse_sitemap,
    registrable_domain,
    same_site,
)
from scraper.errors import ConfigError, DiscoveryError
from scraper.extract import extract
from scraper.fetch import Fetcher
from scraper.models import FetchResult, FetchStatus

__all__ = [
    "FEED_PATHS",
    "SITEMAP_PATHS",
    "FoundFeed",
    "FoundSitemap",
    "Homepage",
    "LinkCluster",
    "Listing",
    "ProbeReport",
    "SampleArticle",
    "check_proposal",
    "cluster_links",
    "find_next",
    "guess_timezone",
    "probe",
    "propose",
    "read_homepage",
    "render_toml",
    "source_id_for",
]

_T = TypeVar("_T")

FEED_PATHS = ("/feed/", "/rss.xml", "/rss/", "/feed.xml", "/atom.xml")
SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml")
MAX_DECLARED = 3  # declared feeds / robots.txt sitemaps checked at most
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
_TITLE_SPLIT = re.compile(r"\s+[|\u2013\u2014\u00b7:\u00bb-]\s+")
_GENERIC_TITLES = frozenset({"home", "homepage", "home page", "welcome", "accueil", "главная"})
_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml"})
# Country-code domains whose country keeps one civil time (plus .ru, Moscow time for its
# institutes); anything else is left to the user.
_TLD_ZONES = {
    "ir": "Asia/Tehran", "ru": "Europe/Moscow", "by": "Europe/Minsk", "tr": "Europe/Istanbul",
    "ua": "Europe/Kyiv", "de": "Europe/Berlin", "fr": "Europe/Paris", "uk": "Europe/London",
    "it": "Europe/Rome", "pl": "Europe/Warsaw", "nl": "Europe/Amsterdam", "be": "Europe/Brussels",
    "ch": "Europe/Zurich", "at": "Europe/Vienna", "se": "Europe/Stockholm", "no": "Europe/Oslo",
    "fi": "Europe/Helsinki", "dk": "Europe/Copenhagen", "gr": "Europe/Athens",
    "hu": "Europe/Budapest",
    "il": "Asia/Jerusalem", "jp": "Asia/Tokyo", "kr": "Asia/Seoul", "cn": "Asia/Shanghai",
    "in": "Asia/Kolkata", "pk": "Asia/Karachi", "sg": "Asia/Singapore", "ae": "Asia/Dubai",
    "qa": "Asia/Qatar", "sa": "Asia/Riyadh", "eg": "Africa/Cairo",
}  # fmt: skip


# -- values ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Homepage:
    """What the homepage says: ``links`` are its same-site links (absolute, page order)."""

    url: str
    title: str | None = None
    site_name: str | None = None
    language: str | None = None
    feed_links: tuple[str, ...] = ()
    links: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LinkCluster:
    """Same-site links of one URL shape (``/analysis/<slug>``); ``pattern`` matches exactly
    them (a regex on the absolute URL); ``listing_path`` is the literal path before the first
    variable segment (``/analysis/``), the likely listing page."""

    shape: str
    pattern: str
    urls: tuple[str, ...]
    score: float
    listing_path: str


@dataclass(frozen=True, slots=True)
class FoundFeed:
    """A feed that answered and parsed: ``via`` is ``head`` or ``common path``."""

    url: str
    via: str
    entries: int
    newest: datetime | None
    links: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FoundSitemap:
    """A sitemap that answered and parsed (``via``: ``robots.txt`` or ``common path``);
    ``links`` are URLs of it or of its first child when it is an index."""

    url: str
    via: str
    kind: str  # "urlset" or "index"
    urls: int
    children: int
    links: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Listing:
    """The proposed listing: where it starts, what links it yields, how it paginates."""

    start_url: str
    link_pattern: str
    shape: str
    links: int
    next_selector: str | None = None
    next_url: str | None = None


@dataclass(frozen=True, slots=True)
class SampleArticle:
    """One sampled article as the generic extractor sees it (``status``: a FetchStatus)."""

    url: str
    status: str
    error: str | None = None
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    body_chars: int = 0
    field_sources: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ProbeReport:
    """Everything :func:`probe` found. ``toml`` is the proposed ``[[sources]]`` block (``None``
    when nothing usable was found), ``problems`` what :func:`check_proposal` said of it (empty:
    valid), ``requests`` the HTTP requests the probe sent (robots.txt included)."""

    url: str
    homepage: str
    status: str
    source_id: str
    name: str
    language: str | None
    timezone: str | None
    feeds: tuple[FoundFeed, ...] = ()
    sitemaps: tuple[FoundSitemap, ...] = ()
    clusters: tuple[LinkCluster, ...] = ()
    listing: Listing | None = None
    samples: tuple[SampleArticle, ...] = ()
    warnings: tuple[str, ...] = ()
    toml: str | None = None
    problems: tuple[str, ...] = ()
    requests: int = 0

    @property
    def valid(self) -> bool:
        return self.toml is not None and not self.problems

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (datetimes as ISO strings)."""
        data = asdict(self)
        data["valid"] = self.valid
        for f in data["feeds"]:
            f["newest"] = f["newest"].isoformat() if f["newest"] else None
        for s in data["samples"]:
            s["published"] = s["published"].isoformat() if s["published"] else None
            s["field_sources"] = dict(s["field_sources"])
        return data


# -- pure decisions ----------------------------------------------------------------------------


def _clean(text: str | None) -> str | None:
    text = " ".join((text or "").split())
    return text or None


def read_homepage(html: str, url: str) -> Homepage:
    """Title, site name, language, declared feeds and same-site links of the homepage."""
    tree = LexborHTMLParser(html)
    base_node = tree.css_first("base[href]")
    base = absolute_url(base_node.attributes.get("href"), url) if base_node else None
    base = base or url
    title_node = tree.css_first("title")
    site_name = tree.css_first('meta[property="og:site_name"]')
    language = None
    html_node = tree.css_first("html")
    lang = html_node.attributes.get("lang") if html_node is not None else None
    if not lang:
        locale = tree.css_first('meta[property="og:locale"]')
        lang = locale.attributes.get("content") if locale is not None else None
    if lang:
        language = re.split(r"[-_]", lang.strip())[0].lower() or None
    feeds: list[str] = []
    for node in tree.css('link[rel~="alternate"][href]'):
        kind = (node.attributes.get("type") or "").split(";")[0].strip().lower()
        href = absolute_url(node.attributes.get("href"), base)
        label = f"{node.attributes.get('title') or ''} {href or ''}".lower()
        if kind in _FEED_TYPES and href and "comment" not in label and href not in feeds:
            feeds.append(href)
    links: list[str] = []
    seen: set[str] = set()
    for node in tree.css("a[href]"):
        link = absolute_url(node.attributes.get("href"), base)
        if link and link not in seen and same_site(link, url):
            seen.add(link)
            links.append(link)
    return Homepage(
        url=url,
        title=_clean(title_node.text() if title_node is not None else None),
        site_name=_clean(site_name.attributes.get("content") if site_name is not None else None),
        language=language,
        feed_links=tuple(feeds),
        links=tuple(links),
    )


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
    """
    home_path = urlsplit(homepage).path.rstrip("/")
    groups: dict[tuple[str, ...], list[tuple[str, list[str], bool]]] = {}
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
    clusters: list[LinkCluster] = []
    for tokens, members in groups.items():
        urls = tuple(dict.fromkeys(u for u, _, _ in members))
        if len(urls) < 2:
            continue
        lasts = [segs[-1] for _, segs, _ in members]
        dated = any(t in {"<YYYY>", "<MM>", "<id>"} for t in tokens)
        quality = 3.0 if tokens[-1] == "<id>" else mean(min(_words(v), 8) for v in lasts)
        if quality < 2.0 and not dated:
            continue
        clusters.append(_cluster(tokens, members, urls, quality * (1.2 if dated else 1.0)))
    clusters.sort(key=lambda c: -c.score)
    return tuple(clusters)


def _cluster(
    tokens: tuple[str, ...],
    members: list[tuple[str, list[str], bool]],
    urls: tuple[str, ...],
    quality: float,
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
        else:
            regex.append(re.escape(tok))
        shape.append(label)
        if len(literal) == i and not tok.startswith("<"):
            literal.append(tok)
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


def guess_timezone(host: str) -> str | None:
    """An IANA zone when the country-code domain makes it obvious (``ipis.ir`` ->
    ``Asia/Tehran``); ``None`` otherwise."""
    return _TLD_ZONES.get(host.rstrip(".").lower().rsplit(".", 1)[-1])


def source_id_for(host: str) -> str:
    """A config id from the host: ``www.newinstitute.org`` -> ``newinstitute``,
    ``en.valdaiclub.com`` -> ``valdaiclub``, ``127.0.0.1`` -> ``127-0-0-1``."""
    domain = registrable_domain(host)
    label = domain if re.match(r"^[\d.:\[\]]+$", domain) else domain.split(".")[0]
    ident = re.sub(r"[^a-z0-9_-]+", "-", label.lower()).strip("-_")[:64]
    return ident or "site"


def site_name(home: Homepage, host: str) -> str:
    """``og:site_name``, else the non-generic first part of ``<title>``, else the host."""
    if home.site_name:
        return home.site_name
    for part in _TITLE_SPLIT.split(home.title or ""):
        if part.strip() and part.strip().lower() not in _GENERIC_TITLES:
            return part.strip()
    return host


def include_fits(
    pattern: str, feeds: Sequence[FoundFeed], sitemaps: Sequence[FoundSitemap]
) -> bool:
    """Whether ``include = [pattern]`` keeps what the feeds and sitemaps offer: at least 80 %
    of the feed entries and at least one sitemap URL (when there are any)."""
    rx = re.compile(pattern)
    feed_links = [u for f in feeds for u in f.links]
    if feed_links and sum(bool(rx.search(u)) for u in feed_links) < 0.8 * len(feed_links):
        return False
    site_links = [u for s in sitemaps for u in s.links]
    return not site_links or any(rx.search(u) for u in site_links)


def propose(
    *,
    source_id: str,
    name: str,
    homepage: str,
    language: str | None,
    timezone: str | None,
    feeds: Sequence[FoundFeed],
    sitemaps: Sequence[FoundSitemap],
    listing: Listing | None,
    include: str | None,
) -> dict[str, Any] | None:
    """The ``[[sources]]`` table, or ``None`` without any way to discover articles."""
    if not feeds and not sitemaps and listing is None:
        return None
    source: dict[str, Any] = {"id": source_id, "name": name, "homepage": homepage}
    if language:
        source["language"] = language
    if timezone:
        source["timezone"] = timezone
    if feeds:
        source["feeds"] = [f.url for f in feeds]
    if sitemaps:
        source["sitemaps"] = [s.url for s in sitemaps]
    if include:
        source["include"] = [include]
    if listing is not None:
        table: dict[str, Any] = {
            "start_urls": [listing.start_url],
            "link_pattern": listing.link_pattern,
        }
        if listing.next_selector:
            table["next_selector"] = listing.next_selector
        source["listing"] = table
    return source


def _toml_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if "\\" in text and "'" not in text and not any(ord(c) < 32 or ord(c) == 127 for c in text):
        return f"'{text}'"  # a literal string keeps a regex readable
    return json.dumps(text, ensure_ascii=False)  # JSON escapes are valid TOML basic strings


def render_toml(source: dict[str, Any], comments: Sequence[str] = ()) -> str:
    """``source`` as one ``[[sources]]`` block (sub-tables after the plain keys)."""
    lines = [f"# {c}" for c in comments]
    lines.append("[[sources]]")
    tables = {k: v for k, v in source.items() if isinstance(v, dict)}
    lines += [f"{k} = {_toml_value(v)}" for k, v in source.items() if k not in tables]
    for key, table in tables.items():
        lines += ["", f"[sources.{key}]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def check_proposal(toml_text: str) -> tuple[str, ...]:
    """What :func:`scraper.config.parse_config` says of the block (empty: valid)."""
    try:
        parse_config(tomllib.loads(toml_text), origin="proposal")
    except tomllib.TOMLDecodeError as e:
        return (f"<toml>: {e}",)
    except ConfigError as e:
        return tuple(e.problems) or (str(e),)
    return ()


def robots_sitemaps(text: str) -> tuple[str, ...]:
    """The ``Sitemap:`` lines of a robots.txt."""
    return tuple(dict.fromkeys(Protego.parse(text).sitemaps))


# -- the I/O edge ------------------------------------------------------------------------------


class _Probe:
    def __init__(self, fetcher: Fetcher, now: datetime) -> None:
        self.fetcher = fetcher
        self.now = now
        self.warnings: list[str] = []

    async def feeds(self, home: Homepage | None, base: str) -> list[FoundFeed]:
        declared = list(home.feed_links[:MAX_DECLARED]) if home else []
        found = await self._try(declared, "head", self._feed, stop_at_first=False)
        if not found:
            common = [urljoin(base, p) for p in FEED_PATHS if urljoin(base, p) not in declared]
            found = await self._try(common, "common path", self._feed, stop_at_first=True)
        return found

    async def sitemaps(self, listed: Sequence[str], base: str) -> list[FoundSitemap]:
        found = await self._try(list(listed[:MAX_DECLARED]), "robots.txt", self._sitemap, False)
        if not found:
            common = [urljoin(base, p) for p in SITEMAP_PATHS if urljoin(base, p) not in listed]
            found = await self._try(common, "common path", self._sitemap, stop_at_first=True)
        return found

    async def _try(
        self,
        urls: list[str],
        via: str,
        read: Callable[[FetchResult, str], Awaitable[_T]],
        stop_at_first: bool,
    ) -> list[_T]:
        """Fetch ``urls`` in turn and read each; stop at a challenge page (and, for guessed
        paths, at the first hit). Failures of declared URLs become warnings."""
        found: list[_T] = []
        for url in urls:
            result = await self.fetcher.fetch(url, accept="xml")
            if result.status is FetchStatus.BLOCKED:
                self.warnings.append(f"{url}: blocked ({result.error}); not trying more paths")
                break
            if not result.ok:
                if via != "common path":
                    self.warnings.append(f"{url} ({via}): {result.status.value}: {result.error}")
                continue
            try:
                item = await read(result, via)
            except DiscoveryError as e:
                if via != "common path":
                    self.warnings.append(f"{url} ({via}): {e}")
                continue
            found.append(item)
            if stop_at_first:
                break
        return found

    async def _feed(self, result: FetchResult, via: str) -> FoundFeed:
        entries = links_from_feed(result.content, result.final_url)
        dates = [c.lastmod for c in entries if c.lastmod]
        links = tuple(c.url for c in entries)
        return FoundFeed(result.final_url, via, len(entries), max(dates, default=None), links)

    async def _sitemap(self, result: FetchResult, via: str) -> FoundSitemap:
        doc = parse_sitemap(
            result.content, result.final_url, max_bytes=self.fetcher.config.max_bytes
        )
        links = tuple(u for u, _ in doc.urls)
        if doc.children:  # one child, the newest, for example URLs
            order = sorted(
                range(len(doc.children)),
                key=lambda i: doc.child_lastmods[i] or datetime.min.replace(tzinfo=self.now.tzinfo),
                reverse=True,
            )
            child = await self.fetcher.fetch(doc.children[order[0]], accept="xml")
            if child.ok:
                try:
                    cdoc = parse_sitemap(child.content, child.final_url)
                    links = tuple(u for u, _ in cdoc.urls)
                except DiscoveryError as e:
                    self.warnings.append(f"{child.final_url}: {e}")
        kind = "index" if doc.children else "urlset"
        return FoundSitemap(
            result.final_url, via, kind, len(doc.urls), len(doc.children), links[:200]
        )

    async def listing(self, home: Homepage, html: str, cluster: LinkCluster) -> Listing:
        """The cluster's own section page when the homepage links to it and it lists such
        links, else the homepage."""
        candidates = [
            u
            for u in home.links
            if urlsplit(u).path.rstrip("/") + "/" == cluster.listing_path
            and cluster.listing_path != "/"
            and not urlsplit(u).query
        ]
        pages: list[tuple[str, str]] = []
        if candidates:
            result = await self.fetcher.fetch(candidates[0])
            if result.ok:
                pages.append((result.final_url, result.text))
        pages.append((home.url, html))
        for url, text in pages:
            config = ListingConfig(start_urls=[url], link_pattern=cluster.pattern)
            found = links_from_listing(text, url, config).links
            if found or url == home.url:
                nxt = find_next(text, url, cluster.pattern)
                return Listing(
                    url,
                    cluster.pattern,
                    cluster.shape,
                    len(found),
                    nxt[0] if nxt else None,
                    nxt[1] if nxt else None,
                )
        raise AssertionError("unreachable: the homepage is always a candidate")

    async def sample(self, url: str, language: str | None, tz: str | None) -> SampleArticle:
        result = await self.fetcher.fetch(url)
        if not result.ok:
            return SampleArticle(url, result.status.value, result.error)
        art = extract(result.text, result.final_url, language=language, timezone=tz, now=self.now)
        if art.blocked:
            return SampleArticle(url, FetchStatus.BLOCKED.value, "challenge page")
        return SampleArticle(
            result.final_url,
            result.status.value,
            title=art.title,
            authors=art.authors,
            published=art.published,
            body_chars=len(art.body_text),
            field_sources=tuple(sorted(art.field_sources.items())),
        )


def _sample_urls(
    listing_links: Sequence[str],
    feeds: Sequence[FoundFeed],
    sitemaps: Sequence[FoundSitemap],
    homepage: str,
    n: int,
) -> list[str]:
    pool = [
        *listing_links,
        *(u for f in feeds for u in f.links),
        *(u for s in sitemaps for u in s.links),
    ]
    return [u for u in dict.fromkeys(pool) if same_site(u, homepage)][:n]


def _sample_warnings(samples: Sequence[SampleArticle]) -> list[str]:
    ok = [s for s in samples if s.status == FetchStatus.OK.value]
    lines = [f"sample {s.url}: {s.status}: {s.error}" for s in samples if s not in ok]
    if ok and not any(s.published for s in ok):
        lines.append(
            "no dates found in the sampled articles: add [sources.rules] date "
            "(check with `scraper extract --source ID URL`)"
        )
    elif ok and not all(s.published for s in ok):
        lines.append("some sampled articles have no date: check them with `scraper extract`")
    if ok and not any(s.authors for s in ok):
        lines.append("no authors found in the sampled articles: consider [sources.rules] authors")
    if ok and any(s.body_chars < 500 for s in ok):
        lines.append(
            "some sampled bodies are shorter than 500 characters: check [sources.rules] body"
        )
    return lines


async def probe(
    url: str,
    fetcher: Fetcher,
    *,
    now: datetime,
    sample: int = 3,
    taken_ids: frozenset[str] = frozenset(),
) -> ProbeReport:
    """Probe the site at ``url`` (see the module docstring); never raises for a fault of the
    site: it becomes a warning. ``taken_ids`` are ids already configured (the proposed id
    avoids them)."""
    requests_before = fetcher.stats.requests
    run = _Probe(fetcher, now)
    result = await fetcher.fetch(url)
    homepage = result.final_url if result.ok else url
    host = urlsplit(homepage).hostname or ""
    warnings: list[str] = []
    if result.status is FetchStatus.BLOCKED:
        warnings.append(
            f"homepage blocked by a bot challenge ({result.error}): scheduled runs will be "
            "blocked too, unless its feeds or sitemaps answer"
        )
    elif result.status is FetchStatus.DISALLOWED:
        warnings.append(f"robots.txt disallows the homepage for our user agent ({result.error})")
    elif not result.ok:
        warnings.append(f"homepage: {result.status.value}: {result.error}")
    home = read_homepage(result.text, homepage) if result.ok else None
    robots = await fetcher.fetch(urljoin(homepage, "/robots.txt"), accept="any")
    listed = robots_sitemaps(robots.text) if robots.ok else ()
    agent = fetcher.config.user_agent
    robots_blocks = robots.ok and not Protego.parse(robots.text).can_fetch(homepage, agent)
    if robots_blocks and result.status is not FetchStatus.DISALLOWED:
        warnings.append("robots.txt disallows the homepage for our user agent")
    feeds = await run.feeds(home, homepage)
    sitemaps = await run.sitemaps(listed, homepage)
    clusters = cluster_links(home.links, homepage) if home else ()
    listing = None
    listing_links: tuple[str, ...] = ()
    if home is not None and clusters:
        listing = await run.listing(home, result.text, clusters[0])
        listing_links = clusters[0].urls
    elif home is not None:
        warnings.append(
            "no group of article-like links on the homepage: give [sources.listing] start_urls "
            "and link_selector by hand"
        )
    language = home.language if home else None
    timezone = guess_timezone(host)
    samples = [
        await run.sample(u, language, timezone)
        for u in _sample_urls(listing_links, feeds, sitemaps, homepage, sample)
    ]
    include = None
    if listing is not None:
        if include_fits(listing.link_pattern, feeds, sitemaps):
            include = listing.link_pattern
        else:
            warnings.append("feed/sitemap URLs do not match the link pattern: no include proposed")
    ident = source_id_for(host) if host else "site"
    if ident in taken_ids:
        ident = next(f"{ident}-{i}" for i in range(2, 1000) if f"{ident}-{i}" not in taken_ids)
    name = site_name(home, host) if home else host
    table = propose(
        source_id=ident,
        name=name,
        homepage=homepage,
        language=language,
        timezone=timezone,
        feeds=feeds,
        sitemaps=sitemaps,
        listing=listing,
        include=include,
    )
    toml = problems = None
    if table is None:
        warnings.append("no feed, sitemap or listing found: no [[sources]] block proposed")
    else:
        ok = sum(s.status == FetchStatus.OK.value for s in samples)
        dated = sum(s.published is not None for s in samples)
        toml = render_toml(
            table,
            [
                f"proposed by `scraper probe` on {now:%Y-%m-%d}: {len(feeds)} feed(s), "
                f"{len(sitemaps)} sitemap(s), listing {'yes' if listing else 'no'}; "
                f"{ok}/{len(samples)} sampled articles extracted, {dated} with a date",
            ],
        )
        problems = check_proposal(toml)
    warnings += run.warnings + _sample_warnings(samples)
    if language is None and home is not None:
        warnings.append("the homepage declares no language (<html lang>): `en` is the default")
    return ProbeReport(
        url=url,
        homepage=homepage,
        status=result.status.value,
        source_id=ident,
        name=name,
        language=language,
        timezone=timezone,
        feeds=tuple(feeds),
        sitemaps=tuple(sitemaps),
        clusters=clusters[:5],
        listing=listing,
        samples=tuple(samples),
        warnings=tuple(dict.fromkeys(warnings)),
        toml=toml,
        problems=problems or (),
        requests=fetcher.stats.requests - requests_before,
    )
