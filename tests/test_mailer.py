"""Ledger-driven digest delivery against a real SMTP server (aiosmtpd on 127.0.0.1).

Every test stores real articles in a real store (SQLite, and PostgreSQL when reachable), runs
``send_due`` and checks both what the server received and what the ledger says.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from feeds.mailer import (
    OutboxTransport,
    PermanentMailError,
    SmtpTransport,
    TemporaryMailError,
    backoff,
    preview,
    send_due,
    status,
)
from feeds.message import message_id_for
from feeds.period import period_bounds
from scraper.config import Config, SmtpConfig, parse_config
from scraper.errors import MailError, SmtpAuthError
from scraper.store import SENDING_STALE_AFTER, Store
from tests._smtp_helpers import Mailbox, free_port, smtp_server, wait_for

PERIOD = "2025-W28"  # Mon 7 Jul .. Sun 13 Jul 2025, Europe/Berlin
NOW = datetime(2025, 7, 14, 7, 30, tzinfo=UTC)  # Monday 09:30 Berlin: W28 is due
ROOT = Path(__file__).resolve().parent.parent
SUBSCRIBERS: list[dict[str, Any]] = [
    {"email": "ann@example.org", "name": "Ann"},
    {"email": "bob@example.org", "name": "Bob", "sources": ["csis"]},
    {"email": "cy@example.org", "keywords": ["uranium"]},
]


def make_config(tmp_path: Path, *, port: int | None = None, **digest: Any) -> Config:
    data: dict[str, Any] = {
        "data_dir": str(tmp_path / "data"),
        "serve": {"public_base_url": "https://digest.example.org/"},
        "digest": {
            "timezone": "Europe/Berlin",
            "from_address": "digest@news.example.org",
            "outbox_dir": str(tmp_path / "outbox"),
            "unsubscribe_secret_env": "TTD_TEST_UNSUB_SECRET_UNSET",
            **digest,
        },
        "subscribers": SUBSCRIBERS,
        "sources": [
            {"id": "ipis", "name": "IPIS", "homepage": "https://ipis.example.org", "feeds": [
                "https://ipis.example.org/feed"]},
            {"id": "csis", "name": "CSIS", "homepage": "https://csis.example.org", "feeds": [
                "https://csis.example.org/feed"]},
        ],
    }  # fmt: skip
    if port is not None:
        data["smtp"] = {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 1.0}
    return parse_config(data)


def fill(store: Store, make_article: Any, period: str = PERIOD) -> list[str]:
    """Four articles first seen in ``period`` (+1 outside it); returns the titles in it."""
    start, _ = period_bounds(period, "Europe/Berlin")
    rows = [
        ("ipis", "Uranium enrichment and the Vienna talks", 10),
        ("ipis", "Caspian trade corridors", 30),
        ("csis", "Chips export controls revisited", 50),
        ("csis", "Alliance burden sharing in the Pacific", 70),
    ]
    for n, (source, title, hours) in enumerate(rows, start=1):
        article, decision = make_article(
            n, source=source, title=f"{title} ({period})", published=start + timedelta(hours=hours)
        )
        store.save_article(
            source, article, decision, url=article.url, tags=(), now=start + timedelta(hours=hours)
        )
    old, decision = make_article(99, source="ipis", title="Last week's piece")
    store.save_article("ipis", old, decision, url=old.url, tags=(), now=start - timedelta(hours=1))
    return [f"{t} ({period})" for _, t, _ in rows]


def states(store: Store, period: str = PERIOD) -> dict[str, str]:
    return {r.subscriber: r.state for r in store.ledger_rows(period=period)}


async def test_delivers_both_parts_headers_and_items(
    store: Store, make_article: Any, tmp_path: Path
) -> None:
    titles = fill(store, make_article)
    box = Mailbox()
    with smtp_server(box) as port:
        config = make_config(tmp_path, port=port)
        results = await send_due(store, config, now=NOW)
    assert {r.subscriber: r.state for r in results} == {s["email"]: "sent" for s in SUBSCRIBERS}
    assert states(store) == {s["email"]: "sent" for s in SUBSCRIBERS}
    got = box.by_recipient()
    assert sorted(got) == sorted(s["email"] for s in SUBSCRIBERS)
    expected = {
        "ann@example.org": titles,
        "bob@example.org": titles[2:],
        "cy@example.org": titles[:1],
    }
    for rcpt, wanted in expected.items():
        (msg,) = got[rcpt]
        m = msg.message
        assert m.get_content_type() == "multipart/alternative"
        text, html = msg.part("plain"), msg.part("html")
        for title in titles:
            assert (title in text) == (title in wanted), (rcpt, title)
            assert (title in html) == (title in wanted), (rcpt, title)
        assert "Last week's piece" not in text
        assert m["Message-ID"] == message_id_for(rcpt, PERIOD, "digest@news.example.org")
        assert m["To"].addresses[0].addr_spec == rcpt
        assert m["From"].addresses[0].addr_spec == "digest@news.example.org"
        assert m["List-Id"] == "Think-tank digest <digest.news.example.org>"
        assert m["Precedence"] == "bulk"
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsub = m["List-Unsubscribe"]
        assert "<https://digest.example.org/unsubscribe?e=" in unsub
        assert "<mailto:digest@news.example.org?subject=unsubscribe>" in unsub
        assert email.utils.parsedate_to_datetime(m["Date"]) >= NOW
        assert f"{len(wanted)} new pieces, week 28" in m["Subject"]
        assert "https://digest.example.org/unsubscribe?e=" in html
    # a second run sends nothing again
    with smtp_server(box := Mailbox()) as port:
        again = await send_due(
            store, make_config(tmp_path, port=port), now=NOW + timedelta(hours=1)
        )
    assert box.count() == 0
    assert {r.state for r in again} == {"sent"}


async def test_451_is_retried_later_with_the_same_message_id(
    store: Store, make_article: Any, tmp_path: Path
) -> None:
    fill(store, make_article)
    box = Mailbox(data_replies=["451 4.3.0 try again later"])
    with smtp_server(box) as port:
        config = make_config(tmp_path, port=port, max_items_per_source=5)
        first = await send_due(store, config, now=NOW)
        by = {r.subscriber: r for r in first}
        assert by["ann@example.org"].state == "pending"
        assert "451" in (by["ann@example.org"].error or "")
        assert {by["bob@example.org"].state, by["cy@example.org"].state} == {"sent"}
        row = store.ledger_get("ann@example.org", PERIOD)
        assert row is not None and row.state == "pending" and row.attempts == 1
        assert row.next_try is not None
        assert NOW + backoff(1) <= row.next_try <= NOW + backoff(1) + timedelta(minutes=1)
        # before next_try nothing is sent
        early = await send_due(store, config, now=NOW + timedelta(minutes=1))
        assert box.count() == 2
        assert {r.subscriber: r.state for r in early}["ann@example.org"] == "pending"
        # after next_try it is delivered
        await send_due(store, config, now=row.next_try + timedelta(seconds=1))
    assert states(store)["ann@example.org"] == "sent"
    (msg,) = box.by_recipient()["ann@example.org"]
    assert msg.message_id == row.message_id
    final = store.ledger_get("ann@example.org", PERIOD)
    assert final is not None and final.attempts == 2


async def test_550_for_one_of_three_recipients(
    store: Store, make_article: Any, tmp_path: Path
) -> None:
    fill(store, make_article)
    box = Mailbox(reject={"bob@example.org": "550 5.1.1 <bob@example.org>: no such user"})
    with smtp_server(box) as port:
        results = await send_due(store, make_config(tmp_path, port=port), now=NOW)
    by = {r.subscriber: r for r in results}
    assert by["bob@example.org"].state == "failed"
    assert "550" in (by["bob@example.org"].error or "")
    assert states(store) == {
        "ann@example.org": "sent",
        "bob@example.org": "failed",
        "cy@example.org": "sent",
    }
    row = store.ledger_get("bob@example.org", PERIOD)
    assert row is not None and "no such user" in (row.error or "")
    assert sorted(box.by_recipient()) == ["ann@example.org", "cy@example.org"]


@pytest.mark.parametrize("mode", ["drop", "hang"])
async def test_dropped_or_silent_server_leaves_pending_retry(
    store: Store, make_article: Any, tmp_path: Path, mode: str
) -> None:
    fill(store, make_article)
    box = Mailbox(drop_after_data=1) if mode == "drop" else Mailbox(hang_after_data=True)
    with smtp_server(box) as port:
        config = make_config(tmp_path, port=port)
        smtp = config.smtp.model_copy(update={"timeout": 0.5})  # type: ignore[union-attr]
        config = config.model_copy(update={"smtp": smtp})
        t0 = time.monotonic()
        results = await send_due(store, config, now=NOW, period=PERIOD)
        elapsed = time.monotonic() - t0
        first = results[0]
        assert first.state == "pending", first
        assert first.next_try is not None
        if mode == "hang":
            assert "timed out" in (first.error or "")
            assert elapsed < 5  # 0.5 s client timeout per try, the batch stops after 3
            assert {r.state for r in results} == {"pending"}
        else:
            assert {r.state for r in results[1:]} == {"sent"}
        box.hang_after_data = False
        later = max(r.next_try or NOW for r in results) + timedelta(seconds=1)
        await send_due(store, config, now=later)
    assert set(states(store).values()) == {"sent"}
    assert sorted(box.by_recipient()) == sorted(s["email"] for s in SUBSCRIBERS)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
async def test_auth_failure_stops_the_batch(
    store: Store, make_article: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(store, make_article)
    monkeypatch.setenv("TTD_TEST_SMTP_PASSWORD", "wrong")
    box = Mailbox(password="right")
    with smtp_server(box, auth=True) as port:
        config = make_config(tmp_path, port=port)
        smtp = config.smtp.model_copy(  # type: ignore[union-attr]
            update={"username": "digest", "password_env": "TTD_TEST_SMTP_PASSWORD"}
        )
        config = config.model_copy(update={"smtp": smtp})
        with pytest.raises(SmtpAuthError, match="refused the credentials"):
            await send_due(store, config, now=NOW)
        assert box.count() == 0
        rows = store.ledger_rows(period=PERIOD)
        assert [r.state for r in rows] == ["pending"] * 3
        assert sum(r.attempts for r in rows) == 1  # the batch stopped at the first
        monkeypatch.setenv("TTD_TEST_SMTP_PASSWORD", "right")
        await send_due(store, config, now=NOW)
    assert set(states(store).values()) == {"sent"}
    assert box.count() == 3


async def test_second_process_cannot_send_a_claimed_row(
    store: Store, make_article: Any, tmp_path: Path
) -> None:
    fill(store, make_article)
    mid = message_id_for("ann@example.org", PERIOD, "digest@news.example.org")
    row = store.ledger_ensure("ann@example.org", PERIOD, mid, 4, NOW)
    assert store.ledger_claim(row.id, NOW)  # "another process" is sending it right now
    box = Mailbox()
    with smtp_server(box) as port:
        results = await send_due(store, make_config(tmp_path, port=port), now=NOW)
    assert {r.subscriber: r.state for r in results}["ann@example.org"] == "sending"
    assert "ann@example.org" not in box.by_recipient()
    assert box.count() == 2


def test_kill_9_mid_batch_then_restart(
    store: Store, db_url: str, make_article: Any, tmp_path: Path
) -> None:
    """SIGKILL the sender while the server holds message 3 of 5; a restart completes the batch."""
    fill(store, make_article)
    subs = [{"email": f"reader{i}@example.org"} for i in range(5)]
    box = Mailbox(block_after=2)
    with smtp_server(box) as port:
        config = make_config(tmp_path, port=port).model_dump(mode="json")
        config["subscribers"] = subs
        config["smtp"]["timeout"] = 60  # the child waits; only SIGKILL stops it
        child = subprocess.Popen(
            [sys.executable, "-m", "tests._smtp_helpers", _json(config), db_url, NOW.isoformat()],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            assert wait_for(lambda: box.count() == 3, timeout=20), "child never sent 3 messages"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        assert child.returncode == -signal.SIGKILL
        ledger = {r.subscriber: r.state for r in store.ledger_rows(period=PERIOD)}
        assert sorted(ledger.values()) == ["pending", "pending", "sending", "sent", "sent"]
        box.block_after = None
        cfg = parse_config(config)
        # a restart soon after the crash does not touch the "sending" row yet ...
        soon = await_(send_due(store, cfg, now=NOW + timedelta(seconds=30)))
        assert [r.state for r in soon].count("sending") == 1
        assert box.count() == 5
        # ... once stale, it is re-sent with the same Message-ID
        later = NOW + timedelta(seconds=SENDING_STALE_AFTER + 60)
        await_(send_due(store, cfg, now=later))
    assert set(states(store).values()) == {"sent"}
    got = box.by_recipient()
    assert sorted(got) == sorted(s["email"] for s in subs)
    duplicates = {k: v for k, v in got.items() if len(v) > 1}
    assert len(duplicates) == 1
    (copies,) = duplicates.values()
    assert len(copies) == 2 and copies[0].message_id == copies[1].message_id


def await_(coro: Any) -> Any:
    return asyncio.run(coro)


def _json(data: Any) -> str:
    return json.dumps(data)


async def test_outbox_is_the_default_transport(
    store: Store, make_article: Any, tmp_path: Path
) -> None:
    titles = fill(store, make_article)
    config = make_config(tmp_path)
    results = await send_due(store, config, now=NOW)
    assert [r.state for r in results] == ["sent"] * 3
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 3
    assert not list((tmp_path / "outbox").glob(".*"))  # no temporary files left
    msgs = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    ann = next(m for m in msgs if "ann@example.org" in str(m["To"]))
    assert all(t in ann.get_body(("plain",)).get_content() for t in titles)  # type: ignore[union-attr]
    # a re-send of the same message replaces its file instead of adding one
    await OutboxTransport(tmp_path / "outbox").send(
        ann, sender="x@y.org", recipient="ann@example.org"
    )
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3


@pytest.mark.parametrize("policy", ["skip", "send"])
async def test_empty_week_policy_is_recorded(
    store: Store, make_article: Any, tmp_path: Path, policy: str
) -> None:
    fill(store, make_article, period="2025-W20")
    config = make_config(tmp_path, empty_policy=policy)
    results = await send_due(store, config, now=NOW)
    expected = "skipped" if policy == "skip" else "sent"
    assert [r.state for r in results] == [expected] * 3
    assert set(states(store).values()) == {expected}
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == (0 if policy == "skip" else 3)
    if files:
        assert b"Nothing new this week" in files[0].read_bytes()


@pytest.mark.parametrize(("catch_up", "expected"), [("latest", ["2025-W28"]), ("all", [
    "2025-W25", "2025-W26", "2025-W27", "2025-W28"])])  # fmt: skip
async def test_missed_weeks_follow_catch_up(
    store: Store, make_article: Any, tmp_path: Path, catch_up: str, expected: list[str]
) -> None:
    fill(store, make_article)
    config = make_config(tmp_path, catch_up=catch_up)
    sent_w24 = await send_due(store, config, now=NOW, period="2025-W24")
    assert {r.state for r in sent_w24} <= {"sent", "skipped"}
    await send_due(store, config, now=NOW)  # the service was down from W25 to W28
    periods = sorted({r.period for r in store.ledger_rows()} - {"2025-W24"})
    assert periods == expected
    # and the ledger, not the clock, makes a second run a no-op
    before = len(store.ledger_rows())
    await send_due(store, config, now=NOW + timedelta(hours=2))
    assert len(store.ledger_rows()) == before


async def test_unsubscribed_and_dry_run(store: Store, make_article: Any, tmp_path: Path) -> None:
    fill(store, make_article)
    config = make_config(tmp_path)
    store.set_subscribed("bob@example.org", False, NOW)
    dry = await send_due(store, config, now=NOW, dry_run=True)
    assert {r.subscriber: r.state for r in dry} == {
        "ann@example.org": "dry-run",
        "cy@example.org": "dry-run",
    }
    assert {r.subscriber: r.items for r in dry} == {"ann@example.org": 4, "cy@example.org": 1}
    assert store.ledger_rows() == []
    assert not (tmp_path / "outbox").exists()
    await send_due(store, config, now=NOW)
    assert states(store) == {"ann@example.org": "sent", "cy@example.org": "sent"}
    assert [r.subscriber for r in status(store)] == ["ann@example.org", "cy@example.org"]


def test_preview_writes_html_and_text(store: Store, make_article: Any, tmp_path: Path) -> None:
    titles = fill(store, make_article)
    config = make_config(tmp_path)
    html_path, text_path = preview(
        store, config, subscriber="bob@example.org", period=PERIOD, out_dir=tmp_path / "pv"
    )
    html, text = html_path.read_text(), text_path.read_text()
    assert titles[2] in html and titles[2] in text
    assert titles[0] not in html and titles[0] not in text
    assert store.ledger_rows() == []


async def test_smtp_transport_error_classes(tmp_path: Path) -> None:
    box = Mailbox(
        data_replies=["452 4.3.1 insufficient storage", "554 5.7.1 rejected as spam"],
    )
    msg = email.message.EmailMessage()
    msg["Subject"] = "x"
    msg.set_content("hello")
    with smtp_server(box) as port:
        tx = SmtpTransport(SmtpConfig(host="127.0.0.1", port=port, security="none", timeout=2))
        with pytest.raises(TemporaryMailError, match="452"):
            await tx.send(msg, sender="a@example.org", recipient="b@example.org")
        with pytest.raises(PermanentMailError, match="554"):
            await tx.send(msg, sender="a@example.org", recipient="b@example.org")
        await tx.send(msg, sender="a@example.org", recipient="b@example.org")
        await tx.send(msg, sender="a@example.org", recipient="c@example.org")
        await tx.aclose()
    assert box.count() == 2
    closed = SmtpTransport(SmtpConfig(host="127.0.0.1", port=free_port(), security="none"))
    with pytest.raises(TemporaryMailError, match="connection failed"):
        await closed.send(msg, sender="a@example.org", recipient="b@example.org")


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command line)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_smtp_transport_tls_modes(tls_files: tuple[Path, Path], security: str) -> None:
    cert, key = tls_files
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))
    box = Mailbox()
    msg = email.message.EmailMessage()
    msg["Subject"] = "over TLS"
    msg.set_content("hello")
    port = free_port()
    kwargs: dict[str, Any] = (
        {"tls_context": server_ctx, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": server_ctx}
    )
    controller = Controller(box, hostname="127.0.0.1", port=port, ready_timeout=5, **kwargs)
    controller.start()
    try:
        cfg = SmtpConfig.model_validate(
            {"host": "127.0.0.1", "port": port, "security": security, "timeout": 3}
        )
        tx = SmtpTransport(cfg, tls_context=client_ctx)
        await tx.send(msg, sender="a@example.org", recipient="b@example.org")
        await tx.aclose()
        # without our CA the certificate is refused: a temporary error, nothing sent
        strict = SmtpTransport(cfg, tls_context=ssl.create_default_context())
        with pytest.raises(TemporaryMailError):
            await strict.send(msg, sender="a@example.org", recipient="c@example.org")
        await strict.aclose()
    finally:
        controller.stop()
    assert [r.recipients for r in box.received] == [["b@example.org"]]
    assert box.received[0].message["Subject"] == "over TLS"


async def test_a_bad_period_is_one_clear_error(store: Store, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with pytest.raises(MailError, match="2025-W99") as info:
        await send_due(store, config, now=NOW, period="2025-W99")
    assert info.value.hint is not None and "2025-W28" in info.value.hint
    with pytest.raises(MailError):
        preview(store, config, period="last week", out_dir=tmp_path / "pv")
    with pytest.raises(MailError, match="no subscriber"):
        preview(store, config, subscriber="nobody@example.org", out_dir=tmp_path / "pv")
    assert store.ledger_rows() == []


async def test_two_concurrent_senders_deliver_each_digest_once(
    store: Store, db_url: str, make_article: Any, tmp_path: Path
) -> None:
    fill(store, make_article)
    subs = [{"email": f"reader{i}@example.org"} for i in range(8)]
    box = Mailbox(delay=0.05)
    other = Store.open(db_url)  # a second connection pool, as a second process would have
    try:
        with smtp_server(box) as port:
            data = make_config(tmp_path, port=port).model_dump(mode="json")
            data["subscribers"] = subs
            config = parse_config(data)
            first, second = await asyncio.gather(
                send_due(store, config, now=NOW), send_due(other, config, now=NOW)
            )
    finally:
        other.close()
    got = box.by_recipient()
    assert sorted(got) == sorted(s["email"] for s in subs)
    assert all(len(v) == 1 for v in got.values())
    sent_by = [sum(r.sent_now for r in batch) for batch in (first, second)]
    assert sum(sent_by) == 8
    assert min(sent_by) > 0, sent_by  # the two batches really interleaved
    assert set(states(store).values()) == {"sent"}


async def test_admin_subscribers_get_the_source_health_section(
    store: Store, make_article: Any, tmp_path: Path
) -> None:
    fill(store, make_article)
    config = make_config(tmp_path, admin_section=True)
    raw = config.model_dump()
    raw["subscribers"][0]["admin"] = True
    config = parse_config(raw)
    store.sync_sources(config.sources, NOW)
    results = await send_due(store, config, now=NOW)
    assert {r.state for r in results} == {"sent"}
    msgs = {
        str(m["To"]): m
        for m in (
            email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
            for f in (tmp_path / "outbox").glob("*.eml")
        )
    }
    admin_email = raw["subscribers"][0]["email"]
    for to, msg in msgs.items():
        text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        if admin_email in to:
            assert "Source health (admin)" in text
        else:
            assert "Source health" not in text
