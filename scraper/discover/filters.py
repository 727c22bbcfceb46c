"""Which candidate URLs a source accepts: same site, include/exclude patterns.

A URL is accepted when it is ``http(s)``, its host is on the registrable domain of the source's
homepage (``www.`` ignored) or one of its subdomains, it matches one of ``source.include`` (when
any are given) and none of ``source.exclude``. Patterns are Python regular expressions searched
anywhere in the absolute URL (anchor them with ``^``/``$`` when you need to).

The registrable domain is computed without the Public Suffix List (no network, no extra
dependency): the last two labels, or the last three under the common two-level country suffixes
(``co.uk``, ``org.au``, ``ac.ir``...). IP addresses and single-label hosts are their own site.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

from scraper.config import SourceConfig

__all__ = ["registrable_domain", "same_site", "url_allowed"]

# Second-level labels that, under a two-letter country code, form a public suffix
# (example.co.uk, example.org.ir, example.com.au, example.ac.jp, example.gov.pl...).
_SECOND_LEVEL = frozenset(
    {"ac", "co", "com", "edu", "gov", "gob", "go", "ltd", "me", "mil", "net", "ne", "or", "org"}
    | {"plc", "sch", "nic"}
)


def _host(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not host:
        return None
    return host.rstrip(".").lower()


@lru_cache(maxsize=1024)
def registrable_domain(host: str) -> str:
    """``news.www.example.co.uk`` -> ``example.co.uk``; an IP address or ``localhost`` as is."""
    host = host.rstrip(".").lower().removeprefix("www.")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return host
    labels = host.split(".")
    if len(labels) <= 2:
        return host
    if len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(url: str, homepage: str) -> bool:
    """Is ``url`` an http(s) URL on the registrable domain of ``homepage`` (or a subdomain)?"""
    host = _host(url)
    home = _host(homepage)
    if host is None or home is None:
        return False
    site = registrable_domain(home)
    return host == site or host.endswith("." + site)


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def url_allowed(url: str, source: SourceConfig) -> bool:
    """Does ``source`` accept ``url``: same site, one of ``include`` (if any), no ``exclude``?"""
    if not same_site(url, source.homepage):
        return False
    if source.include and not any(_compiled(p).search(url) for p in source.include):
        return False
    return not any(_compiled(p).search(url) for p in source.exclude)
