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
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from lxml import etree  # type: ignore[import-untyped]  # no stubs installed

from feeds import atom as atom_module
from feeds import jsonfeed as jsonfeed_module
from feeds import model as model_module
from feeds import sanitize as sanitize_module
from feeds.atom import render_entries
from feeds.jsonfeed import render_json_entries
from feeds.model import (
    DEFAULT_BASE_URL,
    EntryView,
    FeedKind,
    FeedSpec,
    feed_entries,
    feed_fingerprint,
)
from feeds.sanitize import clean_xml_text
from scraper import __version__
from scraper.config import Config, FilteredFeed
from scraper.errors import FeedError
from scraper.models import StoredArticle

__all__ = [
    "ArticleSource",
    "BuildReport",
    "FeedFile",
    "atomic_write",
    "base_url",
    "build_all",
    "keyword_match",
]

_SUBDIRS = ("sources", "tags", "filtered")


class ArticleSource(Protocol):
    """The part of ``scraper.store.Store`` that publishing reads."""

    def articles(
        self,
        *,
        source_ids: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        include_duplicates: bool = False,
        limit: int | None = None,
    ) -> list[StoredArticle]: ...

    def article(self, article_id: int) -> StoredArticle | None: ...


@dataclass(frozen=True, slots=True)
class FeedFile:
    """One published feed: its Atom file (relative to the output folder) and what it holds."""

    path: Path
    kind: str
    key: str
    title: str
    entries: int
    written: bool
    json_path: Path | None = None


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


def base_url(config: Config) -> str:
    """The public base URL without a trailing slash (``http://localhost:8080`` when unset)."""
    return (config.serve.public_base_url or DEFAULT_BASE_URL).rstrip("/")


def keyword_match(article: StoredArticle, keywords: Sequence[str]) -> bool:
    """Whether any keyword occurs as a whole word (case-insensitive) in title/summary/body."""
    pattern = _keyword_pattern(tuple(keywords))
    if pattern is None:
        return True
    haystack = "\n".join((article.title or "", article.summary or "", article.body_text))
    return pattern.search(haystack) is not None


_PATTERNS: dict[tuple[str, ...], re.Pattern[str] | None] = {}


def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    if keywords not in _PATTERNS:
        words = [re.escape(k.strip()) for k in keywords if k.strip()]
        _PATTERNS[keywords] = (
            re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.IGNORECASE)
            if words
            else None
        )
    return _PATTERNS[keywords]


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


@dataclass(frozen=True, slots=True)
class _Planned:
    spec: FeedSpec
    path: Path
    json_path: Path | None
    articles: list[StoredArticle]


def _spec(
    config: Config,
    kind: FeedKind,
    *,
    key: str,
    rel: str,
    title: str,
    subtitle: str,
    icon: str | None = None,
    language: str | None = None,
) -> FeedSpec:
    base = base_url(config)
    return FeedSpec(
        kind=kind,
        key=key,
        title=title,
        subtitle=subtitle,
        self_url=f"{base}/feeds/{rel}.atom",
        json_url=f"{base}/feeds/{rel}.json" if config.feeds.json_feed else None,
        alternate_url=f"{base}/feeds/",
        icon=icon,
        author=config.feeds.title,
        language=language,
    )


def _filtered_articles(store: ArticleSource, ff: FilteredFeed, limit: int) -> list[StoredArticle]:
    """The newest ``limit`` articles of a filtered feed.

    Sources and tags are filtered by the store; keywords here, over growing windows of the
    newest candidates (2N, 4N, ...) so a rare keyword does not load the whole database at once
    and a common one stops early.
    """
    window = limit if not ff.keywords else 2 * limit
    while True:
        candidates = store.articles(
            source_ids=ff.sources or None,
            tags=ff.tags or None,
            include_duplicates=False,
            limit=window,
        )
        if not ff.keywords:
            return candidates
        matches = [a for a in candidates if keyword_match(a, ff.keywords)]
        if len(matches) >= limit or len(candidates) < window:
            return matches[:limit]
        window *= 4


def _plan(store: ArticleSource, config: Config) -> list[_Planned]:
    n = config.feeds.max_entries
    title = config.feeds.title
    json_on = config.feeds.json_feed
    plans: list[_Planned] = []

    def add(spec: FeedSpec, rel: str, articles: list[StoredArticle]) -> None:
        plans.append(
            _Planned(spec, Path(rel + ".atom"), Path(rel + ".json") if json_on else None, articles)
        )

    add(
        _spec(
            config, "all", key="all", rel="all", title=title, subtitle="Every source, newest first"
        ),
        "all",
        store.articles(include_duplicates=False, limit=n),
    )
    for src in config.sources:
        rel = f"sources/{src.id}"
        spec = _spec(
            config,
            "source",
            key=src.id,
            rel=rel,
            title=f"{src.name} ({title})",
            subtitle=f"Articles from {src.name}, {src.homepage}",
            icon=src.icon,
            language=src.language or None,
        )
        add(spec, rel, store.articles(source_ids=[src.id], include_duplicates=True, limit=n))
    tags = sorted({t for src in config.sources for t in src.tags})
    for tag in tags:
        rel = f"tags/{tag}"
        spec = _spec(
            config,
            "tag",
            key=tag,
            rel=rel,
            title=f"{title}: {tag}",
            subtitle=f"Articles tagged {tag}",
        )
        add(spec, rel, store.articles(tags=[tag], include_duplicates=False, limit=n))
    for ff in config.feeds.filtered:
        rel = f"filtered/{ff.id}"
        parts = [
            f"{label} {', '.join(values)}"
            for label, values in (
                ("sources:", ff.sources),
                ("tags:", ff.tags),
                ("keywords:", ff.keywords),
            )
            if values
        ]
        subtitle = "Filtered by " + "; ".join(parts) if parts else "Every source"
        add(
            _spec(config, "filtered", key=ff.id, rel=rel, title=ff.title, subtitle=subtitle),
            rel,
            _filtered_articles(store, ff, n),
        )
    return plans


def _originals(store: ArticleSource, plans: Sequence[_Planned]) -> dict[int, StoredArticle]:
    wanted = {
        a.duplicate_of
        for p in plans
        if p.spec.include_duplicates
        for a in p.articles
        if a.duplicate_of is not None
    }
    found: dict[int, StoredArticle] = {}
    for article_id in sorted(wanted):
        original = store.article(article_id)
        if original is not None:
            found[article_id] = original
    return found


_STATE_FILE = ".build-state"  # JSON; hidden, so the web routes never serve it


def _code_salt() -> str:
    """What else decides the bytes: our rendering code and the libraries doing the work."""
    h = hashlib.blake2b(digest_size=16)
    for module in (atom_module, jsonfeed_module, model_module, sanitize_module):
        h.update(Path(str(module.__file__)).read_bytes())
    versions = []
    for dist in ("feedgen", "nh3", "lxml"):
        try:
            versions.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist}=?")
    return f"{h.hexdigest()}|{__version__}|{'|'.join(versions)}"


_SALT: str | None = None


def _salt() -> str:
    global _SALT  # noqa: PLW0603  # computed once per process
    if _SALT is None:
        _SALT = _code_salt()
    return _SALT


def _load_state(out_dir: Path) -> dict[str, Any]:
    try:
        state = json.loads((out_dir / _STATE_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    feeds = state.get("feeds") if isinstance(state, dict) else None
    return feeds if isinstance(feeds, dict) and state.get("salt") == _salt() else {}


def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _still_there(out_dir: Path, record: Any, rels: Sequence[Path], fingerprint: str) -> bool:
    """Whether the files of a previous build with this fingerprint are untouched on disk."""
    if not isinstance(record, dict) or record.get("fingerprint") != fingerprint:
        return False
    files = record.get("files")
    if not isinstance(files, dict) or set(files) != {r.as_posix() for r in rels}:
        return False
    return all(_stat(out_dir / r) == files[r.as_posix()] for r in rels)


def build_all(
    store: ArticleSource, config: Config, *, now: datetime, force: bool = False
) -> BuildReport:
    """Render and write every feed, ``feeds.opml`` and ``index.html`` (see the module doc).

    A feed whose inputs (articles, spec, code and library versions: its fingerprint) did not
    change since the last build, and whose files are untouched (size and mtime recorded in
    ``.build-state``), is not even rendered; ``force=True`` renders everything (files
    are still only written when their bytes differ).
    Raises :class:`FeedError` when a feed cannot be rendered or the folder cannot be written.
    """
    out_dir = config.resolve(config.feeds.output_dir)
    plans = _plan(store, config)
    originals = _originals(store, plans)
    names = {s.id: s.name for s in config.sources}
    links = {s.id: s.homepage for s in config.sources}
    written: list[Path] = []
    unchanged: list[Path] = []
    feeds: list[FeedFile] = []
    entry_memo: dict[int, EntryView] = {}
    item_memo: dict[str, dict[str, Any]] = {}
    limit = config.feeds.max_entries
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        previous = {} if force else _load_state(out_dir)
        state: dict[str, Any] = {}
        for plan in plans:
            rels = [plan.path] + ([plan.json_path] if plan.json_path is not None else [])
            articles = plan.articles[:limit]
            fingerprint = feed_fingerprint(
                plan.spec,
                articles,
                source_names=names,
                source_links=links,
                originals=originals,
                salt=_salt(),
            )
            record = previous.get(plan.path.as_posix())
            if record is not None and _still_there(out_dir, record, rels, fingerprint):
                n_entries = int(record["entries"])
                unchanged.extend(rels)
                atom_written = False
            else:
                entries = feed_entries(
                    plan.spec,
                    articles,
                    source_names=names,
                    source_links=links,
                    originals=originals,
                    memo=entry_memo,
                )
                n_entries = len(entries)
                outputs = [
                    (plan.path, render_entries(plan.spec, entries, generator_version=__version__))
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
                "files": {r.as_posix(): _stat(out_dir / r) for r in rels},
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
        state_bytes = json.dumps({"salt": _salt(), "feeds": state}, sort_keys=True).encode()
        atomic_write(out_dir / _STATE_FILE, state_bytes)
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


_GROUPS = (("all", "Everything"), ("source", "Sources"), ("tag", "Tags"), ("filtered", "Filtered"))


def render_opml(feeds: Sequence[FeedFile], config: Config) -> bytes:
    """OPML 2.0 listing every Atom feed (absolute URLs), grouped by kind. Deterministic."""
    base = base_url(config)
    homepages: Mapping[str, str] = {s.id: s.homepage for s in config.sources}
    opml = etree.Element("opml", version="2.0")
    head = etree.SubElement(opml, "head")
    etree.SubElement(head, "title").text = clean_xml_text(config.feeds.title)
    body = etree.SubElement(opml, "body")
    for kind, label in _GROUPS:
        members = [f for f in feeds if f.kind == kind]
        if not members:
            continue
        group = etree.SubElement(body, "outline", text=label, title=label)
        for f in members:
            title = clean_xml_text(f.title)
            html_url = (
                homepages.get(f.key, f"{base}/feeds/") if kind == "source" else f"{base}/feeds/"
            )
            etree.SubElement(
                group,
                "outline",
                type="rss",
                version="ATOM1",
                text=title,
                title=title,
                xmlUrl=f"{base}/feeds/{f.path.as_posix()}",
                htmlUrl=html_url,
            )
    data: bytes = etree.tostring(opml, pretty_print=True, encoding="UTF-8", xml_declaration=True)
    return data


def render_index(feeds: Sequence[FeedFile], config: Config) -> bytes:
    """A static, escaped HTML page linking every feed (relative links, served from /feeds/)."""
    esc = html.escape
    title = esc(clean_xml_text(config.feeds.title))
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}: feeds</title>",
    ]
    lines += [
        f'<link rel="alternate" type="application/atom+xml" title="{esc(f.title)}" '
        f'href="{esc(f.path.as_posix())}">'
        for f in feeds
        if f.kind == "all"
    ]
    lines += [
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;"
        "padding:0 1rem}li{margin:.25rem 0}small{color:#555}</style>",
        "</head>",
        "<body>",
        f"<h1>{title}</h1>",
        '<p>Subscribe in any feed reader, or import <a href="feeds.opml">feeds.opml</a>.</p>',
    ]
    for kind, label in _GROUPS:
        members = [f for f in feeds if f.kind == kind]
        if not members:
            continue
        lines += [f"<h2>{esc(label)}</h2>", "<ul>"]
        for f in members:
            json_link = (
                f' · <a href="{esc(f.json_path.as_posix())}">JSON Feed</a>' if f.json_path else ""
            )
            lines.append(
                f'<li><a href="{esc(f.path.as_posix())}">{esc(clean_xml_text(f.title))}</a>'
                f"{json_link} <small>({f.entries} entries)</small></li>"
            )
        lines.append("</ul>")
    lines += ["</body>", "</html>", ""]
    return "\n".join(lines).encode("utf-8")
