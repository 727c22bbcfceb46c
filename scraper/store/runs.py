"""Sources (health, schedule, icons) and the per-source run history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import Connection, RowMapping

from scraper.config import SourceConfig
from scraper.models import FillRates, SiteIcons, SourceReport, SourceState
from scraper.store.engine import Database
from scraper.store.schema import articles, runs, sources
from scraper.store.types import ensure_aware

__all__ = [
    "recent_reports",
    "record_run",
    "report_from_json",
    "report_to_json",
    "set_next_run",
    "set_source_icons",
    "source_icons",
    "source_state",
    "source_states",
    "sync_sources",
]

_COUNTS = (
    "listing_pages",
    "links_found",
    "fetched",
    "new",
    "updated",
    "unchanged",
    "not_modified",
    "blocked",
    "disallowed",
    "errors",
    "duplicates",
)
_MAX_ERROR_LEN = 2000


def report_to_json(report: SourceReport) -> dict[str, Any]:
    """A :class:`SourceReport` as a JSON-able dict (datetimes as ISO text)."""
    data: dict[str, Any] = {name: getattr(report, name) for name in _COUNTS}
    data["source_id"] = report.source_id
    data["started"] = report.started.isoformat()
    data["finished"] = report.finished.isoformat()
    data["error_messages"] = list(report.error_messages)
    data["fill"] = {
        "title": report.fill.title,
        "author": report.fill.author,
        "date": report.fill.date,
        "body": report.fill.body,
    }
    return data


def report_from_json(data: dict[str, Any]) -> SourceReport:
    """Inverse of :func:`report_to_json`."""
    fill = data.get("fill") or {}
    return SourceReport(
        source_id=data["source_id"],
        started=datetime.fromisoformat(data["started"]),
        finished=datetime.fromisoformat(data["finished"]),
        error_messages=tuple(data.get("error_messages") or ()),
        fill=FillRates(
            title=float(fill.get("title", 0.0)),
            author=float(fill.get("author", 0.0)),
            date=float(fill.get("date", 0.0)),
            body=float(fill.get("body", 0.0)),
        ),
        **{name: int(data.get(name, 0)) for name in _COUNTS},
    )


def _ensure_source(conn: Connection, db: Database, source_id: str, added: datetime | None) -> None:
    conn.execute(
        db.insert(sources)
        .values(id=source_id, name=source_id, active=True, added=added, consecutive_failures=0)
        .on_conflict_do_nothing(index_elements=[sources.c.id])
    )


def sync_sources(db: Database, configs: Sequence[SourceConfig], now: datetime) -> None:
    """Make the ``sources`` table match the configuration (names; others become inactive)."""
    ensure_aware(now, "now")
    ids = [s.id for s in configs]
    with db.write() as conn:
        for src in configs:
            stmt = db.insert(sources).values(
                id=src.id, name=src.name, active=True, added=now, consecutive_failures=0
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[sources.c.id],
                    set_={"name": stmt.excluded.name, "active": True},
                )
            )
        stale = update(sources).values(active=False)
        if ids:
            stale = stale.where(sources.c.id.not_in(ids))
        conn.execute(stale)


def _state(row: RowMapping) -> SourceState:
    last_report = row["last_report"]
    return SourceState(
        source_id=row["id"],
        name=row["name"],
        last_run=row["last_run"],
        last_success=row["last_success"],
        next_run=row["next_run"],
        consecutive_failures=row["consecutive_failures"],
        last_error=row["last_error"],
        article_count=int(row["article_count"] or 0),
        last_report=report_from_json(last_report) if last_report else None,
        flags=tuple(row["flags"] or ()),
    )


def _states_query(only_active: bool, source_id: str | None = None) -> Any:
    counts = (
        select(articles.c.source_id, func.count().label("n"))
        .group_by(articles.c.source_id)
        .subquery()
    )
    stmt = select(sources, counts.c.n.label("article_count")).outerjoin(
        counts, counts.c.source_id == sources.c.id
    )
    if only_active:
        stmt = stmt.where(sources.c.active.is_(True))
    if source_id is not None:
        stmt = stmt.where(sources.c.id == source_id)
    return stmt.order_by(sources.c.id)


def source_states(db: Database) -> list[SourceState]:
    """Health and schedule of every configured (active) source, by id."""
    with db.read() as conn:
        return [_state(r) for r in conn.execute(_states_query(True)).mappings()]


def source_state(db: Database, source_id: str) -> SourceState | None:
    """One source's state (also for a source no longer configured)."""
    with db.read() as conn:
        row = conn.execute(_states_query(False, source_id)).mappings().one_or_none()
    return None if row is None else _state(row)


def set_next_run(db: Database, source_id: str, when: datetime | None) -> None:
    """Set (or clear) when the source is due next."""
    if when is not None:
        ensure_aware(when, "when")
    with db.write() as conn:
        _ensure_source(conn, db, source_id, None)
        conn.execute(update(sources).where(sources.c.id == source_id).values(next_run=when))


def set_source_icons(db: Database, source_id: str, icons: SiteIcons) -> bool:
    """Keep the icons found on the source's pages; ``True`` if that changed the stored ones.

    Written only when they differ from the stored ones (a read first, so an unchanged icon,
    the usual case after every run, takes no write transaction).
    """
    wanted = (icons.icon, icons.favicon)
    with db.read() as conn:
        row = conn.execute(
            select(sources.c.icon, sources.c.favicon).where(sources.c.id == source_id)
        ).one_or_none()
    if row is not None and tuple(row) == wanted:
        return False
    with db.write() as conn:
        _ensure_source(conn, db, source_id, None)
        c = sources.c
        changed = conn.execute(
            update(sources)
            .where(
                c.id == source_id,
                or_(c.icon.is_distinct_from(icons.icon), c.favicon.is_distinct_from(icons.favicon)),
            )
            .values(icon=icons.icon, favicon=icons.favicon)
        )
    return bool(changed.rowcount)


def source_icons(db: Database) -> dict[str, SiteIcons]:
    """The stored icons of every source that has any, by source id."""
    c = sources.c
    with db.read() as conn:
        rows = conn.execute(
            select(c.id, c.icon, c.favicon).where(or_(c.icon.is_not(None), c.favicon.is_not(None)))
        ).all()
    return {r.id: SiteIcons(icon=r.icon, favicon=r.favicon) for r in rows}


def _error_line(report: SourceReport) -> str:
    if report.error_messages:
        text = report.error_messages[0]
        more = len(report.error_messages) - 1
        if more:
            text += f" (+{more} more)"
    else:
        text = f"run failed with {report.errors} error(s)"
    return text[:_MAX_ERROR_LEN]


def record_run(
    db: Database,
    report: SourceReport,
    *,
    success: bool,
    next_run: datetime | None = None,
    flags: Sequence[str] = (),
) -> None:
    """Store one run and update the source's health in one transaction.

    Success resets ``consecutive_failures``, sets ``last_success`` and clears ``last_error``;
    failure increments the counter and keeps the first error line. ``flags`` replace the
    source's flags; ``next_run`` is set when given (left as is when ``None``).
    """
    ensure_aware(report.started, "report.started")
    ensure_aware(report.finished, "report.finished")
    if next_run is not None:
        ensure_aware(next_run, "next_run")
    row: dict[str, Any] = {name: getattr(report, name) for name in _COUNTS}
    row.update(
        source_id=report.source_id,
        started=report.started,
        finished=report.finished,
        error_messages=list(report.error_messages),
        fill_title=report.fill.title,
        fill_author=report.fill.author,
        fill_date=report.fill.date,
        fill_body=report.fill.body,
        ok=success,
    )
    health: dict[str, Any] = {
        "last_run": report.finished,
        "last_report": report_to_json(report),
        "flags": list(dict.fromkeys(flags)),
    }
    if success:
        health.update(last_success=report.finished, consecutive_failures=0, last_error=None)
    else:
        health.update(
            consecutive_failures=sources.c.consecutive_failures + 1,
            last_error=_error_line(report),
        )
    if next_run is not None:
        health["next_run"] = next_run
    with db.write() as conn:
        _ensure_source(conn, db, report.source_id, report.started)
        conn.execute(runs.insert().values(**row))
        conn.execute(update(sources).where(sources.c.id == report.source_id).values(**health))


def _report(row: RowMapping) -> SourceReport:
    return SourceReport(
        source_id=row["source_id"],
        started=row["started"],
        finished=row["finished"],
        error_messages=tuple(row["error_messages"] or ()),
        fill=FillRates(
            title=row["fill_title"],
            author=row["fill_author"],
            date=row["fill_date"],
            body=row["fill_body"],
        ),
        **{name: int(row[name]) for name in _COUNTS},
    )


def recent_reports(db: Database, source_id: str, limit: int = 20) -> list[SourceReport]:
    """The source's last ``limit`` runs, newest first."""
    with db.read() as conn:
        rows = (
            conn.execute(
                select(runs)
                .where(runs.c.source_id == source_id)
                .order_by(runs.c.started.desc(), runs.c.id.desc())
                .limit(max(limit, 0))
            )
            .mappings()
            .all()
        )
    return [_report(r) for r in rows]
