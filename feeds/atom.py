"""Atom 1.0 (RFC 4287) from stored articles; the only module that imports feedgen.

:func:`render_feed` is pure: the same spec and articles give byte-identical output. What goes in
(see ``feeds.model`` for ids, ordering and the empty-feed date):

* feed: ``id``, ``title``, ``subtitle``, ``updated`` (newest entry), an ``author`` fallback,
  ``link rel=self`` (``application/atom+xml``), ``rel=alternate`` (``text/html``), a second
  ``rel=alternate`` to the JSON Feed twin when there is one, ``generator``, ``icon``.
* entry: ``id`` (UUID5 of the canonical URL), ``title`` (text), one ``author`` per author (the
  source's name when none), ``published`` (its own offset) and ``updated`` (``last_changed``:
  moves only when the content changed), ``link rel=alternate``, ``summary`` (text), ``content
  type="html"`` (sanitised, absolute URLs), a ``category`` per tag and one for the source, and a
  ``source`` element naming the institute. A near-duplicate (only in its own source feed) also
  gets ``link rel=related`` to the first copy and a note at the top of its content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml import etree  # type: ignore[import-untyped]  # no stubs installed

from feeds.model import (
    GENERATOR_NAME,
    GENERATOR_URI,
    EntryView,
    FeedSpec,
    feed_entries,
    feed_updated,
)
from feeds.sanitize import clean_xml_text
from scraper.errors import FeedError
from scraper.models import StoredArticle

__all__ = ["ATOM_MEDIA_TYPE", "EntryMemo", "FeedSpec", "render_entries", "render_feed"]

ATOM_MEDIA_TYPE = "application/atom+xml"
# feedgen writes the Atom namespace as a plain ``xmlns`` attribute: in its tree the elements
# have no namespace, so they are found by their bare names.
_ATOM = ""
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# entry id -> the serialised ``<entry>`` element (indented as in a feed), shared by the feeds of
# one build
EntryMemo = dict[str, bytes]

_FEED_END = b"</feed>\n"
_WRAP_START = b"<feed>\n"


def _dt(dt: datetime) -> datetime:
    # Whole seconds, own offset kept; a datetime (not a string) spares feedgen a dateutil parse.
    return (
        dt.replace(microsecond=0)
        if dt.utcoffset() is not None
        else dt.replace(microsecond=0, tzinfo=UTC)
    )


def render_feed(
    spec: FeedSpec,
    articles: Sequence[StoredArticle],
    *,
    source_names: Mapping[str, str],
    generator_version: str,
    now: datetime,
    source_links: Mapping[str, str] | None = None,
    originals: Mapping[int, StoredArticle] | None = None,
) -> bytes:
    """The Atom document of ``spec`` over ``articles`` (UTF-8 bytes, with XML declaration).

    ``source_names`` maps source ids to institute names, ``source_links`` to their homepages
    (for the entry ``source`` element), ``originals`` maps the ids in ``duplicate_of`` to first
    copies. ``now`` is part of the pure-core contract but does not reach the output: an empty
    feed's ``updated`` is the fixed epoch, so rebuilding never changes bytes by itself.
    Raises :class:`FeedError` if feedgen refuses the data.
    """
    del now  # deterministic by design: see the docstring
    entries = feed_entries(
        spec,
        articles,
        source_names=source_names,
        source_links=source_links,
        originals=originals,
    )
    return render_entries(spec, entries, generator_version=generator_version)


def render_entries(
    spec: FeedSpec,
    entries: Sequence[EntryView],
    *,
    generator_version: str,
    memo: EntryMemo | None = None,
) -> bytes:
    """The Atom document of already prepared entries (see :func:`feeds.model.feed_entries`).

    feedgen writes the feed head (the document without entries) and each entry element; an
    entry is serialised on its own, at the depth it has in a feed, and the document is the
    head with the entries spliced in before ``</feed>``: the same bytes as feedgen's whole
    tree (a test holds it to that), with each entry built and serialised once per build when
    ``memo`` (entry id -> bytes) is shared by the feeds of a build.
    """
    fg = FeedGenerator()
    try:
        fg.id(spec.id)
        fg.title(clean_xml_text(spec.title).strip() or spec.key)
        if spec.subtitle and clean_xml_text(spec.subtitle).strip():
            fg.subtitle(clean_xml_text(spec.subtitle).strip())
        fg.updated(_dt(feed_updated(entries)))
        fg.author({"name": clean_xml_text(spec.author).strip() or GENERATOR_NAME})
        fg.link(href=spec.self_url, rel="self", type=ATOM_MEDIA_TYPE)
        fg.link(href=spec.alternate_url, rel="alternate", type="text/html")
        if spec.json_url:
            fg.link(href=spec.json_url, rel="alternate", type="application/feed+json")
        fg.generator(GENERATOR_NAME, version=generator_version, uri=GENERATOR_URI)
        if spec.icon:
            fg.icon(spec.icon)
        if spec.language:
            fg.language(spec.language)
        # feedgen's own tree builder (what atom_str() serialises), without entries
        _root, doc = fg._create_atom()
        head: bytes = etree.tostring(doc, pretty_print=True, encoding="UTF-8", xml_declaration=True)
        if not entries:
            return head
        if not head.endswith(_FEED_END):
            raise ValueError("unexpected feed head from feedgen")
        parts = [head[: -len(_FEED_END)]]
        for entry in entries:
            data = memo.get(entry.id) if memo is not None else None
            if data is None:
                data = _entry_bytes(entry)
                if memo is not None:
                    memo[entry.id] = data
            parts.append(data)
        parts.append(_FEED_END)
    except (ValueError, TypeError) as e:
        raise FeedError(f"feed {spec.kind}/{spec.key}: cannot render Atom ({e})") from e
    return b"".join(parts)


def _entry_bytes(entry: EntryView) -> bytes:
    """``entry``'s element as a pretty-printed feed prints it (two spaces in, one line after)."""
    element = _entry(entry).atom_entry()
    _fix_entry_links(element, entry)
    wrapper = etree.Element("feed")
    wrapper.append(element)
    data: bytes = etree.tostring(
        wrapper, pretty_print=True, encoding="UTF-8", xml_declaration=False
    )
    return data[len(_WRAP_START) : -len(_FEED_END)]


def _fix_entry_links(element: etree._Element, entry: EntryView) -> None:
    """Put back the ``rel``/``type``/``title`` of an entry's links.

    feedgen 1.0 shadows its loop variable when writing entry links and drops those attributes
    (feed-level links are fine); we set them on the elements it wrote, in the same order.
    """
    links = element.findall(_ATOM + "link")
    wanted: list[tuple[str, str, str | None]] = [("alternate", "text/html", None)]
    if entry.related_url:
        wanted.append(("related", "text/html", entry.related_title))
    for link, (rel, media_type, title) in zip(links, wanted, strict=True):
        link.set("rel", rel)
        link.set("type", media_type)
        if title:
            link.set("title", title)
    if entry.language:
        element.set(_XML_LANG, entry.language)


def _entry(entry: EntryView) -> FeedEntry:
    fe = FeedEntry()
    fe.id(entry.id)
    fe.title(entry.title)
    fe.updated(_dt(entry.updated))
    if entry.published is not None:
        fe.published(_dt(entry.published))
    fe.author([{"name": name} for name in entry.authors])
    fe.link(href=entry.url, rel="alternate", type="text/html")
    if entry.related_url:
        fe.link(href=entry.related_url, rel="related")
    if entry.summary:
        fe.summary(entry.summary, type="text")
    if entry.content_html:
        fe.content(entry.content_html, type="html")
    fe.category(
        [
            {"term": term, "scheme": scheme, "label": label}
            for term, scheme, label in entry.categories
        ]
    )
    fe.source(url=entry.source_url, title=entry.source_name)
    return fe
