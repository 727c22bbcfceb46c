"""A site's icons, from the ``<link>`` elements in a page's head (pure, no I/O).

Feeds show their source's icon: Atom's ``icon`` (RFC 4287 4.2.5: square, legible when small),
JSON Feed's ``icon`` (large, 512x512 suggested) and ``favicon`` (small, 64x64). Pages name their
icons with ``<link rel="icon">`` (or the older ``rel="shortcut icon"``) and
``<link rel="apple-touch-icon">`` (or ``-precomposed``), sized by ``sizes`` (``"32x32"``,
``"16x16 32x32"``, ``"any"``). :func:`site_icons` keeps two of them, as
:class:`~scraper.models.SiteIcons`:

- ``icon``, the large one: the largest square icon of at least :data:`LARGE` px by its
  ``sizes``, where an apple-touch-icon without ``sizes`` counts as :data:`APPLE_DEFAULT` px
  (what iOS asks for);
- ``favicon``, the small one among ``rel=icon`` links below :data:`LARGE` px: a square one of
  at least 32 px (the largest), else one of unknown size (no ``sizes``, or ``any``: a classic
  ``favicon.ico`` usually holds 16 and 32 px), else the largest smaller one.

Links are resolved against ``<base href>`` (else the page URL) and only http(s) ones are kept;
non-square ones and those whose ``type`` is not an image are left out; on a tie the first link
of the page wins. A page naming none gives ``None``: nothing is guessed (no ``/favicon.ico``),
since only a request could tell whether it exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

from scraper.discover.listing import absolute_url
from scraper.models import SiteIcons

__all__ = ["APPLE_DEFAULT", "LARGE", "site_icons"]

#: Pixels from which an icon counts as large (JSON Feed's ``icon``).
LARGE = 128
#: The size of an apple-touch-icon whose ``sizes`` say nothing.
APPLE_DEFAULT = 180
#: Below this a small icon is only taken when no better one is named.
_SHARP = 32

_APPLE_RELS = frozenset({"apple-touch-icon", "apple-touch-icon-precomposed"})
_SIZE = re.compile(r"(\d{1,5})x(\d{1,5})")
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Link:
    """One icon link: its absolute URL, whether it is an apple-touch-icon, its square size in
    pixels (``None``: unknown)."""

    url: str
    apple: bool
    size: int | None


def _square_size(sizes: str | None) -> tuple[bool, int | None]:
    """``(usable, size)`` of a ``sizes`` attribute: the largest square size it lists, ``None``
    when it lists none (missing, ``any``, unreadable); not usable when it lists only
    non-square sizes."""
    tokens = (sizes or "").lower().split()
    square = []
    other = False
    for token in tokens:
        m = _SIZE.fullmatch(token)
        if m is None:
            continue
        width, height = int(m[1]), int(m[2])
        if width == height and width > 0:
            square.append(width)
        else:
            other = True
    if square:
        return True, max(square)
    return not other, None


def _links(html: str, page_url: str) -> list[_Link]:
    end = _HEAD_END.search(html)  # the head is all we read: parse no more of a long page
    tree = LexborHTMLParser(html[: end.start()] if end else html)
    base_node = tree.css_first("head base[href]")
    base = absolute_url(base_node.attributes.get("href"), page_url) if base_node else None
    out = []
    for node in tree.css("head link[rel][href]"):
        attrs = node.attributes
        rels = set((attrs.get("rel") or "").lower().split())
        apple = not rels.isdisjoint(_APPLE_RELS)
        if not apple and "icon" not in rels:
            continue
        kind = (attrs.get("type") or "").strip().lower()
        if kind and not kind.startswith("image/"):
            continue
        url = absolute_url(attrs.get("href"), base or page_url)
        usable, size = _square_size(attrs.get("sizes"))
        if url is not None and usable:
            out.append(_Link(url, apple, size))
    return out


def _large(link: _Link) -> int | None:
    """The size by which ``link`` counts as large, ``None`` if it is not large."""
    size = APPLE_DEFAULT if link.apple and link.size is None else link.size
    return size if size is not None and size >= LARGE else None


def _small_rank(link: _Link) -> tuple[int, int]:
    if link.size is None:
        return (1, 0)
    return (2 if link.size >= _SHARP else 0, link.size)


def site_icons(html: str, page_url: str) -> SiteIcons | None:
    """The large and small icon a page names (see the module doc), ``None`` if it names none."""
    links = _links(html, page_url)
    large = [(size, link) for link in links if (size := _large(link)) is not None]
    small = [link for link in links if not link.apple and _large(link) is None]
    icon = max(large, key=lambda pair: pair[0])[1].url if large else None
    favicon = max(small, key=_small_rank).url if small else None
    if icon is None and favicon is None:
        return None
    return SiteIcons(icon=icon, favicon=favicon)
