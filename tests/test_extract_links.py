"""Links made absolute (scraper.extract.links): the shortcut gives what urljoin gives."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from scraper.extract.links import Resolver

_HREFS = [
    "/a/b.html",
    "/a?b=c#d",
    "/a#b?c",
    "/a?",
    "/a#",
    "/a?#",
    "/a;b",
    "/a;",
    "/./x",
    "/../x",
    "/a/..",
    "/a/.",
    "/a//b",
    "/a\tb",
    "/a b",
    "/é",
    "/a:b",
    "//other.org/y",
    "rel/x",
    "../up",
    "?q=1",
    "mailto:a@b.org",
]
_BASES = [
    "https://e.org/dir/page",
    "http://E.ORG:8080/x?y#z",
    "HTTPS://e.org",
    "https://u:p@e.org/",
    "ftp://e.org/a",
    "https://[::1]/a",
]


@pytest.mark.parametrize("base", _BASES)
def test_same_as_urljoin(base: str) -> None:
    resolve = Resolver(base)
    for href in _HREFS:
        assert resolve(href) == urljoin(base, href), href


def test_nothing_to_link_and_no_base() -> None:
    resolve = Resolver("https://e.org/")
    assert [resolve(h) for h in ("", " ", "#top", "javascript:x()", "data:,a")] == [None] * 5
    assert resolve(" https://x.org/a ") == "https://x.org/a"
    assert Resolver(None)("/a") == "/a"
    assert Resolver("https://[bad/")("/a") is None  # urljoin raises on the base
