"""The polite, bounded fetcher: one URL in, one :class:`~scraper.models.FetchResult` out.

Per URL, in order: robots.txt of each hop's origin (:mod:`.robots`), the politeness gate
(:mod:`.politeness`), one GET with our User-Agent, ``Accept-Encoding: gzip, deflate, br`` and the
stored validators, inside a wall-clock deadline that covers the body too (httpx timeouts only
bound inactivity); the raw body read through a bounded decoder (:mod:`.decode`) and decoded to
text (:mod:`.charset`) (all of one request: :mod:`.exchange`). Redirects are followed by hand
(``max_redirects``, http/https only, loops refused, robots re-checked per hop); 408/429/5xx
and connection errors are retried with backoff or ``Retry-After`` (:mod:`.retry`). Per-URL
faults never raise: they come back as a status and one ``error`` line (:mod:`.outcome`).

The deadline bounds each HTTP request (one attempt at one hop), not the waits between them:
queueing behind other requests to the same host and backoff are politeness, not slowness.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from scraper.config import FetchConfig
from scraper.errors import FetchError
from scraper.fetch.decode import ACCEPT_ENCODING
from scraper.fetch.exchange import (
    ACCEPT_HEADER,
    Accept,
    Exchanger,
    describe,
    inspect,
)
from scraper.fetch.outcome import Outcome, finished, result
from scraper.fetch.politeness import HostGate, host_key
from scraper.fetch.retry import backoff_delay, is_retryable_status, parse_retry_after
from scraper.fetch.robots import (
    ROBOTS_MAX_BYTES,
    ROBOTS_MAX_REDIRECTS,
    RobotsAnswer,
    RobotsCache,
)
from scraper.models import FetchResult, FetchStatus

__all__ = ["Accept", "FetchStats", "Fetcher"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FetchStats:
    """Counters since the fetcher was made: HTTP requests sent (robots.txt included, also
    counted alone), body bytes received on the wire and after decoding, retries."""

    requests: int = 0
    robots_requests: int = 0
    bytes_received: int = 0
    bytes_decoded: int = 0
    retries: int = 0


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)


def _defragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))


class Fetcher:
    """Fetch pages politely and within bounds (see the module docstring).

    ``client`` is an injected ``httpx.AsyncClient`` (the fetcher makes and closes its own
    when none is given; an injected one is left open). ``clock`` (monotonic seconds) and
    ``sleep`` drive spacing, backoff and robots.txt expiry, so tests can replace them; the
    per-request deadline uses the event loop's own clock.
    """

    def __init__(
        self,
        config: FetchConfig,
        client: httpx.AsyncClient | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self._timeout = httpx.Timeout(
            connect=config.connect_timeout,
            read=config.read_timeout,
            write=config.read_timeout,
            pool=config.deadline,
        )
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=self._timeout,
            follow_redirects=False,
            # The gate bounds requests in flight; the pool only keeps connections warm
            # (one per host), so it must not be the tighter limit.
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=128),
        )
        self._clock = clock
        self._gate = HostGate(config.concurrency, config.per_host_spacing, clock=clock, sleep=sleep)
        self._robots = RobotsCache(
            self._get_robots, agent=config.user_agent, ttl=config.robots_ttl, clock=clock
        )
        self._http = Exchanger(
            self._client, self._gate, timeout=self._timeout, deadline=config.deadline
        )
        self._rng = random.Random()
        self._retries = 0

    # -- public API -----------------------------------------------------------------------

    @property
    def stats(self) -> FetchStats:
        """A snapshot of the counters."""
        http = self._http
        return FetchStats(
            http.requests,
            http.robots_requests,
            http.bytes_received,
            http.bytes_decoded,
            self._retries,
        )

    async def robots_allowed(self, url: str) -> bool:
        """Whether robots.txt lets us fetch ``url`` now (always true with ``respect_robots``
        off; false while the origin's robots.txt is unreachable)."""
        if not self.config.respect_robots:
            return True
        if not _is_http(url):
            return False
        policy = await self._robots.policy(url)
        self._gate.set_floor(host_key(url), policy.crawl_delay or 0.0)
        return policy.allows(url, self.config.user_agent)

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: Accept = "html",
    ) -> FetchResult:
        """Fetch ``url``; never raises for a fault of this URL (see :class:`FetchResult`).

        ``etag``/``last_modified`` are the validators stored from the previous fetch (sent as
        ``If-None-Match``/``If-Modified-Since``; a 304 gives ``NOT_MODIFIED``). ``accept``:
        ``"html"`` refuses anything but HTML with ``NOT_HTML``; ``"xml"`` takes XML, RSS, Atom,
        gzip and text (sitemaps, feeds: a ``.gz`` sitemap comes back as raw gzip ``content``,
        see :func:`scraper.fetch.gunzip_capped`); ``"any"`` takes everything.
        """
        try:
            return await self._fetch(url, etag, last_modified, accept)
        except Exception as e:  # the contract: one URL's fault is data, never an exception
            log.exception("fetch %s failed unexpectedly", url)
            return result(url, url, FetchStatus.ERROR, error=f"{type(e).__name__}: {e}")

    async def aclose(self) -> None:
        """Close the HTTP client if the fetcher made it."""
        if self._own_client:
            await self._client.aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- one URL --------------------------------------------------------------------------

    def _headers(
        self, etag: str | None, last_modified: str | None, accept: Accept
    ) -> dict[str, str]:
        headers = {
            "User-Agent": self.config.full_user_agent,
            "Accept-Encoding": ACCEPT_ENCODING,
            "Accept": ACCEPT_HEADER[accept],
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return headers

    async def _fetch(
        self, url: str, etag: str | None, last_modified: str | None, accept: Accept
    ) -> FetchResult:
        if not _is_http(url):
            return result(url, url, FetchStatus.ERROR, error="not an http(s) URL")
        headers = self._headers(etag, last_modified, accept)
        current = _defragment(url)
        redirects: list[str] = []
        while True:
            if not await self.robots_allowed(current):
                return self._disallowed(url, current, redirects)
            outcome = await self._attempts(current, headers, accept)
            ex = outcome.exchange
            if ex is None:
                return result(
                    url,
                    current,
                    FetchStatus.ERROR,
                    http_status=outcome.http_status,
                    error=outcome.error,
                    attempts=outcome.attempts,
                    redirects=tuple(redirects),
                )
            if ex.kind != "redirect":
                return finished(
                    url,
                    ex=ex,
                    attempts=outcome.attempts,
                    redirects=redirects,
                    etag=etag,
                    last_modified=last_modified,
                )
            target = _defragment(urljoin(current, ex.headers["location"].strip()))
            redirects.append(current)
            problem = None
            if not _is_http(target):
                problem = f"redirect to a non-http(s) URL refused ({target[:200]})"
            elif target in redirects:
                problem = f"redirect loop ({' -> '.join([*redirects, target])[:300]})"
            elif len(redirects) > self.config.max_redirects:
                problem = f"more than {self.config.max_redirects} redirects"
            if problem is not None:
                return result(
                    url,
                    current,
                    FetchStatus.ERROR,
                    http_status=ex.status,
                    error=problem,
                    attempts=outcome.attempts,
                    redirects=tuple(redirects),
                )
            current = target

    def _disallowed(self, url: str, current: str, redirects: list[str]) -> FetchResult:
        policy = self._robots.cached(current)
        if policy is not None and policy.mode == "disallow_all":
            why = f"robots.txt unreachable ({policy.reason}); disallowed for now"
        else:
            why = "disallowed by robots.txt"
        return result(
            url,
            current,
            FetchStatus.DISALLOWED,
            error=why if current == url else f"{why}: {current}",
            redirects=tuple(redirects),
            attempts=0,
        )

    # -- attempts, retries ----------------------------------------------------------------

    async def _attempts(self, url: str, headers: Mapping[str, str], accept: Accept) -> Outcome:
        """Requests to ``url`` until an answer that is not worth retrying, or retries run out."""
        key = host_key(url)
        attempt = 0
        cap = self.config.retry_after_cap
        while True:
            attempt += 1
            retry_after: float | None = None
            status: int | None = None
            try:
                ex = await self._http.get(url, headers, accept, self.config.max_bytes)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as e:
                # httpx parses a redirect's Location even when not following it, so a
                # ``Location: javascript:...`` surfaces here, not as a redirect.
                return Outcome(attempt, error=f"invalid URL or redirect target refused ({e})")
            except httpx.TransportError as e:
                problem = describe(e)
            except FetchError as e:  # deadline, too large, bad encoding: retrying will not help
                return Outcome(attempt, error=str(e), http_status=e.status)
            else:
                if ex.kind == "body":
                    inspect(ex, accept)
                if not is_retryable_status(ex.status) or ex.blocked or ex.kind != "body":
                    return Outcome(attempt, exchange=ex)
                status = ex.status
                problem = f"HTTP {status}"
                retry_after = parse_retry_after(ex.headers.get("retry-after"), datetime.now(UTC))
            if attempt > self.config.retries:
                if retry_after is not None:  # the host asked for a pause: give it to it
                    self._gate.defer(key, min(retry_after, cap))
                tries = f"{attempt} attempts" if attempt > 1 else "1 attempt"
                return Outcome(attempt, error=f"{problem} after {tries}", http_status=status)
            if retry_after is not None and retry_after > cap:
                self._gate.defer(key, cap)
                return Outcome(
                    attempt,
                    error=f"{problem}: Retry-After {retry_after:.0f} s is beyond the "
                    f"{cap:g} s cap; given up",
                    http_status=status,
                )
            wait = retry_after if retry_after is not None else self._backoff(attempt)
            log.debug("retrying %s in %.2f s (%s)", url, wait, problem)
            self._retries += 1
            self._gate.defer(key, wait)

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(
            attempt, self.config.backoff_base, self.config.retry_after_cap, self._rng
        )

    # -- robots.txt -----------------------------------------------------------------------

    async def _get_robots(self, robots_url: str) -> RobotsAnswer:
        """Fetch one robots.txt (redirects followed, size capped); never raises."""
        headers = self._headers(None, None, "any")
        current = robots_url
        for _ in range(ROBOTS_MAX_REDIRECTS + 1):
            try:
                ex = await self._http.get(current, headers, "any", ROBOTS_MAX_BYTES, robots=True)
            except (httpx.TransportError, httpx.InvalidURL, FetchError) as e:
                detail = describe(e) if isinstance(e, httpx.TransportError) else str(e)
                return RobotsAnswer(None, error=detail)
            if ex.kind == "redirect":
                current = urljoin(current, ex.headers["location"].strip())
                if not _is_http(current):
                    return RobotsAnswer(404, error="robots.txt redirected off the web")
                continue
            if 200 <= ex.status < 300:
                text = ex.body.decode("utf-8", errors="replace").removeprefix("\ufeff")
                return RobotsAnswer(ex.status, text)
            return RobotsAnswer(ex.status)
        return RobotsAnswer(404, error="robots.txt redirected too often")
