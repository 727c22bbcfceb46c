"""feeds.opml: the index page counts entries in words that agree with the number."""

from __future__ import annotations

from pathlib import Path

from feeds.opml import FeedFile, render_index
from tests._feeds_helpers import config


def _feed(key: str, entries: int) -> FeedFile:
    return FeedFile(
        path=Path(f"sources/{key}.atom"),
        kind="source",
        key=key,
        title=key.upper(),
        entries=entries,
        written=True,
    )


def test_index_says_entry_for_one_and_entries_otherwise(tmp_path: Path) -> None:
    page = render_index(
        [_feed("ipis", 1), _feed("csis", 0), _feed("kas", 12)], config(str(tmp_path))
    ).decode("utf-8")
    assert '<a href="sources/ipis.atom">IPIS</a> <small>(1 entry)</small>' in page
    assert '<a href="sources/csis.atom">CSIS</a> <small>(0 entries)</small>' in page
    assert '<a href="sources/kas.atom">KAS</a> <small>(12 entries)</small>' in page
    assert "1 entries" not in page
