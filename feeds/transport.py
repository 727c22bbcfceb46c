"""Digest transports: how one message reaches one recipient.

:class:`SmtpTransport` speaks SMTP with ``aiosmtplib`` (one connection reused for a batch) and
turns every failure into :class:`~scraper.errors.TemporaryMailError` (4xx, dropped connection,
timeout), :class:`~scraper.errors.PermanentMailError` (5xx) or
:class:`~scraper.errors.SmtpAuthError` (refused credentials). :class:`OutboxTransport` writes
``.eml`` files instead; :func:`transport_for` picks one from the config.
"""

from __future__ import annotations

import hashlib
import os
import re
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Protocol

import aiosmtplib

from scraper.config import Config, SmtpConfig
from scraper.errors import MailError, PermanentMailError, SmtpAuthError, TemporaryMailError

__all__ = ["OutboxTransport", "SmtpTransport", "Transport", "transport_for"]


class Transport(Protocol):
    """Sends one message to one recipient; raises the typed MailErrors or SmtpAuthError."""

    async def send(self, message: EmailMessage, *, sender: str, recipient: str) -> None: ...

    async def aclose(self) -> None: ...


def _reply(e: aiosmtplib.SMTPResponseException) -> str:
    return f"{e.code} {e.message}".strip()


class SmtpTransport:
    """SMTP with ``aiosmtplib``: one connection reused for a batch, reopened after any error."""

    def __init__(
        self,
        config: SmtpConfig,
        *,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self._config = config
        self._tls_context = tls_context
        self._local_hostname = local_hostname
        self._client: aiosmtplib.SMTP | None = None

    async def _connect(self) -> aiosmtplib.SMTP:
        cfg = self._config
        password = cfg.password()
        if cfg.username and password is None:
            raise SmtpAuthError(
                f"smtp.username is set but no password: environment variable "
                f"{cfg.password_env or '(smtp.password_env unset)'} is empty",
                hint="set smtp.password_env to the name of a variable holding the password",
            )
        client = aiosmtplib.SMTP(
            hostname=cfg.host,
            port=cfg.port,
            timeout=cfg.timeout,
            use_tls=cfg.security == "tls",
            start_tls=cfg.security == "starttls",
            tls_context=self._tls_context,
            local_hostname=self._local_hostname,
        )
        await client.connect()
        if cfg.username and password is not None:
            try:
                await client.login(cfg.username, password)
            except aiosmtplib.SMTPAuthenticationError as e:
                client.close()
                raise SmtpAuthError(
                    f"SMTP server {cfg.host}:{cfg.port} refused the credentials of "
                    f"{cfg.username!r}: {_reply(e)}",
                    hint=f"check smtp.username and the variable {cfg.password_env}",
                ) from e
        return client

    async def send(self, message: EmailMessage, *, sender: str, recipient: str) -> None:
        try:
            if self._client is None or not self._client.is_connected:
                self._client = await self._connect()
            await self._client.send_message(message, sender=sender, recipients=[recipient])
        except BaseException as e:
            self._drop()
            raise _classify(e, self._config) from e

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit(timeout=min(self._config.timeout, 5.0))
            except (aiosmtplib.SMTPException, OSError):
                client.close()


def _classify(e: BaseException, cfg: SmtpConfig) -> BaseException:
    """Turn an ``aiosmtplib``/socket failure into a temporary, permanent or auth error."""
    where = f"{cfg.host}:{cfg.port}"
    if isinstance(e, MailError):
        return e
    if isinstance(e, aiosmtplib.SMTPRecipientsRefused) and e.recipients:
        first = e.recipients[0]
        code, text = first.code, f"{first.code} {first.message}".strip()
    elif isinstance(e, aiosmtplib.SMTPResponseException):
        code, text = e.code, _reply(e)
    elif isinstance(e, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return TemporaryMailError(f"SMTP server {where} timed out ({e})")
    elif isinstance(e, aiosmtplib.SMTPNotSupported):
        return TemporaryMailError(
            f"SMTP server {where}: {e}", hint="check smtp.security (starttls | tls | none)"
        )
    elif isinstance(e, OSError | aiosmtplib.SMTPException):
        return TemporaryMailError(f"SMTP server {where}: connection failed ({e})")
    else:
        return e  # cancellation and programming errors go through unchanged
    if code in {530, 534, 535}:
        return SmtpAuthError(f"SMTP server {where} requires valid credentials: {text}")
    if 400 <= code < 500 or code < 0:
        return TemporaryMailError(f"SMTP server {where}: {text}")
    return PermanentMailError(f"SMTP server {where}: {text}")


class OutboxTransport:
    """Writes each message as an ``.eml`` file (atomically; a re-send replaces the same file)."""

    def __init__(self, outbox_dir: Path) -> None:
        self.outbox_dir = outbox_dir

    def path_for(self, message: EmailMessage, recipient: str) -> Path:
        mid = str(message.get("Message-ID", "")).strip("<> ")
        local = re.sub(r"[^A-Za-z0-9._-]+", "_", mid.split("@")[0])[:80] or "message"
        tag = hashlib.sha256(f"{mid}\n{recipient.lower()}".encode()).hexdigest()[:8]
        return self.outbox_dir / f"{local}.{tag}.eml"

    async def send(self, message: EmailMessage, *, sender: str, recipient: str) -> None:
        path = self.path_for(message, recipient)
        data = message.as_bytes(policy=SMTP)
        try:
            self.outbox_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(path)
        except OSError as e:
            raise TemporaryMailError(
                f"{path}: cannot write the message ({e.strerror})",
                hint="check that digest.outbox_dir is writable",
            ) from e

    async def aclose(self) -> None:
        return None


def transport_for(config: Config) -> Transport:
    """SMTP when ``[smtp]`` is configured, else the outbox folder (``digest.outbox_dir``)."""
    if config.smtp is not None:
        return SmtpTransport(config.smtp)
    return OutboxTransport(config.resolve(config.digest.outbox_dir))
