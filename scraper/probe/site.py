"""What a homepage and a robots.txt say about a site: name, language, feeds, links, zone, id
(pure, no I/O)."""

from __future__ import annotations

import re

from protego import Protego
from selectolax.lexbor import LexborHTMLParser

from scraper.discover import absolute_url, registrable_domain, same_site
from scraper.probe._types import Homepage

__all__ = ["guess_timezone", "read_homepage", "robots_sitemaps", "site_name", "source_id_for"]


_TITLE_SPLIT = re.compile(r"\s+[|\u2013\u2014\u00b7:\u00bb-]\s+")
_GENERIC_TITLES = frozenset({"home", "homepage", "home page", "welcome", "accueil", "главная"})
_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml"})
# Country-code domains whose country keeps one civil time (plus .ru, Moscow time for its
# institutes); anything else is left to the user.
_TLD_ZONES = {
    "ir": "Asia/Tehran", "ru": "Europe/Moscow", "by": "Europe/Minsk", "tr": "Europe/Istanbul",
    "ua": "Europe/Kyiv", "de": "Europe/Berlin", "fr": "Europe/Paris", "uk": "Europe/London",
    "it": "Europe/Rome", "pl": "Europe/Warsaw", "nl": "Europe/Amsterdam", "be": "Europe/Brussels",
    "ch": "Europe/Zurich", "at": "Europe/Vienna", "se": "Europe/Stockholm", "no": "Europe/Oslo",
    "fi": "Europe/Helsinki", "dk": "Europe/Copenhagen", "gr": "Europe/Athens",
    "hu": "Europe/Budapest",
    "il": "Asia/Jerusalem", "jp": "Asia/Tokyo", "kr": "Asia/Seoul", "cn": "Asia/Shanghai",
    "in": "Asia/Kolkata", "pk": "Asia/Karachi", "sg": "Asia/Singapore", "ae": "Asia/Dubai",
    "qa": "Asia/Qatar", "sa": "Asia/Riyadh", "eg": "Africa/Cairo",
}  # fmt: skip


def _clean(text: str | None) -> str | None:
    text = " ".join((text or "").split())
    return text or None


def read_homepage(html: str, url: str) -> Homepage:
    """Title, site name, language, declared feeds and same-site links of the homepage."""
    tree = LexborHTMLParser(html)
    base_node = tree.css_first("base[href]")
    base = absolute_url(base_node.attributes.get("href"), url) if base_node else None
    base = base or url
    title_node = tree.css_first("title")
    site_name = tree.css_first('meta[property="og:site_name"]')
    language = None
    html_node = tree.css_first("html")
    lang = html_node.attributes.get("lang") if html_node is not None else None
    if not lang:
        locale = tree.css_first('meta[property="og:locale"]')
        lang = locale.attributes.get("content") if locale is not None else None
    if lang:
        language = re.split(r"[-_]", lang.strip())[0].lower() or None
    feeds: list[str] = []
    for node in tree.css('link[rel~="alternate"][href]'):
        kind = (node.attributes.get("type") or "").split(";")[0].strip().lower()
        href = absolute_url(node.attributes.get("href"), base)
        label = f"{node.attributes.get('title') or ''} {href or ''}".lower()
        if kind in _FEED_TYPES and href and "comment" not in label and href not in feeds:
            feeds.append(href)
    links: list[str] = []
    seen: set[str] = set()
    for node in tree.css("a[href]"):
        link = absolute_url(node.attributes.get("href"), base)
        if link and link not in seen and same_site(link, url):
            seen.add(link)
            links.append(link)
    return Homepage(
        url=url,
        title=_clean(title_node.text() if title_node is not None else None),
        site_name=_clean(site_name.attributes.get("content") if site_name is not None else None),
        language=language,
        feed_links=tuple(feeds),
        links=tuple(links),
    )


def guess_timezone(host: str) -> str | None:
    """An IANA zone when the country-code domain makes it obvious (``ipis.ir`` ->
    ``Asia/Tehran``); ``None`` otherwise."""
    return _TLD_ZONES.get(host.rstrip(".").lower().rsplit(".", 1)[-1])


def source_id_for(host: str) -> str:
    """A config id from the host: ``www.newinstitute.org`` -> ``newinstitute``,
    ``en.valdaiclub.com`` -> ``valdaiclub``, ``127.0.0.1`` -> ``127-0-0-1``."""
    domain = registrable_domain(host)
    label = domain if re.match(r"^[\d.:\[\]]+$", domain) else domain.split(".")[0]
    ident = re.sub(r"[^a-z0-9_-]+", "-", label.lower()).strip("-_")[:64]
    return ident or "site"


def site_name(home: Homepage, host: str) -> str:
    """``og:site_name``, else the non-generic first part of ``<title>``, else the host."""
    if home.site_name:
        return home.site_name
    for part in _TITLE_SPLIT.split(home.title or ""):
        if part.strip() and part.strip().lower() not in _GENERIC_TITLES:
            return part.strip()
    return host


def robots_sitemaps(text: str) -> tuple[str, ...]:
    """The ``Sitemap:`` lines of a robots.txt."""
    return tuple(dict.fromkeys(Protego.parse(text).sitemaps))
