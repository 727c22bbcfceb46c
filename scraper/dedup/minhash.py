"""Near-duplicates of *short* texts: MinHash signatures over word shingles, and an LSH index.

A 64-bit SimHash cannot tell "60 words plus 30 words of other site chrome" from a different
text (docs/dedup.md), but the share of common word-3-shingles can: Jaccard >= 0.3 separates
copies from different pieces on the labelled set. MinHash estimates that Jaccard from
:data:`PERMUTATIONS` numbers per text.

:func:`signature`: the same words and 3-word shingles as :func:`scraper.dedup.simhash` (one
64-bit tabulation hash per shingle, folded to 32 bits), then for each of :data:`PERMUTATIONS`
hash functions ``h_i(x) = ((a_i * x + b_i) mod 2**64) >> 32`` (Dietzfelbinger's strongly
universal multiply-shift family, fixed seeded ``a_i, b_i``) the minimum over the distinct
shingles, of which the low :data:`VALUE_BITS` (16) bits are kept (b-bit MinHash: 512 bytes per
signature). Speed without numpy: the distinct shingle hashes are packed into 128-bit lanes of one
big integer, so each hash function is two big-integer multiplications and one ``min`` over a
memoryview. Stable across processes, machines and Python versions. ``None`` below
:data:`LOOKUP_WORDS` words.

:class:`MinHashIndex`: LSH banding. The signature's first :data:`BANDS` x :data:`ROWS` values
form bands keyed by 32 bits (2 x 16); two texts with Jaccard *s* share at least one band key
with probability ``1 - (1 - s**ROWS)**BANDS`` (0.998 at s = 0.3 for 64 x 2). Candidates are
then verified by the estimated Jaccard (:func:`jaccard_estimate`, all 256 values) against
:data:`THRESHOLD`. Band tables are compact sorted ``array('Q')`` runs of ``key << 32 | id``
(searched with ``bisect``) plus small sorted runs of recent additions merged in when they
grow, so 100,000 signatures take ~100 MiB (512-byte signatures + 64 x 8-byte band entries
each), not the several hundred a dict per band would.
:class:`LinearMinHashIndex` is the same API by a full scan (the benchmark's baseline and the
tests' oracle).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import sys
from array import array
from collections.abc import Iterable, Sequence

from scraper.dedup.simhash import SHINGLE_WORDS, _shingle_hashes, words

__all__ = [
    "BANDS",
    "LOOKUP_WORDS",
    "MAX_WORDS",
    "MIN_WORDS",
    "PERMUTATIONS",
    "ROWS",
    "THRESHOLD",
    "VALUE_BITS",
    "LinearMinHashIndex",
    "MinHashIndex",
    "from_db",
    "jaccard_estimate",
    "short_signature",
    "signature",
    "to_db",
]

#: Hash functions (signature length): 256 keeps the estimate's noise at +-0.03 around the
#: threshold (128 lost 0.02 of precision and recall on the short texts, docs/dedup.md).
PERMUTATIONS = 256
#: Bits kept of each minimum (b-bit MinHash, Li and Koenig 2010): the low 16 bits. Equal by
#: chance with probability 2**-16, so the Jaccard estimate is biased by < 0.00002.
VALUE_BITS = 16
#: LSH: bands x rows values per band (bands * rows <= PERMUTATIONS).
BANDS = 64
ROWS = 2
#: Fewer words than this: no signature at all.
LOOKUP_WORDS = 12
#: Texts of LOOKUP_WORDS .. MIN_WORDS - 1 words (no SimHash either) are *looked up* but never
#: stored or indexed (``decide`` keeps no signature without a SimHash fingerprint): a partner's
#: trimmed 25-word copy of a stored 35-word blurb is linked, but two templated 13-word pages
#: that differ in a word ("<name> version 1: a paragraph of ...", Jaccard 0.8) never are.
MIN_WORDS = 30
#: Texts with at least this many words stay on SimHash alone (:func:`short_signature`).
MAX_WORDS = 150
#: Estimated Jaccard at or above which two signatures are the same piece (tuned on the labelled
#: set, docs/dedup.md).
THRESHOLD = 0.3

_MASK32 = 0xFFFFFFFF
_VALUE_MASK = (1 << VALUE_BITS) - 1
_MASK64 = (1 << 64) - 1


def _family(count: int) -> tuple[tuple[int, int], ...]:
    """``count`` fixed (a, b) pairs: odd 64-bit a, 64-bit b, from BLAKE2b of a fixed label."""
    out: list[tuple[int, int]] = []
    for i in range(count):
        digest = hashlib.blake2b(f"thinktank-digest minhash {i}".encode(), digest_size=16).digest()
        a = int.from_bytes(digest[:8], "little") | 1
        b = int.from_bytes(digest[8:], "little")
        out.append((a, b))
    return tuple(out)


_FAMILY = _family(PERMUTATIONS)


def _reference(hashes: Iterable[int], permutations: int) -> tuple[int, ...]:
    """The signature by the textbook loop (big-endian machines; the tests' oracle)."""
    values = list(hashes)
    return tuple(
        min(((a * x + b) & _MASK64) >> 32 for x in values) & _VALUE_MASK
        for a, b in _FAMILY[:permutations]
    )


def _signature_of(hashes: Iterable[int], permutations: int) -> tuple[int, ...]:
    if sys.byteorder != "little":
        return _reference(hashes, permutations)
    values = array("I", hashes)
    count = len(values)
    lanes = array("I", bytes(16 * count))  # 4 words per 128-bit lane, x in word 0
    lanes[0::4] = values
    packed = int.from_bytes(lanes.tobytes(), "little")
    ones_lanes = array("I", bytes(16 * count))
    ones_lanes[0::4] = array("I", [1]) * count
    ones = int.from_bytes(ones_lanes.tobytes(), "little")
    size = 16 * count
    out: list[int] = []
    for a, b in _FAMILY[:permutations]:
        # lane i holds a * x_i + b (< 2**97: no carry into the next lane); its bits 32..63,
        # i.e. ((a * x_i + b) mod 2**64) >> 32, are word 1 of the lane
        product = (a * packed + b * ones).to_bytes(size, "little")
        out.append(min(memoryview(product).cast("I")[1::4]) & _VALUE_MASK)
    return tuple(out)


def shingle_hashes(text: str) -> set[int] | None:
    """The distinct 32-bit shingle hashes of ``text`` (``None`` below :data:`LOOKUP_WORDS`)."""
    tokens = words(text)
    if len(tokens) < max(LOOKUP_WORDS, SHINGLE_WORDS):
        return None
    lanes = _shingle_hashes(tokens, SHINGLE_WORDS)
    view = memoryview(lanes).cast("Q") if sys.byteorder == "little" else None
    if view is not None:
        return {(h ^ (h >> 32)) & _MASK32 for h in set(view)}
    return {
        (h ^ (h >> 32)) & _MASK32
        for h in {int.from_bytes(lanes[i : i + 8], "little") for i in range(0, len(lanes), 8)}
    }


def signature(text: str, *, permutations: int = PERMUTATIONS) -> tuple[int, ...] | None:
    """MinHash signature of ``text``'s word-3-shingles: ``permutations`` 32-bit ints, or
    ``None`` below :data:`LOOKUP_WORDS` words."""
    if not 1 <= permutations <= PERMUTATIONS:
        raise ValueError(f"permutations must be between 1 and {PERMUTATIONS}")
    hashes = shingle_hashes(text)
    if hashes is None:
        return None
    return _signature_of(hashes, permutations)


def short_signature(text: str) -> tuple[int, ...] | None:
    """:func:`signature` for texts of :data:`LOOKUP_WORDS` to :data:`MAX_WORDS` - 1 words (the
    ones SimHash is weak on or has no fingerprint for), else ``None``: what the pipeline looks
    up (and, from :data:`MIN_WORDS` words, stores)."""
    count = len(words(text))
    if not LOOKUP_WORDS <= count < MAX_WORDS:
        return None
    return signature(text)


def jaccard_estimate(a: Sequence[int], b: Sequence[int]) -> float:
    """Share of equal positions: an unbiased estimate of the two shingle sets' Jaccard."""
    if len(a) != len(b):
        raise ValueError("signatures of different lengths")
    if not a:
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def to_db(sig: Sequence[int]) -> bytes:
    """Compact serialisation: 2 little-endian bytes per value (512 bytes for 256 values)."""
    values = array("H", sig)
    if sys.byteorder != "little":
        values.byteswap()
    return values.tobytes()


def from_db(data: bytes) -> tuple[int, ...]:
    """Inverse of :func:`to_db`."""
    if len(data) % 2:
        raise ValueError("a MinHash signature is a whole number of 2-byte values")
    values = array("H", data)
    if sys.byteorder != "little":
        values.byteswap()
    return tuple(values)


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
