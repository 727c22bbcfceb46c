"""The shared test site itself (tests/sitesrv.py), checked with a plain httpx client, so that
other areas can trust what its endpoints do."""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections.abc import Iterator

import httpx
import pytest

from tests.sitesrv import (
    FRENCH,
    RUSSIAN,
    Request,
    Response,
    SiteServer,
    gzip_bomb,
    max_overlap,
    site_fixture,  # noqa: F401
)


class _Http:
    """One plain client for the module (making one costs ~0.1 s of TLS set-up)."""

    client: httpx.Client | None = None


@pytest.fixture(scope="module", autouse=True)
def _shared_client() -> Iterator[None]:
    with httpx.Client(timeout=5) as client:
        _Http.client = client
        yield
    _Http.client = None


def http() -> httpx.Client:
    assert _Http.client is not None
    return _Http.client


def get(url: str, **headers: str) -> httpx.Response:
    return http().get(url, headers=headers)


def test_routes_hosts_and_recording(site: SiteServer) -> None:
    site.add("/a", "<p>a</p>")
    site.add("/a?x=1", b"with query", content_type="text/plain", status=201)
    site.route("/dyn", lambda req: Response(200, {"X-Host": req.host}, req.path.encode()))
    assert get(site.url("/a")).text == "<p>a</p>"
    with_query = get(site.url("/a?x=1"))
    assert (with_query.status_code, with_query.text) == (201, "with query")
    assert get(site.url("/a?x=2")).text == "<p>a</p>"  # falls back to the path alone
    dyn = get(site.url("/dyn?q=1", host="localhost"), **{"X-Test": "yes"})
    assert dyn.text == "/dyn?q=1"
    assert dyn.headers["x-host"] == f"localhost:{site.port}"
    assert get(site.url("/nothing")).status_code == 404
    assert site.paths() == ["/a", "/a?x=1", "/a?x=2", "/dyn?q=1", "/nothing"]
    assert site.count("/a") == 3
    (req,) = site.hits("/dyn")
    assert req.headers["x-test"] == "yes"
    assert req.query == {"q": "1"}
    assert req.route == "/dyn"
    assert req.status == 200
    assert req.started <= req.finished
    site.clear()
    assert site.paths() == []


def test_robots_configuration(site: SiteServer) -> None:
    assert "Disallow: /private/" in get(site.url("/robots.txt")).text
    site.set_robots("User-agent: *\nDisallow: /x\n", crawl_delay=1.5)
    assert get(site.url("/robots.txt")).text.endswith("Crawl-delay: 1.5\n")
    site.set_robots(None, status=404)
    assert get(site.url("/robots.txt")).status_code == 404
    site.set_robots("boom", status=503)
    assert get(site.url("/robots.txt")).status_code == 503


def test_conditional_endpoint(site: SiteServer) -> None:
    first = get(site.url("/cond/x"))
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert get(site.url("/cond/x"), **{"If-None-Match": etag}).status_code == 304
    assert get(site.url("/cond/x"), **{"If-Modified-Since": modified}).status_code == 304
    site.bump("x")
    assert get(site.url("/cond/x"), **{"If-None-Match": etag}).status_code == 200


def test_counters_for_retry_endpoints(site: SiteServer) -> None:
    assert [get(site.url("/flaky?fails=2")).status_code for _ in range(3)] == [500, 500, 200]
    assert get(site.url("/flaky?fails=2&status=503")).status_code == 503  # its own counter
    limited = get(site.url("/retry-after?s=7"))
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
    assert get(site.url("/retry-after?s=7")).status_code == 200
    dated = get(site.url("/retry-after?s=3&date=1")).headers["retry-after"]
    assert dated.endswith(" GMT")


def test_redirect_endpoints(site: SiteServer) -> None:
    assert get(site.url("/loop/a")).headers["location"] == "/loop/b"
    assert get(site.url("/chain/2")).headers["location"] == "/chain/1"
    assert get(site.url("/chain/0")).status_code == 200
    odd = get(site.url("/redirect?to=ftp://x/y&status=307"))
    assert (odd.status_code, odd.headers["location"]) == (307, "ftp://x/y")


def test_bodies_and_encodings(site: SiteServer) -> None:
    gz = get(site.url("/gzip/g"))  # httpx inflates it
    assert FRENCH in gz.text
    assert get(site.url("/charset/latin1-utf8")).content.decode("utf-8").count(FRENCH) == 1
    assert RUSSIAN in get(site.url("/charset/cp1251")).content.decode("cp1251")
    assert get(site.url("/doc.pdf")).content.startswith(b"%PDF")
    challenge = get(site.url("/cf-challenge"))
    assert challenge.status_code == 403
    assert challenge.headers["cf-mitigated"] == "challenge"
    assert "<title>Just a moment...</title>" in challenge.text
    assert gzip.decompress(get(site.url("/sitemap.xml.gz")).content).startswith(b"<?xml")
    assert b"/page/item-1</link>" in get(site.url("/feed.xml")).content


def test_huge_is_as_big_as_asked(site: SiteServer) -> None:
    chunked = get(site.url("/huge?mb=2"))
    sized = get(site.url("/huge?mb=2&length=1"))
    assert len(chunked.content) == len(sized.content) == 2 << 20
    assert "content-length" not in chunked.headers
    assert sized.headers["content-length"] == str(2 << 20)


@pytest.mark.parametrize("deflate", [False, True])
def test_gzip_bomb_expands_exactly(deflate: bool) -> None:
    data = gzip_bomb(5, deflate=deflate)
    wbits = zlib.MAX_WBITS if deflate else 16 + zlib.MAX_WBITS
    expanded = zlib.decompress(data, wbits)  # checks the trailer (CRC/Adler and size) too
    assert len(expanded) == 5 << 20
    assert not expanded.strip(b"\0")
    assert len(data) < 10_000


def test_stacked_bomb_needs_two_inflations() -> None:
    data = gzip_bomb(5, layers=2)
    assert len(gzip.decompress(gzip.decompress(data))) == 5 << 20
    assert len(data) < 2_000


def test_gzip_bomb_is_small_on_the_wire(site: SiteServer) -> None:
    with http().stream("GET", site.url("/bomb?mb=200")) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert len(raw) < 300_000


def test_reset_drops_the_connection(site: SiteServer) -> None:
    with pytest.raises(httpx.TransportError):
        get(site.url("/reset"))
    assert site.count("/reset") == 1


def test_drip_is_slow_and_close_ends_it() -> None:
    srv = SiteServer().start()
    errors: list[Exception] = []

    def client() -> None:
        try:
            get(srv.url("/drip?interval=0.5&bytes=100"))
        except Exception as e:  # the server hangs up: what we want to see
            errors.append(e)

    worker = threading.Thread(target=client)
    worker.start()
    time.sleep(0.3)
    started = time.monotonic()
    srv.close()
    worker.join(5)
    assert not worker.is_alive()
    assert time.monotonic() - started < 2
    assert errors  # 100 bytes at 2 per second would have taken 50 s


def test_hold_overlaps_and_max_overlap(site: SiteServer) -> None:
    threads = [threading.Thread(target=get, args=(site.url(f"/hold/{i}?s=0.3"),)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert max_overlap(site.requests) == 3
    held = sorted(round(r.finished - r.started, 3) for r in site.requests)
    assert len(held) == 3 and held[0] >= 0.3, held


def test_max_overlap_is_exact() -> None:
    def req(start: float, end: float) -> Request:
        return Request("GET", "/", "h", {}, start, end)

    assert max_overlap([]) == 0
    assert max_overlap([req(0, 1), req(1, 2), req(2, 3)]) == 1  # touching is not overlapping
    assert max_overlap([req(0, 3), req(1, 2), req(1.5, 4), req(3.5, 5)]) == 3
