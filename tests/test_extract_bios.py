"""Author bios at the end of a body (scraper.extract.bios); hand-written blocks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scraper.extract.bios import drop_bios
from scraper.extract.blockdata import Block

BODY = [
    "The committee met on Tuesday to discuss the new budget and its effects on the regions.",
    "Several members said the plan would cut spending on schools, which the minister denied.",
    "A vote is expected next month, after the regional governments have sent their views.",
]


def _blocks(*texts: str) -> list[Block]:
    return [Block(kind="p", text=t, html=t) for t in texts]


def _texts(blocks: list[Block]) -> list[str]:
    return [b.text for b in blocks]


def test_a_bio_of_the_author_is_dropped() -> None:
    bio = "Jane Doe is a senior fellow at the Example Institute, where she writes on budgets."
    assert _texts(drop_bios(_blocks(*BODY, bio), ["Jane Doe"])) == BODY


def test_a_bio_of_someone_the_article_never_mentions_is_dropped() -> None:
    bio = (
        "Lucas Example is a reporter covering technology and online speech. Follow him on the "
        "usual networks."
    )
    assert _texts(drop_bios(_blocks(*BODY, bio), [])) == BODY
    spanish = "Andrés Ejemplo es politólogo e investigador en la Universidad de Lisboa."
    assert _texts(drop_bios(_blocks(*BODY, spanish), [])) == BODY


def test_a_closing_paragraph_about_someone_the_article_discussed_stays() -> None:
    body = [*BODY[:2], "The plan was drawn up by John Example, who chairs the committee."]
    closing = "John Example is the chair of the committee and a former director of the bank."
    assert _texts(drop_bios(_blocks(*body, closing), [])) == [*body, closing]


def test_sentences_that_only_look_like_bios_stay() -> None:
    for last in (
        "The minister is a former director of the bank, critics noted.",  # no name first
        "Jane Doe is expected to vote against the plan next month.",  # no role
        "the committee chair is an economist by training and a former professor.",
    ):
        assert _texts(drop_bios(_blocks(*BODY, last), ["Jane Doe"]))[-1] == last


def test_an_about_the_author_box_is_dropped() -> None:
    for heading in ("About Jane Doe", "Über Jane Doe", "About the author"):
        box = _blocks(heading, "Researcher and writer, based in Berlin, working on budgets.")
        got = drop_bios([*_blocks(*BODY), *box], ["Jane Doe"])
        assert _texts(got) == BODY, heading
    # "About" followed by anything else is a heading of the article
    section = _blocks("About the budget", "It is the largest in a decade.")
    assert _texts(drop_bios([*_blocks(*BODY), *section], ["Jane Doe"]))[-2:] == _texts(section)


def test_short_bodies_are_left_alone() -> None:
    bio = "Jane Doe is a senior fellow at the Example Institute."
    assert _texts(drop_bios(_blocks(BODY[0], bio), ["Jane Doe"])) == [BODY[0], bio]


_LINE = st.text(
    alphabet=st.sampled_from(list("Jane Doe is a senior fellow at Über the.,:")), max_size=90
)


@given(st.lists(_LINE, max_size=12), st.lists(st.sampled_from(["Jane Doe", "Doe", ""]), max_size=2))
def test_drop_bios_only_ever_removes_blocks_in_order(texts: list[str], authors: list[str]) -> None:
    blocks = _blocks(*texts)
    kept = drop_bios(blocks, authors)
    it = iter(blocks)
    assert all(any(k is b for b in it) for k in kept)  # a subsequence of the input
