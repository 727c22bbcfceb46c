"""feeds.sanitize: XSS vectors never survive; URLs become absolute; XML-invalid text goes."""

from __future__ import annotations

import re

import pytest
from lxml import html as lxml_html  # type: ignore[import-untyped]

from feeds.sanitize import clean_xml_text, sanitize_html

BASE = "https://think.example/research/2025/piece.html"

# Classic vectors (OWASP XSS filter evasion cheat sheet / html5sec shapes).
VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<img src="javascript:alert(1)">',
    '<img srcset="javascript:alert(1) 1x, x.png 2x">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href=" &#14;  javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "<svg><script>alert(1)</script></svg>",
    '<svg onload="alert(1)"></svg>',
    "<math><mtext><script>alert(1)</script></mtext></math>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p onmouseover="alert(1)">hover</p>',
    "<style>@import 'javascript:alert(1)';</style>",
    '<body onload="alert(1)">',
    '<a href="java\nscript:alert(1)">x</a>',
    "<<script>alert(1)//<</script>",
    '<img """><script>alert(1)</script>">',
    '<details open ontoggle="alert(1)">',
    '<video><source onerror="alert(1)"></video>',
    "<!--<script>alert(1)</script>-->",
    '<a href="https://ok.example/" onclick="alert(1)">ok</a>',
]


def _dangerous(out: str) -> list[str]:
    """What in a sanitised fragment could still run: parsed as a browser would."""
    found: list[str] = []
    tree = lxml_html.fragment_fromstring(out or "<p></p>", create_parent="div")
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag.lower() in {"script", "style", "iframe", "object", "embed", "base", "meta",
                              "form", "svg", "math", "link"}:  # fmt: skip
            found.append(f"tag {el.tag}")
        for name, value in el.attrib.items():
            if name.lower().startswith("on") or name.lower() == "style":
                found.append(f"attribute {name}")
            if name in {"href", "src", "srcset", "action", "data"}:
                for url in re.split(r",\s*", value):
                    scheme = url.strip().split(":", 1)[0].lower() if ":" in url else ""
                    if scheme and scheme not in {"http", "https", "mailto"}:
                        found.append(f"{name}={value!r}")
    return found


@pytest.mark.parametrize("vector", VECTORS)
def test_xss_vectors_never_survive(vector: str) -> None:
    out = sanitize_html(vector, BASE)
    assert _dangerous(out) == [], out
    assert "javascript" not in out.lower()


def test_the_danger_check_itself_sees_danger() -> None:
    assert _dangerous('<script>x</script><a href="javascript:x">a</a><p onclick="x">p</p>') == [
        "tag script",
        "href='javascript:x'",
        "attribute onclick",
    ]


def test_script_content_is_dropped_not_kept_as_text() -> None:
    out = sanitize_html("<p>a</p><script>steal()</script><style>x{}</style><p>b</p>", BASE)
    assert out == "<p>a</p><p>b</p>"


def test_relative_urls_resolved_against_article_url() -> None:
    out = sanitize_html(
        '<a href="../other.html">o</a><a href="/root">r</a><a href="#frag">f</a>'
        '<img src="img/a.png" srcset="img/a-1x.png 1x, //cdn.example/a-2x.png 2x">',
        BASE,
    )
    assert 'href="https://think.example/research/other.html"' in out
    assert 'href="https://think.example/root"' in out
    assert 'href="https://think.example/research/2025/piece.html#frag"' in out
    assert 'src="https://think.example/research/2025/img/a.png"' in out
    assert (
        'srcset="https://think.example/research/2025/img/a-1x.png 1x, '
        'https://cdn.example/a-2x.png 2x"' in out
    )


def test_links_get_noopener_and_keep_allowed_schemes() -> None:
    out = sanitize_html(
        '<a href="mailto:press@think.example">m</a><a href="https://x.example/">x</a>', BASE
    )
    assert out.count('rel="noopener noreferrer"') == 2
    assert 'href="mailto:press@think.example"' in out
    assert 'href="https://x.example/"' in out


def test_allowed_structure_is_kept() -> None:
    html = (
        "<h2>T</h2><ul><li><em>a</em></li></ul><blockquote><p>q</p></blockquote>"
        '<table><tr><td colspan="2">c</td></tr></table>'
    )
    out = sanitize_html(html, BASE)
    for tag in ("<h2>", "<ul>", "<li>", "<em>", "<blockquote>", "<table>", 'colspan="2"'):
        assert tag in out


def test_relative_urls_denied_without_a_usable_base() -> None:
    out = sanitize_html('<a href="/x">x</a><img src="y.png">', "not a url")
    assert "href" not in out and "src" not in out


def test_clean_xml_text_drops_controls_surrogates_and_nonchars() -> None:
    assert clean_xml_text("a\x00b\x07c\x0bd\x1fe\ud800f\udfffg\ufffeh\uffffi") == "abcdefghi"
    assert clean_xml_text("x\x7fy\x80z\x9f\ufdd0!") == "xyz!"
    assert clean_xml_text("tab\tnl\ncr\r ok é 😀") == "tab\tnl\ncr\r ok é 😀"


def test_sanitize_handles_invalid_characters() -> None:
    out = sanitize_html("<p>bad\x01 \ud83d text</p>", BASE)
    assert out == "<p>bad  text</p>"
