"""URL identity: every normalisation rule, idempotence (hypothesis), canonical_url choices."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scraper.dedup import (
    canonical_url,
    normalize_url,
    registrable_domain,
    same_site,
    without_tracking,
)
from scraper.models import Article


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scheme and host lower-cased, http upgraded to https
        ("HTTPS://WWW.Brookings.EDU/articles/x/", "https://www.brookings.edu/articles/x/"),
        ("http://www.csis.org/analysis/a", "https://www.csis.org/analysis/a"),
        # default ports dropped; other ports kept, and then http stays http
        ("https://example.org:443/a", "https://example.org/a"),
        ("http://example.org:80/a", "https://example.org/a"),
        ("http://example.org:8080/a", "http://example.org:8080/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        # fragment dropped
        ("https://example.org/a#section-2", "https://example.org/a"),
        # empty path -> "/"
        ("https://example.org", "https://example.org/"),
        ("https://example.org?b=1", "https://example.org/?b=1"),
        # dot segments resolved
        ("https://example.org/a/./b/../c", "https://example.org/a/c"),
        ("https://example.org/../a", "https://example.org/a"),
        ("https://example.org/a/b/..", "https://example.org/a/"),
        # percent-encoding: unreserved decoded, hex upper-cased, unsafe encoded
        ("https://example.org/%7euser/%61bc", "https://example.org/~user/abc"),
        ("https://example.org/caf%c3%a9", "https://example.org/caf%C3%A9"),
        ("https://example.org/café", "https://example.org/caf%C3%A9"),
        ("https://example.org/a b", "https://example.org/a%20b"),
        ("https://example.org/a%2fb", "https://example.org/a%2Fb"),
        ("https://example.org/100%", "https://example.org/100%25"),
        # IDNA host; trailing dot
        ("https://Bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://example.org./a", "https://example.org/a"),
        # query sorted; meaningful params kept
        ("https://example.org/?page=2&id=7&lang=fa", "https://example.org/?id=7&lang=fa&page=2"),
        ("https://example.org/?b=2&a=1&a=0", "https://example.org/?a=0&a=1&b=2"),
        ("https://example.org/?q=a+b", "https://example.org/?q=a+b"),
        ("https://example.org/?flag&x=1", "https://example.org/?flag&x=1"),
        ("https://example.org/a?", "https://example.org/a"),
        # session ids in the path
        ("https://example.org/a;jsessionid=ABC123?x=1", "https://example.org/a?x=1"),
    ],
)
def test_normalize_rules(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


@pytest.mark.parametrize(
    "param",
    [
        "utm_source=newsletter",
        "utm_medium=email",
        "UTM_Campaign=x",
        "utm_content=a",
        "utm_term=b",
        "fbclid=IwAR0",
        "gclid=Cj0",
        "dclid=1",
        "msclkid=2",
        "mc_cid=3",
        "mc_eid=4",
        "_hsenc=p2",
        "_hsmi=5",
        "mkt_tok=6",
        "igshid=7",
        "yclid=8",
        "ref_src=twsrc",
        "__s=9",
        "oly_enc_id=10",
        "oly_anon_id=11",
        "vero_conv=12",
        "vero_id=13",
        "ga_source=14",
        "s_cid=15",
        "_ga=2.1",
        "_gl=1",
        "pk_campaign=x",
        "mtm_source=y",
        "wt.mc_id=z",
        "sessionid=s",
        "PHPSESSID=abc",
    ],
)
def test_tracking_params_removed(param: str) -> None:
    assert normalize_url(f"https://example.org/a?id=5&{param}") == "https://example.org/a?id=5"
    assert normalize_url(f"https://example.org/a?{param}") == "https://example.org/a"
    # the link shown in feeds loses them too, and nothing else
    assert without_tracking(f"http://Example.org/a/?id=5&{param}") == "http://Example.org/a/?id=5"
    assert without_tracking(f"https://example.org/a?{param}#s2") == "https://example.org/a#s2"


def test_without_tracking_touches_nothing_else() -> None:
    url = "http://www.Example.org:8080/p/%7Euser/?z=1&b=%2F&a&utm_medium=x&A=2"
    assert without_tracking(url) == "http://www.Example.org:8080/p/%7Euser/?z=1&b=%2F&a&A=2"
    for same in ("https://example.org/a", "https://example.org/a?id=5&p=2", "mailto:x@y.org"):
        assert without_tracking(same) == same
    assert without_tracking("https://example.org/a?utm%5Fsource=x") == "https://example.org/a"
    assert without_tracking("http://[::1/a?utm_source=x") == "http://[::1/a?utm_source=x"


@given(st.text(max_size=60))
def test_without_tracking_never_raises_and_is_idempotent(text: str) -> None:
    once = without_tracking("https://example.org/a?" + text)
    assert without_tracking(once) == once


@pytest.mark.parametrize("param", ["id=5", "page=2", "lang=en", "p=123", "q=x", "ref=main"])
def test_meaningful_params_kept(param: str) -> None:
    assert normalize_url(f"https://example.org/a?{param}&utm_source=x") == (
        f"https://example.org/a?{param}"
    )


def test_tracking_param_detected_after_unescaping() -> None:
    assert normalize_url("https://example.org/a?utm%5Fsource=x") == "https://example.org/a"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/2025/07/story/amp/", "https://example.org/2025/07/story/"),
        ("https://example.org/2025/07/story/amp", "https://example.org/2025/07/story"),
        ("https://amp.example.org/story", "https://example.org/story"),
        ("https://example.org/story?amp=1", "https://example.org/story"),
        ("https://example.org/story?amp", "https://example.org/story"),
        ("https://example.org/story?amp=true&id=2", "https://example.org/story?id=2"),
        ("https://example.org/story?outputType=amp", "https://example.org/story"),
        ("https://example.org/story.amp.html", "https://example.org/story.html"),
    ],
)
def test_amp_variants(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_amp_words_that_are_not_amp_variants_are_kept() -> None:
    assert normalize_url("https://example.org/amplifiers/") == "https://example.org/amplifiers/"
    assert normalize_url("https://amp.org/a") == "https://amp.org/a"  # the site itself
    assert normalize_url("https://amp.co.uk/a") == "https://amp.co.uk/a"
    assert normalize_url("https://amp.amp.example.org/a") == "https://example.org/a"
    assert normalize_url("https://example.org/a?amp=full") == "https://example.org/a?amp=full"


@pytest.mark.parametrize(
    ("url", "rule", "expected"),
    [
        ("https://example.org/a/", "keep", "https://example.org/a/"),
        ("https://example.org/a", "keep", "https://example.org/a"),
        ("https://example.org/a/", "strip", "https://example.org/a"),
        ("https://example.org/a//", "strip", "https://example.org/a"),
        ("https://example.org/", "strip", "https://example.org/"),
        ("https://example.org/a", "add", "https://example.org/a/"),
        ("https://example.org/a/", "add", "https://example.org/a/"),
        ("https://example.org/report.pdf", "add", "https://example.org/report.pdf"),
        ("https://example.org/a?x=1", "add", "https://example.org/a/?x=1"),
    ],
)
def test_trailing_slash_rules(url: str, rule: str, expected: str) -> None:
    assert normalize_url(url, trailing_slash=rule) == expected


def test_trailing_slash_rule_is_validated() -> None:
    with pytest.raises(ValueError, match="trailing_slash"):
        normalize_url("https://example.org/a", trailing_slash="sometimes")


def test_variants_of_one_page_share_one_key() -> None:
    variants = [
        "https://www.brookings.edu/articles/x/",
        "http://www.brookings.edu/articles/x/",
        "HTTPS://WWW.BROOKINGS.EDU:443/articles/x/#top",
        "https://www.brookings.edu/articles/x/?utm_source=twitter&utm_medium=social",
        "https://www.brookings.edu/articles/x/amp/",
        "https://www.brookings.edu/articles/./x/?fbclid=abc",
    ]
    assert len({normalize_url(v) for v in variants}) == 1


def test_non_web_and_broken_urls_do_not_raise() -> None:
    assert normalize_url("MAILTO:someone@example.org") == "mailto:someone@example.org"
    assert normalize_url("  https://[broken/a  ") == "https://[broken/a"
    assert normalize_url("https://example.org:99999/a") == "https://example.org/a"


@pytest.mark.parametrize(
    "junk", ["\x1b\x85\x1b", "http:////", "0 ?", "https://", "#x", "http:///a"]
)
def test_junk_found_by_fuzzing_is_idempotent(junk: str) -> None:
    once = normalize_url(junk)
    assert normalize_url(once) == once


def test_ipv6_and_userinfo_survive() -> None:
    assert normalize_url("http://[::1]:80/a") == "https://[::1]/a"
    assert normalize_url("https://user:pw@Example.org/a") == "https://user:pw@example.org/a"


# -- idempotence --------------------------------------------------------------------------

_segment = st.text(
    alphabet=st.sampled_from("abcXYZ019-._~%!$&'()*+,;=:@ éш/?#[]"), min_size=0, max_size=8
)
_host = st.sampled_from(
    ["example.org", "WWW.Example.ORG", "amp.example.org", "bücher.de", "127.0.0.1", "[::1]", "a."]
)
_query_item = st.tuples(
    st.sampled_from(["utm_source", "id", "page", "amp", "lang", "fbclid", "Q", "a%5Fb", "x y"]),
    st.text(alphabet=st.sampled_from("ab1%2F+= é"), max_size=5),
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = draw(_host)
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "/".join(draw(st.lists(_segment, max_size=5)))
    suffix = draw(st.sampled_from(["", "/", "/amp", "/amp/", ".amp.html", "/../x", "/./"]))
    query = "&".join(f"{k}={v}" for k, v in draw(st.lists(_query_item, max_size=4)))
    fragment = draw(st.sampled_from(["", "#x", "#"]))
    return f"{scheme}://{host}{port}/{path}{suffix}{'?' + query if query else ''}{fragment}"


@settings(max_examples=400, deadline=None)
@given(urls(), st.sampled_from(["keep", "strip", "add"]))
def test_normalize_is_idempotent(url: str, rule: str) -> None:
    once = normalize_url(url, trailing_slash=rule)
    assert normalize_url(once, trailing_slash=rule) == once


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_normalize_never_raises_and_is_idempotent_on_any_text(text: str) -> None:
    once = normalize_url(text)
    assert normalize_url(once) == once


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["http://", "https://", "HTTP://"]),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30),
    st.sampled_from(["keep", "strip", "add"]),
)
def test_normalize_is_idempotent_on_any_text_after_a_scheme(
    scheme: str, rest: str, rule: str
) -> None:
    once = normalize_url(scheme + rest, trailing_slash=rule)
    assert normalize_url(once, trailing_slash=rule) == once


def test_host_that_folds_to_a_dot() -> None:
    # U+2024 ONE DOT LEADER folds to "." under IDNA: the host must not end in a dot
    once = normalize_url("http://\u2024")
    assert normalize_url(once) == once


@settings(max_examples=200, deadline=None)
@given(urls())
def test_http_and_https_agree(url: str) -> None:
    if urlsplit(url).port is not None:
        return  # ":80" on https or ":443" on http is not a default port: schemes differ
    rest = url.split("://", 1)[1]
    assert normalize_url("http://" + rest) == normalize_url("https://" + rest)


# -- canonical_url --------------------------------------------------------------------------

FINAL = "https://www.brookings.edu/articles/x/?utm_source=rss"


def test_canonical_from_same_site_link_declared() -> None:
    article = Article(canonical_url="https://www.brookings.edu/articles/x-full-title/")
    assert canonical_url(article, FINAL) == "https://www.brookings.edu/articles/x-full-title/"


def test_canonical_www_and_subdomains_are_same_site() -> None:
    article = Article(canonical_url="http://brookings.edu/articles/x/")
    assert canonical_url(article, FINAL) == "https://brookings.edu/articles/x/"
    article = Article(canonical_url="https://blogs.brookings.edu/articles/x/")
    assert canonical_url(article, FINAL) == "https://blogs.brookings.edu/articles/x/"


def test_canonical_relative_link_is_resolved() -> None:
    article = Article(canonical_url="/articles/x/#main")
    assert canonical_url(article, FINAL) == "https://www.brookings.edu/articles/x/"


def test_canonical_other_site_is_ignored() -> None:
    # a partner site republishing with rel=canonical to the original: not our identity
    article = Article(canonical_url="https://www.project-syndicate.org/commentary/x")
    assert canonical_url(article, FINAL) == "https://www.brookings.edu/articles/x/"


def test_canonical_homepage_is_ignored_for_deeper_pages() -> None:
    article = Article(canonical_url="https://www.brookings.edu/")
    assert canonical_url(article, FINAL) == "https://www.brookings.edu/articles/x/"
    home = Article(canonical_url="https://www.brookings.edu")
    assert canonical_url(home, "https://www.brookings.edu/?ref_src=x") == (
        "https://www.brookings.edu/"
    )


@pytest.mark.parametrize("declared", ["", "   ", "javascript:void(0)", "ftp://x.org/a", "https://"])
def test_canonical_implausible_values_fall_back(declared: str) -> None:
    assert canonical_url(Article(canonical_url=declared), FINAL) == (
        "https://www.brookings.edu/articles/x/"
    )


def test_canonical_without_declared_link_and_trailing_slash_rule() -> None:
    assert canonical_url(Article(), FINAL, trailing_slash="strip") == (
        "https://www.brookings.edu/articles/x"
    )
    declared = Article(canonical_url="https://www.brookings.edu/articles/y")
    assert canonical_url(declared, FINAL, trailing_slash="add") == (
        "https://www.brookings.edu/articles/y/"
    )


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("www.brookings.edu", "brookings.edu"),
        ("brookings.edu", "brookings.edu"),
        ("blogs.lse.ac.uk", "lse.ac.uk"),
        ("www.chathamhouse.org.uk", "chathamhouse.org.uk"),
        ("www.ipis.ir", "ipis.ir"),
        ("news.example.co.jp", "example.co.jp"),
        ("localhost", "localhost"),
    ],
)
def test_registrable_domain(host: str, expected: str) -> None:
    assert registrable_domain(host) == expected


def test_same_site() -> None:
    assert same_site("https://www.kas.de/a", "https://kas.de/b")
    assert not same_site("https://www.kas.de/a", "https://www.fes.de/a")
    assert not same_site("https://a.co.uk/", "https://b.co.uk/")
    assert not same_site("/relative", "https://kas.de/")
    assert not same_site("https://[broken/", "https://kas.de/")


def test_canonical_with_broken_final_url_does_not_raise() -> None:
    article = Article(canonical_url="https://kas.de/a")
    assert canonical_url(article, "https://[broken/a") == "https://[broken/a"


@settings(max_examples=300, deadline=None)
@given(st.one_of(urls(), st.text(max_size=40)), urls(), st.sampled_from(["keep", "strip", "add"]))
def test_canonical_url_never_raises_and_is_a_normal_form(
    declared: str, final: str, rule: str
) -> None:
    result = canonical_url(Article(canonical_url=declared), final, trailing_slash=rule)
    assert normalize_url(result, trailing_slash=rule) == result
    assert same_site(result, final) or result == normalize_url(final, trailing_slash=rule)
