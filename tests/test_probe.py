"""``scraper probe``: discovery and extraction on a new site, and the proposed source block.

The sites are built on the shared real test server (tests/sitesrv.py): a WordPress-like
institute (feed in <head>, robots.txt Sitemap line, /analysis/<slug>/ posts, an ``a.next``
pager), a Drupal/Valdai-like one without feed or sitemap, a Cloudflare challenge, a robots.txt
that disallows everything. The shapes follow the real sites in SITES.md.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from scraper.cli import cli
from scraper.config import FetchConfig, parse_config
from scraper.discover import discover
from scraper.fetch import Fetcher
from scraper.probe import (
    FEED_PATHS,
    SITEMAP_PATHS,
    ProbeReport,
    check_proposal,
    cluster_links,
    guess_timezone,
    probe,
    read_homepage,
    render_toml,
    source_id_for,
)
from tests.sitesrv import (
    CHALLENGE_PAGE,
    SiteServer,
    site_fixture,  # noqa: F401  (the ``site`` fixture)
)

NOW = datetime(2025, 8, 1, 12, 0, tzinfo=UTC)
SLUGS = (
    "iran-and-the-new-regional-order",
    "russia-china-energy-partnership-after-sanctions",
    "the-future-of-nuclear-diplomacy-in-the-gulf",
    "why-caspian-trade-routes-matter-now",
)
NAV = (
    '<nav><a href="/">Home</a><a href="/about/">About</a><a href="/analysis/">Analysis</a>'
    '<a href="/contact-us/">Contact us</a><a href="/privacy-policy/">Privacy policy</a>'
    '<a href="/topics/iran/">Iran</a><a href="/topics/russia-and-eurasia/">Eurasia</a>'
    '<a href="/author/jane-doe/">Jane Doe</a><a href="https://twitter.com/newinst">X</a></nav>'
)
PARAGRAPH = (
    "<p>The analysis of regional security weighs the interests of every state around the "
    "Gulf, the Caspian and the Caucasus, and asks what the next decade of diplomacy holds "
    "for trade, energy and the balance of power between the great powers.</p>"
)


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(FetchConfig(per_host_spacing=0, retries=0, deadline=10)) as real:
        yield real


def article(title: str, *, meta: bool = True) -> str:
    head = (
        f'<meta property="og:title" content="{title}">'
        '<meta property="article:published_time" content="2025-07-09T10:00:00+03:30">'
        '<meta name="author" content="Jane Doe">'
        if meta
        else ""
    )
    return (
        f'<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8">{head}'
        f"<title>{title} - New Institute</title></head><body>{NAV}<article><h1>{title}</h1>"
        f"{PARAGRAPH * 4}</article></body></html>"
    )


def title_of(slug: str) -> str:
    return slug.replace("-", " ").capitalize()


def cards(paths: list[str]) -> str:
    return "".join(f'<article class="post"><h2><a href="{p}">{p}</a></h2></article>' for p in paths)


def wordpress_site(site: SiteServer) -> list[str]:
    """A WordPress institute; returns its article URLs."""
    paths = [f"/analysis/{s}/" for s in SLUGS]
    head = (
        "<title>Home - New Institute</title>"
        '<meta property="og:site_name" content="New Institute">'
        '<link rel="alternate" type="application/rss+xml" title="New Institute » Feed" '
        'href="/feed/">'
        '<link rel="alternate" type="application/rss+xml" title="New Institute » Comments Feed" '
        'href="/comments/feed/">'
    )
    site.add(
        "/",
        f'<!DOCTYPE html><html lang="en-US"><head>{head}</head><body>{NAV}'
        f'{cards(paths[:3])}<a class="next page-numbers" href="/page/2/">Next</a>'
        '<footer><a href="/2025/">2025</a><a href="/2024/">2024</a></footer></body></html>',
    )
    site.add(
        "/analysis/",
        f"<html><body>{NAV}{cards(paths)}"
        '<a class="next page-numbers" href="/analysis/page/2/">Next</a></body></html>',
    )
    for slug, path in zip(SLUGS, paths, strict=True):
        site.add(path, article(title_of(slug)))
    items = "".join(
        f"<item><title>{title_of(s)}</title><link>{site.url(p)}</link>"
        f"<pubDate>Wed, 0{i} Jul 2025 10:00:00 GMT</pubDate></item>"
        for i, (s, p) in enumerate(zip(SLUGS, paths, strict=True), 1)
    )
    site.add(
        "/feed/",
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>New Institute</title>'
        f"<link>{site.base}/</link><description>d</description>{items}</channel></rss>",
        content_type="application/rss+xml; charset=utf-8",
    )
    locs = "".join(f"<url><loc>{site.url(p)}</loc></url>" for p in [*paths, "/about/"])
    site.add(
        "/sitemap.xml",
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{locs}</urlset>",
        content_type="application/xml",
    )
    site.set_robots(f"User-agent: *\nDisallow: /wp-admin/\n\nSitemap: {site.url('/sitemap.xml')}\n")
    return [site.url(p) for p in paths]


def proposed_source(report: ProbeReport) -> dict[str, object]:
    assert report.toml is not None
    sources = tomllib.loads(report.toml)["sources"]
    assert isinstance(sources, list) and len(sources) == 1
    source: dict[str, object] = sources[0]
    return source


async def test_wordpress_site_gives_feed_sitemap_listing_and_a_valid_block(
    site: SiteServer, fetcher: Fetcher
) -> None:
    articles = wordpress_site(site)
    report = await probe(site.url("/"), fetcher, now=NOW, sample=3)

    assert report.status == "ok"
    assert [(f.url, f.via, f.entries) for f in report.feeds] == [(site.url("/feed/"), "head", 4)]
    assert [(s.url, s.via, s.urls) for s in report.sitemaps] == [
        (site.url("/sitemap.xml"), "robots.txt", 5)
    ]
    listing = report.listing
    assert listing is not None
    assert listing.start_url == site.url("/analysis/")
    assert listing.links == 4
    assert (listing.next_selector, listing.next_url) == ("a.next", site.url("/analysis/page/2/"))
    pattern = re.compile(listing.link_pattern)
    assert all(pattern.search(u) for u in articles)
    nav = [u for u in read_homepage(NAV, site.url("/")).links if "/analysis/" not in u[-45:]]
    nav += [site.url("/analysis/"), site.url("/page/2/"), site.url("/2025/")]
    assert nav and not any(pattern.search(u) for u in nav), listing.link_pattern

    # the block validates and says what was found
    assert report.problems == () and report.valid
    assert check_proposal(report.toml or "") == ()
    config = parse_config(tomllib.loads(report.toml or ""))
    (source,) = config.sources
    assert source.id == "127-0-0-1" and source.name == "New Institute"
    assert source.language == "en" and source.timezone is None
    assert source.feeds == [site.url("/feed/")]
    assert source.sitemaps == [site.url("/sitemap.xml")]
    assert source.include == [listing.link_pattern]
    assert source.listing is not None and source.listing.next_selector == "a.next"

    # the sampled articles were extracted, with where each field came from
    assert [s.url for s in report.samples] == articles[:3]
    for sample, slug in zip(report.samples, SLUGS, strict=False):
        assert sample.status == "ok" and sample.title == title_of(slug)
        assert sample.published is not None and sample.published.date().isoformat() == "2025-07-09"
        assert sample.authors == ("Jane Doe",)
        assert sample.body_chars > 500
        assert dict(sample.field_sources).get("title")
    assert not any("date" in w for w in report.warnings), report.warnings

    # few requests: the declared feed and the robots.txt sitemap spare the guessed paths
    assert report.requests == len(site.requests) <= 10
    for path in ("/rss.xml", "/feed.xml", "/comments/feed/", "/sitemap_index.xml"):
        assert site.count(path) == 0, path

    # and the real discovery driver finds exactly the articles with the proposed source
    found = await discover(source, fetcher, since=None, now=NOW)
    assert sorted(link.url for link in found.links) == sorted(articles)


def valdai_site(site: SiteServer) -> list[str]:
    """A Drupal site with no feed and no sitemap; returns its article URLs."""
    paths = [f"/a/highlights/{s}/" for s in SLUGS]
    site.add(
        "/",
        '<!DOCTYPE html><html lang="ru"><head><title>Главная | Клуб «Валдай»</title></head>'
        f'<body><nav><a href="/about/">О клубе</a><a href="/contacts/">Контакты</a></nav>'
        f"{cards(paths)}"
        '<ul class="pager"><li class="pager__item pager__item--next">'
        '<a class="pager__link pager__link--next" href="/?page=1">Next</a></li></ul>'
        "</body></html>",
    )
    for slug, path in zip(SLUGS, paths, strict=True):
        site.add(path, article(title_of(slug), meta=False))
    for path in ("/feed.xml", "/sitemap.xml"):  # the test server's built-in ones
        site.add(path, "<html><title>Not found</title></html>", status=404)
    return [site.url(p) for p in paths]


async def test_site_without_feed_gives_a_listing_proposal(
    site: SiteServer, fetcher: Fetcher
) -> None:
    articles = valdai_site(site)
    report = await probe(site.url("/"), fetcher, now=NOW, sample=2)

    assert report.feeds == () and report.sitemaps == ()
    for path in (*FEED_PATHS, *SITEMAP_PATHS):  # each guessed once, no more
        assert site.count(path) == 1, path
    assert report.listing is not None
    assert report.listing.start_url == site.url("/")
    assert report.listing.shape == "/a/highlights/<slug>/"
    assert report.listing.next_selector == ".pager__link--next"
    source = proposed_source(report)
    assert "feeds" not in source and "sitemaps" not in source
    assert source["name"] == "Клуб «Валдай»" and source["language"] == "ru"
    assert report.valid, report.problems
    (config,) = parse_config(tomllib.loads(report.toml or "")).sources
    assert config.listing is not None
    pattern = re.compile(config.listing.link_pattern or "")
    assert all(pattern.search(u) for u in articles)
    assert not pattern.search(site.url("/about/")) and not pattern.search(site.url("/?page=1"))
    found = await discover(config, fetcher, since=None, max_pages=1, now=NOW)
    assert sorted(link.url for link in found.links) == sorted(articles)


async def test_broken_declared_feed_falls_back_to_common_paths_and_sitemap_index(
    site: SiteServer, fetcher: Fetcher
) -> None:
    items = [site.url(f"/page/item-{i}") for i in (1, 2, 3)]  # the server's built-in feed
    site.add(
        "/",
        '<html lang="fa-IR"><head><title>IPIS</title><link rel="alternate" '
        'type="application/atom+xml" href="/broken-feed/"></head><body>'
        f"{cards(['/page/item-1', '/page/item-2'])}</body></html>",
    )
    site.add("/sitemap.xml", "gone", status=404)
    children = "".join(
        f"<sitemap><loc>{site.url(p)}</loc><lastmod>{d}</lastmod></sitemap>"
        for p, d in (("/page-sitemap.xml", "2020-01-01"), ("/post-sitemap.xml", "2025-07-01"))
    )
    site.add(
        "/sitemap_index.xml",
        f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{children}</sitemapindex>",
        content_type="application/xml",
    )
    locs = "".join(f"<url><loc>{u}</loc></url>" for u in items)
    site.add("/post-sitemap.xml", f"<urlset>{locs}</urlset>", content_type="application/xml")
    report = await probe(site.url("/"), fetcher, now=NOW, sample=1)

    assert any("/broken-feed/ (head): error: HTTP 404" in w for w in report.warnings)
    assert [(f.url, f.via, f.entries) for f in report.feeds] == [
        (site.url("/feed.xml"), "common path", 3)
    ]
    assert site.count("/atom.xml") == 0  # stopped at the first feed that answered
    (sitemap,) = report.sitemaps
    assert (sitemap.url, sitemap.kind, sitemap.children) == (
        site.url("/sitemap_index.xml"),
        "index",
        2,
    )
    assert sitemap.links == tuple(items)  # from the newest child only
    assert site.count("/page-sitemap.xml") == 0
    assert report.language == "fa" and report.listing is None
    assert any("no group of article-like links" in w for w in report.warnings)
    assert report.valid, report.problems


async def test_sampled_articles_without_dates_are_warned_about(
    site: SiteServer, fetcher: Fetcher
) -> None:
    valdai_site(site)
    report = await probe(site.url("/"), fetcher, now=NOW, sample=2)
    assert len(report.samples) == 2 and all(s.published is None for s in report.samples)
    assert any(w.startswith("no dates found") for w in report.warnings), report.warnings


async def test_cloudflare_challenge_is_a_blocked_warning_not_a_crash(
    site: SiteServer, fetcher: Fetcher
) -> None:
    headers = {"cf-mitigated": "challenge", "Server": "cloudflare"}
    for path in ("/", *FEED_PATHS, *SITEMAP_PATHS):
        site.add(path, CHALLENGE_PAGE, status=403, headers=headers)
    report = await probe(site.url("/"), fetcher, now=NOW)

    assert report.status == "blocked"
    assert any("blocked" in w and "challenge" in w for w in report.warnings), report.warnings
    assert report.toml is None and not report.valid and report.samples == ()
    # a blocking host is not asked every guessed path
    assert site.count("/feed/") == 1 and site.count("/rss.xml") == 0
    assert site.count("/sitemap.xml") == 1 and site.count("/sitemap_index.xml") == 0


async def test_robots_disallow_all_is_a_warning_and_nothing_is_fetched(
    site: SiteServer, fetcher: Fetcher
) -> None:
    wordpress_site(site)
    site.set_robots("User-agent: *\nDisallow: /\n")
    report = await probe(site.url("/"), fetcher, now=NOW)

    assert report.status == "disallowed"
    assert any("robots.txt disallows" in w for w in report.warnings), report.warnings
    assert report.toml is None
    assert set(site.paths()) == {"/robots.txt"}


# -- the pure parts ------------------------------------------------------------------------------


def test_date_shaped_posts_beat_archives_and_pages() -> None:
    home = "https://newinstitute.org/"
    posts = [f"{home}2025/07/{s}/" for s in SLUGS[:3]]
    noise = [f"{home}2025/07/", f"{home}2025/06/", f"{home}2024/", f"{home}2023/"]
    noise += [f"{home}about/", f"{home}contact/", f"{home}tag/iran-sanctions/", f"{home}x.pdf"]
    noise += [f"{home}news/{n}" for n in (1201, 1202)]
    clusters = cluster_links([*noise, *posts], home)
    best = clusters[0]
    assert best.shape == "/<YYYY>/<MM>/<slug>/"
    assert best.urls == tuple(posts)
    assert all(re.search(best.pattern, u) for u in posts)
    assert not any(re.search(best.pattern, u) for u in noise)
    assert [c.shape for c in clusters[1:]] == ["/news/<id>"]


def test_sections_form_a_family_unless_one_dominates() -> None:
    home = "https://www.heritage.org/"
    mixed = [
        f"{home}defense/commentary/{SLUGS[0]}",
        f"{home}defense/commentary/{SLUGS[1]}",
        f"{home}economy/report/{SLUGS[2]}",
        f"{home}china/commentary/{SLUGS[3]}",
    ]
    best = cluster_links([f"{home}about/our-mission", *mixed], home)[0]
    assert best.shape == "/<section>/<section>/<slug>" and best.urls == tuple(mixed)
    assert all(re.search(best.pattern, u) for u in mixed)
    assert not re.search(best.pattern, f"{home}about/our-mission")
    assert best.listing_path == "/"

    csis = "https://www.csis.org/"
    analysis = [f"{csis}analysis/{s}" for s in SLUGS[:3]]
    best = cluster_links([*analysis, f"{csis}events/{SLUGS[3]}"], csis)[0]
    assert best.shape == "/analysis/<slug>" and best.listing_path == "/analysis/"
    assert best.urls == tuple(analysis)


def test_timezone_only_when_obvious_and_ids_from_hosts() -> None:
    assert guess_timezone("www.ipis.ir") == "Asia/Tehran"
    assert guess_timezone("russiancouncil.ru") == "Europe/Moscow"
    assert guess_timezone("www.brookings.edu") is None
    assert guess_timezone("127.0.0.1") is None
    assert source_id_for("www.newinstitute.org") == "newinstitute"
    assert source_id_for("en.valdaiclub.com") == "valdaiclub"
    assert source_id_for("www.ipis.org.ir") == "ipis"


def test_rendered_block_round_trips_awkward_strings() -> None:
    table = {
        "id": "odd",
        "name": 'The "Odd" \\ Institute',
        "homepage": "https://odd.example/",
        "include": [r"^https?://[^/]+/a/\d+-[^/]+$", r"it's/\d+"],
        "listing": {"start_urls": ["https://odd.example/"], "link_pattern": r"/a/\d+"},
    }
    text = render_toml(table, ["a comment"])
    assert text.startswith("# a comment\n[[sources]]\n")
    assert "link_pattern = '/a/\\d+'" in text  # regexes stay readable
    assert tomllib.loads(text)["sources"] == [table]
    assert check_proposal(text) == ()
    bad = render_toml({**table, "id": "Not An Id"})
    assert any(p.startswith("sources[0].id:") for p in check_proposal(bad))


# -- the command ---------------------------------------------------------------------------------


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text("[fetch]\nper_host_spacing = 0\nretries = 0\n", encoding="utf-8")
    return path


def test_cli_probe_json_and_table(site: SiteServer, tmp_path: Path) -> None:
    wordpress_site(site)
    args = ["--config", str(_config(tmp_path)), "probe", site.url("/"), "--sample", "1"]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["valid"] is True and data["feeds"][0]["url"] == site.url("/feed/")
    assert data["samples"][0]["published"].startswith("2025-07-09")
    assert "[[sources]]" in data["toml"]

    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "[[sources]]" in result.output and "[sources.listing]" in result.output
    assert 'link_pattern = "^https?://[^/]+/analysis/' in result.output
    assert "proposed [[sources]] block" in result.output
    assert "Sample articles" in result.output


def test_cli_probe_exits_1_without_a_proposal(site: SiteServer, tmp_path: Path) -> None:
    site.set_robots("User-agent: *\nDisallow: /\n")
    args = ["--config", str(_config(tmp_path)), "probe", site.url("/")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "robots.txt disallows" in result.output
