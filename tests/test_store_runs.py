"""Sources (health, schedule), run history and per-URL fetch state, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from scraper.config import SourceConfig
from scraper.models import FetchResult, FetchStatus, FillRates, SiteIcons, SourceReport
from scraper.store import Store
from tests.conftest import NOW, ArticleFactory


def _src(sid: str, name: str) -> SourceConfig:
    return SourceConfig(
        id=sid,
        name=name,
        homepage=f"https://{sid}.example.org",
        feeds=[f"https://{sid}.example.org/feed"],
    )


def _report(sid: str, started: datetime, **counts: int) -> SourceReport:
    return SourceReport(
        source_id=sid,
        started=started,
        finished=started + timedelta(minutes=3),
        error_messages=tuple(
            f"https://{sid}.example.org/{i}: HTTP 500" for i in range(counts.get("errors", 0))
        ),
        fill=FillRates(title=1.0, author=0.5, date=0.75, body=0.9),
        **counts,
    )


def test_sync_sources_and_states(store: Store, make_article: ArticleFactory) -> None:
    store.sync_sources([_src("ipis", "IPIS"), _src("csis", "CSIS")], NOW)
    states = store.source_states()
    assert [(s.source_id, s.name) for s in states] == [("csis", "CSIS"), ("ipis", "IPIS")]
    ipis = states[1]
    assert ipis.last_run is None and ipis.last_success is None and ipis.next_run is None
    assert ipis.consecutive_failures == 0 and ipis.last_error is None
    assert ipis.article_count == 0 and ipis.last_report is None and ipis.flags == ()

    for i in (1, 2):
        art, dec = make_article(i)
        store.save_article("ipis", art, dec, url=f"u{i}", tags=[], now=NOW)

    # renamed, one removed, one added: removed sources keep their row but leave the list
    store.sync_sources([_src("ipis", "Institute IPIS"), _src("rand", "RAND")], NOW)
    states = store.source_states()
    assert [(s.source_id, s.name, s.article_count) for s in states] == [
        ("ipis", "Institute IPIS", 2),
        ("rand", "RAND", 0),
    ]
    gone = store.source_state("csis")
    assert gone is not None and gone.name == "CSIS"
    assert store.source_state("nope") is None
    store.sync_sources([], NOW)
    assert store.source_states() == []


def test_record_run_success_and_failure_health(store: Store) -> None:
    store.sync_sources([_src("ipis", "IPIS")], NOW)
    t0 = NOW
    store.record_run(_report("ipis", t0, errors=3, fetched=3), success=False, flags=["failing"])
    s = store.source_state("ipis")
    assert s is not None
    assert s.consecutive_failures == 1
    assert s.last_success is None
    assert s.last_run == t0 + timedelta(minutes=3)
    assert s.last_error == "https://ipis.example.org/0: HTTP 500 (+2 more)"
    assert s.flags == ("failing",)

    t1 = NOW + timedelta(hours=6)
    store.record_run(_report("ipis", t1, errors=1), success=False, flags=["failing", "failing"])
    s = store.source_state("ipis")
    assert s is not None and s.consecutive_failures == 2 and s.flags == ("failing",)

    t2 = NOW + timedelta(hours=12)
    nxt = t2 + timedelta(hours=6)
    store.record_run(
        _report("ipis", t2, fetched=10, new=4, unchanged=6), success=True, next_run=nxt
    )
    s = store.source_state("ipis")
    assert s is not None
    assert s.consecutive_failures == 0
    assert s.last_error is None
    assert s.last_success == t2 + timedelta(minutes=3)
    assert s.next_run == nxt
    assert s.flags == ()
    assert s.last_report is not None
    assert s.last_report.new == 4 and s.last_report.fetched == 10
    assert s.last_report.fill == FillRates(title=1.0, author=0.5, date=0.75, body=0.9)
    assert s.last_report.started == t2

    # next_run=None leaves the schedule alone
    store.record_run(_report("ipis", t2 + timedelta(hours=1)), success=True)
    s = store.source_state("ipis")
    assert s is not None and s.next_run == nxt


def test_failure_without_messages_and_unknown_source(store: Store) -> None:
    store.record_run(_report("ghost", NOW, errors=2), success=False)
    s = store.source_state("ghost")
    assert s is not None
    assert s.name == "ghost"  # created on the fly
    assert s.last_error is not None and "HTTP 500" in s.last_error
    rep = SourceReport(source_id="ghost", started=NOW, finished=NOW, errors=4)
    store.record_run(rep, success=False)
    s = store.source_state("ghost")
    assert s is not None
    assert s.last_error == "run failed with 4 error(s)"
    assert s.consecutive_failures == 2


def test_recent_reports_newest_first(store: Store) -> None:
    for i in range(5):
        store.record_run(_report("ipis", NOW + timedelta(hours=i), new=i), success=True)
    store.record_run(_report("csis", NOW, new=99), success=True)
    reports = store.recent_reports("ipis", limit=3)
    assert [r.new for r in reports] == [4, 3, 2]
    assert all(r.source_id == "ipis" for r in reports)
    full = store.recent_reports("ipis")
    assert len(full) == 5
    r = full[0]
    assert r.started == NOW + timedelta(hours=4)
    assert r.finished == NOW + timedelta(hours=4, minutes=3)
    assert r.fill.date == 0.75
    failing = _report("ipis", NOW + timedelta(days=1), errors=2)
    store.record_run(failing, success=False)
    assert store.recent_reports("ipis", limit=1)[0].error_messages == failing.error_messages
    assert store.recent_reports("nobody") == []


def test_set_next_run(store: Store) -> None:
    store.sync_sources([_src("ipis", "IPIS")], NOW)
    when = datetime(2025, 7, 15, 12, 0, tzinfo=timezone(timedelta(hours=3, minutes=30)))
    store.set_next_run("ipis", when)
    s = store.source_state("ipis")
    assert s is not None and s.next_run == when and s.next_run.utcoffset() == timedelta(0)
    store.set_next_run("ipis", None)
    s = store.source_state("ipis")
    assert s is not None and s.next_run is None
    with pytest.raises(ValueError, match="timezone-aware"):
        store.set_next_run("ipis", datetime(2025, 1, 1))


def _result(url: str, status: FetchStatus, **kw: object) -> FetchResult:
    return FetchResult(url=url, final_url=url, status=status, **kw)  # type: ignore[arg-type]


def test_fetch_state_upserts_and_keeps_validators(
    store: Store, make_article: ArticleFactory
) -> None:
    url = "https://ipis.example.org/a/1"
    assert store.fetch_states([url]) == {}
    art, dec = make_article(1)
    aid = store.save_article("ipis", art, dec, url=url, tags=[], now=NOW)
    lastmod = datetime(2025, 7, 1, tzinfo=UTC)
    store.record_fetch(
        "ipis",
        _result(
            url, FetchStatus.OK, http_status=200, etag='"abc"', last_modified="Tue, 01 Jul 2025"
        ),
        lastmod=lastmod,
        article_id=aid,
        now=NOW,
    )
    st = store.fetch_states([url])[url]
    assert (st.etag, st.last_modified, st.last_status) == ('"abc"', "Tue, 01 Jul 2025", "ok")
    assert st.last_fetched == NOW and st.lastmod_seen == lastmod and st.article_id == aid
    assert st.source_id == "ipis"

    # 304 without validators: keep the stored ones, article and lastmod too
    t1 = NOW + timedelta(days=1)
    store.record_fetch(
        "ipis",
        _result(url, FetchStatus.NOT_MODIFIED, fetched_at=t1),
        lastmod=None,
        article_id=None,
        now=NOW,
    )
    st = store.fetch_states([url])[url]
    assert st.etag == '"abc"' and st.last_modified == "Tue, 01 Jul 2025"
    assert st.last_status == "not_modified" and st.last_fetched == t1
    assert st.article_id == aid and st.lastmod_seen == lastmod

    # an error keeps validators too
    store.record_fetch(
        "ipis", _result(url, FetchStatus.ERROR, error="boom"), lastmod=None, article_id=None, now=t1
    )
    st = store.fetch_states([url])[url]
    assert st.etag == '"abc"' and st.last_status == "error"

    # a 200 without validators replaces them (the server stopped sending them)
    store.record_fetch("ipis", _result(url, FetchStatus.OK), lastmod=None, article_id=None, now=t1)
    st = store.fetch_states([url])[url]
    assert st.etag is None and st.last_modified is None and st.article_id == aid


def test_fetch_states_is_batch_shaped(store: Store) -> None:
    urls = [f"https://csis.example.org/p/{i}" for i in range(1203)]
    for u in urls[::100]:
        store.record_fetch(
            "csis", _result(u, FetchStatus.BLOCKED), lastmod=None, article_id=None, now=NOW
        )
    got = store.fetch_states([*urls, urls[0], "https://other.example/x"])
    assert sorted(got) == sorted(urls[::100])
    assert {s.last_status for s in got.values()} == {"blocked"}
    assert store.fetch_states([]) == {}


def test_known_urls(store: Store, make_article: ArticleFactory) -> None:
    lastmod = datetime(2025, 7, 1, 12, tzinfo=timezone(timedelta(hours=3, minutes=30)))
    base = "https://ipis.example.org/"
    art, dec = make_article(1)
    aid = store.save_article("ipis", art, dec, url=base + "a", tags=[], now=NOW)
    cases = [
        ("a", FetchStatus.OK, aid, lastmod),
        ("b", FetchStatus.NOT_MODIFIED, None, None),
        ("c", FetchStatus.NOT_HTML, None, None),
        ("d", FetchStatus.ERROR, None, None),  # retried next run
        ("e", FetchStatus.BLOCKED, None, None),
        ("f", FetchStatus.DISALLOWED, None, None),
    ]
    for path, status, article_id, lm in cases:
        store.record_fetch(
            "ipis", _result(base + path, status), lastmod=lm, article_id=article_id, now=NOW
        )
    store.record_fetch(
        "csis",
        _result("https://csis.example.org/x", FetchStatus.OK),
        lastmod=None,
        article_id=None,
        now=NOW,
    )
    known = store.known_urls("ipis")
    assert known == {base + "a": lastmod, base + "b": None, base + "c": None}
    # a stored article stays known even when a later fetch failed
    store.record_fetch(
        "ipis", _result(base + "a", FetchStatus.ERROR), lastmod=None, article_id=None, now=NOW
    )
    assert base + "a" in store.known_urls("ipis")
    assert store.known_urls("nobody") == {}


def test_source_icons_are_kept_and_written_only_when_changed(store: Store) -> None:
    store.sync_sources([_src("ipis", "IPIS"), _src("csis", "CSIS")], NOW)
    assert store.source_icons() == {}
    found = SiteIcons(
        icon="https://ipis.example.org/apple.png", favicon="https://ipis.example.org/f.ico"
    )
    assert store.set_source_icons("ipis", found) is True
    assert store.set_source_icons("ipis", found) is False  # the same again: nothing written
    assert store.source_icons() == {"ipis": found}
    # a site that drops its large icon: both columns follow the page
    small = SiteIcons(favicon="https://ipis.example.org/f.ico")
    assert store.set_source_icons("ipis", small) is True
    assert store.set_source_icons("ipis", small) is False
    # a source not seen before gets its row (as record_run does); its health is untouched
    assert store.set_source_icons("rand", SiteIcons(icon="https://rand.example.org/i.png"))
    assert store.source_icons() == {
        "ipis": small,
        "rand": SiteIcons(icon="https://rand.example.org/i.png"),
    }
    rand = store.source_state("rand")
    assert rand is not None and rand.consecutive_failures == 0 and rand.last_run is None
    # syncing the config (rename) keeps the icons
    store.sync_sources([_src("ipis", "Institute IPIS")], NOW)
    assert store.source_icons()["ipis"] == small


def test_unchanged_source_icons_take_no_write_transaction(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = SiteIcons(favicon="https://ipis.example.org/f.ico")
    store.set_source_icons("ipis", found)
    writes: list[int] = []
    real_write = store._db.write

    def counting_write() -> Any:
        writes.append(1)
        return real_write()

    monkeypatch.setattr(store._db, "write", counting_write)
    assert store.set_source_icons("ipis", found) is False
    assert writes == []
    assert store.set_source_icons("ipis", SiteIcons(icon="https://ipis.example.org/a.png"))
    assert writes == [1]
