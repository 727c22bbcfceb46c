"""SimHash fingerprints and the banded index (checked against a linear scan)."""

from __future__ import annotations

import hashlib
import random
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scraper.dedup import (
    MAX_DISTANCE,
    MIN_WORDS,
    SHINGLE_WORDS,
    LinearIndex,
    SimHashIndex,
    hamming,
    simhash,
    simhash_from_db,
    simhash_to_db,
    words,
)

_VOCABULARY = tuple(
    re.findall(
        r"\w+",
        "policy state market energy war trade growth court vote reform security budget tax labor "
        "china russia europe africa climate health data bank debt rate union treaty border court "
        "the of and to in a is that for on with as by this from at are was be it an",
    )
)


def _article(seed: int, length: int = 600) -> str:
    rng = random.Random(seed)
    sentences: list[str] = []
    while sum(len(s.split()) for s in sentences) < length:
        sentences.append(" ".join(rng.choice(_VOCABULARY) for _ in range(rng.randint(8, 20))))
    paragraphs = [". ".join(sentences[i : i + 4]) + "." for i in range(0, len(sentences), 4)]
    return "\n\n".join(paragraphs)


def _reference(text: str) -> int | None:
    """Textbook SimHash with the same features (slow: per shingle, per bit)."""
    tokens = words(text)
    if len(tokens) < MIN_WORDS:
        return None
    size = SHINGLE_WORDS
    digests = {w: hashlib.blake2b(w.encode(), digest_size=8 * size).digest() for w in tokens}
    votes = [0] * 64
    for i in range(len(tokens) - size + 1):
        h = 0
        for k in range(size):
            h ^= int.from_bytes(digests[tokens[i + k]][8 * k : 8 * k + 8], "little")
        for bit in range(64):
            votes[bit] += 1 if h >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if votes[bit] > 0)


@pytest.mark.parametrize("seed", range(5))
def test_simhash_matches_the_textbook_definition(seed: int) -> None:
    text = _article(seed, length=200 + 100 * seed)
    assert simhash(text) == _reference(text)


def test_simhash_is_a_stable_64_bit_value() -> None:
    text = _article(1)
    value = simhash(text)
    assert value is not None
    assert 0 <= value < 1 << 64
    assert simhash(text) == value
    # pinned: the fingerprint must not change across processes, machines, Python versions
    assert simhash("word " * 10 + " ".join(f"w{i}" for i in range(40))) == _reference(
        "word " * 10 + " ".join(f"w{i}" for i in range(40))
    )


def test_short_texts_have_no_fingerprint() -> None:
    assert simhash("") is None
    assert simhash(" ".join(["word"] * (MIN_WORDS - 1))) is None
    assert simhash(" ".join(f"w{i}" for i in range(MIN_WORDS))) is not None


def test_case_whitespace_and_punctuation_do_not_matter() -> None:
    text = _article(2)
    variant = text.upper().replace(" ", "  \n").replace(".", " ;")
    assert simhash(variant) == simhash(text)


def test_persian_spelling_variants_are_the_same_words() -> None:
    persian = "\u0645\u06cc\u200c\u0634\u0648\u062f \u06a9\u062a\u0627\u0628"
    arabic = "\u0645\u064a\u0634\u0640\u0648\u062f \u0643\u062a\u0627\u0628"
    assert (
        words(persian)
        == words(arabic)
        == ["\u0645\u06cc\u0634\u0648\u062f", "\u06a9\u062a\u0627\u0628"]
    )
    assert simhash(" ".join([persian] * 20)) == simhash(" ".join([arabic] * 20))


def test_small_edits_are_close_and_unrelated_texts_far() -> None:
    text = _article(3, length=800)
    base = simhash(text)
    assert base is not None
    paragraphs = text.split("\n\n")
    edits = {
        "footer": text + "\n\nShare this article. Subscribe to our newsletter.",
        "title": "A new title for this piece\n\n" + text,
        "word": text.replace(" policy ", " politics ", 1),
        "reorder": "\n\n".join(paragraphs[1:2] + paragraphs[:1] + paragraphs[2:]),
    }
    for name, edited in edits.items():
        value = simhash(edited)
        assert value is not None
        assert hamming(base, value) <= MAX_DISTANCE, name
    others = [simhash(_article(100 + i, length=800)) for i in range(20)]
    far = [hamming(base, o) for o in others if o is not None]
    assert len(far) == 20
    assert min(far) > MAX_DISTANCE + 4
    assert 24 <= sum(far) / len(far) <= 40  # about 32 for independent fingerprints


def test_simhash_is_fast_enough() -> None:
    text = _article(4, length=1000)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(10):
            simhash(text)
        best = min(best, (time.perf_counter() - start) / 10)
    assert best < 0.01  # about 1 ms on an idle 2-core box; generous for a loaded CI


def test_hamming() -> None:
    assert hamming(0, 0) == 0
    assert hamming(0, (1 << 64) - 1) == 64
    assert hamming(0b1011, 0b0110) == 3


@pytest.mark.parametrize("value", [0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1, 0xDEADBEEF12345678])
def test_db_round_trip_fits_a_signed_bigint(value: int) -> None:
    stored = simhash_to_db(value)
    assert -(1 << 63) <= stored < 1 << 63
    assert simhash_from_db(stored) == value


# -- index ------------------------------------------------------------------------------------

fingerprints = st.integers(min_value=0, max_value=(1 << 64) - 1)


def _near(h: int, flips: list[int]) -> int:
    for bit in flips:
        h ^= 1 << bit
    return h


@settings(max_examples=150, deadline=None)
@given(
    st.lists(fingerprints, min_size=0, max_size=40),
    st.lists(st.lists(st.integers(0, 63), max_size=12), min_size=1, max_size=8),
    st.integers(0, MAX_DISTANCE),
    st.integers(0, 12),
)
def test_index_agrees_with_linear_scan(
    stored: list[int], flip_sets: list[list[int]], distance: int, max_distance: int
) -> None:
    index = SimHashIndex(max_distance=max_distance)
    linear = LinearIndex()
    for article_id, h in enumerate(stored):
        index.add(article_id, h)
        linear.add(article_id, h)
    # also near-copies of stored values, so there is something to find
    queries = [_near(stored[i % len(stored)], f) for i, f in enumerate(flip_sets)] if stored else []
    queries += [0, (1 << 64) - 1]
    k = min(distance, max_distance)
    for q in queries:
        assert index.query(q, k) == linear.query(q, k)
    assert index.query(queries[0]) == linear.query(queries[0], max_distance)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 30), fingerprints), max_size=80))
def test_index_add_remove_sequences(operations: list[tuple[bool, int, int]]) -> None:
    index = SimHashIndex()
    linear = LinearIndex()
    for is_add, article_id, h in operations:
        if is_add:
            index.add(article_id, h)
            linear.add(article_id, h)
        else:
            index.remove(article_id)
            linear.remove(article_id)
        assert len(index) == len(linear)
    for _, _, h in operations:
        assert index.query(h) == linear.query(h, MAX_DISTANCE)


def test_index_uses_the_packed_path_on_crowded_buckets() -> None:
    rng = random.Random(7)
    base = rng.getrandbits(64)
    index = SimHashIndex(max_distance=9)
    linear = LinearIndex()
    for article_id in range(400):  # all share their low band: one crowded bucket per band
        h = (rng.getrandbits(64) & ~0xFFFF) | (base & 0xFFFF)
        if article_id % 10 == 0:
            h = _near(base, rng.sample(range(64), rng.randint(0, 12)))
        index.add(article_id, h)
        linear.add(article_id, h)
    for k in (0, 3, 9):
        assert index.query(base, k) == linear.query(base, k)
    assert index.query(base, 9)  # the planted near-copies are found


def test_query_results_sorted_by_distance_then_id() -> None:
    index = SimHashIndex(max_distance=3)
    index.add(5, 0b111)
    index.add(2, 0b1)
    index.add(9, 0)
    index.add(1, 0b11)
    assert index.query(0) == [(9, 0), (2, 1), (1, 2), (5, 3)]
    assert index.query(0, 1) == [(9, 0), (2, 1)]


def test_index_replace_remove_contains_len() -> None:
    far = 0xFFFF_0000_0000  # 16 bits from 0
    index = SimHashIndex([(1, 0), (2, far)])
    assert len(index) == 2
    assert 1 in index
    index.add(1, (1 << 64) - 1)  # replacing an id moves it
    assert len(index) == 2
    assert index.query(0) == []
    index.remove(1)
    index.remove(1)  # unknown: ignored
    assert 1 not in index
    assert len(index) == 1
    assert index.query(far) == [(2, 0)]


def test_index_refuses_distances_it_cannot_answer() -> None:
    index = SimHashIndex(max_distance=3)
    with pytest.raises(ValueError, match=r"0\.\.3"):
        index.query(0, 4)
    with pytest.raises(ValueError):
        SimHashIndex(max_distance=40)
    with pytest.raises(ValueError):
        SimHashIndex(bands=0)
    with pytest.raises(ValueError, match="too many probes"):
        SimHashIndex(max_distance=8, bands=1)


def test_index_bands_option_keeps_answers_exact() -> None:
    rng = random.Random(3)
    items = [(i, rng.getrandbits(64)) for i in range(300)]
    probes = [_near(h, rng.sample(range(64), rng.randint(0, 8))) for _, h in items[:50]]
    linear = LinearIndex(items)
    for bands in (3, 4, 5, 8, 9, 10):
        index = SimHashIndex(items, max_distance=8, bands=bands)
        for q in probes:
            assert index.query(q) == linear.query(q, 8)
