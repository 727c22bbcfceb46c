"""The headline: metadata titles cleaned of the site name, checked against the page's ``<h1>``."""

from __future__ import annotations

import re

from scraper.extract.blocks import Block
from scraper.extract.jsonld import LdArticle
from scraper.extract.meta import TITLE_KEYS, PageMeta
from scraper.extract.text import collapse
from scraper.models import FieldOrigin

__all__ = ["choose_title", "strip_site"]

_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|·|•|::|»|«|/|\\|~)\s+")
_LETTERS = re.compile(r"[\W_]+", re.UNICODE)


def _key(text: str) -> str:
    return _LETTERS.sub("", text.casefold())


def strip_site(title: str, site: str | None, h1s: list[str]) -> str:
    """``Headline | Site`` -> ``Headline`` when the other part is the site (or an h1 says so)."""
    t = collapse(title)
    h1_keys = {_key(h) for h in h1s if h}
    if _key(t) in h1_keys:
        return t
    parts = _SEPARATORS.split(t)
    if len(parts) < 2:
        return t
    for i in range(1, len(parts)):
        head, tail = " - ".join(parts[:i]), " - ".join(parts[i:])
        # keep the original separators of the kept part
        head_orig = t[: t.find(parts[i - 1]) + len(parts[i - 1])].strip()
        tail_orig = t[t.find(parts[i], len(head_orig)) :].strip()
        if _key(head_orig) in h1_keys:
            return head_orig
        if _key(tail_orig) in h1_keys:
            return tail_orig
        del head, tail
    site_key = _key(site or "")
    if site_key:
        if _key(parts[-1]) == site_key or site_key.startswith(_key(parts[-1])):
            return t[: t.rfind(parts[-1])].rstrip(" |-–—·•:»«/\\~")
        if _key(parts[0]) == site_key:
            return t[len(parts[0]) :].lstrip(" |-–—·•:»«/\\~")
    return t


def choose_title(
    rule_title: str | None, ld: list[LdArticle], meta: PageMeta, blocks: list[Block]
) -> tuple[str | None, FieldOrigin]:
    """Best headline and where it came from."""
    if rule_title:
        return collapse(rule_title), FieldOrigin.RULES
    site = (meta.first(("og:site_name", "application-name")) or ("", ""))[1] or None
    h1s = [b.text for b in blocks if b.kind == "h1" and len(b.text) <= 300]
    for obj in ld:
        if obj.headline and obj.rank <= 2:
            return strip_site(obj.headline, site, h1s), FieldOrigin.JSON_LD
    found = meta.first(TITLE_KEYS)
    if found:
        return strip_site(found[1], site, h1s), FieldOrigin.META
    for obj in ld:
        if obj.headline:
            return strip_site(obj.headline, site, h1s), FieldOrigin.JSON_LD
    if h1s:
        tag_key = _key(meta.title_tag or "")
        for h in h1s:
            if _key(h) and _key(h) in tag_key:
                return h, FieldOrigin.HEURISTIC
        return h1s[0], FieldOrigin.HEURISTIC
    if meta.title_tag:
        return strip_site(meta.title_tag, site, h1s), FieldOrigin.HEURISTIC
    return None, FieldOrigin.HEURISTIC
