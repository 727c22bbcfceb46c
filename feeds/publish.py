"""Write every feed to disk: Atom + JSON Feed per feed, ``feeds.opml`` and ``index.html``.

:func:`build_all` reads articles through the Store API (any object with ``articles(...)`` and
``article(id)``: see :class:`ArticleSource`) and writes into ``config.feeds.output_dir``::

    all.atom / all.json                 every source, near-duplicates left out
    sources/<source id>.atom / .json    one per configured source (its duplicates shown, linked)
    tags/<tag>.atom / .json             one per tag named by a source in the config
    filtered/<id>.atom / .json          [[feeds.filtered]]: sources AND tags AND keywords
    feeds.opml, index.html              every feed listed

Each feed holds the newest ``config.feeds.max_entries``. A filtered feed keeps articles that
are from one of its ``sources`` (if any), carry one of its ``tags`` (if any) and contain one of
its ``keywords`` (if any) as a whole word, case-insensitively, in title, summary or body.

Every file is written atomically (a temporary file in the same folder, fsync-ed, then
``os.replace``) and only when its bytes changed, so pollers see stable ``Last-Modified`` times.
Feed files are written by :data:`WRITERS` threads while the next feeds render (a first build
spends most of its file time waiting for fsync); the report lists them in feed order. Files of
feeds that no longer exist (a source removed from the config) are deleted from ``sources/``,
``tags/`` and ``filtered/``.

Which feeds and articles: :mod:`feeds.plan`; the skip-unchanged state: :mod:`feeds.buildstate`;
``feeds.opml`` and ``index.html``: :mod:`feeds.opml`.

Stored bodies sanitised under an older policy (or none) are sanitised again while rendering;
when the store can keep them (:class:`BodyStore`, as ``scraper.store.Store`` does), a build
hands them back after its files are written, so the work is done once per article and policy,
not in every build of every process.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import msgspec

from feeds.atom import EntryMemo, render_entries
from feeds.buildstate import STATE_FILE, dump_state, file_stat, load_state, salt, still_there
from feeds.fingerprint import feed_fingerprint
from feeds.jsonfeed import render_json_entries
from feeds.model import EntryView, feed_entries, stored_body
from feeds.opml import FeedFile, render_index, render_opml
from feeds.plan import ArticleSource, PlannedFeed, base_url, keyword_match, originals, plan_feeds
from feeds.sanitize import POLICY
from scraper import __version__
from scraper.config import Config
from scraper.errors import FeedError, StoreError
from scraper.gcpause import collector_paused
from scraper.models import BodyRefresh

__all__ = [
    "ArticleSource",
    "BodyStore",
    "BuildReport",
    "FeedFile",
    "atomic_write",
    "base_url",
    "build_all",
    "keyword_match",
    "render_index",
    "render_opml",
]

_SUBDIRS = ("sources", "tags", "filtered")
# threads writing feed files while the next feeds render: reading the old file, writing and
# fsync-ing the new one mostly wait on the disk with the GIL released
WRITERS = 4


@runtime_checkable
class BodyStore(Protocol):
    """A store that keeps bodies sanitised again under the current policy."""

    def refresh_bodies(self, refreshed: Sequence[BodyRefresh]) -> int: ...


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What :func:`build_all` did; paths are relative to ``output_dir``.

    ``refreshed``: stored bodies brought to the current sanitiser policy; ``refresh_error``:
    why that failed (the feeds are written all the same; the next build tries again).
    """

    output_dir: Path
    written: tuple[Path, ...]
    unchanged: tuple[Path, ...]
    removed: tuple[Path, ...]
    feeds: tuple[FeedFile, ...]
    refreshed: int = 0
    refresh_error: str | None = None

    def summary(self) -> str:
        """One line for the CLI: ``54 feeds: 3 files written, 107 unchanged, 0 removed``."""
        line = (
            f"{len(self.feeds)} feeds in {self.output_dir}: {len(self.written)} files written, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed"
        )
        if self.refreshed:
            line += f"; {self.refreshed} stored bodies brought to the current sanitiser policy"
        if self.refresh_error:
            line += f"; stored bodies not updated ({self.refresh_error}), next build retries"
        return line


def atomic_write(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically unless it already holds exactly these bytes.

    Returns whether the file was (re)written. The temporary file lives in the same folder (so
    ``os.replace`` is a rename on one file system) and is removed on failure.
    """
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.chmod(0o644)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return True


def build_all(
    store: ArticleSource, config: Config, *, now: datetime, force: bool = False
) -> BuildReport:
    """Render and write every feed, ``feeds.opml`` and ``index.html`` (see the module doc).

    A feed whose inputs (articles, spec, code and library versions: its fingerprint) did not
    change since the last build, and whose files are untouched (size and mtime recorded in
    ``.build-state``), is not even rendered; ``force=True`` renders everything (files
    are still only written when their bytes differ).
    Raises :class:`FeedError` when a feed cannot be rendered or the folder cannot be written.

    Python's cyclic garbage collector is paused while it runs: a build makes hundreds of
    thousands of short-lived containers, none in reference cycles, and each full collection
    they trigger walks every article loaded from the store (about 15% of a full build on
    50,000 articles, measured by ``benchmarks/feeds.py``); collection resumes afterwards.
    """
    with collector_paused():
        return _build(store, config, now=now, force=force)


@dataclass(slots=True)
class _Done:
    """One feed of a build: its files are being written (``writes``) or were left as they are."""

    plan: PlannedFeed
    rels: list[Path]
    fingerprint: str
    entries: int
    writes: list[Future[bool]] | None  # one per rel; None: skipped (unchanged inputs)


def _build(store: ArticleSource, config: Config, *, now: datetime, force: bool) -> BuildReport:
    out_dir = config.resolve(config.feeds.output_dir)
    plans = plan_feeds(store, config)
    found = originals(store, plans)
    names = {s.id: s.name for s in config.sources}
    links = {s.id: s.homepage for s in config.sources}
    written: list[Path] = []
    unchanged: list[Path] = []
    feeds: list[FeedFile] = []
    done: list[_Done] = []
    entry_memo: dict[int, EntryView] = {}
    item_memo: dict[str, msgspec.Raw] = {}
    atom_memo: EntryMemo = {}
    key_memo: dict[int, bytes] = {}
    limit = config.feeds.max_entries
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        previous = {} if force else load_state(out_dir)
        with ThreadPoolExecutor(WRITERS, thread_name_prefix="feeds-write") as pool:
            for plan in plans:
                rels = [plan.path] + ([plan.json_path] if plan.json_path is not None else [])
                articles = plan.articles[:limit]
                fingerprint = feed_fingerprint(
                    plan.spec,
                    articles,
                    source_names=names,
                    source_links=links,
                    originals=found,
                    salt=salt(),
                    memo=key_memo,
                )
                record = previous.get(plan.path.as_posix())
                if record is not None and still_there(out_dir, record, rels, fingerprint):
                    done.append(_Done(plan, rels, fingerprint, int(record["entries"]), None))
                    continue
                entries = feed_entries(
                    plan.spec,
                    articles,
                    source_names=names,
                    source_links=links,
                    originals=found,
                    memo=entry_memo,
                )
                outputs = [
                    render_entries(
                        plan.spec, entries, generator_version=__version__, memo=atom_memo
                    )
                ]
                if plan.json_path is not None:
                    outputs.append(render_json_entries(plan.spec, entries, memo=item_memo))
                writes = [
                    pool.submit(atomic_write, out_dir / rel, data)
                    for rel, data in zip(rels, outputs, strict=True)
                ]
                done.append(_Done(plan, rels, fingerprint, len(entries), writes))
        state: dict[str, Any] = {}
        for d in done:
            changed = [False] * len(d.rels) if d.writes is None else [w.result() for w in d.writes]
            for rel, was_written in zip(d.rels, changed, strict=True):
                (written if was_written else unchanged).append(rel)
            state[d.plan.path.as_posix()] = {
                "fingerprint": d.fingerprint,
                "entries": d.entries,
                "files": {r.as_posix(): file_stat(out_dir / r) for r in d.rels},
            }
            feeds.append(
                FeedFile(
                    path=d.plan.path,
                    kind=d.plan.spec.kind,
                    key=d.plan.spec.key,
                    title=d.plan.spec.title,
                    entries=d.entries,
                    written=changed[0],
                    json_path=d.plan.json_path,
                )
            )
        for rel, data in (
            (Path("feeds.opml"), render_opml(feeds, config)),
            (Path("index.html"), render_index(feeds, config)),
        ):
            (written if atomic_write(out_dir / rel, data) else unchanged).append(rel)
        removed = _remove_stale(out_dir, {p for f in feeds for p in (f.path, f.json_path) if p})
        atomic_write(out_dir / STATE_FILE, dump_state(state))
    except OSError as e:
        raise FeedError(
            f"cannot write feeds to {out_dir}: {e.strerror or e}",
            hint="check feeds.output_dir in the config and that the folder is writable",
        ) from e
    del now  # rendering is deterministic; the clock does not reach the files
    refreshed, refresh_error = _refresh_stored_bodies(store, plans, limit)
    return BuildReport(
        output_dir=out_dir,
        written=tuple(written),
        unchanged=tuple(unchanged),
        removed=tuple(removed),
        feeds=tuple(feeds),
        refreshed=refreshed,
        refresh_error=refresh_error,
    )


def _refresh_stored_bodies(
    store: ArticleSource, plans: Sequence[PlannedFeed], limit: int
) -> tuple[int, str | None]:
    """Hand the store the bodies this build sanitised again (see the module doc)."""
    if not isinstance(store, BodyStore):
        return 0, None
    refreshed: dict[int, BodyRefresh] = {}
    for plan in plans:
        for a in plan.articles[:limit]:
            if a.id in refreshed:
                continue
            body = stored_body(a)
            if body is not None:
                refreshed[a.id] = BodyRefresh(a.id, a.content_hash, a.body_policy, body, POLICY)
    if not refreshed:
        return 0, None
    try:
        return store.refresh_bodies(list(refreshed.values())), None
    except StoreError as e:
        return 0, str(e)


def _remove_stale(out_dir: Path, keep: set[Path]) -> list[Path]:
    removed: list[Path] = []
    for sub in _SUBDIRS:
        folder = out_dir / sub
        if not folder.is_dir():
            continue
        for file in sorted(folder.iterdir()):
            rel = file.relative_to(out_dir)
            if file.is_file() and file.suffix in {".atom", ".json"} and rel not in keep:
                file.unlink()
                removed.append(rel)
    return removed
