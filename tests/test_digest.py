"""The pure digest: period keys, selection, summaries, rendering (golden files), headers."""

from __future__ import annotations

import email
import email.policy
import os
import re
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from feeds.digest import Digest, build, render, select_items, summarize
from feeds.message import build_message, message_id_for
from feeds.period import (
    due_period,
    next_period,
    parse_period,
    period_bounds,
    period_for,
    periods_between,
)
from scraper.config import Config, DigestConfig, SubscriberConfig, parse_config
from scraper.errors import MailError
from scraper.models import StoredArticle

GOLDEN = Path(__file__).parent / "golden" / "digest"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

# --- periods --------------------------------------------------------------------------------

# (zone, period containing a DST change, expected length in hours)
DST_WEEKS = [
    ("Europe/Berlin", "2025-W13", 167),  # Sun 30 Mar 2025 02:00 -> 03:00
    ("Europe/Berlin", "2025-W43", 169),  # Sun 26 Oct 2025 03:00 -> 02:00
    ("America/New_York", "2025-W10", 167),  # Sun 9 Mar 2025
    ("America/New_York", "2025-W44", 169),  # Sun 2 Nov 2025
    ("Asia/Tehran", "2022-W12", 167),  # 22 Mar 2022 00:00 -> 01:00 (last DST year)
    ("Asia/Tehran", "2022-W38", 169),  # 22 Sep 2022 00:00 -> 23:00 the day before
    ("America/Santiago", "2025-W36", 167),  # Sun 7 Sep 2025, midnight skipped
    ("Asia/Tehran", "2010-W12", 167),  # Mon 22 Mar 2010: the week's own midnight is skipped
]


@pytest.mark.parametrize(("zone", "period", "hours"), DST_WEEKS)
def test_dst_week_has_one_key_and_contiguous_bounds(zone: str, period: str, hours: int) -> None:
    start, end = period_bounds(period, zone)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=hours)
    assert start.astimezone(ZoneInfo(zone)).weekday() == 0
    assert start.hour == (1 if period == "2010-W12" else 0)  # first instant that exists
    # every instant of the week, hour by hour (UTC), maps to that one key
    keys = set()
    t = start.astimezone(UTC)  # aware arithmetic in one zone is wall-clock: step in UTC
    while t < end:
        keys.add(period_for(t, zone))
        t += timedelta(minutes=30)
    assert keys == {period}
    assert period_for(start.astimezone(UTC) - timedelta(seconds=1), zone) == next_period(period, -1)
    assert period_for(end, zone) == next_period(period)
    assert period_bounds(next_period(period), zone)[0] == end


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Tehran", "UTC"])
def test_a_whole_year_tiles_into_weeks(zone: str) -> None:
    t = datetime(2021, 12, 20, tzinfo=UTC)
    seen: dict[str, tuple[datetime, datetime]] = {}
    while t < datetime(2023, 1, 10, tzinfo=UTC):
        key = period_for(t, zone)
        if key not in seen:
            seen[key] = period_bounds(key, zone)
        start, end = seen[key]
        assert start <= t < end, (key, t)
        t += timedelta(hours=1)
    ordered = sorted(seen)
    assert ordered == [ordered[0], *periods_between(ordered[0], ordered[-1])]
    assert "2022-W52" in seen and "2020-W53" not in seen


def test_period_keys_and_errors() -> None:
    assert period_for(datetime(2025, 7, 13, 21, 59, tzinfo=UTC), "Europe/Berlin") == "2025-W28"
    assert period_for(datetime(2025, 7, 13, 22, 0, tzinfo=UTC), "Europe/Berlin") == "2025-W29"
    assert period_for(datetime(2021, 1, 3, 12, tzinfo=UTC), "UTC") == "2020-W53"
    assert next_period("2020-W53") == "2021-W01"
    assert parse_period("2025-W01").isoformat() == "2024-12-30"
    for bad in ("2025-28", "2025-W54", "25-W01", "2021-W53"):
        with pytest.raises(ValueError):
            parse_period(bad)
    with pytest.raises(ValueError):
        period_for(datetime(2025, 1, 1), "UTC")


def test_due_period_is_the_previous_week_once_the_send_time_passed() -> None:
    cfg = DigestConfig(weekday="mon", time="07:00", timezone="Europe/Berlin")
    berlin = ZoneInfo("Europe/Berlin")
    assert due_period(datetime(2025, 7, 14, 6, 59, tzinfo=berlin), cfg) == "2025-W27"
    assert due_period(datetime(2025, 7, 14, 7, 0, tzinfo=berlin), cfg) == "2025-W28"
    assert due_period(datetime(2025, 7, 20, 23, 59, tzinfo=berlin), cfg) == "2025-W28"
    friday = DigestConfig(weekday="fri", time="17:30", timezone="America/New_York")
    ny = ZoneInfo("America/New_York")
    assert due_period(datetime(2025, 7, 18, 17, 29, tzinfo=ny), friday) == "2025-W27"
    assert due_period(datetime(2025, 7, 18, 17, 30, tzinfo=ny), friday) == "2025-W28"
    # the same UTC instant is a different week in another zone
    instant = datetime(2025, 7, 14, 3, 0, tzinfo=UTC)  # Mon 07:00 in Dubai, Sun 23:00 in NY
    dubai = DigestConfig(weekday="mon", time="07:00", timezone="Asia/Dubai")
    assert due_period(instant, dubai) == "2025-W28"
    assert due_period(instant, DigestConfig(weekday="mon", timezone="America/New_York")) == (
        "2025-W27"
    )


# --- selection ------------------------------------------------------------------------------

SEEN = datetime(2025, 7, 9, 10, tzinfo=UTC)


def config(**digest: Any) -> Config:
    return parse_config(
        {
            "digest": {"timezone": "Europe/Berlin", "from_address": "digest@news.example.org",
                       **digest},
            "subscribers": [{"email": "ann@example.org", "name": "Ann"}],
            "sources": [
                {"id": "ipis", "name": "IPIS", "homepage": "https://ipis.example.org",
                 "feeds": ["https://ipis.example.org/f"], "tags": ["iran"], "language": "fa"},
                {"id": "csis", "name": "CSIS", "homepage": "https://csis.example.org",
                 "feeds": ["https://csis.example.org/f"], "tags": ["security"]},
            ],
        }
    )  # fmt: skip


def art(n: int, source: str = "csis", **kw: Any) -> StoredArticle:
    fields: dict[str, Any] = {
        "id": n,
        "source_id": source,
        "url": f"https://{source}.example.org/a/{n}",
        "canonical_url": f"https://{source}.example.org/a/{n}",
        "title": f"Article {n}",
        "authors": ("Jane Doe",),
        "published": SEEN - timedelta(hours=n),
        "updated": None,
        "language": None,
        "summary": None,
        "body_text": f"Body text of article number {n}, long enough to be a sentence here.",
        "body_html": "",
        "tags": (),
        "image": None,
        "content_hash": f"v1:{n}",
        "simhash": None,
        "duplicate_of": None,
        "first_seen": SEEN,
        "last_changed": SEEN,
    }
    fields.update(kw)
    return StoredArticle(**fields)


def pick(arts: list[StoredArticle], **sub: Any) -> list[list[int]]:
    cfg = config()
    groups = select_items(
        arts,
        SubscriberConfig(email="x@example.org", **sub),
        sources={s.id: s for s in cfg.sources},
        period=period_bounds("2025-W28", "Europe/Berlin"),
        max_per_source=3,
    )
    return [[i.article_id for i in g.items] for g in groups]


def test_selection_window_duplicates_grouping_and_order() -> None:
    start, end = period_bounds("2025-W28", "Europe/Berlin")
    arts = [
        art(1),
        art(2, "ipis"),
        art(3, published=None, first_seen=start),  # undated: sorted by first seen
        art(4, duplicate_of=1),
        art(5, first_seen=start - timedelta(seconds=1)),
        art(6, first_seen=end),
        art(7, published=SEEN + timedelta(days=1)),
        art(8),
        art(9),
    ]
    # groups in config order (ipis, csis); newest first; 3 per source
    assert pick(arts) == [[2], [7, 1, 8]]
    cfg = config()
    groups = select_items(
        arts,
        SubscriberConfig(email="x@example.org"),
        sources={s.id: s for s in cfg.sources},
        period=(start, end),
        max_per_source=3,
    )
    assert [g.more for g in groups] == [0, 2]
    assert groups[1].source_name == "CSIS"
    assert groups[1].source_url == "https://csis.example.org"


def test_digest_links_are_the_pages_as_fetched_without_tracking() -> None:
    """The canonical URL is an identity key (http upgraded to https, query sorted): a mail
    links to the page as fetched, its click tracking removed."""
    start, end = period_bounds("2025-W28", "Europe/Berlin")
    fetched = "http://old.example.org/a/1?b=2&a=1&utm_campaign=x"
    arts = [art(1, url=fetched, canonical_url="https://old.example.org/a/1?a=1&b=2")]
    groups = select_items(
        arts,
        SubscriberConfig(email="x@example.org"),
        sources={s.id: s for s in config().sources},
        period=(start, end),
        max_per_source=3,
    )
    assert [i.url for g in groups for i in g.items] == ["http://old.example.org/a/1?b=2&a=1"]


def test_filters_sources_tags_keywords_language() -> None:
    arts = [
        art(1, title="Uranium enrichment in Natanz"),
        art(2, "ipis", summary="Why Iranian diplomacy changed.", language="en"),
        art(3, tags=("nuclear",), body_text="Deterrence and the IRAN question revisited."),
        art(4, "ipis", title="روابط ایران و چین"),  # language from the source: fa
    ]
    assert pick(arts, sources=["ipis"]) == [[2, 4]]
    assert pick(arts, tags=["iran"]) == [[2, 4]]  # a source tag
    assert pick(arts, tags=["nuclear"]) == [[3]]  # an article tag
    assert pick(arts, keywords=["uranium"]) == [[1]]  # case-insensitive, in the title
    assert pick(arts, keywords=["iran"]) == [[3]]  # a whole word: not "Iranian"
    assert pick(arts, keywords=["ایران"]) == [[4]]
    assert pick(arts, keywords=["deterrence and"]) == [[3]]
    assert pick(arts, language="en") == [[2], [1, 3]]  # csis defaults to "en"
    assert pick(arts, language="fa") == [[4]]
    assert pick(arts, sources=["csis"], keywords=["natanz", "iran"]) == [[1, 3]]
    assert pick(arts, tags=["security"], language="fa") == []


def test_summaries_have_two_or_three_sentences() -> None:
    body = (
        "By Jane Doe\n\n"
        "Dr. Smith argues that the U.S. position has shifted since March. Washington now "
        "prefers quiet talks. Allies were not consulted! A fourth sentence should not appear. "
        "Nor a fifth."
    )
    text = summarize(art(1, body_text=body))
    assert text.startswith("Dr. Smith argues that the U.S. position")
    assert "fourth" not in text
    assert len(re.findall(r"[.!?](?:\s|$)", text.replace("Dr.", "").replace("U.S.", ""))) >= 2
    summary = "<p>A short &amp; <b>clear</b> opening.</p> <p>It has two parts.</p>"
    assert summarize(art(1, summary=summary)) == "A short & clear opening. It has two parts."
    assert summarize(art(1, summary="Too short.")).startswith("Body text of article number 1")
    long = "word " * 400
    assert len(summarize(art(1, summary=long))) <= 420
    assert summarize(art(1, summary=None, body_text="")) == ""


# --- rendering and golden files ---------------------------------------------------------------


def golden_digest(
    unsubscribe_url: str | None = "https://digest.example.org/unsubscribe?e=a",
) -> Digest:
    arts = [
        art(1, "ipis", title="Iran, China & the <Gulf>: a reading", authors=("Ali Rezaei",),
            summary="Tehran and Beijing sign a new memorandum. Its scope is wider than trade. "
                    "Gulf capitals are watching closely."),
        art(2, title="Chips export controls revisited", authors=("Jane Doe", "Sam Lee"),
            body_text="Controls have tightened twice this year. Their effect is uneven.\n\nMore."),
        art(3, title="No author, no date", authors=(), published=None,
            summary="An undated note. Still worth a look."),
    ]  # fmt: skip
    return build(
        arts,
        SubscriberConfig(email="ann@example.org", name="Ann"),
        config=config(),
        period="2025-W28",
        unsubscribe_url=unsubscribe_url,
    )


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{name} changed (UPDATE_GOLDEN=1)"


def test_render_matches_golden_files() -> None:
    rendered = render(golden_digest())
    assert rendered.subject == "Think-tank digest: 3 new pieces, week 28"
    check_golden("week-2025-W28.html", rendered.html)
    check_golden("week-2025-W28.txt", rendered.text)
    empty = build([], SubscriberConfig(email="ann@example.org"), config=config(), period="2025-W28")
    check_golden("empty-2025-W28.txt", render(empty).text)


def test_html_is_safe_and_mail_client_friendly() -> None:
    html = render(golden_digest()).html
    assert "&lt;Gulf&gt;" in html and "<Gulf>" not in html  # autoescaped
    assert "Iran, China &amp; the" in html
    assert not re.search(r"<(script|img|iframe|link|object)\b", html, re.I)
    assert not re.search(r"\bsrc=", html)
    assert 'name="color-scheme" content="light dark"' in html
    assert "max-width:640px" in html and 'role="presentation"' in html
    assert html.count('href="https://csis.example.org/a/2"') == 1
    assert "Jane Doe, Sam Lee" in html and "9 Jul 2025" in html
    assert "https://digest.example.org/unsubscribe?e=a" in html
    # groups in config order; items newest first (published, else first seen: the undated
    # item was first seen on 9 Jul 10:00, after item 2 was published)
    assert html.index("Iran, China") < html.index("No author") < html.index("Chips export")
    assert "An undated note. Still worth a look." in html


def test_templates_dir_overrides_file_by_file(tmp_path: Path) -> None:
    (tmp_path / "digest.txt").write_text(
        "{{ count }} for {{ digest.subscriber }}:{% for g in groups %} {{ g.source_name }}"
        "{% endfor %}\n"
    )
    rendered = render(golden_digest(), templates_dir=tmp_path)
    assert rendered.text.strip() == "3 for ann@example.org: IPIS CSIS"
    assert "<table" in rendered.html  # not overridden: the shipped default
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "digest.html").write_text("{{ nope }}")
    with pytest.raises(MailError, match="template"):
        render(golden_digest(), templates_dir=broken)


def test_subject_template_fields_and_refusals() -> None:
    digest = golden_digest()
    custom = Digest(**{**_fields(digest), "subject_template": "[{period}] {count} from {sources}"})
    assert render(custom).subject == "[2025-W28] 3 from 2"
    for bad in ("{title.__class__}", "{unknown}"):
        with pytest.raises(MailError):
            render(Digest(**{**_fields(digest), "subject_template": bad}))


def _fields(d: Digest) -> dict[str, Any]:
    return {name: getattr(d, name) for name in Digest.__slots__}


# --- the message ----------------------------------------------------------------------------

NOW = datetime(2025, 7, 14, 7, 0, tzinfo=UTC)


def test_message_headers_and_parts() -> None:
    cfg = config(reply_to="team@example.org")
    rendered = render(golden_digest())
    sub = SubscriberConfig(email="ann@example.org", name="Ann Müller")
    msg = build_message(
        rendered,
        subscriber=sub,
        config=cfg,
        period="2025-W28",
        now=NOW,
        unsubscribe_url="https://digest.example.org/unsubscribe?e=ann%40example.org&t=abc",
    )
    assert msg["Message-ID"] == message_id_for(
        "ann@example.org", "2025-W28", cfg.digest.from_address
    )
    assert re.fullmatch(r"<digest\.2025-W28\.[0-9a-f]{16}@news\.example\.org>", msg["Message-ID"])
    assert message_id_for("ANN@example.org ", "2025-W28", "a@b.org") == message_id_for(
        "ann@example.org", "2025-W28", "a@b.org"
    )
    assert message_id_for("ann@example.org", "2025-W29", "a@b.org") != message_id_for(
        "ann@example.org", "2025-W28", "a@b.org"
    )
    assert msg["Date"] == "Mon, 14 Jul 2025 09:00:00 +0200"
    assert msg["Precedence"] == "bulk"
    assert msg["Auto-Submitted"] is None
    assert msg["List-Unsubscribe"] == (
        "<https://digest.example.org/unsubscribe?e=ann%40example.org&t=abc>, "
        "<mailto:digest@news.example.org?subject=unsubscribe>"
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Reply-To"] == "team@example.org"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    raw = msg.as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["To"].addresses[0].display_name == "Ann Müller"
    assert parsed["To"].addresses[0].addr_spec == "ann@example.org"
    assert raw.isascii()  # encoded words and quoted-printable: no 8BITMIME needed
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    plain = build_message(rendered, subscriber=sub, config=cfg, period="2025-W28", now=NOW)
    assert plain["List-Unsubscribe"] == "<mailto:digest@news.example.org?subject=unsubscribe>"
    assert plain["List-Unsubscribe-Post"] is None


def test_header_injection_is_refused_or_stripped() -> None:
    cfg = config(title="Digest\r\nBcc: victim@evil.example", from_name="News\nX-Evil: 1")
    digest = build(
        [art(1, title="Title\r\nBcc: a@evil.example\r\n\r\nbody")],
        SubscriberConfig.model_construct(
            email="ann@example.org", name="Ann\r\nBcc: b@evil.example", sources=[], tags=[],
            keywords=[], language=None,
        ),
        config=cfg,
        period="2025-W28",
    )  # fmt: skip
    rendered = render(digest)
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    msg = build_message(
        rendered,
        subscriber=SubscriberConfig.model_construct(
            email="ann@example.org", name="Ann\r\nBcc: b@x"
        ),
        config=cfg,
        period="2025-W28",
        now=NOW,
    )
    raw = msg.as_bytes()
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"^(Bcc|X-Evil):", headers, re.M | re.I)
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert "Title Bcc: a@evil.example body" in rendered.text  # a title stays body text
    for hostile in ("ann@example.org\r\nBcc: c@evil.example", "ann@exa\nmple.org", "a b@c.org"):
        with pytest.raises(MailError, match="malformed address"):
            build_message(
                rendered,
                subscriber=SubscriberConfig.model_construct(email=hostile, name=None),
                config=cfg,
                period="2025-W28",
                now=NOW,
            )
    with pytest.raises(MailError, match="unsubscribe URL"):
        build_message(
            rendered,
            subscriber=SubscriberConfig(email="ann@example.org"),
            config=cfg,
            period="2025-W28",
            now=NOW,
            unsubscribe_url="https://x.org/u\r\nBcc: d@evil.example",
        )
    assert isinstance(msg["To"].addresses[0], Address)


def _health(source_id: str, name: str, flags: tuple[str, ...], error: str | None = None) -> Any:
    from scraper.health import SourceHealth
    from scraper.models import FillRates

    return SourceHealth(
        source_id=source_id, name=name, enabled=True, status=flags[0] if flags else "ok",
        flags=flags, last_run=SEEN, last_success=SEEN - timedelta(days=9), next_run=None,
        article_count=4, consecutive_failures=3 if flags else 0, last_error=error,
        fill=FillRates(), links_last_run=0, new_last_run=0,
    )  # fmt: skip


def test_admin_section_lists_flagged_sources_for_admins_only() -> None:
    from feeds.digest import admin_health

    health = [
        _health("csis", "CSIS", ()),
        _health("ipis", "IPIS", ("failing", "degraded:date"), "HTTP 503 after 3 attempts <x>"),
    ]
    admin = SubscriberConfig(email="ops@example.org", admin=True)
    reader = SubscriberConfig(email="ann@example.org")
    assert admin_health(reader, health, enabled=True) == ()
    assert admin_health(admin, health, enabled=False) == ()
    section = admin_health(admin, health, enabled=True)
    assert [h.source_id for h in section] == ["ipis", "csis"]  # flagged first
    digest = Digest(**{**_fields(golden_digest()), "health": section})
    rendered = render(digest)
    assert "Source health (admin)" in rendered.text
    assert "1 of 2 sources need a look." in rendered.text
    assert "IPIS: failing, degraded:date" in rendered.text
    assert "HTTP 503 after 3 attempts &lt;x&gt;" in rendered.html  # escaped
    plain = render(golden_digest())
    assert "Source health" not in plain.text and "Source health" not in plain.html
