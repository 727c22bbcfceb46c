"""The digest email: a rendered digest becomes an :class:`email.message.EmailMessage`.

``build_message`` writes the ``multipart/alternative`` message and its headers (list headers of
RFC 2369/8058, a ``Message-ID`` from :func:`message_id_for` that is the same for every attempt).
Header values from subscribers or articles are cleaned of CR/LF and other controls; malformed
addresses are refused. Pure, like :mod:`feeds.digest`: the mailer passes ``now`` in.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from feeds.digest import _CONTROL, _SPACES, RenderedDigest
from scraper.config import Config, SubscriberConfig
from scraper.errors import MailError

__all__ = ["build_message", "message_id_for"]


def _header_text(value: str) -> str:
    """A header value from untrusted text: CR/LF and other controls become spaces."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()


def _address(email: str, name: str | None = None) -> Address:
    if _CONTROL.search(email) or not re.fullmatch(r"[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+", email):
        raise MailError(f"refusing to send to a malformed address {email!r}")
    local, domain = email.rsplit("@", 1)
    return Address(display_name=_header_text(name or ""), username=local, domain=domain)


def message_id_for(subscriber: str, period: str, from_address: str) -> str:
    """``<digest.2025-W28.<sha256(email)[:16]>@<from domain>>``: the same for every attempt."""
    digest = hashlib.sha256(subscriber.strip().lower().encode("utf-8")).hexdigest()[:16]
    domain = from_address.rsplit("@", 1)[-1]
    return f"<digest.{period}.{digest}@{domain}>"


def build_message(
    rendered: RenderedDigest,
    *,
    subscriber: SubscriberConfig,
    config: Config,
    period: str,
    now: datetime,
    message_id: str | None = None,
    unsubscribe_url: str | None = None,
) -> EmailMessage:
    """The email (``multipart/alternative``, text then HTML) with list headers (RFC 2369/8058).

    ``List-Unsubscribe`` always has a ``mailto:`` (the from address, subject "unsubscribe");
    the HTTPS one-click URL and ``List-Unsubscribe-Post`` are added when ``unsubscribe_url`` is
    given. Header values from subscribers or articles have CR/LF removed; a malformed address
    is refused with :class:`MailError`.
    """
    dc = config.digest
    msg = EmailMessage(policy=SMTP)
    sender = _address(dc.from_address, dc.from_name)
    msg["From"] = sender
    msg["To"] = _address(subscriber.email, subscriber.name)
    if dc.reply_to:
        msg["Reply-To"] = _address(dc.reply_to)
    msg["Subject"] = _header_text(rendered.subject)
    msg["Date"] = format_datetime(now.astimezone(ZoneInfo(dc.timezone)))
    msg["Message-ID"] = message_id or message_id_for(subscriber.email, period, dc.from_address)
    msg["List-Id"] = f"{_header_text(dc.title)} <digest.{sender.domain}>"
    mailto = f"<mailto:{dc.from_address}?subject=unsubscribe>"
    if unsubscribe_url:
        if _CONTROL.search(unsubscribe_url) or not re.match(r"https?://\S+$", unsubscribe_url):
            raise MailError(f"unsubscribe URL must be an http(s) URL: {unsubscribe_url!r}")
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>, {mailto}"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    else:
        msg["List-Unsubscribe"] = mailto
    msg["Precedence"] = "bulk"
    msg["X-Digest-Period"] = period
    msg.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="base64")
    return msg
