"""The command line: a thin click layer over the library.

Errors become output only here: one actionable line (what, where, how to fix), a traceback
only with ``-v``. Exit status: 0 the command did its job (a run with failing sources included:
they are reported), 1 a runtime failure, 2 a usage or configuration error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.table import Table

from scraper import __version__
from scraper.config import Config, SourceConfig, load_config
from scraper.errors import ConfigError, ScraperError
from scraper.models import Article, SourceReport

__all__ = ["cli", "main"]

# Tables keep their columns when piped (rich would squeeze them into 80 columns).
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)


class _State:
    def __init__(self, config_path: str | None, verbose: bool) -> None:
        self.config_path = config_path
        self.verbose = verbose
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config


def _fail(error: BaseException, verbose: bool) -> NoReturn:
    if verbose:
        err.print_exception()
    if isinstance(error, ConfigError):
        err.print(f"[red]error:[/red] {error}", markup=True, highlight=False)
        for line in error.problems:
            err.print(f"  {line}", markup=False, highlight=False)
        if error.hint:
            err.print(f"  hint: {error.hint}", markup=False, highlight=False)
        sys.exit(2)
    if isinstance(error, ScraperError):
        err.print(f"[red]error:[/red] {error.one_line()}", markup=True, highlight=False)
        sys.exit(1)
    err.print(
        f"[red]error:[/red] {type(error).__name__}: {error} (run with -v for the traceback)",
        markup=True,
        highlight=False,
    )
    sys.exit(1)


@contextmanager
def _errors(ctx: click.Context) -> Iterator[None]:
    state: _State = ctx.find_object(_State) or _State(None, False)
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as e:
        _fail(e, state.verbose)


def _state(ctx: click.Context) -> _State:
    return ctx.ensure_object(_State)


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "items"):
        return dict(value.items())
    return str(value)


def _print_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=_json_default))


def _now() -> datetime:
    return datetime.now(UTC)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    envvar="SCRAPER_CONFIG",
    type=click.Path(dir_okay=False),
    default=None,
    help="Configuration file (default ./config.toml, or $SCRAPER_CONFIG).",
)
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks and debug logs.")
@click.version_option(__version__, prog_name="scraper")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """thinktank-digest: think tanks to Atom feeds and weekly email digests.

    \b
    Quick start:
      scraper config check        validate config.toml (no side effects)
      scraper scrape              scrape every source, store, rebuild feeds
      scraper serve               run schedules, feeds, status page and digests
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        for noisy in ("httpx", "httpcore", "asyncio"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    ctx.obj = _State(config_path, verbose)


# ------------------------------------------------------------------------------------- config
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
def _select_sources(config: Config, ids: Sequence[str]) -> list[SourceConfig]:
    if not ids:
        return [s for s in config.sources if s.enabled]
    known = {s.id: s for s in config.sources}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise click.UsageError(
            f"unknown source id(s): {', '.join(unknown)} (configured: {', '.join(known)})"
        )
    return [known[i] for i in ids]


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


def _open_store(config: Config) -> Any:
    from scraper.store import Store

    return Store.open(config.database_url)


def _build_feeds(config: Config, store: Any) -> Any:
    from feeds.publish import build_all

    return build_all(store, config, now=_now())


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


def _fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


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


async def _fetch_pages(config: Config, urls: Sequence[str]) -> list[tuple[str, str | None, str]]:
    from scraper.fetch import Fetcher

    pages: list[tuple[str, str | None, str]] = []
    async with Fetcher(config.fetch) as fetcher:
        for url in urls:
            result = await fetcher.fetch(url)
            if not result.ok:
                err.print(f"{url}: {result.status.value}: {result.error or ''}", highlight=False)
                if result.status.value == "blocked":
                    pages.append((url, url, "<title>Just a moment...</title>"))
                continue
            pages.append((url, result.final_url, result.text))
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
        pages: list[tuple[str, str | None, str | bytes]] = []
        for f in files:
            try:
                pages.append((f, page_url, Path(f).read_bytes()))
            except OSError as e:
                raise click.BadParameter(f"{f}: {e.strerror}", param_hint="URL_OR_FILE") from e
        if urls:
            pages.extend(asyncio.run(_fetch_pages(state.config, urls)))
        for _target, url, html in pages:
            article = extract(
                html,
                url,
                source.rules if source else None,
                language=source.language if source else None,
                timezone=source.timezone if source else None,
                now=_now(),
            )
            _print_json(_article_json(article, url))


# -------------------------------------------------------------------------------------- probe
def _probe_config(state: _State) -> tuple[Any, frozenset[str]]:
    """[fetch] and the configured ids from the config file; defaults when there is none."""
    from scraper.config import DEFAULT_CONFIG_PATH, FetchConfig

    if state.config_path is None and not DEFAULT_CONFIG_PATH.exists():
        return FetchConfig(), frozenset()
    config = state.config
    return config.fetch, frozenset(s.id for s in config.sources)


async def _run_probe(url: str, fetch_config: Any, sample: int, taken: frozenset[str]) -> Any:
    from scraper.fetch import Fetcher
    from scraper.probe import probe

    async with Fetcher(fetch_config) as fetcher:
        return await probe(url, fetcher, now=_now(), sample=sample, taken_ids=taken)


def _print_probe(report: Any) -> None:
    from rich.panel import Panel
    from rich.text import Text

    table = Table(title=f"Discovery on {report.homepage} ({report.status})")
    for col in ("way", "url", "via", "found"):
        table.add_column(col, overflow="fold")
    for f in report.feeds:
        newest = f", newest {f.newest:%Y-%m-%d}" if f.newest else ""
        table.add_row("feed", f.url, f.via, f"{f.entries} entries{newest}")
    for s in report.sitemaps:
        found = f"{s.urls} URLs" if s.kind == "urlset" else f"index of {s.children} sitemaps"
        table.add_row("sitemap", s.url, s.via, found)
    if report.listing is not None:
        lst = report.listing
        pager = f", next: {lst.next_selector}" if lst.next_selector else ", no next link"
        table.add_row("listing", lst.start_url, lst.shape, f"{lst.links} links{pager}")
    out.print(table)
    if report.clusters:
        shapes = Table(title="Link shapes on the homepage (strongest first)")
        for col in ("shape", "links", "score", "pattern"):
            shapes.add_column(col, overflow="fold")
        for c in report.clusters:
            shapes.add_row(c.shape, str(len(c.urls)), f"{c.score:g}", c.pattern)
        out.print(shapes)
    if report.samples:
        samples = Table(title="Sample articles (generic extractor)")
        for col in ("url", "status", "title", "authors", "published", "body", "field sources"):
            samples.add_column(col, overflow="fold")
        for a in report.samples:
            samples.add_row(
                a.url,
                a.status,
                a.title or "-",
                ", ".join(a.authors) or "-",
                a.published.isoformat() if a.published else "-",
                str(a.body_chars),
                " ".join(f"{k}={v}" for k, v in a.field_sources),
            )
        out.print(samples)
    for line in report.warnings:
        out.print(Text(f"warning: {line}", style="yellow"))
    if report.toml is not None:
        title = "proposed [[sources]] block" + ("" if report.valid else " (INVALID)")
        out.print(Panel(Text(report.toml.rstrip("\n")), title=Text(title), title_align="left"))
        for line in report.problems:
            out.print(Text(f"  {line}", style="red"))
    out.print(f"{report.requests} HTTP requests", highlight=False)


@cli.command("probe")
@click.argument("url")
@click.option(
    "--sample",
    type=click.IntRange(0, 20),
    default=3,
    show_default=True,
    help="Articles to fetch and extract.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def probe_cmd(ctx: click.Context, url: str, sample: int, as_json: bool) -> None:
    """Probe a new site: its feeds, sitemaps, listing pages and a few articles.

    Prints what discovery and extraction find and a proposed [[sources]] block, validated
    like the configuration file. A handful of polite requests ([fetch] limits, robots.txt
    honoured); nothing is written. Exit 0 with a valid proposal, 1 without one.

    Example: scraper probe https://newinstitute.org --sample 5
    """
    with _errors(ctx):
        if "://" not in url:
            url = f"https://{url}"
        if not url.startswith(("http://", "https://")):
            raise click.BadParameter("give an http(s) URL", param_hint="URL")
        fetch_config, taken = _probe_config(_state(ctx))
        with err.status(f"probing {url}", spinner="dots") if err.is_terminal else _quiet():
            report = asyncio.run(_run_probe(url, fetch_config, sample, taken))
        if as_json:
            _print_json(report.to_dict())
        else:
            _print_probe(report)
        if not report.valid:
            sys.exit(1)


@contextmanager
def _quiet() -> Iterator[None]:
    yield


# -------------------------------------------------------------------------------------- feeds
@cli.group("feeds")
def feeds_group() -> None:
    """Build and check the Atom/JSON feeds."""


@feeds_group.command("build")
@click.pass_context
def feeds_build(ctx: click.Context) -> None:
    """Write every feed, feeds.opml and index.html atomically into the output folder.

    Unchanged feeds are not rewritten. Runs automatically after each scrape.

    Example: scraper feeds build
    """
    with _errors(ctx):
        config = _state(ctx).config
        with _open_store(config) as store:
            report = _build_feeds(config, store)
        table = Table(title=f"Feeds in {config.feeds.output_dir}")
        for col in ("feed", "entries", "written"):
            table.add_column(col)
        for f in report.feeds:
            table.add_row(str(f.path), str(f.entries), "yes" if f.written else "unchanged")
        out.print(table)
        out.print(report.summary(), highlight=False)


@feeds_group.command("check")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="Feeds folder.")
@click.pass_context
def feeds_check(ctx: click.Context, directory: str | None) -> None:
    """Validate built Atom feeds against RFC 4287's rules; exit 1 on any problem.

    Example: scraper feeds check
    """
    from feeds.validate import check_dir

    with _errors(ctx):
        folder = Path(directory or _state(ctx).config.feeds.output_dir)
        if not folder.is_dir():
            raise click.UsageError(f"{folder}: no such folder (run `scraper feeds build` first)")
        problems = check_dir(folder)
        bad = {name: p for name, p in problems.items() if p}
        for name, lines in sorted(problems.items()):
            status = "[red]invalid[/red]" if lines else "[green]ok[/green]"
            out.print(f"{status} {name}", highlight=False)
            for line in lines:
                out.print(f"    {line}", markup=False, highlight=False)
        if bad:
            sys.exit(1)


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


# ------------------------------------------------------------------------------------- digest
@cli.group("digest")
def digest_group() -> None:
    """Preview, send and inspect the weekly digests."""


@digest_group.command("preview")
@click.option("--subscriber", help="Subscriber email (default: the first configured).")
@click.option("--period", help="ISO week, e.g. 2025-W28 (default: the week due now).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Output folder.")
@click.pass_context
def digest_preview(
    ctx: click.Context, subscriber: str | None, period: str | None, out_dir: str | None
) -> None:
    """Render one subscriber's digest to HTML and text files and print their paths.

    Example: scraper digest preview --subscriber analyst@example.org --period 2025-W28
    """
    from feeds.mailer import preview

    with _errors(ctx):
        config = _state(ctx).config
        if not config.subscribers:
            raise click.UsageError("no [[subscribers]] in the configuration")
        email = subscriber or config.subscribers[0].email
        folder = Path(out_dir or Path(config.data_dir) / "preview")
        with _open_store(config) as store:
            html_path, text_path = preview(
                store, config, subscriber=email, period=period, out_dir=folder, now=_now()
            )
        click.echo(str(html_path))
        click.echo(str(text_path))


@digest_group.command("send")
@click.option("--dry-run", is_flag=True, help="Render and report; send and record nothing.")
@click.option("--period", help="ISO week to send, e.g. 2025-W28 (default: what is due).")
@click.option("--json", "as_json", is_flag=True, help="Print the deliveries as JSON.")
@click.pass_context
def digest_send(ctx: click.Context, dry_run: bool, period: str | None, as_json: bool) -> None:
    """Send the digests that are due (per the ledger) and print a table of deliveries.

    Without [smtp] in the config, messages are written as .eml files to digest.outbox_dir.

    Example: scraper digest send --dry-run
    """
    from feeds.mailer import send_due

    with _errors(ctx):
        config = _state(ctx).config
        with _open_store(config) as store:
            results = asyncio.run(
                send_due(store, config, now=_now(), dry_run=dry_run, period=period)
            )
        if as_json:
            _print_json([asdict(r) for r in results])
            return
        table = Table(title="Digest deliveries" + (" (dry run)" if dry_run else ""))
        for col in ("subscriber", "period", "items", "state", "error"):
            table.add_column(col, overflow="fold")
        for r in results:
            table.add_row(r.subscriber, r.period, str(r.items), r.state, r.error or "")
        out.print(table)


@digest_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the ledger as JSON.")
@click.pass_context
def digest_status(ctx: click.Context, as_json: bool) -> None:
    """Show the delivery ledger: one row per subscriber and week.

    Example: scraper digest status
    """
    with _errors(ctx):
        with _open_store(_state(ctx).config) as store:
            rows = store.ledger_rows()
        if as_json:
            _print_json([asdict(r) for r in rows])
            return
        table = Table(title="Digest ledger")
        for col in ("period", "subscriber", "state", "items", "attempts", "next try", "error"):
            table.add_column(col, overflow="fold")
        for r in rows:
            table.add_row(
                r.period,
                r.subscriber,
                r.state,
                str(r.items),
                str(r.attempts),
                _fmt_time(r.next_try),
                r.error or "",
            )
        out.print(table)


# -------------------------------------------------------------------------------------- serve
@cli.command("serve")
@click.option("--host", help="Address to listen on (default from [serve], 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default from [serve], 8080).")
@click.pass_context
def serve_cmd(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run everything in one process: schedules, feeds over HTTP, status page, digests.

    SIGTERM/SIGINT stop cleanly; SIGHUP reloads the configuration.

    Example: scraper serve --host 0.0.0.0 --port 8080
    """
    from scraper.service import serve

    with _errors(ctx):
        state = _state(ctx)
        state.config  # validate before any side effect  # noqa: B018
        code = serve(state.config_path, host=host, port=port, verbose=state.verbose)
        sys.exit(code)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="scraper")


if __name__ == "__main__":  # pragma: no cover
    main()
