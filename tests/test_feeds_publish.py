"""feeds.publish: every file written atomically, unchanged files left alone, OPML and index."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree  # type: ignore[import-untyped]

from feeds import publish
from feeds.model import EntryView, FeedSpec, entry_id
from feeds.publish import atomic_write, build_all, keyword_match
from feeds.validate import check_dir
from scraper.errors import FeedError
from scraper.store import Store
from tests._feeds_helpers import (
    NOW,
    MemoryArticles,
    article,
    check_feed,
    config,
    replace,
    sample_articles,
    save_stored,
)

EXPECTED_ATOM = {
    "all.atom",
    "sources/ipis.atom",
    "sources/csis.atom",
    "sources/kas.atom",
    "tags/iran.atom",
    "tags/security.atom",
    "filtered/nuclear.atom",
    "filtered/csis-sec.atom",
}


def _files(root: Path) -> dict[str, int]:
    return {
        p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()
    }


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A real SQLite store holding the sample articles (duplicate_of remapped to store ids)."""
    st = Store.open("sqlite:///" + str(tmp_path / "db" / "scraper.db"))
    save_stored(st, sample_articles())
    yield st
    st.close()


def test_build_from_a_real_store_writes_valid_feeds(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "feeds"
    report = build_all(store, config(str(out)), now=NOW)
    atom = {f.path.as_posix() for f in report.feeds}
    assert atom == EXPECTED_ATOM
    assert all(f.written for f in report.feeds)
    problems = check_dir(out)
    assert set(problems) == EXPECTED_ATOM
    assert all(p == [] for p in problems.values()), problems
    for name in EXPECTED_ATOM:
        check_feed((out / name).read_bytes())
        assert (out / name).with_suffix(".json").is_file()
    entries = {f.path.as_posix(): f.entries for f in report.feeds}
    assert entries["all.atom"] == 5  # the near-duplicate is left out
    assert entries["sources/csis.atom"] == 2  # ...but shown in its own source feed
    assert entries["tags/security.atom"] == 2
    assert entries["filtered/csis-sec.atom"] == 1
    assert entries["filtered/nuclear.atom"] == 0
    csis = check_feed((out / "sources/csis.atom").read_bytes())
    related = [x.href for e in csis.entries for x in e.links if x.rel == "related"]
    assert related == ["https://ipis.example/analysis/1-piece"]
    all_feed = check_feed((out / "all.atom").read_bytes())
    assert {x.href for x in all_feed.feed.links if x.rel == "self"} == {
        "https://feeds.example.org/feeds/all.atom"
    }
    ipis = check_feed((out / "sources/ipis.atom").read_bytes())
    assert ipis.feed.icon == "https://ipis.example/favicon.ico"
    assert "unchanged" in report.summary() and "8 feeds" in report.summary()


def test_newest_n_from_a_real_store_counts_an_undated_article_by_first_seen(
    tmp_path: Path,
) -> None:
    """The store picks the newest N in the order the feed shows them: an undated article
    by when it was first seen, not behind every dated one (it used to drop out of every feed
    once N dated articles existed)."""
    dated = [article(i, published=NOW - timedelta(days=60 - i)) for i in (1, 2, 3)]
    undated = replace(article(4, published=None), published=None)
    assert undated.published is None and undated.first_seen > dated[-1].first_seen
    st = Store.open("sqlite:///" + str(tmp_path / "scraper.db"))
    try:
        save_stored(st, [*dated, undated])
        out = tmp_path / "feeds"
        report = build_all(st, config(str(out), max_entries=2), now=NOW)
        # the in-memory double of the tests orders exactly as the store does
        memory = MemoryArticles([*dated, undated])
        for query in ({}, {"source_ids": ["ipis"]}, {"tags": ["iran"]}):
            got = [a.canonical_url for a in st.articles(**query)]
            assert got == [a.canonical_url for a in memory.articles(**query)]
    finally:
        st.close()
    assert {f.path.as_posix(): f.entries for f in report.feeds}["all.atom"] == 2
    for name in ("all.atom", "sources/ipis.atom", "tags/iran.atom"):
        ids = [e.id for e in check_feed((out / name).read_bytes()).entries]
        assert ids == [entry_id(undated.canonical_url), entry_id(dated[-1].canonical_url)]


def test_a_republication_is_news_where_its_first_copy_is_not(tmp_path: Path) -> None:
    """A CSIS republication (tag security) of an IPIS piece (tag iran): left out of all.atom
    and of tags/iran (which has the first copy), shown and linked in tags/security."""
    first = article(1, tags=("iran",))
    copy = article(2, "csis", host="csis.example", tags=("security",), duplicate_of=1)
    other = article(3, "csis", host="csis.example", tags=("security",))
    st = Store.open("sqlite:///" + str(tmp_path / "scraper.db"))
    try:
        save_stored(st, [first, copy, other])
        out = tmp_path / "feeds"
        build_all(st, config(str(out)), now=NOW)
    finally:
        st.close()

    def ids(name: str) -> set[str]:
        return {e.id for e in check_feed((out / name).read_bytes()).entries}

    copy_id = entry_id(copy.canonical_url)
    assert copy_id not in ids("all.atom") | ids("tags/iran.atom")
    assert copy_id in ids("tags/security.atom") & ids("filtered/csis-sec.atom")
    security = check_feed((out / "tags/security.atom").read_bytes())
    shown = next(e for e in security.entries if e.id == copy_id)
    assert [x.href for x in shown.links if x.rel == "related"] == [first.url]
    assert "first copy" in shown.content[0].value


def test_second_build_rewrites_nothing_and_a_change_rewrites_only_affected(
    tmp_path: Path,
) -> None:
    out = tmp_path / "feeds"
    cfg = config(str(out))
    source = MemoryArticles(sample_articles())
    first = build_all(source, cfg, now=NOW)
    assert len(first.written) == 2 * len(EXPECTED_ATOM) + 2  # atom + json + opml + index
    before = _files(out)
    second = build_all(source, cfg, now=NOW + timedelta(hours=6))
    assert second.written == ()
    assert len(second.unchanged) == len(first.written)
    assert _files(out) == before  # same mtimes: nothing was touched

    kas = next(a for a in sample_articles() if a.id == 5)
    source.replace(replace(kas, title="KAS revised", last_changed=NOW))
    third = build_all(source, cfg, now=NOW)
    rewritten = {p.as_posix() for p in third.written}
    assert rewritten == {"all.atom", "all.json", "sources/kas.atom", "sources/kas.json"}
    after = _files(out)
    assert after["sources/ipis.atom"] == before["sources/ipis.atom"]
    assert after["sources/kas.atom"] != before["sources/kas.atom"]
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_stale_feeds_removed_and_json_optional(tmp_path: Path) -> None:
    out = tmp_path / "feeds"
    (out / "sources").mkdir(parents=True)
    (out / "sources" / "gone.atom").write_bytes(b"<feed/>")
    (out / "sources" / "notes.txt").write_text("kept")
    report = build_all(
        MemoryArticles(sample_articles()), config(str(out), json_feed=False), now=NOW
    )
    assert Path("sources/gone.atom") in report.removed
    assert not (out / "sources" / "gone.atom").exists()
    assert (out / "sources" / "notes.txt").exists()
    assert not list(out.rglob("*.json"))
    all_feed = check_feed((out / "all.atom").read_bytes())
    assert not [x for x in all_feed.feed.links if x.get("type") == "application/feed+json"]


@pytest.mark.parametrize(
    ("serve", "self_url"),
    [
        ({}, "http://localhost:8080/feeds/all.atom"),
        ({"host": "0.0.0.0", "port": 9000}, "http://localhost:9000/feeds/all.atom"),
        ({"host": "192.0.2.7", "port": 80}, "http://192.0.2.7:80/feeds/all.atom"),
        ({"host": "2001:db8::7", "port": 8080}, "http://[2001:db8::7]:8080/feeds/all.atom"),
    ],
)
def test_default_base_url_is_where_serve_listens(
    tmp_path: Path, serve: dict[str, Any], self_url: str
) -> None:
    """Without ``public_base_url`` the links point where ``scraper serve`` listens."""
    cfg = config(str(tmp_path))
    changes = {"public_base_url": None, **serve}
    cfg = cfg.model_copy(update={"serve": cfg.serve.model_copy(update=changes)})
    build_all(MemoryArticles(sample_articles()), cfg, now=NOW)
    parsed = check_feed((tmp_path / "all.atom").read_bytes())
    assert {x.href for x in parsed.feed.links if x.rel == "self"} == {self_url}


def test_keyword_filter_is_case_insensitive_whole_word(tmp_path: Path) -> None:
    nuclear = article(20, title="The NUCLEAR question", tags=())
    nuclearism = article(21, title="Nuclearism explained", tags=())
    in_body = article(22, body_text="Talks on a nuclear deal resumed.", tags=())
    dup = article(23, title="nuclear copy", duplicate_of=20)
    assert keyword_match(nuclear, ["nuclear"])
    assert not keyword_match(nuclearism, ["nuclear"])
    assert keyword_match(in_body, ["Nuclear"])
    assert keyword_match(article(24, summary="A nuclear-armed state"), ["nuclear"])
    assert keyword_match(article(25, title="Middle East policy"), ["middle east"])
    build_all(MemoryArticles([nuclear, nuclearism, in_body, dup]), config(str(tmp_path)), now=NOW)
    parsed = check_feed((tmp_path / "filtered" / "nuclear.atom").read_bytes())
    assert {e.id for e in parsed.entries} == {
        entry_id(nuclear.canonical_url),
        entry_id(in_body.canonical_url),
    }


def test_keyword_filter_finds_old_matches_beyond_the_first_window(tmp_path: Path) -> None:
    # max_entries=2: the first window is 4 newest articles; the matches are the two oldest.
    arts = [article(i, tags=()) for i in range(1, 21)]
    arts[0] = replace(arts[0], title="Nuclear talks")
    arts[1] = replace(arts[1], summary="On nuclear power.")
    report = build_all(MemoryArticles(arts), config(str(tmp_path), max_entries=2), now=NOW)
    assert {f.key: f.entries for f in report.feeds}["nuclear"] == 2
    parsed = check_feed((tmp_path / "filtered" / "nuclear.atom").read_bytes())
    assert [e.id for e in parsed.entries] == [entry_id(arts[1].url), entry_id(arts[0].url)]


def test_max_entries_limits_every_feed(tmp_path: Path) -> None:
    many = [article(i, tags=("iran",)) for i in range(1, 31)]
    report = build_all(MemoryArticles(many), config(str(tmp_path), max_entries=7), now=NOW)
    counts = {f.path.as_posix(): f.entries for f in report.feeds}
    assert counts["all.atom"] == counts["sources/ipis.atom"] == counts["tags/iran.atom"] == 7
    parsed = check_feed((tmp_path / "all.atom").read_bytes())
    assert parsed.entries[0].id == entry_id(many[-1].canonical_url)  # newest kept


def test_opml_lists_every_feed_and_index_is_escaped(tmp_path: Path) -> None:
    cfg = config(str(tmp_path), title='Digest <&> "quotes"')
    report = build_all(MemoryArticles(sample_articles()), cfg, now=NOW)
    root = etree.fromstring((tmp_path / "feeds.opml").read_bytes())
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == 'Digest <&> "quotes"'
    urls = {o.get("xmlUrl") for o in root.iter("outline") if o.get("xmlUrl")}
    assert urls == {f"https://feeds.example.org/feeds/{name}" for name in EXPECTED_ATOM}
    html = (tmp_path / "index.html").read_text()
    assert "Digest &lt;&amp;&gt; &quot;quotes&quot;" in html
    assert "<&>" not in html
    for f in report.feeds:
        assert f'href="{f.path.as_posix()}"' in html
    assert "<script" not in html


def test_json_twins_carry_the_same_ids(tmp_path: Path) -> None:
    build_all(MemoryArticles(sample_articles()), config(str(tmp_path)), now=NOW)
    atom = check_feed((tmp_path / "tags" / "iran.atom").read_bytes())
    doc = json.loads((tmp_path / "tags" / "iran.json").read_bytes())
    assert [i["id"] for i in doc["items"]] == [e.id for e in atom.entries]


def test_atomic_write_replaces_whole_files_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "sub" / "f.atom"
    assert atomic_write(target, b"one")
    assert not atomic_write(target, b"one")
    assert target.read_bytes() == b"one"
    assert oct(target.stat().st_mode & 0o777) == "0o644"

    def broken_replace(self: Path, dst: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write(target, b"two")
    assert target.read_bytes() == b"one"  # the old file is intact
    assert [p.name for p in target.parent.iterdir()] == ["f.atom"]  # no temp file left


def test_unwritable_output_is_a_feed_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(FeedError) as info:
        build_all(MemoryArticles([]), config(str(blocker / "feeds")), now=NOW)
    assert info.value.hint and "output_dir" in info.value.hint


def test_a_write_failing_on_a_writer_thread_is_a_feed_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "feeds"
    real = publish.atomic_write

    def full_disk(path: Path, data: bytes) -> bool:
        if path.name == "kas.json":
            raise OSError(28, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(publish, "atomic_write", full_disk)
    with pytest.raises(FeedError, match="No space left"):
        build_all(MemoryArticles(sample_articles()), config(str(out)), now=NOW)
    assert not (out / ".build-state").exists()  # nothing recorded for a failed build


def test_report_lists_files_in_feed_order_whatever_thread_wrote_them(tmp_path: Path) -> None:
    cfg = config(str(tmp_path / "feeds"))
    report = build_all(MemoryArticles(sample_articles()), cfg, now=NOW)
    expected = [p for f in report.feeds for p in (f.path, f.json_path) if p is not None]
    assert list(report.written) == [*expected, Path("feeds.opml"), Path("index.html")]
    assert all(f.written for f in report.feeds)
    again = build_all(MemoryArticles(sample_articles()), cfg, now=NOW, force=True)
    assert again.written == ()
    assert list(again.unchanged) == list(report.written)
    assert not any(f.written for f in again.feeds)


def _count_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = publish.render_entries  # type: ignore[attr-defined]

    def counting(
        spec: FeedSpec, entries: Sequence[EntryView], *, generator_version: str, **memo: Any
    ) -> bytes:
        calls.append(f"{spec.kind}/{spec.key}")
        return real(spec, entries, generator_version=generator_version, **memo)

    monkeypatch.setattr(publish, "render_entries", counting)
    return calls


def test_unchanged_feeds_are_not_even_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config(str(tmp_path))
    source = MemoryArticles(sample_articles())
    first = build_all(source, cfg, now=NOW)
    calls = _count_renders(monkeypatch)
    second = build_all(source, cfg, now=NOW)
    assert calls == []
    assert [(f.path, f.entries) for f in second.feeds] == [(f.path, f.entries) for f in first.feeds]
    assert second.written == ()

    kas = next(a for a in sample_articles() if a.id == 5)
    source.replace(replace(kas, title="KAS revised", last_changed=NOW))
    build_all(source, cfg, now=NOW)
    assert sorted(calls) == ["all/all", "source/kas"]

    calls.clear()
    (tmp_path / "sources" / "ipis.json").unlink()  # someone touched the output
    report = build_all(source, cfg, now=NOW)
    assert calls == ["source/ipis"]
    assert Path("sources/ipis.json") in report.written
    assert (tmp_path / "sources" / "ipis.json").is_file()

    calls.clear()
    forced = build_all(source, cfg, now=NOW, force=True)
    assert len(calls) == len(EXPECTED_ATOM)
    assert forced.written == ()  # rendered again, but the same bytes are not rewritten


def test_renamed_source_changes_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = MemoryArticles(sample_articles())
    build_all(source, config(str(tmp_path)), now=NOW)
    calls = _count_renders(monkeypatch)
    cfg = config(str(tmp_path))
    renamed = [
        s.model_copy(update={"name": "CSIS (new)"}) if s.id == "csis" else s for s in cfg.sources
    ]
    build_all(source, cfg.model_copy(update={"sources": renamed}), now=NOW)
    # the CSIS name is in entries of: all, its source feed, the security tag and csis-sec feeds
    assert "source/csis" in calls and "all/all" in calls and "tag/security" in calls
    assert "source/kas" not in calls
    parsed = check_feed((tmp_path / "sources" / "csis.atom").read_bytes())
    assert parsed.entries[0].source.title == "CSIS (new)"


def test_garbage_collector_paused_during_a_build_and_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    seen: list[bool] = []
    real = publish.plan_feeds

    def planning(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(publish, "plan_feeds", planning)
    assert gc.isenabled()
    build_all(MemoryArticles(sample_articles()), config(str(tmp_path / "ok")), now=NOW)
    assert seen == [False] and gc.isenabled()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(FeedError):  # restored after a failed build too
        build_all(MemoryArticles([]), config(str(blocker / "feeds")), now=NOW)
    assert gc.isenabled()
    gc.disable()  # a caller that turned it off keeps it off
    try:
        build_all(MemoryArticles(sample_articles()), config(str(tmp_path / "off")), now=NOW)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_bodies_under_an_older_policy_are_sanitised_once_and_kept(tmp_path: Path) -> None:
    """Rows stored under an older sanitiser policy (or none) are sanitised while rendering;
    the build hands them to the store, so the next build (in any process) uses them as they
    are, and the files do not change."""
    from feeds.sanitize import POLICY
    from tests._feeds_helpers import HOSTILE_BODY

    old = [
        replace(a, body_policy=policy, body_html=HOSTILE_BODY)
        for a, policy in zip(
            sample_articles()[:3], (None, "nh3-1-older", "nh3-1-older"), strict=True
        )
    ]
    st = Store.open("sqlite:///" + str(tmp_path / "scraper.db"))
    try:
        save_stored(st, old)
        out = tmp_path / "feeds"
        first = build_all(st, config(str(out)), now=NOW)
        assert first.refreshed == 3 and first.refresh_error is None
        assert "3 stored bodies brought to the current sanitiser policy" in first.summary()
        stored = st.articles()
        assert {a.body_policy for a in stored} == {POLICY}
        assert all("<script" not in a.body_html and "onerror" not in a.body_html for a in stored)
        before = _files(out)
        second = build_all(st, config(str(out)), now=NOW)
        assert second.refreshed == 0 and second.written == ()
        # the feeds showed the same HTML all along: only the recorded fingerprints move
        after = _files(out)
        assert after.pop(".build-state") != before.pop(".build-state")
        assert after == before
    finally:
        st.close()
    # a source that cannot keep them (the in-memory double) is simply not asked
    assert build_all(MemoryArticles(old), config(str(tmp_path / "m")), now=NOW).refreshed == 0


def test_a_store_failing_to_keep_bodies_does_not_fail_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scraper.errors import StoreError

    def locked(refreshed: Sequence[Any]) -> int:
        raise StoreError("database error in refresh_bodies: database is locked")

    legacy = [replace(a, body_policy=None) for a in sample_articles()]
    st = Store.open("sqlite:///" + str(tmp_path / "legacy.db"))
    try:
        save_stored(st, legacy)
        monkeypatch.setattr(st, "refresh_bodies", locked)
        report = build_all(st, config(str(tmp_path / "feeds")), now=NOW)
    finally:
        st.close()
    assert report.refreshed == 0 and report.refresh_error is not None
    assert "database is locked" in report.summary() and "next build retries" in report.summary()
    assert all(f.written for f in report.feeds)
