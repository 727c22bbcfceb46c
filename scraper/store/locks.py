"""Named leases in the database (``scraper serve`` holds one per database).

A lock is a row with an owner, an expiry and the process that holds it (:class:`Holder`).
Acquiring inserts the row, or takes it over with one conditional ``UPDATE`` when it has expired
(or is already ours); the row count says who won, so two processes racing for an expired lock
cannot both get it. The holder refreshes it (heartbeat) before it expires.

A lease that has not expired is still taken over at once when its holder ran on this machine
(same host name and boot id) and is gone: no process has its PID any more, the process is a
zombie, or the PID now belongs to another process (its start time differs). That is a
``kill -9``'d ``serve`` restarted by systemd or docker, which would otherwise wait out the
lease. The takeover is a compare-and-set on the row as it was read (owner and heartbeat), so of
two processes restarting at once exactly one wins. A holder on another machine (a shared
PostgreSQL), or one whose process cannot be seen (no ``/proc``: not Linux), is waited for until
its lease expires.

PIDs are read in our own PID namespace: two *live* containers given the same host name on one
machine would each take the other's lease for a dead one's (each then stops when its heartbeat
finds the lock lost). Docker and Kubernetes give every container its own host name.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select, update

from scraper.errors import LockedError
from scraper.store.engine import Database
from scraper.store.schema import locks
from scraper.store.types import ensure_aware

__all__ = [
    "Holder",
    "acquire_lock",
    "describe_process",
    "holder_gone",
    "lock_owner",
    "refresh_lock",
    "release_lock",
    "this_process",
]

_c = locks.c
_PROC = Path("/proc")
_ATTEMPTS = 3  # a row released between our two transactions is simply inserted again


@dataclass(frozen=True, slots=True)
class Holder:
    """The process holding a lock, as it described itself when it took the lock.

    ``host`` is the host name and ``boot`` the kernel's boot id (two machines may share a host
    name such as ``localhost``, never a boot id); ``pid`` and ``started`` (start time in clock
    ticks after boot, field 22 of ``/proc/<pid>/stat``) tell that process from a later one that
    got the same PID. A container keeps its host name (Docker: its id) when it is restarted, and
    its new PID 1 has another start time, so a restarted container replaces its dead self.
    """

    host: str
    boot: str
    pid: int
    started: int

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "boot": self.boot,
            "pid": self.pid,
            "started": self.started,
        }

    @classmethod
    def from_json(cls, value: Any) -> Holder | None:
        """The holder stored in a row; ``None`` when unknown (older rows) or malformed."""
        if not isinstance(value, dict):
            return None
        host, boot, pid, started = (value.get(k) for k in ("host", "boot", "pid", "started"))
        if not (isinstance(host, str) and isinstance(boot, str)):
            return None
        if not (type(pid) is int and pid > 0 and type(started) is int):
            return None
        return cls(host, boot, pid, started)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None


def _stat(pid: int) -> tuple[str, int] | None:
    """State letter and start time (clock ticks after boot) of ``pid``; ``None`` if unreadable."""
    text = _read(_PROC / str(pid) / "stat")
    if text is None:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last
    # ")"; the state is field 3 and the start time field 22.
    fields = text[text.rfind(")") + 1 :].split()
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


def describe_process(pid: int) -> Holder | None:
    """Process ``pid`` of this machine as a :class:`Holder`; ``None`` when ``/proc`` does not
    show it (not Linux, no such process, not ours to inspect)."""
    boot = _read(_PROC / "sys" / "kernel" / "random" / "boot_id")
    stat = _stat(pid)
    if not boot or stat is None:
        return None
    return Holder(socket.gethostname(), boot, pid, stat[1])


def this_process() -> Holder | None:
    """This process as a :class:`Holder` (``None`` without a Linux ``/proc``)."""
    return describe_process(os.getpid())


def holder_gone(holder: Holder, here: Holder | None) -> bool:
    """Whether ``holder``'s process has certainly ended, seen from the process ``here``.

    Only decidable on the holder's own machine (same host name and boot id); anything unsure
    (another machine, a process hidden from us) counts as alive.
    """
    if here is None or (holder.host, holder.boot) != (here.host, here.boot):
        return False
    stat = _stat(holder.pid)
    if stat is None:
        try:
            os.kill(holder.pid, 0)  # signal 0: only asks whether the PID exists
        except ProcessLookupError:
            return True
        except OSError:
            return False  # it exists (another user's process)
        return False  # it exists, but /proc does not show it: cannot tell
    state, started = stat
    return started != holder.started or state in {"Z", "X"}  # PID reused; zombie or dead


def acquire_lock(
    db: Database,
    name: str,
    owner: str,
    now: datetime,
    ttl: float,
    *,
    holder: Holder | None = None,
) -> bool:
    """Take ``name`` for ``owner`` for ``ttl`` seconds; ``False`` if someone else holds it.

    ``holder`` is the process recorded as holding it (default: this one). A live lease is taken
    over only when its holder is gone (:func:`holder_gone`, judged from this process).
    """
    ensure_aware(now, "now")
    if ttl <= 0:
        raise ValueError("ttl must be positive")
    here = this_process()
    recorded = holder or here
    values = {
        "owner": owner,
        "acquired": now,
        "heartbeat": now,
        "expires": now + timedelta(seconds=ttl),
        "ttl": ttl,
        "holder": None if recorded is None else recorded.to_json(),
    }
    for _ in range(_ATTEMPTS):
        with db.write() as conn:
            inserted = conn.execute(
                db.insert(locks)
                .values(name=name, **values)
                .on_conflict_do_nothing(index_elements=[_c.name])
            ).rowcount
            if inserted == 1:
                return True
            taken = conn.execute(
                update(locks)
                .where(_c.name == name, or_(_c.owner == owner, _c.expires <= now))
                .values(**values)
            ).rowcount
            if taken == 1:
                return True
        # A live lease. Look at its holder outside the write transaction (no /proc reads while
        # SQLite's write lock is held), then take it over only if the row is still that one.
        with db.read() as conn:
            seen = conn.execute(
                select(_c.owner, _c.heartbeat, _c.holder).where(_c.name == name)
            ).one_or_none()
        if seen is None:
            continue  # released meanwhile: insert again
        previous = Holder.from_json(seen.holder)
        if previous is None or not holder_gone(previous, here):
            return False
        with db.write() as conn:
            taken = conn.execute(
                update(locks)
                .where(_c.name == name, _c.owner == seen.owner, _c.heartbeat == seen.heartbeat)
                .values(**values)
            ).rowcount
        return taken == 1
    return False


def refresh_lock(db: Database, name: str, owner: str, now: datetime) -> None:
    """Extend ``owner``'s lease by its ttl; :class:`LockedError` if the lock is not ours."""
    ensure_aware(now, "now")
    with db.write() as conn:
        ttl = conn.execute(
            select(_c.ttl).where(_c.name == name, _c.owner == owner)
        ).scalar_one_or_none()
        if ttl is not None:
            conn.execute(
                update(locks)
                .where(_c.name == name, _c.owner == owner)
                .values(heartbeat=now, expires=now + timedelta(seconds=float(ttl)))
            )
            return
        holder = conn.execute(select(_c.owner).where(_c.name == name)).scalar_one_or_none()
    raise LockedError(
        f"lock {name!r} is no longer held by {owner!r}"
        + (f" (now held by {holder!r})" if holder else ""),
        hint="another process took over (the lease expired, or this process looked dead)",
    )


def release_lock(db: Database, name: str, owner: str) -> None:
    """Give the lock up (nothing happens if ``owner`` does not hold it)."""
    with db.write() as conn:
        conn.execute(delete(locks).where(_c.name == name, _c.owner == owner))


def lock_owner(db: Database, name: str, now: datetime) -> str | None:
    """Who holds ``name`` right now (``None`` if free or expired)."""
    ensure_aware(now, "now")
    with db.read() as conn:
        value = conn.execute(
            select(_c.owner).where(_c.name == name, _c.expires > now)
        ).scalar_one_or_none()
    return None if value is None else str(value)
