"""robots.txt per origin, RFC 9309 semantics, parsed with ``protego``.

- 2xx: parsed (the first :data:`ROBOTS_MAX_BYTES` decoded bytes; the rest is ignored, as the RFC
  allows); ``Crawl-delay`` for our product token becomes the host's spacing floor (at most
  :data:`MAX_CRAWL_DELAY` seconds, so one odd file cannot stall a run for hours);
- 4xx other than 429 ("unavailable"), or more than :data:`ROBOTS_MAX_REDIRECTS` redirects:
  everything allowed;
- 429, 5xx, a network error or a deadline ("unreachable"): everything disallowed *for now*, and
  asked again after :data:`ROBOTS_RETRY_TTL` seconds (or ``robots_ttl`` if shorter);
- a readable answer is kept ``robots_ttl`` seconds (24 h by default).

The policy is cached per origin (``scheme://host:port``). One fetch per origin at a time: other
requests to that origin wait for it rather than fetching it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from protego import Protego

__all__ = [
    "MAX_CRAWL_DELAY",
    "ROBOTS_MAX_BYTES",
    "ROBOTS_MAX_REDIRECTS",
    "ROBOTS_RETRY_TTL",
    "RobotsAnswer",
    "RobotsCache",
    "RobotsPolicy",
    "origin_of",
]

ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309: parse at least 500 KiB
ROBOTS_MAX_REDIRECTS = 5  # RFC 9309: follow at least five
ROBOTS_RETRY_TTL = 300.0  # an unreachable robots.txt is asked again after this many seconds
MAX_CRAWL_DELAY = 120.0  # Crawl-delay values above this are read as this


def origin_of(url: str) -> str:
    """``scheme://host:port`` of an http(s) URL (the scope of one robots.txt)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


@dataclass(frozen=True, slots=True)
class RobotsAnswer:
    """What fetching one robots.txt gave: an HTTP status and text, or a failure line."""

    status: int | None
    text: str = ""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RobotsPolicy:
    """The rules of one origin: ``mode`` is ``parsed``, ``allow_all`` or ``disallow_all``."""

    mode: str
    expires: float
    parser: Protego | None = None
    crawl_delay: float | None = None
    reason: str = ""

    def allows(self, url: str, agent: str) -> bool:
        if self.mode == "allow_all":
            return True
        if self.mode == "disallow_all" or self.parser is None:
            return False
        return bool(self.parser.can_fetch(url, agent))


def make_policy(answer: RobotsAnswer, agent: str, now: float, ttl: float) -> RobotsPolicy:
    """The policy an answer means under RFC 9309 (pure)."""
    status = answer.status
    if status is None or status == 429 or status >= 500:
        why = answer.error or f"HTTP {status}"
        return RobotsPolicy("disallow_all", now + min(ttl, ROBOTS_RETRY_TTL), reason=why)
    if 200 <= status < 300:
        parser = Protego.parse(answer.text)
        delay = parser.crawl_delay(agent)
        crawl_delay = min(float(delay), MAX_CRAWL_DELAY) if delay is not None else None
        return RobotsPolicy("parsed", now + ttl, parser, crawl_delay)
    return RobotsPolicy("allow_all", now + ttl, reason=answer.error or f"HTTP {status}")


RobotsGetter = Callable[[str], Awaitable[RobotsAnswer]]


class RobotsCache:
    """Policies per origin; ``get_robots(url)`` fetches one robots.txt (redirects included)."""

    def __init__(
        self, get_robots: RobotsGetter, *, agent: str, ttl: float, clock: Callable[[], float]
    ) -> None:
        self._get = get_robots
        self._agent = agent
        self._ttl = ttl
        self._clock = clock
        self._policies: dict[str, RobotsPolicy] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def cached(self, url: str) -> RobotsPolicy | None:
        """The unexpired policy of ``url``'s origin, if any."""
        policy = self._policies.get(origin_of(url))
        if policy is not None and policy.expires > self._clock():
            return policy
        return None

    async def policy(self, url: str) -> RobotsPolicy:
        """The policy of ``url``'s origin, fetched when missing or expired."""
        origin = origin_of(url)
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            policy = self.cached(url)
            if policy is None:
                answer = await self._get(urljoin(url, "/robots.txt"))
                policy = make_policy(answer, self._agent, self._clock(), self._ttl)
                self._policies[origin] = policy
            return policy
