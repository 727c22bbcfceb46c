"""Politeness: a global bound on requests in flight, one request at a time per host, spacing.

``async with gate.slot(host):`` waits its turn on ``host`` (FIFO), then until ``spacing``
seconds have passed since the *end* of the previous request to that host, then for one of the
``concurrency`` global slots; on exit it stamps the end time. The spacing of a host is
``max(per_host_spacing, Crawl-delay)`` (:meth:`HostGate.set_floor`); :meth:`HostGate.defer`
pushes a host's next start later (``Retry-After``, backoff), holding every request to it.
A host is ``host[:port]`` of the URL, so two servers on one address are two hosts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["HostGate", "host_key"]


def host_key(url: str) -> str:
    """``host:port`` of an http(s) URL, lower-cased, default ports made explicit."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    return f"{host}:{port}"


@dataclass
class _Host:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = float("-inf")  # clock time before which no request may start
    floor: float = 0.0  # Crawl-delay from robots.txt


class HostGate:
    """Global concurrency + per-host serialisation and spacing (see the module docstring)."""

    def __init__(
        self,
        concurrency: int,
        spacing: float,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self._global = asyncio.Semaphore(concurrency)
        self._spacing = spacing
        self._clock = clock
        self._sleep = sleep
        self._hosts: dict[str, _Host] = {}

    def _host(self, key: str) -> _Host:
        state = self._hosts.get(key)
        if state is None:
            state = self._hosts[key] = _Host()
        return state

    def spacing(self, key: str) -> float:
        """The current minimum gap between two requests to ``key``."""
        return max(self._spacing, self._host(key).floor)

    def set_floor(self, key: str, seconds: float) -> None:
        """Raise (or reset) the spacing floor of ``key`` (robots.txt ``Crawl-delay``)."""
        self._host(key).floor = max(0.0, seconds)

    def defer(self, key: str, seconds: float) -> None:
        """No request to ``key`` starts within ``seconds`` from now."""
        state = self._host(key)
        state.next_start = max(state.next_start, self._clock() + seconds)

    @asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        state = self._host(key)
        async with state.lock:
            while (wait := state.next_start - self._clock()) > 0:
                await self._sleep(wait)
            try:
                async with self._global:
                    yield
            finally:
                state.next_start = max(state.next_start, self._clock() + self.spacing(key))
