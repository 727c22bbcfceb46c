"""The extraction cascade end to end (scraper.extract.extract / cascade).

Pages here are hand-written HTML for unit cases (none is presented as a real site's markup);
``tests/pages/ipis_article.html`` says so in its first lines. Real pages are scored in
``tests/test_corpus_quality.py``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper.config import RulesConfig
from scraper.extract import extract
from scraper.models import Article, FieldOrigin

PAGES = Path(__file__).parent / "pages"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
IPIS_URL = "https://www.ipis.ir/en/subjectview/780001"
AUTHOR = "Ali Beman Eghbali Zarch"
LEAD_START = "With Donald Trumps presence in the White House many had hoped"
PARA = "<p>" + "The long paragraph of the article says many things, in detail, at length. " * 4
PARA += "</p>"


def _ipis() -> str:
    return (PAGES / "ipis_article.html").read_text(encoding="utf-8")


def test_ipis_page_says_its_markup_is_ours() -> None:
    head = _ipis()[:400]
    assert "written here" in head and "NOT" in head


def test_ipis_article_fields() -> None:
    a = extract(_ipis(), IPIS_URL, timezone="Asia/Tehran", now=NOW)
    assert a.title == (
        "The Trump-Putin Honeymoon Nears Its End: Russia and the Difficult Conditions for Peace"
    )
    assert a.authors == (AUTHOR,)
    assert a.published is not None
    assert a.published.date().isoformat() == "2025-07-09"
    assert (
        a.published.utcoffset() == datetime(2025, 7, 9, tzinfo=ZoneInfo("Asia/Tehran")).utcoffset()
    )
    assert a.summary is not None and a.summary.startswith(LEAD_START)
    assert a.field_sources["published"] == FieldOrigin.HEURISTIC.value
    assert not a.blocked


def test_ipis_body_is_only_the_article() -> None:
    a = extract(_ipis(), IPIS_URL, timezone="Asia/Tehran", now=NOW)
    body = a.body_text
    assert body.startswith("With Donald Trump's presence in the White House, many had hoped")
    assert body.rstrip().endswith("may, in the future, incur a cost.")
    for junk in (
        "view 54",
        "Head of the Eurasia Studies Group",
        "opinions expressed are those of the authors",
        "متن دیدگاه",
        "نظرات کاربران",
        "تاکنون نظری ثبت نشده است",
        LEAD_START,
        "9 July 2025",
    ):
        assert junk not in body, junk
    assert body.count("many had hoped") == 1
    assert "\n\n" in body and "<p>" in a.body_html and "view 54" not in a.body_html


# The same article shape with different, flatter markup: lead repeated inside the text column,
# the counter and the author as bare lines, signature + disclaimer + comment form in one div.
_FLAT = """<html><head><title>Some Headline Here</title></head><body>
<div id="page"><div class="col">
<h2 class="headline"><span>Some Headline Here</span></h2>
<div class="row">
<p>A lead sentence that sums it up, so that readers know what comes next in this piece.</p>
<div>3 March 2024</div><div>views: 1,204</div><div>Jane Q. Public</div>
<p>A lead sentence that sums it up, so that readers know what comes next in this piece,
 and then the first paragraph carries on with more detail, facts and figures.</p>
{para}{para}{para}
<p>Jane Q. Public, Senior Researcher at the Institute</p>
<p>The views expressed in this article are solely those of the author.</p>
<div dir="rtl"><span>ارسال نظر</span><p>نام شما را وارد کنید و دیدگاه خود را بنویسید</p></div>
</div></div></div></body></html>""".replace("{para}", PARA)


def test_general_rules_on_other_markup() -> None:
    a = extract(_FLAT, "https://example.org/a/1", timezone="Europe/Berlin", now=NOW)
    assert a.title == "Some Headline Here"
    assert a.authors == ("Jane Q. Public",)
    assert a.published is not None and a.published.date().isoformat() == "2024-03-03"
    assert a.summary is not None and a.summary.startswith("A lead sentence")
    body = a.body_text
    assert body.startswith("A lead sentence that sums it up")
    assert body.count("A lead sentence") == 1
    for junk in ("1,204", "Senior Researcher", "views expressed", "ارسال نظر", "دیدگاه"):
        assert junk not in body, junk


def _ipis_parts() -> tuple[str, str, list[str], str, str]:
    """Title, lead, body paragraphs, signature and disclaimer of the IPIS test page."""
    src = _ipis()
    soup = LexborHTMLParser(src)
    title = soup.css_first("h1")
    lead = soup.css_first(".news-lead")
    assert title is not None and lead is not None
    paras = [p.text() for p in soup.css(".news-text p")]
    return title.text(), lead.text(), paras[:-2], paras[-2], paras[-1]


def _flat_variant() -> str:
    """Same text, no semantic markup: spans and <br> in one div, a form for comments."""
    title, lead, paras, sig, disc = _ipis_parts()
    body = "<br><br>".join(html.escape(p) for p in paras)
    return f"""<html><head><title>{title}</title></head><body><div id="main">
    <h2>{title}</h2><span>{lead}</span><br><span>9 July 2025</span> | <span>view 54</span><br>
    <b>{AUTHOR}</b><br><br>{body}<br><br>{sig}<br><br>{disc}
    <form dir="rtl"><label>متن دیدگاه</label><textarea></textarea></form>
    <div dir="rtl"><h4>نظرات کاربران</h4><p>تاکنون نظری ثبت نشده است</p></div>
    </div></body></html>"""


def _semantic_variant() -> str:
    """Same text in article/header/time markup, an icon view counter, a comments section."""
    title, lead, paras, sig, disc = _ipis_parts()
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
    return f"""<html><head><meta property="og:title" content="{title} | IPIS"></head><body>
    <article><header><h1>{title}</h1><div class="summary">{lead}</div>
    <ul class="meta"><li><time>9 July 2025</time></li><li><i class="fa-eye"></i> 54</li></ul>
    <a href="/en/author/12">{AUTHOR}</a></header><section class="body">{body}
    <p><strong>{sig}</strong></p><p><em>{disc}</em></p></section>
    <section id="comments" dir="rtl"><h3>نظرات کاربران</h3><p>تاکنون نظری ثبت نشده است</p>
    <form><label>متن دیدگاه</label></form></section></article></body></html>"""


@pytest.mark.parametrize("variant", [_flat_variant, _semantic_variant])
def test_ipis_shape_in_other_markup(variant: Callable[[], str]) -> None:
    a = extract(variant(), IPIS_URL, timezone="Asia/Tehran", now=NOW)
    assert a.title is not None and a.title.startswith("The Trump-Putin Honeymoon")
    assert a.authors == (AUTHOR,)
    assert a.published is not None and a.published.date().isoformat() == "2025-07-09"
    assert a.summary is not None and a.summary.startswith(LEAD_START)
    body = a.body_text
    assert body.startswith("With Donald Trump's presence")
    assert body.count("many had hoped") == 1
    for junk in ("view 54", "Eurasia Studies Group", "opinions expressed", "نظرات", "دیدگاه"):
        assert junk not in body, junk


def _jsonld(obj: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


def test_jsonld_beats_meta_and_records_origins() -> None:
    ld = _jsonld(
        {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebPage", "@id": "#wp", "datePublished": "-0001-11-30T00:00:00+00:00"},
                {
                    "@type": "NewsArticle",
                    "headline": "The JSON-LD Headline",
                    "datePublished": "2014-08-12T12:24:00Z",
                    "author": [{"@id": "#p1"}, {"@type": "Person", "name": "Bo Two"}],
                },
                {"@type": "Person", "@id": "#p1", "name": "Al One"},
            ],
        }
    )
    page = f"""<html><head>{ld}
    <meta property="og:title" content="The OG title | Site">
    <meta name="author" content="Meta Person">
    <meta property="article:published_time" content="2013-01-01T00:00:00Z">
    </head><body><article><h1>The JSON-LD Headline</h1>{PARA}{PARA}</article></body></html>"""
    a = extract(page, "https://example.org/x", now=NOW)
    assert a.title == "The JSON-LD Headline"
    assert a.authors == ("Al One", "Bo Two")
    assert a.published == datetime(2014, 8, 12, 12, 24, tzinfo=UTC)
    assert a.field_sources["title"] == "json-ld"
    assert a.field_sources["authors"] == "json-ld"
    assert a.field_sources["published"] == "json-ld"
    assert a.field_sources["body"] == "heuristic"


def test_zero_date_loses_to_visible_and_meta() -> None:
    page = f"""<html><head>{_jsonld({"@type": "Article", "datePublished": "0000-00-00"})}
    <meta property="article:published_time" content="2019-08-06T10:00:00+00:00"></head>
    <body><h1>T</h1><p class="date">August 6, 2019</p>{PARA}{PARA}</body></html>"""
    a = extract(page, now=NOW)
    assert a.published is not None and a.published.date().isoformat() == "2019-08-06"
    assert a.field_sources["published"] == "meta"


def test_two_offsets_resolve_to_the_visible_day() -> None:
    page = f"""<html><head>
    {_jsonld({"@type": "NewsArticle", "datePublished": "2015-09-15T23:30:00-05:00"})}
    {_jsonld({"@type": "WebPage", "datePublished": "2015-09-16T04:30:00+00:00"})}
    </head><body><h1>Headline</h1><div class="date">September 16, 2015</div>{PARA}{PARA}
    </body></html>"""
    a = extract(page, now=NOW)
    assert a.published is not None
    assert a.published.date().isoformat() == "2015-09-16"
    assert a.published == datetime(2015, 9, 16, 4, 30, tzinfo=UTC)


def test_jalali_string_in_published_time() -> None:
    page = f"""<html><head>
    <meta property="article:published_time" content="۱۳۹۹/۰۲/۲۱ - ۱۸:۵۹"></head>
    <body><h1>خبر</h1>{PARA}{PARA}</body></html>"""
    a = extract(page, timezone="Asia/Tehran", now=NOW)
    assert a.published is not None
    assert a.published.date().isoformat() == "2020-05-10"


def test_future_date_is_rejected() -> None:
    page = f"""<html><head><meta property="article:published_time"
    content="2031-01-01T00:00:00Z"></head><body><h1>T</h1>{PARA}{PARA}</body></html>"""
    a = extract(page, now=NOW)
    assert a.published is None
    assert "published" not in a.field_sources


def test_rules_win() -> None:
    page = f"""<html><head><meta property="og:title" content="Meta title"></head><body>
    <div class="hd"><span class="t">Rule title</span><span class="who">Ann Rule</span>
    <span class="when">2020-02-02</span></div>
    <div class="junk">Subscribe now to our great newsletter for more</div>
    <div class="txt">{PARA}<p class="ad">Buy now</p></div>{PARA}</body></html>"""
    rules = RulesConfig(
        title=".t", authors=".who", date=".when", body=".txt", remove=[".ad"], summary=".t"
    )
    a = extract(page, "https://e.org/a", rules, now=NOW)
    assert a.title == "Rule title"
    assert a.authors == ("Ann Rule",)
    assert a.published is not None and a.published.date().isoformat() == "2020-02-02"
    assert "Buy now" not in a.body_text and a.body_text.count("long paragraph") == 4
    assert {a.field_sources[k] for k in ("title", "authors", "published", "body")} == {"rules"}


def test_body_html_is_clean_and_links_absolute() -> None:
    page = f"""<html><body><article><h1>T</h1>{PARA}
    <h2 style="color:red" onclick="x()">Section</h2>
    <p>See <a href="/other" class="x">this <em>page</em></a> and <strong>more</strong>, ok.
    It is a sentence long enough to count as text.</p>
    <ul><li>first point of the list, with text</li><li>second point</li></ul>
    <blockquote><p>A quoted passage that matters.</p></blockquote>
    <figure><img src="/img/a.png" alt="A"><figcaption>Caption text</figcaption></figure>
    {PARA}</article></body></html>"""
    a = extract(page, "https://example.org/dir/page", now=NOW)
    h = a.body_html
    assert '<a href="https://example.org/other">this <em>page</em></a>' in h
    assert "<h2>Section</h2>" in h and "<strong>more</strong>" in h
    assert "<ul>\n<li>first point" in h and "</li>\n</ul>" in h
    assert "<blockquote>\n<p>A quoted passage that matters.</p>\n</blockquote>" in h
    assert '<img src="https://example.org/img/a.png" alt="A">' in h
    assert "onclick" not in h and "style" not in h and "class" not in h
    assert "\n\nSection\n\n" in a.body_text


def test_summary_falls_back_to_first_sentences() -> None:
    page = """<html><body><article><h1>T</h1><p>First sentence is here and long enough.
    Second sentence follows it closely. Third one ends the lead. Fourth is not wanted.</p>
    <p>Another paragraph with more text, so that the body is found as the article body.</p>
    </article></body></html>"""
    a = extract(page, now=NOW)
    assert a.summary is not None
    assert a.summary.startswith("First sentence") and "Third one ends the lead." in a.summary
    assert "Fourth" not in a.summary
    assert a.field_sources["summary"] == "heuristic"


def test_canonical_language_image_tags() -> None:
    page = f"""<html lang="de"><head><link rel="canonical" href="/kanon">
    <meta property="og:image" content="/i.jpg"><meta property="article:tag" content="EU">
    <meta property="article:tag" content="Wahlen"></head>
    <body><h1>T</h1>{PARA}{PARA}</body></html>"""
    a = extract(page, "https://kas.example/a?x=1", now=NOW)
    assert a.canonical_url == "https://kas.example/kanon"
    assert a.language == "de"
    assert a.image == "https://kas.example/i.jpg"
    assert a.tags == ("EU", "Wahlen")


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("By Jane Doe and John Smith", ("Jane Doe", "John Smith")),
        ("Commentary by Anna Newby", ("Anna Newby",)),
        ("Newsletter by Bailey Crane", ("Bailey Crane",)),
        ("von Max Mustermann", ("Max Mustermann",)),
        ("By A. Person, B. Person & C. Person", ("A. Person", "B. Person", "C. Person")),
    ],
)
def test_byline_patterns(byline: str, expected: tuple[str, ...]) -> None:
    page = f"<html><body><h1>Headline</h1><p>{byline}</p>{PARA}{PARA}</body></html>"
    a = extract(page, now=NOW)
    assert a.authors == expected
    assert byline not in a.body_text


def test_bytes_input_is_decoded() -> None:
    page = f"<html><head><meta charset='windows-1252'></head><body><h1>Caf\xe9</h1>{PARA}"
    a = extract(page.encode("cp1252"), now=NOW)
    assert a.title == "Café"


def test_an_article_given_only_in_noscript_is_read() -> None:
    # hand-written: a script-rendered post whose text the page also gives in a <noscript>
    para = "<p>" + "The post itself, with commas, and with enough words to be a paragraph. " * 4
    page = (
        "<html><head><title>Post</title></head><body><h1>Post</h1>"
        '<div class="post-body"><script type="text/template">&lt;p&gt;tpl</script>'
        f"<noscript>{(para + '</p>') * 8}</noscript></div>"
        '<noscript><img src="/pixel.gif"> Please enable JavaScript.</noscript></body></html>'
    )
    a = extract(page, "https://blog.example/post")
    assert a.body_text.startswith("The post itself") and "enable JavaScript" not in a.body_text


def test_ruby_annotations_are_not_body_text() -> None:
    # hand-written: furigana (<rt>) over the kanji of a Japanese paragraph
    sentence = (
        "<ruby>子<rt>こ</rt></ruby>どもの"
        "<ruby>法律<rp>(</rp><rt>ほうりつ</rt><rp>)</rp></ruby>ができました。"
    )
    page = f"<html><body><h1>見出し</h1><article><p>{sentence * 12}</p></article></body></html>"
    a = extract(page, None)
    assert a.body_text.startswith("子どもの法律ができました。")


def test_a_publication_sentence_in_the_post_footer_dates_the_page() -> None:
    # hand-written: no metadata, no date under the headline, the date in a footer sentence
    para = "<p>" + "A post about a small electronics project, with commas, and details. " * 4
    page = (
        "<html><body><h1>A virtual wall</h1>"
        f"<div class='post'>{(para + '</p>') * 4}"
        "<div class='post-footer'>Dieser Artikel wurde am 14. Dezember 2015 um 14:48 von "
        "<a href='/au'>Heiner</a> geschrieben.</div></div></body></html>"
    )
    a = extract(page, None, language="de")
    assert a.published is not None and a.published.date().isoformat() == "2015-12-14"


def test_a_press_release_opening_above_the_container_dates_the_page() -> None:
    # hand-written: no metadata; the release's first paragraph, above the text box, opens
    # with its date ("Pressemitteilung vom ... | Berlin – ...")
    opening = (
        "Pressemitteilung vom 25. Januar 2022 | Berlin – Die künftige Zusammenarbeit mit dem "
        "Programm stand im Mittelpunkt eines Treffens der Ministerin mit dessen Leiter heute."
    )
    para = "<p>" + "Im Besonderen ging es um die Arbeit in den Krisenregionen, mit Kommas. " * 4
    page = (
        f"<html><body><h1>Ministerin trifft Programmchef</h1><div class='intro'><p>{opening}</p>"
        f"</div><div class='text'>{(para + '</p>') * 5}</div></body></html>"
    )
    a = extract(page, None, language="de")
    assert a.published is not None and a.published.date().isoformat() == "2022-01-25"


def test_an_uploaded_meta_key_dates_the_page() -> None:
    # hand-written: a photo site's own OpenGraph-style key
    page = (
        "<html><head><meta property='photosite:uploaded' content='2013-02-16T04:36:36-05:00'>"
        "</head><body><h1>Spring</h1><p>A photo.</p></body></html>"
    )
    a = extract(page, None)
    assert a.published is not None and a.published.date().isoformat() == "2013-02-16"


def test_an_updated_stamp_dates_a_page_that_gives_nothing_else() -> None:
    # hand-written: a licence page whose only date is its "Updated:" stamp at the bottom
    para = "<p>" + "The terms of the licence, with commas, and with conditions to follow. " * 4
    page = (
        f"<html><body><h1>The licence</h1><div>{(para + '</p>') * 4}</div>"
        "<p class='unprintable'>Updated: $Date: 2016/11/18 06:31:41 $</p></body></html>"
    )
    a = extract(page, None)
    assert a.published is not None and a.published.date().isoformat() == "2016-11-18"


def test_the_page_picture_filed_by_day_dates_a_page_that_gives_nothing_else() -> None:
    # hand-written: an annual report page whose only date is in its og:image path
    page = (
        "<html><head><meta property='og:image' "
        "content='https://www.example.org/files/2016/05/04/report-og.png'></head>"
        "<body><h1>Annual report</h1><p>Our year.</p></body></html>"
    )
    a = extract(page, "https://www.example.org/report/index.html")
    assert a.published is not None and a.published.date().isoformat() == "2016-05-04"


def test_a_long_post_footer_sentence_is_read_from_its_start() -> None:
    # hand-written: a WordPress "postmetadata" paragraph longer than a date line
    para = "<p>" + "A post about industrial control systems, with commas, and details. " * 4
    footer = (
        "Dieser Beitrag wurde am Samstag, 3. Dezember 2011 um 12:00 Uhr veröffentlicht und "
        "unter Allgemein, Sicherheit, Netzpolitik abgelegt. " + "Sie können die Kommentare "
        "zu diesem Eintrag durch den RSS-Feed verfolgen und einen Kommentar schreiben. " * 3
    )
    page = (
        f"<html><body><h1>Kein Cyberterrorismus</h1><div>{(para + '</p>') * 4}"
        f"<p class='postmetadata'>{footer}</p></div></body></html>"
    )
    a = extract(page, None, language="de")
    assert a.published is not None and a.published.date().isoformat() == "2011-12-03"


def test_a_last_change_label_and_its_value_in_the_next_element_date_the_page() -> None:
    # hand-written: a news box whose only date is "Letzte Änderung:" with the value beside it
    para = "<p>" + "A report on snow depth measured by satellite, with commas, and detail. " * 4
    page = (
        f"<html><body><h1>Schneehöhen</h1><div>{(para + '</p>') * 4}</div>"
        "<div class='label_container'><label>Letzte Änderung:</label>"
        "<div class='label_content'>14.01.2022 um 09:25</div></div></body></html>"
    )
    a = extract(page, None, language="de")
    assert a.published is not None and a.published.date().isoformat() == "2022-01-14"


def test_a_paragraph_long_standfirst_above_the_container_opens_the_body() -> None:
    # hand-written: a news page whose lead sits in the header, above the article's text box
    lead = (
        "Schwere Schlappe für den Premierminister: Er muss eine Verlängerung beantragen, weil "
        "das Parlament seinem Zeitplan nicht folgt und die Opposition geschlossen dagegen stimmt."
    )
    para = "<p>" + "Der Text des Artikels geht weiter, mit Kommas, und mit genug Wörtern. " * 4
    page = (
        f"<html><body><article><header><h1>Schlappe</h1><div class='article-intro'><p>{lead}</p>"
        "</div><p class='byline'>Von Anna Beispiel</p><time datetime='2019-10-19'>19.10.2019</time>"
        f"</header><div class='text'>{(para + '</p>') * 5}</div></article></body></html>"
    )
    a = extract(page, None, language="de")
    assert a.body_text.startswith("Schwere Schlappe") and a.body_text.count("Schwere Schlappe") == 1
    assert a.summary == lead


def test_the_standfirst_opens_a_body_taken_from_json_ld_article_body() -> None:
    # hand-written: the visible text is a teaser behind a paywall box, the full text is in the
    # page's JSON-LD articleBody; the standfirst under the headline is in neither
    lead = (
        "Eine dicke Schneedecke auf dem Dach bringt nicht nur weniger Ertrag, ihr Gewicht "
        "belastet auch die Module und ihre Halterungen, und Fachleute raten vom Räumen ab."
    )
    words = " ".join(f"Wort{i} steht im Text des Artikels." for i in range(120))
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Schnee",
        "articleBody": f"{words}\n\nDer zweite Absatz folgt hier.",
    }
    page = (
        f"<html><head><script type='application/ld+json'>{json.dumps(ld)}</script></head>"
        f"<body><main><header><h1>Schnee</h1><p class='intro'>{lead}</p></header>"
        "<div class='paywall'><p>Nur für Abonnenten: die ersten Zeilen des Artikels, mit "
        "genug Wörtern, damit der Kasten als Text gilt, und mit Kommas.</p></div>"
        "</main></body></html>"
    )
    a = extract(page, None, language="de")
    assert a.field_sources["body"] == "json-ld"
    assert a.body_text.startswith("Eine dicke Schneedecke") and "Wort119" in a.body_text
    assert a.body_text.count("Eine dicke Schneedecke") == 1


def test_prose_paragraphs_between_the_headline_and_the_container_open_the_body() -> None:
    # hand-written: a podcast page whose introduction sits in its own box above the text box
    intro = (
        "Thema dieser Folge ist die neue Serie, die wir nach der fünften Episode besprechen, "
        "mit allem, was uns gefallen hat, und mit allem, was uns weniger gefallen hat, wie immer."
    )
    para = "<p>" + "Die Besprechung geht weiter, mit Kommas, und mit genug Wörtern. " * 4
    page = (
        "<html><body><h1>Folge 42</h1><div class='box'><div class='episode-info'>"
        f"<p>{intro}</p></div></div>"
        f"<div class='entry-content'>{(para + '</p>') * 6}</div></body></html>"
    )
    a = extract(page, None, language="de")
    assert a.body_text.startswith("Thema dieser Folge") and a.body_text.count("Thema dieser") == 1


def test_garbage_collector_paused_during_extraction_and_restored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    import scraper.extract as package

    seen: list[bool] = []
    real = package.run

    def running(*args: object, **kwargs: object) -> Article:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(package, "run", running)
    assert extract("<html><body><h1>T</h1><p>Some text.</p></body></html>").title == "T"
    assert seen == [False] and gc.isenabled()

    def failing(*args: object, **kwargs: object) -> Article:
        raise RuntimeError("boom")

    monkeypatch.setattr(package, "run", failing)
    assert extract("<p>x</p>", "https://x.org/a") == Article(url="https://x.org/a")
    assert gc.isenabled()
