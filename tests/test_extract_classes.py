"""Class/id words (scraper.extract.classes): the fast lower-case search agrees with re.I."""

from __future__ import annotations

from scraper.extract import classes
from scraper.extract.classes import NEG, POS, STRONG

_VALUES = [
    "post-meta-wrapper",
    "entry-content single",
    "Related-Posts widget",
    "SHARE_bar",
    "advertisement_box",
    "sponsor_2 x",
    "elementor-widget-text",
    "morestories",
    "more_stories",
    "about-the-author",
    "comments-area",
    "x-y z",
    "post\tnav",
]


def test_value_verdicts() -> None:
    flags, weight = classes._value_marks("post-meta-wrapper")
    assert flags == NEG | POS and weight == 0
    assert classes._value_marks("comments-area")[0] == NEG | STRONG
    assert classes._value_marks("elementor-widget-text") == (0, 0)  # a page builder's box
    assert classes.is_furniture(NEG) and not classes.is_furniture(NEG | POS)


def test_ascii_path_agrees_with_case_insensitive_patterns() -> None:
    for value in _VALUES:
        for v in (value, value.upper(), value.title()):
            slow = [
                classes._token_marks(tok)  # the re.I patterns on the token as written
                for tok in v.split()
            ]
            fast = [classes._ascii_token_marks(tok.lower()) for tok in v.split()]
            assert fast == slow, v


def test_words_grouped_by_first_letter() -> None:
    grouped = classes._by_first_letter("comments?|cookies?|share|recommend(?:ed|ations)?")
    assert grouped == "c(?:omments?|ookies?)|s(?:hare)|r(?:ecommend(?:ed|ations)?)"
    assert "c(?:" in classes._ASCII_NEGATIVE.pattern
