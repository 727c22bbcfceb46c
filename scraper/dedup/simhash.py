"""Near-duplicate fingerprints: 64-bit SimHash over word shingles, and indexes to look them up.

:func:`simhash` (Charikar 2002): the text is NFKC-normalised, case-folded and split into words
(Unicode ``\\w`` runs; each CJK ideograph or kana is a word of its own); every shingle of
:data:`SHINGLE_WORDS` consecutive words is hashed to 64 bits (stable across processes, machines
and Python versions) and counted as often as it occurs; bit *i* of the fingerprint is set when the
shingles with bit *i* set outweigh those without. Texts shorter than :data:`MIN_WORDS` words
have no meaningful fingerprint (``None``).

Speed without numpy: shingle hashes come from tabulation hashing (one BLAKE2b call per distinct
word, XORs on big integers), and the 64 column counts from ``bytes.translate``/``count`` over the
packed hashes, so the Python-level loop runs per distinct word, not per shingle and bit.

:class:`SimHashIndex` finds every stored fingerprint within Hamming distance *k* by the
pigeonhole principle: split the 64 bits into *b* bands; two fingerprints that differ in at most
*k* bits differ in at most ``k // b`` bits in at least one band, so probing each band's dict
with its value and its neighbours within that radius yields every candidate; candidates are
then checked exactly. :class:`LinearIndex` is the same API by a full scan (the benchmark's
baseline and the tests' oracle).
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "MAX_DISTANCE",
    "MIN_WORDS",
    "SHINGLE_WORDS",
    "LinearIndex",
    "SimHashIndex",
    "hamming",
    "simhash",
    "simhash_from_db",
    "simhash_to_db",
    "words",
]

#: Words per shingle.
SHINGLE_WORDS = 3
#: Fewer words than this: no fingerprint (``simhash`` returns ``None``).
MIN_WORDS = 30
#: Near-duplicate threshold in bits: the index's and decide()'s default, tuned on the labelled
#: corpus set (docs/dedup.md: the smallest distance with recall >= 0.98 on article-length texts).
MAX_DISTANCE = 9

_MASK64 = (1 << 64) - 1
_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+")


# Persian/Arabic letter variants that sites swap freely, and in-word invisibles (ZWNJ half-space,
# soft hyphen, tatweel) that would otherwise split or change a word.
_FOLD = {
    0x064A: "\u06cc",
    0x0649: "\u06cc",
    0x0643: "\u06a9",
    0x0640: None,
    0x00AD: None,
    0x200B: None,
    0x200C: None,
    0x200D: None,
    0x2060: None,
}


def words(text: str) -> list[str]:
    """The words SimHash sees: NFKC, case-folded, Unicode letter/digit runs."""
    if not text.isascii():
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        text = text.translate(_FOLD)
    return _WORD.findall(text.casefold())


#: _WITHIN[k] maps a distance byte to 1 when it is <= k (bytes.translate table).
_WITHIN = tuple(bytes(1 if value <= k else 0 for value in range(256)) for k in range(65))
_BIT_TABLES = tuple(bytes((value >> bit) & 1 for value in range(256)) for bit in range(8))


def _shingle_hashes(tokens: list[str], size: int) -> bytes:
    """The 64-bit hash of every shingle occurrence, as little-endian 8-byte lanes.

    Simple tabulation hashing with words as characters: each distinct word gets ``size``
    independent 64-bit values ``T0[w], T1[w], ...`` from one BLAKE2b digest, and the hash of the
    shingle ``w[i] .. w[i + size - 1]`` is ``T0[w[i]] ^ T1[w[i + 1]] ^ ...``. Tabulation hashing
    is 3-independent (Patrascu and Thorup 2012), costs one BLAKE2b call per *distinct word*, and
    the XOR is done for all shingles at once on big integers.
    """
    blake2b = hashlib.blake2b
    digests = {
        word: blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8 * size).digest()
        for word in set(tokens)
    }
    count = len(tokens) - size + 1
    combined = 0
    for position in range(size):
        lo = 8 * position
        table = {word: digest[lo : lo + 8] for word, digest in digests.items()}
        lanes = b"".join(map(table.__getitem__, tokens[position : position + count]))
        combined ^= int.from_bytes(lanes, "little")
    return combined.to_bytes(8 * count, "little")


def _majority_bits(lanes: bytes) -> int:
    """Bit i set when more than half of the 64-bit lanes have bit i set (frequency-weighted
    SimHash: each shingle occurrence is one lane)."""
    count = len(lanes) // 8
    fingerprint = 0
    for byte in range(8):
        column = lanes[byte::8]
        for bit in range(8):
            if 2 * column.translate(_BIT_TABLES[bit]).count(1) > count:
                fingerprint |= 1 << (8 * byte + bit)
    return fingerprint


def simhash(text: str, *, shingle_words: int = SHINGLE_WORDS) -> int | None:
    """64-bit SimHash of ``text`` (an unsigned int), or ``None`` below :data:`MIN_WORDS` words.

    Same text, same fingerprint, on every machine and Python version. Near-identical texts get
    fingerprints a few bits apart (:func:`hamming`); unrelated texts differ in about 32 bits.
    """
    tokens = words(text)
    if len(tokens) < max(MIN_WORDS, shingle_words):
        return None
    return _majority_bits(_shingle_hashes(tokens, shingle_words))


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two fingerprints."""
    return (a ^ b).bit_count()


def simhash_to_db(h: int) -> int:
    """The fingerprint as a *signed* 64-bit integer (SQLite INTEGER, PostgreSQL BIGINT)."""
    return h - (1 << 64) if h >= 1 << 63 else h


def simhash_from_db(value: int) -> int:
    """Inverse of :func:`simhash_to_db`: back to the unsigned fingerprint."""
    return value & _MASK64


def _flips(width: int, radius: int) -> list[list[int]]:
    """``result[r]``: every ``width``-bit XOR mask with at most ``r`` bits set, r <= radius."""
    result: list[list[int]] = [[0]]
    for r in range(1, radius + 1):
        masks = [sum(1 << b for b in bits) for bits in itertools.combinations(range(width), r)]
        result.append(result[-1] + masks)
    return result


def _bands(count: int) -> list[tuple[int, int]]:
    """(shift, mask) of ``count`` near-equal bands covering the 64 bits."""
    bands: list[tuple[int, int]] = []
    start = 0
    for i in range(count):
        width = 64 // count + (1 if i < 64 % count else 0)
        bands.append((start, (1 << width) - 1))
        start += width
    return bands


_M1 = 0x5555555555555555
_M2 = 0x3333333333333333
_M4 = 0x0F0F0F0F0F0F0F0F
_MAX_PROBES = 4096  # per band and query
_SMALL = 24  # below this many candidates a plain loop beats the packed popcount


def _repeat(value: int, count: int) -> int:
    """``value`` (64-bit) in each of ``count`` little-endian lanes of one big integer."""
    return int.from_bytes(value.to_bytes(8, "little") * count, "little")


def _packed_distances(packed: bytes, h: int) -> bytes:
    """Hamming distance of ``h`` to every 8-byte lane of ``packed``, one byte per lane.

    SWAR popcount on one big integer: XOR, then the classic 2-, 4-, 8-bit partial sums, then
    fold the 8 byte counts of each lane into its lowest byte. Every step is one C-level big-int
    operation over all lanes, so 10,000 candidates cost about as much as 100 Python steps.
    """
    count = len(packed) // 8
    x = int.from_bytes(packed, "little") ^ _repeat(h, count)
    x -= (x >> 1) & _repeat(_M1, count)
    m2 = _repeat(_M2, count)
    x = (x & m2) + ((x >> 2) & m2)
    x = (x + (x >> 4)) & _repeat(_M4, count)
    x += x >> 8
    x += x >> 16
    x += x >> 32
    return x.to_bytes(8 * count, "little")[0::8]


class _Bucket:
    """Ids sharing one band value, with their fingerprints packed as little-endian lanes."""

    __slots__ = ("ids", "packed")

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.packed = bytearray()


class SimHashIndex:
    """Fingerprints by id, answering "which are within distance k of h?" without a full scan.

    Built for one maximum distance ``max_distance`` (default :data:`MAX_DISTANCE`); a query may
    ask for any distance up to it. Generalised pigeonhole: the 64 bits are split into ``bands``
    near-equal bands (default ``max(4, (k + 2) // 2)``: 4 for k = 3, 5 for k = 9); two
    fingerprints within distance k differ in at most ``k // bands`` bits in at least one band,
    so the query probes, in each band's dict, its own value and every value within that radius
    (1 probe per band for k = 3; 14 for k = 9 with 13-bit bands). For n random fingerprints that
    inspects about ``probes * n / 2**width`` candidates (about 6 for k = 3 and 850 for k = 9 at
    n = 100,000), whose distances are computed all at once by a SWAR popcount over their packed
    fingerprints (:func:`_packed_distances`).
    """

    def __init__(
        self,
        items: Iterable[tuple[int, int]] | None = None,
        *,
        max_distance: int = MAX_DISTANCE,
        bands: int | None = None,
    ) -> None:
        if not 0 <= max_distance < 32:
            raise ValueError("max_distance must be between 0 and 31")
        if bands is None:
            bands = max(4, (max_distance + 2) // 2)
        if not 1 <= bands <= 64:
            raise ValueError("bands must be between 1 and 64")
        self.max_distance = max_distance
        self._bands = _bands(bands)
        # pigeonhole: some band differs in at most max_distance // bands bits; probe them all
        radius = max_distance // bands
        width = 64 // bands + (64 % bands > 0)
        if sum(math.comb(width, r) for r in range(radius + 1)) > _MAX_PROBES:
            raise ValueError(
                f"{bands} bands for distance {max_distance} need too many probes: use more bands"
            )
        self._probes = [_flips(mask.bit_length(), radius) for _, mask in self._bands]
        self._tables: list[dict[int, _Bucket]] = [{} for _ in self._bands]
        self._hashes: dict[int, int] = {}
        if items is not None:
            for article_id, h in items:
                self.add(article_id, h)

    def __len__(self) -> int:
        return len(self._hashes)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._hashes

    def add(self, article_id: int, h: int) -> None:
        """Store ``h`` under ``article_id`` (replacing what that id had)."""
        h &= _MASK64
        if article_id in self._hashes:
            self.remove(article_id)
        self._hashes[article_id] = h
        lane = h.to_bytes(8, "little")
        for table, (shift, mask) in zip(self._tables, self._bands, strict=True):
            key = (h >> shift) & mask
            bucket = table.get(key)
            if bucket is None:
                bucket = table[key] = _Bucket()
            bucket.ids.append(article_id)
            bucket.packed += lane

    def remove(self, article_id: int) -> None:
        """Forget ``article_id``; unknown ids are ignored."""
        h = self._hashes.pop(article_id, None)
        if h is None:
            return
        for table, (shift, mask) in zip(self._tables, self._bands, strict=True):
            key = (h >> shift) & mask
            bucket = table[key]
            position = bucket.ids.index(article_id)
            del bucket.ids[position]
            del bucket.packed[8 * position : 8 * position + 8]
            if not bucket.ids:
                del table[key]

    def query(self, h: int, max_distance: int | None = None) -> list[tuple[int, int]]:
        """``(id, distance)`` of every stored fingerprint within ``max_distance`` of ``h``,
        closest first, then by id."""
        k = self.max_distance if max_distance is None else max_distance
        if not 0 <= k <= self.max_distance:
            raise ValueError(f"this index answers distances 0..{self.max_distance}, not {k}")
        h &= _MASK64
        buckets: list[_Bucket] = []
        radius = k // len(self._bands)
        for table, (shift, mask), probes in zip(
            self._tables, self._bands, self._probes, strict=True
        ):
            value = (h >> shift) & mask
            get = table.get
            for flip in probes[radius]:
                bucket = get(value ^ flip)
                if bucket is not None:
                    buckets.append(bucket)
        found: dict[int, int] = {}
        if sum(len(bucket.ids) for bucket in buckets) < _SMALL:
            hashes = self._hashes
            for bucket in buckets:
                for article_id in bucket.ids:
                    distance = (hashes[article_id] ^ h).bit_count()
                    if distance <= k:
                        found[article_id] = distance
        else:
            ids: list[int] = []
            for bucket in buckets:
                ids += bucket.ids
            distances = _packed_distances(b"".join(bucket.packed for bucket in buckets), h)
            hits = distances.translate(_WITHIN[k])
            position = hits.find(1)
            while position >= 0:
                found[ids[position]] = distances[position]
                position = hits.find(1, position + 1)
        return sorted(found.items(), key=_by_distance_then_id)


def _by_distance_then_id(item: tuple[int, int]) -> tuple[int, int]:
    return item[1], item[0]


class LinearIndex:
    """The :class:`SimHashIndex` API by scanning every fingerprint (baseline and test oracle)."""

    def __init__(
        self, items: Iterable[tuple[int, int]] | None = None, *, max_distance: int = 64
    ) -> None:
        self.max_distance = max_distance
        self._hashes: dict[int, int] = {}
        if items is not None:
            for article_id, h in items:
                self.add(article_id, h)

    def __len__(self) -> int:
        return len(self._hashes)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._hashes

    def add(self, article_id: int, h: int) -> None:
        """Store ``h`` under ``article_id`` (replacing what that id had)."""
        self._hashes[article_id] = h & _MASK64

    def remove(self, article_id: int) -> None:
        """Forget ``article_id``; unknown ids are ignored."""
        self._hashes.pop(article_id, None)

    def query(self, h: int, max_distance: int | None = None) -> list[tuple[int, int]]:
        """Same contract as :meth:`SimHashIndex.query`, by a full scan."""
        k = self.max_distance if max_distance is None else max_distance
        h &= _MASK64
        found = [
            (article_id, distance)
            for article_id, stored in self._hashes.items()
            if (distance := (stored ^ h).bit_count()) <= k
        ]
        found.sort(key=_by_distance_then_id)
        return found
