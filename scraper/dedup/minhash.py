"""Near-duplicates of *short* texts: MinHash signatures over word shingles.

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

The LSH index of these signatures (:class:`~scraper.dedup.lsh.MinHashIndex`) is in
:mod:`scraper.dedup.lsh`.
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from collections.abc import Iterable, Sequence

from scraper.dedup.simhash import SHINGLE_WORDS, _shingle_hashes, words

__all__ = [
    "LOOKUP_WORDS",
    "MAX_WORDS",
    "MIN_WORDS",
    "PERMUTATIONS",
    "THRESHOLD",
    "VALUE_BITS",
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
