"""Publishing commands: ``feeds build|check``, ``digest preview|send|status``, ``serve``."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import asdict
from pathlib import Path

import click
from rich.table import Table

from scraper.cli._app import (
    _build_feeds,
    _errors,
    _fmt_time,
    _now,
    _open_store,
    _print_json,
    _state,
    cli,
    out,
)


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
