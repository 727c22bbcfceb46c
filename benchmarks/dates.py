"""Date parsing speed: `scraper.extract.dates` vs `dateparser.parse` on the same strings.

Strings are the shapes real pages carry (meta/JSON-LD values, visible date lines, Jalali dates in
Persian digits); `dateparser.parse` gets the same language hint. Also times `find_dates` on date
lines and on a long prose text with a date at its end.

    python benchmarks/dates.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dateparser

from scraper.extract.dates import find_dates, parse_date

VALUES: list[tuple[str, str | None]] = [
    ("2020-05-10T18:59:01+04:30", None),
    ("2014-08-12T12:24:00Z", None),
    ("2020-02-18 T 07:20:50 +0330", None),
    ("2025-07-09", None),
    ("Tue, 09 Jul 2025 14:03:00 +0000", None),
    ("9 July 2025", "en"),
    ("Published June 30, 2023", "en"),
    ("August 06, 2019", "en"),
    ("5. November 2021", "de"),
    ("9 июля 2025", "ru"),
    ("02.12.19", "de"),
    ("۲۹ بهمن ۱۳۹۸ - ۰۶:۵۵", "fa"),
    ("۱۳۹۹/۰۲/۲۱ - ۱۸:۵۹", "fa"),
    ("2 تير 1399 - 12:09:08 ب.ظ", "fa"),
]
LINES: list[str] = [
    "By Jane Doe | Published June 30, 2023 | 5 min read",
    "Nov 21, 20164 min read",
    "Commentary by John Smith — January 16, 2025",
    "کد خبر: ۱۳۵۳۸۸۹ تاریخ انتشار: ۲۹ بهمن ۱۳۹۸ - ۰۶:۵۵",
    "Home / Analysis / Europe",
]
PROSE = (
    "The negotiations between the parties continued through the summer, and analysts in Tehran "
    "and Washington expected further rounds before 3 elections. "
) * 80 + "Published 9 July 2025."


def per_second(func: Callable[[], object], count: int, rounds: int) -> float:
    """Calls per second of `func` (each call handles `count` items), best of 3."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(rounds):
            func()
        best = min(best, time.perf_counter() - start)
    return count * rounds / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    rounds: int = args.rounds

    def ours() -> None:
        for text, language in VALUES:
            parse_date(text, language=language, timezone="Asia/Tehran")

    def theirs() -> None:
        for text, language in VALUES:
            dateparser.parse(text, languages=[language] if language else None)

    ours()
    theirs()  # warm both caches
    mine = per_second(ours, len(VALUES), rounds)
    peer = per_second(theirs, len(VALUES), max(1, rounds // 10))
    print(f"parse_date        {mine:10,.0f} values/s")
    print(f"dateparser.parse  {peer:10,.0f} values/s   (ours {mine / peer:.1f}x)")

    lines = per_second(lambda: [find_dates(line) for line in LINES], len(LINES), rounds)
    print(f"find_dates lines  {lines:10,.0f} lines/s")
    prose = per_second(lambda: find_dates(PROSE), 1, max(1, rounds // 4))
    print(f"find_dates prose  {prose:10,.0f} texts/s  ({len(PROSE):,} chars each)")
    wrong = [text for text, language in VALUES if parse_date(text, language=language) is None]
    print(f"unparsed by us: {wrong or 'none'}")


if __name__ == "__main__":
    main()
