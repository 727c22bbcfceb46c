"""``scraper serve``: one process, one event loop, everything on schedule.

Three modules: :mod:`.process` (the lock, the socket, the event loop: :func:`serve`),
:mod:`.core` (:class:`Service`: its state, the timer, signals, shutdown, reload) and :mod:`.jobs`
(what a source run, a feeds build, a digest and a reload check do).

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

from scraper.service.core import LOCK_NAME, LOCK_TTL, Service
from scraper.service.process import _listen as _listen  # for tests that run it in-process
from scraper.service.process import _main as _main
from scraper.service.process import serve

__all__ = ["LOCK_NAME", "LOCK_TTL", "Service", "serve"]
