"""schema.org JSON-LD: the article object(s) of a page, Yoast ``@graph`` included.

Pages often carry several objects (a Yoast ``WebPage`` plus a theme's ``NewsArticle``) that
disagree; :func:`read_jsonld` returns every article-like object, best type first, and leaves the
choice between their dates to the cascade.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser

__all__ = ["LdArticle", "read_jsonld"]

# Lower rank is better.
_ARTICLE_TYPES = {
    "newsarticle": 0,
    "article": 0,
    "blogposting": 0,
    "report": 0,
    "scholarlyarticle": 0,
    "analysisnewsarticle": 0,
    "opinionnewsarticle": 0,
    "reportagenewsarticle": 0,
    "backgroundnewsarticle": 0,
    "reviewnewsarticle": 0,
    "askpublicnewsarticle": 0,
    "techarticle": 0,
    "socialmediaposting": 1,
    "liveblogposting": 1,
    "podcastepisode": 1,
    "videoobject": 2,
    "creativework": 2,
    "webpage": 3,
    "itempage": 3,
    "collectionpage": 4,
}
_MAX_SCRIPT = 2_000_000
_PERSON_TYPES = {"person"}
_ORG_TYPES = {"organization", "newsmediaorganization", "corporation", "researchorganization"}


@dataclass(frozen=True, slots=True)
class LdArticle:
    """One article-like JSON-LD object, its fields as raw strings."""

    type: str
    rank: int
    headline: str | None = None
    name: str | None = None
    authors: tuple[str, ...] = ()
    org_authors: tuple[str, ...] = ()
    published: str | None = None
    modified: str | None = None
    description: str | None = None
    image: str | None = None
    language: str | None = None
    url: str | None = None
    keywords: tuple[str, ...] = field(default_factory=tuple)
    body: str | None = None  # articleBody


def _types(obj: dict[str, Any]) -> list[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        return [t.rsplit("/", 1)[-1].lower()]
    if isinstance(t, list):
        return [x.rsplit("/", 1)[-1].lower() for x in t if isinstance(x, str)]
    return []


def _walk(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every dict at the top level or inside ``@graph`` (and lists of them)."""
    if depth > 6:
        return
    if isinstance(data, list):
        for item in data:
            yield from _walk(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if graph is not None:
            yield from _walk(graph, depth + 1)
        main = data.get("mainEntity")
        if isinstance(main, dict | list):
            yield from _walk(main, depth + 1)


def _string(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list) and value:
        return _string(value[0])
    if isinstance(value, dict):
        return _string(value.get("@value") or value.get("url") or value.get("name"))
    return None


def _people(
    value: Any, index: dict[str, dict[str, Any]], depth: int = 0, *, orgs: bool = False
) -> list[str]:
    if depth > 3 or value is None:
        return []
    if isinstance(value, str):
        return [value.strip()] if value.strip() and not orgs else []
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out.extend(_people(item, index, depth + 1, orgs=orgs))
        return out
    if isinstance(value, dict):
        ref = value.get("@id")
        if isinstance(ref, str) and "name" not in value and ref in index:
            value = index[ref]
        types = set(_types(value))
        is_org = bool(types & _ORG_TYPES) and not types & _PERSON_TYPES
        if is_org is not orgs:
            return []
        name = value.get("name")
        if isinstance(name, str) and name.strip():
            return [name.strip()]
        given, family = value.get("givenName"), value.get("familyName")
        if isinstance(given, str) and isinstance(family, str):
            return [f"{given.strip()} {family.strip()}".strip()]
    return []


_CTRL = re.compile(r"[\x00-\x1f]")


def _load(raw: str) -> Any:
    raw = raw.strip()
    for head, tail in (("<!--", "-->"), ("//<![CDATA[", "//]]>"), ("<![CDATA[", "]]>")):
        if raw.startswith(head):
            raw = raw.removeprefix(head).strip().removesuffix(tail).strip()
    try:
        return json.loads(raw)
    except ValueError:
        pass
    try:  # raw newlines/tabs inside strings are common
        return json.loads(_CTRL.sub(" ", raw))
    except ValueError:
        return None


def read_jsonld(tree: LexborHTMLParser) -> list[LdArticle]:
    """Article-like objects from every ``application/ld+json`` script, best type first."""
    objects: list[dict[str, Any]] = []
    for script in tree.css('script[type*="ld+json" i]'):
        raw = script.text(deep=True)
        if not raw or len(raw) > _MAX_SCRIPT:
            continue
        objects.extend(_walk(_load(raw)))
    index = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    out: list[LdArticle] = []
    for obj in objects:
        types = _types(obj)
        ranks = [_ARTICLE_TYPES[t] for t in types if t in _ARTICLE_TYPES]
        if not ranks:
            continue
        image = obj.get("image")
        if isinstance(image, dict) and "@id" in image and "url" not in image:
            image = index.get(str(image["@id"]), image)
        keywords = obj.get("keywords")
        if isinstance(keywords, str):
            kw = tuple(k.strip() for k in keywords.split(",") if k.strip())
        elif isinstance(keywords, list):
            kw = tuple(k.strip() for k in keywords if isinstance(k, str) and k.strip())
        else:
            kw = ()
        out.append(
            LdArticle(
                type=types[0],
                rank=min(ranks),
                headline=_string(obj.get("headline")),
                name=_string(obj.get("name")),
                authors=tuple(
                    _people(obj.get("author"), index) or _people(obj.get("creator"), index)
                ),
                org_authors=tuple(_people(obj.get("author"), index, orgs=True)),
                published=_string(obj.get("datePublished")) or _string(obj.get("dateCreated")),
                modified=_string(obj.get("dateModified")),
                description=_string(obj.get("description")),
                image=_string(image),
                language=_string(obj.get("inLanguage")),
                url=_string(obj.get("url")) or _string(obj.get("mainEntityOfPage")),
                keywords=kw,
                body=_string(obj.get("articleBody")),
            )
        )
    out.sort(key=lambda a: a.rank)
    return out
