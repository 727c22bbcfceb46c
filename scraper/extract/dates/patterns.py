"""The regexes of :mod:`scraper.extract.dates`, run on text folded by `normalize_digits`.

ISO-like year-month-day, CJK year/month/day, numeric dates, day-month-year and month-day-year
with month names, asctime, RFC 822 with a two-digit year, Hungarian-style year-month-day; each
with an optional time of day and zone after it, plus a time of day before a date.
"""

from __future__ import annotations

import re
from typing import Final

_MARKS: Final = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
_WORD: Final = rf"(?>[^\W\d_]+(?:[{_MARKS}]+[^\W\d_]*)*)"  # atomic: no backtracking
_YEAR4: Final = r"(?P<y>\d{4})(?:(?!\d)|(?=\d{1,3}\s?min))"  # Heritage glues "20164 min read"
_TIME: Final = r"""
    (?P<time>
      (?:\s{0,3}(?:T|,|at|@|-|–|—|\||um|à|a\s+las|alle|ore|в|o|ساعت|الساعة|klo|kl\.?)?\s{0,3})
      # 10:30, 10h30, 09.30
      (?P<hh>\d{1,2})(?::|h|\sh\s|\.(?=\d\d(?![\d.])))(?P<mi>\d{2})(?::(?P<ss>\d{2})(?:[.,]\d{1,9})?)?(?![\d:])
      (?:\s?(?P<ampm>[aApP]\.?\s?[mM]\.?(?![^\W\d_])|ب\.?\s?ظ|ق\.?\s?ظ|بعد\s?از\s?ظهر
                    |قبل\s?از\s?ظهر|[صم](?![^\W\d_])))?
    )?
    (?(time)(?:\s?(?P<tz>Z(?![^\W\d_])|(?:(?:UTC|GMT)\s?)?[+-]\d{1,2}(?::?\d{2})?(?![\d:])
                    |[A-Z][a-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?|[A-Z]{1,4}(?![^\W\d_])))?)
"""
_FLAGS: Final = re.VERBOSE
_LEADING_TIME_RE: Final = re.compile(
    r"""(?<![\d:.])(?P<time>(?P<hh>\d{1,2}):(?P<mi>\d{2})(?::(?P<ss>\d{2}))?)
    (?:\s?(?P<ampm>[aApP]\.?\s?[mM]\.?|ب\.?\s?ظ|ق\.?\s?ظ))?
    (?:\s?(?P<tz>Z|(?:(?:UTC|GMT)\s?)?[+-]\d{1,2}(?::?\d{2})?|[A-Z]{2,4}))?
    \s{0,3}[,|\-–—]?\s{0,3}(?:(?>[^\W\d_]+)\.?,?\s{1,3})?$""",  # an optional weekday
    re.VERBOSE,
)
_SUFFIX: Final = r"(?:st|nd|rd|th|er|e|º|ª|-?го|-?е)?"
_PATTERNS: Final = (
    # 2020-02-18, 1399/02/21, 2025.07.09, 2020-02-18 T 07:20:50 +0330
    (
        "ymd",
        re.compile(
            rf"(?<![\w.+/:-])(?P<date>(?P<y>\d{{4}})(?P<s>[-/]|\.\s?)(?P<mo>\d{{1,2}})(?P=s)"
            rf"(?P<d>\d{{1,2}}))(?![\d])(?![.\-/]\d){_TIME}",
            _FLAGS,
        ),
    ),
    # 2021年11月5日, 2021년 11월 5일
    (
        "ymd",
        re.compile(
            rf"(?P<date>(?P<y>\d{{4}})\s?[年년]\s?(?P<mo>\d{{1,2}})\s?[月월]\s?(?P<d>\d{{1,2}})\s?[日일])"
            rf"{_TIME}",
            _FLAGS,
        ),
    ),
    # 02.12.19, 09/07/2025, 7-9-2025
    (
        "num",
        re.compile(
            rf"(?<![\w.+/:-])(?P<date>(?P<a>\d{{1,2}})(?P<s>[-/]|\.\s?)(?P<b>\d{{1,2}})(?P=s)"
            rf"(?P<y>\d{{4}}|\d{{2}}))(?!\d)(?![.\-/]\d){_TIME}",
            _FLAGS,
        ),
    ),
    # 9 July 2025, 9th July 2025, 5. November 2021, 5 de noviembre de 2021, ۱۸ تیر ۱۴۰۴
    (
        "dmy",
        re.compile(
            rf"(?<![\w.])(?P<date>(?P<d>\d{{1,2}}){_SUFFIX}\.?[\s-]*(?:(?:de|of)\s+)?"
            rf"(?P<mon>{_WORD}(?:\s{_WORD})??)\.?,?[\s-]*(?:(?:de|del)\s+)?{_YEAR4}){_TIME}",
            _FLAGS,
        ),
    ),
    # June 30, 2023; Nov 21, 2016; July 9th 2025
    (
        "mdy",
        re.compile(
            rf"(?<![^\W\d_])(?P<date>(?P<mon>{_WORD})\.?\s?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)"
            rf",?\s*{_YEAR4}){_TIME}",
            _FLAGS,
        ),
    ),
    # asctime / Unix date: Tue Jul  9 14:03:00 2025, Tue Jul 9 14:03:00 UTC 2025
    (
        "mdy",
        re.compile(
            rf"(?<![^\W\d_])(?P<date>(?P<mon>{_WORD})\s+(?P<d>\d{{1,2}})\s+"
            rf"(?P<time>(?P<hh>\d{{1,2}}):(?P<mi>\d{{2}})(?::(?P<ss>\d{{2}}))?)(?P<ampm>(?!))?\s+"
            rf"(?:(?P<tz>[A-Z]{{2,5}})\s+)?(?P<y>\d{{4}})(?!\d))"
        ),
    ),
    # RFC 822 with a two-digit year: Wed, 02 Oct 02 08:00:00 EST (a time is required)
    (
        "dmy",
        re.compile(
            rf"(?<![\w.])(?P<date>(?P<d>\d{{1,2}})\s(?P<mon>[A-Z][a-z]{{2}})\s(?P<y>\d{{2}}))"
            rf"(?=\s\d\d?:\d\d){_TIME}",
            _FLAGS,
        ),
    ),
    # 2021. november 5.
    (
        "ymon",
        re.compile(
            rf"(?<![\w.])(?P<date>(?P<y>\d{{4}})\.?\s(?P<mon>{_WORD})\.?\s(?P<d>\d{{1,2}})\.?)(?!\d)"
            rf"{_TIME}",
            _FLAGS,
        ),
    ),
)
_HAS_TIME_RE: Final = re.compile(r"\d:\d\d")
_DIGITS_RE: Final = re.compile(r"\d+")
_WORTH_RE: Final = re.compile(r"\d{4}|\d[-/.]\s?\d|[A-Z][a-z]{2}\s\d\d\s\d")
"""Every pattern needs a four-digit year, digits around a separator or RFC 822's "Oct 02 0"."""
WINDOW_BEFORE: Final = 32
"""Characters scanned before a digit run (a month name, "Published", a weekday)."""
WINDOW_AFTER: Final = 24
"""Characters scanned after one (am/pm, a zone abbreviation)."""
_YEAR_RE: Final = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_PM: Final = ("p", "ب", "بعد", "م")
