"""scraper.discover.icons: which icons a page's head names, on hand-written heads.

The heads are shaped like real ones: WordPress's site-icon block (32, 192, apple 180, 270 for
tiles), Drupal's lone ``shortcut icon`` favicon.ico, a realfavicongenerator set, and the
mistakes the parser must survive (data: URIs, a ``mask-icon``, non-square sizes, a
``<base href>``).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scraper.discover import site_icons
from scraper.models import SiteIcons

PAGE = "https://www.example.org/analysis/2025/07/a-piece/"


def _page(head: str, body: str = "<p>Text.</p>") -> str:
    return f"<!DOCTYPE html><html><head><title>T</title>{head}</head><body>{body}</body></html>"


def test_wordpress_site_icon_block() -> None:
    head = (
        '<link rel="icon" href="https://www.example.org/wp-content/uploads/cropped-i-32x32.png"'
        ' sizes="32x32">'
        '<link rel="icon" href="https://www.example.org/wp-content/uploads/cropped-i-192x192.png"'
        ' sizes="192x192">'
        '<link rel="apple-touch-icon" href="/wp-content/uploads/cropped-i-180x180.png">'
        '<meta name="msapplication-TileImage" content="/wp-content/uploads/cropped-i-270x270.png">'
    )
    assert site_icons(_page(head), PAGE) == SiteIcons(
        icon="https://www.example.org/wp-content/uploads/cropped-i-192x192.png",
        favicon="https://www.example.org/wp-content/uploads/cropped-i-32x32.png",
    )


def test_drupal_lone_favicon_is_small_only() -> None:
    head = (
        '<link rel="shortcut icon" href="/sites/default/files/favicon.ico"'
        ' type="image/vnd.microsoft.icon">'
    )
    assert site_icons(_page(head), PAGE) == SiteIcons(
        icon=None, favicon="https://www.example.org/sites/default/files/favicon.ico"
    )


def test_apple_touch_icon_without_sizes_is_large_and_relative_to_the_page() -> None:
    head = '<link rel="apple-touch-icon-precomposed" href="touch.png">'
    assert site_icons(_page(head), PAGE) == SiteIcons(
        icon="https://www.example.org/analysis/2025/07/a-piece/touch.png", favicon=None
    )


def test_largest_large_icon_wins_and_small_apple_icons_are_not_large() -> None:
    head = (
        '<link rel="apple-touch-icon" sizes="57x57" href="/a57.png">'
        '<link rel="apple-touch-icon" sizes="180x180" href="/a180.png">'
        '<link rel="icon" type="image/png" sizes="512x512" href="/i512.png">'
        '<link rel="icon" type="image/png" sizes="96x96" href="/i96.png">'
    )
    assert site_icons(_page(head), PAGE) == SiteIcons(
        icon="https://www.example.org/i512.png", favicon="https://www.example.org/i96.png"
    )
    only_small_apple = '<link rel="apple-touch-icon" sizes="114x114" href="/a114.png">'
    assert site_icons(_page(only_small_apple), PAGE) is None


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        # a 32 px png beats a favicon.ico of unknown size, which beats a 16 px png
        (
            [("icon", "/f16.png", "16x16"), ("shortcut icon", "/favicon.ico", None),
             ("icon", "/f32.png", "32x32")],
            "/f32.png",
        ),
        ([("icon", "/f16.png", "16x16"), ("shortcut icon", "/favicon.ico", None)], "/favicon.ico"),
        # several sizes in one .ico: its largest counts
        ([("icon", "/f16.png", "16x16"), ("icon", "/m.ico", "16x16 32x32 48x48")], "/m.ico"),
        # "any" (an SVG) is of unknown size, a 64 px png is known to be sharp
        ([("icon", "/i.svg", "any"), ("icon", "/f64.png", "64X64")], "/f64.png"),
        # equal ranks: the first link of the page
        ([("icon", "/first.ico", None), ("icon", "/second.ico", "")], "/first.ico"),
    ],
)  # fmt: skip
def test_the_best_small_icon_is_the_favicon(
    links: list[tuple[str, str, str | None]], expected: str
) -> None:
    head = "".join(
        f'<link rel="{rel}" href="{href}"'
        + (f' sizes="{sizes}"' if sizes is not None else "")
        + ">"
        for rel, href, sizes in links
    )
    found = site_icons(_page(head), PAGE)
    assert found is not None and found.icon is None
    assert found.favicon == "https://www.example.org" + expected


def test_only_http_image_icons_in_the_head_count() -> None:
    head = (
        '<link rel="icon" href="data:image/png;base64,iVBORw0KGgo=">'
        '<link rel="icon" href="javascript:alert(1)">'
        '<link rel="mask-icon" href="/safari-pinned-tab.svg" color="#5bbad5">'
        '<link rel="fluid-icon" href="/fluid.png">'
        '<link rel="icon" href="/banner.png" sizes="120x60">'
        '<link rel="icon" href="/not-an-image" type="text/html">'
        '<link rel="stylesheet" href="/icon.css">'
        '<link rel="icon" href="">'
        '<link rel="icon">'
    )
    body = '<link rel="apple-touch-icon" href="/in-body.png">'  # the body is not read
    assert site_icons(_page(head, body), PAGE) is None
    # the same links plus one good one: only the good one is kept
    good = '<link rel="ICON" href="//cdn.example.net/fav.png#x" sizes="32x32 120x60">'
    assert site_icons(_page(head + good, body), PAGE) == SiteIcons(
        icon=None, favicon="https://cdn.example.net/fav.png"
    )


def test_base_href_resolves_the_links() -> None:
    head = '<base href="https://static.example.org/theme/"><link rel="icon" href="img/fav.png">'
    assert site_icons(_page(head), PAGE) == SiteIcons(
        favicon="https://static.example.org/theme/img/fav.png"
    )


def test_page_without_icons_or_head() -> None:
    assert site_icons(_page(""), PAGE) is None
    assert site_icons("", PAGE) is None
    assert site_icons("<p>no head at all</p>", PAGE) is None
    # an implied head (no tags for it) still holds the links before the content
    assert site_icons("<link rel=icon href=/f.ico><p>text", PAGE) == SiteIcons(
        favicon="https://www.example.org/f.ico"
    )


_ATTR = st.sampled_from(["rel", "href", "sizes", "type", "REL"])
_VALUE = st.one_of(
    st.sampled_from(["icon", "apple-touch-icon", "shortcut icon", "16x16 any 99999x99999", "/"]),
    st.text(max_size=20),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(_ATTR, _VALUE, max_size=4), max_size=5), st.text(max_size=30))
def test_any_head_gives_icons_or_none_and_never_raises(
    links: list[dict[str, str]], base: str
) -> None:
    """The scraper reads icons from every listing page it fetches: a page it cannot make
    sense of must give ``None`` or http(s) URLs, never an exception that would cost the page."""
    tags = "".join(
        "<link " + " ".join(f'{k}="{v.replace(chr(34), "")}"' for k, v in attrs.items()) + ">"
        for attrs in links
    )
    for page_url in (PAGE, base):
        found = site_icons(_page(f'<base href="{base}">' + tags), page_url)
        if found is not None:
            urls = [u for u in (found.icon, found.favicon) if u is not None]
            assert urls and all(u.startswith(("http://", "https://")) for u in urls)
