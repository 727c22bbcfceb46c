"""scraper.extract.dates: what pages show -> timezone-aware datetimes.

Real strings come from ../shared/corpus/thinktanks/persian-news (SITES.md section 6); the corpus
pages are read from there at test time and the tests that need them skip when it is absent.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scraper.extract.dates import (
    ParsedDate,
    date_from_url,
    find_dates,
    normalize_digits,
    parse_date,
    plausible,
)

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PERSIAN_CASES = sorted(CORPUS.glob("thinktanks/persian-news--*"))
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TEHRAN = "Asia/Tehran"

FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
JALALI_MONTHS = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)  # fmt: skip
ENGLISH_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def iso(parsed: ParsedDate | None) -> str | None:
    return None if parsed is None else parsed.value.isoformat()


# --- parse_date: one table per family of formats ----------------------------------------------

# (text, keyword arguments, expected isoformat, has_time, calendar, explicit_offset)
Case = tuple[str, dict[str, Any], str, bool, str, bool]

ISO_AND_RFC: list[Case] = [
    ("2014-08-12T12:24:00Z", {}, "2014-08-12T12:24:00+00:00", True, "gregorian", True),
    ("2020-05-10T18:59:01+04:30", {}, "2020-05-10T18:59:01+04:30", True, "gregorian", True),
    ("2020-02-18 T 07:20:50 +0330", {}, "2020-02-18T07:20:50+03:30", True, "gregorian", True),
    ("2015-09-15T12:00:00+00:00", {}, "2015-09-15T12:00:00+00:00", True, "gregorian", True),
    ("2021-06-01T10:00:00.123456-05:00", {}, "2021-06-01T10:00:00-05:00", True, "gregorian", True),
    ("2025-07-09", {}, "2025-07-09T00:00:00+00:00", False, "gregorian", False),
    ("2025-07-09", {"timezone": TEHRAN}, "2025-07-09T00:00:00+03:30", False, "gregorian", False),
    (
        "2025-07-09 14:30",
        {"timezone": TEHRAN},
        "2025-07-09T14:30:00+03:30",
        True,
        "gregorian",
        False,
    ),
    (
        "2025-07-09T14:30Z",
        {"timezone": TEHRAN},
        "2025-07-09T14:30:00+00:00",
        True,
        "gregorian",
        True,
    ),
    ("2025/07/09", {}, "2025-07-09T00:00:00+00:00", False, "gregorian", False),
    ("Tue, 09 Jul 2025 14:03:00 +0000", {}, "2025-07-09T14:03:00+00:00", True, "gregorian", True),
    ("Tue, 09 Jul 2025 14:03:00 GMT", {}, "2025-07-09T14:03:00+00:00", True, "gregorian", True),
    ("Wed, 02 Oct 2002 08:00:00 EST", {}, "2002-10-02T08:00:00-05:00", True, "gregorian", True),
    ("Wed, 02 Oct 2002 15:00:00 +0200", {}, "2002-10-02T15:00:00+02:00", True, "gregorian", True),
    ("Wed, 02 Oct 02 08:00:00 EST", {}, "2002-10-02T08:00:00-05:00", True, "gregorian", True),
    ("Sat, 13 Jul 19 22:05:00 GMT", {}, "2019-07-13T22:05:00+00:00", True, "gregorian", True),
    ("Tue Jul  9 14:03:00 2025", {}, "2025-07-09T14:03:00+00:00", True, "gregorian", False),
]

MONTH_NAMES: list[Case] = [
    ("9 July 2025", {"timezone": TEHRAN}, "2025-07-09T00:00:00+03:30", False, "gregorian", False),
    ("9th July 2025", {}, "2025-07-09T00:00:00+00:00", False, "gregorian", False),
    ("July 9th, 2025", {}, "2025-07-09T00:00:00+00:00", False, "gregorian", False),
    ("August 06, 2019", {}, "2019-08-06T00:00:00+00:00", False, "gregorian", False),
    ("Published June 30, 2023", {}, "2023-06-30T00:00:00+00:00", False, "gregorian", False),
    ("Nov 21, 20164 min read", {}, "2016-11-21T00:00:00+00:00", False, "gregorian", False),
    ("Jan 16, 2025 4 min read", {}, "2025-01-16T00:00:00+00:00", False, "gregorian", False),
    ("Sept. 5, 2024", {}, "2024-09-05T00:00:00+00:00", False, "gregorian", False),
    (
        "June 30, 2023 at 4:30 p.m. ET",
        {},
        "2023-06-30T16:30:00-04:00",
        True,
        "gregorian",
        True,
    ),
    ("March 3, 2021 10:15 AM", {}, "2021-03-03T10:15:00+00:00", True, "gregorian", False),
    (
        "Thursday 9 November 2023 09.30 GMT",
        {},
        "2023-11-09T09:30:00+00:00",
        True,
        "gregorian",
        True,
    ),
    (
        "2021-11-05 10:30:00 Europe/Berlin",
        {},
        "2021-11-05T10:30:00+01:00",
        True,
        "gregorian",
        True,
    ),
    ("09 Jul 2025 10:00 IRDT", {}, "2025-07-09T10:00:00+04:30", True, "gregorian", True),
    ("1404-04-18T10:00:00+03:30", {}, "2025-07-09T10:00:00+03:30", True, "jalali", True),
    ("الأربعاء 9 يوليو 2025 - 10:30 ص", {}, "2025-07-09T10:30:00+00:00", True, "gregorian", False),
    ("٩ يوليو ٢٠٢٥ - ١٠:٣٠ م", {}, "2025-07-09T22:30:00+00:00", True, "gregorian", False),
    ("March 3, 2021 12:15 am", {}, "2021-03-03T00:15:00+00:00", True, "gregorian", False),
    (
        "5. November 2021",
        {"language": "de"},
        "2021-11-05T00:00:00+00:00",
        False,
        "gregorian",
        False,
    ),
    (
        "Mittwoch, 5. Nov. 2021, 10:30 Uhr",
        {"language": "de", "timezone": "Europe/Berlin"},
        "2021-11-05T10:30:00+01:00",
        True,
        "gregorian",
        False,
    ),
    ("3. März 2020", {"language": "de"}, "2020-03-03T00:00:00+00:00", False, "gregorian", False),
    (
        "1er février 2022",
        {"language": "fr"},
        "2022-02-01T00:00:00+00:00",
        False,
        "gregorian",
        False,
    ),
    (
        "le 5 novembre 2021 à 10h30",
        {"language": "fr", "timezone": "Europe/Paris"},
        "2021-11-05T10:30:00+01:00",
        True,
        "gregorian",
        False,
    ),
    ("5 listopada 2021 r.", {}, "2021-11-05T00:00:00+00:00", False, "gregorian", False),
    (
        "5 de noviembre de 2021",
        {"language": "es"},
        "2021-11-05T00:00:00+00:00",
        False,
        "gregorian",
        False,
    ),
    (
        "12 dicembre 2023",
        {"language": "it"},
        "2023-12-12T00:00:00+00:00",
        False,
        "gregorian",
        False,
    ),
    ("9 июля 2025", {"language": "ru"}, "2025-07-09T00:00:00+00:00", False, "gregorian", False),
    ("9 июля 2025 г.", {}, "2025-07-09T00:00:00+00:00", False, "gregorian", False),
    (
        "5 listopada 2021",
        {"language": "pl"},
        "2021-11-05T00:00:00+00:00",
        False,
        "gregorian",
        False,
    ),
    (
        "2021. november 5.",
        {"language": "hu"},
        "2021-11-05T00:00:00+00:00",
        False,
        "gregorian",
        False,
    ),
    ("2021年11月5日", {}, "2021-11-05T00:00:00+00:00", False, "gregorian", False),
    ("15 يوليو 2025", {"language": "ar"}, "2025-07-15T00:00:00+00:00", False, "gregorian", False),
    ("١٥ يوليو ٢٠٢٥", {"language": "ar"}, "2025-07-15T00:00:00+00:00", False, "gregorian", False),
    ("15 كانون الثاني 2020", {}, "2020-01-15T00:00:00+00:00", False, "gregorian", False),
    # Persian *Gregorian* month names are Gregorian
    ("۱۵ ژوئیه ۲۰۲۵", {}, "2025-07-15T00:00:00+00:00", False, "gregorian", False),
    ("۳ ژانویه ۲۰۲۴", {"language": "fa"}, "2024-01-03T00:00:00+00:00", False, "gregorian", False),
]

NUMERIC: list[Case] = [
    ("02.12.19", {"language": "de"}, "2019-12-02T00:00:00+00:00", False, "gregorian", False),
    ("02.12.19", {}, "2019-12-02T00:00:00+00:00", False, "gregorian", False),
    # dots are day-first even on English pages (Hertie School shows 02.12.19 = 2 Dec 2019)
    ("02.12.19", {"language": "en"}, "2019-12-02T00:00:00+00:00", False, "gregorian", False),
    ("8.5.12", {"language": "de"}, "2012-05-08T00:00:00+00:00", False, "gregorian", False),
    (
        "14. 01. 2020, 13:47",
        {"language": "de"},
        "2020-01-14T13:47:00+00:00",
        True,
        "gregorian",
        False,
    ),
    ("9/11/13 10:00AM", {"language": "en"}, "2013-09-11T10:00:00+00:00", True, "gregorian", False),
    ("08/11/2023", {"language": "en-IE"}, "2023-11-08T00:00:00+00:00", False, "gregorian", False),
    ("08/11/2023", {}, "2023-08-11T00:00:00+00:00", False, "gregorian", False),
    ("09/07/2025", {"language": "en"}, "2025-09-07T00:00:00+00:00", False, "gregorian", False),
    ("09/07/2025", {"language": "en-GB"}, "2025-07-09T00:00:00+00:00", False, "gregorian", False),
    ("09/07/2025", {"language": "fr"}, "2025-07-09T00:00:00+00:00", False, "gregorian", False),
    ("25/12/2024", {"language": "en"}, "2024-12-25T00:00:00+00:00", False, "gregorian", False),
    ("12/25/2024", {"language": "de"}, "2024-12-25T00:00:00+00:00", False, "gregorian", False),
    ("09.07.2025 18:45", {}, "2025-07-09T18:45:00+00:00", True, "gregorian", False),
]

JALALI: list[Case] = [
    # the three real strings of SITES.md section 6
    (
        "۲۹ بهمن ۱۳۹۸ - ۰۶:۵۵",
        {"timezone": TEHRAN},
        "2020-02-18T06:55:00+03:30",
        True,
        "jalali",
        False,
    ),
    (
        "۱۳۹۹/۰۲/۲۱ - ۱۸:۵۹",
        {"timezone": TEHRAN},
        "2020-05-10T18:59:00+04:30",
        True,
        "jalali",
        False,
    ),
    (
        "2 تير 1399 - 12:09:08 ب.ظ",
        {"timezone": TEHRAN},
        "2020-06-22T12:09:08+04:30",
        True,
        "jalali",
        False,
    ),
    ("2 تير 1399 - 09:05:00 ق.ظ", {}, "2020-06-22T09:05:00+00:00", True, "jalali", False),
    ("2 تير 1399 - 01:05:00 ب.ظ", {}, "2020-06-22T13:05:00+00:00", True, "jalali", False),
    ("2 تير 1399 - 12:05:00 ق.ظ", {}, "2020-06-22T00:05:00+00:00", True, "jalali", False),
    ("1404/04/18", {}, "2025-07-09T00:00:00+00:00", False, "jalali", False),
    ("1404/4/18", {"timezone": TEHRAN}, "2025-07-09T00:00:00+03:30", False, "jalali", False),
    ("1399-02-21", {}, "2020-05-10T00:00:00+00:00", False, "jalali", False),
    ("۱۸ تیر ۱۴۰۴", {"timezone": TEHRAN}, "2025-07-09T00:00:00+03:30", False, "jalali", False),
    ("١٨ تير ١٤٠٤", {}, "2025-07-09T00:00:00+00:00", False, "jalali", False),
    ("سه‌شنبه ۱۸ تیر ۱۴۰۴", {}, "2025-07-09T00:00:00+00:00", False, "jalali", False),
    ("۱ فروردین ۱۴۰۳", {}, "2024-03-20T00:00:00+00:00", False, "jalali", False),
    ("۳۰ اسفند ۱۳۹۹", {}, "2021-03-20T00:00:00+00:00", False, "jalali", False),  # leap year
    ("18 Tir 1404", {}, "2025-07-09T00:00:00+00:00", False, "jalali", False),
    ("99/02/21", {"prefer_jalali": True}, "2020-05-10T00:00:00+00:00", False, "jalali", False),
    ("۹۹/۰۲/۲۱", {"language": "fa"}, "2020-05-10T00:00:00+00:00", False, "jalali", False),
    ("21/02/99", {"prefer_jalali": True}, "2020-05-10T00:00:00+00:00", False, "jalali", False),
]


@pytest.mark.parametrize(
    "case", ISO_AND_RFC + MONTH_NAMES + NUMERIC + JALALI, ids=lambda case: case[0]
)
def test_parse_date(case: Case) -> None:
    text, kwargs, expected, has_time, calendar, explicit = case
    parsed = parse_date(text, **kwargs)
    assert parsed is not None, text
    assert parsed.value.isoformat() == expected
    assert parsed.value.tzinfo is not None
    assert (parsed.has_time, parsed.calendar, parsed.explicit_offset) == (
        has_time,
        calendar,
        explicit,
    )


@pytest.mark.parametrize(
    ("text", "kwargs"),
    [
        ("February 30, 2020", {}),
        ("2021-02-29", {}),  # not a leap year
        ("2020-13-01", {}),
        ("۳۰ اسفند ۱۴۰۰", {}),  # 1400 is not a Jalali leap year
        ("1399/13/01", {}),
        ("-0001-11-30T00:00:00+00:00", {}),  # WordPress zero date
        ("0000-00-00 00:00:00", {}),
        ("0001-01-01", {}),
        ("July 2025", {}),  # no day: not a publication date
        ("2025", {}),
        ("3 days ago", {}),  # relative dates need relative_to
        ("yesterday", {}),
        ("120200622120908039", {}),  # an id, not a date
        ("1582023650", {}),  # nor a timestamp
        ("3.10.12", {}),  # a version number
        ("3.10.12", {"language": "en"}),
        ("1-2-24", {"language": "de"}),
        ("13 Jul 19", {}),  # two-digit year without a time: not RFC 822, too ambiguous
        ("12 out of 2021", {}),
        ("9 July 1399", {}),  # Gregorian month name with a Jalali-range year
        ("18 تیر 2025", {}),  # Jalali month with a Gregorian year
        ("", {}),
        ("   ", {}),
        ("no date here at all", {}),
    ],
)
def test_parse_date_none(text: str, kwargs: dict[str, Any]) -> None:
    assert parse_date(text, **kwargs) is None


def test_1399_is_never_a_gregorian_year() -> None:
    for text in ("۱۳۹۹/۰۲/۲۱ - ۱۸:۵۹", "1399/02/21", "1399-02-21", "21/02/1399", "21.02.1399"):
        parsed = parse_date(text)
        assert parsed is not None, text
        assert (parsed.calendar, parsed.value.date()) == ("jalali", date(2020, 5, 10)), text


def test_matched_is_the_original_substring() -> None:
    text = "Commentary · Published June 30, 2023 · 5 min read"
    parsed = parse_date(text)
    assert parsed is not None
    assert parsed.matched == "June 30, 2023"
    assert parsed.matched in text
    persian = "تاریخ انتشار: ۲۹ بهمن ۱۳۹۸ - ۰۶:۵۵ | کد خبر: ۱۳۵۳۸۸۹"
    parsed = parse_date(persian)
    assert parsed is not None
    assert parsed.matched == "۲۹ بهمن ۱۳۹۸ - ۰۶:۵۵"


def test_offset_in_text_wins_over_timezone_argument() -> None:
    parsed = parse_date("2020-05-10T18:59:01+04:30", timezone="America/New_York")
    assert parsed is not None
    assert parsed.value.utcoffset() == timedelta(hours=4, minutes=30)
    assert parsed.explicit_offset


def test_impossible_time_is_left_unread() -> None:
    parsed = parse_date("Jan 16, 2025 | 54:12")
    assert parsed is not None
    assert (parsed.value.isoformat(), parsed.has_time, parsed.matched) == (
        "2025-01-16T00:00:00+00:00",
        False,
        "Jan 16, 2025",
    )


def test_time_range_is_not_an_offset() -> None:
    parsed = parse_date("2025-07-09 12:00-14:00")
    assert parsed is not None
    assert not parsed.explicit_offset
    assert parsed.value.isoformat() == "2025-07-09T12:00:00+00:00"


def test_impossible_date_does_not_reach_dateparser() -> None:
    # dateparser would "repair" it; a date we can read but that does not exist is None
    assert parse_date("Published February 30, 2020 by staff") is None
    assert parse_date("30 اسفند 1400") is None


def test_dateparser_fallback_for_short_unusual_strings() -> None:
    # shapes no regex reads, short enough for dateparser
    for text in ("5/nov/2021", "Jul-09-2025", "November the 5th, 2021"):
        parsed = parse_date(text, timezone=TEHRAN)
        assert parsed is not None, text
        assert parsed.matched == text
        assert parsed.value.date() in (date(2021, 11, 5), date(2025, 7, 9))
        assert parsed.value.utcoffset() == timedelta(hours=3, minutes=30)
        assert not parsed.has_time
    assert parse_date("Sometime in the spring of 2021, 3 weeks in") is None


def test_unknown_timezone_and_language_fall_back() -> None:
    parsed = parse_date("9 July 2025", timezone="Mars/Olympus", language="xx-unknown")
    assert parsed is not None
    assert parsed.value.isoformat() == "2025-07-09T00:00:00+00:00"
    fixed = parse_date("9 July 2025", timezone="+03:30")
    assert fixed is not None
    assert fixed.value.utcoffset() == timedelta(hours=3, minutes=30)


# --- time zones and DST -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        # Iran: +04:30 from 1/2 Farvardin to 30/31 Shahrivar until 2022, +03:30 after
        ("2020-03-20", TEHRAN, "2020-03-20T00:00:00+03:30"),
        ("2020-03-22", TEHRAN, "2020-03-22T00:00:00+04:30"),
        ("2020-09-20 12:00", TEHRAN, "2020-09-20T12:00:00+04:30"),
        ("2020-09-22 12:00", TEHRAN, "2020-09-22T12:00:00+03:30"),
        ("2021-06-01", TEHRAN, "2021-06-01T00:00:00+04:30"),
        ("2022-06-01", TEHRAN, "2022-06-01T00:00:00+04:30"),
        ("2023-06-01", TEHRAN, "2023-06-01T00:00:00+03:30"),
        ("۱ تیر ۱۴۰۲", TEHRAN, "2023-06-22T00:00:00+03:30"),
        ("۱ تیر ۱۳۹۹", TEHRAN, "2020-06-21T00:00:00+04:30"),
        # midnight did not exist in Tehran on 2020-03-21 (00:00 -> 01:00): moved forward
        ("2020-03-21", TEHRAN, "2020-03-21T01:00:00+04:30"),
        # US spring gap and autumn repeat
        ("March 8, 2020 2:30 AM", "America/New_York", "2020-03-08T03:30:00-04:00"),
        ("November 1, 2020 1:30 AM", "America/New_York", "2020-11-01T01:30:00-04:00"),
        ("November 2, 2020 1:30 AM", "America/New_York", "2020-11-02T01:30:00-05:00"),
        ("5. Juli 2021", "Europe/Berlin", "2021-07-05T00:00:00+02:00"),
        ("5. Januar 2021", "Europe/Berlin", "2021-01-05T00:00:00+01:00"),
    ],
)
def test_dst_weeks(text: str, zone: str, expected: str) -> None:
    assert iso(parse_date(text, timezone=zone)) == expected


# --- relative dates ---------------------------------------------------------------------------


def test_relative_dates_only_with_relative_to() -> None:
    base = datetime(2025, 7, 9, 10, 0, tzinfo=UTC)
    days = parse_date("3 days ago", relative_to=base)
    assert days is not None
    assert (days.value.isoformat(), days.has_time) == ("2025-07-06T00:00:00+00:00", False)
    hours = parse_date("2 hours ago", relative_to=base)
    assert hours is not None
    assert (hours.value.isoformat(), hours.has_time) == ("2025-07-09T08:00:00+00:00", True)
    yesterday = parse_date("yesterday", relative_to=base, timezone=TEHRAN)
    assert yesterday is not None
    assert yesterday.value.isoformat() == "2025-07-08T00:00:00+03:30"
    german = parse_date("vor 3 Tagen", relative_to=base, language="de")
    assert german is not None
    assert german.value.date() == date(2025, 7, 6)
    # an absolute date is still absolute with relative_to
    assert iso(parse_date("9 July 2020", relative_to=base)) == "2020-07-09T00:00:00+00:00"


# --- find_dates -------------------------------------------------------------------------------


def test_find_dates_in_lines() -> None:
    line = "By Jane Doe | Published June 30, 2023 | Updated July 1, 2023 10:00 EDT"
    found = find_dates(line)
    assert [p.matched for p in found] == ["June 30, 2023", "July 1, 2023 10:00 EDT"]
    assert found[1].value.isoformat() == "2023-07-01T10:00:00-04:00"
    assert [p.matched for p in find_dates("Jan 16, 2025 4 min read")] == ["Jan 16, 2025"]
    persian = find_dates("کد خبر: ۱۳۵۳۸۸۹ تاریخ: ۲۹ بهمن ۱۳۹۸ - ۰۶:۵۵", timezone=TEHRAN)
    assert [iso(p) for p in persian] == ["2020-02-18T06:55:00+03:30"]


def test_time_before_the_date() -> None:
    parsed = parse_date("Updated: 10:30 AM EST, Thu November 9, 2023")
    assert parsed is not None
    assert (parsed.value.isoformat(), parsed.matched, parsed.explicit_offset) == (
        "2023-11-09T10:30:00-05:00",
        "10:30 AM EST, Thu November 9, 2023",
        True,
    )
    persian = find_dates("۱۸:۵۹ - يکشنبه ۲۱ ارديبهشت ۱۳۹۹", timezone=TEHRAN)
    assert [iso(p) for p in persian] == ["2020-05-10T18:59:00+04:30"]
    # a time already used by the date before it is not used again
    two = find_dates("9 July 2025 10:30 12 July 2025")
    assert [(p.matched, p.has_time) for p in two] == [
        ("9 July 2025 10:30", True),
        ("12 July 2025", False),
    ]
    # YJC's visually reversed "۵۹ : ۱۸" is not a time we can trust
    yjc = find_dates("۵۹ : ۱۸   -  يکشنبه ۲۱ ارديبهشت ۱۳۹۹")
    assert [(p.matched, p.has_time) for p in yjc] == [("۲۱ ارديبهشت ۱۳۹۹", False)]


def test_find_dates_limit_and_order() -> None:
    text = " ; ".join(f"{d} March 2021" for d in range(1, 29))
    found = find_dates(text, limit=5)
    assert [p.value.day for p in found] == [1, 2, 3, 4, 5]
    assert find_dates(text, limit=0) == []
    assert len(find_dates(text)) == 20


def test_find_dates_ignores_ids_and_numbers() -> None:
    text = "News id 120200622120908039, 1,234,567 views, version 3.10.12, call 555-1234"
    assert find_dates(text) == []


def test_find_dates_dateparser_fallback_for_unusual_shapes() -> None:
    found = find_dates("Posted: Tue Jul  9 14:03:00 2025 by admin")
    assert [iso(p) for p in found] == ["2025-07-09T14:03:00+00:00"]


def test_extreme_years_do_not_hide_other_dates() -> None:
    found = find_dates("December 31, 9999 23:30 and 9 July 2025", timezone="America/New_York")
    assert [p.value.year for p in found] == [9999, 2025]
    assert not plausible(found[0].value, now=NOW)
    assert plausible(found[1].value, now=NOW)


def test_find_dates_scales_to_long_text() -> None:
    filler = "Lorem ipsum dolor sit amet, 12 consectetur 345 adipiscing elit. " * 3000
    found = find_dates(filler + " Published 9 July 2025.")
    assert [iso(p) for p in found] == ["2025-07-09T00:00:00+00:00"]


# --- plausible --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2025, 7, 9, tzinfo=UTC), True),
        (datetime(1990, 1, 1, tzinfo=UTC), True),
        (datetime(1989, 12, 31, 23, 59, tzinfo=UTC), False),
        (datetime(1, 1, 1, tzinfo=UTC), False),
        (NOW + timedelta(hours=23), True),
        (NOW + timedelta(days=1, seconds=1), False),
        (datetime(2026, 11, 26, 12, 0, tzinfo=timezone(timedelta(hours=3, minutes=30))), True),
        (datetime(2025, 7, 9), True),  # naive: taken as UTC, never a TypeError
        (datetime(2400, 1, 1, tzinfo=UTC), False),
    ],
)
def test_plausible(value: datetime, expected: bool) -> None:
    assert plausible(value, now=NOW) is expected


def test_plausible_custom_earliest() -> None:
    value = datetime(2005, 1, 1, tzinfo=UTC)
    assert not plausible(value, now=NOW, earliest=datetime(2010, 1, 1, tzinfo=UTC))
    assert plausible(value, now=NOW, earliest=datetime(2000, 1, 1, tzinfo=UTC))


# --- date_from_url ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.brookings.edu/2025/07/09/slug/", "2025-07-09T00:00:00+00:00"),
        ("https://example.org/blog/2020/5/10/title", "2020-05-10T00:00:00+00:00"),
        ("https://example.org/2025/07/09", "2025-07-09T00:00:00+00:00"),
        ("https://example.org/news/2025/07/09.html", "2025-07-09T00:00:00+00:00"),
        ("https://example.org/2019/08/12345-title", None),
        ("https://example.org/news/2025-07-09-iran-talks", "2025-07-09T00:00:00+00:00"),
        ("https://example.org/reports/2023-11-30/", "2023-11-30T00:00:00+00:00"),
        ("https://example.org/fa/1404/04/18/x", "2025-07-09T00:00:00+00:00"),
        ("https://example.org/2019/08/slug", None),  # month only
        ("http://www.aryanews.com/News/120200622120908039/title", None),  # id
        ("https://example.org/2021/02/30/slug", None),
        ("https://example.org/item?date=2025-07-09", None),  # the query is not the path
        ("https://example.org/p/12025/07/09/", None),
        ("https://example.org/v2025-07-091/", None),
        ("not a url", None),
        ("", None),
    ],
)
def test_date_from_url(url: str, expected: str | None) -> None:
    parsed = date_from_url(url)
    assert iso(parsed) == expected
    if parsed is not None:
        assert not parsed.has_time
        assert parsed.matched in url


def test_date_from_url_timezone() -> None:
    parsed = date_from_url("https://ipis.ir/en/2025/07/09/x", timezone=TEHRAN)
    assert iso(parsed) == "2025-07-09T00:00:00+03:30"


# --- normalize_digits -------------------------------------------------------------------------


def test_normalize_digits() -> None:
    assert normalize_digits("۱۳۹۹/۰۲/۲۱") == "1399/02/21"
    assert normalize_digits("٢٠٢٠-٠٥-١٠") == "2020-05-10"
    assert normalize_digits("تير") == "تیر"
    assert normalize_digits("كد") == "کد"
    assert normalize_digits("a\u00a0b\u202fc\u200cd\u200fe") == "a b c d e"
    text = "\u200f۲۹\u00a0بهمن\u200c۱۳۹۸ ي ك ٫ ،"
    assert len(normalize_digits(text)) == len(text)
    assert normalize_digits("plain ASCII 2025") == "plain ASCII 2025"


# --- the real Persian pages -------------------------------------------------------------------


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def _page(case: Path) -> str:
    raw = case / "page.html"
    data = (
        raw.read_bytes() if raw.exists() else gzip.decompress((case / "page.html.gz").read_bytes())
    )
    return data.decode("utf-8", errors="replace")


@pytest.mark.skipif(not PERSIAN_CASES, reason="../shared/corpus is absent")
@pytest.mark.parametrize("case", PERSIAN_CASES, ids=lambda p: p.name)
def test_persian_pages_visible_date_matches_truth(case: Path) -> None:
    truth = json.loads((case / "truth.json").read_text(encoding="utf-8"))
    site = case.name.split("--")[1].split("_")[0]
    collector = _Text()
    collector.feed(_page(case))
    found: dict[str, ParsedDate] = {}
    for line in collector.parts:
        for parsed in find_dates(line, language="fa", timezone=TEHRAN, limit=5):
            found.setdefault(parsed.matched, parsed)
    visible = found[PERSIAN_VISIBLE[site]]  # the page's own date line, as SITES.md quotes it
    assert visible.calendar == "jalali"
    assert visible.has_time
    assert visible.value.date().isoformat() == truth["date"]
    assert all(plausible(p.value, now=NOW) for p in found.values() if p.calendar == "jalali")


PERSIAN_VISIBLE = {
    "khabaronline": "۲۹ بهمن ۱۳۹۸ - ۰۶:۵۵",
    "yjc": "۲۱ ارديبهشت ۱۳۹۹ - ۱۸:۵۹",  # its meta tag has ۱۳۹۹/۰۲/۲۱ - ۱۸:۵۹
    "aryanews": "2 تير 1399 - 12:09:08 ب.ظ",
}


@pytest.mark.skipif(not PERSIAN_CASES, reason="../shared/corpus is absent")
def test_persian_pages_meta_dates() -> None:
    by_site = {case.name.split("--")[1].split("_")[0]: _page(case) for case in PERSIAN_CASES}
    meta = re.compile(r'<meta[^>]+(?:name="date"|property="article:published_time")[^>]*>')
    content = re.compile(r'content="([^"]+)"')
    values = {
        site: [m2.group(1) for m in meta.finditer(html) if (m2 := content.search(m.group(0)))]
        for site, html in by_site.items()
    }
    # YJC puts a Jalali string in article:published_time; Khabaronline the "T"-with-spaces oddity
    assert [iso(parse_date(v, timezone=TEHRAN)) for v in values["yjc"]] == [
        "2020-05-10T18:59:00+04:30"
    ]
    assert sorted(iso(parse_date(v, timezone=TEHRAN)) or "" for v in values["khabaronline"]) == [
        "2020-02-18T03:25:00+00:00",
        "2020-02-18T07:20:50+03:30",
    ]


HERTIE = CORPUS / "thinktanks" / "hertie-school--article_whats-on-the-cards-for-von-der-leyen"


@pytest.mark.skipif(not HERTIE.exists(), reason="../shared/corpus is absent")
def test_hertie_english_page_dotted_date_is_day_first() -> None:
    truth = json.loads((HERTIE / "truth.json").read_text(encoding="utf-8"))
    collector = _Text()
    collector.feed(_page(HERTIE))
    found = [p for line in collector.parts for p in find_dates(line, language="en")]
    assert [(p.matched, p.value.date().isoformat()) for p in found if p.matched == "02.12.19"] == [
        ("02.12.19", truth["date"])
    ]


# --- properties -------------------------------------------------------------------------------

_NASTY = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"])
    | st.sampled_from(list("0123456789۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩/-.:+TZ ,")),
    max_size=120,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=_NASTY,
    language=st.none() | st.sampled_from(["en", "de", "fa", "ar", "ru", "zz", "", "en-US"]),
    zone=st.none() | st.sampled_from([TEHRAN, "UTC", "Not/AZone", "+99:99", ""]),
    jalali=st.booleans(),
)
def test_no_exception_on_any_text(
    text: str, language: str | None, zone: str | None, jalali: bool
) -> None:
    parsed = parse_date(text, language=language, timezone=zone, prefer_jalali=jalali)
    if parsed is not None:
        assert parsed.value.tzinfo is not None
        assert parsed.matched
    relative = parse_date(text, relative_to=NOW, language=language)
    assert relative is None or relative.value.tzinfo is not None
    for found in find_dates(text, language=language, timezone=zone):
        assert found.value.tzinfo is not None
        assert found.matched in text
    date_from_url(text, timezone=zone)
    assert isinstance(normalize_digits(text), str)


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=date(1979, 3, 21), max_value=date(2070, 3, 20)),
    style=st.integers(min_value=0, max_value=3),
    digits=st.sampled_from([FA_DIGITS, AR_DIGITS, None]),
    clock=st.none() | st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    arabic_letters=st.booleans(),
)
def test_jalali_round_trip(
    day: date, style: int, digits: dict[int, str] | None, clock: Any, arabic_letters: bool
) -> None:
    j = jdatetime.date.fromgregorian(date=day)
    text = [
        f"{j.year}/{j.month:02d}/{j.day:02d}",
        f"{j.day} {JALALI_MONTHS[j.month - 1]} {j.year}",
        f"{j.year}-{j.month}-{j.day}",
        f"{j.day:02d}/{j.month:02d}/{j.year}",
    ][style]
    if clock is not None:
        text += f" - {clock.hour:02d}:{clock.minute:02d}"
    if digits is not None:
        text = text.translate(digits)
    if arabic_letters:  # Arabic yeh and kaf, as Aryanews writes تير
        text = text.replace("ی", "ي").replace("ک", "ك")
    parsed = parse_date(text, timezone=TEHRAN)
    assert parsed is not None, text
    assert parsed.calendar == "jalali"
    assert parsed.value.date() == j.togregorian()
    assert parsed.has_time is (clock is not None)
    wall = datetime.combine(j.togregorian(), clock or time(), tzinfo=ZoneInfo(TEHRAN))
    assert parsed.value.astimezone(UTC) == wall.astimezone(UTC)  # same instant, even in DST gaps


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)),
    style=st.integers(min_value=0, max_value=4),
)
def test_gregorian_round_trip(day: date, style: int) -> None:
    month = ENGLISH_MONTHS[day.month - 1]
    text = [
        day.isoformat(),
        f"{day.day} {month} {day.year}",
        f"{month} {day.day}, {day.year}",
        f"{month[:3]} {day.day:02d}, {day.year}",
        f"{day.day:02d}.{day.month:02d}.{day.year}",
    ][style]
    parsed = parse_date(text, timezone="Europe/Berlin")
    assert parsed is not None, text
    assert (parsed.value.date(), parsed.calendar, parsed.has_time) == (day, "gregorian", False)
    assert parsed.value.hour == 0
