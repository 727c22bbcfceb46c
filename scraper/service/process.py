"""``scraper serve`` as a process: the database lock, the listening socket, the event loop.

:func:`serve` loads the configuration and runs :func:`_main` in a new event loop; ``_main``
opens the store, takes the database lock (:data:`~scraper.service.core.LOCK_NAME`: one
``serve`` per database; a killed one on this machine is replaced at once, see
:mod:`scraper.store.locks`), binds the port and runs the :class:`~scraper.service.core.Service`
until it stops, then releases the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from datetime import UTC, datetime

from scraper import logs
from scraper.config import Config, load_config
from scraper.errors import LockedError, ScraperError
from scraper.logs import event
from scraper.service.core import LOCK_NAME, LOCK_TTL, Service
from scraper.store import Store

__all__ = ["serve"]


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
        now = datetime.now(UTC)
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
