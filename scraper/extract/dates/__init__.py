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

The package (this module only re-exports):

- `calendars`: `ParsedDate`, `normalize_digits`, Jalali years and conversion, time zones (step 1,
  2 and 4);
- `months`: month-name tables (Jalali, Persian and Levantine Gregorian, `dateparser`'s locales)
  and language hints;
- `patterns`: the regexes, run on normalised text;
- `scan`: one match -> `ParsedDate` (step 3 and 5), the whole-string fast path, the scan of a
  longer text;
- `parse`: the entry points `parse_date`, `find_dates`, `plausible`, `date_from_url`, and the
  `dateparser` fallback.
"""

from __future__ import annotations

from scraper.extract.dates.calendars import ParsedDate, normalize_digits
from scraper.extract.dates.parse import date_from_url, find_dates, parse_date, plausible

__all__ = [
    "ParsedDate",
    "date_from_url",
    "find_dates",
    "normalize_digits",
    "parse_date",
    "plausible",
]
