"""Calendars, digits and zones: what every other part of :mod:`scraper.extract.dates` shares.

The result type `ParsedDate`; `normalize_digits` (Persian/Arabic-Indic digits, Arabic yeh/kaf,
odd spaces, same length out as in); Solar Hijri / Jalali years and their conversion with
`jdatetime`; time zones named by the text (`Z`, `+0330`, `EDT`, IANA names) or by the caller,
applied with `zoneinfo`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

import jdatetime

GREGORIAN: Final = "gregorian"
JALALI: Final = "jalali"
JALALI_YEARS: Final = range(1200, 1501)
"""A year in this range in a Jalali-shaped date is Solar Hijri, never Gregorian."""


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


# --- two-digit years, Jalali -> Gregorian -----------------------------------------------------


def _two_digit_year(yy: int, jalali: bool) -> int:
    if jalali:
        return 1300 + yy if yy >= 50 else 1400 + yy
    return 2000 + yy if yy < 70 else 1900 + yy


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
