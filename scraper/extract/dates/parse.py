"""The entry points of :mod:`scraper.extract.dates`: `parse_date`, `find_dates`, `plausible`,
`date_from_url`, and the `dateparser` fallback that only `parse_date` uses.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from itertools import islice
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from dateparser.date import DateDataParser

from scraper.extract.dates.calendars import (
    _DIGITS_ONLY,
    GREGORIAN,
    JALALI,
    JALALI_YEARS,
    ParsedDate,
    _localize,
    _to_gregorian,
    _zone,
    normalize_digits,
)
from scraper.extract.dates.months import _UNION_LANGUAGES, _language_code
from scraper.extract.dates.patterns import _DIGITS_RE, _HAS_TIME_RE, _YEAR_RE
from scraper.extract.dates.scan import _Context, _context, _scan, _whole

EARLIEST: Final = datetime(1990, 1, 1, tzinfo=UTC)
MAX_DATEPARSER_CHARS: Final = 80
"""Longer strings never reach dateparser (slow, and it guesses on prose)."""
MAX_SCAN_CHARS: Final = 200_000


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
