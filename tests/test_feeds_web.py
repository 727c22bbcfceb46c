"""feeds.web over a real uvicorn server on a free port, spoken to by httpx."""

from __future__ import annotations

import gzip
import os
import socket
import threading
import time
from collections.abc import Iterator
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import httpx
import pytest
import uvicorn

from feeds.publish import build_all
from feeds.web import CACHE_CONTROL, NOT_FOUND_BODY, _accepts_gzip, create_feeds_app
from tests._feeds_helpers import NOW, MemoryArticles, check_feed, config, sample_articles


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("feeds")
    build_all(MemoryArticles(sample_articles()), config(str(out)), now=NOW)
    (out.parent / "outside-secret.atom").write_text("secret")
    return out


@pytest.fixture(scope="module")
def base(built: Path) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_feeds_app(built), host="127.0.0.1", port=port, log_level="warning",
            lifespan="off",
        )
    )  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def client(base: str) -> Iterator[httpx.Client]:
    # No automatic Accept-Encoding: each test says whether it wants gzip.
    with httpx.Client(base_url=base, headers={"Accept-Encoding": "identity"}) as c:
        yield c


def test_atom_served_with_type_validators_and_cache_headers(
    client: httpx.Client, built: Path
) -> None:
    r = client.get("/feeds/all.atom")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert r.headers["cache-control"] == CACHE_CONTROL
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["etag"].startswith('"') and not r.headers["etag"].startswith("W/")
    assert "content-encoding" not in r.headers
    assert r.content == (built / "all.atom").read_bytes()
    mtime = (built / "all.atom").stat().st_mtime
    assert parsedate_to_datetime(r.headers["last-modified"]).timestamp() == int(mtime)
    check_feed(r.content)


@pytest.mark.parametrize(
    ("path", "media_type", "file"),
    [
        ("/feeds/sources/csis.json", "application/feed+json", "sources/csis.json"),
        ("/feeds.opml", "text/x-opml; charset=utf-8", "feeds.opml"),
        ("/feeds/", "text/html; charset=utf-8", "index.html"),
        ("/feeds/tags/iran.atom", "application/atom+xml; charset=utf-8", "tags/iran.atom"),
    ],
)
def test_other_files_and_types(
    client: httpx.Client, built: Path, path: str, media_type: str, file: str
) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == media_type
    assert r.content == (built / file).read_bytes()


def test_304_by_etag(client: httpx.Client) -> None:
    etag = client.get("/feeds/sources/ipis.atom").headers["etag"]
    r = client.get("/feeds/sources/ipis.atom", headers={"If-None-Match": etag})
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["etag"] == etag
    r = client.get("/feeds/sources/ipis.atom", headers={"If-None-Match": f'"x", W/{etag}'})
    assert r.status_code == 304
    r = client.get("/feeds/sources/ipis.atom", headers={"If-None-Match": '"other"'})
    assert r.status_code == 200


def test_304_by_date(client: httpx.Client) -> None:
    last_modified = client.get("/feeds/all.atom").headers["last-modified"]
    r = client.get("/feeds/all.atom", headers={"If-Modified-Since": last_modified})
    assert r.status_code == 304
    earlier = parsedate_to_datetime(last_modified).timestamp() - 3600
    old = format_datetime(
        parsedate_to_datetime(last_modified).fromtimestamp(earlier, tz=parsedate_to_datetime(
            last_modified).tzinfo), usegmt=True
    )  # fmt: skip
    assert client.get("/feeds/all.atom", headers={"If-Modified-Since": old}).status_code == 200
    # If-None-Match wins over If-Modified-Since
    r = client.get(
        "/feeds/all.atom", headers={"If-Modified-Since": last_modified, "If-None-Match": '"no"'}
    )
    assert r.status_code == 200
    bad = client.get("/feeds/all.atom", headers={"If-Modified-Since": "yesterday"})
    assert bad.status_code == 200


def test_head_has_headers_without_body(client: httpx.Client) -> None:
    full = client.get("/feeds/all.atom")
    r = client.head("/feeds/all.atom")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == str(len(full.content))
    assert r.headers["etag"] == full.headers["etag"]
    assert client.head("/feeds/nope.atom").status_code == 404


def test_gzip_when_asked(client: httpx.Client, built: Path) -> None:
    raw = client.get("/feeds/all.atom", headers={"Accept-Encoding": "gzip"})
    assert raw.status_code == 200
    assert raw.headers["content-encoding"] == "gzip"
    assert raw.headers["vary"] == "Accept-Encoding"
    assert raw.content == (built / "all.atom").read_bytes()  # httpx decoded it
    assert int(raw.headers["content-length"]) < len(raw.content)
    etag = raw.headers["etag"]
    assert etag.endswith('-gz"')
    again = client.get(
        "/feeds/all.atom", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
    )
    assert again.status_code == 304
    refused = client.get("/feeds/all.atom", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers
    with client.stream("GET", "/feeds/all.atom", headers={"Accept-Encoding": "gzip"}) as s:
        body = b"".join(s.iter_raw())
    assert gzip.decompress(body) == (built / "all.atom").read_bytes()


def test_gzip_when_an_explicit_entry_overrides_a_refusing_wildcard(client: httpx.Client) -> None:
    raw = client.get("/feeds/all.atom", headers={"Accept-Encoding": "*;q=0, gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    refused = client.get("/feeds/all.atom", headers={"Accept-Encoding": "gzip;q=0, *"})
    assert "content-encoding" not in refused.headers


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("gzip ; Q=0.001", True),
        ("gzip;q=1.000", True),
        ("gzip;q=1.", True),  # the grammar allows a bare point
        ("*", True),
        ("*;q=0.1", True),
        ("br, *", True),
        ("*;q=0, gzip", True),  # the explicit entry decides, wherever it stands
        ("gzip, *;q=0", True),
        ("*;q=0, x-gzip;q=0.2", True),
        ("gzip;q=0, x-gzip", True),  # the same coding: its best weight counts
        ("", False),
        ("identity", False),
        ("br, deflate", False),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("gzip;q=0.", False),
        ("gzip;q=0, *", False),  # an explicit refusal beats the wildcard
        ("*;q=0", False),
        ("x-gzip;q=0, *;q=1", False),
        ("gzip;q=1.5", False),  # malformed weights: not acceptable
        ("gzip;q=0.5.1", False),
        ("gzip;q=-1", False),
        ("gzip;q=high", False),
        ("gzip;q=", False),
        ("gzip;q", False),
        ("gzip;q=0.1234", False),
        ("*;q=2", False),
        ("gzip;q=bad, *", False),  # the malformed explicit entry still decides
        ("gzipped, xgzip", False),
    ],
)
def test_accepts_gzip_follows_rfc_9110(header: str, accepted: bool) -> None:
    assert _accepts_gzip(header) is accepted


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/nope.atom",
        "/feeds/../outside-secret.atom",
        "/feeds/%2e%2e/outside-secret.atom",
        "/feeds/%2E%2E%2Foutside-secret.atom",
        "/feeds/sources/..%2f..%2foutside-secret.atom",
        "/feeds/%252e%252e/outside-secret.atom",
        "/feeds/..%5coutside-secret.atom",
        "/feeds/.all.atom.tmp",
        "/feeds/sources",
        "/feeds/all.atom%00.html",
        "/feeds//etc/passwd",
        "/elsewhere",
    ],
)
def test_unknown_and_traversal_paths_are_404_without_leaks(
    client: httpx.Client, built: Path, path: str
) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.content == NOT_FOUND_BODY
    assert str(built) not in r.text and "secret" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"


def test_raw_dotdot_request_line_is_404(base: str) -> None:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET /feeds/../../outside-secret.atom HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 404")
    assert b"secret" not in reply.split(b"\r\n\r\n", 1)[1]


def test_rewritten_file_gets_a_new_etag(client: httpx.Client, built: Path) -> None:
    target = built / "tags" / "scratch.atom"
    target.write_bytes((built / "all.atom").read_bytes())
    first = client.get("/feeds/tags/scratch.atom").headers["etag"]
    target.write_bytes(target.read_bytes().replace(b"Analysis", b"Analyses"))
    os.utime(target, ns=(time.time_ns() + 5_000_000_000,) * 2)
    r = client.get("/feeds/tags/scratch.atom", headers={"If-None-Match": first})
    assert r.status_code == 200
    assert r.headers["etag"] != first
    assert b"Analyses" in r.content
    target.unlink()
    assert client.get("/feeds/tags/scratch.atom").status_code == 404


def test_post_is_not_allowed(client: httpx.Client) -> None:
    assert client.post("/feeds/all.atom").status_code == 405
