"""The discovery driver against a real local HTTP site, and its pure decision ``select``.

The site is ``tests.sitesrv.SiteServer`` (127.0.0.1, free port; robots.txt disallows
``/private/``), dressed here like a WordPress think tank: listing pages with an ``a.next``
pager, a Yoast-style sitemap index with an old child and a gzip child, an RSS feed, off-site
links, excluded ``/events/`` URLs and a listing section that answers 500. The fetcher is the
real ``scraper.fetch.Fetcher`` with spacing 0 and no retries.
"""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, Literal

import pytest

from scraper.config import FetchConfig, SourceConfig
from scraper.discover import Candidate, Discovery, discover, select
from scraper.discover.driver import MAX_CHILD_SITEMAPS, MAX_SITEMAP_DEPTH
from scraper.fetch import Fetcher
from scraper.models import FetchResult, FetchStatus
from tests.sitesrv import SiteServer, site_fixture  # noqa: F401  (registers ``site``)


def add_html(site: SiteServer, path: str, body: str, status: int = 200) -> None:
    site.add(path, body, status=status)


def add_xml(site: SiteServer, path: str, body: bytes, ctype: str = "application/xml") -> None:
    site.add(path, body, content_type=ctype)


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    cfg = FetchConfig(per_host_spacing=0, retries=0, backoff_base=0, deadline=10)
    async with Fetcher(cfg) as real:
        yield real


def card(href: str, title: str) -> str:
    return f'<article class="card"><h2><a href="{href}">{title}</a></h2></article>'


def listing_page(cards: list[tuple[str, str]], next_href: str | None = None) -> str:
    nav = '<nav><a href="/">Home</a><a href="/about/">About</a></nav>'
    pager = f'<a class="next page-numbers" href="{next_href}">Next</a>' if next_href else ""
    cards_html = "".join(card(h, t) for h, t in cards)
    return f"<html><body>{nav}<main>{cards_html}</main>{pager}</body></html>"


def urlset(*items: tuple[str, str | None]) -> bytes:
    body = "".join(
        f"<url><loc>{u}</loc>" + (f"<lastmod>{m}</lastmod>" if m else "") + "</url>"
        for u, m in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'
    ).encode()


def index(*items: tuple[str, str | None]) -> bytes:
    body = "".join(
        f"<sitemap><loc>{u}</loc>" + (f"<lastmod>{m}</lastmod>" if m else "") + "</sitemap>"
        for u, m in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</sitemapindex>'
    ).encode()


def build_think_tank(site: SiteServer) -> Callable[..., SourceConfig]:
    u = site.base
    add_html(
        site,
        "/analysis/",
        listing_page(
            [
                ("/research/a1/", "A one"),
                ("/research/a2/#c", "A two"),
                ("/events/e1/", "Event"),
                ("http://other.example/research/x/", "Elsewhere"),
            ],
            next_href="/analysis/page/2/",
        ),
    )
    add_html(
        site,
        "/analysis/page/2/",
        listing_page(
            [("/research/a3/", "A three"), (f"{u}/research/a1/", "A one again")],
            next_href="/analysis/page/3/",
        ),
    )
    add_html(site, "/analysis/page/3/", "<h1>Internal Server Error</h1>", status=500)
    add_html(site, "/reports/", "<h1>Internal Server Error</h1>", status=500)
    add_xml(
        site,
        "/sitemap_index.xml",
        index(
            (f"{u}/post-sitemap1.xml", "2020-01-05T00:00:00+00:00"),
            (f"{u}/post-sitemap2.xml.gz", "2025-06-05"),
            ("http://other.example/sitemap.xml", "2025-06-05"),
        ),
    )
    add_xml(site, "/post-sitemap1.xml", urlset((f"{u}/research/old1/", "2020-01-01")))
    add_xml(
        site,
        "/post-sitemap2.xml.gz",
        gzip.compress(
            urlset(
                (f"{u}/research/a1/", "2025-06-05T10:00:00+00:00"),
                (f"{u}/research/s1/", "2025-06-03"),
                ("http://other.example/research/y/", "2025-06-09"),
                (f"{u}/research/k1/", "2025-01-01"),
                (f"{u}/research/k2/", "2025-06-04T00:00:00Z"),
            )
        ),
        ctype="application/x-gzip",
    )
    add_xml(
        site,
        "/feed/",
        f"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
      <link>{u}/</link><description>d</description>
      <item><title>Feed one</title><link>/research/f1/</link>
        <pubDate>Fri, 06 Jun 2025 08:00:00 GMT</pubDate></item>
      <item><title>A two (feed)</title><link>{u}/research/a2/</link>
        <pubDate>Mon, 02 Jun 2025 08:00:00 GMT</pubDate></item>
      <item><title>Event two</title><link>/events/e2/</link>
        <pubDate>Sat, 07 Jun 2025 08:00:00 GMT</pubDate></item>
      </channel></rss>""".encode(),
        ctype="application/rss+xml",
    )

    def make(**kw: Any) -> SourceConfig:
        cfg: dict[str, Any] = {
            "id": "tank",
            "name": "Tank",
            "homepage": f"{u}/",
            "listing": {
                "start_urls": [f"{u}/analysis/", f"{u}/reports/"],
                "link_selector": "article.card",
                "next_selector": "a.next",
                "max_pages": 5,
            },
            "sitemaps": [f"{u}/sitemap_index.xml"],
            "feeds": [f"{u}/feed/"],
            "exclude": [r"/events/"],
        }
        cfg.update(kw)
        return SourceConfig(**cfg)

    return make


def paths(found: Discovery, site: SiteServer) -> list[str]:
    return [link.url.removeprefix(site.base) for link in found.links]


async def test_all_ways_together(site: SiteServer, fetcher: Fetcher) -> None:
    source = build_think_tank(site)()
    known = {
        f"{site.base}/research/k1/": datetime(2025, 1, 1, tzinfo=UTC),
        f"{site.base}/research/k2/": datetime(2025, 1, 1, tzinfo=UTC),
    }
    found = await discover(source, fetcher, since=None, known=known)
    # newest lastmod first (feed, sitemap and merged listing+sitemap dates), undated last
    assert paths(found, site) == [
        "/research/f1/",
        "/research/a1/",
        "/research/k2/",
        "/research/s1/",
        "/research/a2/",
        "/research/old1/",
        "/research/a3/",
    ]
    a1 = found.links[1]
    assert a1.found_via == "listing" and a1.title == "A one"
    assert a1.lastmod == datetime(2025, 6, 5, 10, tzinfo=UTC)  # from the sitemap
    assert all(link.source_id == "tank" for link in found.links)
    # 2 listing pages + index + 2 children + feed read; page 3 and /reports/ failed
    assert found.listing_pages == 6
    assert len(found.errors) == 2
    assert any(
        e.startswith(f"listing {site.base}/analysis/page/3/ : ") and "500" in e
        for e in found.errors
    )
    assert any(e.startswith(f"listing {site.base}/reports/ : ") for e in found.errors)
    assert found.blocked == 0
    assert not any("other.example" in p for p in site.paths())


async def test_since_skips_old_children_and_urls(site: SiteServer, fetcher: Fetcher) -> None:
    source = build_think_tank(site)()
    found = await discover(source, fetcher, since=datetime(2025, 6, 3, tzinfo=UTC))
    assert paths(found, site) == [
        "/research/f1/",
        "/research/a1/",
        "/research/k2/",
        "/research/s1/",
        "/research/a3/",
    ]
    assert "/post-sitemap1.xml" not in site.paths()  # child lastmod 2020 < since


async def test_backfill_days_from_now(site: SiteServer, fetcher: Fetcher) -> None:
    source = build_think_tank(site)(backfill_days=3)
    found = await discover(source, fetcher, since=None, now=datetime(2025, 6, 6, tzinfo=UTC))
    assert paths(found, site) == [
        "/research/f1/",
        "/research/a1/",
        "/research/k2/",
        "/research/s1/",
        "/research/a3/",
    ]


async def test_max_articles_and_max_pages(site: SiteServer, fetcher: Fetcher) -> None:
    source = build_think_tank(site)(max_articles=3)
    found = await discover(source, fetcher, since=None, max_pages=1)
    assert paths(found, site) == ["/research/f1/", "/research/a1/", "/research/k2/"]
    assert "/analysis/page/2/" not in site.paths()
    assert not any(e.startswith(f"listing {site.base}/analysis/page/3/") for e in found.errors)


async def test_known_listing_page_stops_pagination(site: SiteServer, fetcher: Fetcher) -> None:
    make = build_think_tank(site)
    source = make(sitemaps=[], feeds=[])
    known: dict[str, datetime | None] = {
        f"{site.base}/research/a1/": None,
        f"{site.base}/research/a2/": None,
    }
    found = await discover(source, fetcher, since=None, known=known)
    assert found.links == ()  # the only new link (a3) is on page 2, never read
    assert "/analysis/page/2/" not in site.paths()
    assert found.listing_pages == 1


async def test_feed_yields_when_every_listing_fails(site: SiteServer, fetcher: Fetcher) -> None:
    make = build_think_tank(site)
    source = make(
        listing={"start_urls": [f"{site.base}/reports/"], "link_pattern": "/research/"},
        sitemaps=[f"{site.base}/missing-sitemap.xml"],
    )
    found = await discover(source, fetcher, since=None)
    assert paths(found, site) == ["/research/f1/", "/research/a2/"]
    assert len(found.errors) == 2
    assert found.errors[0].startswith(f"listing {site.base}/reports/ : ")
    assert found.errors[1].startswith(f"sitemap {site.base}/missing-sitemap.xml : ")
    assert "404" in found.errors[1]


async def test_template_pagination_ends_quietly_on_404(site: SiteServer, fetcher: Fetcher) -> None:
    u = site.base
    add_html(site, "/topics/", listing_page([("/r/t1", "1")]))
    add_html(site, "/topics/page/2/", listing_page([("/r/t2", "2")]))
    add_html(site, "/topics/page/3/", listing_page([("/r/t3", "3"), ("/r/t2", "2")]))
    source = SourceConfig(
        id="tpl",
        name="Tpl",
        homepage=f"{u}/",
        listing={
            "start_urls": [f"{u}/topics/"],
            "link_pattern": r"/r/t\d$",
            "page_template": f"{u}/topics/page/{{page}}/",
            "max_pages": 10,
        },
    )
    found = await discover(source, fetcher, since=None)
    assert paths(found, site) == ["/r/t1", "/r/t2", "/r/t3"]
    assert found.errors == ()
    assert found.listing_pages == 3
    assert site.paths().count("/topics/page/4/") == 1
    assert "/topics/page/5/" not in site.paths()


async def test_broken_sitemap_and_feed_are_errors_not_crashes(
    site: SiteServer, fetcher: Fetcher
) -> None:
    u = site.base
    add_xml(site, "/sitemap.xml", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><urlset/>')
    add_xml(site, "/feed/", b"<html><body>not a feed</body></html>", ctype="text/xml")
    add_xml(site, "/s2.xml", urlset((f"{u}/research/ok/", None)))
    source = SourceConfig(
        id="b",
        name="B",
        homepage=f"{u}/",
        sitemaps=[f"{u}/sitemap.xml", f"{u}/s2.xml"],
        feeds=[f"{u}/feed/"],
    )
    found = await discover(source, fetcher, since=None)
    assert paths(found, site) == ["/research/ok/"]
    assert sorted(found.errors) == [
        f"feed {u}/feed/ : not an RSS or Atom feed",
        f"sitemap {u}/sitemap.xml : unsafe XML refused (EntitiesForbidden)",
    ]


async def test_sitemap_index_depth_is_bounded(site: SiteServer, fetcher: Fetcher) -> None:
    u = site.base
    for d in range(6):
        add_xml(site, f"/deep/{d}.xml", index((f"{u}/deep/{d + 1}.xml", None)))
    source = SourceConfig(id="d", name="D", homepage=f"{u}/", sitemaps=[f"{u}/deep/0.xml"])
    found = await discover(source, fetcher, since=None)
    deep = [p for p in site.paths() if p.startswith("/deep/")]
    assert deep == [f"/deep/{d}.xml" for d in range(MAX_SITEMAP_DEPTH + 1)]
    assert found.links == () and found.errors == ()


async def test_child_sitemaps_are_bounded_newest_first(site: SiteServer, fetcher: Fetcher) -> None:
    u = site.base
    n = MAX_CHILD_SITEMAPS + 10
    # listed oldest first (as WordPress does); the newest must be the ones read
    add_xml(
        site,
        "/wide.xml",
        index(*((f"{u}/w/{i}.xml", f"2025-01-01T00:{i:02d}:00Z") for i in range(n))),
    )
    for i in range(n):
        add_xml(site, f"/w/{i}.xml", urlset((f"{u}/research/w{i}", None)))
    source = SourceConfig(
        id="w", name="W", homepage=f"{u}/", max_articles=1000, sitemaps=[f"{u}/wide.xml"]
    )
    found = await discover(source, fetcher, since=None)
    wide = [p for p in site.paths() if p.startswith("/w/")]
    assert wide == [f"/w/{i}.xml" for i in reversed(range(10, n))]
    assert len(found.links) == MAX_CHILD_SITEMAPS
    assert found.listing_pages == MAX_CHILD_SITEMAPS + 1


# ---------------------------------------------------------------- pure decision and odd statuses


class ScriptedFetcher:
    """Answers from a table; for statuses a plain server cannot produce (robots, challenge)."""

    def __init__(self, answers: dict[str, FetchResult]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str]] = []

    async def fetch(
        self, url: str, *, accept: Literal["html", "xml", "any"] = "html"
    ) -> FetchResult:
        self.asked.append((url, accept))
        return self.answers[url]


async def test_blocked_and_disallowed_are_recorded() -> None:
    h = "https://www.example.org"
    fetcher = ScriptedFetcher(
        {
            f"{h}/a": FetchResult(
                f"{h}/a", f"{h}/a", FetchStatus.BLOCKED, 403, error="cf-mitigated"
            ),
            f"{h}/b": FetchResult(f"{h}/b", f"{h}/b", FetchStatus.DISALLOWED),
            f"{h}/c": FetchResult(f"{h}/c", f"{h}/c", FetchStatus.NOT_HTML, 200, "application/pdf"),
            f"{h}/feed": FetchResult(
                f"{h}/feed",
                f"{h}/feed",
                FetchStatus.OK,
                200,
                content=b'<rss version="2.0"><channel><item><link>/x</link></item></channel></rss>',
            ),
        }
    )
    source = SourceConfig(
        id="s",
        name="S",
        homepage=f"{h}/",
        feeds=[f"{h}/feed"],
        listing={"start_urls": [f"{h}/a", f"{h}/b", f"{h}/c"], "link_pattern": "."},
    )
    found = await discover(source, fetcher, since=None)
    assert [link.url for link in found.links] == [f"{h}/x"]
    assert found.blocked == 1 and found.disallowed == 1
    assert found.errors == (
        f"listing {h}/a : blocked (cf-mitigated)",
        f"listing {h}/b : disallowed by robots.txt",
        f"listing {h}/c : not HTML (application/pdf)",
    )
    assert (f"{h}/feed", "xml") in fetcher.asked and (f"{h}/a", "html") in fetcher.asked


def test_select_merges_filters_known_and_caps() -> None:
    h = "https://example.org"
    source = SourceConfig(
        id="s", name="S", homepage=f"{h}/", feeds=[f"{h}/f"], max_articles=4, include=["/p/"]
    )
    d = lambda day: datetime(2025, 3, day, tzinfo=UTC)  # noqa: E731
    found = [
        ("listing", Candidate(f"{h}/p/1", None, "one")),
        ("listing", Candidate(f"{h}/p/2", None, None)),
        ("feed", Candidate(f"{h}/p/2", d(2), "two")),
        ("sitemap", Candidate(f"{h}/p/2", d(1))),
        ("sitemap", Candidate(f"{h}/p/3", d(9))),  # known, same lastmod: dropped
        ("sitemap", Candidate(f"{h}/p/4", d(8))),  # known, newer: kept
        ("sitemap", Candidate(f"{h}/p/5", None)),  # known, no lastmod: dropped
        ("sitemap", Candidate(f"{h}/about", d(9))),  # not included
        ("listing", Candidate(f"{h}/p/6", None)),
        ("listing", Candidate(f"{h}/p/7", None)),  # beyond the cap
        ("sitemap", Candidate(f"{h}/p/0", datetime(2025, 3, 2))),  # naive: taken as UTC
    ]
    known = {f"{h}/p/3": d(9), f"{h}/p/4": d(7), f"{h}/p/5": None}
    links = select(source, found, since=None, known=known)
    assert [(lk.url.removeprefix(h), lk.found_via, lk.lastmod) for lk in links] == [
        ("/p/4", "sitemap", d(8)),
        ("/p/2", "listing", d(2)),
        ("/p/0", "sitemap", d(2)),
        ("/p/1", "listing", None),
    ]
    assert links[1].title == "two"
    since = select(source, found, since=datetime(2025, 3, 5), known=known)
    assert [lk.url.removeprefix(h) for lk in since] == ["/p/4", "/p/1", "/p/6", "/p/7"]


async def test_start_page_without_links_is_reported(site: SiteServer, fetcher: Fetcher) -> None:
    u = site.base
    add_html(site, "/redesigned/", "<html><body><div class='new-card'><a href='/r/1'>1</a></div>")
    add_xml(
        site,
        "/feed/",
        b'<rss version="2.0"><channel><item><link>/r/2</link></item></channel></rss>',
    )
    source = SourceConfig(
        id="r",
        name="R",
        homepage=f"{u}/",
        feeds=[f"{u}/feed/"],
        listing={"start_urls": [f"{u}/redesigned/"], "link_selector": "article.card a"},
    )
    found = await discover(source, fetcher, since=None)
    assert paths(found, site) == ["/r/2"]
    assert found.errors == (
        f"listing {u}/redesigned/ : no article links matched (check the selectors)",
    )
    assert found.listing_pages == 2


async def test_robots_disallowed_and_challenge_listing_with_stock_feed_and_sitemap(
    site: SiteServer, fetcher: Fetcher
) -> None:
    u = site.base
    source = SourceConfig(
        id="stock",
        name="Stock",
        homepage=f"{u}/",
        listing={
            "start_urls": [f"{u}/private/list", f"{u}/cf-challenge"],
            "link_pattern": "/page/",
        },
        sitemaps=[f"{u}/sitemap.xml.gz"],
        feeds=[f"{u}/feed.xml"],
    )
    found = await discover(source, fetcher, since=None)
    # feed and gzip sitemap list the same three items: merged, newest first
    assert paths(found, site) == ["/page/item-3", "/page/item-2", "/page/item-1"]
    assert found.links[0].found_via == "feed" and found.links[0].title == "Item 3"
    assert found.links[0].lastmod == datetime(2025, 7, 3, 10, tzinfo=UTC)  # feed's, newer
    assert found.blocked == 1 and found.disallowed == 1
    assert found.errors[0] == f"listing {u}/private/list : disallowed by robots.txt"
    assert found.errors[1].startswith(f"listing {u}/cf-challenge : blocked")
    assert "/private/list" not in site.paths()
    assert found.listing_pages == 2
