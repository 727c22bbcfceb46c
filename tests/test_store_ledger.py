"""Digest ledger state machine, subscribers and the service lock, on SQLite and PostgreSQL.

The races use two separate :class:`Store` objects (two engines, two connection pools) on the same
database, driven by threads that start together at a barrier: exactly one side may win.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from scraper.errors import LockedError, StoreError
from scraper.store import Store
from tests.conftest import NOW


def _race(fa: Callable[[], bool], fb: Callable[[], bool]) -> list[bool]:
    barrier = threading.Barrier(2)

    def run(f: Callable[[], bool]) -> bool:
        barrier.wait()
        return f()

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(run, fa), pool.submit(run, fb)]
        return [f.result(timeout=30) for f in futures]


def test_ensure_get_and_rows(store: Store) -> None:
    assert store.ledger_get("a@example.org", "2025-W28") is None
    assert store.last_digest_period() is None
    row = store.ledger_ensure("a@example.org", "2025-W28", "<w28.a@x>", 7, NOW)
    assert (row.subscriber, row.period, row.message_id, row.state) == (
        "a@example.org",
        "2025-W28",
        "<w28.a@x>",
        "pending",
    )
    assert row.attempts == 0 and row.items == 7 and row.error is None and row.next_try is None
    assert row.created == NOW and row.updated == NOW
    # ensure never replaces an existing row
    again = store.ledger_ensure("a@example.org", "2025-W28", "<other>", 99, NOW + timedelta(1))
    assert again == row
    assert store.ledger_get("a@example.org", "2025-W28") == row
    store.ledger_ensure("b@example.org", "2025-W28", "<w28.b@x>", 0, NOW)
    store.ledger_ensure("a@example.org", "2025-W09", "<w9.a@x>", 1, NOW)
    store.ledger_ensure("a@example.org", "2024-W52", "<w52.a@x>", 1, NOW)
    assert store.last_digest_period() == "2025-W28"
    rows = store.ledger_rows()
    assert [(r.period, r.subscriber) for r in rows] == [
        ("2024-W52", "a@example.org"),
        ("2025-W09", "a@example.org"),
        ("2025-W28", "a@example.org"),
        ("2025-W28", "b@example.org"),
    ]
    assert [r.subscriber for r in store.ledger_rows(period="2025-W28")] == [
        "a@example.org",
        "b@example.org",
    ]
    store.ledger_mark(rows[0].id, "sent", NOW)
    assert [r.id for r in store.ledger_rows(states=["sent"])] == [rows[0].id]
    assert len(store.ledger_rows(states=["pending", "sent"])) == 4
    assert store.ledger_rows(period="2025-W28", states=["sent"]) == []


def test_state_machine(store: Store) -> None:
    row = store.ledger_ensure("a@example.org", "2025-W28", "<m>", 3, NOW)
    t = NOW + timedelta(minutes=1)
    assert store.ledger_claim(row.id, t) is True
    got = store.ledger_get("a@example.org", "2025-W28")
    assert got is not None and got.state == "sending" and got.attempts == 1 and got.updated == t
    # a fresh "sending" row cannot be claimed again
    assert store.ledger_claim(row.id, t + timedelta(seconds=5)) is False
    # 4xx: back to pending with a next try; not claimable before it
    retry_at = t + timedelta(minutes=30)
    store.ledger_mark(row.id, "pending", t, error="451 try later", next_try=retry_at)
    got = store.ledger_get("a@example.org", "2025-W28")
    assert got is not None and got.state == "pending" and got.error == "451 try later"
    assert got.next_try == retry_at
    assert store.ledger_claim(row.id, retry_at - timedelta(seconds=1)) is False
    assert store.ledger_claim(row.id, retry_at) is True
    store.ledger_mark(row.id, "sent", retry_at + timedelta(seconds=2))
    got = store.ledger_get("a@example.org", "2025-W28")
    assert got is not None
    assert (got.state, got.attempts, got.error, got.next_try) == ("sent", 2, None, None)
    # terminal states are never claimed again
    assert store.ledger_claim(row.id, NOW + timedelta(days=30)) is False
    failed = store.ledger_ensure("b@example.org", "2025-W28", "<n>", 3, NOW)
    assert store.ledger_claim(failed.id, t)
    store.ledger_mark(failed.id, "failed", t, error="550 no such user")
    assert store.ledger_claim(failed.id, NOW + timedelta(days=30)) is False
    skipped = store.ledger_ensure("c@example.org", "2025-W28", "<o>", 0, NOW)
    store.ledger_mark(skipped.id, "skipped", t)
    assert store.ledger_claim(skipped.id, t) is False
    assert store.ledger_claim(123456, t) is False
    with pytest.raises(ValueError, match="unknown ledger state"):
        store.ledger_mark(row.id, "delivered", t)
    with pytest.raises(StoreError, match="does not exist"):
        store.ledger_mark(123456, "sent", t)


def test_crashed_sending_row_is_reclaimed_after_stale_time(store: Store) -> None:
    row = store.ledger_ensure("a@example.org", "2025-W28", "<m>", 3, NOW)
    assert store.ledger_claim(row.id, NOW)
    # the sender died: nobody marks the row; a minute later it is still someone's
    assert store.ledger_claim(row.id, NOW + timedelta(minutes=1)) is False
    assert store.ledger_claim(row.id, NOW + timedelta(minutes=11)) is True
    got = store.ledger_get("a@example.org", "2025-W28")
    assert got is not None and got.attempts == 2 and got.message_id == "<m>"
    # the caller that holds the service lock may take over at once
    assert store.ledger_claim(row.id, NOW + timedelta(minutes=12), stale_after=0) is True


def test_concurrent_claim_has_exactly_one_winner(two_stores: tuple[Store, Store]) -> None:
    a, b = two_stores
    for i in range(12):
        row = a.ledger_ensure(f"s{i}@example.org", "2025-W28", f"<m{i}>", 1, NOW)
        results = _race(
            lambda r=row.id: a.ledger_claim(r, NOW), lambda r=row.id: b.ledger_claim(r, NOW)
        )
        assert sorted(results) == [False, True], f"row {i}: {results}"
        got = b.ledger_get(f"s{i}@example.org", "2025-W28")
        assert got is not None and got.attempts == 1 and got.state == "sending"


def test_concurrent_ensure_creates_one_row(two_stores: tuple[Store, Store]) -> None:
    a, b = two_stores
    got = []

    def ensure(s: Store) -> bool:
        got.append(s.ledger_ensure("x@example.org", "2025-W30", "<m>", 2, NOW).id)
        return True

    _race(lambda: ensure(a), lambda: ensure(b))
    assert len(set(got)) == 1
    assert len(a.ledger_rows(period="2025-W30")) == 1


def test_subscribers(store: Store) -> None:
    assert store.unsubscribed() == set()
    store.set_subscribed("a@example.org", False, NOW)
    store.set_subscribed("b@example.org", True, NOW)
    store.set_subscribed("c@example.org", False, NOW)
    assert store.unsubscribed() == {"a@example.org", "c@example.org"}
    store.set_subscribed("a@example.org", True, NOW + timedelta(days=1))
    assert store.unsubscribed() == {"c@example.org"}


def test_lock_acquire_refresh_release(store: Store) -> None:
    assert store.acquire_lock("serve", "host-a:1", NOW, ttl=60)
    assert store.lock_owner("serve", NOW) == "host-a:1"
    assert store.acquire_lock("serve", "host-b:2", NOW + timedelta(seconds=30), ttl=60) is False
    # re-acquiring our own lock renews it
    assert store.acquire_lock("serve", "host-a:1", NOW + timedelta(seconds=30), ttl=60)
    store.refresh_lock("serve", "host-a:1", NOW + timedelta(seconds=80))
    # refreshed at +80 s: still held at +130 s
    assert store.acquire_lock("serve", "host-b:2", NOW + timedelta(seconds=130), ttl=60) is False
    # other names are independent
    assert store.acquire_lock("digest", "host-b:2", NOW, ttl=60)
    store.release_lock("serve", "host-b:2")  # not ours: nothing happens
    assert store.lock_owner("serve", NOW + timedelta(seconds=100)) == "host-a:1"
    store.release_lock("serve", "host-a:1")
    assert store.lock_owner("serve", NOW + timedelta(seconds=100)) is None
    assert store.acquire_lock("serve", "host-b:2", NOW + timedelta(seconds=100), ttl=60)


def test_lock_takeover_after_expiry(store: Store) -> None:
    assert store.acquire_lock("serve", "old", NOW, ttl=30)
    assert store.acquire_lock("serve", "new", NOW + timedelta(seconds=29), ttl=30) is False
    assert store.lock_owner("serve", NOW + timedelta(seconds=31)) is None
    assert store.acquire_lock("serve", "new", NOW + timedelta(seconds=31), ttl=30)
    assert store.lock_owner("serve", NOW + timedelta(seconds=31)) == "new"
    with pytest.raises(LockedError, match="now held by 'new'"):
        store.refresh_lock("serve", "old", NOW + timedelta(seconds=32))
    store.release_lock("serve", "new")
    with pytest.raises(LockedError):
        store.refresh_lock("serve", "new", NOW + timedelta(seconds=40))


def test_concurrent_takeover_has_one_winner(two_stores: tuple[Store, Store]) -> None:
    a, b = two_stores
    later = NOW + timedelta(seconds=11)
    for i in range(8):
        name = f"lock-{i}"
        assert a.acquire_lock(name, "dead", NOW, ttl=10)
        results = _race(
            lambda n=name: a.acquire_lock(n, "A", later, ttl=60),
            lambda n=name: b.acquire_lock(n, "B", later, ttl=60),
        )
        assert sorted(results) == [False, True], f"{name}: {results}"
        assert a.lock_owner(name, later) == ("A" if results[0] else "B")
    # and the fresh-lock race (no row yet)
    results = _race(
        lambda: a.acquire_lock("fresh", "A", NOW, ttl=60),
        lambda: b.acquire_lock("fresh", "B", NOW, ttl=60),
    )
    assert sorted(results) == [False, True]


def test_ping_and_backend(store: Store) -> None:
    assert store.ping() is True
    assert store.backend in {"sqlite", "postgresql"}
