"""Unsubscribe tokens and routes, served by a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import stat
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from feeds.unsubscribe import (
    KEY_FILE,
    load_secret,
    make_token,
    unsubscribe_routes,
    unsubscribe_url,
    verify_token,
)
from scraper.config import Config, parse_config
from scraper.errors import MailError
from scraper.store import Store
from tests._smtp_helpers import free_port

NOW = datetime(2025, 7, 14, 9, 0, tzinfo=UTC)
SECRET = b"0123456789abcdef0123456789abcdef"


def make_config(tmp_path: Path, env: str = "TTD_TEST_UNSUB_SECRET_UNSET") -> Config:
    return parse_config(
        {
            "data_dir": str(tmp_path / "data"),
            "serve": {"public_base_url": "https://digest.example.org/base/"},
            "digest": {"unsubscribe_secret_env": env},
            "subscribers": [{"email": "ann@example.org"}],
        }
    )


@pytest.fixture
def server(store: Store, tmp_path: Path) -> Iterator[str]:
    """The routes in a Starlette app under uvicorn; yields the base URL."""
    app = Starlette(routes=unsubscribe_routes(store, make_config(tmp_path), secret=SECRET))
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


def test_tokens_are_per_email_and_secret() -> None:
    token = make_token(SECRET, "ann@example.org")
    assert verify_token(SECRET, "ann@example.org", token)
    assert verify_token(SECRET, "Ann@Example.org ", token)  # case and space do not matter
    assert not verify_token(SECRET, "bob@example.org", token)
    assert not verify_token(b"another secret of the same length!", "ann@example.org", token)
    assert not verify_token(SECRET, "ann@example.org", token[:-1])
    assert not verify_token(SECRET, "ann@example.org", "")
    assert not verify_token(SECRET, "", token)
    assert not verify_token(SECRET, "ann@example.org", "é" * 43)


def test_secret_from_env_or_a_0600_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path, env="TTD_TEST_UNSUB_SECRET")
    monkeypatch.delenv("TTD_TEST_UNSUB_SECRET", raising=False)
    first = load_secret(config)
    key = tmp_path / "data" / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert load_secret(config) == first  # persisted, stable across restarts
    key.chmod(0o644)
    assert load_secret(config) == first
    assert stat.S_IMODE(key.stat().st_mode) == 0o600  # tightened again
    monkeypatch.setenv("TTD_TEST_UNSUB_SECRET", "from-the-environment")
    assert load_secret(config) == b"from-the-environment"
    other = make_config(tmp_path / "other")
    assert load_secret(other) != first  # another data dir, another random key
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro" / "data").write_text("a file where the folder should be")
    with pytest.raises(MailError, match="unsubscribe key"):
        load_secret(make_config(tmp_path / "ro"))


def test_unsubscribe_url_shape(tmp_path: Path) -> None:
    url = unsubscribe_url(make_config(tmp_path), "a+b@example.org", SECRET)
    assert url is not None
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "digest.example.org",
        "/base/unsubscribe",
    )
    query = parse_qs(parts.query)
    assert query["e"] == ["a+b@example.org"]
    assert verify_token(SECRET, "a+b@example.org", query["t"][0])
    no_base = parse_config({"subscribers": [{"email": "a@example.org"}]})
    assert unsubscribe_url(no_base, "a@example.org", SECRET) is None


def test_get_confirms_and_one_click_post_unsubscribes(server: str, store: Store) -> None:
    email = "ann@example.org"
    params = {"e": email, "t": make_token(SECRET, email)}
    with httpx.Client(base_url=server, timeout=5) as client:
        page = client.get("/unsubscribe", params=params)
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert "<form" in page.text and 'method="post"' in page.text
        assert "<script" not in page.text
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert store.unsubscribed() == set()  # a GET (link scanners) changes nothing
        # RFC 8058: the mail provider POSTs the List-Unsubscribe URL with this body
        done = client.post(
            "/unsubscribe",
            params=params,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert done.status_code == 200
        assert "Unsubscribed" in done.text and email in done.text
    assert store.unsubscribed() == {email}


def test_confirm_form_posts_back_and_works(server: str, store: Store) -> None:
    email = "bob@example.org"
    params = {"e": email, "t": make_token(SECRET, email)}
    with httpx.Client(base_url=server, timeout=5) as client:
        page = client.get("/unsubscribe", params=params)
        action = page.text.split('action="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        assert action.startswith("?")  # relative: works under any mount prefix
        done = client.post("/unsubscribe" + action, data={"confirm": "yes"})
        assert done.status_code == 200
    assert store.unsubscribed() == {email}


def test_bad_tokens_get_403_and_change_nothing(server: str, store: Store) -> None:
    good = make_token(SECRET, "ann@example.org")
    with httpx.Client(base_url=server, timeout=5) as client:
        cases = [
            {"e": "ann@example.org", "t": good[:-2] + "xx"},
            {"e": "bob@example.org", "t": good},
            {"e": "ann@example.org"},
            {},
        ]
        for params in cases:
            assert client.get("/unsubscribe", params=params).status_code == 403
            post = client.post("/unsubscribe", params=params, content=b"List-Unsubscribe=One-Click")
            assert post.status_code == 403
            assert "not valid" in post.text
        big = client.post(
            "/unsubscribe",
            params={"e": "ann@example.org", "t": good},
            content=b"x" * 10_000,
        )
        assert big.status_code == 413
    assert store.unsubscribed() == set()
