"""A real SMTP server for the digest tests (``aiosmtpd`` on 127.0.0.1, a free port).

:class:`Mailbox` is the handler: it records every message it accepts and can misbehave on
purpose: answer a DATA with a scripted reply (``451`` then accept), refuse some recipients
(``550``), drop the connection after DATA, never answer after DATA, refuse credentials, or
block after N messages (the kill -9 test). :func:`smtp_server` runs it in a background thread
(``aiosmtpd.controller.Controller``) and stops it afterwards.

Run as ``python -m tests._smtp_helpers CONFIG_JSON DB_URL NOW_ISO``, it is the child process of
the crash test: one ``send_due`` batch, exactly as the service would run it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from feeds.mailer import send_due
from scraper.config import parse_config
from scraper.store import Store

__all__ = ["Mailbox", "Received", "free_port", "smtp_server"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    """One message as the server got it."""

    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())


@dataclass
class Mailbox:
    """The handler: records accepted messages, misbehaves as configured."""

    data_replies: list[str] = field(default_factory=list)  # consumed one per DATA
    reject: dict[str, str] = field(default_factory=dict)  # recipient -> RCPT reply
    drop_after_data: int = 0  # drop the connection after this many DATA commands
    hang_after_data: bool = False  # never answer DATA
    block_after: int | None = None  # record message N+1, then never answer
    password: str | None = None  # the only password LOGIN/PLAIN accept, when set
    delay: float = 0.0  # seconds to wait before answering each DATA
    received: list[Received] = field(default_factory=list)
    data_commands: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.reject:
            return self.reject[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.data_commands += 1
            reply = self.data_replies.pop(0) if self.data_replies else "250 Message accepted"
            if self.drop_after_data > 0:
                self.drop_after_data -= 1
                server.transport.close()
                return "421 closing"
            if self.hang_after_data:
                hang = True
            elif self.block_after is not None and len(self.received) >= self.block_after:
                self._record(envelope)  # delivered, but the client never hears so
                hang = True
            else:
                hang = False
                if reply.startswith("250"):
                    self._record(envelope)
        if hang:
            await asyncio.sleep(3600)
        if self.delay:
            await asyncio.sleep(self.delay)
        return reply

    def _record(self, envelope: Any) -> None:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg))

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == (
            self.password or ""
        ).encode("utf-8")
        return AuthResult(success=ok, handled=False)

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def by_recipient(self) -> dict[str, list[Received]]:
        out: dict[str, list[Received]] = {}
        with self.lock:
            for r in self.received:
                for rcpt in r.recipients:
                    out.setdefault(rcpt, []).append(r)
        return out


@contextmanager
def smtp_server(mailbox: Mailbox, *, auth: bool = False) -> Iterator[int]:
    """Serve ``mailbox`` on 127.0.0.1; yields the port."""
    port = free_port()
    kwargs: dict[str, Any] = {}
    if auth:
        kwargs.update(
            auth_require_tls=False, auth_required=True, authenticator=mailbox.authenticate
        )
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, ready_timeout=5, **kwargs)
    controller.start()
    try:
        yield port
    finally:
        controller.stop(no_assert=True)


def wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


def _child(config_json: str, db_url: str, now_iso: str) -> None:
    config = parse_config(json.loads(config_json))
    store = Store.open(db_url)
    asyncio.run(send_due(store, config, now=datetime.fromisoformat(now_iso)))


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2], sys.argv[3])
