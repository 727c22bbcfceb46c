"""Unsubscribe links: HMAC tokens and the Starlette routes ``scraper serve`` mounts.

A token is HMAC-SHA256 over the lower-cased email with a secret taken from the environment
variable named by ``digest.unsubscribe_secret_env``; when that variable is unset, a random secret
is created once in ``<data_dir>/unsubscribe.key`` (mode 0600) and reused. Links therefore stay
valid across restarts and never expire; rotating the secret invalidates every old link.

Routes (``/unsubscribe?e=EMAIL&t=TOKEN``):

* ``GET`` shows a confirmation page with a plain POST form (no JavaScript), so that link
  scanners that follow every URL in a mail do not unsubscribe anyone;
* ``POST`` unsubscribes: both the RFC 8058 one-click request (body
  ``List-Unsubscribe=One-Click``, sent by the mail provider) and the confirmation form; the
  change is stored with ``store.set_subscribed(email, False, now)``;
* a missing or wrong token gives a 403 page.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlencode

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from feeds.digest import DEFAULT_TEMPLATES
from scraper.config import Config
from scraper.errors import MailError

__all__ = [
    "KEY_FILE",
    "load_secret",
    "make_token",
    "unsubscribe_routes",
    "unsubscribe_url",
    "verify_token",
]

KEY_FILE = "unsubscribe.key"
_MAX_BODY = 4096
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


class SubscriberStore(Protocol):
    """The part of :class:`scraper.store.Store` the routes use."""

    def set_subscribed(self, email: str, subscribed: bool, now: datetime) -> None: ...


def _message(email: str) -> bytes:
    return b"unsubscribe:v1:" + email.strip().lower().encode("utf-8")


def make_token(secret: bytes, email: str) -> str:
    """The token of ``email`` (URL-safe base64 of HMAC-SHA256, no padding)."""
    mac = hmac.new(secret, _message(email), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def verify_token(secret: bytes, email: str, token: str) -> bool:
    """Whether ``token`` is the token of ``email`` (constant-time comparison)."""
    if not email or not token or len(token) > 128:
        return False
    expected = make_token(secret, email).encode("ascii")
    return hmac.compare_digest(expected, token.encode("utf-8", "replace"))


def load_secret(config: Config) -> bytes:
    """The HMAC secret: from the environment, else ``<data_dir>/unsubscribe.key`` (created)."""
    from_env = os.environ.get(config.digest.unsubscribe_secret_env, "")
    if from_env.strip():
        return from_env.strip().encode("utf-8")
    path = config.resolve(config.data_dir) / KEY_FILE
    try:
        return _read_or_create(path)
    except OSError as e:
        raise MailError(
            f"{path}: cannot read or create the unsubscribe key ({e.strerror})",
            hint=f"make the data folder writable or set {config.digest.unsubscribe_secret_env}",
        ) from e


def _read_or_create(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)  # atomic and never replaces: the first writer wins
        finally:
            tmp.unlink(missing_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    value = path.read_text(encoding="ascii").strip()
    if len(value) < 32:
        raise OSError(0, "the key file is shorter than 32 characters", str(path))
    return value.encode("ascii")


def unsubscribe_url(config: Config, email: str, secret: bytes) -> str | None:
    """The HTTPS link for ``email`` when ``serve.public_base_url`` is set, else ``None``."""
    base = config.serve.public_base_url
    if not base:
        return None
    query = urlencode({"e": email, "t": make_token(secret, email)})
    return f"{base.rstrip('/')}/unsubscribe?{query}"


@lru_cache(maxsize=4)
def _env(templates_dir: str | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir:
        loaders.append(jinja2.FileSystemLoader(templates_dir))
    loaders.append(jinja2.FileSystemLoader(str(DEFAULT_TEMPLATES)))
    return jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True)


def unsubscribe_routes(
    store: SubscriberStore,
    config: Config,
    *,
    secret: bytes | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[Route]:
    """``[Route("/unsubscribe", GET + POST)]`` for the service's Starlette app."""
    key = secret if secret is not None else load_secret(config)
    env = _env(config.digest.templates_dir)
    title = config.digest.title

    def page(name: str, status: int, **context: str) -> HTMLResponse:
        body = env.get_template(name).render(title=title, **context)
        return HTMLResponse(body, status_code=status, headers=_PAGE_HEADERS)

    async def endpoint(request: Request) -> Response:
        email = request.query_params.get("e", "")
        token = request.query_params.get("t", "")
        if request.method == "POST":
            raw = await _bounded_body(request)
            if raw is None:
                return page("unsubscribe_invalid.html", 413)
            form = parse_qs(raw.decode("utf-8", "replace"))
            email = email or form.get("e", [""])[0]
            token = token or form.get("t", [""])[0]
        if not verify_token(key, email, token):
            return page("unsubscribe_invalid.html", 403)
        if request.method != "POST":
            action = "?" + urlencode({"e": email, "t": token})  # relative: any mount prefix
            return page("unsubscribe_confirm.html", 200, email=email, action=action)
        await run_in_threadpool(store.set_subscribed, email, False, clock())
        return page("unsubscribe_done.html", 200, email=email)

    return [Route("/unsubscribe", endpoint, methods=["GET", "POST"], name="unsubscribe")]


async def _bounded_body(request: Request) -> bytes | None:
    """The request body, or ``None`` when it is larger than a form ever is."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
