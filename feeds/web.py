"""Serve built feeds over HTTP: ``/feeds/...`` and ``/feeds.opml`` from the output folder.

Every file response carries its type (``application/atom+xml; charset=utf-8`` for ``.atom``,
``application/feed+json`` for ``.json``, ``text/x-opml`` for ``.opml``, ``text/html`` for the
index), a strong ``ETag`` (SHA-256 of the bytes; ``-gz`` appended for the gzip representation),
``Last-Modified`` (the file's mtime), ``Cache-Control: public, max-age=300``, ``Vary:
Accept-Encoding`` and ``X-Content-Type-Options: nosniff``. ``If-None-Match`` (weak comparison,
``*`` allowed) wins over ``If-Modified-Since``; either gives ``304``. Bodies of at least
:data:`GZIP_MIN_BYTES` are sent gzip-compressed when the client accepts it (compressed once per
file version and cached). ``HEAD`` answers the same headers without a body.

Paths are checked before touching the disk: only ``[A-Za-z0-9_.-]`` segments, no ``.``/``..``
segments, no hidden files, and the resolved file must lie inside the folder. Anything else, and
any missing file, is a ``404`` whose body is always the same short text (no path echoed).
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from threading import Lock

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

__all__ = ["GZIP_MIN_BYTES", "MEDIA_TYPES", "NOT_FOUND_BODY", "create_feeds_app", "feed_routes"]

GZIP_MIN_BYTES = 512
CACHE_CONTROL = "public, max-age=300"
NOT_FOUND_BODY = b"Not Found\n"
MEDIA_TYPES: dict[str, str] = {
    ".atom": "application/atom+xml; charset=utf-8",
    ".json": "application/feed+json",
    ".opml": "text/x-opml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")  # RFC 9110 12.4.2 qvalue
_CACHE_MAX = 512


@dataclass(frozen=True, slots=True)
class _Cached:
    key: tuple[int, int]  # (mtime_ns, size)
    body: bytes
    etag: str
    gzipped: bytes | None
    last_modified: datetime


class _FileCache:
    """Bytes, ETag and gzip form per file, refreshed when mtime or size changes."""

    def __init__(self) -> None:
        self._items: dict[Path, _Cached] = {}
        self._lock = Lock()

    def get(self, path: Path) -> _Cached | None:
        try:
            st = path.stat()
        except OSError:
            return None
        key = (st.st_mtime_ns, st.st_size)
        with self._lock:
            hit = self._items.get(path)
        if hit is not None and hit.key == key:
            return hit
        try:
            body = path.read_bytes()
        except OSError:
            return None
        digest = hashlib.sha256(body).hexdigest()[:32]
        item = _Cached(
            key=key,
            body=body,
            etag=f'"{digest}"',
            gzipped=gzip.compress(body, compresslevel=6, mtime=0)
            if len(body) >= GZIP_MIN_BYTES
            else None,
            last_modified=datetime.fromtimestamp(st.st_mtime_ns // 1_000_000_000, tz=UTC),
        )
        with self._lock:
            if len(self._items) >= _CACHE_MAX:
                self._items.clear()
            self._items[path] = item
        return item


def _not_found() -> Response:
    return Response(
        NOT_FOUND_BODY,
        status_code=404,
        media_type="text/plain; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
    )


def _safe_path(root: Path, relative: str) -> Path | None:
    """The file ``relative`` names inside ``root``, or ``None`` if the name is not acceptable."""
    if not relative or "\\" in relative or "\x00" in relative:
        return None
    segments = relative.split("/")
    if not all(_SEGMENT.match(s) for s in segments):
        return None
    if Path(segments[-1]).suffix not in MEDIA_TYPES:
        return None
    candidate = root.joinpath(*segments)
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(root) or not resolved.is_file():
        return None
    return resolved


def _weight(params: str) -> float:
    """The ``q`` of one ``Accept-Encoding`` entry's parameters: 1 without one, 0 if malformed.

    RFC 9110 12.4.2: ``q=`` (name case-insensitive) then 0..1 with at most three decimals;
    anything else (``q=1.5``, ``q=high``, ``q=``) cannot be trusted, so it counts as refusal.
    """
    for param in params.split(";"):
        name, eq, value = param.partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            return float(value) if eq and _QVALUE.fullmatch(value) else 0.0
    return 1.0


def _accepts_gzip(header: str) -> bool:
    """Whether an ``Accept-Encoding`` value accepts gzip (RFC 9110 12.5.3).

    An explicit ``gzip`` or ``x-gzip`` entry decides by its own weight, wherever it stands
    (``*;q=0, gzip`` accepts, ``gzip;q=0, *`` refuses); without one, ``*`` decides; with
    neither, or an empty or absent header, gzip is not sent. Weight 0 means "not acceptable".
    """
    explicit: float | None = None
    wildcard: float | None = None
    for part in header.split(","):
        coding, _, params = part.partition(";")
        coding = coding.strip().lower()
        if coding in {"gzip", "x-gzip"}:  # x-gzip: the same coding (RFC 9110 8.4.1.3)
            explicit = max(explicit or 0.0, _weight(params))
        elif coding == "*":
            wildcard = max(wildcard or 0.0, _weight(params))
    q = explicit if explicit is not None else wildcard
    return q is not None and q > 0


def _etag_matches(header: str, etags: tuple[str, ...]) -> bool:
    """Weak comparison of ``If-None-Match`` against our tags (RFC 9110 13.1.2)."""
    if header.strip() == "*":
        return True
    ours = {t.removeprefix("W/") for t in etags}
    return any(tag.strip().removeprefix("W/") in ours for tag in header.split(","))


def _not_modified_since(header: str, last_modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified <= since


def _serve(cache: _FileCache, path: Path, request: Request) -> Response:
    item = cache.get(path)
    if item is None:
        return _not_found()
    use_gzip = item.gzipped is not None and _accepts_gzip(
        request.headers.get("accept-encoding", "")
    )
    etag = item.etag[:-1] + '-gz"' if use_gzip else item.etag
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(item.last_modified, usegmt=True),
        "Cache-Control": CACHE_CONTROL,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if path.suffix == ".html":
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    inm = request.headers.get("if-none-match")
    ims = request.headers.get("if-modified-since")
    if inm is not None:
        not_modified = _etag_matches(inm, (item.etag, item.etag[:-1] + '-gz"'))
    else:
        not_modified = ims is not None and _not_modified_since(ims, item.last_modified)
    if not_modified:
        return Response(status_code=304, headers=headers)
    body = item.gzipped if use_gzip and item.gzipped is not None else item.body
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
    headers["Content-Length"] = str(len(body))
    return Response(
        b"" if request.method == "HEAD" else body,
        media_type=MEDIA_TYPES[path.suffix],
        headers=headers,
    )


def feed_routes(output_dir: Path) -> list[BaseRoute]:
    """Routes for ``/feeds.opml``, ``/feeds/`` (index.html) and ``/feeds/{path}``.

    Mount them in the service's Starlette app: ``Starlette(routes=[*feed_routes(dir), ...])``.
    """
    root = output_dir.resolve()
    cache = _FileCache()

    async def feed_file(request: Request) -> Response:
        relative = str(request.path_params.get("path", "")) or "index.html"
        return await run_in_threadpool(_lookup_and_serve, relative, request)

    async def opml(request: Request) -> Response:
        return await run_in_threadpool(_lookup_and_serve, "feeds.opml", request)

    def _lookup_and_serve(relative: str, request: Request) -> Response:
        # Disk reads and gzip run in a worker thread, off the event loop.
        path = _safe_path(root, relative)
        return _serve(cache, path, request) if path is not None else _not_found()

    return [
        Route("/feeds.opml", opml, methods=["GET", "HEAD"]),
        Route("/feeds/", feed_file, methods=["GET", "HEAD"]),
        Route("/feeds/{path:path}", feed_file, methods=["GET", "HEAD"]),
    ]


async def _app_not_found(request: Request, exc: Exception) -> Response:
    return _not_found()


def create_feeds_app(output_dir: Path) -> Starlette:
    """A Starlette app serving only the feed routes (tests, or a stand-alone feed server)."""
    return Starlette(routes=feed_routes(output_dir), exception_handlers={404: _app_not_found})
