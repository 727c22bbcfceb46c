"""The ingest pipeline end to end against a real local web site and a real SQLite store.

The site is ``tests.sitesrv.SiteServer`` (127.0.0.1, free port): a listing page pointing at
conditional pages, a robots-disallowed page, a Cloudflare challenge, a PDF and a flaky page;
a second source whose listing answers 500; a third that republishes an article of the first.
The article bodies below are hand-written for these tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feeds.publish import build_all
from feeds.sanitize import POLICY as SANITIZER_POLICY
from scraper.config import Config, parse_config
from scraper.models import SiteIcons, SourceReport
from scraper.pipeline import RunOptions, run_scrape
from scraper.store import Store
from tests._feeds_helpers import check_feed
from tests.sitesrv import SiteServer, html_page

PARAGRAPHS = [
    "The ministers met in Geneva for a third round of talks on the ceasefire, and both "
    "delegations said afterwards that the positions remained far apart on the sequencing of "
    "prisoner exchanges and the withdrawal of heavy weapons from the line of contact.",
    "Diplomats familiar with the negotiations described a draft framework in which monitoring "
    "would be carried out by a mission of the regional security organisation, funded jointly "
    "by the parties and reporting weekly to a standing committee of guarantor states.",
    "Energy questions hung over the meeting: the transit agreement expires at the end of the "
    "year, and neither side has proposed terms that the other could accept without a broader "
    "settlement of the outstanding claims for damages and unpaid deliveries.",
    "Analysts cautioned that the talks could still collapse if fighting escalates around the "
    "river crossings, where both armies have reinforced positions over the past month despite "
    "the public commitments made by their governments to refrain from new offensives.",
]


def _article(title: str, author: str, day: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    head = (
        f'<meta property="og:title" content="{title}">'
        f'<meta name="author" content="{author}">'
        f'<meta property="article:published_time" content="{day}T09:00:00+03:30">'
    )
    return html_page(title, body, head=head)


def _config(tmp_path: Path, a: SiteServer, b: SiteServer, c: SiteServer) -> Config:
    def source(sid: str, srv: SiteServer, **extra: object) -> dict[str, object]:
        return {
            "id": sid,
            "name": f"Institute {sid.upper()}",
            "homepage": srv.url("/"),
            "tags": ["test"],
            "timezone": "Asia/Tehran",
            "listing": {"start_urls": [srv.url("/list")], "link_selector": "ul.articles a"},
            **extra,
        }

    return parse_config(
        {
            "database_url": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "fetch": {
                "per_host_spacing": 0,
                "retries": 1,
                "backoff_base": 0.01,
                "deadline": 5,
            },
            "sources": [source("a", a), source("b", b), source("c", c)],
        }
    )


def _listing(paths: list[str]) -> str:
    items = "".join(f'<li><a href="{p}">{p}</a></li>' for p in paths)
    return f"<html><body><ul class='articles'>{items}</ul></body></html>"


@pytest.fixture
def sites() -> Iterator[tuple[SiteServer, SiteServer, SiteServer]]:
    with SiteServer() as a, SiteServer() as b, SiteServer() as c:
        a.add(
            "/list",
            _listing(
                [
                    "/cond/one",
                    "/cond/two",
                    "/private/secret",
                    "/cf-challenge",
                    "/doc.pdf",
                    "/flaky?fails=5&status=500",
                    "/talks",
                ]
            ),
        )
        hostile = [*PARAGRAPHS[:-1], PARAGRAPHS[-1] + '<img src="/chart.png" onerror="alert(1)">']
        a.add("/talks", _article("Talks in Geneva", "Dana Example", "2025-07-09", hostile))
        b.add("/list", "<html><body>down</body></html>", status=500)
        # c republishes a's article with its own title, date and a note on where it appeared
        c.add("/list", _listing(["/republished/talks"]))
        c.add(
            "/republished/talks",
            _article(
                "Talks in Geneva (republished)",
                "Dana Example",
                "2025-07-10",
                [*PARAGRAPHS, "This commentary first appeared on the website of Institute A."],
            ),
        )
        yield a, b, c


def _by_id(reports: list[SourceReport]) -> dict[str, SourceReport]:
    return {r.source_id: r for r in reports}


async def test_first_run_stores_articles_and_reports_every_fault(
    tmp_path: Path, sites: tuple[SiteServer, SiteServer, SiteServer]
) -> None:
    a, b, c = sites
    config = _config(tmp_path, a, b, c)
    with Store.open(config.database_url) as store:
        reports = _by_id(await run_scrape(config, store, config.sources))
        ra, rb, rc = reports["a"], reports["b"], reports["c"]
        assert ra.listing_pages == 1
        assert ra.links_found == 7
        assert ra.new == 3  # /cond/one, /cond/two, /talks (one of the pair may be the copy)
        assert ra.blocked == 1  # the Cloudflare challenge
        assert ra.disallowed == 1  # /private/secret
        assert ra.errors == 1
        assert any("500" in m for m in ra.error_messages)
        assert any("blocked" in m for m in ra.error_messages)
        assert a.count("/private/secret") == 0, "robots.txt Disallow must hold"
        assert rb.errors >= 1 and rb.new == 0 and not rb.ok
        assert rc.new == 1
        # sources run concurrently: whichever copy was stored second points at the first
        assert ra.duplicates + rc.duplicates == 1
        articles = {x.url.split("/", 3)[-1]: x for x in store.articles(include_duplicates=True)}
        talks = articles["talks"]
        copy = articles["republished/talks"]
        assert {talks.duplicate_of, copy.duplicate_of} in ({None, talks.id}, {None, copy.id})
        first, later = (talks, copy) if copy.duplicate_of else (copy, talks)
        assert later.duplicate_of == first.id and first.duplicate_of is None
        assert talks.authors == ("Dana Example",)
        assert talks.published is not None and talks.published.utcoffset() is not None
        assert talks.published.isoformat().startswith("2025-07-09T09:00:00+03:30")
        assert "test" in talks.tags
        # the stored HTML is sanitised: no handlers, absolute URLs
        assert "onerror" not in talks.body_html
        assert f'src="{a.url("/chart.png")}"' in talks.body_html
        assert talks.body_policy == SANITIZER_POLICY  # so feed builds use it as it is
        assert len(store.articles()) == 3  # a:3 + c:1, the later copy left out by default
        states = {s.source_id: s for s in store.source_states()}
        assert states["b"].consecutive_failures == 1 and states["b"].last_error
        assert states["a"].last_success is not None


async def test_second_run_is_conditional_and_announces_nothing(
    tmp_path: Path, sites: tuple[SiteServer, SiteServer, SiteServer]
) -> None:
    a, b, c = sites
    config = _config(tmp_path, a, b, c)
    with Store.open(config.database_url) as store:
        await run_scrape(config, store, config.sources)
        before = {x.id: x.last_changed for x in store.articles(include_duplicates=True)}
        a.clear()
        second = _by_id(await run_scrape(config, store, config.sources))
        after = {x.id: x.last_changed for x in store.articles(include_duplicates=True)}
        assert after == before, "a re-run must change nothing"
        assert second["a"].new == 0 and second["a"].updated == 0
        assert second["c"].new == 0
        listing = a.hits("/list")
        assert listing, "the listing page is read again"
        # known articles are not fetched again; the failed one is retried
        assert a.count("/cond/one") == 0
        assert a.count("/flaky?fails=5&status=500") >= 1
        assert a.count("/private/secret") == 0


async def test_changed_listing_lastmod_refetches_conditionally(
    tmp_path: Path, sites: tuple[SiteServer, SiteServer, SiteServer]
) -> None:
    a, b, c = sites
    feed_v1 = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>A</title>"
        f"<item><title>One</title><link>{a.url('/cond/one')}</link>"
        "<pubDate>Tue, 01 Jul 2025 12:00:00 GMT</pubDate></item></channel></rss>"
    )
    a.add("/feed", feed_v1, content_type="application/rss+xml")
    config = _config(tmp_path, a, b, c)
    raw = config.model_dump()
    raw["sources"][0]["feeds"] = [a.url("/feed")]
    config = parse_config(raw)
    with Store.open(config.database_url) as store:
        await run_scrape(config, store, config.sources[:1])
        a.clear()
        # the feed says the item changed, but the page itself has not: a 304
        a.add("/feed", feed_v1.replace("01 Jul", "05 Jul"), content_type="application/rss+xml")
        second = _by_id(await run_scrape(config, store, config.sources[:1]))
        hits = a.hits("/cond/one")
        assert len(hits) == 1
        assert hits[0].headers.get("if-none-match") == '"one-v1"'
        assert second["a"].not_modified == 1
        assert second["a"].new == 0
        # two days later the page really changed: an update, not a new entry
        a.bump("one")
        a.add("/feed", feed_v1.replace("01 Jul", "09 Jul"), content_type="application/rss+xml")
        later = datetime.now(UTC) + timedelta(days=2)
        third = _by_id(await run_scrape(config, store, config.sources[:1], clock=lambda: later))
        assert third["a"].updated == 1 and third["a"].new == 0
        # a second edit within a day is stored but not announced again (churn cap)
        a.bump("one")
        a.add("/feed", feed_v1.replace("01 Jul", "10 Jul"), content_type="application/rss+xml")
        fourth = _by_id(await run_scrape(config, store, config.sources[:1], clock=lambda: later))
        assert fourth["a"].updated == 0 and fourth["a"].unchanged == 1
        one = [x for x in store.articles() if x.url.endswith("/cond/one")]
        assert len(one) == 1 and one[0].title and "version 3" in one[0].title
        assert one[0].last_changed == later


async def test_since_option_and_max_pages_reach_discovery(
    tmp_path: Path, sites: tuple[SiteServer, SiteServer, SiteServer]
) -> None:
    a, b, c = sites
    config = _config(tmp_path, a, b, c)
    with Store.open(config.database_url) as store:
        options = RunOptions(since=datetime(2025, 1, 1, tzinfo=UTC).date(), max_pages=1)
        reports = await run_scrape(config, store, config.sources[:1], options=options)
        assert reports[0].listing_pages == 1
        assert store.count_articles("a") == 3


async def test_short_identical_texts_are_linked_by_content(tmp_path: Path) -> None:
    statement = (
        "<p>The institute condemns the attack on the embassy and calls for restraint by all "
        "sides.</p>"
    )
    with SiteServer() as a, SiteServer() as b, SiteServer() as c:
        for srv, path in ((a, "/statement"), (c, "/news/statement-copy")):
            srv.add("/list", _listing([path]))
            srv.add(path, html_page("Statement", statement))
        b.add("/list", _listing([]))
        config = _config(tmp_path, a, b, c)
        with Store.open(config.database_url) as store:
            await run_scrape(config, store, [config.sources[0]])
            await run_scrape(config, store, [config.sources[2]])
            stored = store.articles(include_duplicates=True)
            assert len(stored) == 2
            first = next(x for x in stored if x.source_id == "a")
            copy = next(x for x in stored if x.source_id == "c")
            assert first.simhash is None  # too short for a fingerprint
            assert copy.duplicate_of == first.id


async def test_short_republished_text_in_other_chrome_is_linked_by_minhash(
    tmp_path: Path,
) -> None:
    from scraper.dedup import MAX_DISTANCE, hamming

    blurb = [
        "The institute's new brief finds that sanctions relief would raise oil exports by a "
        "third within a year, but warns that investment in the upstream sector will lag unless "
        "contracts are reformed.",
        "The authors recommend a phased approach agreed with European partners and a review "
        "after six months.",
    ]
    partner = [
        "This brief first appeared on the website of Institute A and is republished here with "
        "permission of the authors.",
        *blurb,
        "The views expressed are those of the authors and do not necessarily reflect the "
        "position of this organisation or its funders.",
    ]
    with SiteServer() as a, SiteServer() as b, SiteServer() as c:
        a.add("/list", _listing(["/brief"]))
        a.add("/brief", _article("Sanctions relief and oil", "Dana Example", "2025-07-09", blurb))
        c.add("/list", _listing(["/partner/brief"]))
        c.add(
            "/partner/brief",
            _article("Sanctions relief and oil exports", "Dana Example", "2025-07-10", partner),
        )
        b.add("/list", _listing([]))
        config = _config(tmp_path, a, b, c)
        with Store.open(config.database_url) as store:
            await run_scrape(config, store, [config.sources[0]])
            assert len(store.minhashes()) == 1  # the first copy's signature is stored
            reports = await run_scrape(config, store, [config.sources[2]])
            assert reports[0].duplicates == 1
            stored = store.articles(include_duplicates=True)
            first = next(x for x in stored if x.source_id == "a")
            copy = next(x for x in stored if x.source_id == "c")
            # SimHash alone would not link them
            assert (
                first.simhash is None
                or copy.simhash is None
                or hamming(first.simhash, copy.simhash) > MAX_DISTANCE
            )
            assert copy.duplicate_of == first.id
            assert [x.id for x in store.articles()] == [first.id]
            assert [i for i, _ in store.minhashes()] == [first.id]


async def test_trailing_slash_rule_makes_one_article_of_two_urls(tmp_path: Path) -> None:
    with SiteServer() as a, SiteServer() as b, SiteServer() as c:
        page = _article("Talks in Geneva", "Dana Example", "2025-07-09", PARAGRAPHS)
        a.add("/list", _listing(["/analysis/talks", "/analysis/talks/"]))
        a.add("/analysis/talks", page)
        a.add("/analysis/talks/", page)
        config = _config(tmp_path, a, b, c)
        raw = config.model_dump()
        raw["sources"][0]["trailing_slash"] = "strip"
        config = parse_config(raw)
        with Store.open(config.database_url) as store:
            (report,) = await run_scrape(config, store, config.sources[:1])
            stored = store.articles(include_duplicates=True)
            assert len(stored) == 1
            assert stored[0].canonical_url.endswith("/analysis/talks")
            assert report.new == 1 and report.unchanged == 1


async def test_stored_link_loses_tracking_and_tags_merge_ignoring_case(tmp_path: Path) -> None:
    """A listing link from a newsletter keeps its click tracking only until the store: the
    stored (and published) link has none. Page keywords take the config's spelling of a tag
    any source names ("TEST" is this source's "test", "RUSSIA" another source's "russia", so
    the article reaches tags/russia); others are kept as the page writes them."""
    with SiteServer() as a, SiteServer() as b, SiteServer() as c:
        a.add("/list", _listing(["/talks?utm_source=newsletter&id=7&fbclid=XYZ"]))
        page = _article("Talks in Geneva", "Dana Example", "2025-07-09", PARAGRAPHS)
        keywords = "".join(
            f'<meta property="article:tag" content="{k}">' for k in ("TEST", "Geneva", "RUSSIA")
        )
        a.add("/talks", page.replace("<head>", "<head>" + keywords, 1))
        for srv in (b, c):
            srv.add("/list", _listing([]))
        raw = _config(tmp_path, a, b, c).model_dump()
        raw["sources"][2]["tags"] = ["russia"]
        config = parse_config(raw)
        with Store.open(config.database_url) as store:
            await run_scrape(config, store, config.sources[:1])
            (stored,) = store.articles()
    assert stored.url == a.url("/talks?id=7")
    assert set(stored.tags) == {"test", "Geneva", "russia"}


async def test_a_corrected_headline_reaches_the_store_and_moves_updated(tmp_path: Path) -> None:
    """Same text, new title: an edit (the feeds show the new title; Atom ``updated`` moves once
    the churn interval has passed), not "unchanged". The source's RSS feed tells the known
    article changed (its date moved), so it is fetched again."""
    now = [datetime(2025, 7, 10, 8, 0, tzinfo=UTC)]

    def clock() -> datetime:
        return now[0]

    def feed(day: str) -> str:
        return (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>A</title>"
            f"<item><title>Talks</title><link>{a.url('/talks')}</link>"
            f"<pubDate>{day} Jul 2025 12:00:00 GMT</pubDate></item></channel></rss>"
        )

    with SiteServer() as a, SiteServer() as b, SiteServer() as c:
        a.add("/feed", feed("Tue, 01"), content_type="application/rss+xml")
        a.add("/talks", _article("Talks in Genva", "Dana Example", "2025-07-09", PARAGRAPHS))
        raw = _config(tmp_path, a, b, c).model_dump()
        raw["sources"][0]["feeds"] = [a.url("/feed")]
        config = parse_config(raw)
        with Store.open(config.database_url) as store:
            await run_scrape(config, store, config.sources[:1], clock=clock)
            (before,) = store.articles()
            a.add("/feed", feed("Sat, 05"), content_type="application/rss+xml")
            a.add("/talks", _article("Talks in Geneva", "Dana Example", "2025-07-09", PARAGRAPHS))
            now[0] += timedelta(days=2)
            (report,) = await run_scrape(config, store, config.sources[:1], clock=clock)
            (after,) = store.articles()
    assert before.title == "Talks in Genva" and after.title == "Talks in Geneva"
    assert after.id == before.id and after.content_hash == before.content_hash
    assert report.updated == 1 and report.new == 0
    assert after.last_changed == now[0] > before.last_changed


ICON_LINKS = (
    '<link rel="icon" href="/static/fav.png" sizes="32x32">'
    '<link rel="apple-touch-icon" href="/static/apple-touch-icon.png" sizes="180x180">'
)


async def test_site_icons_reach_the_source_feeds(tmp_path: Path) -> None:
    """a names its icons on its listing page, c only a favicon on its article pages, b none;
    the feeds show them (Atom ``icon``, JSON Feed ``icon``/``favicon``) and a config ``icon``
    wins over them. No request is made for an icon."""
    with SiteServer() as a, SiteServer() as b, SiteServer() as c:
        a.add("/list", _listing(["/talks"]).replace("<html>", f"<html><head>{ICON_LINKS}</head>"))
        a.add("/talks", _article("Talks in Geneva", "Dana Example", "2025-07-09", PARAGRAPHS))
        b.add("/list", _listing([]))
        c.add("/list", _listing(["/brief"]))
        fav = '<link rel="shortcut icon" href="/static/fav.ico">'
        brief = _article("Sanctions relief", "Dana Example", "2025-07-10", PARAGRAPHS[:2][::-1])
        c.add("/brief", brief.replace("<head>", "<head>" + fav, 1))
        raw = _config(tmp_path, a, b, c).model_dump()
        raw["feeds"]["output_dir"] = str(tmp_path / "feeds")
        config = parse_config(raw)
        out = Path(config.feeds.output_dir)
        with Store.open(config.database_url) as store:
            await run_scrape(config, store, config.sources)
            assert store.source_icons() == {
                "a": SiteIcons(
                    icon=a.url("/static/apple-touch-icon.png"), favicon=a.url("/static/fav.png")
                ),
                "c": SiteIcons(favicon=c.url("/static/fav.ico")),
            }
            assert not [p for srv in (a, c) for p in srv.paths() if "/static/" in p]
            build_all(store, config, now=datetime.now(UTC))
            atom_a = check_feed((out / "sources/a.atom").read_bytes())
            assert atom_a.feed.icon == a.url("/static/apple-touch-icon.png")
            json_a = json.loads((out / "sources/a.json").read_bytes())
            assert (json_a["icon"], json_a["favicon"]) == (
                a.url("/static/apple-touch-icon.png"),
                a.url("/static/fav.png"),
            )
            # only a small icon: Atom shows it, JSON Feed as its favicon but not as the large icon
            assert check_feed((out / "sources/c.atom").read_bytes()).feed.icon == c.url(
                "/static/fav.ico"
            )
            json_c = json.loads((out / "sources/c.json").read_bytes())
            assert "icon" not in json_c and json_c["favicon"] == c.url("/static/fav.ico")
            for name in ("sources/b", "all", "tags/test"):
                assert "icon" not in check_feed((out / f"{name}.atom").read_bytes()).feed
                doc = json.loads((out / f"{name}.json").read_bytes())
                assert "icon" not in doc and "favicon" not in doc

            # a run whose pages name no icon keeps the stored ones
            a.add("/list", _listing(["/talks"]))
            await run_scrape(config, store, config.sources[:1])
            assert store.source_icons()["a"].icon == a.url("/static/apple-touch-icon.png")

            # the config's icon wins over the site's, in both formats
            raw["sources"][0]["icon"] = "https://cdn.example.org/a-logo.png"
            config = parse_config(raw)
            build_all(store, config, now=datetime.now(UTC))
            atom_a = check_feed((out / "sources/a.atom").read_bytes())
            assert atom_a.feed.icon == "https://cdn.example.org/a-logo.png"
            json_a = json.loads((out / "sources/a.json").read_bytes())
            assert json_a["icon"] == "https://cdn.example.org/a-logo.png"
            assert "favicon" not in json_a
