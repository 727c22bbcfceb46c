"""The fetcher against a real misbehaving HTTP server on 127.0.0.1 (tests/sitesrv.py).

Politeness (spacing, one request per host, global bound) is asserted with the server's own
timestamps; caps and deadlines with wall-clock and tracemalloc measurements.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import time
import tracemalloc
from typing import Any

import brotli  # type: ignore[import-untyped]
import httpx
import pytest

from scraper.config import FetchConfig
from scraper.fetch import Fetcher, gunzip_capped
from scraper.models import FetchStatus
from tests.sitesrv import (
    FRENCH,
    RUSSIAN,
    Request,
    Response,
    SiteServer,
    gzip_bomb,
    max_overlap,
    site_fixture,  # noqa: F401  (the ``site`` fixture)
)


def config(**overrides: Any) -> FetchConfig:
    """Test limits: no spacing, tiny backoff, short deadline, a 1 MB cap."""
    values: dict[str, Any] = {
        "per_host_spacing": 0,
        "backoff_base": 0.01,
        "retries": 2,
        "deadline": 5,
        "connect_timeout": 2,
        "read_timeout": 5,
        "max_bytes": 1_000_000,
    }
    values.update(overrides)
    return FetchConfig(**values)


def gaps(requests: list[Request]) -> list[float]:
    """Idle time between the end of each request and the start of the next (server clock)."""
    ordered = sorted(requests, key=lambda r: r.started)
    return [b.started - a.finished for a, b in itertools.pairwise(ordered)]


# -- the plain path ----------------------------------------------------------------------------


async def test_ok_page_with_identifying_headers(site: SiteServer) -> None:
    cfg = config()
    async with Fetcher(cfg) as fetcher:
        result = await fetcher.fetch(site.url("/page/hello"))
    assert result.status is FetchStatus.OK
    assert result.ok
    assert "<h1>hello</h1>" in result.text
    assert result.content.startswith(b"<!DOCTYPE html>")
    assert result.http_status == 200
    assert result.final_url == site.url("/page/hello")
    assert result.encoding == "utf-8"
    assert result.fetched_at is not None and result.fetched_at.tzinfo is not None
    (page,) = site.hits("/page/hello")
    assert page.headers["user-agent"] == cfg.full_user_agent
    assert "+https://" in page.headers["user-agent"]
    assert page.headers["accept-encoding"] == "gzip, deflate, br"
    assert "if-none-match" not in page.headers
    assert site.hits("/robots.txt")[0].headers["user-agent"] == cfg.full_user_agent


async def test_gzip_page_is_decoded(site: SiteServer) -> None:
    async with Fetcher(config()) as fetcher:
        result = await fetcher.fetch(site.url("/gzip/packed"))
        stats = fetcher.stats
    assert result.status is FetchStatus.OK
    assert FRENCH in result.text
    assert stats.bytes_received < stats.bytes_decoded


async def test_brotli_page_is_decoded_with_its_declared_charset(site: SiteServer) -> None:
    # windows-1252 bytes, declared only by the header: undeclared, they would be guessed as
    # windows-1250 (see test_fetch_units), so the right text proves the label was read.
    page = f"<html><head><title>br</title></head><body><p>{FRENCH}</p></body></html>"
    site.add(
        "/br/page",
        brotli.compress(page.encode("cp1252")),
        content_type="text/html; charset=iso-8859-1",
        headers={"Content-Encoding": "br"},
    )
    async with Fetcher(config()) as fetcher:
        result = await fetcher.fetch(site.url("/br/page"))
        stats = fetcher.stats
    assert result.status is FetchStatus.OK
    assert FRENCH in result.text
    assert result.encoding == "cp1252"
    assert result.content == page.encode("cp1252")
    assert site.hits("/br/page")[0].headers["accept-encoding"] == "gzip, deflate, br"
    assert stats.bytes_received < stats.bytes_decoded


async def test_fetch_never_raises_on_bad_urls() -> None:
    async with Fetcher(config()) as fetcher:
        for url in ("not a url", "ftp://example.org/file", "http://", "mailto:x@example.org"):
            result = await fetcher.fetch(url)
            assert result.status is FetchStatus.ERROR
            assert result.error == "not an http(s) URL"


async def test_unreachable_host_is_an_error_line() -> None:
    with SiteServer() as gone:
        url = gone.url("/page/x")
    async with Fetcher(config(respect_robots=False, retries=1)) as fetcher:
        result = await fetcher.fetch(url)
    assert result.status is FetchStatus.ERROR
    assert result.error is not None
    assert result.error.startswith("connection failed")
    assert result.error.endswith("after 2 attempts")
    assert "\n" not in result.error


# -- robots (more in test_robots.py) -----------------------------------------------------------


async def test_disallowed_path_is_never_requested(site: SiteServer) -> None:
    async with Fetcher(config()) as fetcher:
        blocked = await fetcher.fetch(site.url("/private/secret"))
        again = await fetcher.fetch(site.url("/private/other"))
        fine = await fetcher.fetch(site.url("/page/public"))
    assert blocked.status is FetchStatus.DISALLOWED
    assert again.status is FetchStatus.DISALLOWED
    assert blocked.error == "disallowed by robots.txt"
    assert fine.status is FetchStatus.OK
    assert not [p for p in site.paths() if p.startswith("/private/")]
    assert site.count("/robots.txt") == 1


async def test_redirect_into_disallowed_path_is_not_followed(site: SiteServer) -> None:
    async with Fetcher(config()) as fetcher:
        result = await fetcher.fetch(site.url("/redirect?to=/private/x"))
    assert result.status is FetchStatus.DISALLOWED
    assert result.final_url == site.url("/private/x")
    assert site.count("/private/x") == 0


async def test_cross_host_redirect_checks_robots_of_the_new_host(site: SiteServer) -> None:
    target = site.url("/page/there", host="localhost")
    async with Fetcher(config()) as fetcher:
        result = await fetcher.fetch(site.url(f"/redirect?to={target}"))
    assert result.status is FetchStatus.OK
    assert result.final_url == target
    robots_hosts = {r.host for r in site.hits("/robots.txt")}
    assert robots_hosts == {f"127.0.0.1:{site.port}", f"localhost:{site.port}"}


# -- conditional GET ---------------------------------------------------------------------------


async def test_conditional_second_fetch_is_not_modified(site: SiteServer) -> None:
    url = site.url("/cond/report")
    async with Fetcher(config()) as fetcher:
        first = await fetcher.fetch(url)
        second = await fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
        site.bump("report")
        third = await fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
        by_date = await fetcher.fetch(url, last_modified=third.last_modified)
    assert first.status is FetchStatus.OK
    assert first.etag == '"report-v1"'
    assert first.last_modified == "Tue, 01 Jul 2025 12:00:00 GMT"
    assert second.status is FetchStatus.NOT_MODIFIED
    assert second.http_status == 304
    assert second.text == ""
    assert second.etag == first.etag
    assert third.status is FetchStatus.OK
    assert third.etag == '"report-v2"'
    assert "version 2" in third.text
    assert by_date.status is FetchStatus.NOT_MODIFIED
    hits = site.hits("/cond/report")
    assert "if-none-match" not in hits[0].headers
    assert hits[1].headers["if-none-match"] == '"report-v1"'
    assert hits[1].headers["if-modified-since"] == "Tue, 01 Jul 2025 12:00:00 GMT"
    assert hits[3].headers["if-modified-since"] == "Wed, 02 Jul 2025 12:00:00 GMT"
    assert "if-none-match" not in hits[3].headers


# -- retries -----------------------------------------------------------------------------------


async def test_429_retry_after_seconds_is_honoured(site: SiteServer) -> None:
    async with Fetcher(config(retry_after_cap=5)) as fetcher:
        await fetcher.fetch(site.url("/page/warm-up"))  # robots.txt and lazy imports first
        result = await fetcher.fetch(site.url("/retry-after?s=1"))
        stats = fetcher.stats
    assert result.status is FetchStatus.OK
    assert result.attempts == 2
    assert stats.retries == 1
    assert stats.requests == 4  # robots.txt, warm-up, 429, 200
    (wait,) = gaps(site.hits("/retry-after"))
    assert 1.0 <= wait < 1.6


async def test_429_retry_after_http_date_is_honoured(site: SiteServer) -> None:
    async with Fetcher(config(retry_after_cap=5)) as fetcher:
        await fetcher.fetch(site.url("/page/warm-up"))
        result = await fetcher.fetch(site.url("/retry-after?s=1&date=1"))
    assert result.status is FetchStatus.OK
    first, second = site.hits("/retry-after")
    assert first.status == 429
    assert second.status == 200
    assert 0.9 <= second.started - first.finished < 2.6  # HTTP dates have whole seconds


async def test_retry_after_beyond_the_cap_gives_up_without_hammering(site: SiteServer) -> None:
    started = time.monotonic()
    async with Fetcher(config(retry_after_cap=0.5)) as fetcher:
        result = await fetcher.fetch(site.url("/retry-after?s=30"))
    assert time.monotonic() - started < 2
    assert result.status is FetchStatus.ERROR
    assert result.http_status == 429
    assert result.error == "HTTP 429: Retry-After 30 s is beyond the 0.5 s cap; given up"
    assert site.count("/retry-after") == 1


async def test_500_then_200_is_retried(site: SiteServer) -> None:
    async with Fetcher(config(retries=3)) as fetcher:
        result = await fetcher.fetch(site.url("/flaky?fails=2"))
    assert result.status is FetchStatus.OK
    assert result.attempts == 3
    assert "recovered" in result.text
    assert [r.status for r in site.hits("/flaky")] == [500, 500, 200]


async def test_persistent_503_is_recorded_after_the_retries(site: SiteServer) -> None:
    async with Fetcher(config(retries=2)) as fetcher:
        result = await fetcher.fetch(site.url("/flaky?fails=9&status=503"))
    assert result.status is FetchStatus.ERROR
    assert result.http_status == 503
    assert result.attempts == 3
    assert result.error == "HTTP 503 after 3 attempts"
    assert site.count("/flaky") == 3


async def test_backoff_grows_between_attempts(site: SiteServer) -> None:
    async with Fetcher(config(retries=2, backoff_base=0.2)) as fetcher:
        await fetcher.fetch(site.url("/page/warm-up"))  # robots.txt and lazy imports first
        await fetcher.fetch(site.url("/flaky?fails=9"))
    first, second = gaps(site.hits("/flaky"))
    assert 0.1 <= first <= 0.3 + 0.05  # base 0.2 +/- 50 % jitter
    assert 0.2 <= second <= 0.6 + 0.05  # doubled


async def test_client_errors_are_not_retried(site: SiteServer) -> None:
    site.add("/gone", "<p>gone</p>", status=410)
    async with Fetcher(config(retries=3)) as fetcher:
        missing = await fetcher.fetch(site.url("/nothing-here"))
        gone = await fetcher.fetch(site.url("/gone"))
    assert missing.error == "HTTP 404 Not Found"
    assert gone.error == "HTTP 410 Gone"
    assert missing.attempts == gone.attempts == 1
    assert site.count("/nothing-here") == site.count("/gone") == 1


async def test_connection_reset_is_recorded_as_an_error(site: SiteServer) -> None:
    async with Fetcher(config(retries=2)) as fetcher:
        result = await fetcher.fetch(site.url("/reset"))
        after = await fetcher.fetch(site.url("/page/after"))
    assert result.status is FetchStatus.ERROR
    assert result.http_status is None
    assert result.attempts == 3
    assert result.error is not None
    assert "reset" in result.error.lower() or "disconnected" in result.error.lower()
    assert site.count("/reset") == 3
    assert after.status is FetchStatus.OK  # the fetcher is fine afterwards


async def test_read_timeout_is_retried_then_recorded(site: SiteServer) -> None:
    started = time.monotonic()
    async with Fetcher(config(retries=1, read_timeout=0.3, deadline=5)) as fetcher:
        result = await fetcher.fetch(site.url("/hold/slow?s=2"))
    assert time.monotonic() - started < 1.5
    assert result.status is FetchStatus.ERROR
    assert result.error is not None
    assert result.error.startswith("timeout (")
    assert result.error.endswith("after 2 attempts")
    assert site.count("/hold/slow") == 2


# -- deadline and caps -------------------------------------------------------------------------


async def test_slow_drip_is_stopped_by_the_deadline(site: SiteServer) -> None:
    # A byte every 0.2 s never trips the 5 s read timeout, and would take 40 s in all.
    started = time.monotonic()
    async with Fetcher(config(deadline=1.5, read_timeout=5)) as fetcher:
        result = await fetcher.fetch(site.url("/drip?interval=0.2&bytes=200"))
    elapsed = time.monotonic() - started
    assert result.status is FetchStatus.ERROR
    assert result.error == "deadline of 1.5 s passed before the response was complete"
    assert 1.4 <= elapsed < 3.0
    assert site.count("/drip") == 1  # a deadline is not retried


async def _measure(fetcher: Fetcher, url: str) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        result = await fetcher.fetch(url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak - before


@pytest.mark.parametrize("path", ["/huge?mb=30", "/huge?mb=30&length=1"])
async def test_huge_body_is_stopped_at_the_cap(site: SiteServer, path: str) -> None:
    async with Fetcher(config(max_bytes=1_000_000)) as fetcher:
        await fetcher.fetch(site.url("/page/warm-up"))  # robots, imports, connection
        result, peak = await _measure(fetcher, site.url(path))
        received = fetcher.stats.bytes_received
    assert result.status is FetchStatus.ERROR
    assert result.http_status == 200
    assert result.error is not None and "larger than" in result.error
    assert result.content == b""
    assert peak < 6_000_000  # the body is 30 MB
    assert received < 2_000_000


@pytest.mark.parametrize("path", ["/bomb?mb=200", "/bomb/deflate?mb=200"])
async def test_compression_bomb_is_stopped_at_the_cap_with_bounded_memory(
    site: SiteServer, path: str
) -> None:
    gzip_bomb(200)  # built before measuring (the server shares this process)
    gzip_bomb(200, deflate=True)
    async with Fetcher(config(max_bytes=1_000_000)) as fetcher:
        await fetcher.fetch(site.url("/page/warm-up"))
        result, peak = await _measure(fetcher, site.url(path))
    assert result.status is FetchStatus.ERROR
    assert result.error == "body larger than 1000000 bytes once decoded; refused"
    assert peak < 8_000_000  # 200 MB once inflated


async def test_brotli_bomb_is_stopped_at_the_cap_with_bounded_memory(site: SiteServer) -> None:
    bomb = brotli.compress(bytes(200 << 20), quality=5)  # 200 MiB of zeros in ~300 bytes
    site.add("/br/bomb", bomb, headers={"Content-Encoding": "br"})
    async with Fetcher(config(max_bytes=1_000_000)) as fetcher:
        await fetcher.fetch(site.url("/page/warm-up"))
        result, peak = await _measure(fetcher, site.url("/br/bomb"))
        stats = fetcher.stats
    assert result.status is FetchStatus.ERROR
    assert result.error == "body larger than 1000000 bytes once decoded; refused"
    assert peak < 8_000_000  # 200 MB once decoded
    assert stats.bytes_decoded < 2_000_000


async def test_stacked_encoding_is_refused(site: SiteServer) -> None:
    async with Fetcher(config()) as fetcher:
        result = await fetcher.fetch(site.url("/bomb/stacked?mb=200"))
        stats = fetcher.stats
    assert result.status is FetchStatus.ERROR
    assert result.error == "stacked content encodings refused (gzip, gzip)"
    assert stats.bytes_decoded < 10_000  # robots.txt only: nothing of the bomb was inflated


async def test_brotli_stacked_with_gzip_is_refused(site: SiteServer) -> None:
    packed = gzip.compress(brotli.compress(bytes(50 << 20), quality=5))
    site.add("/br/stacked", packed, headers={"Content-Encoding": "br, gzip"})
    async with Fetcher(config()) as fetcher:
        result = await fetcher.fetch(site.url("/br/stacked"))
        stats = fetcher.stats
    assert result.status is FetchStatus.ERROR
    assert result.error == "stacked content encodings refused (br, gzip)"
    assert result.http_status == 200
    assert stats.bytes_decoded < 10_000  # robots.txt only
    assert site.count("/br/stacked") == 1  # not retried


async def test_unknown_encoding_is_refused(site: SiteServer) -> None:
    site.add("/zstd", b"\x28\xb5\x2f\xfd\x00\x00", headers={"Content-Encoding": "zstd"})
    async with Fetcher(config()) as fetcher:
        result = await fetcher.fetch(site.url("/zstd"))
    assert result.status is FetchStatus.ERROR
    assert result.error == "unsupported content encoding 'zstd' (we sent gzip, deflate, br)"


async def test_corrupt_gzip_is_an_error(site: SiteServer) -> None:
    site.add("/bad-gzip", b"\x1f\x8b\x08\x00not really gzip", headers={"Content-Encoding": "gzip"})
    truncated = gzip.compress(b"<p>" + b"x" * 5000 + b"</p>")[:-20]
    site.add("/cut-gzip", truncated, headers={"Content-Encoding": "gzip"})
    async with Fetcher(config()) as fetcher:
        bad = await fetcher.fetch(site.url("/bad-gzip"))
        cut = await fetcher.fetch(site.url("/cut-gzip"))
    assert bad.status is FetchStatus.ERROR
    assert bad.error is not None and bad.error.startswith("corrupt gzip body")
    assert cut.status is FetchStatus.ERROR
    assert cut.error == "truncated gzip body"


async def test_corrupt_and_truncated_brotli_are_errors(site: SiteServer) -> None:
    packed = brotli.compress(("<p>" + FRENCH * 400 + "</p>").encode())
    site.add("/br/cut", packed[: len(packed) // 2], headers={"Content-Encoding": "br"})
    site.add("/br/bad", b"\xff" * 40 + packed, headers={"Content-Encoding": "br"})
    async with Fetcher(config()) as fetcher:
        cut = await fetcher.fetch(site.url("/br/cut"))
        bad = await fetcher.fetch(site.url("/br/bad"))
        after = await fetcher.fetch(site.url("/page/after"))
    assert cut.status is FetchStatus.ERROR
    assert cut.error == "truncated br body"
    assert cut.http_status == 200
    assert bad.status is FetchStatus.ERROR
    assert bad.error == "corrupt br body (brotli: decoder failed)"
    assert site.count("/br/bad") == 1  # a corrupt body is not retried
    assert after.ok  # the fetcher carries on


# -- redirects ---------------------------------------------------------------------------------


async def test_redirect_chain_within_the_limit_records_hops(site: SiteServer) -> None:
    async with Fetcher(config(max_redirects=5)) as fetcher:
        result = await fetcher.fetch(site.url("/chain/5"))
    assert result.status is FetchStatus.OK
    assert result.final_url == site.url("/chain/0")
    assert result.redirects == tuple(site.url(f"/chain/{n}") for n in (5, 4, 3, 2, 1))
    assert "end of the chain" in result.text


async def test_too_many_redirects_are_recorded(site: SiteServer) -> None:
    async with Fetcher(config(max_redirects=3)) as fetcher:
        result = await fetcher.fetch(site.url("/chain/9"))
    assert result.status is FetchStatus.ERROR
    assert result.error == "more than 3 redirects"
    assert len(result.redirects) == 4
    assert site.count("/chain/0") == 0
    assert site.count("/chain/5") == 0


async def test_redirect_loop_is_recorded(site: SiteServer) -> None:
    async with Fetcher(config(max_redirects=10)) as fetcher:
        result = await fetcher.fetch(site.url("/loop/a"))
    assert result.status is FetchStatus.ERROR
    assert result.error is not None and result.error.startswith("redirect loop (")
    assert site.count("/loop/a") == 1
    assert site.count("/loop/b") == 1


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/file", "file:///etc/passwd"])
async def test_non_http_redirect_is_refused(site: SiteServer, target: str) -> None:
    async with Fetcher(config()) as fetcher:
        result = await fetcher.fetch(site.url(f"/redirect?to={target}"))
    assert result.status is FetchStatus.ERROR
    assert result.error == f"redirect to a non-http(s) URL refused ({target})"
    assert result.http_status == 302


async def test_unparsable_redirect_target_is_refused(site: SiteServer) -> None:
    async with Fetcher(config()) as fetcher:
        result = await fetcher.fetch(site.url("/redirect?to=javascript:alert(1)"))
        after = await fetcher.fetch(site.url("/page/after"))
    assert result.status is FetchStatus.ERROR
    assert result.error is not None
    assert result.error.startswith("invalid URL or redirect target refused")
    assert after.ok


async def test_zero_redirects_allowed(site: SiteServer) -> None:
    async with Fetcher(config(max_redirects=0)) as fetcher:
        result = await fetcher.fetch(site.url("/chain/1"))
    assert result.error == "more than 0 redirects"


# -- charsets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected", "encoding"),
    [
        ("/charset/latin1-utf8", FRENCH, "utf-8"),  # the label lies
        ("/charset/latin1", FRENCH, "cp1252"),  # the label is right (read as windows-1252)
        ("/charset/cp1251", RUSSIAN, "cp1251"),  # nothing declared: detected
        ("/charset/meta-cp1251", RUSSIAN, "cp1251"),  # only <meta http-equiv>
        ("/charset/utf16", FRENCH, "utf-16-le"),  # a BOM
    ],
)
async def test_charsets_are_decoded_to_the_right_text(
    site: SiteServer, path: str, expected: str, encoding: str
) -> None:
    async with Fetcher(config()) as fetcher:
        result = await fetcher.fetch(site.url(path))
    assert result.status is FetchStatus.OK
    assert expected in result.text
    assert "\ufffd" not in result.text
    assert result.encoding == encoding


# -- content types and challenge pages ---------------------------------------------------------


async def test_pdf_is_not_html_and_not_downloaded(site: SiteServer) -> None:
    async with Fetcher(config(max_bytes=10_000_000)) as fetcher:
        pdf = await fetcher.fetch(site.url("/doc.pdf"))
        png = await fetcher.fetch(site.url("/image.png"))
        stats = fetcher.stats
    assert pdf.status is FetchStatus.NOT_HTML
    assert pdf.content_type == "application/pdf"
    assert pdf.error == "not HTML (application/pdf)"
    assert pdf.content == b""
    assert png.status is FetchStatus.NOT_HTML
    assert stats.bytes_received < 100_000  # the PDF is 2 MB


async def test_untyped_binary_is_sniffed(site: SiteServer) -> None:
    site.routes["/untyped"] = lambda _req: Response(200, {}, b"%PDF-1.4\n" + bytes(2000))
    async with Fetcher(config()) as fetcher:
        result = await fetcher.fetch(site.url("/untyped"))
    assert result.status is FetchStatus.NOT_HTML
    assert result.error == "not HTML (binary)"


async def test_cloudflare_challenge_is_blocked_and_not_retried(site: SiteServer) -> None:
    page = site.url("/cf-challenge")
    site.route(
        "/cf-503",
        lambda req: Response(
            503,
            {"Content-Type": "text/html"},
            b"<html><head><title>Just a moment...</title></head><body>"
            b"<script>window._cf_chl_opt={}</script></body></html>",
        ),
    )
    async with Fetcher(config(retries=3)) as fetcher:
        blocked = await fetcher.fetch(page)
        blocked_503 = await fetcher.fetch(site.url("/cf-503"))
    assert blocked.status is FetchStatus.BLOCKED
    assert blocked.http_status == 403
    assert blocked.error == "challenge page (HTTP 403, cf-mitigated: challenge)"
    assert blocked.text == ""
    assert blocked_503.status is FetchStatus.BLOCKED
    assert blocked_503.error == "challenge page (HTTP 503)"
    assert site.count("/cf-challenge") == 1
    assert site.count("/cf-503") == 1


async def test_challenge_served_with_200_is_blocked(site: SiteServer) -> None:
    site.add(
        "/sneaky",
        "<html><head><title>Just a moment...</title></head><body>wait</body></html>",
        headers={"cf-mitigated": "challenge"},
    )
    async with Fetcher(config()) as fetcher:
        result = await fetcher.fetch(site.url("/sneaky"))
    assert result.status is FetchStatus.BLOCKED


async def test_xml_mode_takes_feeds_and_gzip_sitemaps(site: SiteServer) -> None:
    async with Fetcher(config()) as fetcher:
        feed = await fetcher.fetch(site.url("/feed.xml"), accept="xml")
        sitemap = await fetcher.fetch(site.url("/sitemap.xml"), accept="xml")
        packed = await fetcher.fetch(site.url("/sitemap.xml.gz"), accept="xml")
        site.add(
            "/sitemap-encoded.xml",
            gzip.compress(sitemap.content),
            content_type="application/xml",
            headers={"Content-Encoding": "gzip"},
        )
        encoded = await fetcher.fetch(site.url("/sitemap-encoded.xml"), accept="xml")
        as_html = await fetcher.fetch(site.url("/sitemap.xml.gz"))
        page_as_xml = await fetcher.fetch(site.url("/page/x"), accept="xml")
        pdf_as_xml = await fetcher.fetch(site.url("/doc.pdf"), accept="xml")
        png_as_any = await fetcher.fetch(site.url("/image.png"), accept="any")
        pdf_as_any = await fetcher.fetch(site.url("/doc.pdf"), accept="any")  # 2 MB > cap
    assert feed.status is FetchStatus.OK
    assert b"<rss" in feed.content
    assert "<rss" in feed.text
    assert sitemap.status is FetchStatus.OK
    assert packed.status is FetchStatus.OK
    assert packed.content[:2] == b"\x1f\x8b"
    assert packed.text == ""
    assert gunzip_capped(packed.content, 100_000) == sitemap.content
    assert encoded.content == sitemap.content  # a transfer coding is undone for the caller
    assert encoded.text.startswith("<?xml")
    assert as_html.status is FetchStatus.NOT_HTML
    assert page_as_xml.status is FetchStatus.OK  # text/* is allowed for feeds
    assert pdf_as_xml.status is FetchStatus.NOT_HTML
    assert png_as_any.status is FetchStatus.OK
    assert png_as_any.content.startswith(b"\x89PNG")
    assert png_as_any.text == ""
    assert pdf_as_any.status is FetchStatus.ERROR
    assert pdf_as_any.error == "body of 2097161 bytes is larger than 1000000; refused"


# -- politeness --------------------------------------------------------------------------------


async def test_per_host_spacing_holds(site: SiteServer) -> None:
    urls = [site.url(f"/page/{i}") for i in range(4)]
    async with Fetcher(config(per_host_spacing=0.3)) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(u) for u in urls))
    assert all(r.ok for r in results)
    requests = site.hits("/robots.txt") + [r for r in site.requests if r.route != "/robots.txt"]
    assert len(requests) == 5
    assert all(gap >= 0.3 for gap in gaps(requests)), gaps(requests)
    assert max_overlap(requests) == 1


async def test_one_request_at_a_time_per_host_even_without_spacing(site: SiteServer) -> None:
    async with Fetcher(config(concurrency=8)) as fetcher:
        await asyncio.gather(*(fetcher.fetch(site.url(f"/hold/{i}?s=0.1")) for i in range(4)))
    assert max_overlap(site.requests) == 1
    assert len(site.requests) == 5


async def test_different_hosts_are_fetched_in_parallel(site: SiteServer) -> None:
    urls = [site.url("/hold/a?s=0.4"), site.url("/hold/b?s=0.4", host="localhost")]
    started = time.monotonic()
    async with Fetcher(config(per_host_spacing=5, respect_robots=False)) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(u) for u in urls))
    elapsed = time.monotonic() - started
    assert all(r.ok for r in results)
    assert {r.host for r in site.requests} == {f"127.0.0.1:{site.port}", f"localhost:{site.port}"}
    assert max_overlap(site.requests) == 2
    assert elapsed < 0.8 + 0.5  # together, not one after the other


async def test_global_concurrency_bound_holds() -> None:
    servers = [SiteServer().start() for _ in range(4)]
    try:
        urls = [s.url(f"/hold/{i}?s=0.2") for s in servers for i in range(2)]
        async with Fetcher(config(concurrency=2, respect_robots=False)) as fetcher:
            results = await asyncio.gather(*(fetcher.fetch(u) for u in urls))
        assert all(r.ok for r in results)
        everything = [r for s in servers for r in s.requests]
        assert len(everything) == 8
        assert max_overlap(everything) == 2  # reached, never passed
    finally:
        for s in servers:
            s.close()


async def test_crawl_delay_raises_the_spacing(site: SiteServer) -> None:
    site.set_robots(crawl_delay=0.4)
    async with Fetcher(config(per_host_spacing=0)) as fetcher:
        await asyncio.gather(*(fetcher.fetch(site.url(f"/page/{i}")) for i in range(3)))
    pages = [r for r in site.requests if r.route.startswith("/page/")]
    assert len(pages) == 3
    assert all(gap >= 0.4 for gap in gaps(pages)), gaps(pages)


async def test_retry_after_holds_other_requests_to_the_host(site: SiteServer) -> None:
    async with Fetcher(config(retry_after_cap=5)) as fetcher:
        first = asyncio.create_task(fetcher.fetch(site.url("/retry-after?s=0.6")))
        await asyncio.sleep(0.2)
        other = await fetcher.fetch(site.url("/page/other"))
        await first
    assert other.ok
    (limited,) = [r for r in site.hits("/retry-after") if r.status == 429]
    (page,) = site.hits("/page/other")
    assert page.started - limited.finished >= 0.6


# -- the client ----------------------------------------------------------------------------------


async def test_injected_client_is_left_open(site: SiteServer) -> None:
    async with httpx.AsyncClient() as client:
        async with Fetcher(config(), client) as fetcher:
            result = await fetcher.fetch(site.url("/page/injected"))
        assert result.ok
        assert not client.is_closed
        response = await client.get(site.url("/page/after"))
        assert response.status_code == 200
    assert site.hits("/page/injected")[0].headers["accept-encoding"] == "gzip, deflate, br"
