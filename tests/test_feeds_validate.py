"""feeds.validate: each RFC 4287 rule we check catches its violation; parsing is safe."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.validate import check_dir, validate_atom

NS = 'xmlns="http://www.w3.org/2005/Atom"'
FEED_HEAD = (
    "<id>urn:uuid:00000000-0000-0000-0000-000000000001</id><title>T</title>"
    "<updated>2025-07-14T09:00:00Z</updated><author><name>A</name></author>"
)
ENTRY_OK = (
    "<entry><id>urn:uuid:00000000-0000-0000-0000-000000000002</id><title>E</title>"
    '<updated>2025-07-14T09:00:00+03:30</updated><link href="https://x.example/1"/></entry>'
)


def feed(body: str, head: str = FEED_HEAD) -> bytes:
    return f"<?xml version='1.0' encoding='UTF-8'?><feed {NS}>{head}{body}</feed>".encode()


def test_minimal_valid_feed() -> None:
    assert validate_atom(feed(ENTRY_OK)) == []


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (feed("", head="<title>T</title><updated>2025-07-14T09:00:00Z</updated>"),
         "feed: must contain exactly one id (found 0)"),
        (feed("<title>again</title>"), "feed: must not contain more than one title"),
        (feed("<subtitle>a</subtitle><subtitle>b</subtitle>"),
         "feed: must not contain more than one subtitle"),
        (feed(ENTRY_OK.replace("<title>E</title>", "")),
         "must contain exactly one title (found 0)"),
        (feed(ENTRY_OK.replace("<updated>2025-07-14T09:00:00+03:30</updated>", "")),
         "must contain exactly one updated (found 0)"),
        (feed(ENTRY_OK.replace("+03:30", "")), "is not an RFC 3339 date-time"),
        (feed(ENTRY_OK.replace("T09", "t09")), "is not an RFC 3339 date-time"),
        (feed(ENTRY_OK.replace("2025-07-14T", "2025-02-30T")), "is not a real date and time"),
        (feed(ENTRY_OK.replace("urn:uuid:00000000-0000-0000-0000-000000000002", "item-2")),
         "is not an absolute IRI"),
        (feed(ENTRY_OK + ENTRY_OK), "id also used by entry[0]"),
        (feed(ENTRY_OK.replace('<link href="https://x.example/1"/>', "")),
         "an entry without content needs a link rel='alternate'"),
        (feed(ENTRY_OK.replace("</entry>", '<link href="https://x.example/2"/></entry>')),
         "2 alternate links with type=None hreflang=None"),
        (feed(ENTRY_OK.replace("</entry>", '<link rel="alternate"/></entry>')),
         "link without href"),
        (feed(ENTRY_OK.replace("https://x.example/1", "/relative")),
         "is relative and no xml:base is in scope"),
        (feed(ENTRY_OK.replace("<title>E</title>", '<title type="text"><b>E</b></title>')),
         "title type='text' must not contain child elements"),
        (feed(ENTRY_OK.replace("<title>E</title>", '<title type="markdown">E</title>')),
         "title type='markdown' is not text, html or xhtml"),
        (feed(ENTRY_OK.replace("<title>E</title>", '<title type="xhtml">E</title>')),
         "title type='xhtml' must contain exactly one xhtml:div"),
        (feed(ENTRY_OK.replace("</entry>", '<content type="html"><p>x</p></content></entry>')),
         "content type='html' must not contain child elements"),
        (feed(ENTRY_OK.replace("</entry>",
              '<content type="image/png" src="https://x.example/a.png"/></entry>')),
         "content is out of line or base64, so a summary is required"),
        (feed(ENTRY_OK.replace("</entry>",
              '<content type="text/plain" src="https://x.example/a">x</content></entry>')),
         "content with src must be empty"),
        (feed(ENTRY_OK.replace("</entry>", '<content type="multipart/mixed">x</content></entry>')),
         "must not be a composite type"),
        (feed(ENTRY_OK.replace("</entry>", "<content>a</content><content>b</content></entry>")),
         "must not contain more than one content"),
        (feed(ENTRY_OK.replace("</entry>", "<author><uri>https://a</uri></author></entry>")),
         "author must contain exactly one name (found 0)"),
        (feed(ENTRY_OK.replace("</entry>",
              "<author><name>A</name><email>not-an-email</email></author></entry>")),
         "is not an addr-spec"),
        (feed(ENTRY_OK.replace("</entry>", "<category/></entry>")), "category without term"),
        (feed(ENTRY_OK.replace("</entry>", "<colour>red</colour></entry>")),
         "atom:colour is not allowed here"),
        (feed(ENTRY_OK, head=FEED_HEAD.replace("<author><name>A</name></author>", "")),
         "no author in the entry, its source or the feed"),
        (b"<rss version='2.0'><channel/></rss>", "not atom:feed"),
        (b"<feed", "not well-formed XML"),
    ],
)  # fmt: skip
def test_each_rule_catches_its_violation(doc: bytes, expected: str) -> None:
    problems = validate_atom(doc)
    assert any(expected in p for p in problems), problems


def test_author_in_entry_or_source_is_enough() -> None:
    no_feed_author = FEED_HEAD.replace("<author><name>A</name></author>", "")
    in_entry = ENTRY_OK.replace("</entry>", "<author><name>B</name></author></entry>")
    in_source = ENTRY_OK.replace(
        "</entry>", "<source><title>S</title><author><name>C</name></author></source></entry>"
    )
    assert validate_atom(feed(in_entry, head=no_feed_author)) == []
    assert validate_atom(feed(in_source, head=no_feed_author)) == []


def test_relative_reference_under_xml_base_and_foreign_markup_are_fine() -> None:
    entry = ENTRY_OK.replace("https://x.example/1", "/one").replace(
        "<entry>", '<entry xml:base="https://x.example/">'
    )
    doc = feed(entry + '<dc:x xmlns:dc="http://purl.org/dc/elements/1.1/">y</dc:x>')
    assert validate_atom(doc) == []


def test_entities_and_dtds_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY xxe SYSTEM "file://{secret}">'
        '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f"<feed {NS}>{FEED_HEAD.replace('<title>T</title>', '<title>&xxe;&b;</title>')}</feed>"
    ).encode()
    problems = validate_atom(doc)
    assert any("DOCTYPE" in p for p in problems)
    assert not any("TOPSECRET" in p or "aaaaaaaaaa" in p for p in problems)


def test_check_dir_reports_every_atom_file(tmp_path: Path) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "all.atom").write_bytes(feed(ENTRY_OK))
    (tmp_path / "sources" / "bad.atom").write_bytes(feed("", head="<title>x</title>"))
    (tmp_path / "all.json").write_text("{}")
    result = check_dir(tmp_path)
    assert sorted(result) == ["all.atom", "sources/bad.atom"]
    assert result["all.atom"] == []
    assert len(result["sources/bad.atom"]) >= 2
