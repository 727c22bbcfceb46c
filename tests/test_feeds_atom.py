"""feeds.atom / feeds.jsonfeed: valid Atom that round-trips through feedparser, deterministic."""

from __future__ import annotations

import json
import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree  # type: ignore[import-untyped]

from feeds.atom import FeedSpec, render_feed
from feeds.jsonfeed import JSON_FEED_VERSION, render_json_feed
from feeds.model import EMPTY_FEED_UPDATED, entry_id
from feeds.sanitize import clean_xml_text
from scraper.models import StoredArticle
from tests._feeds_helpers import NOW, article, check_feed, replace, sample_articles

GOLDEN = Path(__file__).parent / "golden" / "feeds"
BASE = "https://feeds.example.org"
NAMES = {"ipis": "IPIS", "csis": "CSIS", "kas": "Konrad-Adenauer-Stiftung"}
LINKS = {
    "ipis": "https://ipis.example/",
    "csis": "https://csis.example/",
    "kas": "https://kas.example/",
}


def spec(kind: str = "all", key: str = "all", **extra: str) -> FeedSpec:
    rel = "all" if kind == "all" else f"{kind}s/{key}" if kind != "filtered" else f"filtered/{key}"
    return FeedSpec(
        kind=kind,  # type: ignore[arg-type]
        key=key,
        title=extra.pop("title", f"Feed {key}"),
        subtitle=extra.pop("subtitle", "Newest first"),
        self_url=f"{BASE}/feeds/{rel}.atom",
        json_url=f"{BASE}/feeds/{rel}.json",
        alternate_url=f"{BASE}/feeds/",
        **extra,
    )


def render(s: FeedSpec, articles: list[StoredArticle], now: datetime = NOW) -> bytes:
    originals = {a.id: a for a in sample_articles()}
    return render_feed(
        s,
        articles,
        source_names=NAMES,
        source_links=LINKS,
        originals=originals,
        generator_version="9.9.9",
        now=now,
    )


def test_all_feed_round_trips_every_field() -> None:
    arts = sample_articles()
    parsed = check_feed(render(spec(), arts))
    feed = parsed.feed
    assert feed.id == spec().id and feed.id.startswith("urn:uuid:")
    assert feed.title == "Feed all"
    assert feed.subtitle == "Newest first"
    assert {(x.rel, x.href) for x in feed.links} >= {
        ("self", f"{BASE}/feeds/all.atom"),
        ("alternate", f"{BASE}/feeds/"),
        ("alternate", f"{BASE}/feeds/all.json"),
    }
    assert feed.generator == "thinktank-digest"
    assert feed.generator_detail.version == "9.9.9"
    # feed updated = newest entry updated (article 3 changed on 07-10)
    assert feed.updated == "2025-07-10T08:00:00+00:00"

    entries = {e.id: e for e in parsed.entries}
    expected = [a for a in arts if a.duplicate_of is None]
    assert set(entries) == {entry_id(a.canonical_url) for a in expected}
    for a in expected:
        e = entries[entry_id(a.canonical_url)]
        assert e.link == a.url
        assert e.updated == a.last_changed.replace(microsecond=0).isoformat()
        if a.published is not None:
            assert e.published == a.published.isoformat()
        else:
            assert "published" not in e
        cats = [t.term for t in e.tags]
        assert cats == [*a.tags, a.source_id]
        names = [x.name for x in e.authors]
        assert names == (list(a.authors) or [NAMES[a.source_id]])
        assert e.source.title == NAMES[a.source_id]
        assert e.content[0].type == "text/html"
    # offsets are kept exactly (Tehran +03:30, New York -05:00)
    assert entries[entry_id(arts[0].canonical_url)].published == "2025-07-01T11:00:00+03:30"
    assert entries[entry_id(arts[2].canonical_url)].published == "2025-07-02T08:30:00-05:00"
    # newest first by published, else first seen (article 3: 2025-07-02 13:30 UTC)
    order = [e.id for e in parsed.entries]
    by_date = sorted(expected, key=lambda a: a.published or a.first_seen, reverse=True)
    assert order == [entry_id(a.canonical_url) for a in by_date]
    assert order[0] == entry_id(arts[2].canonical_url)


def test_titles_with_markup_quotes_and_controls_stay_text() -> None:
    arts = sample_articles()
    parsed = check_feed(render(spec(), arts))
    entries = {e.id: e for e in parsed.entries}
    first = entries[entry_id(arts[0].canonical_url)]
    assert first.title == 'Iran & the "West": <b>bold</b> ideas'
    assert first.title_detail.type == "text/plain"
    third = entries[entry_id(arts[2].canonical_url)]
    assert third.title == "Controlchars and lone surrogate"


def test_hostile_body_is_sanitised_in_the_feed() -> None:
    arts = sample_articles()
    data = render(spec(), arts)
    parsed = check_feed(data)
    content = {e.id: e.content[0].value for e in parsed.entries}[entry_id(arts[1].canonical_url)]
    low = content.lower()
    for bad in ("<script", "javascript", "onerror", "<iframe", "<style", "<svg", "<base",
                "<meta", "<form", "evil.example", "alert("):  # fmt: skip
        assert bad not in low, bad
    assert 'href="https://ipis.example/rel/link"' in content
    assert 'src="https://ipis.example/analysis/pic.png"' in content
    assert 'rel="noopener noreferrer"' in content


def test_html_sanitised_under_the_current_policy_is_used_as_stored() -> None:
    """The pipeline stores sanitised HTML with its policy; builds do not sanitise it again."""
    from feeds.sanitize import POLICY

    marked = '<p class="kept">Stored <a href="/rel">as is</a></p>'
    trusted = article(1, body_html=marked)
    trusted = replace(trusted, body_policy=POLICY)
    older = replace(article(2, body_html=marked), body_policy="nh3-0-0000000000000000")
    unknown = article(3, body_html=marked)
    parsed = check_feed(render(spec(), [trusted, older, unknown]))
    content = {e.id: e.content[0].value for e in parsed.entries}
    assert content[entry_id(trusted.canonical_url)] == marked
    for other in (older, unknown):  # another policy, or none: sanitised while rendering
        got = content[entry_id(other.canonical_url)]
        assert 'class="kept"' not in got
        assert 'href="https://ipis.example/rel"' in got


def test_near_duplicates_linked_and_left_out_where_their_first_copy_is() -> None:
    arts = sample_articles()
    dup_id = entry_id(arts[3].canonical_url)
    # never in the combined feed; not in a tag or filtered feed that holds the first copy
    for kind, key in (("all", "all"), ("tag", "iran"), ("filtered", "x")):
        ids = [e.id for e in check_feed(render(spec(kind, key), arts)).entries]
        assert dup_id not in ids
    csis = [a for a in arts if a.source_id == "csis"]
    # shown, linked to the first copy, in its source feed and in a tag or filtered feed
    # without the first copy
    for kind, key in (("source", "csis"), ("tag", "iran"), ("filtered", "x")):
        parsed = check_feed(render(spec(kind, key), csis))  # render() knows the first copies
        dup = {e.id: e for e in parsed.entries}[dup_id]
        related = [x for x in dup.links if x.rel == "related"]
        assert [x.href for x in related] == [arts[0].url]
        assert "first copy" in dup.content[0].value
        assert "Also published by IPIS" in dup.content[0].value


def test_same_input_gives_identical_bytes_whatever_order_and_clock() -> None:
    arts = sample_articles()
    first = render(spec(), arts, now=NOW)
    shuffled = arts[:]
    random.Random(7).shuffle(shuffled)
    assert render(spec(), shuffled, now=NOW + timedelta(days=30)) == first
    assert render_json_feed(spec(), arts, source_names=NAMES, now=NOW) == render_json_feed(
        spec(), shuffled, source_names=NAMES, now=NOW + timedelta(days=3)
    )


def test_updated_moves_only_with_last_changed() -> None:
    arts = sample_articles()
    before = check_feed(render(spec(), arts))
    edited = [replace(a, body_html="<p>typo fixed</p>") if a.id == 5 else a for a in arts]
    same = check_feed(render(spec(), edited))
    e_id = entry_id(arts[4].canonical_url)

    def pick(parsed: Any) -> Any:
        return {e.id: e for e in parsed.entries}[e_id]

    assert pick(same).updated == pick(before).updated
    changed_at = datetime(2025, 7, 12, 6, 0, tzinfo=UTC)
    moved = [replace(a, last_changed=changed_at) if a.id == 5 else a for a in edited]
    after = check_feed(render(spec(), moved))
    assert pick(after).updated == "2025-07-12T06:00:00+00:00"
    assert after.feed.updated == "2025-07-12T06:00:00+00:00"
    assert pick(after).published == pick(before).published


def test_empty_feed_uses_the_fixed_epoch() -> None:
    data = render(spec("tag", "none"), [])
    parsed = check_feed(data)
    assert parsed.entries == []
    assert parsed.feed.updated == EMPTY_FEED_UPDATED.isoformat() == "1970-01-01T00:00:00+00:00"
    assert render(spec("tag", "none"), [], now=NOW + timedelta(days=1)) == data


def test_icon_language_and_fallback_author() -> None:
    s = spec("source", "ipis", icon="https://ipis.example/favicon.ico", language="fa")
    parsed = check_feed(render(s, [article(10, authors=())]))
    assert parsed.feed.icon == "https://ipis.example/favicon.ico"
    assert parsed.feed.author == "thinktank-digest"
    assert parsed.entries[0].author == "IPIS"


@pytest.mark.parametrize(
    ("icons", "expected"),
    [
        # found on the site, large and small: each in its own member
        ({"icon": "https://x.example/apple.png", "favicon": "https://x.example/f.png"},
         {"icon": "https://x.example/apple.png", "favicon": "https://x.example/f.png"}),
        # only a small one (Atom's icon falls back to it): never JSON Feed's large icon
        ({"icon": "https://x.example/f.png", "favicon": "https://x.example/f.png"},
         {"favicon": "https://x.example/f.png"}),
        # the config's icon (no favicon) stays JSON Feed's icon, as before
        ({"icon": "https://cdn.example/logo.png"}, {"icon": "https://cdn.example/logo.png"}),
        ({}, {}),
    ],
)  # fmt: skip
def test_json_feed_icon_is_large_and_favicon_small(
    icons: dict[str, str], expected: dict[str, str]
) -> None:
    doc = json.loads(
        render_json_feed(spec("source", "x", **icons), [], source_names=NAMES, now=NOW)
    )
    assert {k: doc[k] for k in ("icon", "favicon") if k in doc} == expected


def test_missing_title_and_body_html_fall_back() -> None:
    a = article(11, title="", body_html="", body_text="First para.\n\nSecond <para>.")
    parsed = check_feed(render(spec(), [a]))
    e = parsed.entries[0]
    assert e.title == a.url
    assert e.content[0].value == "<p>First para.</p><p>Second &lt;para&gt;.</p>"
    assert e.summary.startswith("First para.")


def test_urls_with_spaces_and_non_ascii_become_valid_iris() -> None:
    a = replace(article(12), url="https://ipis.example/a b/<x>/تحلیل?q=1 2#f")
    parsed = check_feed(render(spec(), [a]))
    assert parsed.entries[0].link == (
        "https://ipis.example/a%20b/%3Cx%3E/%D8%AA%D8%AD%D9%84%DB%8C%D9%84?q=1%202#f"
    )
    assert parsed.entries[0].id == entry_id(a.canonical_url)


def test_json_feed_matches_the_atom_twin() -> None:
    arts = sample_articles()
    atom = check_feed(render(spec(), arts))
    doc = json.loads(
        render_json_feed(spec(), arts, source_names=NAMES, source_links=LINKS, now=NOW)
    )
    assert doc["version"] == JSON_FEED_VERSION
    assert doc["feed_url"] == f"{BASE}/feeds/all.json"
    assert [i["id"] for i in doc["items"]] == [e.id for e in atom.entries]
    first = doc["items"][0]
    assert set(first) >= {"id", "url", "title", "content_html", "date_modified", "authors"}
    by_id = {i["id"]: i for i in doc["items"]}
    ipis = by_id[entry_id(arts[1].canonical_url)]
    assert ipis["date_published"] == "2025-07-01T12:00:00+03:30"
    assert ipis["tags"] == ["iran", "security"]
    assert ipis["authors"] == [{"name": "IPIS"}]
    assert "<script" not in ipis["content_html"]


def _golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if not path.exists():
        pytest.fail(f"{path} missing: run with UPDATE_GOLDEN=1 once and review the file")
    assert data == path.read_bytes(), f"{name} differs from the golden file"


def test_golden_files() -> None:
    arts = sample_articles()
    all_feed = render(spec(title="Think tanks"), arts)
    csis = render(spec("source", "csis", title="CSIS"), [a for a in arts if a.source_id == "csis"])
    check_feed(all_feed)
    check_feed(csis)
    _golden("all.atom", all_feed)
    _golden("source-csis.atom", csis)
    _golden(
        "all.json",
        render_json_feed(
            spec(title="Think tanks"), arts, source_names=NAMES, source_links=LINKS, now=NOW
        ),
    )


_ANY_TEXT = st.text(
    alphabet=st.characters(codec=None, blacklist_categories=()), min_size=0, max_size=40
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=_ANY_TEXT,
    author=_ANY_TEXT,
    tag=_ANY_TEXT,
    body=st.text(max_size=200),
    summary=_ANY_TEXT,
)
def test_arbitrary_text_always_gives_a_valid_feed(
    title: str, author: str, tag: str, body: str, summary: str
) -> None:
    a = article(
        30,
        title=title,
        authors=(author,),
        tags=(tag,),
        body_html=body,
        body_text=body,
        summary=summary,
    )
    data = render(spec(), [a])
    parsed = check_feed(data)  # feedparser: no bozo; our validator: no problem
    assert len(parsed.entries) == 1
    # Exact text round trip through an XML parser (feedparser "repairs" some mojibake-looking
    # strings such as "Â¡", so exact comparison uses lxml).
    root = etree.fromstring(data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    expected_title = " ".join(clean_xml_text(title).split()) or a.url
    assert root.findtext("a:entry/a:title", namespaces=ns) == expected_title
    expected_author = " ".join(clean_xml_text(author).split()) or "IPIS"
    assert root.findtext("a:entry/a:author/a:name", namespaces=ns) == expected_author
    json.loads(render_json_feed(spec(), [a], source_names=NAMES, now=NOW))


@settings(max_examples=500)
@given(st.text())
def test_one_line_text_fast_path_equals_the_regex_path(text: str) -> None:
    from feeds.model import _WS, _line

    assert _line(text) == _WS.sub(" ", clean_xml_text(text)).strip()


_JSON_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)  # no lone surrogates
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _JSON_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_JSON_TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300)
@given(_JSON_VALUES)
def test_json_encoder_writes_what_the_json_module_writes(value: object) -> None:
    """The JSON Feed bytes are those of ``json.dumps`` (UTF-8, compact), only made faster."""
    from feeds.jsonfeed import _ENCODER

    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert _ENCODER.encode(value) == expected


def test_json_items_encoded_once_per_build_give_the_same_feeds() -> None:
    import msgspec

    from feeds.jsonfeed import render_json_entries
    from feeds.model import feed_entries

    arts = sample_articles()
    memo: dict[str, msgspec.Raw] = {}
    feeds = [spec(), spec("source", "csis", title="CSIS")]
    for s in feeds + feeds:  # the second round takes every item from the memo
        entries = feed_entries(s, arts, source_names=NAMES, source_links=LINKS)
        plain = render_json_entries(s, entries)
        assert render_json_entries(s, entries, memo=memo) == plain
        assert json.loads(plain)["items"][0]["id"] == entries[0].id
    assert set(memo) == {
        e.id for s in feeds for e in feed_entries(s, arts, source_names=NAMES)
    }  # one item per entry, shared by the feeds it is in


def test_atom_entries_filled_once_per_build_give_the_same_feeds() -> None:
    from feeds.atom import EntryMemo, render_entries
    from feeds.model import feed_entries

    arts = sample_articles()
    memo: EntryMemo = {}
    feeds = [spec(), spec("source", "csis", title="CSIS"), spec("tag", "iran", title="Iran")]
    for s in feeds + feeds:  # the second round takes every entry from the memo
        entries = feed_entries(s, arts, source_names=NAMES, source_links=LINKS)
        plain = render_entries(s, entries, generator_version="1")
        assert render_entries(s, entries, generator_version="1", memo=memo) == plain
        check_feed(plain)
    assert len(memo) == len(
        {e.id for s in feeds for e in feed_entries(s, arts, source_names=NAMES)}
    )


@settings(max_examples=300)
@given(st.text())
def test_entry_id_is_the_uuid5_of_the_canonical_url(url: str) -> None:
    import uuid

    try:
        expected = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, url))
    except UnicodeEncodeError:  # lone surrogates: both refuse them
        with pytest.raises(UnicodeEncodeError):
            entry_id(url)
        return
    assert entry_id(url) == expected


_URLISH = st.text(alphabet=st.sampled_from("aZ09 -._~!#$%&'()*+,/:;=?@[]<>\"{}|\\^`\x00\x7fé€\t"))


@settings(max_examples=500)
@given(st.one_of(st.text(), _URLISH))
def test_iri_fast_path_equals_the_quoting_path(url: str) -> None:
    from urllib.parse import quote

    from feeds.model import _IRI_SAFE, _iri

    expected = quote(clean_xml_text(url.strip()), safe=_IRI_SAFE) if url else url
    assert _iri(url) == expected


def _whole_tree(s: FeedSpec, entries: list[Any]) -> bytes:
    """The document as feedgen serialises it in one tree (how render_entries worked before it
    spliced entries serialised one by one)."""
    from feedgen.feed import FeedGenerator

    from feeds.atom import _dt, _entry, _fix_entry_links
    from feeds.model import feed_updated

    fg = FeedGenerator()
    fg.id(s.id)
    fg.title(clean_xml_text(s.title).strip() or s.key)
    if s.subtitle and clean_xml_text(s.subtitle).strip():
        fg.subtitle(clean_xml_text(s.subtitle).strip())
    fg.updated(_dt(feed_updated(entries)))
    fg.author({"name": clean_xml_text(s.author).strip() or "thinktank-digest"})
    fg.link(href=s.self_url, rel="self", type="application/atom+xml")
    fg.link(href=s.alternate_url, rel="alternate", type="text/html")
    if s.json_url:
        fg.link(href=s.json_url, rel="alternate", type="application/feed+json")
    fg.generator(
        "thinktank-digest",
        version="1",
        uri="https://github.com/thinktank-digest/thinktank-digest",
    )
    if s.icon:
        fg.icon(s.icon)
    if s.language:
        fg.language(s.language)
    for e in entries:
        fg.add_entry(_entry(e), order="append")
    root, doc = fg._create_atom()
    for element, e in zip(root.iterfind("entry"), entries, strict=True):
        _fix_entry_links(element, e)
    data: bytes = etree.tostring(doc, pretty_print=True, encoding="UTF-8", xml_declaration=True)
    return data


def test_spliced_entries_give_the_bytes_of_one_feedgen_tree() -> None:
    from feeds.atom import render_entries
    from feeds.model import feed_entries

    arts = sample_articles()
    originals = {a.id: a for a in arts}
    feeds = [
        spec(),
        spec("source", "csis", title="CSIS", icon="https://csis.example/i.png", language="en"),
        spec("tag", "iran", title="Iran", subtitle=""),
    ]
    for s in feeds:
        for chosen in (arts, arts[:1], []):
            entries = feed_entries(
                s, chosen, source_names=NAMES, source_links=LINKS, originals=originals
            )
            assert render_entries(s, entries, generator_version="1") == _whole_tree(s, entries)
    assert any(
        e.related_url
        for e in feed_entries(
            feeds[1], arts, source_names=NAMES, source_links=LINKS, originals=originals
        )
    )  # a near-duplicate's related link is among them


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(title=_ANY_TEXT, body=st.text(max_size=200), summary=_ANY_TEXT, lang=_ANY_TEXT)
def test_spliced_entries_equal_one_tree_for_any_text(
    title: str, body: str, summary: str, lang: str
) -> None:
    from feeds.atom import render_entries
    from feeds.model import feed_entries

    a = article(30, title=title, body_html=body, body_text=body, summary=summary, language=lang)
    entries = feed_entries(spec(), [a, article(31)], source_names=NAMES, source_links=LINKS)
    assert render_entries(spec(), entries, generator_version="1") == _whole_tree(spec(), entries)


def test_links_lose_tracking_and_tags_repeat_in_no_case() -> None:
    """Rows stored before ingest cleaned them: the entry link and the related link of a
    near-duplicate drop click tracking (the id stays that of the canonical URL), and a tag
    stored twice in two cases gives one category."""
    first, copy = sample_articles()[0], sample_articles()[3]
    tracked = replace(first, url=first.url + "?utm_source=newsletter&page=2&fbclid=Z")
    copy = replace(copy, url=copy.url + "?gclid=1", tags=("iran", "Iran", "IRAN", "energy"))
    originals = {first.id: tracked}
    for s, arts in ((spec(), [tracked]), (spec("source", "csis"), [copy])):
        data = render_feed(
            s, arts, source_names=NAMES, originals=originals, generator_version="1", now=NOW
        )
        (entry,) = check_feed(data).entries
        assert entry.id == entry_id(arts[0].canonical_url)
        hrefs = [x.href for x in entry.links]
        assert not [h for h in hrefs if "utm_" in h or "clid" in h], hrefs
    assert hrefs == [copy.url.split("?")[0], first.url + "?page=2"]
    terms = [c.term for c in check_feed(data).entries[0].tags]
    assert terms == ["iran", "energy", "csis"]
