"""The command line: a thin click layer over the library.

Errors become output only here: one actionable line (what, where, how to fix), a traceback
only with ``-v``. Exit status: 0 the command did its job (a run with failing sources included:
they are reported), 1 a runtime failure, 2 a usage or configuration error.

This module holds the ``scraper`` group and what every command shares; the commands live in
``ingest`` (config, scrape, sources, extract, duplicates), ``probe`` and ``publish`` (feeds,
digest, serve).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, NoReturn

import click
from rich.console import Console

from scraper import __version__
from scraper.config import Config, SourceConfig, load_config
from scraper.errors import ConfigError, ScraperError

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


def _open_store(config: Config) -> Any:
    from scraper.store import Store

    return Store.open(config.database_url)


def _build_feeds(config: Config, store: Any) -> Any:
    from feeds.publish import build_all

    return build_all(store, config, now=_now())


def _fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="scraper")
