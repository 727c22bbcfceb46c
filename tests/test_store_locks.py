"""The service lock's holder (scraper/store/locks.py), on SQLite and PostgreSQL.

A holder that ran on this machine and is gone is replaced before its lease expires; a live one,
one on another machine and an unknown one are waited for. Dead holders are real processes: a
child started, described from ``/proc`` while it ran, then killed. The basic lease (acquire,
refresh, release, expiry) is tested in tests/test_store_ledger.py.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa

from scraper.errors import LockedError
from scraper.store import Store, locks, schema
from scraper.store.locks import Holder, acquire_lock, describe_process, holder_gone, this_process
from tests.conftest import NOW

HERE = this_process()
pytestmark = pytest.mark.skipif(HERE is None, reason="needs a Linux /proc")
SOON = NOW + timedelta(seconds=1)  # well inside a 60 s lease


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    """A live child process (killed afterwards)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _describe(proc: subprocess.Popen[bytes]) -> Holder:
    holder = describe_process(proc.pid)
    assert holder is not None
    return holder


def _dead_holder() -> Holder:
    """A process of this machine that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        holder = _describe(proc)
    finally:
        proc.kill()
        proc.wait()
    return holder


def _started_at(holder: Holder) -> float:
    """The holder's start time as a Unix time (psutil's arithmetic, to compare with)."""
    return psutil.boot_time() + holder.started / os.sysconf("SC_CLK_TCK")


def _held_by(store: Store, name: str, owner: str, holder: Holder | None) -> None:
    """A fresh 60 s lease on ``name`` recorded as held by ``holder``'s process."""
    assert acquire_lock(store._db, name, owner, NOW, 60, holder=holder)
    if holder is None:  # as a row written before migration 7
        with store._db.write() as conn:
            conn.execute(sa.update(schema.locks).values(holder=None))


def _stored_holder(store: Store, name: str) -> object:
    with store._db.read() as conn:
        return conn.execute(
            sa.select(schema.locks.c.holder).where(schema.locks.c.name == name)
        ).scalar_one()


# -- describing processes ------------------------------------------------------------------------


def test_this_process_is_described_from_proc() -> None:
    assert HERE is not None
    assert HERE.pid == os.getpid()
    assert HERE.host == socket.gethostname()
    assert abs(_started_at(HERE) - psutil.Process().create_time()) < 0.05
    assert HERE.boot == Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    assert Holder.from_json(HERE.to_json()) == HERE


def test_a_process_with_parentheses_in_its_name_is_read_right() -> None:
    # /proc/<pid>/stat is "pid (comm) state ...": comm is the program's name and may hold ") ("
    code = "import ctypes, time; ctypes.CDLL(None).prctl(15, b'a) (b c', 0, 0, 0); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        comm = Path(f"/proc/{proc.pid}/comm")
        for _ in range(500):
            if comm.read_text().strip() == "a) (b c":
                break
            time.sleep(0.01)
        assert psutil.Process(proc.pid).name() == "a) (b c"
        holder = _describe(proc)
        assert abs(_started_at(holder) - psutil.Process(proc.pid).create_time()) < 0.05
        assert not holder_gone(holder, HERE)
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize(
    "value",
    [
        None,
        "text",
        {"host": "h", "boot": "b", "pid": 0, "started": 1},  # 0 would be a process group
        {"host": "h", "boot": "b", "pid": -1, "started": 1},
        {"host": "h", "boot": "b", "pid": "12", "started": 1},
        {"host": "h", "boot": "b", "pid": True, "started": 1},
        {"host": "h", "pid": 12, "started": 1},
    ],
)
def test_malformed_holders_are_unknown(value: object) -> None:
    assert Holder.from_json(value) is None


def test_holder_gone_decides_only_what_it_can_see(child: subprocess.Popen[bytes]) -> None:
    assert HERE is not None
    live = _describe(child)
    assert not holder_gone(live, HERE)
    assert not holder_gone(HERE, HERE)
    assert holder_gone(dataclasses.replace(HERE, started=HERE.started - 1), HERE)  # PID reused
    assert holder_gone(_dead_holder(), HERE)
    dead = _dead_holder()
    for elsewhere in (
        dataclasses.replace(dead, host="other-host"),
        dataclasses.replace(dead, boot="another-boot"),  # same name, another machine
    ):
        assert not holder_gone(elsewhere, HERE)
    assert not holder_gone(dead, None)  # we cannot describe ourselves: nothing is sure
    # killed but not yet reaped by its parent: a zombie holds nothing
    child.send_signal(signal.SIGKILL)
    for _ in range(500):
        if holder_gone(live, HERE):
            break
        time.sleep(0.01)
    assert holder_gone(live, HERE)
    assert psutil.Process(child.pid).status() == psutil.STATUS_ZOMBIE


# -- takeover ------------------------------------------------------------------------------------


def test_the_store_records_this_process_as_holder(store: Store) -> None:
    assert store.acquire_lock("serve", "me", NOW, ttl=60)
    assert HERE is not None and Holder.from_json(_stored_holder(store, "serve")) == HERE


def test_a_dead_holder_on_this_machine_is_replaced_at_once(store: Store) -> None:
    _held_by(store, "serve", "killed", _dead_holder())
    assert store.lock_owner("serve", SOON) == "killed"  # its lease still runs...
    assert store.acquire_lock("serve", "restarted", SOON, ttl=60)  # ...but nobody holds it
    assert store.lock_owner("serve", SOON) == "restarted"
    assert Holder.from_json(_stored_holder(store, "serve")) == HERE
    with pytest.raises(LockedError, match="now held by 'restarted'"):
        store.refresh_lock("serve", "killed", SOON)


def test_a_recycled_pid_is_not_taken_for_the_holder(store: Store) -> None:
    assert HERE is not None
    # the holder had this very PID, but the process with it now started at another time
    _held_by(store, "serve", "killed", dataclasses.replace(HERE, started=HERE.started - 100))
    assert store.acquire_lock("serve", "restarted", SOON, ttl=60)
    assert store.lock_owner("serve", SOON) == "restarted"


def test_a_live_holder_is_not_replaced(store: Store, child: subprocess.Popen[bytes]) -> None:
    _held_by(store, "serve", "running", _describe(child))
    assert store.acquire_lock("serve", "second", SOON, ttl=60) is False
    assert store.lock_owner("serve", SOON) == "running"
    _held_by(store, "other", "this-process", HERE)  # alive too: ourselves
    assert store.acquire_lock("other", "second", SOON, ttl=60) is False
    # the same row once its process is gone
    child.kill()
    child.wait()
    assert store.acquire_lock("serve", "second", SOON, ttl=60)


@pytest.mark.parametrize("where", ["other host", "same host name, other machine", "unknown"])
def test_a_holder_elsewhere_or_unknown_waits_for_the_ttl(store: Store, where: str) -> None:
    dead = _dead_holder()
    holder = {
        "other host": dataclasses.replace(dead, host="db-peer"),
        "same host name, other machine": dataclasses.replace(dead, boot="another-boot"),
        "unknown": None,
    }[where]
    _held_by(store, "serve", "far", holder)
    assert store.acquire_lock("serve", "here", SOON, ttl=60) is False
    assert store.acquire_lock("serve", "here", NOW + timedelta(seconds=59), ttl=60) is False
    assert store.lock_owner("serve", SOON) == "far"
    assert store.acquire_lock("serve", "here", NOW + timedelta(seconds=60), ttl=60)  # expired


def _race(*calls: Callable[[], bool]) -> list[bool]:
    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result(timeout=30) for f in [pool.submit(c) for c in calls]]


def test_two_restarts_at_once_have_one_winner(
    two_stores: tuple[Store, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = two_stores
    # Both must have read the row and judged its holder dead before either writes: the
    # compare-and-set alone must then let exactly one of them win.
    both_judged = threading.Barrier(2, timeout=10)
    judge = locks.holder_gone

    def judged_together(holder: Holder, here: Holder | None) -> bool:
        verdict = judge(holder, here)
        both_judged.wait()
        return verdict

    monkeypatch.setattr(locks, "holder_gone", judged_together)
    for i in range(6):
        name = f"serve-{i}"
        _held_by(a, name, "killed", _dead_holder())
        results = _race(
            lambda n=name: a.acquire_lock(n, "A", SOON, ttl=60),
            lambda n=name: b.acquire_lock(n, "B", SOON, ttl=60),
        )
        assert sorted(results) == [False, True], f"{name}: {results}"
        assert a.lock_owner(name, SOON) == ("A" if results[0] else "B")
        both_judged.reset()
