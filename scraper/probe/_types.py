"""The values :mod:`scraper.probe` passes around and reports (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "FoundFeed",
    "FoundSitemap",
    "Homepage",
    "LinkCluster",
    "Listing",
    "ProbeReport",
    "SampleArticle",
]


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
