"""content_hash: versioned, stable under non-content edits, sensitive to real edits."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scraper.dedup import CONTENT_HASH_VERSION, content_hash, normalize_text

BODY = (
    "Women’s labor force participation has increased substantially in the U.S. over the "
    "second half of the 20th century.\n\nSince 1948, the United States has used a policy of "
    "joint taxation — which taxes a married couple as a unit."
)


def test_format_is_versioned_sha256() -> None:
    value = content_hash(BODY)
    assert re.fullmatch(r"v1:[0-9a-f]{64}", value)
    assert value.startswith(CONTENT_HASH_VERSION + ":")
    expected = hashlib.sha256(normalize_text(BODY).encode()).hexdigest()
    assert value == f"v1:{expected}"


@pytest.mark.parametrize(
    "variant",
    [
        BODY.replace("\n\n", "\n\n\n\n"),
        BODY.replace(" ", "  "),
        "   " + BODY + "\n\n",
        BODY.replace("\n\n", " "),
        BODY.replace(" ", "\u00a0"),
        BODY.replace(" ", "\t"),
        BODY.upper(),
        BODY.replace("’", "'").replace("—", "-"),
        BODY.replace("participation", "partici\u00adpation"),
        BODY.replace("taxation", "tax\u200bation"),
        "\ufeff" + BODY,
    ],
)
def test_non_content_edits_keep_the_hash(variant: str) -> None:
    assert content_hash(variant) == content_hash(BODY)


@pytest.mark.parametrize(
    "variant",
    [
        BODY.replace("1948", "1949"),
        BODY.replace("increased", "decreased"),
        BODY + "\n\nA correction was appended.",
        BODY.replace("U.S.", "US"),
    ],
)
def test_content_edits_change_the_hash(variant: str) -> None:
    assert content_hash(variant) != content_hash(BODY)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Published 9 July 2025. view 54. The text.", "Published 9 July 2025. view 61. The text."),
        ("The text. 1,204 views", "The text. 1,377 views"),
        ("The text. Comments: 3", "The text. Comments: 12"),
        ("Updated 10:32 am. The text.", "Updated 11:05 am. The text."),
        ("Posted 3 hours ago. The text.", "Posted 5 hours ago. The text."),
        ("بازدید: ۵۴ متن مقاله", "بازدید: ۶۱ متن مقاله"),
        ("متن مقاله ۵۴ بازدید", "متن مقاله ۱۲۰ بازدید"),
    ],
)
def test_embedded_counters_and_clocks_do_not_churn(before: str, after: str) -> None:
    assert content_hash(before) == content_hash(after)


def test_dates_are_content() -> None:
    assert content_hash("Published 9 July 2025. Text.") != content_hash(
        "Published 10 July 2025. Text."
    )


def test_persian_digits_read_as_ascii() -> None:
    assert content_hash("سال ۱۴۰۴ بود") == content_hash("سال 1404 بود")
    assert content_hash("سال ۱۴۰۴ بود") != content_hash("سال 1403 بود")


def test_arabic_and_persian_letter_variants_agree() -> None:
    persian = "\u0645\u06cc\u200c\u0634\u0648\u062f \u06a9\u062a\u0627\u0628"  # می‌شود کتاب
    arabic = "\u0645\u064a\u0634\u0640\u0648\u062f \u0643\u062a\u0627\u0628"  # ZWNJ gone, tatweel
    assert content_hash(persian) == content_hash(arabic)
    assert content_hash(persian) != content_hash(persian.replace("\u06a9", "\u06af"))


def test_nfkc_folds_compatibility_forms() -> None:
    assert content_hash("ﬁnance ＡＢＣ") == content_hash("finance abc")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_whitespace_only_edits_never_change_the_hash(text: str) -> None:
    respaced = "\n\n ".join(text.split(" "))
    assert content_hash(respaced) == content_hash(text)
    assert normalize_text(normalize_text(text)) == normalize_text(text)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("The fund sold 10,000 shares in May.", "The fund sold 12,000 shares in May."),
        ("It is 3 times more likely.", "It is 4 times more likely."),
        ("Turnout was 54 percent.", "Turnout was 61 percent."),
        ("Economy added 189,000 jobs", "Economy added 198,000 jobs"),
    ],
)
def test_numbers_that_are_content_still_count(before: str, after: str) -> None:
    assert content_hash(before) != content_hash(after)
