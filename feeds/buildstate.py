"""What the last feed build saw: input fingerprints and file stats in ``<output>/.build-state``.

A feed whose fingerprint (articles, spec, and :func:`salt`: our rendering code and the versions
of the libraries doing the work) is unchanged and whose files are untouched on disk (size and
mtime as recorded) need not be rendered again. The state file is JSON and hidden, so the web
routes never serve it; a state written under another salt is ignored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from feeds import atom as atom_module
from feeds import fingerprint as fingerprint_module
from feeds import jsonfeed as jsonfeed_module
from feeds import model as model_module
from feeds import sanitize as sanitize_module
from scraper import __version__
from scraper.dedup import urls as urls_module

__all__ = ["STATE_FILE", "dump_state", "file_stat", "load_state", "salt", "still_there"]

STATE_FILE = ".build-state"  # JSON; hidden, so the web routes never serve it


def _code_salt() -> str:
    """What else decides the bytes: our rendering (and fingerprinting) code and its libraries."""
    h = hashlib.blake2b(digest_size=16)
    modules = (
        atom_module,
        fingerprint_module,
        jsonfeed_module,
        model_module,
        sanitize_module,
        urls_module,  # the links shown (tracking parameters removed)
    )
    for module in modules:
        h.update(Path(str(module.__file__)).read_bytes())
    versions = []
    for dist in ("feedgen", "nh3", "lxml", "msgspec"):
        try:
            versions.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist}=?")
    return f"{h.hexdigest()}|{__version__}|{'|'.join(versions)}"


_SALT: str | None = None


def salt() -> str:
    """The code-and-library part of every fingerprint (computed once per process)."""
    global _SALT  # noqa: PLW0603  # computed once per process
    if _SALT is None:
        _SALT = _code_salt()
    return _SALT


def load_state(out_dir: Path) -> dict[str, Any]:
    """The per-feed records of the last build, ``{}`` when missing, unreadable or stale."""
    try:
        state = json.loads((out_dir / STATE_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    feeds = state.get("feeds") if isinstance(state, dict) else None
    return feeds if isinstance(feeds, dict) and state.get("salt") == salt() else {}


def dump_state(feeds: dict[str, Any]) -> bytes:
    """The bytes of the state file for these per-feed records."""
    return json.dumps({"salt": salt(), "feeds": feeds}, sort_keys=True).encode()


def file_stat(path: Path) -> list[int] | None:
    """``[size, mtime_ns]`` of a file, ``None`` when it cannot be read."""
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def still_there(out_dir: Path, record: Any, rels: Sequence[Path], fingerprint: str) -> bool:
    """Whether the files of a previous build with this fingerprint are untouched on disk."""
    if not isinstance(record, dict) or record.get("fingerprint") != fingerprint:
        return False
    files = record.get("files")
    if not isinstance(files, dict) or set(files) != {r.as_posix() for r in rels}:
        return False
    return all(file_stat(out_dir / r) == files[r.as_posix()] for r in rels)
