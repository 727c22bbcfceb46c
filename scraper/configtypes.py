"""The checked string types of the configuration file, as pydantic ``Annotated`` types.

Ids (:func:`identifier`), CSS selectors lexbor accepts, regular expressions, absolute http(s)
URLs, the service's public base URL, IANA time zones, email addresses and schedules (``every
6h`` or a 5-field cron expression). Each validator raises ``ValueError`` with the message the
user sees after the key's path (``sources[2].listing.link_selector: not a valid CSS
selector``); the models using them are in :mod:`scraper.config`.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator
from selectolax.lexbor import LexborHTMLParser

__all__ = [
    "ID_RE",
    "BaseUrl",
    "Css",
    "Email",
    "HttpUrl",
    "Regex",
    "Schedule",
    "TimeZone",
    "identifier",
]

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_PROBE = LexborHTMLParser("<html><body><p>x</p></body></html>")


def identifier(value: str) -> str:
    """An id usable in file names and URLs (sources, filtered feeds)."""
    if not ID_RE.match(value):
        raise ValueError("use lower-case letters, digits, '-' and '_' (at most 64)")
    return value


def _css(value: str) -> str:
    """A CSS selector lexbor accepts."""
    try:
        _PROBE.css(value)
    except Exception as e:  # lexbor raises ValueError/SelectolaxError on bad selectors
        raise ValueError("not a valid CSS selector") from e
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as e:
        raise ValueError(f"not a valid regular expression ({e})") from e
    return value


def _http_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError("must be an absolute http(s) URL")
    return value


_BASE_URL_EXAMPLE = "like https://digest.example.org or https://example.org/digest/"


def _base_url(value: str) -> str:
    """Where the service is reachable from outside: feed self links and unsubscribe links start
    with it, so it must be absolute (a bare host name would make them relative) and must not
    carry a query or fragment (the paths appended after it would land inside them)."""
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a port that is not a number in 0..65535
    except ValueError as e:
        raise ValueError(f"not a valid URL, {_BASE_URL_EXAMPLE} (got {value!r})") from e
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(
            f"must be an absolute http(s) URL with a host, {_BASE_URL_EXAMPLE} (got {value!r})"
        )
    if any(c.isspace() for c in value):
        raise ValueError(f"must not contain spaces, {_BASE_URL_EXAMPLE} (got {value!r})")
    if "?" in value or "#" in value:
        raise ValueError(f"must not have a query or fragment, {_BASE_URL_EXAMPLE} (got {value!r})")
    if parts.username is not None:
        raise ValueError(f"must not contain user:password@, {_BASE_URL_EXAMPLE}")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name like Asia/Tehran)") from e
    return value


def _email(value: str) -> str:
    if "\r" in value or "\n" in value or not re.match(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$", value):
        raise ValueError("not a valid email address")
    return value


def _cron_or_interval(value: str) -> str:
    """``every 6h`` / ``every 30m`` / ``every 1d`` or a 5-field cron expression."""
    if re.match(r"^every\s+\d+\s*[smhd]$", value.strip()):
        return value
    fields = value.split()
    if len(fields) != 5:
        raise ValueError("use 'every 6h' (s/m/h/d) or a 5-field cron expression")
    try:
        from apscheduler.triggers.cron import CronTrigger

        CronTrigger.from_crontab(value, timezone="UTC")
    except ValueError as e:
        raise ValueError(f"not a valid cron expression ({e})") from e
    return value


Css = Annotated[str, AfterValidator(_css)]
Regex = Annotated[str, AfterValidator(_regex)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
BaseUrl = Annotated[str, AfterValidator(_base_url)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
Email = Annotated[str, AfterValidator(_email)]
Schedule = Annotated[str, AfterValidator(_cron_or_interval)]
