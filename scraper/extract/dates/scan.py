"""Regex matches -> `ParsedDate`: the regex path of :mod:`scraper.extract.dates`.

The per-call context (month table, default zone, day/month order, Jalali preference), reading
one match (numeric order, month names, Jalali conversion, time of day before or after, zone),
the whole-string fast path and the scan over the stretches of text around digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from functools import lru_cache
from typing import Final

from scraper.extract.dates.calendars import (
    GREGORIAN,
    JALALI,
    JALALI_YEARS,
    ParsedDate,
    _localize,
    _text_zone,
    _to_gregorian,
    _two_digit_year,
    _zone,
)
from scraper.extract.dates.months import MonthTable, _language_code, _lookup, _month_table
from scraper.extract.dates.patterns import (
    _DIGITS_RE,
    _LEADING_TIME_RE,
    _PATTERNS,
    _PM,
    _WORTH_RE,
    WINDOW_AFTER,
    WINDOW_BEFORE,
)


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
