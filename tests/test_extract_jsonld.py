"""schema.org JSON-LD reading (scraper.extract.jsonld). Scripts are written here."""

from __future__ import annotations

import json

from selectolax.lexbor import LexborHTMLParser

from scraper.extract.jsonld import read_jsonld


def _page(*objs: object, raw: str = "") -> LexborHTMLParser:
    scripts = "".join(f'<script type="application/ld+json">{json.dumps(o)}</script>' for o in objs)
    return LexborHTMLParser(f"<html><head>{scripts}{raw}</head><body></body></html>")


def test_yoast_graph_with_references() -> None:
    tree = _page(
        {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebPage", "@id": "#wp", "name": "T | Site", "datePublished": "2020"},
                {
                    "@type": ["Article", "Report"],
                    "headline": "T",
                    "author": {"@id": "#p"},
                    "datePublished": "2020-01-02T03:04:05Z",
                    "dateModified": "2020-02-02",
                    "keywords": "a, b",
                },
                {"@type": "Person", "@id": "#p", "name": "Ann Lee"},
            ],
        }
    )
    arts = read_jsonld(tree)
    assert [a.type for a in arts] == ["article", "webpage"]
    first = arts[0]
    assert first.headline == "T" and first.authors == ("Ann Lee",)
    assert first.published == "2020-01-02T03:04:05Z" and first.modified == "2020-02-02"
    assert first.keywords == ("a", "b")


def test_author_shapes() -> None:
    tree = _page(
        {
            "@type": "NewsArticle",
            "author": [
                "Plain Name",
                {"@type": "Person", "givenName": "Given", "familyName": "Family"},
                {"@type": "Organization", "name": "Org Inc"},
            ],
        }
    )
    art = read_jsonld(tree)[0]
    assert art.authors == ("Plain Name", "Given Family")
    assert art.org_authors == ("Org Inc",)


def test_cdata_comments_and_broken_json() -> None:
    raw = (
        '<script type="application/ld+json"><![CDATA[ {"@type": "BlogPosting", '
        '"headline": "In CDATA"} ]]></script>'
        '<script type="application/ld+json">{"@type": "Article", "headline": "raw\ttab"}</script>'
        '<script type="application/ld+json">{not json</script>'
    )
    heads = sorted(a.headline or "" for a in read_jsonld(_page(raw=raw)))
    assert heads == ["In CDATA", "raw tab"]


def test_non_article_types_ignored() -> None:
    assert read_jsonld(_page({"@type": "BreadcrumbList", "name": "x"})) == []
