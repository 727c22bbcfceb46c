"""Pausing Python's cyclic garbage collector around allocation-heavy work that makes few cycles.

An extraction or a feed build makes hundreds of thousands of short-lived containers (element
entries, attribute dicts, blocks, feed entries) that are freed by reference counting. Each of
them counts towards the collector's next run, and every run walks all the containers still
alive, to find next to nothing to free. :func:`collector_paused` turns the collector off
for the duration and back on afterwards (cycles made meanwhile, if any, are collected then).

Threads: the collector is process-wide. Whoever found it on turns it back on, so it is never
left off by us; at worst a thread runs part of its work with it on.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["collector_paused"]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Run the ``with`` block with the cyclic GC off, restoring it after (even on error)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
