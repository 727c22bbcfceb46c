"""Which feeds a build publishes and which articles each holds (reads the store, writes nothing).

:func:`plan_feeds` lists every feed of the config (all, one per source, one per tag, the
``[[feeds.filtered]]`` ones) with its :class:`~feeds.model.FeedSpec`, its file paths relative
to the output folder and its newest ``config.feeds.max_entries`` articles. A filtered feed keeps
articles that are from one of its ``sources`` (if any), carry one of its ``tags`` (if any) and
contain one of its ``keywords`` (if any) as a whole word (:func:`keyword_match`).

Near-duplicates (``duplicate_of`` set): ``all`` leaves them out; a source feed shows its own;
a tag or filtered feed shows one unless its first copy belongs to that feed too (a CSIS
republication of a Valdai piece is news in the ``us`` tag feed, not in ``russia`` when the
Valdai original is there).

Icons: a source feed shows the config's ``icon`` (in Atom and as JSON Feed's ``icon``), else
the icons found on the source's pages (:class:`~scraper.models.SiteIcons`, when the store keeps
them: :class:`IconSource`): Atom's ``icon`` is the large one, else the small one; the small one
is also JSON Feed's ``favicon``. The other feeds have no single source and show no icon.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from feeds.model import FeedKind, FeedSpec
from scraper.config import Config
from scraper.models import ArticleQuery, SiteIcons, StoredArticle

__all__ = [
    "ArticleSource",
    "IconSource",
    "PlannedFeed",
    "base_url",
    "keyword_match",
    "originals",
    "plan_feeds",
]


class ArticleSource(Protocol):
    """The part of ``scraper.store.Store`` that publishing reads."""

    def articles(
        self,
        *,
        source_ids: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        include_duplicates: bool = False,
        limit: int | None = None,
    ) -> list[StoredArticle]: ...

    def articles_many(self, queries: Sequence[ArticleQuery]) -> list[list[StoredArticle]]: ...

    def articles_by_id(self, ids: Iterable[int]) -> dict[int, StoredArticle]: ...


@runtime_checkable
class IconSource(Protocol):
    """A store that keeps the icons found on each source's pages (``scraper.store.Store``);
    a store without them (the in-memory doubles) gives feeds only the config's icons."""

    def source_icons(self) -> Mapping[str, SiteIcons]: ...


_NO_ICONS = SiteIcons()


@dataclass(frozen=True, slots=True)
class PlannedFeed:
    """One feed to build: its spec, Atom (and JSON Feed) path and its articles, newest first."""

    spec: FeedSpec
    path: Path
    json_path: Path | None
    articles: list[StoredArticle]


_LOCAL_HOSTS = frozenset({"", "0.0.0.0", "::", "127.0.0.1", "::1", "localhost"})


def base_url(config: Config) -> str:
    """The public base URL without a trailing slash.

    Unset: where ``scraper serve`` listens by the config, for a reader on the same machine
    or network: ``http://localhost:<serve.port>`` when it listens on a wildcard or loopback
    address (``http://localhost:8080`` by default),
    else ``http://<serve.host>:<serve.port>``.
    """
    if config.serve.public_base_url:
        return config.serve.public_base_url.rstrip("/")
    host = config.serve.host.strip()
    if host in _LOCAL_HOSTS:
        host = "localhost"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{config.serve.port}"


def keyword_match(article: StoredArticle, keywords: Sequence[str]) -> bool:
    """Whether any keyword occurs as a whole word (case-insensitive) in title/summary/body."""
    pattern = _keyword_pattern(tuple(keywords))
    if pattern is None:
        return True
    haystack = "\n".join((article.title or "", article.summary or "", article.body_text))
    return pattern.search(haystack) is not None


_PATTERNS: dict[tuple[str, ...], re.Pattern[str] | None] = {}


def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    if keywords not in _PATTERNS:
        words = [re.escape(k.strip()) for k in keywords if k.strip()]
        _PATTERNS[keywords] = (
            re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.IGNORECASE)
            if words
            else None
        )
    return _PATTERNS[keywords]


def _spec(
    config: Config,
    kind: FeedKind,
    *,
    key: str,
    rel: str,
    title: str,
    subtitle: str,
    icon: str | None = None,
    favicon: str | None = None,
    language: str | None = None,
) -> FeedSpec:
    base = base_url(config)
    return FeedSpec(
        kind=kind,
        key=key,
        title=title,
        subtitle=subtitle,
        self_url=f"{base}/feeds/{rel}.atom",
        json_url=f"{base}/feeds/{rel}.json" if config.feeds.json_feed else None,
        alternate_url=f"{base}/feeds/",
        icon=icon,
        favicon=favicon,
        author=config.feeds.title,
        language=language,
    )


@dataclass(frozen=True, slots=True)
class _Selection:
    """What a tag or filtered feed holds: articles of any of ``sources`` (if any) carrying any
    of ``tags`` (if any) and containing any of ``keywords`` (if any)."""

    sources: tuple[str, ...]
    tags: tuple[str, ...]
    keywords: tuple[str, ...]

    def query(self, limit: int) -> ArticleQuery:
        return ArticleQuery(self.sources, self.tags, include_duplicates=True, limit=limit)

    def holds(self, article: StoredArticle) -> bool:
        return (
            (not self.sources or article.source_id in self.sources)
            and (not self.tags or not set(self.tags).isdisjoint(article.tags))
            and keyword_match(article, self.keywords)
        )


def _headroom(limit: int) -> int:
    """How many candidates to read for a tag or filtered feed of ``limit`` entries: a few
    more, so that near-duplicates left out rarely make a second read necessary."""
    return limit + max(8, limit // 16)


def _select(
    store: ArticleSource,
    selection: _Selection,
    limit: int,
    first: list[StoredArticle] | None,
) -> list[StoredArticle]:
    """The newest ``limit`` articles of a tag or filtered feed.

    A near-duplicate is left out when its first copy belongs to the feed too (it is shown, as
    in source feeds, when the first copy is from a source or about a topic the feed does not
    follow). Sources and tags are filtered by the store, keywords here. ``first`` is the
    store's answer for the newest :func:`_headroom` candidates (read in :func:`plan_feeds`'s
    batch). When they leave fewer than ``limit``, a larger window of the newest candidates is
    read: 4x for keywords, so a rare keyword does not load the whole database at once and a
    common one stops early; twice the shortfall more for left-out duplicates.
    """
    window = _headroom(limit) if first is not None else 2 * limit
    candidates = first
    while True:
        if candidates is None:
            candidates = store.articles(
                source_ids=selection.sources or None,
                tags=selection.tags or None,
                include_duplicates=True,
                limit=window,
            )
        held = [a for a in candidates if keyword_match(a, selection.keywords)]
        copies = {a.duplicate_of for a in held if a.duplicate_of is not None}
        firsts = store.articles_by_id(copies) if copies else {}
        kept = [
            a
            for a in held
            if a.duplicate_of is None
            or (found := firsts.get(a.duplicate_of)) is None
            or not selection.holds(found)
        ]
        if len(kept) >= limit or len(candidates) < window:
            return kept[:limit]
        if selection.keywords:
            window *= 4
        else:
            window += max(8, 2 * (limit - len(kept)))
        candidates = None


def plan_feeds(store: ArticleSource, config: Config) -> list[PlannedFeed]:
    """Every feed of ``config`` with its articles, in publishing order (``all`` first).

    The selections the store can make alone (every feed but those with keywords) are read in
    one batch (:meth:`ArticleSource.articles_many`), each article once.
    """
    n = config.feeds.max_entries
    title = config.feeds.title
    json_on = config.feeds.json_feed
    icons = store.source_icons() if isinstance(store, IconSource) else {}
    wanted: list[tuple[FeedSpec, str, ArticleQuery | _Selection]] = [
        (
            _spec(
                config,
                "all",
                key="all",
                rel="all",
                title=title,
                subtitle="Every source, newest first",
            ),
            "all",
            ArticleQuery(limit=n),
        )
    ]
    for src in config.sources:
        rel = f"sources/{src.id}"
        # the config's icon wins over those found on the site (and replaces both)
        site = icons.get(src.id, _NO_ICONS) if src.icon is None else _NO_ICONS
        spec = _spec(
            config,
            "source",
            key=src.id,
            rel=rel,
            title=f"{src.name} ({title})",
            subtitle=f"Articles from {src.name}, {src.homepage}",
            icon=src.icon or site.icon or site.favicon,
            favicon=site.favicon,
            language=src.language or None,
        )
        wanted.append((spec, rel, ArticleQuery((src.id,), include_duplicates=True, limit=n)))
    for tag in sorted({t for src in config.sources for t in src.tags}):
        rel = f"tags/{tag}"
        spec = _spec(
            config,
            "tag",
            key=tag,
            rel=rel,
            title=f"{title}: {tag}",
            subtitle=f"Articles tagged {tag}",
        )
        wanted.append((spec, rel, _Selection((), (tag,), ())))
    for ff in config.feeds.filtered:
        rel = f"filtered/{ff.id}"
        parts = [
            f"{label} {', '.join(values)}"
            for label, values in (
                ("sources:", ff.sources),
                ("tags:", ff.tags),
                ("keywords:", ff.keywords),
            )
            if values
        ]
        subtitle = "Filtered by " + "; ".join(parts) if parts else "Every source"
        spec = _spec(config, "filtered", key=ff.id, rel=rel, title=ff.title, subtitle=subtitle)
        selection = _Selection(tuple(ff.sources), tuple(ff.tags), tuple(ff.keywords))
        wanted.append((spec, rel, selection))
    # one batch for what the store can select alone: every feed but those with keywords
    batched = [
        w if isinstance(w, ArticleQuery) else w.query(_headroom(n))
        for _, _, w in wanted
        if isinstance(w, ArticleQuery) or not w.keywords
    ]
    batch = iter(store.articles_many(batched))
    plans: list[PlannedFeed] = []
    for spec, rel, what in wanted:
        if isinstance(what, ArticleQuery):
            found = next(batch)
        else:
            found = _select(store, what, n, None if what.keywords else next(batch))
        json_path = Path(rel + ".json") if json_on else None
        plans.append(PlannedFeed(spec, Path(rel + ".atom"), json_path, found))
    return plans


def originals(store: ArticleSource, plans: Sequence[PlannedFeed]) -> dict[int, StoredArticle]:
    """The originals of the near-duplicates shown in feeds that include duplicates, by id."""
    wanted = {
        a.duplicate_of
        for p in plans
        if p.spec.include_duplicates
        for a in p.articles
        if a.duplicate_of is not None
    }
    return store.articles_by_id(wanted)
