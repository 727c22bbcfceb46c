"""Which date wins (scraper.extract.datepick); candidates are built here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from scraper.extract.datepick import (
    DateCandidate,
    choose,
    date_from_url,
    find_visible,
    month_from_url,
    parse,
)
from scraper.models import FieldOrigin

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _c(
    value: datetime, origin: FieldOrigin = FieldOrigin.JSON_LD, has_time: bool = True
) -> DateCandidate:
    return DateCandidate(value, origin, has_time, value.isoformat())


def test_parse_validates() -> None:
    assert (
        parse(
            "-0001-11-30T00:00:00+00:00", FieldOrigin.JSON_LD, language=None, timezone=None, now=NOW
        )
        is None
    )
    assert parse("2030-01-01", FieldOrigin.META, language=None, timezone=None, now=NOW) is None
    assert parse("1985-01-01", FieldOrigin.META, language=None, timezone=None, now=NOW) is None
    c = parse("2020-05-10T18:59:01+04:30", FieldOrigin.META, language=None, timezone=None, now=NOW)
    assert c is not None and c.value.utcoffset() == timedelta(hours=4, minutes=30)


def test_jalali_meta_string() -> None:
    c = parse(
        "۱۳۹۹/۰۲/۲۱ - ۱۸:۵۹", FieldOrigin.META, language="fa", timezone="Asia/Tehran", now=NOW
    )
    assert c is not None and c.value.date().isoformat() == "2020-05-10"


def test_same_instant_two_offsets_follows_visible_day() -> None:
    utc = datetime(2021, 11, 4, 23, 0, tzinfo=UTC)
    local = utc.astimezone(timezone(timedelta(hours=1)))
    visible = _c(datetime(2021, 11, 5, tzinfo=UTC), FieldOrigin.HEURISTIC, has_time=False)
    assert choose([_c(utc), _c(local, FieldOrigin.META)], visible, None) == _c(
        local, FieldOrigin.META
    )
    # no second candidate: the instant is re-expressed in the source's zone
    got = choose([_c(utc)], visible, "Europe/Berlin")
    assert got is not None and got.value == utc and got.value.date().isoformat() == "2021-11-05"


def test_local_offset_beats_utc_without_visible_line() -> None:
    utc = datetime(2017, 2, 24, 1, 18, tzinfo=UTC)
    local = utc.astimezone(timezone(timedelta(hours=-8)))
    got = choose([_c(utc), _c(local, FieldOrigin.META)], None, None)
    assert got is not None and got.value.date().isoformat() == "2017-02-23"


def test_visible_line_beats_disagreeing_metadata() -> None:
    meta = _c(datetime(2017, 8, 21, 13, 9, tzinfo=UTC))
    visible = _c(datetime(2019, 4, 3, tzinfo=UTC), FieldOrigin.HEURISTIC, has_time=False)
    assert choose([meta], visible, None) == visible
    assert choose([meta], None, None) == meta
    assert choose([], None, None) is None


def test_find_visible_skips_updated_and_embeds() -> None:
    texts = [
        "— Someone (@someone) October 31, 2021",
        "Last Updated: January 7, 2025",
        "March 3, 2020",
    ]
    got = find_visible(texts, language="en", timezone=None, now=NOW)
    assert got is not None and got.value.date().isoformat() == "2020-03-03"
    got = find_visible(
        ["January 19, 2020 / Updated 8 hours ago"], language="en", timezone=None, now=NOW
    )
    assert got is not None and got.value.date().isoformat() == "2020-01-19"


def test_url_dates() -> None:
    got = date_from_url("https://x.org/2020/05/10/slug", "Asia/Tehran", NOW)
    assert got is not None and got.value.date().isoformat() == "2020-05-10"
    assert date_from_url("https://x.org/2031/05/10/slug", None, NOW) is None
    assert date_from_url("https://x.org/a/b", None, NOW) is None


def test_agreeing_metadata_outvotes_one_date_line() -> None:
    ld = _c(datetime(2022, 8, 14, 15, 40, tzinfo=UTC))
    meta = _c(datetime(2022, 8, 14, 15, 43, tzinfo=UTC), FieldOrigin.META)
    typo = _c(datetime(2021, 8, 14, tzinfo=UTC), FieldOrigin.HEURISTIC, has_time=False)
    assert choose([ld, meta], typo, None) == ld
    assert choose([ld], typo, None) == typo


def test_event_and_registration_lines_are_not_publication_dates() -> None:
    lines = [
        "Termin: 21.02.2020, 19 Uhr",
        "Registriert: 18.09.2008, 05:56",
        "Version 3, 29 June 2007",
    ]
    assert find_visible(lines, language="de", timezone=None, now=NOW) is None


def test_find_visible_reads_a_date_glued_to_a_name() -> None:
    # hand-written: author and date in adjacent spans, walked into one line without a space
    got = find_visible(["Tanja Karrasch3.11.2023"], language="de", timezone=None, now=NOW)
    assert got is not None and got.value.date().isoformat() == "2023-11-03"


def test_find_visible_skips_a_date_in_the_middle_of_prose() -> None:
    # hand-written: a sentence of the article that mentions an event's date
    prose = (
        "Am Tag des digitalen Lehrens und Lernens am 26. September 2019 an der Hochschule bieten "
        "wir zum ersten Mal einen Workshop an, zu dem alle eingeladen sind."
    )
    assert find_visible([prose], language="de", timezone=None, now=NOW) is None
    opening = "26. September 2019 – Die Hochschule bietet zum ersten Mal einen Workshop an, " * 2
    got = find_visible([opening], language="de", timezone=None, now=NOW)
    assert got is not None and got.value.date().isoformat() == "2019-09-26"


def test_metadata_in_the_url_month_beats_a_date_line_outside_it() -> None:
    # hand-written: /2019/10/ path, meta 1 October 2019, a stray "18. Januar 2019" line
    meta = _c(datetime(2019, 10, 1, tzinfo=UTC), FieldOrigin.META, has_time=False)
    line = _c(datetime(2019, 1, 18, tzinfo=UTC), FieldOrigin.HEURISTIC, has_time=False)
    month = month_from_url("https://blog.example/2019/10/new-shoes/")
    assert month == (2019, 10)
    assert choose([meta], line, None, url_month=month) is meta
    assert choose([meta], line, None) is line  # without the URL the date line still decides


def test_find_visible_reads_a_labelled_date_at_the_end_of_a_long_line() -> None:
    # hand-written: a print footer with a "Stand:" label before the date
    line = (
        "Quelle: Landeshauptstadt Beispielstadt - Startseite Ihr Pfad: beispielstadt.de "
        "[Stand: 09.10.2017, 01:40 Uhr]"
    )
    got = find_visible([line], language="de", timezone=None, now=NOW, allow_updated=True)
    assert got is not None and got.value.date().isoformat() == "2017-10-09"
