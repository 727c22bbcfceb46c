"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1) beside each Atom feed.

Same entries, ids and dates as the Atom twin (see ``feeds.model``); the bytes are deterministic
(fixed key order, UTF-8, compact separators, trailing newline). Encoded with ``msgspec``: the
same bytes as ``json.dumps(doc, ensure_ascii=False, separators=(",", ":"))`` (a test holds it
to that) at several times the speed, and an item is encoded once per build however many feeds
it is in.

Icons: JSON Feed's ``favicon`` is the spec's small icon, its ``icon`` (meant large, 512x512
suggested) the spec's ``icon`` unless that is the small one too (Atom's ``icon`` falls back to
it when the site names no large one; see ``feeds.plan``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec

from feeds.model import (
    GENERATOR_URI,
    TAG_SCHEME,
    EntryView,
    FeedSpec,
    feed_entries,
    rfc3339,
)
from scraper.models import StoredArticle

__all__ = [
    "JSON_FEED_MEDIA_TYPE",
    "JSON_FEED_VERSION",
    "SOURCE_EXTENSION_ABOUT",
    "render_json_entries",
    "render_json_feed",
]

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
JSON_FEED_MEDIA_TYPE = "application/feed+json"
# where the items' ``_source`` extension is described (the README's section of that name)
SOURCE_EXTENSION_ABOUT = f"{GENERATOR_URI}#json-feed-_source-extension"


def render_json_feed(
    spec: FeedSpec,
    articles: Sequence[StoredArticle],
    *,
    source_names: Mapping[str, str],
    now: datetime,
    source_links: Mapping[str, str] | None = None,
    originals: Mapping[int, StoredArticle] | None = None,
) -> bytes:
    """The JSON Feed of ``spec`` over ``articles`` (``now`` does not reach the output)."""
    del now
    entries = feed_entries(
        spec, articles, source_names=source_names, source_links=source_links, originals=originals
    )
    return render_json_entries(spec, entries)


def _item(entry: EntryView) -> dict[str, Any]:
    item: dict[str, Any] = {"id": entry.id, "url": entry.url, "title": entry.title}
    item["content_html"] = entry.content_html
    if entry.summary:
        item["summary"] = entry.summary
    if entry.image:
        item["image"] = entry.image
    if entry.published is not None:
        item["date_published"] = rfc3339(entry.published)
    item["date_modified"] = rfc3339(entry.updated)
    item["authors"] = [{"name": name} for name in entry.authors]
    item["tags"] = [term for term, scheme, _label in entry.categories if scheme == TAG_SCHEME]
    if entry.language:
        item["language"] = entry.language
    if entry.related_url:
        item["external_url"] = entry.related_url
    # an extension object (JSON Feed 1.1: its name starts with "_", "about" says where it is
    # described): the institute the item comes from
    source = {"about": SOURCE_EXTENSION_ABOUT, "id": entry.source_id, "name": entry.source_name}
    if entry.source_url:
        source["url"] = entry.source_url
    item["_source"] = source
    return item


def render_json_entries(
    spec: FeedSpec,
    entries: Sequence[EntryView],
    *,
    memo: dict[str, msgspec.Raw] | None = None,
) -> bytes:
    """The JSON Feed document of already prepared entries.

    ``memo`` (entry id -> encoded item) lets one build encode an entry once for every feed it
    is in.
    """
    doc: dict[str, Any] = {"version": JSON_FEED_VERSION, "title": spec.title}
    doc["home_page_url"] = spec.alternate_url
    if spec.json_url:
        doc["feed_url"] = spec.json_url
    if spec.subtitle:
        doc["description"] = spec.subtitle
    if spec.icon and spec.icon != spec.favicon:
        doc["icon"] = spec.icon
    if spec.favicon:
        doc["favicon"] = spec.favicon
    doc["authors"] = [{"name": spec.author}]
    if spec.language:
        doc["language"] = spec.language
    if memo is None:
        doc["items"] = [_item(e) for e in entries]
    else:
        items: list[msgspec.Raw] = []
        for e in entries:
            raw = memo.get(e.id)
            if raw is None:
                raw = memo[e.id] = msgspec.Raw(_ENCODER.encode(_item(e)))
            items.append(raw)
        doc["items"] = items
    return _ENCODER.encode(doc) + b"\n"


_ENCODER = msgspec.json.Encoder()
