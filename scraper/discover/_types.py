"""Values shared by the discovery parsers (internal to :mod:`scraper.discover`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scraper.errors import ScraperError

__all__ = ["Candidate", "DiscoveryError"]


class DiscoveryError(ScraperError):
    """A listing, sitemap or feed document could not be read (bad XML, refused entities, too big).

    A subclass of :class:`scraper.errors.ScraperError`; the driver turns it into one line of
    ``Discovery.errors`` and goes on with the other ways of the source.
    """


@dataclass(frozen=True, slots=True)
class Candidate:
    """A URL one discovery way proposes, before merging and filtering.

    ``lastmod`` is what the document says about its last change (timezone-aware), ``title`` a
    hint (feed entry title, link text).
    """

    url: str
    lastmod: datetime | None = None
    title: str | None = None
