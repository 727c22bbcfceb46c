"""Links made absolute against the page's URL, as ``urllib.parse.urljoin`` makes them.

A page has hundreds of links and most are absolute already or root-relative (``/a/b``); for
the root-relative ones whose path ``urljoin`` would return unchanged the result is the base's
origin plus the link, without parsing either again.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urljoin, urlsplit

__all__ = ["Resolver"]

_DROPPED = ("javascript:", "data:", "#", "vbscript:")


@lru_cache(maxsize=4096)
def _join(base: str, href: str) -> str | None:
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def _origin(base: str) -> str | None:
    """``scheme://host`` of an http(s) base URL, or None when ``urljoin`` must decide."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _kept_as_is(href: str) -> bool:
    """Whether ``urljoin`` keeps root-relative ``href`` unchanged after the origin.

    It would not when it drops something (an empty query, fragment or ``;`` parameter),
    resolves ``.``/``..`` segments, collapses ``//``, or removes tabs and newlines; the test
    is conservative (any ``;``, ``//``, ``/.`` or non-printable character sends the link
    through ``urljoin``).
    """
    return (
        href[1:2] != "/"
        and href.isprintable()
        and ";" not in href
        and "//" not in href
        and "/." not in href
        and not href.endswith(("?", "#"))
        and "?#" not in href
    )


class Resolver:
    """``href``/``src`` values to absolute URLs against one base URL (None: left as they are)."""

    __slots__ = ("base", "origin")

    def __init__(self, base: str | None) -> None:
        self.base = base
        self.origin = _origin(base) if base else None

    def __call__(self, href: str) -> str | None:
        """The absolute URL, or None for nothing to link to (empty, script, fragment)."""
        href = href.strip()
        if not href or href.startswith(_DROPPED):
            return None
        if href.startswith(("https://", "http://")):
            return href
        base = self.base
        if not base:
            return href
        if self.origin is not None and href[0] == "/" and _kept_as_is(href):
            return self.origin + href
        return _join(base, href)
