"""Content-encoding, decoded with a hard cap on the *decoded* size.

httpx would inflate ``Content-Encoding`` without limit (a 2 KB ``gzip, gzip`` response can grow
to a gigabyte), so the fetcher reads the raw stream and feeds it here. :class:`BoundedDecoder`
decodes gzip and deflate incrementally with ``zlib`` and ``max_length``, and brotli (``br``)
with ``brotli.Decompressor`` and ``output_buffer_limit``, so at no moment does it hold more than
the cap plus the decoder's window (32 KB for zlib; for brotli one output block of ~100 KB and
a window of at most 16 MiB, the largest standard one, whatever the body's size); it raises
:class:`~scraper.errors.TooLargeError` as soon as the output would pass the cap. Stacked
(``gzip, gzip``, ``br, gzip``) and unknown encodings (``zstd``, ``compress``) are refused with a
:class:`~scraper.errors.FetchError`.
"""

from __future__ import annotations

import zlib
from typing import Protocol, cast

import brotli  # type: ignore[import-untyped]  # no stubs: _Unbrotli types what we use

from scraper.errors import FetchError, TooLargeError

__all__ = ["ACCEPT_ENCODING", "BoundedDecoder", "gunzip_capped", "parse_content_encoding"]

ACCEPT_ENCODING = "gzip, deflate, br"  # what we send; exactly what we can decode
_GZIP_MAGIC = b"\x1f\x8b"
_SUPPORTED = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate", "br": "br"}
# Output asked of brotli per call. The binding honours ``output_buffer_limit`` only at the
# granularity of its output blocks (up to ~98 KB come back for 64 KiB), so the step is small and
# every piece is counted against the cap before it is kept.
_BROTLI_STEP = 1 << 16


class _Unbrotli(Protocol):
    """What we use of ``brotli.Decompressor`` (brotli >= 1.2)."""

    def process(self, data: bytes, output_buffer_limit: int = ...) -> bytes: ...
    def can_accept_more_data(self) -> bool: ...
    def is_finished(self) -> bool: ...


def parse_content_encoding(header: str | None) -> str | None:
    """The one content coding of a response (``gzip``/``deflate``/``br``), ``None`` for identity.

    Raises :class:`FetchError` for stacked codings (``gzip, gzip``: a classic bomb) and for any
    coding we did not offer.
    """
    if not header:
        return None
    codings = [c.strip().lower() for c in header.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) > 1:
        raise FetchError(f"stacked content encodings refused ({header.strip()})")
    coding = _SUPPORTED.get(codings[0])
    if coding is None:
        raise FetchError(f"unsupported content encoding {codings[0]!r} (we sent {ACCEPT_ENCODING})")
    return coding


class BoundedDecoder:
    """Incremental decoder of one response body whose decoded size may not pass ``max_bytes``.

    ``feed(chunk)`` returns the decoded bytes of ``chunk``; ``finish()`` checks the stream
    ended properly. ``coding`` is ``None`` (identity), ``"gzip"`` (several members allowed),
    ``"deflate"`` (zlib-wrapped, or raw as some servers send it) or ``"br"``. With
    ``truncate=True`` the output is cut at ``max_bytes`` (``full`` becomes true) instead of
    raising :class:`TooLargeError`; robots.txt is read that way.
    """

    def __init__(self, coding: str | None, max_bytes: int, *, truncate: bool = False) -> None:
        self.coding = coding
        self.max_bytes = max_bytes
        self.truncate = truncate
        self.full = False  # truncate mode: the cap was reached, the rest is ignored
        self.decoded = 0  # bytes produced so far
        self.raw = 0  # bytes consumed so far
        self._inflater: zlib._Decompress | None = None
        self._unbrotli: _Unbrotli | None = None
        self._started = False
        self._done = False  # the compressed stream ended (zlib: trailing bytes ignored)
        self._first = b""  # deflate: the first bytes, kept to retry as raw deflate

    def _new_inflater(self, wbits: int) -> zlib._Decompress:
        return zlib.decompressobj(wbits)

    def _account(self, piece: bytes) -> bytes:
        room = self.max_bytes - self.decoded
        if len(piece) > room:
            if not self.truncate:
                raise TooLargeError(
                    f"body larger than {self.max_bytes} bytes once decoded; refused"
                )
            piece = piece[:room]
            self.full = True
        self.decoded += len(piece)
        return piece

    def feed(self, chunk: bytes) -> bytes:
        if self.full:
            return b""
        self.raw += len(chunk)
        if self.coding is None:
            return self._account(chunk)
        if self.coding == "br":
            return self._feed_brotli(chunk)
        if self._done or not chunk:
            return b""
        if self._inflater is None:
            wbits = 16 + zlib.MAX_WBITS if self.coding == "gzip" else zlib.MAX_WBITS
            self._inflater = self._new_inflater(wbits)
        try:
            return self._inflate(chunk)
        except zlib.error as e:
            if self.coding == "deflate" and not self._started:
                # "deflate" sent as a raw stream without the zlib wrapper: start again raw.
                self._inflater = self._new_inflater(-zlib.MAX_WBITS)
                self._started = True
                try:
                    return self._inflate(chunk)
                except zlib.error as e2:
                    raise FetchError(f"corrupt deflate body ({e2})") from e2
            raise FetchError(f"corrupt {self.coding} body ({e})") from e

    def _inflate(self, data: bytes) -> bytes:
        out = bytearray()
        pending = data
        while pending and not self._done and not self.full:
            assert self._inflater is not None
            room = self.max_bytes + 1 - self.decoded
            piece = self._inflater.decompress(pending, room)
            self._started = self._started or bool(piece)
            out += self._account(piece)
            if self._inflater.eof:
                rest = self._inflater.unused_data
                if self.coding == "gzip" and rest.lstrip(b"\0")[:2] == _GZIP_MAGIC:
                    self._inflater = self._new_inflater(16 + zlib.MAX_WBITS)  # next member
                    pending = rest.lstrip(b"\0")
                    continue
                self._done = True
                break
            pending = self._inflater.unconsumed_tail
        return bytes(out)

    def _feed_brotli(self, chunk: bytes) -> bytes:
        if not chunk:
            return b""
        if self._done:
            # The binding refuses bytes after the end when they come in the same call, so they
            # are refused in a later one too: the answer may not depend on how TCP cut the body.
            raise FetchError("corrupt br body (data after the end of the stream)")
        if self._unbrotli is None:
            self._unbrotli = cast(_Unbrotli, brotli.Decompressor())
        unbrotli = self._unbrotli
        out = bytearray()
        try:
            piece = unbrotli.process(chunk, output_buffer_limit=_BROTLI_STEP)
            while True:
                out += self._account(piece)
                if self.full:
                    break
                if unbrotli.is_finished():
                    self._done = True
                    break
                # More output may be pending even when more input would be accepted: drain
                # until a call gives nothing (then the decoder needs the next chunk).
                if not piece and unbrotli.can_accept_more_data():
                    break
                piece = unbrotli.process(b"", output_buffer_limit=_BROTLI_STEP)
        except brotli.error as e:
            raise FetchError(f"corrupt br body ({e})") from e
        return bytes(out)

    def finish(self) -> bytes:
        """The last decoded bytes; raises when a compressed stream was cut short."""
        if self.coding == "br":
            if self._unbrotli is not None and not (self._done or self.full):
                raise FetchError("truncated br body")
            return b""
        if self.coding is None or self._inflater is None or self._done or self.full:
            return b""
        try:
            tail = self._inflater.flush()
        except zlib.error as e:
            raise FetchError(f"corrupt {self.coding} body ({e})") from e
        tail = self._account(tail)
        if not self._inflater.eof:
            raise FetchError(f"truncated {self.coding} body")
        return tail


def gunzip_capped(data: bytes, max_bytes: int) -> bytes:
    """Inflate gzip ``data`` (several members too) holding at most ``max_bytes`` of output.

    For ``.xml.gz`` sitemaps the fetcher returns as raw bytes. Raises
    :class:`~scraper.errors.TooLargeError` past the cap and :class:`FetchError` when the data is
    corrupt or truncated.
    """
    decoder = BoundedDecoder("gzip", max_bytes)
    out = decoder.feed(data)
    return out + decoder.finish()
