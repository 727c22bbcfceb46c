"""Month names -> (month, calendar) for :mod:`scraper.extract.dates`, and language hints.

Jalali month names (Persian and Latin spellings), Persian and Levantine names of the Gregorian
months, and the names `dateparser`'s locale data has: the hinted language first, then English,
then Persian; without a hint, the common languages minus names that disagree between them.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any, Final

from dateparser.languages.loader import default_loader

from scraper.extract.dates.calendars import GREGORIAN, JALALI, normalize_digits

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
