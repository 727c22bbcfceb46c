"""Discovery: which article URLs a source offers now (listing pages, sitemaps, feeds together).

The parsers (:func:`links_from_listing`, :func:`page_urls`, :func:`parse_sitemap`,
:func:`links_from_feed`, :func:`url_allowed`, and :func:`site_icons`, the icons a page names for
the source's feeds) are pure. :func:`discover` is the I/O edge: it reads every way a source
configures through the fetcher, merges the candidates and decides what is worth fetching
(:func:`select`, pure). A failing page is one line of ``Discovery.errors``; the other ways go
on.
"""

from __future__ import annotations

from scraper.discover._types import Candidate
from scraper.discover.driver import Discovery, Fetches, discover, select
from scraper.discover.feed import links_from_feed
from scraper.discover.filters import registrable_domain, same_site, url_allowed
from scraper.discover.icons import site_icons
from scraper.discover.listing import ListingPage, absolute_url, links_from_listing, page_urls
from scraper.discover.sitemap import Sitemap, parse_sitemap, parse_w3c_datetime
from scraper.errors import DiscoveryError

__all__ = [
    "Candidate",
    "Discovery",
    "DiscoveryError",
    "Fetches",
    "ListingPage",
    "Sitemap",
    "absolute_url",
    "discover",
    "links_from_feed",
    "links_from_listing",
    "page_urls",
    "parse_sitemap",
    "parse_w3c_datetime",
    "registrable_domain",
    "same_site",
    "select",
    "site_icons",
    "url_allowed",
]
