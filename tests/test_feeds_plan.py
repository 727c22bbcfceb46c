"""feeds.plan: which icons each feed shows, that a newly found icon re-renders only its feed,
and that tag feeds leaving out near-duplicates still hold the newest N.

The articles and config are those of ``tests._feeds_helpers`` (IPIS has an ``icon`` in the
config, CSIS and KAS do not); the icons are what a run would have found on invented sites.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from feeds.plan import IconSource, PlannedFeed, plan_feeds
from feeds.publish import build_all
from scraper.models import ArticleQuery, SiteIcons, StoredArticle
from scraper.store import Store
from tests._feeds_helpers import (
    NOW,
    MemoryArticles,
    article,
    config,
    sample_articles,
    save_stored,
)

FOUND = {
    "ipis": SiteIcons(icon="https://ipis.example/apple.png", favicon="https://ipis.example/f.png"),
    "csis": SiteIcons(icon="https://csis.example/apple.png", favicon="https://csis.example/f.ico"),
    "kas": SiteIcons(favicon="https://kas.example/favicon.ico"),
}


class IconArticles(MemoryArticles):
    """The in-memory store, keeping icons found on the sites as ``Store`` does."""

    def __init__(self, articles: Sequence[StoredArticle], icons: Mapping[str, SiteIcons]) -> None:
        super().__init__(articles)
        self.icons = dict(icons)

    def source_icons(self) -> Mapping[str, SiteIcons]:
        return self.icons


def _by_path(plans: list[PlannedFeed]) -> dict[str, PlannedFeed]:
    return {p.path.as_posix(): p for p in plans}


def test_source_feeds_show_found_icons_and_the_config_icon_wins(tmp_path: Path) -> None:
    store = IconArticles(sample_articles(), FOUND)
    assert isinstance(store, IconSource)
    plans = _by_path(plan_feeds(store, config(str(tmp_path))))
    icons = {path: p.spec.icon for path, p in plans.items()}
    assert icons == {
        "all.atom": None,  # no single source: no icon
        "sources/ipis.atom": "https://ipis.example/favicon.ico",  # the config's
        "sources/csis.atom": "https://csis.example/apple.png",  # the large one found
        "sources/kas.atom": "https://kas.example/favicon.ico",  # else the small one
        "tags/iran.atom": None,
        "tags/security.atom": None,
        "filtered/nuclear.atom": None,
        "filtered/csis-sec.atom": None,
    }


def test_source_feeds_favicon_is_the_small_icon_found(tmp_path: Path) -> None:
    """JSON Feed's ``favicon`` (FeedSpec.favicon): found on the site, not with a config icon."""
    plans = _by_path(plan_feeds(IconArticles(sample_articles(), FOUND), config(str(tmp_path))))
    favicons = {path: p.spec.favicon for path, p in plans.items()}
    assert favicons == {
        **dict.fromkeys(plans),
        "sources/csis.atom": "https://csis.example/f.ico",
        "sources/kas.atom": "https://kas.example/favicon.ico",
    }


def test_a_store_without_icons_gives_the_config_icons_only(tmp_path: Path) -> None:
    store = MemoryArticles(sample_articles())
    assert not isinstance(store, IconSource)
    plans = _by_path(plan_feeds(store, config(str(tmp_path))))
    assert {path for path, p in plans.items() if p.spec.icon} == {"sources/ipis.atom"}


def test_a_newly_found_icon_re_renders_only_its_feed(tmp_path: Path) -> None:
    """The spec is part of each feed's fingerprint (feeds.fingerprint), so the next build
    renders and writes the feed of the source whose icon changed, and no other."""
    with Store.open("sqlite:///" + str(tmp_path / "db" / "scraper.db")) as store:
        save_stored(store, sample_articles())
        cfg = config(str(tmp_path / "feeds"))
        build_all(store, cfg, now=NOW)
        assert store.set_source_icons("csis", FOUND["csis"])
        second = build_all(store, cfg, now=NOW)
        assert {p.as_posix() for p in second.written} == {"sources/csis.atom", "sources/csis.json"}
        assert (
            b"https://csis.example/apple.png" in (tmp_path / "feeds/sources/csis.atom").read_bytes()
        )
        # found again, unchanged: nothing stored, nothing rendered
        assert not store.set_source_icons("csis", FOUND["csis"])
        assert build_all(store, cfg, now=NOW).written == ()
        # an icon found for IPIS, whose config names one, changes nothing either
        assert store.set_source_icons("ipis", FOUND["ipis"])
        assert build_all(store, cfg, now=NOW).written == ()


class CountingArticles(MemoryArticles):
    """The in-memory store, counting the single reads a build makes besides its batch."""

    def __init__(self, articles: Sequence[StoredArticle]) -> None:
        super().__init__(articles)
        self.reads: list[tuple[object, object]] = []  # (tags, limit)
        self._batch = False

    def articles(self, **query: Any) -> list[StoredArticle]:
        if not self._batch:
            self.reads.append((query.get("tags"), query.get("limit")))
        return super().articles(**query)

    def articles_many(self, queries: Sequence[ArticleQuery]) -> list[list[StoredArticle]]:
        self._batch = True
        try:
            return super().articles_many(queries)
        finally:
            self._batch = False


@pytest.mark.parametrize(("every", "extra_reads"), [(20, 0), (2, 1)])
def test_a_tag_feed_leaving_out_duplicates_still_holds_the_newest_n(
    tmp_path: Path, every: int, extra_reads: int
) -> None:
    """Near-duplicates whose first copy is in the tag feed are left out and the next newest
    take their place: a few spare candidates in the batch cover the usual share of copies
    (no second read), a second, larger read covers a source full of them."""
    arts: list[StoredArticle] = []
    for i in range(1, 61):
        copy_of = i - 1 if i % every == 0 else None
        arts.append(article(i, tags=("iran",), duplicate_of=copy_of))
    source = CountingArticles(arts)
    plans = _by_path(plan_feeds(source, config(str(tmp_path), max_entries=10)))
    held = plans["tags/iran.atom"].articles
    assert len(held) == 10 and all(a.duplicate_of is None for a in held)
    newest_first = [a for a in sorted(arts, key=lambda a: a.id, reverse=True) if not a.duplicate_of]
    assert [a.id for a in held] == [a.id for a in newest_first[:10]]
    assert len([r for r in source.reads if r[0] == ("iran",)]) == extra_reads
