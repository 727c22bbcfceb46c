"""The digest delivery ledger and subscriber state.

One row per (subscriber, period). States: ``pending -> sending -> sent | failed``, plus
``skipped`` (empty week under the "skip" policy). A row is *claimed* (``pending -> sending``) with
one conditional ``UPDATE`` whose row count says who won, so two processes can never both send it;
a ``sending`` row older than ``stale_after`` (a crash mid-send) can be claimed again and is re-sent
with the same Message-ID.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import RowMapping

from scraper.errors import StoreError
from scraper.models import LedgerRow
from scraper.store.engine import Database
from scraper.store.schema import digest_ledger, subscribers
from scraper.store.types import ensure_aware

__all__ = [
    "LEDGER_STATES",
    "SENDING_STALE_AFTER",
    "last_digest_period",
    "ledger_claim",
    "ledger_ensure",
    "ledger_get",
    "ledger_mark",
    "ledger_rows",
    "set_subscribed",
    "unsubscribed",
]

LEDGER_STATES = frozenset({"pending", "sending", "sent", "failed", "skipped"})
SENDING_STALE_AFTER = 600.0  # seconds after which a "sending" row is presumed crashed

_c = digest_ledger.c


def _row(m: RowMapping) -> LedgerRow:
    return LedgerRow(
        id=m["id"],
        subscriber=m["subscriber"],
        period=m["period"],
        message_id=m["message_id"],
        state=m["state"],
        attempts=m["attempts"],
        next_try=m["next_try"],
        items=m["items"],
        error=m["error"],
        created=m["created"],
        updated=m["updated"],
    )


def ledger_get(db: Database, subscriber: str, period: str) -> LedgerRow | None:
    """The row of (subscriber, period), if any."""
    with db.read() as conn:
        m = (
            conn.execute(
                select(digest_ledger).where(_c.subscriber == subscriber, _c.period == period)
            )
            .mappings()
            .one_or_none()
        )
    return None if m is None else _row(m)


def ledger_ensure(
    db: Database, subscriber: str, period: str, message_id: str, items: int, *, now: datetime
) -> LedgerRow:
    """The row of (subscriber, period), inserted as ``pending`` if absent (never replaced)."""
    ensure_aware(now, "now")
    with db.write() as conn:
        conn.execute(
            db.insert(digest_ledger)
            .values(
                subscriber=subscriber,
                period=period,
                message_id=message_id,
                state="pending",
                attempts=0,
                next_try=None,
                items=items,
                error=None,
                created=now,
                updated=now,
            )
            .on_conflict_do_nothing(index_elements=[_c.subscriber, _c.period])
        )
        m = (
            conn.execute(
                select(digest_ledger).where(_c.subscriber == subscriber, _c.period == period)
            )
            .mappings()
            .one()
        )
    return _row(m)


def ledger_claim(
    db: Database, row_id: int, now: datetime, *, stale_after: float = SENDING_STALE_AFTER
) -> bool:
    """Atomically move a row to ``sending`` (attempts + 1); ``True`` only for the winner.

    Claimable: ``pending`` rows whose ``next_try`` is unset or due, and ``sending`` rows last
    touched more than ``stale_after`` seconds before ``now``. Anything else (sent, failed,
    skipped, a fresh ``sending`` row, a retry not yet due, no such row) returns ``False``.
    """
    ensure_aware(now, "now")
    cutoff = now - timedelta(seconds=stale_after)
    stmt = (
        update(digest_ledger)
        .where(
            _c.id == row_id,
            or_(
                and_(_c.state == "pending", or_(_c.next_try.is_(None), _c.next_try <= now)),
                and_(_c.state == "sending", _c.updated <= cutoff),
            ),
        )
        .values(state="sending", attempts=_c.attempts + 1, updated=now)
    )
    with db.write() as conn:
        return conn.execute(stmt).rowcount == 1


def ledger_mark(
    db: Database,
    row_id: int,
    state: str,
    now: datetime,
    *,
    error: str | None = None,
    next_try: datetime | None = None,
) -> None:
    """Record the outcome of a delivery step (``error``/``next_try`` are replaced as given)."""
    if state not in LEDGER_STATES:
        raise ValueError(f"unknown ledger state {state!r} (one of {sorted(LEDGER_STATES)})")
    ensure_aware(now, "now")
    if next_try is not None:
        ensure_aware(next_try, "next_try")
    with db.write() as conn:
        done = conn.execute(
            update(digest_ledger)
            .where(_c.id == row_id)
            .values(state=state, updated=now, error=error, next_try=next_try)
        ).rowcount
    if done != 1:
        raise StoreError(f"digest ledger row {row_id} does not exist")


def ledger_rows(
    db: Database, *, period: str | None = None, states: Sequence[str] | None = None
) -> list[LedgerRow]:
    """Ledger rows (optionally of one period / some states), by period then subscriber."""
    stmt = select(digest_ledger)
    if period is not None:
        stmt = stmt.where(_c.period == period)
    if states is not None:
        stmt = stmt.where(_c.state.in_(list(states)))
    stmt = stmt.order_by(_c.period, _c.subscriber, _c.id)
    with db.read() as conn:
        return [_row(m) for m in conn.execute(stmt).mappings()]


def last_digest_period(db: Database) -> str | None:
    """The latest period that has any ledger row (ISO week keys sort as text)."""
    with db.read() as conn:
        value = conn.execute(select(func.max(_c.period))).scalar_one_or_none()
    return None if value is None else str(value)


def set_subscribed(db: Database, email: str, subscribed: bool, now: datetime) -> None:
    """Record a (un)subscription for ``email`` (kept exactly as given)."""
    ensure_aware(now, "now")
    stmt = db.insert(subscribers).values(email=email, subscribed=subscribed, changed=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[subscribers.c.email],
        set_={"subscribed": stmt.excluded.subscribed, "changed": stmt.excluded.changed},
    )
    with db.write() as conn:
        conn.execute(stmt)


def unsubscribed(db: Database) -> set[str]:
    """Emails that unsubscribed (and did not subscribe again)."""
    with db.read() as conn:
        return set(
            conn.execute(
                select(subscribers.c.email).where(subscribers.c.subscribed.is_(False))
            ).scalars()
        )
