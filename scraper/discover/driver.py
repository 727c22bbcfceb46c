"""The discovery driver: fetch a source's listing pages, sitemaps and feeds; decide what to fetch.

:func:`discover` does the I/O (through an injected fetcher, so robots, spacing, retries and
caps apply), :func:`select` is the pure decision. Bounds: ``max_pages`` listing pages per start
URL, sitemap indexes nested at most :data:`MAX_SITEMAP_DEPTH` deep and at most
:data:`MAX_CHILD_SITEMAPS` child sitemaps per source (newest ``lastmod`` first), the result
capped at ``source.max_articles``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from scraper.config import ListingConfig, SourceConfig
from scraper.discover._types import Candidate
from scraper.discover.feed import links_from_feed
from scraper.discover.filters import same_site, url_allowed
from scraper.discover.listing import links_from_listing, page_urls
from scraper.discover.sitemap import DEFAULT_MAX_BYTES, parse_sitemap
from scraper.errors import DiscoveryError
from scraper.models import ArticleLink, FetchResult, FetchStatus

__all__ = ["MAX_CHILD_SITEMAPS", "MAX_SITEMAP_DEPTH", "Discovery", "Fetches", "discover", "select"]

log = logging.getLogger(__name__)

MAX_SITEMAP_DEPTH = 3  # index -> index -> index -> urlset; deeper children are not read
MAX_CHILD_SITEMAPS = 50  # child sitemaps read per source and run

Found = tuple[str, Candidate]  # (found_via, candidate)


class Fetches(Protocol):
    """What discovery needs of :class:`scraper.fetch.Fetcher`."""

    def fetch(
        self, url: str, *, accept: Literal["html", "xml", "any"] = "html"
    ) -> Awaitable[FetchResult]: ...


@dataclass(frozen=True, slots=True)
class Discovery:
    """What discovery found for one source.

    ``links`` are the URLs to fetch, newest ``lastmod`` first (links without one after them, in
    the order found), at most ``source.max_articles``; ``listing_pages`` counts the listing
    pages, sitemaps and feeds read; ``errors`` holds one human line per failed page
    (``listing https://x.org/a?page=2 : HTTP 500 after 3 attempts``); ``blocked`` and
    ``disallowed`` count pages refused by a challenge page or by robots.txt (also in ``errors``).
    """

    links: tuple[ArticleLink, ...]
    listing_pages: int = 0
    errors: tuple[str, ...] = ()
    blocked: int = 0
    disallowed: int = 0


def _aware(when: datetime | None) -> datetime | None:
    if when is not None and when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when


def select(
    source: SourceConfig,
    found: Sequence[Found],
    *,
    since: datetime | None,
    known: Mapping[str, datetime | None] | None = None,
) -> tuple[ArticleLink, ...]:
    """Merge candidates and decide which to fetch (pure).

    The same URL found several ways is one link with the newest ``lastmod`` (``found_via`` of
    its first finding, the first title offered). Then: :func:`url_allowed`; a ``lastmod``
    older than ``since`` drops it (no ``lastmod``: kept); a ``known`` URL is kept only when its
    ``lastmod`` is newer than the stored one. Newest first, undated in order found, capped at
    ``source.max_articles``.
    """
    since = _aware(since)
    merged: dict[str, ArticleLink] = {}
    for via, cand in found:
        lastmod = _aware(cand.lastmod)
        prev = merged.get(cand.url)
        if prev is None:
            merged[cand.url] = ArticleLink(cand.url, source.id, via, lastmod, cand.title)
            continue
        newest = prev.lastmod
        if lastmod is not None and (newest is None or lastmod > newest):
            newest = lastmod
        merged[cand.url] = ArticleLink(
            prev.url, source.id, prev.found_via, newest, prev.title or cand.title
        )
    known = known or {}
    kept: list[ArticleLink] = []
    for link in merged.values():
        if not url_allowed(link.url, source):
            continue
        if since is not None and link.lastmod is not None and link.lastmod < since:
            continue
        if link.url in known:
            stored = _aware(known[link.url])
            if link.lastmod is None or (stored is not None and link.lastmod <= stored):
                continue
        kept.append(link)
    dated = sorted(
        (lk for lk in kept if lk.lastmod is not None),
        key=lambda lk: lk.lastmod or datetime.min.replace(tzinfo=UTC),
        reverse=True,
    )
    undated = [lk for lk in kept if lk.lastmod is None]
    return tuple((dated + undated)[: source.max_articles])


class _Run:
    """The mutable tally of one discovery; each way appends to it."""

    def __init__(
        self,
        source: SourceConfig,
        fetcher: Fetches,
        *,
        since: datetime | None,
        known: Mapping[str, datetime | None],
    ) -> None:
        self.source = source
        self.fetcher = fetcher
        self.since = since
        self.known = known
        self.pages = 0
        self._errors: list[tuple[int, str]] = []  # (way number, line): reported in way order
        self.blocked = 0
        self.disallowed = 0

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(line for _, line in sorted(self._errors, key=lambda e: e[0]))

    async def get(
        self,
        way: int,
        kind: str,
        url: str,
        accept: Literal["html", "xml"],
        *,
        quiet_404: bool = False,
    ) -> FetchResult | None:
        """The fetched page, or ``None`` after recording why not."""
        result = await self.fetcher.fetch(url, accept=accept)
        if result.ok:
            self.pages += 1
            return result
        status = result.status
        if status is FetchStatus.NOT_MODIFIED or (quiet_404 and result.http_status == 404):
            return None
        if status is FetchStatus.BLOCKED:
            self.blocked += 1
            detail = f"blocked ({result.error or 'challenge page'})"
        elif status is FetchStatus.DISALLOWED:
            self.disallowed += 1
            detail = result.error or "disallowed by robots.txt"
        elif status is FetchStatus.NOT_HTML:
            detail = f"not HTML ({result.content_type or 'unknown type'})"
        elif result.error:
            detail = result.error
        elif result.http_status is not None:
            detail = f"HTTP {result.http_status} after {result.attempts} attempts"
        else:
            detail = "fetch failed"
        self.fail(way, kind, url, detail)
        return None

    def fail(self, way: int, kind: str, url: str, detail: str) -> None:
        self._errors.append((way, f"{kind} {url} : {detail}"))

    def useful(self, url: str) -> bool:
        return url not in self.known and url_allowed(url, self.source)

    async def listing_chain(
        self,
        way: int,
        listing: ListingConfig,
        start: str,
        template: Iterator[str] | None,
        max_pages: int,
    ) -> list[Found]:
        """One start URL and its next pages, until ``max_pages``, the end, or a page with
        nothing new (not seen in this chain, not already known, allowed)."""
        out: list[Found] = []
        seen: set[str] = set()
        visited: set[str] = set()
        url: str | None = start
        while url is not None and len(visited) < max_pages and url not in visited:
            visited.add(url)
            result = await self.get(way, "listing", url, "html", quiet_404=len(visited) > 1)
            if result is None:
                break
            try:
                page = links_from_listing(result.text, result.final_url, listing)
            except Exception as e:  # a parser fault on one page must not stop the others
                log.exception("listing %s could not be parsed", url)
                self.fail(way, "listing", url, f"{type(e).__name__}: {e}")
                break
            if not page.links and len(visited) == 1:
                self.fail(way, "listing", url, "no article links matched (check the selectors)")
                break
            titles = page.titles or (None,) * len(page.links)
            fresh = 0
            for link, title in zip(page.links, titles, strict=True):
                if link in seen:
                    continue
                seen.add(link)
                out.append(("listing", Candidate(link, None, title)))
                fresh += self.useful(link)
            if not fresh:
                break
            url = page.next_url or (next(template, None) if template is not None else None)
        return out

    async def sitemaps(self, way: int, roots: Sequence[str]) -> list[Found]:
        """Sitemaps and their index children, breadth first, bounded in depth and count."""
        out: list[Found] = []
        queue: list[tuple[str, int]] = [(u, 0) for u in roots]
        visited: set[str] = set()
        children = 0
        while queue:
            url, depth = queue.pop(0)
            if url in visited:
                continue
            visited.add(url)
            result = await self.get(way, "sitemap", url, "xml")
            if result is None:
                continue
            body = result.content or result.text.encode("utf-8")
            try:
                sitemap = parse_sitemap(body, result.final_url, max_bytes=DEFAULT_MAX_BYTES)
            except DiscoveryError as e:
                self.fail(way, "sitemap", url, str(e))
                continue
            except Exception as e:
                log.exception("sitemap %s could not be parsed", url)
                self.fail(way, "sitemap", url, f"{type(e).__name__}: {e}")
                continue
            out.extend(("sitemap", Candidate(u, m)) for u, m in sitemap.urls)
            if not sitemap.children:
                continue
            if depth >= MAX_SITEMAP_DEPTH:
                log.info("sitemap %s: nested deeper than %d, children skipped", url, depth)
                continue
            pairs = sorted(  # newest first, undated after them in document order
                zip(sitemap.children, sitemap.child_lastmods, strict=True),
                key=lambda p: (p[1] is None, -p[1].timestamp() if p[1] else 0.0),
            )
            for child, lastmod in pairs:
                if self.since is not None and lastmod is not None and lastmod < self.since:
                    continue
                if child in visited or not same_site(child, self.source.homepage):
                    continue
                if children >= MAX_CHILD_SITEMAPS:
                    log.info(
                        "source %s: %d child sitemaps read, rest skipped", self.source.id, children
                    )
                    break
                children += 1
                queue.append((child, depth + 1))
        return out

    async def feed(self, way: int, url: str) -> list[Found]:
        result = await self.get(way, "feed", url, "xml")
        if result is None:
            return []
        body = result.content or result.text.encode("utf-8")
        try:
            return [("feed", c) for c in links_from_feed(body, result.final_url)]
        except DiscoveryError as e:
            self.fail(way, "feed", url, str(e))
        except Exception as e:
            log.exception("feed %s could not be parsed", url)
            self.fail(way, "feed", url, f"{type(e).__name__}: {e}")
        return []


async def discover(
    source: SourceConfig,
    fetcher: Fetches,
    *,
    since: datetime | None,
    max_pages: int | None = None,
    known: Mapping[str, datetime | None] | None = None,
    now: datetime | None = None,
) -> Discovery:
    """Find the article URLs ``source`` offers, all its ways together (see :func:`select`).

    ``since`` bounds how far back (``None``: ``now - source.backfill_days`` when that is set,
    else no bound; ``now`` defaults to the current time and is read only then); ``max_pages``
    overrides ``listing.max_pages``; ``known`` maps stored URLs to the ``lastmod`` seen last
    time. Never raises for a failing page: it becomes one line of ``errors``.
    """
    if since is None and source.backfill_days is not None:
        since = (now or datetime.now(UTC)) - timedelta(days=source.backfill_days)
    since = _aware(since)
    known = known or {}
    run = _Run(source, fetcher, since=since, known=known)
    ways: list[Awaitable[list[Found]]] = []
    listing = source.listing
    if listing is not None:
        pages = max_pages if max_pages is not None else listing.max_pages
        for i, start in enumerate(listing.start_urls):
            template = page_urls(listing) if i == 0 and listing.page_template else None
            ways.append(run.listing_chain(len(ways), listing, start, template, max(pages, 1)))
    for url in source.feeds:
        ways.append(run.feed(len(ways), url))
    if source.sitemaps:
        ways.append(run.sitemaps(len(ways), source.sitemaps))
    results = await asyncio.gather(*ways)
    found = [item for way in results for item in way]
    return Discovery(
        links=select(source, found, since=since, known=known),
        listing_pages=run.pages,
        errors=tuple(run.errors),
        blocked=run.blocked,
        disallowed=run.disallowed,
    )
