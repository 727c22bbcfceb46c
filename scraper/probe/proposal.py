"""The proposed ``[[sources]]`` block: built, rendered as TOML, validated (pure, no I/O)."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from typing import Any

from scraper.config import parse_config
from scraper.errors import ConfigError
from scraper.models import FetchStatus
from scraper.probe._types import FoundFeed, FoundSitemap, Listing, SampleArticle

__all__ = ["check_proposal", "include_fits", "propose", "render_toml", "sample_warnings"]


def include_fits(
    pattern: str, feeds: Sequence[FoundFeed], sitemaps: Sequence[FoundSitemap]
) -> bool:
    """Whether ``include = [pattern]`` keeps what the feeds and sitemaps offer: at least 80 %
    of the feed entries and at least one sitemap URL (when there are any)."""
    rx = re.compile(pattern)
    feed_links = [u for f in feeds for u in f.links]
    if feed_links and sum(bool(rx.search(u)) for u in feed_links) < 0.8 * len(feed_links):
        return False
    site_links = [u for s in sitemaps for u in s.links]
    return not site_links or any(rx.search(u) for u in site_links)


def propose(
    *,
    source_id: str,
    name: str,
    homepage: str,
    language: str | None,
    timezone: str | None,
    feeds: Sequence[FoundFeed],
    sitemaps: Sequence[FoundSitemap],
    listing: Listing | None,
    include: str | None,
) -> dict[str, Any] | None:
    """The ``[[sources]]`` table, or ``None`` without any way to discover articles."""
    if not feeds and not sitemaps and listing is None:
        return None
    source: dict[str, Any] = {"id": source_id, "name": name, "homepage": homepage}
    if language:
        source["language"] = language
    if timezone:
        source["timezone"] = timezone
    if feeds:
        source["feeds"] = [f.url for f in feeds]
    if sitemaps:
        source["sitemaps"] = [s.url for s in sitemaps]
    if include:
        source["include"] = [include]
    if listing is not None:
        table: dict[str, Any] = {
            "start_urls": [listing.start_url],
            "link_pattern": listing.link_pattern,
        }
        if listing.next_selector:
            table["next_selector"] = listing.next_selector
        source["listing"] = table
    return source


def _toml_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if "\\" in text and "'" not in text and not any(ord(c) < 32 or ord(c) == 127 for c in text):
        return f"'{text}'"  # a literal string keeps a regex readable
    return json.dumps(text, ensure_ascii=False)  # JSON escapes are valid TOML basic strings


def render_toml(source: dict[str, Any], comments: Sequence[str] = ()) -> str:
    """``source`` as one ``[[sources]]`` block (sub-tables after the plain keys)."""
    lines = [f"# {c}" for c in comments]
    lines.append("[[sources]]")
    tables = {k: v for k, v in source.items() if isinstance(v, dict)}
    lines += [f"{k} = {_toml_value(v)}" for k, v in source.items() if k not in tables]
    for key, table in tables.items():
        lines += ["", f"[sources.{key}]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def check_proposal(toml_text: str) -> tuple[str, ...]:
    """What :func:`scraper.config.parse_config` says of the block (empty: valid)."""
    try:
        parse_config(tomllib.loads(toml_text), origin="proposal")
    except tomllib.TOMLDecodeError as e:
        return (f"<toml>: {e}",)
    except ConfigError as e:
        return tuple(e.problems) or (str(e),)
    return ()


def sample_warnings(samples: Sequence[SampleArticle]) -> list[str]:
    ok = [s for s in samples if s.status == FetchStatus.OK.value]
    lines = [f"sample {s.url}: {s.status}: {s.error}" for s in samples if s not in ok]
    if ok and not any(s.published for s in ok):
        lines.append(
            "no dates found in the sampled articles: add [sources.rules] date "
            "(check with `scraper extract --source ID URL`)"
        )
    elif ok and not all(s.published for s in ok):
        lines.append("some sampled articles have no date: check them with `scraper extract`")
    if ok and not any(s.authors for s in ok):
        lines.append("no authors found in the sampled articles: consider [sources.rules] authors")
    if ok and any(s.body_chars < 500 for s in ok):
        lines.append(
            "some sampled bodies are shorter than 500 characters: check [sources.rules] body"
        )
    return lines
