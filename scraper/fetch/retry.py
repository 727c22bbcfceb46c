"""When to try again: which answers are retried, ``Retry-After``, backoff with jitter."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["RETRY_STATUSES", "backoff_delay", "is_retryable_status", "parse_retry_after"]

RETRY_STATUSES = frozenset({408, 429})  # plus every 5xx


def is_retryable_status(status: int) -> bool:
    """408, 429 and 5xx are worth another try; nothing else is."""
    return status in RETRY_STATUSES or 500 <= status <= 599


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date).

    ``now`` is the current UTC time (a date in the past means 0); ``None`` when absent or
    unreadable.
    """
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return None if math.isnan(seconds) else max(0.0, seconds)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Wait before retry number ``attempt`` (1, 2, ...): ``base * 2**(attempt-1)``, with
    jitter of +/-50 % so that clients do not retry in step, never more than ``cap``."""
    raw: float = base * 2.0 ** (attempt - 1) * (0.5 + rng.random())
    return min(raw, cap)
