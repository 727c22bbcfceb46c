"""``scraper``: the command line (see :mod:`scraper.cli._app`)."""

from __future__ import annotations

from scraper.cli import ingest, probe, publish
from scraper.cli._app import cli, main

__all__ = ["cli", "main"]

del ingest, probe, publish  # imported to register their commands
