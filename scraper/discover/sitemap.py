"""Sitemaps (urlset and sitemap index, plain or gzip), parsed safely (pure, no I/O).

XML is parsed with :mod:`defusedxml`: entity declarations (billion laughs, XXE) and external
references are refused with a :class:`DiscoveryError`, never expanded or fetched. Gzip bodies
(recognised by their magic bytes, whatever the content type said) are inflated with a cap on
the *decompressed* size. Namespaces are ignored (``sm:loc``, ``loc`` and ``{...}loc`` alike),
whitespace around values is stripped, ``lastmod`` accepts the W3C datetime variants
(``2024``, ``2024-05``, ``2024-05-01``, ``2024-05-01T10:00Z``, ``...:30.5+02:00``, ``+0200``,
a space for ``T``) and becomes a timezone-aware datetime (UTC when no offset is given). A
Google News ``<news:publication_date>`` stands in for a missing ``lastmod``. A plain-text
sitemap (one URL per line) is read too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from scraper.discover.listing import absolute_url
from scraper.errors import DiscoveryError, FetchError, TooLargeError
from scraper.fetch.decode import gunzip_capped as _bounded_gunzip

__all__ = ["DEFAULT_MAX_BYTES", "Sitemap", "gunzip_capped", "parse_sitemap", "parse_w3c_datetime"]

DEFAULT_MAX_BYTES = 50_000_000  # the sitemap protocol's limit for one uncompressed file
_GZIP_MAGIC = b"\x1f\x8b"

_W3C = re.compile(
    r"""^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})
    (?:[T\s]+(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d+))?)?
    \s*(?P<tz>Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?)?)?$""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Sitemap:
    """One sitemap document.

    ``urls`` holds ``(absolute URL, lastmod)`` pairs of a urlset in document order;
    ``children`` the child sitemap URLs of a sitemap index, and ``child_lastmods`` their
    ``lastmod`` (parallel to ``children``). A document is one or the other, so one of the two
    is empty.
    """

    urls: tuple[tuple[str, datetime | None], ...] = ()
    children: tuple[str, ...] = ()
    child_lastmods: tuple[datetime | None, ...] = ()


def parse_w3c_datetime(value: str | None) -> datetime | None:
    """A W3C datetime (ISO 8601 profile) as an aware datetime; ``None`` when unreadable."""
    if not value:
        return None
    m = _W3C.match(value.strip())
    if m is None:
        return None
    g = m.groupdict()
    try:
        tz = _offset(g["tz"])
        frac = (g["f"] or "0")[:6].ljust(6, "0")
        return datetime(
            int(g["y"]),
            int(g["m"] or 1),
            int(g["d"] or 1),
            int(g["H"] or 0),
            int(g["M"] or 0),
            int(g["S"] or 0),
            int(frac),
            tzinfo=tz,
        )
    except ValueError:  # month 13, hour 25, offset beyond a day...
        return None


def _offset(tz: str | None) -> timezone:
    if tz is None or tz.upper() in {"Z", "UTC", "GMT"}:
        return UTC
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if minutes >= 60:
        raise ValueError("bad offset")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def gunzip_capped(data: bytes, max_bytes: int) -> bytes:
    """Inflate gzip ``data`` (several members too) without ever holding more than
    ``max_bytes`` of output (the fetcher's bounded decoder); :class:`DiscoveryError` when it is
    bigger, corrupt or truncated."""
    try:
        return _bounded_gunzip(data, max_bytes)
    except TooLargeError as e:
        raise DiscoveryError(f"gzip body inflates beyond {max_bytes} bytes; refused") from e
    except FetchError as e:
        raise DiscoveryError(f"corrupt gzip body ({e})") from e


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(el: Element, *names: str) -> str | None:
    for child in el:
        if _local(child.tag) in names:
            text = "".join(child.itertext()).strip()
            if text:
                return text
    return None


def _news_date(el: Element) -> str | None:
    for sub in el.iter():
        if _local(sub.tag) == "publication_date" and sub.text and sub.text.strip():
            return sub.text.strip()
    return None


def _parse_text(text: str, url: str) -> Sitemap:
    urls: list[tuple[str, datetime | None]] = []
    seen: set[str] = set()
    for line in text.splitlines():
        loc = absolute_url(line, url)
        if loc is not None and loc not in seen:
            seen.add(loc)
            urls.append((loc, None))
    return Sitemap(urls=tuple(urls))


def parse_sitemap(content: bytes, url: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Sitemap:
    """Parse one sitemap document fetched from ``url`` (see the module docstring).

    Raises :class:`DiscoveryError` for a body that is too big, not XML, refused (DTD entities,
    external references) or not a sitemap.
    """
    data = gunzip_capped(content, max_bytes) if content[:2] == _GZIP_MAGIC else content
    if len(data) > max_bytes:
        raise DiscoveryError(f"sitemap of {len(data)} bytes exceeds {max_bytes}; refused")
    data = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not data:
        raise DiscoveryError("empty sitemap")
    if not data.startswith(b"<"):
        return _parse_text(data.decode("utf-8", "replace"), url)
    try:
        root = fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise DiscoveryError(f"unsafe XML refused ({type(e).__name__})") from e
    except ParseError as e:
        raise DiscoveryError(f"not well-formed XML ({e})") from e
    kind = _local(root.tag)
    if kind not in {"urlset", "sitemapindex"}:
        raise DiscoveryError(f"not a sitemap (root element <{kind}>)")
    item = "url" if kind == "urlset" else "sitemap"
    pairs: list[tuple[str, datetime | None]] = []
    seen: set[str] = set()
    for el in root:
        if _local(el.tag) != item:
            continue
        loc = absolute_url(_child_text(el, "loc"), url)
        if loc is None or loc in seen:
            continue
        seen.add(loc)
        lastmod = parse_w3c_datetime(_child_text(el, "lastmod"))
        if lastmod is None and item == "url":
            lastmod = parse_w3c_datetime(_news_date(el))
        pairs.append((loc, lastmod))
    if kind == "urlset":
        return Sitemap(urls=tuple(pairs))
    return Sitemap(children=tuple(u for u, _ in pairs), child_lastmods=tuple(m for _, m in pairs))
