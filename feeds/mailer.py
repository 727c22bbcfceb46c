"""Digest delivery: transports and the ledger-driven ``send_due``.

Every delivery is one ledger row per (subscriber, period) and goes
``pending -> sending -> sent | failed`` (or ``skipped`` for an empty week under the skip
policy), each step committed before the next, so:

* a crash while sending leaves the row ``sending``; once it is stale (the store's
  ``SENDING_STALE_AFTER``) the next run claims it again and re-sends it with the *same*
  Message-ID: never lost, at most one duplicate per crash, and mail clients fold that one;
* a second process cannot send the same row: ``ledger_claim`` is one conditional UPDATE;
* 4xx answers, dropped connections and timeouts put the row back to ``pending`` with a
  ``next_try`` (exponential backoff); 5xx answers mark it ``failed`` with the server's reply;
  refused credentials put it back to ``pending`` and stop the whole batch with
  :class:`~scraper.errors.SmtpAuthError`.

Which periods are sent is decided from the ledger, not from the scheduler: the due period
(:func:`feeds.period.due_period`), plus, after downtime, every missed period when
``digest.catch_up = "all"`` (at most :data:`MAX_CATCH_UP`), plus any period that still has
``pending``/``sending`` rows (retries).

The transports (SMTP, the ``.eml`` outbox) live in :mod:`feeds.transport`.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feeds.digest import Digest, admin_health, build, render
from feeds.message import build_message, message_id_for
from feeds.period import due_period, next_period, period_bounds, periods_between
from feeds.transport import OutboxTransport, SmtpTransport, Transport, transport_for
from feeds.unsubscribe import load_secret, unsubscribe_url
from scraper.config import Config, SubscriberConfig
from scraper.errors import MailError, PermanentMailError, SmtpAuthError, TemporaryMailError
from scraper.health import SourceHealth, assess_all
from scraper.models import DigestItem, LedgerRow, StoredArticle
from scraper.store import Store

__all__ = [
    "MAX_ATTEMPTS",
    "MAX_CATCH_UP",
    "DeliveryResult",
    "OutboxTransport",
    "PermanentMailError",
    "SmtpTransport",
    "TemporaryMailError",
    "Transport",
    "backoff",
    "preview",
    "send_due",
    "status",
    "transport_for",
]

RETRY_BASE = timedelta(minutes=10)
RETRY_CAP = timedelta(hours=12)
MAX_ATTEMPTS = 8  # temporary failures before a row is given up as failed
MAX_CATCH_UP = 12  # periods replayed at most with catch_up = "all"
STOP_AFTER_TEMPORARY = 3  # consecutive temporary failures that end a batch (server down)


# --- the ledger-driven batch ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What ``send_due`` did for one (subscriber, period): a row of the CLI's table.

    ``state`` is the ledger state after this run (``sent``, ``pending``, ``failed``,
    ``skipped``, ``sending`` when another process holds the row), or ``dry-run`` /
    ``unsubscribed`` for rows this run did not touch.
    """

    subscriber: str
    period: str
    state: str
    items: int
    message_id: str
    attempts: int = 0
    error: str | None = None
    next_try: datetime | None = None
    sent_now: bool = False


def backoff(attempts: int) -> timedelta:
    """Delay before retry number ``attempts`` (1, 2, ...): 10 min doubling, at most 12 h."""
    delay: timedelta = RETRY_BASE * (2 ** max(0, attempts - 1))
    return min(delay, RETRY_CAP)


def _periods(store: Store, config: Config, now: datetime, period: str | None) -> list[str]:
    if period is not None:
        try:
            period_bounds(period, config.digest.timezone)  # validates the key
        except ValueError as e:
            raise MailError(str(e), hint="give an ISO week such as 2025-W28") from e
        return [period]
    due = due_period(now, config.digest)
    wanted = {due}
    last = store.last_digest_period()
    if config.digest.catch_up == "all" and last is not None and last < due:
        wanted.update(periods_between(next_period(last, -1), due)[-MAX_CATCH_UP:])
    for row in store.ledger_rows(states=["pending", "sending"]):
        if row.period <= due:
            wanted.add(row.period)
    return sorted(wanted)


async def send_due(
    store: Store,
    config: Config,
    *,
    now: datetime,
    transport: Transport | None = None,
    dry_run: bool = False,
    period: str | None = None,
) -> list[DeliveryResult]:
    """Send every digest that is due at ``now``; one result per subscriber and period.

    ``period`` forces one period (``2025-W28``) instead of the due one(s). ``dry_run`` renders
    but neither writes the ledger nor sends. Raises :class:`SmtpAuthError` (after putting the
    row back to ``pending``) when the server refuses our credentials.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    started = time.monotonic()

    def clock() -> datetime:  # ``now`` moved on by the time this batch has taken
        return now + timedelta(seconds=time.monotonic() - started)

    own_transport = transport is None
    tx = transport if transport is not None else transport_for(config)
    secret = load_secret(config) if config.serve.public_base_url else b""
    results: list[DeliveryResult] = []
    try:
        for key in _periods(store, config, now, period):
            batch = _Batch(
                store,
                config,
                transport=tx,
                period=key,
                secret=secret,
                clock=clock,
                dry_run=dry_run,
            )
            results.extend(await batch.run())
            if batch.stopped:
                break
    finally:
        if own_transport:
            await tx.aclose()
    return results


class _Batch:
    """One period's deliveries: ensure every row first, then claim and send them one by one."""

    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        transport: Transport,
        period: str,
        secret: bytes,
        clock: Callable[[], datetime],
        dry_run: bool,
    ) -> None:
        self.store, self.config, self.transport = store, config, transport
        self.period, self.secret, self.clock, self.dry_run = period, secret, clock, dry_run
        self.stopped = False
        self.temporary_failure = False
        self.cache: dict[int, DigestItem] = {}
        self._source_health: list[SourceHealth] | None = None

    def _health(self, sub: SubscriberConfig) -> tuple[SourceHealth, ...]:
        """The admin section for ``sub`` (source health, assessed once per batch)."""
        if not (self.config.digest.admin_section and sub.admin):
            return ()
        if self._source_health is None:
            self._source_health = assess_all(self.config, self.store, now=self.clock())
        return admin_health(sub, self._source_health, enabled=True)

    def _articles(self) -> list[StoredArticle]:
        start, end = period_bounds(self.period, self.config.digest.timezone)
        return self.store.articles(first_seen_from=start, first_seen_to=end)

    async def run(self) -> list[DeliveryResult]:
        cfg = self.config
        articles = self._articles()
        gone = {e.lower() for e in self.store.unsubscribed()}
        known = {s.email.lower() for s in cfg.subscribers}
        results: list[DeliveryResult] = []
        todo: list[tuple[SubscriberConfig, LedgerRow, Digest]] = []
        # 1. rows that can no longer be sent: unsubscribed since, or removed from the config
        for stale in self.store.ledger_rows(period=self.period, states=["pending"]):
            if stale.subscriber.lower() in gone or stale.subscriber.lower() not in known:
                why = "unsubscribed" if stale.subscriber.lower() in gone else "no longer configured"
                if not self.dry_run:
                    self.store.ledger_mark(stale.id, "skipped", self.clock(), error=why)
                results.append(_result(stale, "skipped", error=why))
        # 2. every subscriber gets a row before anything is sent (a crash loses nobody)
        for sub in cfg.subscribers:
            if sub.email.lower() in gone:
                continue
            row = self.store.ledger_get(sub.email, self.period)
            if row is not None and row.state in {"sent", "failed", "skipped"}:
                results.append(_result(row, row.state, error=row.error))
                continue
            digest = build(articles, sub, config=cfg, period=self.period, cache=self.cache)
            digest = replace(digest, health=self._health(sub))
            mid = row.message_id if row else message_id_for(sub.email, self.period, _from(cfg))
            if self.dry_run:
                state = "dry-run" if row is None else row.state
                results.append(DeliveryResult(sub.email, self.period, state, digest.count, mid))
                continue
            if row is None:
                row = self.store.ledger_ensure(
                    sub.email, self.period, mid, digest.count, self.clock()
                )
            if digest.empty and cfg.digest.empty_policy == "skip" and row.state == "pending":
                self.store.ledger_mark(row.id, "skipped", self.clock(), error="nothing new")
                results.append(_result(row, "skipped", error="nothing new"))
                continue
            todo.append((sub, row, digest))
        # 3. claim and send
        temporary = 0
        for index, (sub, row, digest) in enumerate(todo):
            if temporary >= STOP_AFTER_TEMPORARY:
                self.stopped = True
                error = f"not tried: {temporary} temporary failures in a row"
                results.extend(_result(r, r.state, error=error) for _, r, _ in todo[index:])
                break
            self.temporary_failure = False
            results.append(await self._deliver(sub, row, digest))
            temporary = temporary + 1 if self.temporary_failure else 0
        return results

    async def _deliver(
        self, sub: SubscriberConfig, row: LedgerRow, digest: Digest
    ) -> DeliveryResult:
        cfg = self.config
        if row.state == "pending" and row.next_try is not None and row.next_try > self.clock():
            return _result(row, "pending", error=row.error)
        link = unsubscribe_url(cfg, sub.email, self.secret) if self.secret else None
        digest = replace(digest, unsubscribe_url=link)
        rendered = render(digest, templates_dir=_templates(cfg))
        try:
            message = build_message(
                rendered,
                subscriber=sub,
                config=cfg,
                period=self.period,
                now=self.clock(),
                message_id=row.message_id,
                unsubscribe_url=link,
            )
        except MailError as e:  # a malformed address: this row can never be sent
            self.store.ledger_mark(row.id, "failed", self.clock(), error=str(e))
            return _result(row, "failed", error=str(e))
        if not self.store.ledger_claim(row.id, self.clock()):
            fresh = self.store.ledger_get(sub.email, self.period) or row
            return _result(fresh, fresh.state, error=fresh.error)
        attempts = row.attempts + 1
        try:
            await self.transport.send(message, sender=cfg.digest.from_address, recipient=sub.email)
        except SmtpAuthError as e:
            self.store.ledger_mark(row.id, "pending", self.clock(), error=str(e))
            self.stopped = True
            raise
        except TemporaryMailError as e:
            self.temporary_failure = True
            if attempts >= MAX_ATTEMPTS:
                error = f"gave up after {attempts} attempts: {e}"
                self.store.ledger_mark(row.id, "failed", self.clock(), error=error)
                return _result(row, "failed", attempts=attempts, error=error)
            retry = self.clock() + backoff(attempts)
            self.store.ledger_mark(row.id, "pending", self.clock(), error=str(e), next_try=retry)
            return _result(row, "pending", attempts=attempts, error=str(e), next_try=retry)
        except PermanentMailError as e:
            self.store.ledger_mark(row.id, "failed", self.clock(), error=str(e))
            return _result(row, "failed", attempts=attempts, error=str(e))
        except BaseException as e:
            with contextlib.suppress(Exception):
                retry = self.clock() + backoff(attempts)
                self.store.ledger_mark(
                    row.id,
                    "pending",
                    self.clock(),
                    error=f"{type(e).__name__}: {e}",
                    next_try=retry,
                )
            raise
        self.store.ledger_mark(row.id, "sent", self.clock())
        return DeliveryResult(
            sub.email, self.period, "sent", digest.count, row.message_id, attempts, sent_now=True
        )


def _templates(config: Config) -> Path | None:
    folder = config.digest.templates_dir
    return config.resolve(folder) if folder else None


def _from(config: Config) -> str:
    return config.digest.from_address


def _result(
    row: LedgerRow,
    state: str,
    *,
    attempts: int | None = None,
    error: str | None = None,
    next_try: datetime | None = None,
) -> DeliveryResult:
    return DeliveryResult(
        subscriber=row.subscriber,
        period=row.period,
        state=state,
        items=row.items,
        message_id=row.message_id,
        attempts=row.attempts if attempts is None else attempts,
        error=error,
        next_try=next_try if next_try is not None else row.next_try,
    )


# --- preview and status ---------------------------------------------------------------------


def preview(
    store: Store,
    config: Config,
    *,
    subscriber: str | None = None,
    period: str | None = None,
    out_dir: Path,
    now: datetime | None = None,
) -> tuple[Path, Path]:
    """Render one subscriber's digest (default: the first, else everything) to two files.

    Returns ``(html_path, text_path)``; nothing is sent and the ledger is not touched.
    """
    moment = now or datetime.now(UTC)
    key = (
        _periods(store, config, moment, period)[-1] if period else due_period(moment, config.digest)
    )
    if subscriber is None:
        sub = config.subscribers[0] if config.subscribers else None
    else:
        sub = next((s for s in config.subscribers if s.email.lower() == subscriber.lower()), None)
        if sub is None:
            raise MailError(
                f"no subscriber {subscriber!r} in the configuration",
                hint="use an email from [[subscribers]] or leave --subscriber out",
            )
    if sub is None:
        sub = SubscriberConfig(email="preview@example.org", name="Preview")
    start, end = period_bounds(key, config.digest.timezone)
    articles = store.articles(first_seen_from=start, first_seen_to=end)
    secret = load_secret(config) if config.serve.public_base_url else b""
    link = unsubscribe_url(config, sub.email, secret) if secret else None
    digest = build(articles, sub, config=config, period=key, unsubscribe_url=link)
    if config.digest.admin_section and sub.admin:
        health = assess_all(config, store, now=moment)
        digest = replace(digest, health=admin_health(sub, health, enabled=True))
    rendered = render(digest, templates_dir=_templates(config))
    out_dir.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", sub.email.lower()).strip("-")
    html_path = out_dir / f"digest-{key}-{slug}.html"
    text_path = out_dir / f"digest-{key}-{slug}.txt"
    html_path.write_text(rendered.html, encoding="utf-8")
    text_path.write_text(f"Subject: {rendered.subject}\n\n{rendered.text}", encoding="utf-8")
    return html_path, text_path


def status(store: Store, *, period: str | None = None) -> list[LedgerRow]:
    """The ledger (optionally of one period), by period then subscriber."""
    return store.ledger_rows(period=period)
