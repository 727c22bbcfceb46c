"""One HTTP exchange: a GET through the politeness gate, inside the wall-clock deadline, the
raw body read through a bounded decoder; and what the fetcher makes of the answer.

:class:`Exchanger` sends the request and reads at most a byte cap of *decoded* body (the
whole body for pages, 256 KB of an error page, a truncated 500 KiB of robots.txt). A 3xx with
``Location``, a 304 and a 2xx of a refused content type are returned without reading the
body. :func:`inspect` then decodes text (:mod:`.charset`) and asks the extractor's
``is_blocked`` whether it is a challenge page.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import httpx

from scraper.errors import DeadlineError, FetchError, TooLargeError
from scraper.fetch.charset import decode_text
from scraper.fetch.decode import BoundedDecoder, parse_content_encoding
from scraper.fetch.politeness import HostGate, host_key

__all__ = [
    "ACCEPT_HEADER",
    "BINARY_MAGIC",
    "ERROR_BODY_BYTES",
    "Accept",
    "Exchange",
    "Exchanger",
    "describe",
    "inspect",
    "looks_blocked",
]

Accept = Literal["html", "xml", "any"]

ERROR_BODY_BYTES = 256 * 1024  # read of a 4xx/5xx page, enough to recognise a challenge page
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_XML_EXTRA = frozenset(
    {
        "application/xml",
        "application/gzip",
        "application/x-gzip",
        "application/x-gunzip",
        "application/gzip-compressed",
        "application/octet-stream",
    }
)
ACCEPT_HEADER: Mapping[str, str] = {
    "html": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
    "xml": "application/xml,text/xml,application/rss+xml,application/atom+xml,*/*;q=0.5",
    "any": "*/*",
}
BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\"';\s]+)", re.I)


@dataclass(slots=True)
class Exchange:
    """One HTTP request and what was read of its answer. ``kind``: ``redirect`` (a 3xx with
    ``Location``), ``not_modified`` (304), ``not_html`` (a 2xx of a type ``accept`` refuses;
    body not read) or ``body``; ``text``/``encoding``/``blocked`` are filled by
    :func:`inspect`."""

    url: str
    status: int
    headers: httpx.Headers
    kind: Literal["redirect", "not_modified", "not_html", "body"]
    accept: Accept = "any"
    body: bytes = b""
    text: str = ""
    encoding: str | None = None
    blocked: bool = False

    @property
    def media_type(self) -> str:
        return media_type(self.headers.get("content-type"))


def media_type(content_type: str | None) -> str:
    """``text/html`` of ``text/html; charset=utf-8``; empty when absent."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def acceptable(media: str, accept: Accept) -> bool:
    """Whether a 2xx of this media type is read for ``accept`` (no type: read and sniff)."""
    if accept == "any" or not media:
        return True
    if accept == "html":
        return media in _HTML_TYPES
    return media.startswith("text/") or media.endswith("+xml") or media in _XML_EXTRA


def _is_textual(media: str, body: bytes) -> bool:
    if body[:2] == b"\x1f\x8b":
        return False
    if not media or media.startswith("text/") or media == "application/octet-stream":
        return True
    return any(word in media for word in ("html", "xml", "json"))


def describe(error: httpx.TransportError) -> str:
    """One human line for a transport failure (what httpx raised, and its OS cause)."""
    detail = str(error).strip()
    cause: BaseException | None = error
    while not detail and cause is not None:  # httpx often wraps the OSError without a message
        cause = cause.__cause__ or cause.__context__
        if isinstance(cause, OSError) and cause.strerror:
            detail = cause.strerror
        elif cause is not None and str(cause).strip():
            detail = str(cause).strip()
    detail = detail or type(error).__name__
    if isinstance(error, httpx.ConnectTimeout):
        return f"connect timeout ({detail})"
    if isinstance(error, httpx.TimeoutException):
        return f"timeout ({detail})"
    if isinstance(error, httpx.ConnectError):
        return f"connection failed ({detail})"
    if isinstance(error, httpx.RemoteProtocolError):
        return f"connection broken ({detail})"
    if isinstance(error, httpx.ReadError | httpx.WriteError):
        return f"connection error ({detail})"
    return f"{type(error).__name__} ({detail})"


def looks_blocked(text: str, status: int, headers: httpx.Headers) -> bool:
    """The extractor's detector; only when it cannot be imported, the ``cf-mitigated`` header."""
    try:
        from scraper.extract import is_blocked
    except ImportError:  # pragma: no cover - the extract package is part of the tree
        return "challenge" in headers.get("cf-mitigated", "").lower()
    return is_blocked(text, status, headers)


def inspect(ex: Exchange, accept: Accept) -> None:
    """Decode the body of ``ex`` to text and recognise challenge pages (fills ``ex``)."""
    media = ex.media_type
    if _is_textual(media, ex.body):
        match = _CHARSET.search(ex.headers.get("content-type", ""))
        xml = "xml" in media or (accept == "xml" and "html" not in media)
        ex.text, ex.encoding = decode_text(ex.body, match.group(1) if match else None, xml=xml)
    if ex.status >= 400 or "html" in media or not media:
        ex.blocked = looks_blocked(ex.text, ex.status, ex.headers)


class Exchanger:
    """Sends GETs through ``gate`` with ``client``; counts requests and body bytes."""

    def __init__(
        self, client: httpx.AsyncClient, gate: HostGate, *, timeout: httpx.Timeout, deadline: float
    ) -> None:
        self.client = client
        self.gate = gate
        self.timeout = timeout
        self.deadline = deadline
        self.requests = 0
        self.robots_requests = 0
        self.bytes_received = 0
        self.bytes_decoded = 0

    async def get(
        self,
        url: str,
        headers: Mapping[str, str],
        accept: Accept,
        limit: int,
        *,
        robots: bool = False,
    ) -> Exchange:
        """One GET through the politeness gate, within the deadline, body read bounded.

        Raises ``httpx.TransportError`` (network), :class:`DeadlineError`,
        :class:`TooLargeError` and :class:`FetchError` (bad content encoding).
        """
        async with self.gate.slot(host_key(url)):
            self.requests += 1
            if robots:
                self.robots_requests += 1
            try:
                async with asyncio.timeout(self.deadline):
                    async with self.client.stream(
                        "GET", url, headers=headers, follow_redirects=False, timeout=self.timeout
                    ) as response:
                        return await self._consume(url, response, accept, limit, robots=robots)
            except TimeoutError as e:
                raise DeadlineError(
                    f"deadline of {self.deadline:g} s passed before the response was complete",
                    url=url,
                ) from e

    async def _consume(
        self, url: str, response: httpx.Response, accept: Accept, limit: int, *, robots: bool
    ) -> Exchange:
        status = response.status_code
        headers = response.headers
        if 300 <= status < 400 and status != 304 and headers.get("location"):
            return Exchange(url, status, headers, "redirect", accept)
        if status == 304:
            return Exchange(url, status, headers, "not_modified", accept)
        media = media_type(headers.get("content-type"))
        if 200 <= status < 300 and not robots and not acceptable(media, accept):
            return Exchange(url, status, headers, "not_html", accept)  # body never read
        truncate = robots or status >= 400
        if status >= 400:
            limit = min(limit, ERROR_BODY_BYTES)
        try:
            body = await self._read(response, limit, truncate=truncate)
        except FetchError as e:
            if status < 400:
                e.url, e.status = url, status
                raise
            body = b""  # an unreadable error page is still an error page
        return Exchange(url, status, headers, "body", accept, body)

    async def _read(self, response: httpx.Response, limit: int, *, truncate: bool) -> bytes:
        """The decoded body, at most ``limit`` bytes (cut there with ``truncate``, else
        :class:`TooLargeError`)."""
        if response.is_stream_consumed:
            # Built in memory (httpx.MockTransport in tests): httpx already decoded it.
            decoder = BoundedDecoder(None, limit, truncate=truncate)
            whole = decoder.feed(response.content)
            self.bytes_received += decoder.raw
            self.bytes_decoded += len(whole)
            return whole
        coding = parse_content_encoding(response.headers.get("content-encoding"))
        decoder = BoundedDecoder(coding, limit, truncate=truncate)
        length = response.headers.get("content-length", "")
        if not truncate and length.isdigit() and int(length) > limit:
            raise TooLargeError(f"body of {int(length)} bytes is larger than {limit}; refused")
        out = bytearray()
        try:
            async for chunk in response.aiter_raw():
                out += decoder.feed(chunk)
                if decoder.full:
                    break
            out += decoder.finish()
        finally:
            self.bytes_received += decoder.raw
            self.bytes_decoded += len(out)
        return bytes(out)
