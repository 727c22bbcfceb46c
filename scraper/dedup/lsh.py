"""The LSH index of MinHash signatures (:mod:`scraper.dedup.minhash`): which stored short
texts are near-copies of this one?

:class:`MinHashIndex`: LSH banding. The signature's first :data:`BANDS` x :data:`ROWS` values
form bands keyed by 32 bits (2 x 16); two texts with Jaccard *s* share at least one band key
with probability ``1 - (1 - s**ROWS)**BANDS`` (0.998 at s = 0.3 for 64 x 2). Candidates are
then verified by the estimated Jaccard (:func:`~scraper.dedup.minhash.jaccard_estimate`, all
256 values) against :data:`~scraper.dedup.minhash.THRESHOLD`. Band tables are compact sorted
``array('Q')`` runs of ``key << 32 | id`` (searched with ``bisect``) plus small sorted runs of
recent additions merged in when they grow, so 100,000 signatures take ~100 MiB (512-byte
signatures + 64 x 8-byte band entries each), not the several hundred a dict per band would.
:class:`LinearMinHashIndex` is the same API by a full scan (the benchmark's baseline and the
tests' oracle).
"""

from __future__ import annotations

import bisect
import functools
import sys
from array import array
from collections.abc import Iterable, Sequence

from scraper.dedup.minhash import (
    PERMUTATIONS,
    THRESHOLD,
    VALUE_BITS,
    from_db,
    jaccard_estimate,
    to_db,
)

__all__ = ["BANDS", "ROWS", "LinearMinHashIndex", "MinHashIndex"]

#: LSH: bands x rows values per band (bands * rows <= PERMUTATIONS).
BANDS = 64
ROWS = 2

_MASK32 = 0xFFFFFFFF
_MASK64 = (1 << 64) - 1


def _band_key(values: Sequence[int], band: int, rows: int) -> int:
    """The 32-bit key of one band: its values side by side when they fit (2 x 16 bits), else
    mixed (multiply-xorshift) down to 32 bits."""
    start = band * rows
    key = 0
    if rows * VALUE_BITS <= 32:
        for value in values[start : start + rows]:
            key = key << VALUE_BITS | value
        return key
    key = band
    for value in values[start : start + rows]:
        key = ((key ^ value) * 0xFF51AFD7ED558CCD + 0x9E3779B97F4A7C15) & _MASK64
    return (key ^ (key >> 29)) & _MASK32


def _band_keys(sig: Sequence[int], bands: int, rows: int) -> list[int]:
    """The 32-bit key of every band."""
    if rows == 2 and VALUE_BITS == 16:  # the default: two values side by side
        firsts, seconds = sig[0 : 2 * bands : 2], sig[1 : 2 * bands : 2]
        return [a << 16 | b for a, b in zip(firsts, seconds, strict=True)]
    return [_band_key(sig, band, rows) for band in range(bands)]


def _values(data: bytes) -> Sequence[int]:
    """The values of a serialised signature without making a tuple (a memoryview on
    little-endian machines)."""
    if sys.byteorder == "little":
        return memoryview(data).cast("H")
    values = array("H", data)
    values.byteswap()
    return values


_MERGE_AT = 2048  # additions kept in the small sorted runs before they are merged


class MinHashIndex:
    """Signatures by id, answering "which stored ones have estimated Jaccard >= t?" by LSH.

    ``bands * rows`` must not exceed the signature length. Ids must be in 0 .. 2**32 - 1
    (article ids are). A query inspects only ids sharing a band key, then verifies each by
    :func:`jaccard_estimate`; ids whose signature shares no band are missed (probability
    ``(1 - s**rows)**bands`` for Jaccard s: 0.002 at s = 0.3 with the defaults).
    """

    def __init__(
        self,
        items: Iterable[tuple[int, Sequence[int]]] | None = None,
        *,
        threshold: float = THRESHOLD,
        bands: int = BANDS,
        rows: int = ROWS,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        if bands < 1 or rows < 1 or bands * rows > PERMUTATIONS:
            raise ValueError(f"bands * rows must be between 1 and {PERMUTATIONS}")
        self.threshold = threshold
        self.bands = bands
        self.rows = rows
        self._sigs: dict[int, bytes] = {}
        self._runs: list[array[int]] = [array("Q") for _ in range(bands)]
        self._pending: list[array[int]] = [array("Q") for _ in range(bands)]
        self._stale = 0
        if items is not None:
            for article_id, sig in items:
                self._check(article_id, sig)
                self._sigs[article_id] = to_db(sig)
            self._rebuild()

    def __len__(self) -> int:
        return len(self._sigs)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._sigs

    def _check(self, article_id: int, sig: Sequence[int]) -> None:
        if not 0 <= article_id <= _MASK32:
            raise ValueError(f"id {article_id} outside 0 .. 2**32 - 1")
        if len(sig) < self.bands * self.rows:
            raise ValueError(f"a signature of {len(sig)} values is too short for this index")

    def _rebuild(self) -> None:
        """Sorted runs from every live signature: stale band entries of removed ids gone.

        Band by band, so only one band's entries exist as Python ints at a time."""
        views = [(article_id, _values(data)) for article_id, data in self._sigs.items()]
        rows = self.rows
        for band in range(self.bands):
            if rows == 2 and VALUE_BITS == 16:
                first, second = 2 * band, 2 * band + 1
                entries = [v[first] << 48 | v[second] << 32 | i for i, v in views]
            else:
                entries = [_band_key(v, band, rows) << 32 | i for i, v in views]
            entries.sort()
            self._runs[band] = array("Q", entries)
        self._pending = [array("Q") for _ in range(self.bands)]
        self._stale = 0

    def add(self, article_id: int, sig: Sequence[int]) -> None:
        """Store ``sig`` under ``article_id`` (replacing what that id had).

        The band entries go into small sorted runs (``bisect.insort``: a short memmove); every
        :data:`_MERGE_AT` additions those are merged into the big runs (timsort of two runs)."""
        self._check(article_id, sig)
        if article_id in self._sigs:
            self.remove(article_id)
        self._sigs[article_id] = to_db(sig)
        for pending, key in zip(self._pending, _band_keys(sig, self.bands, self.rows), strict=True):
            bisect.insort(pending, key << 32 | article_id)
        if len(self._pending[0]) >= _MERGE_AT:
            for band in range(self.bands):
                merged = self._runs[band]
                merged.extend(self._pending[band])
                self._runs[band] = array("Q", sorted(merged))
                self._pending[band] = array("Q")

    def remove(self, article_id: int) -> None:
        """Forget ``article_id``; unknown ids are ignored (band entries are dropped lazily)."""
        if self._sigs.pop(article_id, None) is None:
            return
        self._stale += 1
        if self._stale > max(_MERGE_AT, len(self._sigs)):
            self._rebuild()

    def candidates(self, sig: Sequence[int]) -> set[int]:
        """Ids sharing at least one band key with ``sig`` (before verification)."""
        found: set[int] = set()
        for band, key in enumerate(_band_keys(sig, self.bands, self.rows)):
            low = key << 32
            for run in (self._runs[band], self._pending[band]):
                position = bisect.bisect_left(run, low)
                end = len(run)
                while position < end and run[position] >> 32 == key:
                    found.add(run[position] & _MASK32)
                    position += 1
        return found

    def query(self, sig: Sequence[int], threshold: float | None = None) -> list[tuple[int, float]]:
        """``(id, estimated Jaccard)`` of every stored signature at or above ``threshold``
        (default: the index's) among the LSH candidates, most similar first, then by id.

        The estimate (:func:`jaccard_estimate`) is computed on the serialised signatures: XOR
        of the two as big integers, then a SWAR test of which 16-bit lanes are zero."""
        limit = self.threshold if threshold is None else threshold
        query = to_db(sig)
        packed = int.from_bytes(query, "little")
        found: list[tuple[int, float]] = []
        for article_id in self.candidates(sig):
            data = self._sigs.get(article_id)
            if data is None:  # removed
                continue
            lanes = len(data) // 2
            if len(query) != len(data):
                similarity = jaccard_estimate(from_db(query)[:lanes], from_db(data))
            else:
                low, high = _lane_masks(lanes)
                x = int.from_bytes(data, "little") ^ packed
                different = (((x & low) + low) | x) & high
                similarity = (lanes - different.bit_count()) / lanes
            if similarity >= limit:
                found.append((article_id, similarity))
        found.sort(key=_most_similar_then_id)
        return found


@functools.cache
def _lane_masks(lanes: int) -> tuple[int, int]:
    """0x7FFF and 0x8000 in each of ``lanes`` 16-bit lanes: ``((x & low) + low) | x`` has the
    lane's top bit set exactly when the lane is not zero (no carry leaves a lane)."""
    return (
        int.from_bytes(b"\xff\x7f" * lanes, "little"),
        int.from_bytes(b"\x00\x80" * lanes, "little"),
    )


def _most_similar_then_id(item: tuple[int, float]) -> tuple[float, int]:
    return -item[1], item[0]


class LinearMinHashIndex:
    """The :class:`MinHashIndex` API by comparing with every stored signature (no LSH misses)."""

    def __init__(
        self,
        items: Iterable[tuple[int, Sequence[int]]] | None = None,
        *,
        threshold: float = THRESHOLD,
    ) -> None:
        self.threshold = threshold
        self._sigs: dict[int, tuple[int, ...]] = {}
        if items is not None:
            for article_id, sig in items:
                self.add(article_id, sig)

    def __len__(self) -> int:
        return len(self._sigs)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._sigs

    def add(self, article_id: int, sig: Sequence[int]) -> None:
        """Store ``sig`` under ``article_id`` (replacing what that id had)."""
        self._sigs[article_id] = tuple(sig)

    def remove(self, article_id: int) -> None:
        """Forget ``article_id``; unknown ids are ignored."""
        self._sigs.pop(article_id, None)

    def query(self, sig: Sequence[int], threshold: float | None = None) -> list[tuple[int, float]]:
        """Same contract as :meth:`MinHashIndex.query`, by a full scan."""
        limit = self.threshold if threshold is None else threshold
        query = tuple(sig)
        found = [
            (article_id, similarity)
            for article_id, stored in self._sigs.items()
            if (similarity := jaccard_estimate(query[: len(stored)], stored)) >= limit
        ]
        found.sort(key=_most_similar_then_id)
        return found
