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

Every file is written atomically (a temporary file in the same folder, then ``os.replace``) and
only when its bytes changed, so pollers see stable ``Last-Modified`` times. Files of feeds that
no longer exist (a source removed from the config) are deleted from ``sources/``, ``tags/`` and
``filtered/``.

Which feeds and articles: :mod:`feeds.plan`; the skip-unchanged state: :mod:`feeds.buildstate`;
``feeds.opml`` and ``index.html``: :mod:`feeds.opml`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from feeds.atom import EntryMemo, render_entries
from feeds.buildstate import STATE_FILE, dump_state, file_stat, load_state, salt, still_there
from feeds.fingerprint import feed_fingerprint
from feeds.jsonfeed import render_json_entries
from feeds.model import EntryView, feed_entries
from feeds.opml import FeedFile, render_index, render_opml
from feeds.plan import ArticleSource, base_url, keyword_match, originals, plan_feeds
from scraper import __version__
from scraper.config import Config
from scraper.errors import FeedError
from scraper.gcpause import collector_paused

__all__ = [
    "ArticleSource",
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


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What :func:`build_all` did; paths are relative to ``output_dir``."""

    output_dir: Path
    written: tuple[Path, ...]
    unchanged: tuple[Path, ...]
    removed: tuple[Path, ...]
    feeds: tuple[FeedFile, ...]

    def summary(self) -> str:
        """One line for the CLI: ``54 feeds: 3 files written, 107 unchanged, 0 removed``."""
        return (
            f"{len(self.feeds)} feeds in {self.output_dir}: {len(self.written)} files written, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed"
        )


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


def _build(store: ArticleSource, config: Config, *, now: datetime, force: bool) -> BuildReport:
    out_dir = config.resolve(config.feeds.output_dir)
    plans = plan_feeds(store, config)
    found = originals(store, plans)
    names = {s.id: s.name for s in config.sources}
    links = {s.id: s.homepage for s in config.sources}
    written: list[Path] = []
    unchanged: list[Path] = []
    feeds: list[FeedFile] = []
    entry_memo: dict[int, EntryView] = {}
    item_memo: dict[str, msgspec.Raw] = {}
    atom_memo: EntryMemo = {}
    key_memo: dict[int, bytes] = {}
    limit = config.feeds.max_entries
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        previous = {} if force else load_state(out_dir)
        state: dict[str, Any] = {}
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
                n_entries = int(record["entries"])
                unchanged.extend(rels)
                atom_written = False
            else:
                entries = feed_entries(
                    plan.spec,
                    articles,
                    source_names=names,
                    source_links=links,
                    originals=found,
                    memo=entry_memo,
                )
                n_entries = len(entries)
                outputs = [
                    (
                        plan.path,
                        render_entries(
                            plan.spec, entries, generator_version=__version__, memo=atom_memo
                        ),
                    )
                ]
                if plan.json_path is not None:
                    outputs.append(
                        (plan.json_path, render_json_entries(plan.spec, entries, memo=item_memo))
                    )
                atom_written = False
                for rel, data in outputs:
                    changed = atomic_write(out_dir / rel, data)
                    (written if changed else unchanged).append(rel)
                    atom_written = atom_written or (changed and rel == plan.path)
            state[plan.path.as_posix()] = {
                "fingerprint": fingerprint,
                "entries": n_entries,
                "files": {r.as_posix(): file_stat(out_dir / r) for r in rels},
            }
            feeds.append(
                FeedFile(
                    path=plan.path,
                    kind=plan.spec.kind,
                    key=plan.spec.key,
                    title=plan.spec.title,
                    entries=n_entries,
                    written=atom_written,
                    json_path=plan.json_path,
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
    return BuildReport(
        output_dir=out_dir,
        written=tuple(written),
        unchanged=tuple(unchanged),
        removed=tuple(removed),
        feeds=tuple(feeds),
    )


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
