"""Author names and bylines (scraper.extract.authors). Inputs are written here."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from scraper.extract.authors import (
    byline_authors,
    clean_authors,
    complete_names,
    explicit_byline,
    looks_like_name,
    split_names,
    uninvert,
)
from scraper.extract.blocks import Block


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("By Jane Doe and John Smith", ["Jane Doe", "John Smith"]),
        ("Commentary by Anna Newby", ["Anna Newby"]),
        ("VON MORITZ GATHMANN am 21. April 2020", ["MORITZ GATHMANN"]),
        ("Text von Christian Seiler", ["Christian Seiler"]),
        (
            "Martin Untersinger (avec Damien Leloup, Morgane Tual)",
            ["Martin Untersinger", "Damien Leloup", "Morgane Tual"],
        ),
        (
            "Daniel Kahn Gillmor, Senior Staff Technologist, ACLU Speech, Privacy, and Technology"
            " Project",
            ["Daniel Kahn Gillmor"],
        ),
        ("Fred Dews Multimedia Project Manager - Office of Communications", ["Fred Dews"]),
        ("Bradley M. Kuhn (http://ebb.org/bkuhn/)", ["Bradley M. Kuhn"]),
        ("ByAlex Bozarjian", ["Alex Bozarjian"]),
        ("Byron Smith", ["Byron Smith"]),
        ("Ursula von der Leyen", ["Ursula von der Leyen"]),
        ("https://www.facebook.com/someone", []),
        ("@handle", []),
        ("Share this article", []),
        ("Bekannt für Freundschaften zu Intellektuellen", []),
    ],
)
def test_clean_authors(raw: str, names: list[str]) -> None:
    assert clean_authors([raw]) == names


def test_clean_authors_dedups_in_order() -> None:
    assert clean_authors(["Ann Lee", "ann lee", "Bo Kim"]) == ["Ann Lee", "Bo Kim"]


def test_split_and_names() -> None:
    assert split_names("By A, B & C") == ["A", "B", "C"]
    assert looks_like_name("Ali Beman Eghbali Zarch")
    assert looks_like_name("علی بیمان")
    assert not looks_like_name("Key Takeaways")
    assert not looks_like_name("Posted 3 days ago")
    assert not looks_like_name("James Martin/CNET")


def _b(text: str, hints: str = "p div", node_id: int = 0) -> Block:
    return Block(kind="p", text=text, html=text, hints=hints, node_id=node_id)


def test_multi_line_byline_near_date() -> None:
    region = [
        _b("Jeffrey Feltman,", node_id=1),
        _b("John W. McArthur, and", node_id=2),
        _b("Fred Dews", node_id=3),
        _b("October 3, 2025", node_id=4),
    ]
    names, used = byline_authors(region, [], frozenset({4}))
    assert names == ["Jeffrey Feltman", "John W. McArthur", "Fred Dews"]
    assert {b.node_id for b in used} == {1, 2, 3}


def test_bare_name_needs_evidence() -> None:
    region = [_b("Apple Podcasts"), _b("Some Person")]
    assert byline_authors(region, [], frozenset()) == ([], [])
    # confirmed by a signature line at the end of the article
    tail = [_b("Some Person, Head of the Eurasia Studies Group")]
    names, _ = byline_authors(region, tail, frozenset())
    assert names == ["Some Person"]


def test_explicit_byline_elements() -> None:
    tree = LexborHTMLParser(
        """<div class="comments"><span class="author">Comment Writer</span></div>
        <div class="navbox authority-control">Largest city</div>
        <span class="author vcard"><a class="url fn n" href="/a">Chris Jung</a></span>"""
    )
    assert explicit_byline(tree) == ["Chris Jung"]
    tree = LexborHTMLParser(
        '<li itemprop="author"><span itemprop="name">Hazel Sheffield</span> Reporter</li>'
    )
    assert explicit_byline(tree) == ["Hazel Sheffield"]


def test_a_lone_first_name_is_completed_from_the_author_box() -> None:
    box = _b("Todd Bates", "p full-name div f--field")
    assert complete_names(["Todd"], [_b("Some text"), box]) == ["Todd Bates"]
    led = _b("Eine Kolumne von Nils Beispiel")  # no hint, but "von" right before the name
    assert complete_names(["Nils"], [led]) == ["Nils Beispiel"]
    bio = _b("Stefanus Beispiel - Maschinenbauer und Abenteurer", "div author_box_bio")
    assert complete_names(["Stefanus", "Jane Doe"], [bio]) == ["Stefanus Beispiel", "Jane Doe"]


def test_a_first_name_is_not_completed_from_the_wrong_lines() -> None:
    blocks = [
        _b("Todd said the plan was sound.", "p div entry-content"),  # prose, no hint
        _b("Todd Sagt:", "div comment-author vcard"),  # a comment's header
        _b("1. Februar 2022 Steffi Kaufratgeber, Katzen", "div entry-meta"),  # "meta" only
        _b("Todd senior fellow", "div author"),  # lower case: not a surname
    ]
    assert complete_names(["Todd", "Steffi"], blocks) == ["Todd", "Steffi"]


def test_a_date_label_in_the_author_box_is_no_name() -> None:
    assert clean_authors(["Last Updated: January 7, 2025"]) == []
    assert clean_authors(["Aktualisiert: 11.04.2020"]) == []
    assert clean_authors(["Veröffentlicht von Cem Beispiel"]) == ["Cem Beispiel"]


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("Doe, Jane", ["Jane Doe"]),  # citation_author in "surname, given names" form
        ("Smith, John A.", ["John A. Smith"]),
        ("Jong, Michiel de", ["Michiel de Jong"]),
        ("Kooman, F.", ["F. Kooman"]),
        ("Doe, Jane; Roe, Richard", ["Jane Doe", "Richard Roe"]),
        ("Jane Doe, John Smith", ["Jane Doe", "John Smith"]),  # two people stay two
        ("Reuters, AP", ["Reuters", "AP"]),  # an agency is no given name
        ("Brenda Goodman, MA", ["Brenda Goodman"]),  # degrees after a comma go
        ("Ann Roe, PhD; Carl Poe, M.D.", ["Ann Roe", "Carl Poe"]),
        ("Yo-Yo Ma", ["Yo-Yo Ma"]),  # ... and only there
        ("By JANE ROE March 11, 2015", ["JANE ROE"]),  # a date after the name goes
        ("By Theresa May", ["Theresa May"]),  # a month name without a day is a name
        ("Rechtsanwalt Sebastian Beispiel", ["Sebastian Beispiel"]),  # a job title before it
        ("FOCUS-Online-Experte Robin Beispiel", ["Robin Beispiel"]),
        ("Correspondent Jane Doe", ["Jane Doe"]),
    ],
)
def test_inverted_names_and_degrees(raw: str, names: list[str]) -> None:
    assert clean_authors([raw]) == names


def test_a_place_with_initials_is_not_turned_round() -> None:
    assert uninvert("Washington, D.C.") == "Washington, D.C."
    assert uninvert("Doe, Senior Fellow") == "Doe, Senior Fellow"


def test_microdata_author_in_the_posts_aside_counts_but_not_a_teasers() -> None:
    meta_column = (
        "<html><body><article><h1>Post</h1><p>Text.</p></article><aside><p>"
        '<span itemprop="author" itemscope itemtype="http://schema.org/Person">'
        '<span itemprop="name">Nicolas Example</span></span></p></aside></body></html>'
    )
    assert explicit_byline(LexborHTMLParser(meta_column)) == ["Nicolas Example"]
    teasers = (
        "<html><body><article><h1>Post</h1><p>Text.</p></article><aside><ul><li><article>"
        '<a href="/other">Another story</a><span itemprop="author">'
        '<span itemprop="name">Simon Example</span></span></article></li></ul></aside>'
        "</body></html>"
    )
    assert explicit_byline(LexborHTMLParser(teasers)) == []
    classed = (
        "<html><body><article><h1>Post</h1></article><aside>"
        '<span class="author">Simon Example</span></aside></body></html>'
    )
    assert explicit_byline(LexborHTMLParser(classed)) == []


@given(st.text(alphabet=st.sampled_from(list("Jane DoeSmith,.A F;&-")), max_size=40))
def test_uninvert_only_turns_the_two_sides_round(text: str) -> None:
    out = uninvert(text)
    if out != text:
        left, right = (p.strip() for p in text.split(","))
        assert out == f"{right} {left}"


@given(
    st.lists(st.sampled_from(["Todd", "Jane Doe", "Nils", "x"]), max_size=3),
    st.lists(st.text(alphabet=st.sampled_from(list("Todd Bates Nils von by:")), max_size=40)),
)
def test_complete_names_keeps_each_name_or_extends_it(names: list[str], texts: list[str]) -> None:
    blocks = [_b(t, "div author") for t in texts]
    out = complete_names(names, blocks)
    assert len(out) == len(names)
    assert all(o == n or o.startswith(n + " ") for o, n in zip(out, names, strict=True))
