"""Pure discovery parsers: listing pages, pagination, sitemaps, feeds, URL filters.

Fixtures are small hand-written documents shaped like the real sites in ../shared/SITES.md
(WordPress ``a.next.page-numbers`` pagers, Drupal ``?page=N``, Yoast sitemap indexes, RSS 2.0
with relative links, Atom with ``xml:base``).
"""

from __future__ import annotations

import gzip
import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scraper.config import ListingConfig, SourceConfig
from scraper.discover import (
    DiscoveryError,
    links_from_feed,
    links_from_listing,
    page_urls,
    parse_sitemap,
    parse_w3c_datetime,
    registrable_domain,
    same_site,
    url_allowed,
)
from scraper.discover.sitemap import gunzip_capped

PAGE = "https://www.example.org/analysis/"

LISTING_HTML = """<!doctype html>
<html><head><title>Analysis</title><link rel="next" href="/analysis/page/2/"></head>
<body>
<nav><a href="/">Home</a> <a href="/about/">About</a> <a href="mailto:x@example.org">Mail</a></nav>
<main>
  <article class="card"><h2 class="entry-title"><a href="/research/alpha/#top"> Alpha
     piece </a></h2><a href="/people/jane/">Jane</a></article>
  <article class="card"><h2 class="entry-title"><a href="https://www.example.org/research/beta/">
     Beta</a></h2></article>
  <article class="card"><h2 class="entry-title"><a href="/research/alpha/">Alpha again</a></h2>
  </article>
  <article class="card"><h2 class="entry-title"><a href="/events/gamma/">Gamma event</a></h2>
  </article>
  <article class="card"><h2 class="entry-title"><span>no link</span></h2></article>
  <p>See also <a href="../research/delta/">delta</a> and <a href="javascript:void(0)">js</a>.</p>
</main>
<a class="next page-numbers" href="page/2/">Next</a>
</body></html>"""


def listing(**kw: Any) -> ListingConfig:
    return ListingConfig(start_urls=[PAGE], **kw)


def source(**kw: Any) -> SourceConfig:
    base: dict[str, Any] = {
        "id": "ex",
        "name": "Example",
        "homepage": "https://www.example.org/",
        "feeds": ["https://www.example.org/feed/"],
    }
    base.update(kw)
    return SourceConfig(**base)


# ---------------------------------------------------------------- listing pages


def test_selector_on_containers_uses_first_link_absolute_dedup_no_fragment() -> None:
    page = links_from_listing(LISTING_HTML, PAGE, listing(link_selector="article.card"))
    assert page.links == (
        "https://www.example.org/research/alpha/",
        "https://www.example.org/research/beta/",
        "https://www.example.org/events/gamma/",
    )
    assert page.titles == ("Alpha piece", "Beta", "Gamma event")
    assert page.next_url is None  # no next_selector configured


def test_selector_on_anchors() -> None:
    page = links_from_listing(LISTING_HTML, PAGE, listing(link_selector="h2.entry-title > a"))
    assert page.links[:2] == (
        "https://www.example.org/research/alpha/",
        "https://www.example.org/research/beta/",
    )
    assert len(page.links) == 3


def test_pattern_only_scans_every_link_and_resolves_relative() -> None:
    page = links_from_listing(LISTING_HTML, PAGE, listing(link_pattern=r"/research/[^/]+/$"))
    assert page.links == (
        "https://www.example.org/research/alpha/",
        "https://www.example.org/research/beta/",
        "https://www.example.org/research/delta/",  # ../research/delta/ from /analysis/
    )


def test_selector_and_pattern_must_both_hold() -> None:
    page = links_from_listing(
        LISTING_HTML, PAGE, listing(link_selector="article.card", link_pattern=r"/research/")
    )
    # gamma is selected but does not match; delta matches but is not selected
    assert page.links == (
        "https://www.example.org/research/alpha/",
        "https://www.example.org/research/beta/",
    )


def test_base_href_wins_over_page_url() -> None:
    html = '<head><base href="https://cdn.example.org/x/"></head><a class=i href="p/1">1</a>'
    page = links_from_listing(html, PAGE, listing(link_selector="a.i"))
    assert page.links == ("https://cdn.example.org/x/p/1",)


def test_scheme_and_host_lower_cased_path_kept() -> None:
    html = '<a class=i href="HTTPS://WWW.Example.ORG/Research/A?Q=1#top">a</a>'
    html += '<a class=i href="https://www.example.org/Research/A?Q=1">dup</a>'
    page = links_from_listing(html, PAGE, listing(link_selector="a.i"))
    assert page.links == ("https://www.example.org/Research/A?Q=1",)


def test_next_by_anchor_selector() -> None:
    page = links_from_listing(
        LISTING_HTML, PAGE, listing(link_selector="article.card", next_selector="a.next")
    )
    assert page.next_url == "https://www.example.org/analysis/page/2/"


def test_next_by_link_rel_next() -> None:
    page = links_from_listing(
        LISTING_HTML, PAGE, listing(link_selector="article.card", next_selector="link[rel=next]")
    )
    assert page.next_url == "https://www.example.org/analysis/page/2/"


def test_next_pointing_at_itself_or_missing_is_none() -> None:
    html = '<a class=i href="/research/a">a</a><ul class=pager><li><a href="#">next</a></li></ul>'
    cfg = listing(link_selector="a.i", next_selector="ul.pager li")
    assert links_from_listing(html, PAGE, cfg).next_url is None
    html2 = f'<a class=i href="/r/a">a</a><a class=next href="{PAGE}#more">next</a>'
    assert (
        links_from_listing(
            html2, PAGE, listing(link_selector="a.i", next_selector="a.next")
        ).next_url
        is None
    )
    assert links_from_listing("<p>empty</p>", PAGE, cfg).links == ()


def test_page_template_pages_start_at_first_page() -> None:
    cfg = listing(
        link_pattern="/r/",
        page_template="https://www.crisisgroup.org/latest?page={page}",
        first_page=1,
    )
    assert list(itertools.islice(page_urls(cfg), 3)) == [
        "https://www.crisisgroup.org/latest?page=1",
        "https://www.crisisgroup.org/latest?page=2",
        "https://www.crisisgroup.org/latest?page=3",
    ]
    assert list(page_urls(listing(link_pattern="/r/"))) == []
    default = listing(link_pattern="/r/", page_template="https://x.org/a/page/{page}/")
    assert next(page_urls(default)) == "https://x.org/a/page/2/"


# ---------------------------------------------------------------- sitemaps

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="//www.example.org/main-sitemap.xsl"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://www.example.org/post-sitemap1.xml</loc>
    <lastmod>2019-03-01T08:00:00+00:00</lastmod></sitemap>
  <sitemap>
    <loc>
      https://www.example.org/post-sitemap2.xml.gz
    </loc>
    <lastmod>2025-06-02</lastmod>
  </sitemap>
</sitemapindex>"""

URLSET = b"""\xef\xbb\xbf
<urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <sm:url><sm:loc>https://www.example.org/research/a/</sm:loc>
          <sm:lastmod>2025-06-01T10:30:00.250+04:30</sm:lastmod></sm:url>
  <sm:url><sm:loc>https://www.example.org/research/b/</sm:loc></sm:url>
  <sm:url><sm:loc>https://www.example.org/research/c/</sm:loc>
     <news:news><news:publication_date>2025-05-20T09:00:00Z</news:publication_date></news:news>
  </sm:url>
  <sm:url><sm:loc>https://www.example.org/research/a/</sm:loc></sm:url>
  <sm:url><sm:loc>/relative/d/</sm:loc><sm:lastmod>not a date</sm:lastmod></sm:url>
</urlset>"""


def test_sitemap_index_children_and_lastmods() -> None:
    sm = parse_sitemap(INDEX, "https://www.example.org/sitemap_index.xml", max_bytes=10_000)
    assert sm.urls == ()
    assert sm.children == (
        "https://www.example.org/post-sitemap1.xml",
        "https://www.example.org/post-sitemap2.xml.gz",
    )
    assert sm.child_lastmods == (
        datetime(2019, 3, 1, 8, tzinfo=UTC),
        datetime(2025, 6, 2, tzinfo=UTC),
    )


def test_urlset_with_prefixed_namespace_bom_whitespace_news_date() -> None:
    sm = parse_sitemap(URLSET, "https://www.example.org/s.xml", max_bytes=10_000)
    assert sm.children == ()
    tehran_summer = timezone(timedelta(hours=4, minutes=30))
    assert sm.urls == (
        (
            "https://www.example.org/research/a/",
            datetime(2025, 6, 1, 10, 30, 0, 250000, tehran_summer),
        ),
        ("https://www.example.org/research/b/", None),
        ("https://www.example.org/research/c/", datetime(2025, 5, 20, 9, tzinfo=UTC)),
        ("https://www.example.org/relative/d/", None),
    )


def test_gzip_sitemap_by_magic_bytes() -> None:
    sm = parse_sitemap(gzip.compress(URLSET), "https://www.example.org/s.xml.gz", max_bytes=10_000)
    assert len(sm.urls) == 4
    assert sm.urls[0][0] == "https://www.example.org/research/a/"


def test_gzip_bomb_refused_without_inflating_it_all() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    assert len(bomb) < 10_000
    with pytest.raises(DiscoveryError, match="beyond 100000 bytes"):
        parse_sitemap(bomb, "https://www.example.org/s.xml.gz", max_bytes=100_000)
    with pytest.raises(DiscoveryError, match=r"truncated|corrupt"):
        gunzip_capped(gzip.compress(URLSET)[:40], 10_000)
    with pytest.raises(DiscoveryError, match="exceeds"):
        parse_sitemap(b"<urlset>" + b" " * 2000 + b"</urlset>", "https://x.org/s", max_bytes=1024)


def test_multi_member_gzip() -> None:
    data = gzip.compress(b"https://x.org/a\n") + gzip.compress(b"https://x.org/b\n")
    sm = parse_sitemap(data, "https://x.org/sitemap.txt", max_bytes=1000)
    assert [u for u, _ in sm.urls] == ["https://x.org/a", "https://x.org/b"]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<urlset><url><loc>https://x.org/&lol9;</loc></url></urlset>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<urlset><url><loc>https://x.org/&xxe;</loc></url></urlset>"""

XXE_PARAM = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY % ext SYSTEM "http://127.0.0.1:9/evil.dtd"> %ext;]>
<urlset><url><loc>https://x.org/a</loc></url></urlset>"""


@pytest.mark.parametrize(
    "payload", [BILLION_LAUGHS, XXE, XXE_PARAM], ids=["laughs", "xxe", "param"]
)
def test_entity_payloads_refused_in_sitemaps(payload: bytes) -> None:
    with pytest.raises(DiscoveryError, match="unsafe XML refused"):
        parse_sitemap(payload, "https://x.org/s.xml", max_bytes=1_000_000)
    with pytest.raises(DiscoveryError, match="unsafe XML refused"):
        parse_sitemap(gzip.compress(payload), "https://x.org/s.xml.gz", max_bytes=1_000_000)


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE])
def test_entity_payloads_refused_in_feeds(payload: bytes) -> None:
    rss = payload.replace(b"<urlset><url><loc>", b'<rss version="2.0"><channel><item><link>')
    rss = rss.replace(b"</loc></url></urlset>", b"</link></item></channel></rss>")
    with pytest.raises(DiscoveryError, match="entities"):
        links_from_feed(rss, "https://x.org/feed")


def test_not_a_sitemap_and_broken_xml() -> None:
    with pytest.raises(DiscoveryError, match="root element <html>"):
        parse_sitemap(b"<html><body>hi</body></html>", "https://x.org/s", max_bytes=1000)
    with pytest.raises(DiscoveryError, match="not well-formed"):
        parse_sitemap(b"<urlset><url><loc>x</url>", "https://x.org/s", max_bytes=1000)
    with pytest.raises(DiscoveryError, match="empty"):
        parse_sitemap(b"  \n", "https://x.org/s", max_bytes=1000)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-05", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-07", datetime(2024, 5, 7, tzinfo=UTC)),
        ("2024-05-07T10:20Z", datetime(2024, 5, 7, 10, 20, tzinfo=UTC)),
        ("2024-05-07T10:20:30+02:00", datetime(2024, 5, 7, 8, 20, 30, tzinfo=UTC)),
        ("2024-05-07T10:20:30.5-0500", datetime(2024, 5, 7, 15, 20, 30, 500000, tzinfo=UTC)),
        (" 2024-05-07 10:20:30 ", datetime(2024, 5, 7, 10, 20, 30, tzinfo=UTC)),
        ("2024-05-07T10:20:30+03", datetime(2024, 5, 7, 7, 20, 30, tzinfo=UTC)),
        ("2024-13-01", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_w3c_datetimes(text: str | None, expected: datetime | None) -> None:
    got = parse_w3c_datetime(text)
    assert got == expected
    if got is not None:
        assert got.tzinfo is not None


# ---------------------------------------------------------------- feeds

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel><title>Example</title><link>https://www.example.org/</link><description>d</description>
<item><title>First &amp; foremost</title><link>/research/first/</link>
  <pubDate>Tue, 10 Jun 2025 04:00:00 +0200</pubDate></item>
<item><title>  Second
  </title><link>https://www.example.org/research/second/#comments</link>
  <guid isPermaLink="false">abc</guid></item>
<item><title>Guid only</title><guid>https://www.example.org/research/third/</guid></item>
<item><title>First again</title><link>/research/first/</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://www.example.org/blog/">
<title>Blog</title><id>urn:x</id><updated>2025-02-01T00:00:00Z</updated>
<entry><title type="html">&lt;b&gt;Bold&lt;/b&gt; move</title><id>urn:1</id>
  <link rel="alternate" href="posts/one"/>
  <published>2025-01-01T00:00:00Z</published><updated>2025-02-01T12:00:00+01:00</updated></entry>
<entry><title>Two</title><id>urn:2</id><link rel="enclosure" href="/f.mp3"/>
  <link rel="alternate" href="/blog/posts/two"/></entry>
</feed>"""


def test_rss_relative_links_dates_titles() -> None:
    items = links_from_feed(RSS, "https://www.example.org/feed/")
    assert [i.url for i in items] == [
        "https://www.example.org/research/first/",
        "https://www.example.org/research/second/",
        "https://www.example.org/research/third/",
    ]
    assert items[0].lastmod == datetime(2025, 6, 10, 2, tzinfo=UTC)
    assert items[0].title == "First & foremost"
    assert items[1].lastmod is None
    assert items[1].title == "Second"


def test_atom_xml_base_and_newest_of_updated_published() -> None:
    items = links_from_feed(ATOM, "https://www.example.org/atom.xml")
    assert [i.url for i in items] == [
        "https://www.example.org/blog/posts/one",
        "https://www.example.org/blog/posts/two",
    ]
    assert items[0].lastmod == datetime(2025, 2, 1, 11, tzinfo=UTC)
    assert items[0].title is not None and "Bold" in items[0].title


def test_feed_bytes_are_never_taken_for_a_file_name(tmp_path: Any) -> None:
    secret = tmp_path / "feed.xml"
    secret.write_bytes(RSS)
    with pytest.raises(DiscoveryError, match="not an RSS or Atom feed"):
        links_from_feed(str(secret).encode(), "https://x.org/feed")
    with pytest.raises(DiscoveryError, match="not an RSS or Atom feed"):
        links_from_feed(b"<html><body><p>Hello</p></body></html>", "https://x.org/feed")
    empty = b'<rss version="2.0"><channel><title>t</title></channel></rss>'
    assert links_from_feed(empty, "https://x.org/feed") == ()


# ---------------------------------------------------------------- filters


def test_registrable_domain() -> None:
    assert registrable_domain("www.brookings.edu") == "brookings.edu"
    assert registrable_domain("studies.aljazeera.net") == "aljazeera.net"
    assert registrable_domain("www.chathamhouse.org.uk") == "chathamhouse.org.uk"
    assert registrable_domain("www.ipis.ir") == "ipis.ir"
    assert registrable_domain("127.0.0.1") == "127.0.0.1"
    assert registrable_domain("localhost") == "localhost"


def test_same_site() -> None:
    home = "https://www.example.org/"
    assert same_site("https://example.org/a", home)
    assert same_site("http://blog.example.org:8080/a", home)
    assert not same_site("https://example.org.evil.com/a", home)
    assert not same_site("https://notexample.org/a", home)
    assert not same_site("ftp://example.org/a", home)
    assert same_site("http://127.0.0.1:9999/x", "http://127.0.0.1:8000/")
    assert not same_site("http://127.0.0.2/x", "http://127.0.0.1:8000/")


def test_url_allowed_include_exclude() -> None:
    src = source(include=[r"/research/", r"/analysis/"], exclude=[r"/research/events?/", r"\.pdf$"])
    assert url_allowed("https://www.example.org/research/a/", src)
    assert url_allowed("https://sub.example.org/analysis/b", src)
    assert not url_allowed("https://www.example.org/about/", src)  # not included
    assert not url_allowed("https://www.example.org/research/event/x", src)  # excluded
    assert not url_allowed("https://www.example.org/research/x.pdf", src)
    assert not url_allowed("https://other.org/research/a/", src)  # off site
    assert url_allowed("https://www.example.org/anything", source())  # no patterns: all on site


# ---------------------------------------------------------------- robustness (hypothesis)

_TAGS = st.sampled_from(
    [
        "<a href='",
        "'>",
        "</a>",
        "<article class=card>",
        "</article>",
        "<base href='",
        "#",
        "/r/",
        "http://",
        "javascript:",
        "[::1",
        "<link rel=next href='",
        "%",
        "\\",
        "\x00",
        " ",
        "é",
    ]
)
_XML = st.sampled_from(
    [
        "<?xml version='1.0'?>",
        "<urlset>",
        "</urlset>",
        "<sitemapindex>",
        "<url>",
        "</url>",
        "<loc>",
        "</loc>",
        "<lastmod>",
        "</lastmod>",
        "2024-02-30T25:61Z",
        "http://x.org/a",
        "<!DOCTYPE x>",
        "<!ENTITY e 'x'>",
        "&e;",
        "&amp;",
        "\x1f\x8b",
        " ",
        "\n",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_TAGS, max_size=30).map("".join))
def test_listing_never_raises_and_yields_absolute_http(html: str) -> None:
    page = links_from_listing(
        html, PAGE, listing(link_selector="article.card, a", next_selector="link")
    )
    assert len(page.links) == len(set(page.links)) == len(page.titles)
    assert all(u.startswith(("http://", "https://")) and "#" not in u for u in page.links)


@settings(max_examples=150, deadline=None)
@given(st.lists(_XML, max_size=30).map("".join))
def test_sitemap_only_raises_discovery_error(text: str) -> None:
    try:
        sm = parse_sitemap(text.encode(), "https://x.org/s.xml", max_bytes=10_000)
    except DiscoveryError:
        return
    assert all(u.startswith(("http://", "https://")) for u, _ in sm.urls)
    assert all(m is None or m.tzinfo is not None for _, m in sm.urls)
    assert len(sm.children) == len(sm.child_lastmods)
