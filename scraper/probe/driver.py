"""The I/O edge of the probe: a handful of polite requests through the fetcher."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

from protego import Protego

from scraper.config import ListingConfig
from scraper.discover import links_from_feed, links_from_listing, parse_sitemap, same_site
from scraper.errors import DiscoveryError
from scraper.extract import extract
from scraper.fetch import Fetcher
from scraper.models import FetchResult, FetchStatus
from scraper.probe._types import (
    FoundFeed,
    FoundSitemap,
    Homepage,
    LinkCluster,
    Listing,
    ProbeReport,
    SampleArticle,
)
from scraper.probe.proposal import (
    check_proposal,
    include_fits,
    propose,
    render_toml,
    sample_warnings,
)
from scraper.probe.shapes import cluster_links, find_next
from scraper.probe.site import (
    guess_timezone,
    read_homepage,
    robots_sitemaps,
    site_name,
    source_id_for,
)

__all__ = ["FEED_PATHS", "MAX_DECLARED", "SITEMAP_PATHS", "probe"]

_T = TypeVar("_T")

FEED_PATHS = ("/feed/", "/rss.xml", "/rss/", "/feed.xml", "/atom.xml")
SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml")
MAX_DECLARED = 3  # declared feeds / robots.txt sitemaps checked at most


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
    warnings += run.warnings + sample_warnings(samples)
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
