"""Values shared by the discovery parsers (internal to :mod:`scraper.discover`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scraper.errors import DiscoveryError  # re-exported: it lives in the one tree

__all__ = ["Candidate", "DiscoveryError"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A URL one discovery way proposes, before merging and filtering.

    ``lastmod`` is what the document says about its last change (timezone-aware), ``title`` a
    hint (feed entry title, link text).
    """

    url: str
    lastmod: datetime | None = None
    title: str | None = None
