"""Dates as pages show them -> timezone-aware datetimes.

Pure: no clock, no I/O.  Everything that can be read with a regex is (ISO 8601, RFC 822/1123,
numeric dates, month names in the languages `dateparser` has data for, Solar Hijri / Jalali
dates in Persian or Latin digits, a time of day before or after the date); `dateparser` itself
is only the fallback of `parse_date` for short strings, and `find_dates` never calls it.

Order of decisions for one date:

1. text normalised with `normalize_digits` (Persian/Arabic-Indic digits, Arabic yeh/kaf,
   odd spaces), keeping its length so that `matched` is the original substring;
2. a year 1200-1500 in a Jalali-shaped date (numeric, or a Jalali month name) is Solar Hijri and is
   converted with `jdatetime`; Persian *Gregorian* month names (ژانویه ... دسامبر) stay Gregorian;
   a Gregorian year is never <= 1500;
3. numeric dates: dots are day-first everywhere (02.12.19); slashes and dashes are month-first
   for English (except en-GB, en-IE, ...) and without a hint, day-first for other languages;
4. the text's own offset or zone wins; else the `timezone` argument (IANA name, applied with
   `zoneinfo`, so Iran's DST until 2022 gives +04:30); else UTC.  A date without a time of day is
   midnight in that zone.  Wall times that do not exist (DST gaps) are moved forward to a real one;
5. an impossible date (30 February, 30 Esfand 1400) gives None, an impossible time or offset
   (25:61, +99:00) is left unread; no function raises on any input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from itertools import islice
from typing import Any, Final
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import jdatetime
from dateparser.date import DateDataParser
from dateparser.languages.loader import default_loader

__all__ = [
    "ParsedDate",
    "date_from_url",
    "find_dates",
    "normalize_digits",
    "parse_date",
    "plausible",
]

GREGORIAN: Final = "gregorian"
JALALI: Final = "jalali"
EARLIEST: Final = datetime(1990, 1, 1, tzinfo=UTC)
JALALI_YEARS: Final = range(1200, 1501)
"""A year in this range in a Jalali-shaped date is Solar Hijri, never Gregorian."""
MAX_DATEPARSER_CHARS: Final = 80
"""Longer strings never reach dateparser (slow, and it guesses on prose)."""
MAX_SCAN_CHARS: Final = 200_000


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """One date read from text."""

    value: datetime
    """Timezone-aware; keeps the text's own offset when it had one."""
    has_time: bool
    """A time of day was given (else `value` is midnight in the zone)."""
    calendar: str
    """"gregorian" or "jalali": the calendar the text was written in."""
    matched: str
    """The substring of the input that was parsed (original characters)."""
    explicit_offset: bool
    """The text carried its own offset/zone (vs the default zone applied)."""


# --- normalisation ---------------------------------------------------------------------------


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x10000):
        ch = chr(cp)
        if cp >= 0x80 and unicodedata.category(ch) == "Nd":
            table[cp] = str(unicodedata.decimal(ch))
    table.update({0x064A: "ی", 0x0649: "ی", 0x0643: "ک"})  # Arabic yeh, alef maksura, kaf
    for cp in (0x00A0, 0x1680, 0x202F, 0x205F, 0x3000, *range(0x2000, 0x200B)):
        table[cp] = " "
    # zero-width and bidi controls: folded to a space so that lengths (and offsets) stay equal
    for cp in (0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF):
        table[cp] = " "
    for cp in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        table[cp] = " "
    table.update({0x060C: ",", 0x066B: ".", 0x066C: ",", 0x2010: "-", 0x2011: "-", 0x2044: "/"})
    return table


_FOLD: Final = _build_fold_table()
_DIGITS_ONLY: Final = {k: v for k, v in _FOLD.items() if v.isdigit() or v == " "}
"""Digits and spaces only: for dateparser, whose locale data spells Arabic ي and ك."""


def normalize_digits(text: str) -> str:
    """Fold what varies between scripts but not in meaning; output has the input's length.

    Any Unicode decimal digit (Persian ۰-۹, Arabic-Indic ٠-٩, ...) becomes ASCII; Arabic ي/ى/ك
    become Persian ی/ک; no-break, thin and other odd spaces, ZWNJ/ZWJ and bidi marks become a
    plain space; the Arabic comma and decimal separator become `,` and `.`.
    """
    return text.translate(_FOLD)


# --- month names -----------------------------------------------------------------------------

_JALALI_MONTH_NAMES: Final[dict[str, int]] = {
    "فروردین": 1, "اردیبهشت": 2, "اردی بهشت": 2, "خرداد": 3, "تیر": 4, "مرداد": 5,
    "امرداد": 5, "شهریور": 6, "مهر": 7, "آبان": 8, "آذر": 9, "دی": 10, "بهمن": 11,
    "اسفند": 12,
    "farvardin": 1, "ordibehesht": 2, "khordad": 3, "tir": 4, "mordad": 5, "amordad": 5,
    "shahrivar": 6, "mehr": 7, "aban": 8, "azar": 9, "dey": 10, "dei": 10,
    "bahman": 11, "esfand": 12,
}  # fmt: skip
_PERSIAN_GREGORIAN_NAMES: Final[dict[str, int]] = {
    "ژانویه": 1, "ژانویهٔ": 1, "فوریه": 2, "مارس": 3, "آوریل": 4, "اوریل": 4, "مه": 5, "مهٔ": 5,
    "می": 5, "ژوئن": 6, "ژوئیه": 7, "ژوییه": 7, "جولای": 7, "اوت": 8, "آگوست": 8, "سپتامبر": 9,
    "اکتبر": 10, "نوامبر": 11, "دسامبر": 12,
}  # fmt: skip
_LEVANTINE_NAMES: Final[dict[str, int]] = {
    "كانون الثاني": 1, "شباط": 2, "آذار": 3, "نيسان": 4, "أيار": 5, "ايار": 5, "حزيران": 6,
    "تموز": 7, "آب": 8, "أيلول": 9, "ايلول": 9, "تشرين الأول": 10, "تشرين الاول": 10,
    "تشرين الثاني": 11, "كانون الأول": 12, "كانون الاول": 12,
}  # fmt: skip
"""Syriac month names used for the Gregorian calendar in Syria, Iraq, Lebanon and Jordan."""
_MONTH_KEYS: Final = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_UNION_LANGUAGES: Final = (
    "de", "fr", "es", "it", "pt", "nl", "ru", "uk", "pl", "tr", "ar", "fa", "sv", "da", "nb",
    "fi", "cs", "ro", "hu", "el", "id", "bg", "sr", "hr", "sk", "sl", "lt", "lv", "et", "he",
    "ca", "az", "kk", "ur", "hy", "ka", "vi", "ms",
)  # fmt: skip

MonthTable = dict[str, tuple[int, str]]


def _strip_marks(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def _key(word: str) -> str:
    return " ".join(normalize_digits(word).lower().replace("ٔ", "").strip(" .,").split())


def _locale_months(code: str) -> dict[str, int]:
    try:
        info: dict[str, Any] = default_loader.get_locale(code).info
    except Exception:
        return {}
    out: dict[str, int] = {}
    for number, name in enumerate(_MONTH_KEYS, start=1):
        for spelling in info.get(name, []) or []:
            if isinstance(spelling, str) and not any(c.isdigit() for c in spelling):
                out[_key(spelling)] = number
    return out


@lru_cache(maxsize=256)
def _language_code(language: str | None) -> str | None:
    if not language:
        return None
    code = language.strip().replace("_", "-")
    if not code or len(code) > 20:
        return None
    try:
        known = default_loader.get_locale_map()
    except Exception:
        return None
    for candidate in (code, code.lower(), code.split("-")[0].lower()):
        if candidate in known:
            return candidate
    return None


def _add(table: MonthTable, name: str, value: tuple[int, str], min_len: int) -> None:
    key = _key(name)
    if len(key) < min_len:
        return
    for variant in {key, _strip_marks(key)}:
        table.setdefault(variant, value)


@lru_cache(maxsize=64)
def _month_table(code: str | None) -> MonthTable:
    """Month name -> (month, calendar): the hinted language first, then English, then Persian."""
    table: MonthTable = {}
    if code is not None and code != "en":
        for name, number in _locale_months(code).items():
            _add(table, name, (number, GREGORIAN), 2)
    for name, number in _locale_months("en").items():
        _add(table, name, (number, GREGORIAN), 3)
    for name, number in _JALALI_MONTH_NAMES.items():
        _add(table, name, (number, JALALI), 2)
    for name, number in (_PERSIAN_GREGORIAN_NAMES | _LEVANTINE_NAMES).items():
        _add(table, name, (number, GREGORIAN), 2)
    if code is None:  # no hint: every common language, minus names that disagree between them
        seen: dict[str, int | None] = {}
        for lang in _UNION_LANGUAGES:
            for name, number in _locale_months(lang).items():
                if name in seen and seen[name] != number:
                    seen[name] = None
                else:
                    seen.setdefault(name, number)
        for name, maybe in seen.items():
            if maybe is not None:
                _add(table, name, (maybe, GREGORIAN), 3)
    return table


def _lookup(table: MonthTable, word: str) -> tuple[int, str] | None:
    key = _key(word)
    return table.get(key) or table.get(_strip_marks(key))


# --- time zones ------------------------------------------------------------------------------

_NAMED_ZONES: Final[dict[str, str | float]] = {
    "Z": 0, "UTC": 0, "GMT": 0, "UT": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2,
    "MEZ": 1, "MESZ": 2, "EET": 2, "EEST": 3, "MSK": 3, "IRST": 3.5, "IRDT": 4.5,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
    "PT": "America/Los_Angeles",
}  # fmt: skip
_OFFSET_RE: Final = re.compile(r"(?:UTC|GMT)?\s?([+-])(\d{1,2})(?::?(\d{2}))?")


@lru_cache(maxsize=128)
def _zone(name: str | None) -> tzinfo:
    """IANA name, `+03:30`-style offset or known abbreviation; anything else is UTC."""
    if not name:
        return UTC
    found = _text_zone(name.strip())
    if found is not None:
        return found
    try:
        return ZoneInfo(name.strip())
    except Exception:
        return UTC


@lru_cache(maxsize=256)
def _text_zone(text: str) -> tzinfo | None:
    """The zone a text names: `Z`, `+0330`, `GMT+3`, `EDT`, `Europe/Berlin`; else None."""
    if "/" in text:
        try:
            return ZoneInfo(text)
        except Exception:
            return None
    named = _NAMED_ZONES.get(text.upper() if len(text) <= 4 else text)
    if isinstance(named, str):
        return ZoneInfo(named)
    if named is not None:
        return UTC if named == 0 else timezone(timedelta(hours=named))
    m = _OFFSET_RE.fullmatch(text)
    if m is None:
        return None
    hours, minutes = int(m.group(2)), int(m.group(3) or 0)
    if hours > (12 if m.group(1) == "-" else 14) or minutes not in (0, 15, 30, 45):
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if m.group(1) == "-" else delta) if delta else UTC


def _localize(naive: datetime, zone: tzinfo) -> datetime:
    """Attach `zone`; a wall time inside a DST gap moves forward to the real one."""
    aware = naive.replace(tzinfo=zone)
    if isinstance(zone, ZoneInfo):
        try:
            return aware.astimezone(UTC).astimezone(zone)
        except (OverflowError, ValueError):  # the last hours of year 9999
            return aware
    return aware


# --- patterns (run on normalised text) -------------------------------------------------------

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


@dataclass(frozen=True, slots=True)
class _Context:
    table: MonthTable
    zone: tzinfo
    order: str  # a/b/y with "/" or "-": "mdy" (English, or no hint) or "dmy" (other languages)
    prefer_jalali: bool


@lru_cache(maxsize=256)
def _context(language: str | None, timezone: str | None, prefer_jalali: bool) -> _Context:
    code = _language_code(language)
    lowered = (language or "").strip().lower().replace("_", "-")
    english = lowered.split("-")[0] == "en" and lowered[3:5] not in _DAY_FIRST_ENGLISH
    order = "mdy" if not lowered or english else "dmy"
    jalali = prefer_jalali or (code is not None and code.split("-")[0] == "fa")
    return _Context(_month_table(code), _zone(timezone), order, jalali)


_DAY_FIRST_ENGLISH: Final = frozenset({"gb", "ie", "au", "nz", "in", "za", "sg", "pk", "ng"})


def _two_digit_year(yy: int, jalali: bool) -> int:
    if jalali:
        return 1300 + yy if yy >= 50 else 1400 + yy
    return 2000 + yy if yy < 70 else 1900 + yy


def _ymd(kind: str, m: re.Match[str], ctx: _Context) -> tuple[int, int, int, str] | None:
    """(year, month, day, calendar) from one match, or None when it is not a date."""
    g = m.groupdict()
    if kind == "ymd":
        year, month, day = int(g["y"]), int(g["mo"]), int(g["d"])
        return year, month, day, JALALI if year in JALALI_YEARS else GREGORIAN
    if kind == "num":
        a, b, raw = int(g["a"]), int(g["b"]), g["y"]
        dotted = g["s"].startswith(".")
        short = len(raw) == 2 and len(g["a"] + g["b"]) != 4
        if short and (g["s"] == "-" or dotted) and not (dotted and ctx.order == "dmy"):
            return None  # "3.10.12" is a version number; German "8.5.12" is a date
        if len(raw) == 2 and ctx.prefer_jalali:  # Persian pages: yy/mm/dd, else dd/mm/yy
            for year, day in (
                (_two_digit_year(a, True), int(raw)),
                (_two_digit_year(int(raw), True), a),
            ):
                if _to_gregorian(year, b, day, JALALI) is not None:
                    return year, b, day, JALALI
            return None
        year = int(raw) if len(raw) == 4 else _two_digit_year(int(raw), False)
        # dots are day-first everywhere (Hertie School's English pages show 02.12.19 for
        # 2 December 2019); slashes and dashes follow the language: month-first in US English
        month_first = year not in JALALI_YEARS and not dotted and ctx.order != "dmy"
        if (month_first and a > 12 >= b) or (not month_first and b > 12 >= a):
            month_first = not month_first
        month, day = (a, b) if month_first else (b, a)
        return year, month, day, JALALI if year in JALALI_YEARS else GREGORIAN
    found = _lookup(ctx.table, g["mon"])
    if found is None:
        return None
    year = int(g["y"]) if len(g["y"]) == 4 else _two_digit_year(int(g["y"]), False)
    month, calendar = found
    if calendar == JALALI and year not in JALALI_YEARS:
        return None
    return year, month, int(g["d"]), calendar


def _time_of_day(m: re.Match[str]) -> time | None:
    """The time of day in the match; None when there is none or it is impossible."""
    if m.group("time") is None:
        return None
    hour, minute, second = int(m.group("hh")), int(m.group("mi")), int(m.group("ss") or 0)
    ampm = m.group("ampm")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        pm = ampm.lower().startswith(_PM)
        hour = (hour % 12) + (12 if pm else 0)
    if hour > 23 or minute > 59 or second > 60:
        return None
    return time(hour, minute, min(second, 59))


def _to_gregorian(year: int, month: int, day: int, calendar: str) -> date | None:
    try:
        if calendar == JALALI:
            if year not in JALALI_YEARS:
                return None
            converted: date = jdatetime.date(year, month, day).togregorian()
            return converted
        if year <= JALALI_YEARS[-1]:
            return None  # never a Gregorian 1399 (and no think tank wrote before 1500)
        return date(year, month, day)
    except (ValueError, OverflowError, TypeError):
        return None


def _from_match(
    kind: str,
    m: re.Match[str],
    ctx: _Context,
    original: str,
    impossible: list[str] | None = None,
    floor: int = 0,
) -> tuple[ParsedDate, int, int] | None:
    """(date, start, end) for one match, or None (noted in `impossible` if date-shaped).

    A time of day right before the date ("10:30 AM EST, Thu November 9, 2023") is read when
    none follows it, but never from text before `floor` (what an earlier date already used).
    """
    parts = _ymd(kind, m, ctx)
    if parts is None:
        return None
    day = _to_gregorian(*parts)
    if day is None:
        if impossible is not None:
            impossible.append(m.group("date"))
        return None
    start, end, zone, explicit = m.start(), m.end("date"), ctx.zone, False
    timed: re.Match[str] = m
    clock = _time_of_day(m)  # an impossible "time" (a duration, 25:61) is left unread
    if clock is None and m.group("time") is None:
        lead = _LEADING_TIME_RE.search(m.string, max(floor, start - 40), start)
        if lead is not None and (clock := _time_of_day(lead)) is not None:
            timed, start = lead, lead.start()
    if clock is not None:
        if timed is m:
            end = max(end, m.end("time"))
        offset = timed.group("tz")
        found = _text_zone(offset.strip()) if offset else None
        if found is not None:
            zone, explicit = found, True
            if timed is m:
                end = max(end, m.end("tz"))
    value = _localize(datetime.combine(day, clock or time()), zone)
    matched = original[start:end].strip(" ,-")
    return ParsedDate(value, clock is not None, parts[3], matched, explicit), start, end


def _whole(norm: str, original: str, ctx: _Context) -> ParsedDate | None:
    """The fast path for a value that is one date and nothing else (meta tags, JSON-LD)."""
    start, end = len(norm) - len(norm.lstrip()), len(norm.rstrip())
    for kind, pattern in _PATTERNS:
        m = pattern.fullmatch(norm, start, end)
        if m is not None:
            result = _from_match(kind, m, ctx, original)
            if result is not None and result[2] == end:
                return result[0]
    return None


def _windows(norm: str) -> list[tuple[int, int]]:
    """Stretches of text around digits: every date has one, so prose between is skipped."""
    if len(norm) <= 4 * WINDOW_BEFORE:
        return [(0, len(norm))] if _WORTH_RE.search(norm) else []
    spans: list[tuple[int, int]] = []
    for m in _DIGITS_RE.finditer(norm):
        start, end = max(0, m.start() - WINDOW_BEFORE), min(len(norm), m.end() + WINDOW_AFTER)
        limit = max(0, start - WINDOW_BEFORE)
        while start > limit and not norm[start - 1].isspace():  # do not cut a month name
            start -= 1
        limit = min(len(norm), end + WINDOW_AFTER)
        while end < limit and not norm[end].isspace():
            end += 1
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return [(start, end) for start, end in spans if _WORTH_RE.search(norm, start, end)]


def _scan(
    norm: str, original: str, ctx: _Context, impossible: list[str] | None = None
) -> Iterator[tuple[int, int, ParsedDate]]:
    """(start, end, date) for every date the regexes find, in text order, without overlaps.

    Date-shaped matches that name no real day (30 February) are added to `impossible`.
    """
    found: list[tuple[int, int, str, re.Match[str]]] = []
    for start, end in _windows(norm):
        for kind, pattern in _PATTERNS:
            found.extend((m.start(), -m.end(), kind, m) for m in pattern.finditer(norm, start, end))
    found.sort(key=lambda item: (item[0], item[1]))
    taken_until = -1
    for start, _, kind, m in found:
        if start < taken_until:
            continue
        result = _from_match(kind, m, ctx, original, impossible, max(taken_until, 0))
        if result is not None:
            taken_until = result[2]
            yield result[1], result[2], result[0]


# --- dateparser fallback ---------------------------------------------------------------------


@lru_cache(maxsize=64)
def _date_parser(code: str | None, relative_base: datetime | None) -> Any:
    """A cached `DateDataParser`: full dates only, never timestamps or digit runs."""
    settings: dict[str, Any] = {
        "PARSERS": ["absolute-time"],
        "REQUIRE_PARTS": ["day", "month", "year"],
        "PREFER_DAY_OF_MONTH": "first",
        "RELATIVE_BASE": relative_base or datetime(2000, 1, 1),
    }
    if relative_base is not None:
        settings["PARSERS"] = ["relative-time", "absolute-time"]
        del settings["REQUIRE_PARTS"]
    languages = [code] if code else ["en", *_UNION_LANGUAGES]  # not all 200: detection is slow
    return DateDataParser(languages=languages, settings=settings)


def _dateparser(
    original: str, ctx: _Context, code: str | None, relative_to: datetime | None = None
) -> ParsedDate | None:
    """dateparser on a short string (its own locale data has the Arabic yeh and kaf)."""
    stripped = original.translate(_DIGITS_ONLY).strip()
    if len(stripped) > MAX_DATEPARSER_CHARS or not any(c.isalpha() for c in stripped):
        return None  # numeric shapes are the regexes' job: dateparser would guess at them
    if relative_to is None and (
        not _YEAR_RE.search(stripped) or len(_DIGITS_RE.findall(stripped)) < 2
    ):
        return None  # an absolute date has a day and a year: spares dateparser's detection
    base: datetime | None = None
    if relative_to is not None:
        anchor = relative_to if relative_to.tzinfo else relative_to.replace(tzinfo=UTC)
        base = anchor.astimezone(ctx.zone).replace(tzinfo=None)
    try:
        result = _date_parser(code, base).get_date_data(stripped)
        parsed, parts = result.date_obj, tuple(getattr(result, "parts", None) or ())
    except Exception:
        return None
    if not isinstance(parsed, datetime):
        return None
    has_time = "time" in parts or bool(_HAS_TIME_RE.search(stripped))
    explicit = parsed.tzinfo is not None
    if base is not None and not explicit and not _HAS_TIME_RE.search(stripped):
        # a relative date: "3 days ago" keeps the base's time of day, "2 hours ago" does not
        has_time = parsed.time() != base.time()
    if not has_time and not explicit:
        parsed = datetime.combine(parsed.date(), time())
    value = parsed if explicit else _localize(parsed, ctx.zone)
    if value.year <= JALALI_YEARS[-1]:
        return None  # dateparser reads 1399/02/21 as Gregorian 1399: never accept that
    return ParsedDate(value, has_time, GREGORIAN, original.strip(), explicit)


# --- public API ------------------------------------------------------------------------------


def parse_date(
    text: str,
    *,
    language: str | None = None,
    timezone: str | None = None,
    prefer_jalali: bool = False,
    relative_to: datetime | None = None,
) -> ParsedDate | None:
    """The first date in `text` (a date string, or a short line such as "Published June 30, 2023").

    `language` is the page's or source's language hint (month names, day/month order);
    `timezone` the zone for text without its own offset (IANA name, default UTC);
    `prefer_jalali` reads two-digit years as Solar Hijri (`99/02/21`); relative dates
    ("3 days ago", "yesterday") are read only when `relative_to` is given. Never raises.

    >>> parse_date("۲۹ بهمن ۱۳۹۸ - ۰۶:۵۵", timezone="Asia/Tehran").value.isoformat()
    '2020-02-18T06:55:00+03:30'
    """
    try:
        if not isinstance(text, str) or not text.strip():
            return None
        ctx = _context(language, timezone, prefer_jalali)
        original = text[:MAX_SCAN_CHARS]
        norm = normalize_digits(original)
        whole = _whole(norm, original, ctx)
        if whole is not None:
            return whole
        shapes: list[str] = []
        for _, _, parsed in _scan(norm, original, ctx, shapes):
            return parsed
        if shapes:
            return None  # a date we can read but which does not exist (February 30)
        return _dateparser(original, ctx, _language_code(language), relative_to)
    except Exception:  # pragma: no cover - a last guard: the contract is "never raises"
        return None


def find_dates(
    text: str, *, language: str | None = None, timezone: str | None = None, limit: int = 20
) -> list[ParsedDate]:
    """Date-looking substrings of a longer visible text, in text order (at most `limit`).

    Regexes only, run on the stretches around digits: ISO and numeric dates, RFC 822, month
    names in `language` (else in the common languages), Jalali dates ("Published June 30,
    2023", "Jan 16, 2025 4 min read", "۲۹ بهمن ۱۳۹۸ - ۰۶:۵۵"). dateparser is never called here
    (on prose it is slow and guesses); relative dates are never read. Never raises.
    """
    try:
        if not isinstance(text, str) or limit <= 0:
            return []
        ctx = _context(language, timezone, False)
        original = text[:MAX_SCAN_CHARS]
        norm = normalize_digits(original)
        return [parsed for _, _, parsed in islice(_scan(norm, original, ctx), limit)]
    except Exception:  # pragma: no cover - a last guard: the contract is "never raises"
        return []


def plausible(dt: datetime, *, now: datetime, earliest: datetime = EARLIEST) -> bool:
    """True when `dt` is a believable publication date: from `earliest` (1990) to `now` + 1 day.

    Naive datetimes are taken as UTC. Zero dates such as `-0001-11-30` never get this far
    (they do not parse) and `0001-01-01`-style placeholders fall before `earliest`.
    """
    try:
        if not isinstance(dt, datetime):
            return False

        def aware(x: datetime) -> datetime:
            return (
                x if x.tzinfo is not None and x.utcoffset() is not None else x.replace(tzinfo=UTC)
            )

        return aware(earliest) <= aware(dt) <= aware(now) + timedelta(days=1)
    except (OverflowError, TypeError, ValueError):
        return False


_URL_DATE_RE: Final = re.compile(
    r"(?:^|/)(?P<y>(?:19|20)\d\d|1[34]\d\d)/(?P<mo>\d{1,2})/(?P<d>\d{1,2})(?=[/._-]|$)"
    r"|(?:^|[/_-])(?P<y2>(?:19|20)\d\d|1[34]\d\d)-(?P<mo2>\d\d)-(?P<d2>\d\d)(?=[/_.-]|$)"
)


def date_from_url(url: str, *, timezone: str | None = None) -> ParsedDate | None:
    """A date written as clear path segments: `/2025/07/09/` or `/2025-07-09-title`.

    Month-only paths (`/2019/08/`) and digit runs (`120200622120908039`) are too risky and
    give None; Jalali years (`/1404/04/18/`) are converted. Only the path is read.
    """
    try:
        path = unquote(urlsplit(url).path)
        m = _URL_DATE_RE.search(normalize_digits(path))
        if m is None:
            return None
        year = int(m.group("y") or m.group("y2"))
        month = int(m.group("mo") or m.group("mo2"))
        day_number = int(m.group("d") or m.group("d2"))
        calendar = JALALI if year in JALALI_YEARS else GREGORIAN
        day = _to_gregorian(year, month, day_number, calendar)
        if day is None:
            return None
        value = _localize(datetime.combine(day, time()), _zone(timezone))
        return ParsedDate(value, False, calendar, path[m.start() : m.end()].strip("/_-"), False)
    except Exception:
        return None
