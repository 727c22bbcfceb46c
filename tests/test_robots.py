"""robots.txt handling (RFC 9309) through the fetcher, against the local test site, and the
pure status -> policy mapping."""

from __future__ import annotations

import asyncio
import gzip
import time
from typing import Any

import pytest

from scraper.config import FetchConfig
from scraper.fetch import Fetcher
from scraper.fetch.robots import (
    MAX_CRAWL_DELAY,
    ROBOTS_RETRY_TTL,
    RobotsAnswer,
    make_policy,
    origin_of,
)
from scraper.models import FetchStatus
from tests.sitesrv import Response, SiteServer, site_fixture  # noqa: F401

AGENT = "thinktank-digest/0.1"


def config(**overrides: Any) -> FetchConfig:
    values: dict[str, Any] = {"per_host_spacing": 0, "backoff_base": 0.01, "deadline": 5}
    values.update(overrides)
    return FetchConfig(**values)


class Clock:
    """Monotonic time that a test can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


# -- the pure mapping --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "mode", "expires"),
    [
        (200, "parsed", 86400.0),
        (204, "parsed", 86400.0),
        (401, "allow_all", 86400.0),
        (403, "allow_all", 86400.0),
        (404, "allow_all", 86400.0),
        (410, "allow_all", 86400.0),
        (429, "disallow_all", ROBOTS_RETRY_TTL),
        (500, "disallow_all", ROBOTS_RETRY_TTL),
        (503, "disallow_all", ROBOTS_RETRY_TTL),
        (None, "disallow_all", ROBOTS_RETRY_TTL),
    ],
)
def test_status_to_policy(status: int | None, mode: str, expires: float) -> None:
    policy = make_policy(RobotsAnswer(status, "User-agent: *\nDisallow: /x\n"), AGENT, 10.0, 86400)
    assert policy.mode == mode
    assert policy.expires == 10.0 + expires


def test_policy_rules_crawl_delay_and_ttl_shorter_than_retry() -> None:
    text = "User-agent: *\nDisallow: /x/\nCrawl-delay: 100000\n"
    policy = make_policy(RobotsAnswer(200, text), AGENT, 0.0, 60)
    assert not policy.allows("http://a.org/x/1", AGENT)
    assert policy.allows("http://a.org/y", AGENT)
    assert policy.crawl_delay == MAX_CRAWL_DELAY
    broken = make_policy(RobotsAnswer(500), AGENT, 0.0, 60)
    assert broken.expires == 60  # a robots_ttl below the retry TTL wins
    assert not broken.allows("http://a.org/y", AGENT)
    assert broken.reason == "HTTP 500"


def test_origin_of() -> None:
    assert origin_of("https://Example.org/a?b") == "https://example.org:443"
    assert origin_of("http://example.org:8080/") == "http://example.org:8080"
    assert origin_of("http://example.org/") != origin_of("https://example.org/")


# -- through the fetcher -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403, 404, 410])
async def test_robots_4xx_allows_everything(site: SiteServer, status: int) -> None:
    site.set_robots(None, status=status)
    async with Fetcher(config()) as fetcher:
        result = await fetcher.fetch(site.url("/private/page"))
        again = await fetcher.fetch(site.url("/page/b"))
    assert result.status is FetchStatus.OK
    assert again.status is FetchStatus.OK
    assert site.count("/private/page") == 1
    assert site.count("/robots.txt") == 1


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_robots_5xx_disallows_for_now_then_asks_again(site: SiteServer, status: int) -> None:
    site.set_robots("User-agent: *\nDisallow:\n", status=status)
    clock = Clock()
    async with Fetcher(config(), clock=clock) as fetcher:
        first = await fetcher.fetch(site.url("/page/a"))
        clock.offset += ROBOTS_RETRY_TTL / 2
        second = await fetcher.fetch(site.url("/page/a"))
        assert site.count("/robots.txt") == 1  # still the "for now" answer
        site.set_robots("User-agent: *\nDisallow:\n", status=200)
        clock.offset += ROBOTS_RETRY_TTL / 2 + 1
        third = await fetcher.fetch(site.url("/page/a"))
    assert first.status is FetchStatus.DISALLOWED
    assert first.error == f"robots.txt unreachable (HTTP {status}); disallowed for now"
    assert second.status is FetchStatus.DISALLOWED
    assert third.status is FetchStatus.OK
    assert site.count("/robots.txt") == 2
    assert site.count("/page/a") == 1  # never asked while robots.txt was unreachable


async def test_robots_network_error_disallows(site: SiteServer) -> None:
    site.route("/robots.txt", lambda _req: Response(reset=True))
    async with Fetcher(config()) as fetcher:
        result = await fetcher.fetch(site.url("/page/a"))
        allowed = await fetcher.robots_allowed(site.url("/page/a"))
    assert result.status is FetchStatus.DISALLOWED
    assert result.error is not None
    assert result.error.startswith("robots.txt unreachable (connection")
    assert result.error.endswith("disallowed for now")
    assert not allowed
    assert site.count("/page/a") == 0
    assert site.count("/robots.txt") == 1  # no retries on robots.txt: a TTL instead


async def test_robots_cached_for_the_ttl(site: SiteServer) -> None:
    clock = Clock()
    async with Fetcher(config(robots_ttl=86400), clock=clock) as fetcher:
        await fetcher.fetch(site.url("/page/a"))
        clock.offset += 86000
        await fetcher.fetch(site.url("/page/b"))
        assert site.count("/robots.txt") == 1
        site.set_robots("User-agent: *\nDisallow: /page/\n")
        clock.offset += 401
        late = await fetcher.fetch(site.url("/page/c"))
    assert site.count("/robots.txt") == 2
    assert late.status is FetchStatus.DISALLOWED
    assert site.count("/page/c") == 0


async def test_robots_is_per_origin(site: SiteServer) -> None:
    async with Fetcher(config()) as fetcher:
        await fetcher.fetch(site.url("/page/a"))
        await fetcher.fetch(site.url("/page/a", host="localhost"))
        await fetcher.fetch(site.url("/page/b", host="localhost"))
    assert sorted(r.host for r in site.hits("/robots.txt")) == [
        f"127.0.0.1:{site.port}",
        f"localhost:{site.port}",
    ]


async def test_concurrent_first_requests_fetch_robots_once(site: SiteServer) -> None:
    async with Fetcher(config(concurrency=8)) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(site.url(f"/page/{i}")) for i in range(6)))
    assert all(r.ok for r in results)
    assert site.count("/robots.txt") == 1
    assert site.paths()[0] == "/robots.txt"


async def test_robots_redirects_are_followed(site: SiteServer) -> None:
    site.add("/robots.txt", b"moved", status=301, headers={"Location": "/rules/robots.txt"})
    site.add("/rules/robots.txt", "User-agent: *\nDisallow: /secret/\n", content_type="text/plain")
    async with Fetcher(config()) as fetcher:
        secret = await fetcher.fetch(site.url("/secret/x"))
        public = await fetcher.fetch(site.url("/page/x"))
    assert secret.status is FetchStatus.DISALLOWED
    assert public.ok
    assert site.count("/secret/x") == 0


async def test_robots_redirect_loop_means_unavailable(site: SiteServer) -> None:
    site.add("/robots.txt", b"moved", status=302, headers={"Location": "/loop/a"})
    async with Fetcher(config()) as fetcher:
        result = await fetcher.fetch(site.url("/private/x"))
    assert result.status is FetchStatus.OK  # RFC 9309: too many redirects = unavailable = allow
    assert site.count("/robots.txt") + site.count("/loop/a") + site.count("/loop/b") == 6


async def test_robots_beyond_500_kib_is_ignored(site: SiteServer) -> None:
    filler = "# " + "x" * 98 + "\n"
    text = "User-agent: *\nDisallow: /page/early/\n" + filler * 6000 + "Disallow: /page/late/\n"
    assert len(text) > 500 * 1024 + 50_000
    site.add("/robots.txt", text, content_type="text/plain")
    async with Fetcher(config()) as fetcher:
        early = await fetcher.fetch(site.url("/page/early/x"))
        late = await fetcher.fetch(site.url("/page/late/x"))
    assert early.status is FetchStatus.DISALLOWED
    assert late.status is FetchStatus.OK


async def test_gzip_encoded_robots_with_bom(site: SiteServer) -> None:
    body = gzip.compress("\ufeffUser-agent: *\nDisallow: /zipped/\n".encode())
    site.add("/robots.txt", body, content_type="text/plain", headers={"Content-Encoding": "gzip"})
    async with Fetcher(config()) as fetcher:
        assert not await fetcher.robots_allowed(site.url("/zipped/a"))
        assert await fetcher.robots_allowed(site.url("/page/a"))


async def test_our_own_group_wins_over_the_star_group(site: SiteServer) -> None:
    site.set_robots(
        "User-agent: *\nDisallow: /\n\nUser-agent: thinktank-digest\nDisallow: /drafts/\n"
    )
    async with Fetcher(config()) as fetcher:
        assert await fetcher.robots_allowed(site.url("/page/a"))
        assert not await fetcher.robots_allowed(site.url("/drafts/a"))
        ok = await fetcher.fetch(site.url("/page/a"))
    assert ok.status is FetchStatus.OK
    assert site.hits("/robots.txt")[0].headers["user-agent"].startswith(AGENT)


async def test_respect_robots_off_never_asks(site: SiteServer) -> None:
    async with Fetcher(config(respect_robots=False)) as fetcher:
        result = await fetcher.fetch(site.url("/private/x"))
        assert await fetcher.robots_allowed(site.url("/private/y"))
    assert result.status is FetchStatus.OK
    assert site.count("/robots.txt") == 0


async def test_robots_request_counts_in_stats(site: SiteServer) -> None:
    async with Fetcher(config()) as fetcher:
        await fetcher.fetch(site.url("/page/a"))
        stats = fetcher.stats
    assert stats.requests == 2
    assert stats.robots_requests == 1
