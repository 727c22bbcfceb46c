"""``scraper probe``: what discovery and extraction find on a new site, and a proposed source."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.table import Table

from scraper.cli._app import _errors, _now, _print_json, _State, _state, cli, err, out


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
