"""Narrow unit tests of the fetcher's parts: bounded decoding, charsets, Retry-After and backoff,
the politeness gate (fake clock), and a few fetcher paths through ``httpx.MockTransport``."""

from __future__ import annotations

import asyncio
import codecs
import gzip
import random
import string
import tracemalloc
import zlib
from datetime import UTC, datetime

import brotli  # type: ignore[import-untyped]
import httpx
import pytest

from scraper.config import FetchConfig
from scraper.errors import FetchError, TooLargeError
from scraper.fetch import Fetcher, decode_text, gunzip_capped
from scraper.fetch.charset import normalize_charset
from scraper.fetch.decode import BoundedDecoder, parse_content_encoding
from scraper.fetch.politeness import HostGate, host_key
from scraper.fetch.retry import backoff_delay, is_retryable_status, parse_retry_after
from scraper.models import FetchStatus

# -- content encodings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "coding"),
    [
        (None, None),
        ("", None),
        ("identity", None),
        ("gzip", "gzip"),
        ("x-gzip", "gzip"),
        (" GZIP ", "gzip"),
        ("deflate", "deflate"),
        ("identity, gzip", "gzip"),
        ("br", "br"),
        ("BR", "br"),
        ("br, identity", "br"),
    ],
)
def test_content_encoding_accepted(header: str | None, coding: str | None) -> None:
    assert parse_content_encoding(header) == coding


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("gzip, gzip", "stacked content encodings refused (gzip, gzip)"),
        ("deflate, gzip", "stacked content encodings refused (deflate, gzip)"),
        ("br, gzip", "stacked content encodings refused (br, gzip)"),
        ("gzip, br", "stacked content encodings refused (gzip, br)"),
        ("br, br", "stacked content encodings refused (br, br)"),
        ("zstd", "unsupported content encoding 'zstd' (we sent gzip, deflate, br)"),
        ("compress", "unsupported content encoding 'compress' (we sent gzip, deflate, br)"),
    ],
)
def test_content_encoding_refused(header: str, message: str) -> None:
    with pytest.raises(FetchError) as err:
        parse_content_encoding(header)
    assert str(err.value) == message


def feed_all(decoder: BoundedDecoder, data: bytes, step: int) -> bytes:
    out = b"".join(decoder.feed(data[i : i + step]) for i in range(0, len(data), step))
    return out + decoder.finish()


@pytest.mark.parametrize("step", [1, 7, 4096, 1 << 20])
def test_gzip_decoded_in_any_chunking(step: int) -> None:
    text = b"<p>" + b"analysis " * 2000 + b"</p>"
    assert feed_all(BoundedDecoder("gzip", 100_000), gzip.compress(text), step) == text


def test_cap_is_exact() -> None:
    data = gzip.compress(b"a" * 5000)
    assert len(feed_all(BoundedDecoder("gzip", 5000), data, 100)) == 5000
    with pytest.raises(TooLargeError, match="larger than 4999 bytes"):
        feed_all(BoundedDecoder("gzip", 4999), data, 100)
    with pytest.raises(TooLargeError):
        feed_all(BoundedDecoder(None, 4999), b"a" * 5000, 1000)


def test_bomb_output_never_exceeds_the_cap() -> None:
    bomb = zlib.compress(bytes(50 << 20), 9)  # 50 MiB of zeros in ~50 KB
    decoder = BoundedDecoder("deflate", 1000)
    produced = 0
    with pytest.raises(TooLargeError):
        for i in range(0, len(bomb), 1024):
            produced += len(decoder.feed(bomb[i : i + 1024]))
    assert produced <= 1000
    assert decoder.decoded <= 1000


def test_multi_member_gzip() -> None:
    data = gzip.compress(b"first ") + gzip.compress(b"second")
    assert feed_all(BoundedDecoder("gzip", 100), data, 5) == b"first second"
    assert gunzip_capped(data, 100) == b"first second"


def test_deflate_with_and_without_zlib_wrapper() -> None:
    text = b"deflated text " * 50
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw_data = raw.compress(text) + raw.flush()
    assert feed_all(BoundedDecoder("deflate", 10_000), zlib.compress(text), 3) == text
    assert feed_all(BoundedDecoder("deflate", 10_000), raw_data, 3) == text


def test_truncated_and_corrupt_streams() -> None:
    data = gzip.compress(b"x" * 10_000)
    with pytest.raises(FetchError, match="truncated gzip body"):
        feed_all(BoundedDecoder("gzip", 100_000), data[:-12], 64)
    with pytest.raises(FetchError, match="corrupt gzip body"):
        feed_all(BoundedDecoder("gzip", 100_000), b"\x1f\x8b\x08\x00garbage-garbage", 64)


def test_truncate_mode_cuts_instead_of_failing() -> None:
    decoder = BoundedDecoder("gzip", 1000, truncate=True)
    out = feed_all(decoder, gzip.compress(b"z" * 50_000), 512)
    assert out == b"z" * 1000
    assert decoder.full
    plain = BoundedDecoder(None, 10, truncate=True)
    assert plain.feed(b"0123456789abc") == b"0123456789"
    assert plain.feed(b"more") == b""


def prose(size: int) -> bytes:
    """``size`` bytes of word salad: compresses, but not into one brotli block."""
    rng = random.Random(size)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(500)]
    return " ".join(rng.choices(words, k=size // 3)).encode()[:size]


@pytest.mark.parametrize("step", [1, 7, 4096, 1 << 20])
def test_brotli_decoded_in_any_chunking(step: int) -> None:
    text = prose(400_000)  # several output blocks per call
    data = brotli.compress(text)
    assert feed_all(BoundedDecoder("br", 1_000_000), data, step) == text


def test_brotli_cap_is_exact() -> None:
    data = brotli.compress(b"a" * 5000)
    assert len(feed_all(BoundedDecoder("br", 5000), data, 100)) == 5000
    with pytest.raises(TooLargeError, match="larger than 4999 bytes"):
        feed_all(BoundedDecoder("br", 4999), data, 100)


@pytest.mark.parametrize("cap", [1000, 300_000])
def test_brotli_bomb_output_never_exceeds_the_cap(cap: int) -> None:
    bomb = brotli.compress(bytes(200 << 20), quality=5)  # 200 MiB of zeros in ~300 bytes
    assert len(bomb) < 1000
    decoder = BoundedDecoder("br", cap)
    pieces: list[int] = []
    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError):
            for i in range(0, len(bomb), 64):
                pieces.append(len(decoder.feed(bomb[i : i + 64])))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(pieces) <= cap
    assert decoder.decoded <= cap
    assert peak < cap + 1_000_000  # output is asked for in steps, never the whole 200 MiB


def test_brotli_truncate_mode_cuts_instead_of_failing() -> None:
    decoder = BoundedDecoder("br", 1000, truncate=True)
    out = feed_all(decoder, brotli.compress(b"z" * 50_000), 512)
    assert out == b"z" * 1000
    assert decoder.full


def test_truncated_and_corrupt_brotli() -> None:
    data = brotli.compress(prose(50_000))
    with pytest.raises(FetchError, match=r"^truncated br body$"):
        feed_all(BoundedDecoder("br", 100_000), data[: len(data) // 2], 64)
    with pytest.raises(FetchError, match=r"^corrupt br body \(brotli: decoder failed\)$"):
        feed_all(BoundedDecoder("br", 100_000), b"\xff" * 64 + data, 64)
    # Bytes after the end are refused, in the same chunk (the binding) or a later one (ours).
    with pytest.raises(FetchError, match="corrupt br body"):
        feed_all(BoundedDecoder("br", 100_000), data + b"trailing", len(data) + 10)
    decoder = BoundedDecoder("br", 100_000)
    assert decoder.feed(data) == prose(50_000)
    with pytest.raises(FetchError, match=r"^corrupt br body \(data after the end"):
        decoder.feed(b"trailing")
    # An empty body announced as br is nothing, as for gzip.
    assert feed_all(BoundedDecoder("br", 100), b"", 10) == b""


def test_gunzip_capped() -> None:
    assert gunzip_capped(gzip.compress(b"<urlset/>"), 100) == b"<urlset/>"
    with pytest.raises(TooLargeError):
        gunzip_capped(gzip.compress(bytes(1 << 20)), 1000)
    with pytest.raises(FetchError):
        gunzip_capped(b"\x1f\x8bnot gzip at all", 1000)


# -- charsets ----------------------------------------------------------------------------------

FRENCH = "Été à Zürich: crème brûlée, œuvres — “quotes”"
RUSSIAN = (
    "Международные отношения переживают глубокую трансформацию. Эксперты обсуждают "
    "будущее европейской безопасности, роль России и Китая и новые экономические связи."
)


@pytest.mark.parametrize(
    ("body", "declared", "xml", "expected", "encoding"),
    [
        (codecs.BOM_UTF8 + FRENCH.encode(), "iso-8859-1", False, FRENCH, "utf-8"),
        (FRENCH.encode("utf-16"), None, False, FRENCH, "utf-16-le"),
        (FRENCH.encode("utf-8"), "iso-8859-1", False, FRENCH, "utf-8"),
        (FRENCH.encode("cp1252"), "iso-8859-1", False, FRENCH, "cp1252"),
        (FRENCH.encode("cp1252"), "latin1", False, FRENCH, "cp1252"),
        (RUSSIAN.encode("cp1251"), "windows-1251", False, RUSSIAN, "cp1251"),
        (RUSSIAN.encode("koi8_r"), "koi8-r", False, RUSSIAN, "koi8-r"),
        (
            b'<meta charset="windows-1251"><p>' + RUSSIAN.encode("cp1251"),
            None,
            False,
            RUSSIAN,
            "cp1251",
        ),
        (
            b'<?xml version="1.0" encoding="windows-1251"?><t>' + RUSSIAN.encode("cp1251"),
            None,
            True,
            RUSSIAN,
            "cp1251",
        ),
        (b"<p>" + RUSSIAN.encode("cp1251"), "no-such-charset", False, RUSSIAN, "cp1251"),
        (b"plain ascii", None, False, "plain ascii", "utf-8"),
        (b"plain ascii", "utf-16", False, "plain ascii", "utf-8"),
    ],
)
def test_decode_text(
    body: bytes, declared: str | None, xml: bool, expected: str, encoding: str
) -> None:
    text, used = decode_text(body, declared, xml=xml)
    assert expected in text
    assert used == encoding


def test_undecodable_bytes_fall_back_with_replacement() -> None:
    # Invalid as the declared UTF-8; whatever detection makes of it, the ASCII survives.
    text, used = decode_text(b"caf\xe9 \xc3\x28 \x81\x8d abc", "utf-8")
    assert text.startswith("caf")
    assert text.endswith(" abc")
    assert used != "utf-8" or "\ufffd" in text


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("ISO-8859-1", "cp1252"),
        ("us-ascii", "cp1252"),
        ('"utf-8"', "utf-8"),
        ("Windows-1251", "cp1251"),
        ("gb2312", "gb18030"),
        ("nonsense", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_charset(label: str | None, codec: str | None) -> None:
    assert normalize_charset(label) == codec


# -- retries -----------------------------------------------------------------------------------

NOW = datetime(2025, 7, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Tue, 01 Jul 2025 12:00:30 GMT", 30.0),
        ("Tue, 01 Jul 2025 11:00:00 GMT", 0.0),
        ("Tuesday, 01-Jul-25 12:01:00 GMT", 60.0),
        ("soon", None),
        ("nan", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (408, True),
        (429, True),
        (500, True),
        (502, True),
        (599, True),
        (400, False),
        (403, False),
        (404, False),
        (200, False),
    ],
)
def test_retryable_statuses(status: int, retry: bool) -> None:
    assert is_retryable_status(status) is retry


def test_backoff_grows_with_jitter_and_cap() -> None:
    rng = random.Random(7)
    for attempt in (1, 2, 3, 4):
        delays = [backoff_delay(attempt, 1.0, 1000, rng) for _ in range(200)]
        low, high = 0.5 * 2 ** (attempt - 1), 1.5 * 2 ** (attempt - 1)
        assert all(low <= d <= high for d in delays)
        assert len(set(delays)) > 100  # jittered, not in step
    assert backoff_delay(20, 1.0, 30.0, rng) == 30.0
    assert backoff_delay(3, 0.0, 30.0, rng) == 0.0


# -- the politeness gate with a fake clock -------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_gate_spacing_counts_from_the_end_of_the_previous_request() -> None:
    t = FakeTime()
    gate = HostGate(4, 2.0, clock=t.clock, sleep=t.sleep)
    starts: list[float] = []

    async def request(duration: float) -> None:
        async with gate.slot("a.org:443"):
            starts.append(t.now)
            t.now += duration  # the request takes this long

    await asyncio.gather(request(5.0), request(1.0), request(0.0))
    assert starts == [100.0, 107.0, 110.0]  # 100+5+2, then 107+1+2


async def test_gate_floor_and_defer() -> None:
    t = FakeTime()
    gate = HostGate(4, 1.0, clock=t.clock, sleep=t.sleep)
    gate.set_floor("a.org:80", 3.0)
    assert gate.spacing("a.org:80") == 3.0
    assert gate.spacing("b.org:80") == 1.0
    async with gate.slot("a.org:80"):
        pass
    async with gate.slot("a.org:80"):
        assert t.now == 103.0
    gate.defer("a.org:80", 10.0)
    async with gate.slot("a.org:80"):
        assert t.now == 113.0
    gate.set_floor("a.org:80", 0.0)
    assert gate.spacing("a.org:80") == 1.0


async def test_gate_hosts_are_independent() -> None:
    t = FakeTime()
    gate = HostGate(4, 50.0, clock=t.clock, sleep=t.sleep)
    async with gate.slot("a.org:443"):
        pass
    async with gate.slot("b.org:443"):
        assert t.now == 100.0  # no wait: another host
    assert t.sleeps == []


async def test_gate_global_bound() -> None:
    gate = HostGate(2, 0.0, clock=lambda: 0.0, sleep=asyncio.sleep)
    inside = 0
    most = 0

    async def request(host: str) -> None:
        nonlocal inside, most
        async with gate.slot(host):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(request(f"h{i}:80") for i in range(6)))
    assert most == 2


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://Example.org/a", "example.org:443"),
        ("http://example.org/a", "example.org:80"),
        ("http://example.org:8080/a", "example.org:8080"),
        ("http://user:pw@example.org/a", "example.org:80"),
    ],
)
def test_host_key(url: str, key: str) -> None:
    assert host_key(url) == key


# -- fetcher paths through a mock transport ------------------------------------------------------


def mock_fetcher(
    handler: httpx.MockTransport, **overrides: object
) -> tuple[Fetcher, httpx.AsyncClient]:
    client = httpx.AsyncClient(transport=handler)
    cfg = FetchConfig(per_host_spacing=0, backoff_base=0, respect_robots=False, **overrides)  # type: ignore[arg-type]
    return Fetcher(cfg, client), client


async def test_304_keeps_the_validators_we_sent() -> None:
    seen: list[httpx.Headers] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(304)

    fetcher, client = mock_fetcher(httpx.MockTransport(answer))
    async with client:
        result = await fetcher.fetch(
            "https://a.org/x", etag='W/"abc"', last_modified="Tue, 01 Jul 2025 12:00:00 GMT"
        )
    assert result.status is FetchStatus.NOT_MODIFIED
    assert result.etag == 'W/"abc"'
    assert result.last_modified == "Tue, 01 Jul 2025 12:00:00 GMT"
    assert seen[0]["if-none-match"] == 'W/"abc"'
    assert seen[0]["if-modified-since"] == "Tue, 01 Jul 2025 12:00:00 GMT"


async def test_in_memory_responses_are_capped_too() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 5000, headers={"content-type": "text/html"})

    fetcher, client = mock_fetcher(httpx.MockTransport(answer), max_bytes=4096)
    async with client:
        result = await fetcher.fetch("https://a.org/x")
    assert result.status is FetchStatus.ERROR
    assert result.error == "body larger than 4096 bytes once decoded; refused"


async def test_fetch_reports_an_unexpected_bug_as_an_error_line() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("transport exploded")

    fetcher, client = mock_fetcher(httpx.MockTransport(answer))
    async with client:
        result = await fetcher.fetch("https://a.org/x")
    assert result.status is FetchStatus.ERROR
    assert result.error == "RuntimeError: transport exploded"


async def test_xhtml_and_missing_content_type_are_html() -> None:
    types = {"/xhtml": "application/xhtml+xml; charset=utf-8", "/none": None}

    def answer(request: httpx.Request) -> httpx.Response:
        ctype = types[request.url.path]
        headers = {"content-type": ctype} if ctype else {}
        return httpx.Response(200, content=b"<html><p>ok</p></html>", headers=headers)

    fetcher, client = mock_fetcher(httpx.MockTransport(answer))
    async with client:
        xhtml = await fetcher.fetch("https://a.org/xhtml")
        none = await fetcher.fetch("https://a.org/none")
    assert xhtml.status is FetchStatus.OK
    assert none.status is FetchStatus.OK
    assert none.text == "<html><p>ok</p></html>"
