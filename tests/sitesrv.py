"""A real, misbehaving test web site: a threaded HTTP/1.1 server on 127.0.0.1 (free port).

Shared by the fetcher, discovery, pipeline, service and benchmark tests. Nothing leaves the
machine. Use it as a context manager or through the ``site`` fixture (defined as ``site_fixture``)::

    from tests.sitesrv import SiteServer, site_fixture  # noqa: F401  (registers ``site``)

    with SiteServer() as srv:
        srv.add("/a", "<html><title>A</title></html>")        # a static route (any time)
        srv.url("/a")                                          # http://127.0.0.1:PORT/a
        srv.url("/a", host="localhost")                        # same server, another host
        srv.paths()                                            # ["/robots.txt", "/a", ...]

**Hosts.** ``127.0.0.1`` and ``localhost`` reach the same server but are two hosts for a
client's per-host logic; every request records its ``Host`` header. For more hosts start
more servers (each has its own port, hence its own ``host:port``).

**Routes.** :meth:`SiteServer.add` serves fixed bytes, :meth:`SiteServer.route` a function
``Request -> Response`` (for anything dynamic). A route is looked up by the full path with its
query first, then by the path alone; routes win over the built-in endpoints below.

**Built-in endpoints** (``?`` parameters are optional):

============================== ==========================================================
``/robots.txt``                 :attr:`robots` text (default: ``Disallow: /private/``),
                                with :attr:`robots_status`; see :meth:`set_robots`
``/page/<name>``                a small HTML article page
``/private/<name>``             the same, under the default robots.txt's ``Disallow``
``/hold/<name>?s=0.3``          a page answered after ``s`` seconds (concurrency tests)
``/cond/<name>``                ETag ``"<name>-v<N>"`` + Last-Modified; 304 to a matching
                                ``If-None-Match`` / ``If-Modified-Since``; :meth:`bump`
``/drip?interval=0.5&bytes=200`` 200 with a Content-Length, one byte every ``interval`` s
``/huge?mb=50&length=0``        ``mb`` MB of HTML, chunked (``length=1``: Content-Length)
``/bomb?mb=200``                ``Content-Encoding: gzip`` expanding to ``mb`` MB (~200 KB)
``/bomb/stacked?mb=200``        ``Content-Encoding: gzip, gzip`` (a few KB on the wire)
``/bomb/deflate?mb=200``        ``Content-Encoding: deflate``
``/gzip/<name>``                a page sent with ``Content-Encoding: gzip``
``/loop/a``, ``/loop/b``        redirect to each other
``/chain/<n>``                  ``n`` redirects (``/chain/n`` -> ... -> ``/chain/0``, a page)
``/redirect?to=URL&status=302`` one redirect to any ``Location`` (``ftp:``, ``file:``...)
``/retry-after?s=1&fails=1``    429 + ``Retry-After: s`` ``fails`` times, then 200
                                (``date=1``: an HTTP date; counted per path + query)
``/flaky?fails=1&status=500``   ``status`` ``fails`` times, then 200 (per path + query)
``/reset``                      the connection is reset (TCP RST), no answer
``/charset/latin1-utf8``        labelled ``iso-8859-1``, really UTF-8 (:data:`FRENCH`)
``/charset/latin1``             honest windows-1252 bytes labelled ``iso-8859-1``
``/charset/cp1251``             windows-1251 with no declaration at all (:data:`RUSSIAN`)
``/charset/meta-cp1251``        windows-1251 declared only by ``<meta charset>``
``/charset/utf16``              UTF-16 with a BOM, labelled nothing
``/doc.pdf``                    ``application/pdf``, 2 MB
``/image.png``                  ``image/png``
``/cf-challenge``               403 + ``cf-mitigated: challenge`` + "Just a moment..."
``/feed.xml``                   an RSS 2.0 feed of three ``/page/`` items
``/sitemap.xml``                a urlset of three ``/page/`` URLs
``/sitemap.xml.gz``             the same, gzip file as ``application/x-gzip``
============================== ==========================================================

Anything else is a 404. Every request is recorded (:class:`Request`: server-side monotonic
start and end times, method, path, ``Host``, headers, status), so tests can assert spacing,
concurrency (:meth:`max_overlap`), conditional headers and that a path was never asked for.
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

__all__ = [
    "FRENCH",
    "RUSSIAN",
    "Request",
    "Response",
    "SiteServer",
    "gzip_bomb",
    "html_page",
    "max_overlap",
    "site_fixture",
]

FRENCH = "Déjà vu à Zürich : l’été, les naïves crème brûlée et œuvres — café noir"
RUSSIAN = (
    "Россия и Китай вступают в новую эпоху стратегического партнёрства. Эксперты "
    "Валдайского клуба обсуждают, как меняется международный порядок, какие вызовы стоят "
    "перед Евразией и почему многополярный мир требует новых правил. Участники дискуссии "
    "подчеркнули, что экономическое сотрудничество остаётся основой отношений двух стран."
)
DEFAULT_ROBOTS = "User-agent: *\nDisallow: /private/\n"
LAST_MODIFIED = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
CHALLENGE_PAGE = (
    '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
    '<meta http-equiv="refresh" content="390"></head><body><div class="main-wrapper">'
    "<h1>www.example.org</h1><h2>Verifying you are human. This may take a few seconds.</h2>"
    "<noscript>Enable JavaScript and cookies to continue</noscript>"
    "<script>window._cf_chl_opt={cvId: '3'};</script></div></body></html>"
)


def html_page(title: str, body: str = "", *, head: str = "") -> str:
    """A small, well-formed article page."""
    text = body or f"<p>{title}: a paragraph of analysis long enough to look like an article.</p>"
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}<title>{title}</title></head>'
        f"<body><article><h1>{title}</h1>{text}</article></body></html>"
    )


@cache
def gzip_bomb(mb: int, *, layers: int = 1, deflate: bool = False) -> bytes:
    """``mb`` MiB of zeros as one gzip (or zlib ``deflate``) stream, compressed again
    ``layers - 1`` times; ~1 KB per MiB, built in a fraction of a second.

    Each MiB is compressed after a full flush, so every MiB but the first gives the same bytes:
    the stream is those bytes repeated, an empty final block and the checksum trailer.
    """
    zero = bytes(1 << 20)
    wbits = zlib.MAX_WBITS if deflate else 16 + zlib.MAX_WBITS
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = packer.compress(zero) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(zero) + packer.flush(zlib.Z_FULL_FLUSH)
    final = packer.flush(zlib.Z_FINISH)[: -4 if deflate else -8]  # without its trailer
    if deflate:
        adler = 1
        for _ in range(mb):
            adler = zlib.adler32(zero, adler)
        trailer = struct.pack(">I", adler)
    else:
        crc = 0
        for _ in range(mb):
            crc = zlib.crc32(zero, crc)
        trailer = struct.pack("<II", crc, (mb << 20) & 0xFFFFFFFF)
    data = first + again * (mb - 1) + final + trailer
    for _ in range(layers - 1):
        data = gzip.compress(data, 9)
    return data


@dataclass
class Request:
    """One request as the server saw it. Times are ``time.monotonic()`` in the server:
    ``started`` when the request line was read, ``finished`` when the answer was written
    (or the connection dropped). ``headers`` keys are lower case."""

    method: str
    path: str  # path and query, as sent
    host: str
    headers: Mapping[str, str]
    started: float
    finished: float = float("nan")
    status: int = 0

    @property
    def route(self) -> str:
        """The path without the query."""
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}


@dataclass
class Response:
    """What a route answers. ``body`` may be bytes or an iterable of chunks (sent chunked
    unless ``content_length`` is given); ``delay`` waits before answering, ``chunk_delay``
    between chunks; ``reset`` drops the connection with a TCP RST instead."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    content_length: int | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    reset: bool = False


Handler = Callable[[Request], Response]


def _html(status: int, text: str, **headers: str) -> Response:
    return Response(
        status, {"Content-Type": "text/html; charset=utf-8", **headers}, text.encode("utf-8")
    )


def max_overlap(requests: Sequence[Request]) -> int:
    """The largest number of these requests the server was handling at the same moment."""
    events: list[tuple[float, int]] = []
    for req in requests:
        end = req.finished if req.finished == req.finished else float("inf")
        events += [(req.started, 1), (end, -1)]
    events.sort(key=lambda e: (e[0], e[1]))  # an end before a start at the same instant
    best = current = 0
    for _, step in events:
        current += step
        best = max(best, current)
    return best


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512
    site: SiteServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up (caps, deadlines) are the point of this server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 15  # idle keep-alive connections end after this
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.site._handle(self)

    do_HEAD = do_GET
    do_POST = do_GET


class SiteServer:
    """The test site (see the module docstring). Thread-safe; start/stop with ``with``."""

    def __init__(self, *, robots: str | None = DEFAULT_ROBOTS) -> None:
        self.robots: str | None = robots
        self.robots_status = 200
        self.requests: list[Request] = []
        self.routes: dict[str, Handler] = {}
        self.versions: dict[str, int] = {}
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.site = self
        self.port: int = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> SiteServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"sitesrv-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()  # ends drips, holds and huge bodies
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- addresses --------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alt_base(self) -> str:
        """The same server as another host (``localhost``)."""
        return f"http://localhost:{self.port}"

    def url(self, path: str = "/", *, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    # -- configuring ------------------------------------------------------------------------

    def add(
        self,
        path: str,
        body: str | bytes,
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Serve fixed content at ``path`` (with or without a query)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        answer = {"Content-Type": content_type, **(headers or {})}
        self.routes[path] = lambda _req: Response(status, dict(answer), data)

    def route(self, path: str, handler: Handler) -> None:
        """Answer ``path`` with ``handler(request)``."""
        self.routes[path] = handler

    def set_robots(
        self,
        text: str | None = DEFAULT_ROBOTS,
        *,
        status: int = 200,
        crawl_delay: float | None = None,
    ) -> None:
        """robots.txt content and status (``text=None`` with 404: none at all)."""
        if crawl_delay is not None and text is not None:
            text = text.rstrip("\n") + f"\nCrawl-delay: {crawl_delay:g}\n"
        self.robots = text
        self.robots_status = status

    def bump(self, name: str) -> None:
        """Change ``/cond/<name>`` (new ETag and Last-Modified)."""
        with self._lock:
            self.versions[name] = self.versions.get(name, 1) + 1

    # -- what happened ----------------------------------------------------------------------

    def paths(self) -> list[str]:
        """Paths (with queries) in the order they were asked for."""
        with self._lock:
            return [r.path for r in self.requests]

    def hits(self, path: str) -> list[Request]:
        """Requests for ``path`` (compared with the query when ``path`` has one)."""
        with self._lock:
            return [r for r in self.requests if path in {r.path, r.route}]

    def count(self, path: str) -> int:
        return len(self.hits(path))

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self._counters.clear()

    # -- serving ----------------------------------------------------------------------------

    def _handle(self, h: _Handler) -> None:
        req = Request(
            method=h.command,
            path=h.path,
            host=h.headers.get("Host", ""),
            headers={k.lower(): v for k, v in h.headers.items()},
            started=time.monotonic(),
        )
        with self._lock:
            self.requests.append(req)
        try:
            handler = self.routes.get(req.path) or self.routes.get(req.route) or self._builtin
            answer = handler(req)
            req.status = answer.status
            self._send(h, req, answer)
        except OSError:
            h.close_connection = True
        finally:
            req.finished = time.monotonic()

    def _wait(self, seconds: float) -> bool:
        """Sleep at least ``seconds`` of monotonic time; false when the server is stopping.

        ``Event.wait`` may wake a little early (a timed wait on a clock other than the monotonic
        one, a clock step on a fresh VM); the loop makes the hold last its full length.
        """
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self._stop.wait(left):
                return False
        return not self._stop.is_set()

    def _send(self, h: _Handler, req: Request, answer: Response) -> None:
        if answer.delay and not self._wait(answer.delay):
            h.close_connection = True
            return
        if answer.reset:
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.close_connection = True
            h.connection.close()
            return
        body = answer.body
        h.send_response(answer.status)
        for key, value in answer.headers.items():
            h.send_header(key, value)
        head_only = req.method == "HEAD" or answer.status in {204, 304}
        if isinstance(body, bytes | bytearray):
            if answer.status not in {204, 304}:
                h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            if not head_only:
                self._write(h, [bytes(body)], answer.chunk_delay, chunked=False)
            return
        chunked = answer.content_length is None
        if chunked:
            h.send_header("Transfer-Encoding", "chunked")
        else:
            h.send_header("Content-Length", str(answer.content_length))
        h.end_headers()
        if not head_only:
            self._write(h, body, answer.chunk_delay, chunked=chunked)

    def _write(self, h: _Handler, chunks: Iterable[bytes], delay: float, *, chunked: bool) -> None:
        for i, chunk in enumerate(chunks):
            if i and delay and not self._wait(delay):
                h.close_connection = True
                return
            if self._stop.is_set():
                h.close_connection = True
                return
            if not chunk:
                continue
            h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
        if chunked:
            h.wfile.write(b"0\r\n\r\n")

    def _count(self, req: Request) -> int:
        """How many times this path + query was asked before (this one included)."""
        with self._lock:
            self._counters[req.path] = self._counters.get(req.path, 0) + 1
            return self._counters[req.path]

    def _builtin(self, req: Request) -> Response:
        route, q = req.route, req.query
        first, _, rest = route.lstrip("/").partition("/")
        builder = _BUILTINS.get(route) or _BUILTINS.get(f"/{first}/*")
        if builder is None:
            return _html(404, html_page("Not found"))
        return builder(self, req, rest, q)


# -- built-in endpoints ------------------------------------------------------------------------

Builtin = Callable[[SiteServer, Request, str, dict[str, str]], Response]


def _robots(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    if srv.robots is None:
        return Response(srv.robots_status or 404, {"Content-Type": "text/plain"}, b"not here")
    return Response(
        srv.robots_status, {"Content-Type": "text/plain; charset=utf-8"}, srv.robots.encode()
    )


def _page(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    return _html(200, html_page(rest or "home"))


def _hold(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    answer = _html(200, html_page(rest or "held"))
    answer.delay = float(q.get("s", "0.3"))
    return answer


def _cond(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    with srv._lock:
        version = srv.versions.get(rest, 1)
    etag = f'"{rest}-v{version}"'
    modified = LAST_MODIFIED + timedelta(days=version - 1)
    validators = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}
    inm = req.headers.get("if-none-match")
    ims = req.headers.get("if-modified-since")
    if inm is not None:
        fresh = etag in {t.strip() for t in inm.split(",")} or inm.strip() == "*"
    elif ims is not None:
        try:
            fresh = parsedate_to_datetime(ims) >= modified
        except (TypeError, ValueError):
            fresh = False
    else:
        fresh = False
    if fresh:
        return Response(304, validators)
    return _html(200, html_page(f"{rest} version {version}"), **validators)


def _drip(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    size = int(q.get("bytes", "200"))
    return Response(
        200,
        {"Content-Type": "text/html; charset=utf-8"},
        (b"x" for _ in range(size)),
        content_length=size,
        chunk_delay=float(q.get("interval", "0.5")),
    )


def _huge(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    mb = int(q.get("mb", "50"))
    block = (b"<p>" + b"filler " * 146)[:1019] + b"</p>\n"  # 1 KiB
    chunk = block * 64  # 64 KiB
    n = mb * 16
    return Response(
        200,
        {"Content-Type": "text/html; charset=utf-8"},
        (chunk for _ in range(n)),
        content_length=n * len(chunk) if q.get("length") == "1" else None,
    )


def _bomb(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    mb = int(q.get("mb", "200"))
    if rest == "stacked":
        data, coding = gzip_bomb(mb, layers=2), "gzip, gzip"
    elif rest == "deflate":
        data, coding = gzip_bomb(mb, deflate=True), "deflate"
    else:
        data, coding = gzip_bomb(mb), "gzip"
    return Response(200, {"Content-Type": "text/html", "Content-Encoding": coding}, data)


def _gzip(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    data = gzip.compress(html_page(rest or "gzipped", f"<p>{FRENCH}</p>").encode())
    headers = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}
    return Response(200, headers, data)


def _redirect(location: str, status: int = 302) -> Response:
    return Response(status, {"Location": location, "Content-Type": "text/plain"}, b"moved")


def _loop(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    return _redirect("/loop/b" if rest == "a" else "/loop/a")


def _chain(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    n = int(rest or "0")
    if n <= 0:
        return _html(200, html_page("end of the chain"))
    return _redirect(f"/chain/{n - 1}", 301)


def _redirect_to(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    return _redirect(q.get("to", "/"), int(q.get("status", "302")))


def _retry_after(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    if srv._count(req) > int(q.get("fails", "1")):
        return _html(200, html_page("finally"))
    seconds = float(q.get("s", "1"))
    if q.get("date") == "1":
        when = datetime.now(UTC) + timedelta(seconds=seconds)
        if when.microsecond:  # HTTP dates have whole seconds: round up, never ask for less
            when = when.replace(microsecond=0) + timedelta(seconds=1)
        value = format_datetime(when, usegmt=True)
    else:
        value = f"{seconds:g}"
    return _html(429, html_page("Too many requests"), **{"Retry-After": value})


def _flaky(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    if srv._count(req) > int(q.get("fails", "1")):
        return _html(200, html_page("recovered"))
    return _html(int(q.get("status", "500")), html_page("Server error"))


def _reset(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    return Response(reset=True)


def _charset(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    if rest == "latin1-utf8":
        body = html_page("Wrong label", f"<p>{FRENCH}</p>").replace('<meta charset="utf-8">', "")
        return Response(200, {"Content-Type": "text/html; charset=iso-8859-1"}, body.encode())
    if rest == "latin1":
        body = html_page("Honest label", f"<p>{FRENCH}</p>").replace('<meta charset="utf-8">', "")
        return Response(
            200, {"Content-Type": "text/html; charset=iso-8859-1"}, body.encode("cp1252")
        )
    if rest == "cp1251":
        body = html_page("Валдай", f"<p>{RUSSIAN}</p>").replace('<meta charset="utf-8">', "")
        return Response(200, {"Content-Type": "text/html"}, body.encode("cp1251"))
    if rest == "meta-cp1251":
        body = html_page("Валдай", f"<p>{RUSSIAN}</p>").replace(
            '<meta charset="utf-8">',
            '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">',
        )
        return Response(200, {"Content-Type": "text/html"}, body.encode("cp1251"))
    if rest == "utf16":
        body = html_page("UTF-16", f"<p>{FRENCH}</p>").replace('<meta charset="utf-8">', "")
        return Response(200, {"Content-Type": "text/html"}, body.encode("utf-16"))
    return _html(404, html_page("Not found"))


def _pdf(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    data = b"%PDF-1.7\n" + b"0" * (2 << 20)
    return Response(200, {"Content-Type": "application/pdf"}, data)


def _png(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    return Response(200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + bytes(4096))


def _challenge(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    headers = {"cf-mitigated": "challenge", "Server": "cloudflare", "Cache-Control": "no-store"}
    return _html(403, CHALLENGE_PAGE, **headers)


def _items(srv: SiteServer, req: Request) -> list[str]:
    host = req.host or f"127.0.0.1:{srv.port}"
    return [f"http://{host}/page/item-{i}" for i in (1, 2, 3)]


def _feed(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    entries = "".join(
        f"<item><title>Item {i}</title><link>{u}</link>"
        f"<pubDate>Tue, 0{i} Jul 2025 10:00:00 GMT</pubDate></item>"
        for i, u in enumerate(_items(srv, req), 1)
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Test</title>'
        f"<link>http://{req.host}/</link><description>t</description>{entries}</channel></rss>"
    )
    return Response(200, {"Content-Type": "application/rss+xml; charset=utf-8"}, body.encode())


def _sitemap_bytes(srv: SiteServer, req: Request) -> bytes:
    urls = "".join(
        f"<url><loc>{u}</loc><lastmod>2025-07-0{i}</lastmod></url>"
        for i, u in enumerate(_items(srv, req), 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    ).encode()


def _sitemap(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    return Response(200, {"Content-Type": "application/xml"}, _sitemap_bytes(srv, req))


def _sitemap_gz(srv: SiteServer, req: Request, rest: str, q: dict[str, str]) -> Response:
    data = gzip.compress(_sitemap_bytes(srv, req))
    return Response(200, {"Content-Type": "application/x-gzip"}, data)


_BUILTINS: dict[str, Builtin] = {
    "/robots.txt": _robots,
    "/page/*": _page,
    "/private/*": _page,
    "/hold/*": _hold,
    "/cond/*": _cond,
    "/drip": _drip,
    "/huge": _huge,
    "/bomb": _bomb,
    "/bomb/*": _bomb,
    "/gzip/*": _gzip,
    "/loop/*": _loop,
    "/chain/*": _chain,
    "/redirect": _redirect_to,
    "/retry-after": _retry_after,
    "/flaky": _flaky,
    "/reset": _reset,
    "/charset/*": _charset,
    "/doc.pdf": _pdf,
    "/image.png": _png,
    "/cf-challenge": _challenge,
    "/feed.xml": _feed,
    "/sitemap.xml": _sitemap,
    "/sitemap.xml.gz": _sitemap_gz,
}


@pytest.fixture(name="site")
def site_fixture() -> Iterator[SiteServer]:
    """A started :class:`SiteServer`, closed after the test."""
    with SiteServer() as server:
        yield server
