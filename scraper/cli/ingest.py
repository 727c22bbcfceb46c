"""Ingest commands: ``config check``, ``scrape``, ``sources``, ``extract``, ``duplicates``."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from scraper.cli._app import (
    _build_feeds,
    _errors,
    _fmt_time,
    _now,
    _open_store,
    _print_json,
    _select_sources,
    _state,
    cli,
    err,
    out,
)
from scraper.config import Config
from scraper.errors import ScraperError
from scraper.models import Article, SourceReport


@cli.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@click.pass_context
def config_check(ctx: click.Context) -> None:
    """Validate the configuration file; print every problem with its path.

    Nothing is fetched, written or sent. Exit status 2 when the file is invalid.

    Example: scraper --config config.toml config check
    """
    with _errors(ctx):
        config = _state(ctx).config
        out.print(
            f"ok: {len(config.sources)} sources, {len(config.subscribers)} subscribers, "
            f"database {config.database_url}",
            highlight=False,
        )


# ------------------------------------------------------------------------------------- scrape
_REPORT_COLUMNS = (
    ("listing", "listing_pages"),
    ("links", "links_found"),
    ("fetched", "fetched"),
    ("new", "new"),
    ("updated", "updated"),
    ("unchanged", "unchanged"),
    ("304", "not_modified"),
    ("blocked", "blocked"),
    ("robots", "disallowed"),
    ("dups", "duplicates"),
    ("errors", "errors"),
)


def _report_dict(report: SourceReport) -> dict[str, Any]:
    data = asdict(report)
    data["ok"] = report.ok
    return data


def _report_table(reports: Sequence[SourceReport]) -> Table:
    table = Table(title="Scrape summary")
    table.add_column("source")
    for title, _ in _REPORT_COLUMNS:
        table.add_column(title, justify="right")
    for r in reports:
        values = [str(getattr(r, attr)) for _, attr in _REPORT_COLUMNS]
        table.add_row(r.source_id, *values, style=None if r.ok else "red")
    totals = [str(sum(getattr(r, attr) for r in reports)) for _, attr in _REPORT_COLUMNS]
    table.add_section()
    table.add_row("total", *totals, style="bold")
    return table


def _print_problems(reports: Sequence[SourceReport], per_source: int = 3) -> None:
    """The first problems of each source, one line each, below the table."""
    lines = [
        f"{r.source_id}: {message}" for r in reports for message in r.error_messages[:per_source]
    ]
    if lines:
        out.print("[bold]problems[/bold] (first of each source; --json has them all):")
        for line in lines:
            out.print(f"  {line}", markup=False, highlight=False)


@cli.command("scrape")
@click.argument("source_ids", nargs=-1)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Skip items older (YYYY-MM-DD).")
@click.option("--max-pages", type=click.IntRange(1, 1000), help="Listing pages per source.")
@click.option("--json", "as_json", is_flag=True, help="Print the per-source report as JSON.")
@click.option("--no-feeds", is_flag=True, help="Do not rebuild feeds after the run.")
@click.pass_context
def scrape(
    ctx: click.Context,
    source_ids: tuple[str, ...],
    since: datetime | None,
    max_pages: int | None,
    as_json: bool,
    no_feeds: bool,
) -> None:
    """Run the ingest pipeline once for all (or the named) sources.

    Discover article URLs, fetch them politely, extract, deduplicate, store, then rebuild the
    feeds. Exit 0 when the run completed, even if some sources failed (they are reported).

    Example: scraper scrape valdai riac --since 2025-01-01 --max-pages 2
    """
    from scraper.pipeline import RunOptions, run_scrape
    from scraper.progress import RichProgress

    with _errors(ctx):
        config = _state(ctx).config
        sources = _select_sources(config, source_ids)
        options = RunOptions(since=since.date() if since else None, max_pages=max_pages)
        with _open_store(config) as store:
            with RichProgress(err, enabled=not as_json and err.is_terminal) as progress:
                reports = asyncio.run(
                    run_scrape(config, store, sources, options=options, progress=progress)
                )
            feeds_note = ""
            if not no_feeds:
                try:
                    built = _build_feeds(config, store)
                    feeds_note = f"feeds: {built.summary()}"
                except ScraperError as e:
                    feeds_note = f"feeds not rebuilt: {e.one_line()}"
        if as_json:
            _print_json({"sources": [_report_dict(r) for r in reports], "feeds": feeds_note})
        else:
            out.print(_report_table(reports))
            _print_problems(reports)
            if feeds_note:
                out.print(feeds_note, highlight=False)


# ------------------------------------------------------------------------------------ sources
@cli.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def sources_cmd(ctx: click.Context, as_json: bool) -> None:
    """List configured sources with their health: last run, last success, articles, last error.

    Example: scraper sources --json
    """
    from scraper.health import assess_all

    with _errors(ctx):
        config = _state(ctx).config
        with _open_store(config) as store:
            store.sync_sources(config.sources, _now())
            rows = assess_all(config, store, now=_now())
        if as_json:
            _print_json([asdict(r) for r in rows])
            return
        table = Table(title="Sources")
        for col in ("source", "status", "last run", "last success", "articles", "flags"):
            table.add_column(col)
        table.add_column("last error", overflow="fold", max_width=50)
        for r in rows:
            table.add_row(
                r.source_id,
                r.status,
                _fmt_time(r.last_run),
                _fmt_time(r.last_success),
                str(r.article_count),
                ", ".join(r.flags),
                r.last_error or "",
                style={"ok": None, "new": "dim"}.get(r.status, "yellow"),
            )
        out.print(table)


# ------------------------------------------------------------------------------------ extract
def _article_json(article: Article, url: str | None) -> dict[str, Any]:
    return {
        "url": article.url or url,
        "canonical_url": article.canonical_url,
        "title": article.title,
        "authors": list(article.authors),
        "published": article.published.isoformat() if article.published else None,
        "updated": article.updated.isoformat() if article.updated else None,
        "language": article.language,
        "summary": article.summary,
        "body_text": article.body_text,
        "blocked": article.blocked,
        "field_sources": dict(article.field_sources),
    }


async def _fetch_pages(
    config: Config, urls: Sequence[str]
) -> list[tuple[str, str | None, str | None]]:
    """``(url, final url, text)`` per URL; text ``None`` for a blocked page (reported as such)."""
    from scraper.fetch import Fetcher
    from scraper.models import FetchStatus

    pages: list[tuple[str, str | None, str | None]] = []
    async with Fetcher(config.fetch) as fetcher:
        for url in urls:
            result = await fetcher.fetch(url)
            if result.ok:
                pages.append((url, result.final_url, result.text))
                continue
            err.print(f"{url}: {result.status.value}: {result.error or ''}", highlight=False)
            if result.status is FetchStatus.BLOCKED:
                pages.append((url, result.final_url, None))
    return pages


@cli.command("extract")
@click.argument("targets", nargs=-1, required=True)
@click.option("--url", "page_url", help="The page's URL when extracting a saved file.")
@click.option("--source", "source_id", help="Apply this configured source's rules and zone.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (the default).")
@click.pass_context
def extract_cmd(
    ctx: click.Context,
    targets: tuple[str, ...],
    page_url: str | None,
    source_id: str | None,
    as_json: bool,
) -> None:
    """Print what would be stored for each URL or saved HTML file, one JSON object per line.

    Fields: url, title, authors, published, language, summary, body_text, blocked,
    field_sources. URLs are fetched politely (robots.txt, User-Agent); files are read as bytes.

    Example: scraper extract --url https://example.org/a page.html
    """
    from scraper.extract import extract

    del as_json  # JSON lines is the only output format
    with _errors(ctx):
        state = _state(ctx)
        source = None
        if source_id:
            source = _select_sources(state.config, [source_id])[0]
        urls = [t for t in targets if t.startswith(("http://", "https://"))]
        files = [t for t in targets if t not in urls]
        pages: list[tuple[str, str | None, str | bytes | None]] = []
        for f in files:
            try:
                pages.append((f, page_url, Path(f).read_bytes()))
            except OSError as e:
                raise click.BadParameter(f"{f}: {e.strerror}", param_hint="URL_OR_FILE") from e
        if urls:
            pages.extend(asyncio.run(_fetch_pages(state.config, urls)))
        for _target, url, html in pages:
            if html is None:  # the fetcher saw a challenge page: nothing to extract
                _print_json(_article_json(Article(url=url, blocked=True), url))
                continue
            article = extract(
                html,
                url,
                source.rules if source else None,
                language=source.language if source else None,
                timezone=source.timezone if source else None,
                now=_now(),
            )
            _print_json(_article_json(article, url))


# --------------------------------------------------------------------------------- duplicates
@cli.command("duplicates")
@click.option("--json", "as_json", is_flag=True, help="Print clusters as JSON.")
@click.pass_context
def duplicates_cmd(ctx: click.Context, as_json: bool) -> None:
    """List near-duplicate clusters: a first copy and the later copies linked to it.

    Example: scraper duplicates --json
    """
    with _errors(ctx):
        with _open_store(_state(ctx).config) as store:
            clusters = store.duplicate_clusters()
        if as_json:
            _print_json(
                [
                    {
                        "first": {"id": a.id, "source": a.source_id, "url": a.canonical_url},
                        "copies": [
                            {"id": c.id, "source": c.source_id, "url": c.canonical_url}
                            for c in copies
                        ],
                    }
                    for a, copies in clusters
                ]
            )
            return
        table = Table(title=f"{len(clusters)} duplicate clusters")
        for col in ("first copy", "source", "later copies"):
            table.add_column(col, overflow="fold")
        for first, copies in clusters:
            table.add_row(
                f"{first.title or ''}\n{first.canonical_url}",
                first.source_id,
                "\n".join(f"{c.source_id}: {c.canonical_url}" for c in copies),
            )
        out.print(table)
