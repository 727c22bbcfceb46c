"""Named leases in the database (``scraper serve`` holds one per database).

A lock is a row with an owner and an expiry. Acquiring inserts the row, or takes it over with one
conditional ``UPDATE`` when it has expired (or is already ours); the row count says who won, so
two processes racing for an expired lock cannot both get it. The holder refreshes it (heartbeat)
before it expires.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update

from scraper.errors import LockedError
from scraper.store.engine import Database
from scraper.store.schema import locks
from scraper.store.types import ensure_aware

__all__ = ["acquire_lock", "lock_owner", "refresh_lock", "release_lock"]

_c = locks.c


def acquire_lock(db: Database, name: str, owner: str, now: datetime, ttl: float) -> bool:
    """Take ``name`` for ``owner`` for ``ttl`` seconds; ``False`` if someone else holds it."""
    ensure_aware(now, "now")
    if ttl <= 0:
        raise ValueError("ttl must be positive")
    expires = now + timedelta(seconds=ttl)
    values = {
        "owner": owner,
        "acquired": now,
        "heartbeat": now,
        "expires": expires,
        "ttl": ttl,
    }
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
        return taken == 1


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
        hint="another process took over after the lease expired; stop this one",
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
