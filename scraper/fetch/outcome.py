"""How the end of the attempts at one URL becomes a :class:`~scraper.models.FetchResult`.

:class:`Outcome` is what the retry loop of :class:`~scraper.fetch.client.Fetcher` ends with (an
exchange, or an error line); :func:`finished` maps a final exchange to a status (304
``NOT_MODIFIED``, challenge page ``BLOCKED``, non-2xx ``ERROR``, refused or binary content
``NOT_HTML``, else ``OK`` with the body), carrying the validators on; :func:`result` stamps a
result with the time it was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from scraper.fetch.exchange import BINARY_MAGIC, Exchange
from scraper.models import FetchResult, FetchStatus

__all__ = ["Outcome", "finished", "result"]


@dataclass(slots=True)
class Outcome:
    """The end of the attempts at one URL: an exchange, or an error line."""

    attempts: int
    exchange: Exchange | None = None
    error: str | None = None
    http_status: int | None = None


def result(url: str, final_url: str, status: FetchStatus, **kw: object) -> FetchResult:
    """A :class:`FetchResult` of ``url`` fetched now (``kw``: its other fields)."""
    return FetchResult(
        url=url,
        final_url=final_url,
        status=status,
        fetched_at=datetime.now(UTC),
        **kw,  # type: ignore[arg-type]
    )


def finished(
    url: str,
    *,
    ex: Exchange,
    attempts: int,
    redirects: list[str],
    etag: str | None,
    last_modified: str | None,
) -> FetchResult:
    """The result of ``url`` from its final exchange ``ex`` (after ``redirects``).

    ``etag``/``last_modified`` are the validators sent; a 304 keeps them when it names none.
    """
    common: dict[str, object] = {
        "http_status": ex.status,
        "content_type": ex.headers.get("content-type"),
        "etag": ex.headers.get("etag") or (etag if ex.kind == "not_modified" else None),
        "last_modified": ex.headers.get("last-modified")
        or (last_modified if ex.kind == "not_modified" else None),
        "attempts": attempts,
        "redirects": tuple(redirects),
    }
    final = ex.url
    if ex.kind == "not_modified":
        return result(url, final, FetchStatus.NOT_MODIFIED, **common)
    if ex.blocked:
        why = f"challenge page (HTTP {ex.status})"
        if "cf-mitigated" in ex.headers:
            why = f"challenge page (HTTP {ex.status}, cf-mitigated: {ex.headers['cf-mitigated']})"
        return result(url, final, FetchStatus.BLOCKED, error=why, **common)
    if not 200 <= ex.status < 300:
        suffix = f" after {attempts} attempts" if attempts > 1 else ""
        reason = httpx.codes.get_reason_phrase(ex.status)
        return result(
            url,
            final,
            FetchStatus.ERROR,
            error=f"HTTP {ex.status} {reason}".rstrip() + suffix,
            **common,
        )
    media = ex.media_type
    if ex.kind == "not_html" or (
        not media and ex.accept == "html" and ex.body.startswith(BINARY_MAGIC)
    ):
        return result(
            url, final, FetchStatus.NOT_HTML, error=f"not HTML ({media or 'binary'})", **common
        )
    return result(
        url,
        final,
        FetchStatus.OK,
        content=ex.body,
        text=ex.text,
        encoding=ex.encoding,
        **common,
    )
