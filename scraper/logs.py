"""Structured logs for ``scraper serve``: one line per event, ``key=value`` or JSON.

Use :func:`event` for things an operator greps for (``event=run.finished source=riac new=3``);
ordinary ``logging`` calls from libraries come out in the same shape (``event=log``). Nothing
secret is written: values of keys that look like secrets (``password``, ``token``, ``secret``,
``authorization``...) become ``***``, and credentials inside URLs (``user:pass@host``) are
masked wherever they appear, including in messages and exceptions.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

__all__ = ["JsonFormatter", "KeyValueFormatter", "configure", "event", "redact"]

LOGGER = "scraper.service"
_SECRET_KEY = re.compile(r"pass(word|wd)?|secret|token|auth|api[_-]?key|credential", re.I)
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^\s:/@]+):[^\s@/]+@", re.I
)
_BARE = re.compile(r"^[A-Za-z0-9_.:/@+\-]+$")
_RESERVED = frozenset(vars(logging.makeLogRecord({})).keys()) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's ANSI-coloured copy of the message
    "taskName",
}
_MAX_VALUE = 2000


def redact(text: str) -> str:
    """``text`` with URL credentials masked (``postgresql://u:***@host``)."""
    return _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)


def _clean(key: str, value: object) -> object:
    if value is None or isinstance(value, bool | int | float):
        return value
    if _SECRET_KEY.search(key):
        return "***"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(key, v) for v in value]
    text = redact(str(value))
    return text if len(text) <= _MAX_VALUE else text[:_MAX_VALUE] + "..."


def _fields(record: logging.LogRecord) -> dict[str, object]:
    fields: dict[str, object] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
    }
    extra = getattr(record, "fields", None)
    name = getattr(record, "event", None)
    fields["event"] = name or "log"
    if name is None:
        fields["logger"] = record.name
        fields["msg"] = _clean("msg", record.getMessage())
    if isinstance(extra, Mapping):
        for key, value in extra.items():
            if key not in fields:
                fields[str(key)] = _clean(str(key), value)
    for key, value in vars(record).items():  # logging's own `extra=` keys
        if key not in _RESERVED and key not in {"fields", "event"} and key not in fields:
            fields[key] = _clean(key, value)
    if record.exc_info and record.exc_info[1] is not None:
        exc = record.exc_info[1]
        fields["error"] = _clean("error", f"{type(exc).__name__}: {exc}")
    return fields


def _kv_value(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    text = str(value)
    if text and _BARE.match(text):
        return text
    return json.dumps(text, ensure_ascii=False)


class KeyValueFormatter(logging.Formatter):
    """``ts=... level=info event=run.finished source=riac new=3 error="..."``."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{k}={_kv_value(v)}" for k, v in _fields(record).items())


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), ensure_ascii=False, default=str)


def configure(
    fmt: Literal["kv", "json"] = "kv", *, verbose: bool = False, stream: TextIO | None = None
) -> logging.Handler:
    """Route every log record to one structured handler on ``stream`` (stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    quiet = ("httpx", "httpcore", "asyncio", "apscheduler", "uvicorn.access", "aiosmtplib")
    for name in quiet:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    return handler


def event(name: str, level: int = logging.INFO, /, **fields: Any) -> None:
    """Log one structured event: ``event("run.finished", source="riac", new=3)``."""
    logging.getLogger(LOGGER).log(level, name, extra={"event": name, "fields": fields})
