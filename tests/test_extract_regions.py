"""Headline region and body tidy-up (scraper.extract.regions)."""

from __future__ import annotations

from scraper.extract.blocks import Block
from scraper.extract.regions import dek, region, tidy_body, title_index, visible_dates


def _b(text: str, kind: str = "p", hints: str = "p div", node_id: int = 0) -> Block:
    return Block(kind=kind, text=text, html=text, hints=hints, node_id=node_id)


LEAD = "A lead sentence that sums up the piece for readers who skim the page"
FIRST = LEAD + ", and then the first paragraph carries on with a lot more detail and facts."


def test_title_index_and_region() -> None:
    blocks = [
        _b("Menu"),
        _b("The Headline", "h1"),
        _b("March 3, 2020", hints="span date"),
        _b(FIRST),
    ]
    idx = title_index(blocks, "The Headline")
    assert idx == 1
    before, after = region(blocks, idx, None)
    assert [b.text for b in before] == ["Menu"]
    assert after[0].text == "March 3, 2020"
    assert visible_dates(before, after)[0] == "March 3, 2020"


def test_dek_needs_meta_lines_after_it() -> None:
    after = [_b(LEAD, node_id=1), _b("March 3, 2020", node_id=2), _b(FIRST, node_id=3)]
    got = dek(after, {2})
    assert got is not None and got.text == LEAD
    assert dek([_b(FIRST, node_id=3)], set()) is None
    assert dek([_b(LEAD, hints="div standfirst")], set()) is not None


def test_tidy_body_drops_title_byline_and_repeated_lead() -> None:
    blocks = [
        _b("The Headline", "h2"),
        _b("By Ann Lee", node_id=7),
        _b(LEAD),
        _b(FIRST),
        _b("view 54"),
        _b("Ann Lee, Senior Fellow at the Institute"),
    ]
    out = tidy_body(blocks, "The Headline", ("Ann Lee",), {7}, set(), None)
    assert [b.text for b in out] == [FIRST]
