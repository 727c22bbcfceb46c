"""Furniture pruning and standing lines (scraper.extract.boilerplate); hand-written inputs."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper.extract import boilerplate
from scraper.extract.blocks import Block
from scraper.extract.boilerplate import (
    in_widget,
    is_boilerplate_text,
    prune,
    remove_all,
    script_of,
    trim_blocks,
)


@pytest.mark.parametrize(
    "line",
    [
        "view 54",
        "Views: 1,204",
        "۵۴ بازدید",
        "(The opinions expressed are those of the authors and do not purport to reflect the"
        " opinions or views of the IPIS)",
        "The views expressed in this article are solely those of the author.",
        "CSIS does not take specific policy positions.",
        "Мнение автора может не совпадать с позицией клуба.",
        "مطالب منتشر شده لزوما بیانگر دیدگاه این موسسه نیست",
        "نظرات کاربران",
        "Leave a comment",
        "Share this article",
        "Sign up for the podcasts newsletter for occasional updates",
        "More about Markus Jachtenfuchs",
        # paywalls, memberships, follow-us and "you may like" labels in several languages
        "Pour lire la suite de cet article",
        "HAZTE MIEMBRO Y APOYA NUESTRO PERIODISMO",
        "Síguenos en Instagram y Facebook",
        "Never miss a story: sign up for our newsletter",
        "Werden Sie Mitglied und lesen Sie weiter!",
        "Schon gelesen?",
        "Empfohlene Beiträge",
        "Related TopicsPoliticsEurope",
        "TE PUEDE INTERESAR: Otra noticia del día",
        "Permalink https://example.org/p/123",
        "Suggested citation: Doe, Jane: A Title, Example Blog, 2024",
        # post footers, login prompts, consent boxes, credits on their own line
        "Dieser Beitrag wurde am Montag, den 4. März 2024 veröffentlicht.",
        "This entry was posted in Politics and tagged elections.",
        "Sie sind derzeit nicht angemeldet.",
        "Du musst angemeldet sein, um Kommentare zu schreiben.",
        "Informujemy, że korzystamy z cookies.",
        "This site uses cookies to improve your experience.",
        "Wir laden ohne Ihre Zustimmung keine Inhalte von YouTube.",
        "Unterstützen Sie uns ab 5 Euro im Monat, jederzeit kündbar.",
        "Es werden die Einträge 1 bis 20 von insgesamt 45 angezeigt",
        "Jahresbericht 2023 PDF | 1,2 MB | barrierefrei",
        "May 2, 2024 | categories: Python, Packaging | View Comments",
        "© Jane Doe/Example Agency",
        "(Foto: Example Press)",
        "Copyright: Jane Doe",
        "Newsletter abonnieren",
        "Last Updated: January 7, 2025",
        "Updated: Nov 8, 2023 / 02:40 PM CST",
        "Aktualisiert: 11.04.2020, 10:27",
    ],
)
def test_boilerplate_lines(line: str) -> None:
    assert is_boilerplate_text(line)


@pytest.mark.parametrize(
    "line",
    [
        "The view from Moscow is that the war will last 54 more weeks, officials said.",
        "Opinions differ on whether the treaty will hold.",
        "Comments by the minister were widely reported in the press on Monday.",
        "Copyright law in the EU changed in 2019, the court said.",
        "Cookies were served at the reception after the vote.",
        "Sie sind nicht allein, sagte die Ministerin am Montag.",
        "Customers could cancel their contracts at the end of the year.",
        "The survey counted 1 to 10 of 19 districts as contested, the report said.",
        "Photo opportunities were rare during the summit.",
    ],
)
def test_article_lines_kept(line: str) -> None:
    assert not is_boilerplate_text(line)


def test_prune_keeps_big_wrappers_and_drops_furniture() -> None:
    body = "<p>" + "Real article text, with commas, and more. " * 40 + "</p>"
    tree = LexborHTMLParser(
        f"""<body><form id="aspnetForm"><div class="post-meta-wrapper">{body}</div>
        <div class="share-bar">Share on Facebook</div><nav>Home</nav>
        <div class="related-posts">Other story</div></form></body>"""
    )
    prune(tree)
    text = tree.body.text() if tree.body else ""
    assert "Real article text" in text
    for gone in ("Share on Facebook", "Home", "Other story"):
        assert gone not in text


def test_in_widget() -> None:
    tree = LexborHTMLParser('<div class="comments"><a id="x">A</a></div><p><a id="y">B</a></p>')
    x, y = tree.css_first("#x"), tree.css_first("#y")
    assert x is not None and y is not None
    assert in_widget(x) and not in_widget(y)


def _b(text: str, rtl: bool = False) -> Block:
    return Block(kind="p", text=text, html=text, rtl=rtl)


def test_trim_blocks_signature_comments_and_foreign_script() -> None:
    para = "A long English paragraph of the article body that goes on and on. " * 3
    blocks = [
        _b(para),
        _b(para),
        _b("Ann Lee, Senior Fellow at the Institute"),
        _b("متن دیدگاه"),
        _b("نام شما را وارد کنید"),
    ]
    kept = trim_blocks(blocks, ["Ann Lee"])
    assert [b.text for b in kept] == [para, para]


def test_script_of() -> None:
    assert script_of("Hello world") == "latin"
    assert script_of("سلام دنیا") == "arabic"
    assert script_of("Привет") == "cyrillic"
    assert script_of("12 34") == "other"


def test_remove_all_skips_nodes_inside_removed_ones() -> None:
    html = '<div class="a">' * 500 + "<p>inner</p>" + "</div>" * 500 + "<p>kept</p>"
    tree = LexborHTMLParser(html)
    remove_all(tree.css("div.a"))  # every nested div matched; only the outermost is freed
    assert tree.body is not None
    assert tree.body.text(strip=True) == "kept"


def test_remove_all_decomposes_an_element_matched_twice_once() -> None:
    tree = LexborHTMLParser('<div class="share" id="x"><p>gone</p></div><p>kept</p>')
    matches = tree.css("[class], [id]")
    assert len(matches) == 2  # lexbor lists the div once per selector it matches
    remove_all(matches)
    assert tree.body is not None
    assert tree.body.text(strip=True) == "kept"


def test_prune_judges_furniture_with_class_and_id() -> None:
    tree = LexborHTMLParser(
        '<div id="comments" class="comments-area"><div class="share-bar"><p>x</p></div></div>'
        "<article><p>" + "Text of the article. " * 40 + "</p></article>"
    )
    prune(tree)
    assert tree.body is not None
    assert tree.body.text(strip=True).startswith("Text of the article.")


def test_drop_query_finds_what_the_drop_selectors_find() -> None:
    body = (
        "<div class='SR-ONLY'>a</div><p class='x sr-only'>b</p><p class='sr-onlyx'>c</p>"
        "<p role=Navigation>d</p><p role=navigation>e</p><p aria-hidden=TRUE>f</p>"
        "<p aria-hidden=true>g</p><p hidden>h</p><nav role=banner>i</nav><header>j</header>"
    )
    for page in (body, "<!DOCTYPE html>" + body):  # quirks mode, then standards mode
        tree = LexborHTMLParser(page)
        want = {n.mem_id for n in tree.css(boilerplate._DROP_TAGS)}
        got = {
            n.mem_id for n in tree.css(boilerplate._DROP_QUERY) if boilerplate._dropped(n, n.tag)
        }
        assert got == want and len(want) == (7 if page == body else 6)
