"""A site's own RSS/Atom feed as article candidates (pure, no I/O).

``feedparser`` gets the bytes as a stream (given ``bytes`` it would first try them as a local
file name; given a URL string it would fetch it), so it never reads or fetches anything. A feed
that declares XML entities is refused before parsing (no legitimate feed needs them; they are
how billion-laughs and XXE payloads start). Relative entry links are resolved against
``xml:base`` and then the feed URL.
"""

from __future__ import annotations

import io
import re
import time
from calendar import timegm
from datetime import UTC, datetime
from typing import Any

import feedparser

from scraper.discover._types import Candidate
from scraper.discover.listing import absolute_url
from scraper.errors import DiscoveryError

__all__ = ["links_from_feed"]

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_WS = re.compile(r"\s+")


def _when(entry: Any, key: str) -> datetime | None:
    value = entry.get(key)
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _entry_link(entry: Any) -> str | None:
    link = entry.get("link")
    if isinstance(link, str) and link.strip():
        return link
    for alt in entry.get("links") or ():
        if alt.get("rel", "alternate") == "alternate" and alt.get("href"):
            return str(alt["href"])
    guid = entry.get("id")
    if isinstance(guid, str) and guid.startswith(("http://", "https://")):
        return guid
    return None


def links_from_feed(content: bytes, url: str) -> tuple[Candidate, ...]:
    """Entry links of an RSS 0.9x/1.0/2.0 or Atom feed fetched from ``url``, in feed order.

    ``lastmod`` is the newer of the entry's ``updated`` and ``published``; ``title`` the entry
    title as plain text. Raises :class:`DiscoveryError` for a document that is not a feed or
    declares entities.
    """
    if _ENTITY_DECL.search(content):
        raise DiscoveryError("feed declares XML entities; refused")
    parsed = feedparser.parse(
        io.BytesIO(content),
        response_headers={"content-location": url},
        sanitize_html=True,
        resolve_relative_uris=True,
    )
    entries = parsed.get("entries") or []
    if not entries and not parsed.get("version"):
        raise DiscoveryError("not an RSS or Atom feed")
    out: list[Candidate] = []
    seen: set[str] = set()
    for entry in entries:
        link = absolute_url(_entry_link(entry), url)
        if link is None or link in seen:
            continue
        seen.add(link)
        dates = [d for d in (_when(entry, "updated_parsed"), _when(entry, "published_parsed")) if d]
        title = entry.get("title")
        title = _WS.sub(" ", title).strip() if isinstance(title, str) else ""
        out.append(Candidate(link, max(dates) if dates else None, title or None))
    return tuple(out)
