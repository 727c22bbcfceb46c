"""What a feed is made of, independent of the format it is written in.

:class:`FeedSpec` describes one feed (which articles, its titles and URLs); :func:`feed_entries`
turns stored articles into :class:`EntryView` values that both the Atom writer
(``feeds.atom``) and the JSON Feed writer (``feeds.jsonfeed``) render. Pure: no I/O, no clock.

Identity: an entry's id is ``urn:uuid:`` + UUID5(URL namespace, canonical URL), so it never
changes for an article; a feed's id is the UUID5 of its ``self`` URL.

Determinism: entries are sorted newest first (published, else first seen; then id), the
feed's ``updated`` is the newest entry's ``updated`` (the article's ``last_changed``) and, for a
feed without entries, the fixed :data:`EMPTY_FEED_UPDATED` (1970-01-01T00:00:00Z) rather than
the clock, so the same articles always give the same bytes.
"""

from __future__ import annotations

import hashlib
import html
import re
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Lock
from typing import Literal
from urllib.parse import quote, urlsplit

from feeds.sanitize import POLICY, clean_xml_text, sanitize_html
from scraper.dedup.urls import without_tracking
from scraper.models import StoredArticle

__all__ = [
    "EMPTY_FEED_UPDATED",
    "GENERATOR_NAME",
    "GENERATOR_URI",
    "SANITIZE_CACHE",
    "SOURCE_SCHEME",
    "TAG_SCHEME",
    "EntryView",
    "FeedKind",
    "FeedSpec",
    "article_link",
    "entry_id",
    "feed_entries",
    "feed_updated",
    "rfc3339",
    "stored_body",
]

FeedKind = Literal["all", "source", "tag", "filtered"]

EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)
GENERATOR_NAME = "thinktank-digest"
GENERATOR_URI = "https://github.com/thinktank-digest/thinktank-digest"
TAG_SCHEME = "tag:thinktank-digest,2025:tag"
SOURCE_SCHEME = "tag:thinktank-digest,2025:source"
SUMMARY_CHARS = 300
SANITIZE_CACHE_SIZE = 8192  # entries; ~3 KB each for typical articles

_WS = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One feed: what it selects and how it presents itself.

    ``kind``/``key`` name it (``("source", "csis")``, ``("all", "all")``...). ``self_url`` is
    where the Atom file is served, ``json_url`` where its JSON Feed twin is (if any),
    ``alternate_url`` a web page about it. ``icon`` is an absolute URL or ``None``; ``favicon``
    the small icon a source's site names (JSON Feed's ``favicon``; see ``feeds.plan``) or
    ``None``; ``author`` is the feed-level author, used by readers for entries without one (we
    always give one).
    Every feed but ``all`` may show near-duplicates, linked to their first copy (which ones:
    ``feeds.plan``).
    """

    kind: FeedKind
    key: str
    title: str
    self_url: str
    alternate_url: str
    subtitle: str | None = None
    icon: str | None = None
    author: str = GENERATOR_NAME
    language: str | None = None
    json_url: str | None = None
    favicon: str | None = None

    @property
    def id(self) -> str:
        """A stable ``urn:uuid:`` for the feed, derived from its ``self`` URL."""
        return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, self.self_url))

    @property
    def include_duplicates(self) -> bool:
        return self.kind != "all"


@dataclass(frozen=True, slots=True)
class EntryView:
    """One entry ready to write: every string XML-clean, ``content_html`` sanitised.

    ``categories`` are ``(term, scheme, label)``; ``related_url``/``related_title`` point at the
    first copy when this entry is a near-duplicate.
    """

    id: str
    title: str
    url: str
    authors: tuple[str, ...]
    published: datetime | None
    updated: datetime
    summary: str | None
    content_html: str
    categories: tuple[tuple[str, str, str | None], ...]
    source_id: str
    source_name: str
    source_url: str | None
    language: str | None
    image: str | None = None
    related_url: str | None = None
    related_title: str | None = None


def entry_id(canonical_url: str) -> str:
    """The entry id of an article: ``urn:uuid:`` UUID5 of its canonical URL (never changes).

    What ``str(uuid.uuid5(uuid.NAMESPACE_URL, canonical_url))`` gives (a test holds it to
    that), without building a ``UUID`` object: SHA-1 of namespace + name, version and
    variant bits set.
    """
    digest = bytearray(hashlib.sha1(_URL_NAMESPACE + canonical_url.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_URL_NAMESPACE = uuid.NAMESPACE_URL.bytes


def rfc3339(dt: datetime) -> str:
    """``dt`` as RFC 3339 with its own offset (naive means UTC), whole seconds."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.replace(microsecond=0).isoformat()


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None or dt.utcoffset() is None else dt


_IRI_SAFE = "!#$%&'()*+,/:;=?@[]~-._"
# what ``quote(..., safe=_IRI_SAFE)`` leaves as it is (and ``clean_xml_text`` too): most URLs
_IRI_PLAIN = re.compile(r"[A-Za-z0-9!#$%&'()*+,/:;=?@\[\]~\-._]*")


def _iri(url: str) -> str:
    """``url`` with the characters an IRI may not hold (space, ``<>"{}|\\^```) percent-encoded."""
    if not url:
        return url
    url = url.strip()
    if _IRI_PLAIN.fullmatch(url):
        return url
    return quote(clean_xml_text(url), safe=_IRI_SAFE)


def _origin(url: str) -> str | None:
    """``scheme://host/`` of an absolute http(s) URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/" if parts.scheme in {"http", "https"} else None


def _line(text: str | None) -> str:
    """One line of XML-clean text (whitespace collapsed)."""
    if not text:
        return ""
    if text.isprintable() and "  " not in text:
        # no controls, surrogates, non-characters or whitespace but single spaces: already one
        # clean line (the common case, spared two regex passes)
        return text.strip()
    return _WS.sub(" ", clean_xml_text(text)).strip()


class _SanitizeCache:
    """A bounded LRU of sanitised HTML keyed by a digest of the input (not the input itself).

    Sanitising is pure and the costliest step of a build; the same article appears in several
    feeds of one build and in every later build of a long-running service. Keys are 16-byte
    BLAKE2b digests, so the cache holds only the outputs.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple[bytes, str], str] = OrderedDict()
        self._lock = Lock()

    def get(self, body_html: str, base_url: str) -> str:
        digest = hashlib.blake2b(
            body_html.encode("utf-8", "surrogatepass"), digest_size=16
        ).digest()
        key = (digest, base_url)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        value = sanitize_html(body_html, base_url)
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


SANITIZE_CACHE = _SanitizeCache(SANITIZE_CACHE_SIZE)


def _sanitized(body_html: str, base_url: str) -> str:
    return SANITIZE_CACHE.get(body_html, base_url)


def article_link(article: StoredArticle) -> str:
    """Where feeds and mails link an article: the page as fetched (not the identity key, which
    upgrades http to https and sorts the query), without click-tracking parameters."""
    return without_tracking(article.url.strip() or article.canonical_url)


def _link(article: StoredArticle) -> str:
    """The entry's link (:func:`article_link` as an IRI); also the base URL the stored HTML is
    sanitised against."""
    return _iri(article_link(article))


def stored_body(article: StoredArticle) -> str | None:
    """The body the store should keep under the current :data:`POLICY` (the HTML feeds show,
    from the sanitiser cache when a build has just rendered it); ``None`` when the stored body
    is under that policy already, or empty (feeds then show the text)."""
    if article.body_policy == POLICY or not article.body_html.strip():
        return None
    return _sanitized(article.body_html, _link(article))


def _content(article: StoredArticle, base_url: str) -> str:
    """The entry's HTML: stored HTML sanitised under the current policy is used as it is."""
    if not article.body_html.strip():
        return ""
    if article.body_policy == POLICY:
        return article.body_html
    return _sanitized(article.body_html, base_url)


def _text_to_html(text: str) -> str:
    paras = [p.strip() for p in re.split(r"\n\s*\n", clean_xml_text(text)) if p.strip()]
    return "".join(f"<p>{html.escape(p)}</p>" for p in paras)


def _summary(article: StoredArticle) -> str | None:
    text = _line(article.summary)
    if not text:
        text = _line(article.body_text)
        if len(text) > SUMMARY_CHARS:
            cut = text[:SUMMARY_CHARS].rsplit(" ", 1)[0]
            text = cut.rstrip(" ,.;:") + "…"
    return text or None


_LANG_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


def _language(value: str | None) -> str | None:
    """A BCP 47-shaped language tag, or ``None``."""
    text = (value or "").strip()
    return text if _LANG_TAG.match(text) else None


def _sort_key(a: StoredArticle) -> tuple[datetime, int]:
    return (_aware(a.published or a.first_seen), a.id)


def _authors(article: StoredArticle, source_name: str) -> tuple[str, ...]:
    names: list[str] = []
    folded: set[str] = set()
    for name in article.authors:
        clean = _line(name)
        if clean and clean.casefold() not in folded:
            folded.add(clean.casefold())
            names.append(clean)
    return tuple(names) or (source_name,)


def _entry(
    article: StoredArticle,
    *,
    source_names: Mapping[str, str],
    source_links: Mapping[str, str],
    original: StoredArticle | None,
) -> EntryView:
    source_name = _line(source_names.get(article.source_id)) or article.source_id
    url = _link(article)
    content = _content(article, url)
    if not content:
        content = _text_to_html(article.body_text)
    related_url = related_title = None
    if original is not None:
        related_url = _link(original)
        related_title = _line(original.title) or related_url
        first_source = _line(source_names.get(original.source_id)) or original.source_id
        note = (
            f'<p><em>Also published by {html.escape(first_source)}: <a href="'
            f'{html.escape(related_url)}" rel="noopener noreferrer">'
            f"{html.escape(related_title)}</a> (first copy).</em></p>"
        )
        content = note + content
    categories: list[tuple[str, str, str | None]] = []
    folded: set[str] = set()
    for tag in article.tags:  # once each, ignoring case (rows stored before ingest did that)
        term = _line(tag)
        if term and term.casefold() not in folded:
            folded.add(term.casefold())
            categories.append((term, TAG_SCHEME, None))
    categories.append((article.source_id, SOURCE_SCHEME, source_name))
    return EntryView(
        id=entry_id(article.canonical_url),
        title=_line(article.title) or url,
        url=url,
        authors=_authors(article, source_name),
        published=_aware(article.published) if article.published else None,
        updated=_aware(article.last_changed),
        summary=_summary(article),
        content_html=content,
        categories=tuple(categories),
        source_id=article.source_id,
        source_name=source_name,
        source_url=_iri(source_links.get(article.source_id) or "") or _origin(url),
        language=_language(article.language),
        image=_iri(article.image) if article.image else None,
        related_url=related_url,
        related_title=related_title,
    )


def feed_entries(
    spec: FeedSpec,
    articles: Sequence[StoredArticle],
    *,
    source_names: Mapping[str, str],
    source_links: Mapping[str, str] | None = None,
    originals: Mapping[int, StoredArticle] | None = None,
    memo: dict[int, EntryView] | None = None,
) -> list[EntryView]:
    """The entries of ``spec`` from ``articles``, newest first.

    Near-duplicates (``duplicate_of`` set) are left out of the ``all`` feed, and of a tag or
    filtered feed that holds their first copy too; elsewhere they carry a link to their first
    copy when ``originals`` has it. Two articles with the same canonical URL give one entry
    (the first in order). ``memo`` (article id -> entry) lets one build prepare an article once
    for all the feeds it appears in; share it only between calls with the same articles,
    ``source_names``, ``source_links`` and ``originals``.
    """
    links = source_links or {}
    firsts = originals or {}
    out: list[EntryView] = []
    seen: set[str] = set()
    # a tag or filtered feed shows a near-duplicate only when its first copy is not there too
    present = {a.id for a in articles} if spec.kind in ("tag", "filtered") else set()
    for article in sorted(articles, key=_sort_key, reverse=True):
        if article.duplicate_of is not None and (
            not spec.include_duplicates or article.duplicate_of in present
        ):
            continue
        if article.canonical_url in seen:
            continue
        seen.add(article.canonical_url)
        entry = memo.get(article.id) if memo is not None else None
        if entry is None:
            original = (
                firsts.get(article.duplicate_of) if article.duplicate_of is not None else None
            )
            entry = _entry(
                article, source_names=source_names, source_links=links, original=original
            )
            if memo is not None:
                memo[article.id] = entry
        out.append(entry)
    return out


def feed_updated(entries: Sequence[EntryView]) -> datetime:
    """The newest entry's ``updated``, or :data:`EMPTY_FEED_UPDATED` for an empty feed."""
    if not entries:
        return EMPTY_FEED_UPDATED
    return max(entries, key=lambda e: e.updated.astimezone(UTC)).updated
