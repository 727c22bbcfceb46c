"""One run of the ingest pipeline: discover -> fetch -> extract -> dedup -> store, per source.

The I/O edge that ties the pure stages together. One failing source never stops a run: its
errors are counted (:class:`scraper.tally.Tally`) into its :class:`SourceReport` and the other
sources go on. Each article is saved in its own transaction, so a crash leaves a consistent
database. The site's icons (for its feeds) are read from the head of the first HTML page of a
run that names any, listing pages first, and kept once the run ends; no request is made for
them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Protocol

from feeds.sanitize import POLICY as SANITIZER_POLICY
from feeds.sanitize import sanitize_html
from scraper import dedup
from scraper.config import Config, SourceConfig
from scraper.discover import discover, site_icons
from scraper.extract import extract
from scraper.fetch import Fetcher
from scraper.models import (
    ArticleLink,
    Decision,
    FetchResult,
    FetchState,
    FetchStatus,
    SaveAction,
    SiteIcons,
    SourceReport,
)
from scraper.store import Store
from scraper.tally import Tally

__all__ = ["NullProgress", "Progress", "RunOptions", "run_scrape", "scrape_source", "tag_names"]

log = logging.getLogger(__name__)

#: Shorter bodies are not linked by exact content (menus, "page not found" texts...).
MIN_EXACT_WORDS = 12


def _words(text: str) -> int:
    return len(text.split())


class Progress(Protocol):
    """What the pipeline tells whoever shows progress (the CLI's rich bars, the service logs)."""

    def source_started(self, source_id: str) -> None: ...
    def links_found(self, source_id: str, count: int) -> None: ...
    def article_done(self, source_id: str, outcome: str) -> None: ...
    def source_finished(self, report: SourceReport) -> None: ...


class NullProgress:
    """Progress that shows nothing."""

    def source_started(self, source_id: str) -> None:
        pass

    def links_found(self, source_id: str, count: int) -> None:
        pass

    def article_done(self, source_id: str, outcome: str) -> None:
        pass

    def source_finished(self, report: SourceReport) -> None:
        pass


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What a user asked of one run."""

    since: date | None = None
    max_pages: int | None = None


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _since(source: SourceConfig, options: RunOptions, now: datetime) -> datetime | None:
    if options.since is not None:
        return datetime.combine(options.since, time.min, tzinfo=UTC)
    if source.backfill_days is not None:
        return now - timedelta(days=source.backfill_days)
    return None


@dataclass(frozen=True, slots=True)
class DedupIndex:
    """The near-duplicate indexes of every stored first copy: SimHash for articles, MinHash for
    short texts where SimHash is weak. Built once per run (or per service) by
    :func:`build_index`; new first copies are added as they are stored."""

    simhash: dedup.SimHashIndex
    minhash: dedup.MinHashIndex

    def add(self, article_id: int, decision: Decision, signature: tuple[int, ...] | None) -> None:
        if decision.simhash is not None:
            self.simhash.add(article_id, decision.simhash)
        if signature is not None and decision.minhash is not None:
            self.minhash.add(article_id, signature)


class _ConditionalFetcher:
    """Discovery's fetches (listing pages, feeds, sitemaps) made conditional.

    Validators stored at the last successful fetch are sent again; a 304 tells discovery the
    page is unchanged, so its links are not read again (they are known). Only successful
    answers are recorded, so a failing listing page is never mistaken for a failed article.
    """

    def __init__(
        self,
        fetcher: Fetcher,
        store: Store,
        source_id: str,
        clock: Callable[[], datetime],
        on_html: Callable[[FetchResult], None],
    ) -> None:
        self._fetcher = fetcher
        self._store = store
        self._source_id = source_id
        self._clock = clock
        self._on_html = on_html  # each HTML page fetched (the site's icons are read from it)
        self.not_modified = 0

    async def fetch(
        self, url: str, *, accept: Literal["html", "xml", "any"] = "html"
    ) -> FetchResult:
        state = self._store.fetch_states([url]).get(url)
        result = await self._fetcher.fetch(
            url,
            etag=state.etag if state else None,
            last_modified=state.last_modified if state else None,
            accept=accept,
        )
        if result.status in (FetchStatus.OK, FetchStatus.NOT_MODIFIED):
            if result.ok and accept == "html":
                self._on_html(result)
            self.not_modified += result.status is FetchStatus.NOT_MODIFIED
            kept = replace(result, text="", content=b"")
            self._store.record_fetch(
                self._source_id, kept, lastmod=None, article_id=None, now=self._clock()
            )
        return result


class _SourceRun:
    """The work of one source within a run."""

    def __init__(
        self,
        source: SourceConfig,
        *,
        store: Store,
        fetcher: Fetcher,
        index: DedupIndex,
        progress: Progress,
        clock: Callable[[], datetime],
        tag_names: Mapping[str, str],
    ) -> None:
        self.source = source
        self.tag_names = tag_names  # folded -> the config's spelling
        self.store = store
        self.fetcher = fetcher
        self.index = index
        self.progress = progress
        self.clock = clock
        self.tally = Tally()
        self.icons: SiteIcons | None = None

    async def run(self, options: RunOptions) -> SourceReport:
        started = self.clock()
        self.progress.source_started(self.source.id)
        try:
            await self._run(options, started)
            if self.icons is not None:
                self.store.set_source_icons(self.source.id, self.icons)
        except Exception as e:  # one failing source never stops a run
            log.exception("source %s failed", self.source.id)
            self.tally.error(f"{type(e).__name__}: {e}")
        report = self.tally.report(self.source.id, started, self.clock())
        self.progress.source_finished(report)
        return report

    async def _run(self, options: RunOptions, started: datetime) -> None:
        known = self.store.known_urls(self.source.id)
        listing_fetcher = _ConditionalFetcher(
            self.fetcher, self.store, self.source.id, self.clock, self._look_for_icons
        )
        found = await discover(
            self.source,
            listing_fetcher,
            since=_since(self.source, options, started),
            max_pages=options.max_pages,
            known=known,
            now=started,
        )
        self.tally.listing_pages = found.listing_pages + listing_fetcher.not_modified
        self.tally.blocked += found.blocked
        self.tally.disallowed += found.disallowed
        for message in found.errors:
            self.tally.error(message)
        links = list(found.links)
        seen = {link.url for link in links}
        links.extend(
            ArticleLink(url=url, source_id=self.source.id, found_via="retry")
            for url in self.store.retry_urls(self.source.id, limit=self.source.max_articles)
            if url not in seen
        )
        self.tally.links_found = len(links)
        self.progress.links_found(self.source.id, len(links))
        states = self.store.fetch_states([link.url for link in links])
        await asyncio.gather(*(self._article(link, states.get(link.url)) for link in links))

    def _look_for_icons(self, page: FetchResult) -> None:
        """The site's icons from this HTML page's head, until a page of the run names any."""
        if self.icons is None:
            self.icons = site_icons(page.text, page.final_url)

    async def _article(self, link: ArticleLink, state: FetchState | None) -> None:
        outcome = "error"
        try:
            outcome = await self._fetch_and_store(link, state)
        except Exception as e:  # a bug on one page must not lose the others
            log.exception("article %s failed", link.url)
            self.tally.error(f"{link.url}: {type(e).__name__}: {e}")
        self.progress.article_done(self.source.id, outcome)

    async def _fetch_and_store(self, link: ArticleLink, state: FetchState | None) -> str:
        result = await self.fetcher.fetch(
            link.url,
            etag=state.etag if state else None,
            last_modified=state.last_modified if state else None,
        )
        now = self.clock()
        status = result.status
        if status is FetchStatus.OK:
            return self._store_page(link, result, now)
        self.store.record_fetch(
            self.source.id,
            result,
            lastmod=link.lastmod,
            article_id=state.article_id if state else None,
            now=now,
        )
        if status is FetchStatus.NOT_MODIFIED:
            self.tally.not_modified += 1
        elif status is FetchStatus.BLOCKED:
            self.tally.blocked += 1
            self.tally.messages.append(f"{link.url}: blocked ({result.error or 'challenge page'})")
        elif status is FetchStatus.DISALLOWED:
            self.tally.disallowed += 1
        elif status is FetchStatus.NOT_HTML:
            pass
        else:
            self.tally.error(f"{link.url}: {result.error or 'fetch failed'}")
        return status.value

    def _store_page(self, link: ArticleLink, result: FetchResult, now: datetime) -> str:
        self.tally.fetched += 1
        article = extract(
            result.text,
            result.final_url,
            self.source.rules,
            language=self.source.language,
            timezone=self.source.timezone,
            now=now,
        )
        if article.blocked:
            self.tally.blocked += 1
            blocked = replace(result, status=FetchStatus.BLOCKED, text="", content=b"")
            self.store.record_fetch(
                self.source.id, blocked, lastmod=link.lastmod, article_id=None, now=now
            )
            return "blocked"
        self._look_for_icons(result)
        self.tally.count_fields(article)
        # The store keeps sanitised HTML only (no scripts, handlers, relative URLs).
        article = replace(
            article,
            body_html=sanitize_html(article.body_html, result.final_url),
            body_policy=SANITIZER_POLICY,
        )
        canonical = dedup.canonical_url(
            article, result.final_url, trailing_slash=self.source.trailing_slash
        )
        existing = self.store.identity(canonical)
        body_hash = dedup.content_hash(article.body_text)
        fingerprint = dedup.simhash(article.body_text)
        same_content = None
        if (
            existing is None
            and fingerprint is None
            and _words(article.body_text) >= MIN_EXACT_WORDS
        ):
            # too short to fingerprint: link exact copies by their content hash
            same_content = self.store.first_with_hash(body_hash, other_than=canonical)
        # short texts (< 150 words), where SimHash is weak, also get a MinHash signature
        signature = None
        if existing is None or existing.content_hash != body_hash:
            signature = dedup.short_signature(article.body_text)
        decision = dedup.decide(
            existing,
            canonical_url=canonical,
            content_hash=body_hash,
            simhash=fingerprint,
            index=self.index.simhash,
            now=now,
            same_content=same_content,
            minhash_index=self.index.minhash,
            signature=signature,
            title=article.title,
        )
        # the page's own keywords in the config's spelling when a source names them ("Russia"
        # is tagged "russia" and so reaches tags/russia); the store keeps each once
        found = (self.tag_names.get(t.strip().casefold(), t) for t in article.tags)
        tags = (*self.source.tags, *found)
        article_id = self.store.save_article(
            self.source.id,
            article,
            decision,
            url=dedup.without_tracking(result.final_url),
            tags=tags,
            now=now,
        )
        if decision.action is SaveAction.NEW:
            self.tally.new += 1
            if decision.duplicate_of is not None:
                self.tally.duplicates += 1
            else:
                self.index.add(article_id, decision, signature)
        elif decision.action is SaveAction.UPDATED and decision.count_change:
            self.tally.updated += 1
        else:
            self.tally.unchanged += 1
        self.store.record_fetch(
            self.source.id, result, lastmod=link.lastmod, article_id=article_id, now=now
        )
        return decision.action.value


def build_index(store: Store) -> DedupIndex:
    """The near-duplicate indexes of every stored first copy."""
    simhash = dedup.SimHashIndex()
    for article_id, fingerprint in store.simhashes():
        simhash.add(article_id, fingerprint)
    minhash = dedup.MinHashIndex(
        (article_id, dedup.minhash.from_db(blob)) for article_id, blob in store.minhashes()
    )
    return DedupIndex(simhash=simhash, minhash=minhash)


def tag_names(config: Config) -> dict[str, str]:
    """Every tag the config's sources name (they name the tag feeds), by its case-folded form,
    in its first spelling: a page keyword is stored under it."""
    return _spellings(config.sources)


def _spellings(sources: Sequence[SourceConfig]) -> dict[str, str]:
    names: dict[str, str] = {}
    for src in sources:
        for tag in src.tags:
            if tag.strip():
                names.setdefault(tag.strip().casefold(), tag.strip())
    return names


async def scrape_source(
    source: SourceConfig,
    *,
    store: Store,
    fetcher: Fetcher,
    index: DedupIndex,
    options: RunOptions = RunOptions(),
    progress: Progress | None = None,
    clock: Callable[[], datetime] = _utcnow,
    tag_names: Mapping[str, str] | None = None,
) -> SourceReport:
    """Run one source and record its report (and health) in the store.

    ``tag_names`` (:func:`tag_names`) spells the tags of the config; without it, those of
    ``source``.
    """
    run = _SourceRun(
        source,
        store=store,
        fetcher=fetcher,
        index=index,
        progress=progress or NullProgress(),
        clock=clock,
        tag_names=tag_names if tag_names is not None else _spellings([source]),
    )
    report = await run.run(options)
    store.record_run(report, success=report.ok)
    return report


async def run_scrape(
    config: Config,
    store: Store,
    sources: Sequence[SourceConfig],
    *,
    options: RunOptions = RunOptions(),
    fetcher: Fetcher | None = None,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = _utcnow,
) -> list[SourceReport]:
    """Scrape ``sources`` concurrently (the fetcher bounds requests globally and per host)."""
    store.sync_sources(config.sources, clock())
    index = build_index(store)
    names = tag_names(config)
    own_fetcher = fetcher is None
    active = fetcher or Fetcher(config.fetch)
    try:
        reports = await asyncio.gather(
            *(
                scrape_source(
                    src,
                    store=store,
                    fetcher=active,
                    index=index,
                    options=options,
                    progress=progress,
                    clock=clock,
                    tag_names=names,
                )
                for src in sources
            )
        )
    finally:
        if own_fetcher:
            await active.aclose()
    return list(reports)
