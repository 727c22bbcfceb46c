"""``scraper serve``: one process, one event loop, everything on schedule.

uvicorn serves the Starlette app (:mod:`scraper.web`: status page, health, metrics, feeds,
unsubscribe) and APScheduler's ``AsyncIOScheduler`` is only a timer: it wakes a dispatcher every
few seconds, the lock heartbeat, and the digest check. *What* is due comes from the database
(:mod:`scraper.scheduling`): each source's ``next_run``/``last_run`` and failures in a row, the
digest ledger. A restart therefore loses nothing and does not hammer sites.

* A source's run never overlaps itself; ``serve.max_concurrent_sources`` runs at once; one
  shared :class:`~scraper.fetch.Fetcher` keeps the politeness limits global. When a run starts,
  its ``next_run`` moves one period ahead (a crash does not rerun it in a loop); when it ends,
  ``next_run`` is set from the schedule with error backoff, then the feeds are rebuilt (in a
  thread; concurrent requests coalesce into one more build).
* A lock in the database refuses a second ``serve`` on the same database
  (:class:`~scraper.errors.LockedError`, exit status 1); a heartbeat renews it. The lock of a
  ``serve`` that died on this machine (``kill -9``) is taken over at once on restart
  (:mod:`scraper.store.locks`).
* SIGTERM/SIGINT: stop taking work, give running sources ``serve.grace_seconds`` to finish,
  cancel the rest (their ``next_run`` becomes *now*: they resume after a restart), stop the HTTP
  server, release the lock, exit 0.
* SIGHUP or ``POST /admin/reload`` (loopback only) reloads the configuration; an invalid file
  (or one that changes ``database_url``) is rejected with a log line, the old one keeps running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
import time
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from feeds.mailer import send_due
from feeds.period import due_period
from feeds.publish import BuildReport, build_all
from scraper import logs
from scraper.config import Config, SourceConfig, load_config
from scraper.errors import ConfigError, LockedError, ScraperError
from scraper.fetch import Fetcher
from scraper.logs import event
from scraper.metrics import ServiceMetrics
from scraper.models import SaveAction, SourceReport
from scraper.pipeline import build_index, scrape_source
from scraper.scheduling import (
    digest_needed,
    due_sources,
    next_run_after,
    parse_schedule,
    schedule_for,
    tick_seconds,
)
from scraper.store import SENDING_STALE_AFTER, Store
from scraper.web import create_app

__all__ = ["LOCK_NAME", "LOCK_TTL", "Service", "serve"]

LOCK_NAME = "serve"
LOCK_TTL = 60.0  # seconds; the heartbeat renews it every LOCK_TTL / 4
DIGEST_POLL = 60.0  # seconds between two looks at the digest ledger
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_LOG = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Progress:
    """Pipeline progress turned into metrics (fetch outcomes, stored articles)."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self.metrics = metrics

    def source_started(self, source_id: str) -> None:
        pass

    def links_found(self, source_id: str, count: int) -> None:
        pass

    def article_done(self, source_id: str, outcome: str) -> None:
        saved = outcome in {a.value for a in SaveAction}
        self.metrics.fetches.inc(source=source_id, status="ok" if saved else outcome)
        if outcome in {SaveAction.NEW.value, SaveAction.UPDATED.value}:
            self.metrics.articles.inc(source=source_id, action=outcome)

    def source_finished(self, report: SourceReport) -> None:
        pass


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the service owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Service:
    """The running service: configuration, store, scheduler, source runs, HTTP server."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        config_path: str | None,
        owner: str,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.config = config
        self.store = store
        self.config_path = config_path
        self.owner = owner
        self.clock = clock
        self.metrics = ServiceMetrics()
        self.started_at = clock()
        self.stopping = False
        self.running: dict[str, asyncio.Task[None]] = {}  # queued or running source runs
        self.active: set[str] = set()  # runs past the concurrency gate
        self.last_build: BuildReport | None = None
        self.last_digest: datetime | None = None
        self.exit_code = 0
        self._semaphore = asyncio.Semaphore(config.serve.max_concurrent_sources)
        self._fetcher = Fetcher(config.fetch)
        self._old_fetchers: list[Fetcher] = []
        self._index = build_index(store)
        # a busy loop delays a wake-up; it never skips one (the database says what is due)
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._stop = asyncio.Event()
        self._reload_lock = asyncio.Lock()
        self._feeds_dirty = False
        self._feeds_task: asyncio.Task[None] | None = None
        self._digest_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[object]] = set()
        self._dispatch_error: str | None = None

    # -- state the web app reads ---------------------------------------------------------
    def scheduler_running(self) -> bool:
        return bool(self._scheduler.running) and not self.stopping

    # -- life cycle ----------------------------------------------------------------------
    async def run(self, sock: socket.socket) -> int:
        """Serve on ``sock`` until a stop signal; return the exit status."""
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.request_stop, "SIGTERM")
        loop.add_signal_handler(signal.SIGINT, self.request_stop, "SIGINT")
        loop.add_signal_handler(signal.SIGHUP, self._spawn_reload, "SIGHUP")
        server = _Server(
            uvicorn.Config(
                create_app(self),
                log_config=None,
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=5,
            )
        )
        self._schedule_jobs()
        self._scheduler.start()
        self.request_feeds()
        server_task = asyncio.create_task(server.serve(sockets=[sock]))
        host, port = sock.getsockname()[:2]
        event("serve.started", host=host, port=port, sources=len(self.config.sources))
        stop_wait = asyncio.create_task(self._stop.wait())
        await asyncio.wait({server_task, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
        if server_task.done() and not self._stop.is_set():  # the HTTP server gave up
            error = server_task.exception() if not server_task.cancelled() else None
            event("serve.http_failed", logging.ERROR, error=repr(error) if error else "stopped")
            self.exit_code = 1
        await self._shutdown()
        server.should_exit = True
        await asyncio.gather(server_task, return_exceptions=True)
        stop_wait.cancel()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        event("serve.stopped", exit_code=self.exit_code)
        return self.exit_code

    def request_stop(self, reason: str = "request") -> None:
        if not self._stop.is_set():
            event("serve.stopping", reason=reason, running=sorted(self.active))
        self._stop.set()

    def _spawn(self, coro: Coroutine[Any, Any, object]) -> None:
        task: asyncio.Task[object] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _spawn_reload(self, origin: str) -> None:
        self._spawn(self.reload(origin))

    def _schedule_jobs(self) -> None:
        now = self.clock()
        schedules = [schedule_for(s, self.config) for s in self.config.sources if s.enabled]
        self._scheduler.add_job(
            self._dispatch,
            IntervalTrigger(seconds=tick_seconds(schedules, around=now)),
            id="dispatch",
            next_run_time=now,
        )
        self._scheduler.add_job(
            self._heartbeat, IntervalTrigger(seconds=LOCK_TTL / 4), id="heartbeat"
        )
        self._scheduler.add_job(
            self._wake_digest,
            IntervalTrigger(seconds=DIGEST_POLL),
            id="digest-poll",
            next_run_time=now + timedelta(seconds=1),
        )
        self._scheduler.add_job(self._wake_digest, self._digest_trigger(), id="digest")

    def _digest_trigger(self) -> CronTrigger:
        d = self.config.digest
        hour, minute = (int(p) for p in d.time.split(":"))
        return CronTrigger(
            day_of_week=_WEEKDAYS[d.weekday], hour=hour, minute=minute, timezone=d.timezone
        )

    async def _shutdown(self) -> None:
        self.stopping = True
        with contextlib.suppress(Exception):
            self._scheduler.shutdown(wait=False)
        queued = [t for sid, t in self.running.items() if sid not in self.active]
        for task in queued:
            task.cancel()
        busy: set[asyncio.Task[None]] = {t for sid, t in self.running.items() if sid in self.active}
        if self._digest_task is not None and not self._digest_task.done():
            busy.add(self._digest_task)
        grace = self.config.serve.grace_seconds
        if busy:
            _, late = await asyncio.wait(busy, timeout=grace)
            for task in late:
                task.cancel()
            if late:
                event("serve.grace_expired", logging.WARNING, cancelled=len(late))
        await asyncio.gather(*self.running.values(), *queued, return_exceptions=True)
        if self._digest_task is not None:
            await asyncio.gather(self._digest_task, return_exceptions=True)
        if self._feeds_task is not None:  # a build in its thread finishes; files stay whole
            await asyncio.gather(self._feeds_task, return_exceptions=True)
        for fetcher in (self._fetcher, *self._old_fetchers):
            with contextlib.suppress(Exception):
                await fetcher.aclose()

    # -- timer jobs ----------------------------------------------------------------------
    async def _heartbeat(self) -> None:
        try:
            self.store.refresh_lock(LOCK_NAME, self.owner, self.clock())
        except LockedError as e:
            event("lock.lost", logging.ERROR, error=e.one_line())
            self.exit_code = 1
            self.request_stop("lock lost")
        except ScraperError as e:
            event("lock.heartbeat_failed", logging.WARNING, error=e.one_line())

    async def _dispatch(self) -> None:
        if self.stopping:
            return
        try:
            states = self.store.source_states()
            due = due_sources(self.config, states, now=self.clock(), running=self.running)
        except ScraperError as e:
            if self._dispatch_error != str(e):  # once per distinct error, not every tick
                event("dispatch.failed", logging.WARNING, error=e.one_line())
            self._dispatch_error = str(e)
            return
        if self._dispatch_error is not None:
            event("dispatch.recovered")
            self._dispatch_error = None
        for src in due:
            task = asyncio.create_task(self._run_source(src, self._semaphore, self._fetcher))
            self.running[src.id] = task
            event("run.queued", logging.DEBUG, source=src.id)

    # -- source runs ---------------------------------------------------------------------
    async def _run_source(
        self, src: SourceConfig, gate: asyncio.Semaphore, fetcher: Fetcher
    ) -> None:
        try:
            async with gate:
                if self.stopping:
                    return
                self.active.add(src.id)
                self.metrics.running.set(len(self.active))
                await self._scrape(src, fetcher)
        except asyncio.CancelledError:
            pass  # shutdown; the store has what was saved, next_run says when to resume
        except Exception as e:  # a bug or a database failure: keep serving the others
            event("run.crashed", logging.ERROR, source=src.id, error=f"{type(e).__name__}: {e}")
            _LOG.debug("run of %s crashed", src.id, exc_info=True)
        finally:
            self.running.pop(src.id, None)
            self.active.discard(src.id)
            self.metrics.running.set(len(self.active))
            self._close_idle_fetchers()

    async def _scrape(self, src: SourceConfig, fetcher: Fetcher) -> None:
        config = self.config
        schedule = schedule_for(src, config)
        started = self.clock()
        self.store.set_next_run(src.id, schedule.next_after(started))  # a crash: no rerun loop
        event("run.started", source=src.id, schedule=schedule.text)
        began = time.monotonic()
        try:
            report = await scrape_source(
                src,
                store=self.store,
                fetcher=fetcher,
                index=self._index,
                progress=_Progress(self.metrics),
                clock=self.clock,
            )
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                self.store.set_next_run(src.id, self.clock())  # resume right after a restart
            event("run.cancelled", logging.WARNING, source=src.id)
            raise
        seconds = time.monotonic() - began
        state = self.store.source_state(src.id)
        failures = state.consecutive_failures if state else (0 if report.ok else 1)
        cap = config.serve.error_backoff_max_hours
        next_run = next_run_after(schedule, report.finished, failures, cap_hours=cap)
        self.store.set_next_run(src.id, next_run)
        self.metrics.runs.inc(source=src.id, result="success" if report.ok else "failure")
        self.metrics.run_seconds.observe(seconds, source=src.id)
        event(
            "run.finished",
            logging.INFO if report.ok else logging.WARNING,
            source=src.id,
            ok=report.ok,
            links=report.links_found,
            fetched=report.fetched,
            new=report.new,
            updated=report.updated,
            errors=report.errors,
            blocked=report.blocked,
            seconds=round(seconds, 3),
            failures=failures,
            next_run=next_run,
            first_error=report.error_messages[0] if report.error_messages else None,
        )
        self.request_feeds()

    def _close_idle_fetchers(self) -> None:
        if self.running or not self._old_fetchers:
            return
        old, self._old_fetchers = self._old_fetchers, []
        for fetcher in old:
            self._spawn(fetcher.aclose())

    # -- feeds ---------------------------------------------------------------------------
    def request_feeds(self) -> None:
        """Rebuild the feeds soon (requests during a build coalesce into one more build)."""
        self._feeds_dirty = True
        if self._feeds_task is None or self._feeds_task.done():
            self._feeds_task = asyncio.create_task(self._build_feeds())

    async def _build_feeds(self) -> None:
        while self._feeds_dirty:
            self._feeds_dirty = False
            config = self.config
            began = time.monotonic()
            try:
                report = await asyncio.to_thread(build_all, self.store, config, now=self.clock())
            except ScraperError as e:
                self.metrics.feed_builds.inc(result="error")
                event("feeds.failed", logging.ERROR, error=e.one_line())
                continue
            except Exception as e:
                self.metrics.feed_builds.inc(result="error")
                event("feeds.failed", logging.ERROR, error=f"{type(e).__name__}: {e}")
                continue
            self.last_build = report
            self.metrics.feed_builds.inc(result="ok")
            event(
                "feeds.built",
                feeds=len(report.feeds),
                written=len(report.written),
                removed=len(report.removed),
                seconds=round(time.monotonic() - began, 3),
            )

    # -- digest --------------------------------------------------------------------------
    async def _wake_digest(self) -> None:
        if self.stopping or (self._digest_task is not None and not self._digest_task.done()):
            return
        self._digest_task = asyncio.create_task(self._digest())

    def _digest_wanted(self, now: datetime) -> bool:
        config = self.config
        if not config.digest.enabled or not config.subscribers:
            return False
        due = due_period(now, config.digest)
        return digest_needed(
            due_period=due,
            subscribers=[s.email for s in config.subscribers],
            unsubscribed=self.store.unsubscribed(),
            due_rows=self.store.ledger_rows(period=due),
            open_rows=self.store.ledger_rows(states=["pending", "sending"]),
            now=now,
            stale_after=SENDING_STALE_AFTER,
        )

    async def _digest(self) -> None:
        now = self.clock()
        try:
            if not self._digest_wanted(now):
                return
            event("digest.started", period=due_period(now, self.config.digest))
            results = await send_due(self.store, self.config, now=now)
        except ScraperError as e:
            event("digest.failed", logging.ERROR, error=e.one_line())
            return
        except Exception as e:
            event("digest.failed", logging.ERROR, error=f"{type(e).__name__}: {e}")
            return
        self.last_digest = now
        sent = sum(1 for r in results if r.sent_now)
        self.metrics.digests_sent.inc(sent)
        for r in results:
            self.metrics.deliveries.inc(state=r.state)
            if r.error and r.state in {"pending", "failed"}:
                event("digest.delivery", logging.WARNING, period=r.period, state=r.state,
                      error=r.error)  # fmt: skip
        states = sorted({r.state for r in results})
        event("digest.finished", sent=sent, deliveries=len(results), states=states)

    # -- configuration reload ------------------------------------------------------------
    async def reload(self, origin: str) -> tuple[bool, str]:
        """Load the configuration file again; keep the old one when the new one is bad."""
        async with self._reload_lock:
            try:
                new = await asyncio.to_thread(load_config, self.config_path)
                self._check_reloadable(new)
            except ConfigError as e:
                self.metrics.reloads.inc(result="rejected")
                event("config.rejected", logging.ERROR, origin=origin, error=str(e),
                      problems=e.problems)  # fmt: skip
                return False, "; ".join([str(e), *e.problems])
            notes = self._apply(new)
            self.metrics.reloads.inc(result="applied")
            event("config.reloaded", origin=origin, sources=len(new.sources), notes=notes)
            return True, "configuration reloaded" + (f" ({'; '.join(notes)})" if notes else "")

    def _check_reloadable(self, new: Config) -> None:
        if new.database_url != self.config.database_url:
            raise ConfigError(
                "database_url cannot change while the service runs",
                hint="restart `scraper serve` to move to another database",
            )
        for src in new.sources:
            parse_schedule(src.schedule or new.serve.default_schedule)

    def _apply(self, new: Config) -> list[str]:
        old, self.config = self.config, new
        notes: list[str] = []
        now = self.clock()
        self.store.sync_sources(new.sources, now)
        old_sched = {s.id: schedule_for(s, old).text for s in old.sources}
        for src in new.sources:
            if old_sched.get(src.id) not in {None, schedule_for(src, new).text}:
                if src.id not in self.running:
                    self.store.set_next_run(src.id, None)  # recomputed from the last run
                notes.append(f"{src.id}: schedule {schedule_for(src, new).text}")
        if new.fetch != old.fetch:
            self._old_fetchers.append(self._fetcher)
            self._fetcher = Fetcher(new.fetch)
            self._close_idle_fetchers()
        if new.serve.max_concurrent_sources != old.serve.max_concurrent_sources:
            self._semaphore = asyncio.Semaphore(new.serve.max_concurrent_sources)
        schedules = [schedule_for(s, new) for s in new.sources if s.enabled]
        with contextlib.suppress(Exception):
            self._scheduler.reschedule_job(
                "dispatch", trigger=IntervalTrigger(seconds=tick_seconds(schedules, around=now))
            )
            self._scheduler.reschedule_job("digest", trigger=self._digest_trigger())
        for key in ("host", "port", "log_format"):
            if getattr(new.serve, key) != getattr(old.serve, key):
                notes.append(f"serve.{key} takes effect after a restart")
        if new.feeds.output_dir != old.feeds.output_dir:
            notes.append("feeds.output_dir is served from the old folder until a restart")
        self.request_feeds()
        self._dispatch_soon()
        return notes

    def _dispatch_soon(self) -> None:
        with contextlib.suppress(Exception):
            self._scheduler.modify_job("dispatch", next_run_time=self.clock())


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise ScraperError(
            f"cannot listen on {host}:{port}: {e.strerror or e}",
            hint="choose another --port or stop the program using it",
        ) from e
    sock.setblocking(False)
    return sock


async def _main(config: Config, config_path: str | None, host: str, port: int) -> int:
    store = await asyncio.to_thread(Store.open, config.database_url)
    owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    try:
        now = _utcnow()
        previous = store.lock_owner(LOCK_NAME, now)
        if not store.acquire_lock(LOCK_NAME, owner, now, LOCK_TTL):
            holder = store.lock_owner(LOCK_NAME, now) or "another process"
            event("serve.refused", logging.ERROR, reason="locked", holder=holder)
            raise LockedError(
                f"another `scraper serve` runs on this database (lock held by {holder})",
                hint="stop it first; one that was killed on this machine is replaced at once, "
                f"one on another machine when its lock expires (within {LOCK_TTL:.0f} s)",
            )
        if previous is not None:  # its holder was gone (killed): taken over before expiry
            event("lock.taken_over", logging.WARNING, previous=previous)
        try:
            sock = _listen(host, port)
            store.sync_sources(config.sources, now)
            service = Service(config, store, config_path=config_path, owner=owner)
            with sock:
                return await service.run(sock)
        finally:
            with contextlib.suppress(Exception):
                store.release_lock(LOCK_NAME, owner)
            event("lock.released", logging.DEBUG)
    finally:
        store.close()


def serve(
    config_path: str | None,
    *,
    host: str | None = None,
    port: int | None = None,
    verbose: bool = False,
) -> int:
    """Run the service until SIGTERM/SIGINT; return the exit status (0 after a clean stop).

    Raises :class:`ConfigError` for an invalid configuration, :class:`LockedError` when another
    ``serve`` holds the database, :class:`ScraperError` when the port cannot be bound.
    """
    config = load_config(config_path)
    logs.configure(config.serve.log_format, verbose=verbose)
    return asyncio.run(
        _main(config, config_path, host or config.serve.host, port or config.serve.port)
    )
