"""Column types that behave the same on SQLite and PostgreSQL.

- :class:`UTCDateTime`: timezone-aware datetimes, stored in UTC. PostgreSQL keeps them as
  ``timestamp with time zone``; SQLite as fixed-width ISO text
  (``2025-07-09T10:00:00.000000+00:00``) so that string order is time order and comparisons in
  SQL work. Always read back aware, in UTC.
- :class:`JSONText`: any JSON value as text (``json.dumps``), identical on both backends.
- ``published``/``updated`` keep their *original* offset: the store writes them with
  :func:`iso_with_offset` into a text column and the UTC instant into a sort key.
- SimHash fingerprints are unsigned 64-bit; the columns are signed ``BIGINT``
  (:func:`simhash_to_db` / :func:`simhash_from_db`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = [
    "JSONText",
    "UTCDateTime",
    "ensure_aware",
    "iso_with_offset",
    "parse_iso",
    "simhash_from_db",
    "simhash_to_db",
    "u64_from_db",
    "utc_from_db",
]

_U64 = 1 << 64
_I64_MAX = (1 << 63) - 1


def ensure_aware(value: datetime, what: str = "datetime") -> datetime:
    """Return ``value`` unchanged if it is timezone-aware; raise ``ValueError`` if naive."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    return value


def _utc_text(value: datetime) -> str:
    return ensure_aware(value).astimezone(UTC).isoformat(timespec="microseconds")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, stored in UTC, read back aware (UTC) on every backend."""

    impl = String(32)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(DateTime(timezone=True))
        return dialect.type_descriptor(String(32))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return ensure_aware(value).astimezone(UTC)
        return _utc_text(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else utc_from_db(value)


def utc_from_db(value: Any) -> datetime:
    """A stored :class:`UTCDateTime` value (ISO text on SQLite, a datetime from PostgreSQL) as
    an aware datetime in UTC; naive values are taken as UTC."""
    if isinstance(value, datetime):
        dt = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    else:
        dt = datetime.fromisoformat(str(value))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
    return dt if dt.tzinfo is UTC else dt.astimezone(UTC)


class JSONText(TypeDecorator[Any]):
    """A JSON value kept as text (stable key order, UTF-8 as is)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(value)


def iso_with_offset(value: datetime | None) -> str | None:
    """ISO 8601 text of an aware datetime with its own offset (``+03:30`` stays ``+03:30``)."""
    if value is None:
        return None
    return ensure_aware(value).isoformat()


def parse_iso(value: str | None) -> datetime | None:
    """Inverse of :func:`iso_with_offset` (a fixed-offset aware datetime)."""
    if value is None:
        return None
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def simhash_to_db(value: int | None) -> int | None:
    """Unsigned 64-bit fingerprint -> signed BIGINT."""
    if value is None:
        return None
    if not 0 <= value < _U64:
        raise ValueError(f"simhash out of the unsigned 64-bit range: {value}")
    return value - _U64 if value > _I64_MAX else value


def simhash_from_db(value: int | None) -> int | None:
    """Signed BIGINT -> unsigned 64-bit fingerprint."""
    return None if value is None else u64_from_db(value)


def u64_from_db(value: int) -> int:
    """Signed BIGINT -> unsigned 64-bit integer."""
    return value + _U64 if value < 0 else value
