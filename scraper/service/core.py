"""The running service (:class:`Service`): its state, and *when* things happen.

One event loop: uvicorn serves the web app, APScheduler's ``AsyncIOScheduler`` is only a timer
(dispatcher, lock heartbeat, digest), the signals are the service's own. What the jobs do is in
:mod:`scraper.service.jobs`; here they are wired to the timer, kept from overlapping (a source's
run never overlaps itself, ``serve.max_concurrent_sources`` at once, feeds builds coalesce), and
stopped on shutdown within ``serve.grace_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from feeds.publish import BuildReport
from scraper.config import Config, SourceConfig, load_config
from scraper.errors import ConfigError, LockedError, ScraperError
from scraper.fetch import Fetcher
from scraper.logs import LOGGER, event
from scraper.metrics import ServiceMetrics
from scraper.pipeline import build_index
from scraper.scheduling import due_sources, schedule_for, tick_seconds
from scraper.service import jobs
from scraper.store import Store
from scraper.web import create_app

__all__ = ["DIGEST_POLL", "LOCK_NAME", "LOCK_TTL", "Service"]

LOCK_NAME = "serve"
LOCK_TTL = 60.0  # seconds; the heartbeat renews it every LOCK_TTL / 4
DIGEST_POLL = 60.0  # seconds between two looks at the digest ledger
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_LOG = logging.getLogger(LOGGER)


def _utcnow() -> datetime:
    return datetime.now(UTC)


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
        await jobs.scrape(
            src,
            config=self.config,
            store=self.store,
            fetcher=fetcher,
            index=self._index,
            metrics=self.metrics,
            clock=self.clock,
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
            report = await jobs.build_feeds(self.store, self.config, self.metrics, self.clock())
            if report is not None:
                self.last_build = report

    # -- digest --------------------------------------------------------------------------
    async def _wake_digest(self) -> None:
        if self.stopping or (self._digest_task is not None and not self._digest_task.done()):
            return
        self._digest_task = asyncio.create_task(self._digest())

    async def _digest(self) -> None:
        now = self.clock()
        if await jobs.send_digest(self.config, self.store, self.metrics, now):
            self.last_digest = now

    # -- configuration reload ------------------------------------------------------------
    async def reload(self, origin: str) -> tuple[bool, str]:
        """Load the configuration file again; keep the old one when the new one is bad."""
        async with self._reload_lock:
            try:
                new = await asyncio.to_thread(load_config, self.config_path)
                jobs.check_reloadable(new, self.config)
            except ConfigError as e:
                self.metrics.reloads.inc(result="rejected")
                event("config.rejected", logging.ERROR, origin=origin, error=str(e),
                      problems=e.problems)  # fmt: skip
                return False, "; ".join([str(e), *e.problems])
            notes = self._apply(new)
            self.metrics.reloads.inc(result="applied")
            event("config.reloaded", origin=origin, sources=len(new.sources), notes=notes)
            return True, "configuration reloaded" + (f" ({'; '.join(notes)})" if notes else "")

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
