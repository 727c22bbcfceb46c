"""Values passed between pipeline stages: frozen dataclasses with documented fields.

No dict of unknown shape and no parser node crosses a stage boundary; each stage takes and
returns these. ``config -> discover -> fetch -> extract -> dedup -> store -> feeds/digest``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "Article",
    "ArticleLink",
    "ArticleQuery",
    "DigestItem",
    "FetchResult",
    "FetchStatus",
    "FieldOrigin",
    "FillRates",
    "SiteIcons",
    "SourceReport",
    "StoredArticle",
]

_EMPTY: Mapping[str, str] = MappingProxyType({})


class FieldOrigin(StrEnum):
    """Where an extracted field came from, best first."""

    RULES = "rules"  # per-source CSS selectors from config
    JSON_LD = "json-ld"  # schema.org JSON-LD
    META = "meta"  # citation_*, OpenGraph, article:*, Dublin Core, parsely, <time>
    HEURISTIC = "heuristic"  # generic heuristics over the DOM and visible text
    URL = "url"  # derived from the URL (e.g. a date in the path)
    SOURCE = "source"  # a source-level default (language, time zone)


@dataclass(frozen=True, slots=True)
class ArticleLink:
    """A candidate article URL found by discovery.

    ``found_via`` is ``listing``, ``sitemap`` or ``feed``; ``lastmod`` is what the listing
    says about the last change (sitemap ``lastmod``, feed ``updated``), when it says anything;
    ``title`` is a hint from the listing (feed entry title, link text).
    """

    url: str
    source_id: str
    found_via: str
    lastmod: datetime | None = None
    title: str | None = None


class FetchStatus(StrEnum):
    """How one fetch ended."""

    OK = "ok"  # content fetched and decoded
    NOT_MODIFIED = "not_modified"  # 304 to our conditional request
    BLOCKED = "blocked"  # challenge/WAF page (Cloudflare...), never stored as an article
    DISALLOWED = "disallowed"  # robots.txt forbids it (or is unreadable: wait)
    NOT_HTML = "not_html"  # a content type we do not extract (PDF...)
    ERROR = "error"  # network error, HTTP error after retries, too large, deadline...


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of fetching one URL.

    ``text`` is the body decoded to ``str`` (BOM, header, ``<meta charset>``, detection) and is
    empty unless ``status`` is OK; ``content`` holds the decoded-from-transfer-encoding bytes
    (for XML/gzip sitemaps). ``etag``/``last_modified`` are the validators to store for the next
    conditional request. ``error`` is one human line when something went wrong.
    """

    url: str
    final_url: str
    status: FetchStatus
    http_status: int | None = None
    content_type: str | None = None
    content: bytes = b""
    text: str = ""
    encoding: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    attempts: int = 1
    redirects: tuple[str, ...] = ()
    fetched_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status is FetchStatus.OK


@dataclass(frozen=True, slots=True)
class Article:
    """What extraction makes of one page (pure data, nothing stored yet).

    ``published``/``updated`` are timezone-aware (the page's own offset when it gives one, else
    the source's time zone); ``None`` rather than a guess. ``body_text`` is plain text with
    paragraphs separated by blank lines; ``body_html`` is a *clean* fragment (p, h2-h6, ul/ol/li,
    blockquote, a, em/strong, figure/img...) not yet sanitised for feeds. ``field_sources`` maps a
    field name (``title``, ``authors``, ``published``, ``updated``, ``summary``, ``body``,
    ``language``, ``canonical_url``) to a :class:`FieldOrigin` value. ``blocked`` pages carry no
    article fields. ``body_policy`` names the sanitiser policy ``body_html`` has been through
    (``feeds.sanitize.POLICY``; the pipeline sanitises before storing), ``None`` if none.
    """

    url: str | None = None
    canonical_url: str | None = None
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    updated: datetime | None = None
    language: str | None = None
    summary: str | None = None
    body_text: str = ""
    body_html: str = ""
    tags: tuple[str, ...] = ()
    image: str | None = None
    blocked: bool = False
    field_sources: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    body_policy: str | None = None


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as the store keeps it; what feeds and digests are made from.

    ``id`` is the store's integer key; ``canonical_url`` is unique and never changes, so it is
    the identity feeds derive entry ids from. ``first_seen`` is when we first stored it (digests
    select by it); ``last_changed`` moves only when the content hash changed (Atom ``updated``).
    ``duplicate_of`` is the id of the first copy when this one is a near-duplicate.
    ``body_policy`` is the sanitiser policy ``body_html`` was stored under (``None``: unknown,
    sanitise before publishing).
    """

    id: int
    source_id: str
    url: str
    canonical_url: str
    title: str | None
    authors: tuple[str, ...]
    published: datetime | None
    updated: datetime | None
    language: str | None
    summary: str | None
    body_text: str
    body_html: str
    tags: tuple[str, ...]
    image: str | None
    content_hash: str
    simhash: int | None
    duplicate_of: int | None
    first_seen: datetime
    last_changed: datetime
    field_sources: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    body_policy: str | None = None


@dataclass(frozen=True, slots=True)
class BodyRefresh:
    """A stored body sanitised again under a newer policy (``Store.refresh_bodies``).

    ``content_hash`` and ``old_policy`` are what the row held when ``body_html`` was computed
    from it: the row is only rewritten if it still holds them.
    """

    article_id: int
    content_hash: str
    old_policy: str | None
    body_html: str
    policy: str


@dataclass(frozen=True, slots=True)
class ArticleQuery:
    """One newest-first selection of stored articles (``Store.articles`` arguments), for the
    batched ``Store.articles_many``: empty filters select everything."""

    source_ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    include_duplicates: bool = False
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class FillRates:
    """Share (0..1) of a run's extracted articles that had each field."""

    title: float = 0.0
    author: float = 0.0
    date: float = 0.0
    body: float = 0.0


@dataclass(frozen=True, slots=True)
class SourceReport:
    """What one run did for one source: the row of the summary table and of ``runs``."""

    source_id: str
    started: datetime
    finished: datetime
    listing_pages: int = 0
    links_found: int = 0
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    not_modified: int = 0
    blocked: int = 0
    disallowed: int = 0
    errors: int = 0
    duplicates: int = 0
    error_messages: tuple[str, ...] = ()
    fill: FillRates = field(default_factory=FillRates)

    @property
    def ok(self) -> bool:
        """A run is a success when it found something or failed nowhere."""
        return self.errors == 0 or self.fetched > self.errors


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One line of a digest: an article as a subscriber's email shows it."""

    article_id: int
    source_id: str
    source_name: str
    title: str
    url: str
    authors: tuple[str, ...]
    published: datetime | None
    summary: str


class SaveAction(StrEnum):
    """What storing an extracted article did."""

    NEW = "new"  # a new entry (announced in feeds and digests unless a duplicate)
    UPDATED = "updated"  # same identity, content changed: Atom ``updated`` moves, no new entry
    UNCHANGED = "unchanged"  # same identity, same content (or change cap reached)


@dataclass(frozen=True, slots=True)
class ArticleIdentity:
    """What the store knows of an article's identity, for the dedup decision."""

    id: int
    canonical_url: str
    content_hash: str
    simhash: int | None
    first_seen: datetime
    last_changed: datetime
    change_count: int  # how many times the content counted as changed (churn cap)
    duplicate_of: int | None
    title: str | None = None  # a new title on the same text is an edit too


@dataclass(frozen=True, slots=True)
class Decision:
    """The dedup stage's verdict on one extracted article (pure; the store carries it out).

    ``article_id`` is the existing row for UPDATED/UNCHANGED, ``None`` for NEW.
    ``duplicate_of`` is the id of the first copy when a NEW article is a near-duplicate.
    ``count_change`` says whether an UPDATED save moves ``last_changed`` (the churn cap).
    ``minhash`` is the short text's serialised MinHash signature (``None`` for long texts).
    """

    action: SaveAction
    canonical_url: str
    content_hash: str
    simhash: int | None
    article_id: int | None = None
    duplicate_of: int | None = None
    count_change: bool = True
    minhash: bytes | None = None  # serialised MinHash signature of a short text (dedup.minhash)


@dataclass(frozen=True, slots=True)
class FetchState:
    """Per-URL fetch state kept between runs (conditional GET, "already known")."""

    url: str
    source_id: str
    etag: str | None
    last_modified: str | None
    last_status: str | None
    last_fetched: datetime | None
    lastmod_seen: datetime | None  # the listing's lastmod when we last fetched it
    article_id: int | None


@dataclass(frozen=True, slots=True)
class SiteIcons:
    """The icons a source's pages name in their head (``scraper.discover.icons``), for its feeds.

    Absolute http(s) URLs, either may be ``None``. ``icon`` is large and square (an
    apple-touch-icon, or at least 128 px by its ``sizes``): Atom's ``icon`` and JSON Feed's
    ``icon``. ``favicon`` is the small one (JSON Feed's ``favicon``; Atom's ``icon`` when there
    is no large one).
    """

    icon: str | None = None
    favicon: str | None = None


@dataclass(frozen=True, slots=True)
class SourceState:
    """A source's health and schedule as the store keeps it."""

    source_id: str
    name: str
    last_run: datetime | None
    last_success: datetime | None
    next_run: datetime | None
    consecutive_failures: int
    last_error: str | None
    article_count: int
    last_report: SourceReport | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One digest delivery: (subscriber, period). States pending -> sending -> sent | failed."""

    id: int
    subscriber: str
    period: str  # ISO week in the digest's time zone, e.g. "2025-W28"
    message_id: str
    state: str  # "pending", "sending", "sent", "failed", "skipped"
    attempts: int
    next_try: datetime | None
    items: int
    error: str | None
    created: datetime
    updated: datetime
