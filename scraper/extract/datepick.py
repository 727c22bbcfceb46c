"""Which date wins: rules > JSON-LD > meta > ``<time>`` > the visible date line > the URL.

Every candidate is parsed by :mod:`scraper.extract.dates` (ISO, RFC 822, month names, Jalali) and
validated: a date it cannot parse, a zero date (``-0001-11-30``) or an implausible one (future,
before 1990) loses. When a visible date line exists and the winner's day differs from it, a
lower candidate on the visible day wins instead (the same instant written with two offsets), or
the winner is re-expressed in the source's time zone when that moves it onto the visible day.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import timezone as fixed_zone
from typing import Any
from zoneinfo import ZoneInfo

from scraper.models import FieldOrigin

__all__ = ["DateCandidate", "choose", "date_from_url", "find_visible", "month_from_url", "parse"]

_JALALI_HINT = re.compile(r"[\u06f0-\u06f9\u0660-\u0669]|^\s*1[34]\d\d\s*[/\-.]")
_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/\-_]?(0[1-9]|1[0-2])[/\-_]?(0[1-9]|[12]\d|3[01])(?:/|[^\d]|$)"
)


_UPDATED = re.compile(
    r"\b(?:last\s+)?(?:updated|modified|edited|revised|aktualisiert|geändert|bearbeitet"
    r"|mis\s+à\s+jour|actualizado|actualización|aggiornato|обновлено|изменено)\b"
    r"|به[\s\u200c]*روز|ویرایش",
    re.I,
)
_NOT_PUBLICATION = re.compile(
    r"^\W*(?:termin|veranstaltung|event|registriert|registered|joined|mitglied\s+seit"
    r"|member\s+since|deadline|frist|anmeldeschluss|geboren|born|version)\b",
    re.I,
)
# "Tanja Karrasch3.11.2023": a name and a numeric date in adjacent inline elements
_GLUED = re.compile(r"(?<=[^\W\d_]{2})(?=\d{1,2}[./]\d{1,2}[./]\d{2,4}\b)")
_PROSE_CHARS = 100
_PROSE_OFFSET = 40
_EMBED = re.compile(r"\(@\w+\)|pic\.twitter\.com|—\s*\w[\w\s.]*\(@")


@dataclass(frozen=True, slots=True)
class DateCandidate:
    """A parsed date and where it came from."""

    value: datetime
    origin: FieldOrigin
    has_time: bool
    raw: str


def _dates() -> Any:
    """The dates module (written in parallel; absent or incomplete means no dates)."""
    try:
        mod = importlib.import_module("scraper.extract.dates")
    except Exception:  # a half-written module must not break extraction
        return None
    return mod if hasattr(mod, "parse_date") else None


def _zone(name: str | None) -> tzinfo:
    if name:
        try:
            return ZoneInfo(name)
        except Exception:
            return UTC
    return UTC


def parse(
    raw: str,
    origin: FieldOrigin,
    *,
    language: str | None,
    timezone: str | None,
    now: datetime,
) -> DateCandidate | None:
    """One raw string as a validated candidate, or None."""
    mod = _dates()
    if mod is None or not raw or len(raw) > 200:
        return None
    try:
        parsed = mod.parse_date(
            raw,
            language=language,
            timezone=timezone,
            prefer_jalali=bool(_JALALI_HINT.search(raw)),
        )
        if parsed is None or not mod.plausible(parsed.value, now=now):
            return None
    except Exception:
        return None
    return DateCandidate(parsed.value, origin, bool(parsed.has_time), raw)


def find_visible(
    texts: list[str],
    *,
    language: str | None,
    timezone: str | None,
    now: datetime,
    allow_updated: bool = False,
) -> DateCandidate | None:
    """The first plausible date in the date/byline lines near the headline.

    ``allow_updated`` (a last resort) also reads "Updated: ..." lines.
    """
    mod = _dates()
    if mod is None:
        return None
    for line in texts:
        if not line or len(line) > 300 or _EMBED.search(line) or _NOT_PUBLICATION.search(line):
            continue
        # "January 19, 2020 / Updated 8 hours ago": only what comes before "updated"
        text = line if allow_updated else _UPDATED.split(line, maxsplit=1)[0]
        if not text.strip():
            continue
        text = _GLUED.sub(" ", text)
        prose = len(text) > _PROSE_CHARS and len(text.split()) >= 12
        try:
            found = mod.find_dates(text, language=language, timezone=timezone)
        except Exception:
            continue
        for parsed in found:
            at = text.find(parsed.matched)
            if prose and at > _PROSE_OFFSET and not text[:at].rstrip().endswith(":"):
                # a date in the middle of a sentence ("am 26. September 2019 an der THM bieten
                # wir...") is what the text talks about, not when it was published; a labelled
                # one ("... [Stand: 09.10.2017, 01:40 Uhr]") is a date line
                continue
            try:
                ok = mod.plausible(parsed.value, now=now)
            except Exception:
                ok = False
            if ok:
                return DateCandidate(
                    parsed.value, FieldOrigin.HEURISTIC, bool(parsed.has_time), line
                )
    return None


def date_from_url(url: str | None, timezone: str | None, now: datetime) -> DateCandidate | None:
    """``/2020/05/10/`` or ``/20200510`` in the URL path."""
    if not url:
        return None
    m = _URL_DATE.search(url)
    if not m:
        return None
    try:
        value = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=_zone(timezone))
    except ValueError:
        return None
    if value > now + timedelta(days=1) or value.year < 1990:
        return None
    return DateCandidate(value, FieldOrigin.URL, False, m.group(0))


_URL_MONTH = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/")


def month_from_url(url: str | None) -> tuple[int, int] | None:
    """The ``(year, month)`` of a ``/2019/10/`` URL path (with or without a day after it)."""
    if not url:
        return None
    m = _URL_MONTH.search(url.split("?", 1)[0].split("#", 1)[0])
    return (int(m.group(1)), int(m.group(2))) if m else None


def _day(c: DateCandidate) -> str:
    return c.value.date().isoformat()


def choose(
    candidates: list[DateCandidate],
    visible: DateCandidate | None,
    timezone: str | None,
    *,
    trusted: bool = True,
    url_month: tuple[int, int] | None = None,
) -> DateCandidate | None:
    """The winning candidate (``candidates`` in priority order, ``visible`` the date line).

    ``trusted`` says the date line sits under the headline (not a "today" date in the site
    header): only then does it overrule metadata that disagrees. ``url_month`` is the
    ``/2019/10/`` year and month of the URL path: metadata in that month beats a date line
    outside it.
    """
    if not candidates:
        return visible
    best = candidates[0]
    if visible is None:
        # the same instant written twice: the publisher's local offset beats UTC
        if best.has_time and not (best.value.utcoffset() or timedelta(0)):
            for cand in candidates[1:]:
                if cand.has_time and cand.value == best.value and cand.value.utcoffset():
                    return cand
        return best
    target = visible.value.date()
    if best.value.date() == target:
        return best
    # a lower candidate on the visible day: the same instant, another offset
    for cand in candidates[1:]:
        if cand.origin in {FieldOrigin.URL} or cand.value.date() != target:
            continue
        if abs(cand.value - best.value) <= timedelta(hours=26):
            return cand
    if (
        best.has_time
        and not visible.has_time
        and abs(best.value.date() - target) <= timedelta(days=1)
    ):
        if timezone:
            local = best.value.astimezone(_zone(timezone))
            if local.date() == target:
                return DateCandidate(local, best.origin, True, best.raw)
        # the offset nearest to the written one that puts the instant on the visible day
        off = best.value.utcoffset() or timedelta(0)
        for hours in range(1, 7):  # a wall clock mislabelled by a few hours, not half a day
            for sign in (1, -1):
                new_off = off + sign * timedelta(hours=hours)
                if not timedelta(hours=-12) <= new_off <= timedelta(hours=14):
                    continue
                moved = best.value.astimezone(fixed_zone(new_off))
                if moved.date() == target:
                    return DateCandidate(moved, best.origin, True, best.raw)
    if best.origin is not FieldOrigin.URL:
        try:  # 11.03.17 read day-first while the metadata says 3 November: trust the metadata
            swapped = target.replace(month=target.day, day=target.month)
        except ValueError:
            swapped = None
        if swapped == best.value.date() or not trusted:
            return best
        # two structured sources agreeing on a day outvote one line of text
        agreeing = [
            c
            for c in candidates
            if c.origin in {FieldOrigin.JSON_LD, FieldOrigin.META, FieldOrigin.RULES}
            and c.value.date() == best.value.date()
        ]
        if len({(c.origin, c.raw) for c in agreeing}) >= 2 and best.origin is not FieldOrigin.RULES:
            return best
        # the URL's /2019/10/ path, written when the article was filed, sides with the metadata
        if url_month is not None and (best.value.year, best.value.month) == url_month:
            return best
    return visible
