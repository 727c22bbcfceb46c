"""The listings of published feeds: ``feeds.opml`` (OPML 2.0) and a static ``index.html``.

Both are deterministic and list every feed grouped by kind (everything, sources, tags,
filtered); :class:`FeedFile` is what a build reports about each feed.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped]  # no stubs installed

from feeds.plan import base_url
from feeds.sanitize import clean_xml_text
from scraper.config import Config

__all__ = ["FeedFile", "render_index", "render_opml"]


@dataclass(frozen=True, slots=True)
class FeedFile:
    """One published feed: its Atom file (relative to the output folder) and what it holds."""

    path: Path
    kind: str
    key: str
    title: str
    entries: int
    written: bool
    json_path: Path | None = None


_GROUPS = (("all", "Everything"), ("source", "Sources"), ("tag", "Tags"), ("filtered", "Filtered"))


def render_opml(feeds: Sequence[FeedFile], config: Config) -> bytes:
    """OPML 2.0 listing every Atom feed (absolute URLs), grouped by kind. Deterministic."""
    base = base_url(config)
    homepages: Mapping[str, str] = {s.id: s.homepage for s in config.sources}
    opml = etree.Element("opml", version="2.0")
    head = etree.SubElement(opml, "head")
    etree.SubElement(head, "title").text = clean_xml_text(config.feeds.title)
    body = etree.SubElement(opml, "body")
    for kind, label in _GROUPS:
        members = [f for f in feeds if f.kind == kind]
        if not members:
            continue
        group = etree.SubElement(body, "outline", text=label, title=label)
        for f in members:
            title = clean_xml_text(f.title)
            html_url = (
                homepages.get(f.key, f"{base}/feeds/") if kind == "source" else f"{base}/feeds/"
            )
            etree.SubElement(
                group,
                "outline",
                type="rss",
                version="ATOM1",
                text=title,
                title=title,
                xmlUrl=f"{base}/feeds/{f.path.as_posix()}",
                htmlUrl=html_url,
            )
    data: bytes = etree.tostring(opml, pretty_print=True, encoding="UTF-8", xml_declaration=True)
    return data


def _entries(count: int) -> str:
    """``count`` with the noun in agreement: "1 entry", "0 entries", "12 entries"."""
    return f"{count} {'entry' if count == 1 else 'entries'}"


def render_index(feeds: Sequence[FeedFile], config: Config) -> bytes:
    """A static, escaped HTML page linking every feed (relative links, served from /feeds/)."""
    esc = html.escape
    title = esc(clean_xml_text(config.feeds.title))
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}: feeds</title>",
    ]
    lines += [
        f'<link rel="alternate" type="application/atom+xml" title="{esc(f.title)}" '
        f'href="{esc(f.path.as_posix())}">'
        for f in feeds
        if f.kind == "all"
    ]
    lines += [
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;"
        "padding:0 1rem}li{margin:.25rem 0}small{color:#555}</style>",
        "</head>",
        "<body>",
        f"<h1>{title}</h1>",
        '<p>Subscribe in any feed reader, or import <a href="feeds.opml">feeds.opml</a>.</p>',
    ]
    for kind, label in _GROUPS:
        members = [f for f in feeds if f.kind == kind]
        if not members:
            continue
        lines += [f"<h2>{esc(label)}</h2>", "<ul>"]
        for f in members:
            json_link = (
                f' · <a href="{esc(f.json_path.as_posix())}">JSON Feed</a>' if f.json_path else ""
            )
            lines.append(
                f'<li><a href="{esc(f.path.as_posix())}">{esc(clean_xml_text(f.title))}</a>'
                f"{json_link} <small>({_entries(f.entries)})</small></li>"
            )
        lines.append("</ul>")
    lines += ["</body>", "</html>", ""]
    return "\n".join(lines).encode("utf-8")
