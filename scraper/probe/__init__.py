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

from scraper.probe._types import (
    FoundFeed,
    FoundSitemap,
    Homepage,
    LinkCluster,
    Listing,
    ProbeReport,
    SampleArticle,
)
from scraper.probe.driver import FEED_PATHS, SITEMAP_PATHS, probe
from scraper.probe.proposal import check_proposal, include_fits, propose, render_toml
from scraper.probe.shapes import NEXT_SELECTORS, cluster_links, find_next
from scraper.probe.site import (
    guess_timezone,
    read_homepage,
    robots_sitemaps,
    site_name,
    source_id_for,
)

__all__ = [
    "FEED_PATHS",
    "NEXT_SELECTORS",
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
    "include_fits",
    "probe",
    "propose",
    "read_homepage",
    "render_toml",
    "robots_sitemaps",
    "site_name",
    "source_id_for",
]
