"""Near-duplicate lookup speed and memory at 100,000 stored items: SimHashIndex and
MinHashIndex, each vs a linear scan.

    python benchmarks/dedup.py [--n 100000] [--queries 2000] [--max-distance 9] [--json]

The store is filled with ``n`` random 64-bit fingerprints (what unrelated articles look like to
SimHash) plus 1,000 *planted* near-duplicate groups: an original and copies 1..max-distance bits
away. Queries are half planted copies (each must find its group) and half fresh random values
(must find nothing). Every SimHashIndex answer is checked against the linear scan. Also reports
the cost of :func:`scraper.dedup.simhash` on a 1,000-word article, and memory (tracemalloc) of
each index.

MinHash (short texts): ``n`` stored 256-value signatures, each value drawn at random except
that with probability ``--background`` (0.04) it is a value shared by all texts, so unrelated
signatures collide in an LSH band about as often as unrelated corpus texts do (1 pair in
~6,000 among the 155 labelled-set texts: ~17 candidates per lookup at 100,000); plus 1,000
planted groups, an original and a copy whose values agree with it at a rate between 0.3 and
0.95 (the estimated Jaccard). Queries are half planted copies, half fresh signatures; answers
are checked against :class:`LinearMinHashIndex` on the first ``--linear-queries``. Also the
cost of :func:`scraper.dedup.signature` on a 100-word text.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scraper.dedup import (  # noqa: E402
    MAX_DISTANCE,
    LinearIndex,
    LinearMinHashIndex,
    MinHashIndex,
    SimHashIndex,
    signature,
    simhash,
)
from scraper.dedup.minhash import PERMUTATIONS, THRESHOLD, VALUE_BITS  # noqa: E402

PLANTED = 1000


def _flip(h: int, bits: int, rng: random.Random) -> int:
    for bit in rng.sample(range(64), bits):
        h ^= 1 << bit
    return h


def fingerprints(
    n: int, max_distance: int, seed: int = 1
) -> tuple[list[tuple[int, int]], list[int]]:
    """``n`` stored (id, fingerprint) pairs and the planted originals' fingerprints."""
    rng = random.Random(seed)
    items = [(i, rng.getrandbits(64)) for i in range(n)]
    originals: list[int] = []
    for group in range(PLANTED):
        h = rng.getrandbits(64)
        originals.append(h)
        items.append((n + 2 * group, h))
        items.append((n + 2 * group + 1, _flip(h, rng.randint(1, max_distance), rng)))
    return items, originals


def queries(originals: Sequence[int], count: int, max_distance: int, seed: int = 2) -> list[int]:
    rng = random.Random(seed)
    planted = [
        _flip(rng.choice(originals), rng.randint(0, max_distance), rng) for _ in range(count // 2)
    ]
    fresh = [rng.getrandbits(64) for _ in range(count - count // 2)]
    mixed = planted + fresh
    rng.shuffle(mixed)
    return mixed


def _build(
    factory: Callable[[], SimHashIndex | LinearIndex], items: Sequence[tuple[int, int]]
) -> tuple[SimHashIndex | LinearIndex, int, float]:
    tracemalloc.start()
    start = time.perf_counter()
    index = factory()
    for article_id, h in items:
        index.add(article_id, h)
    elapsed = time.perf_counter() - start
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return index, current, elapsed


def _per_query(
    index: SimHashIndex | LinearIndex, qs: Sequence[int], k: int
) -> tuple[float, list[list[tuple[int, int]]]]:
    start = time.perf_counter()
    answers = [index.query(q, k) for q in qs]
    return (time.perf_counter() - start) / len(qs), answers


def _cost_per_text(fn: Callable[[str], object], words: int, seed: int) -> float:
    """Best seconds per call of ``fn`` on a random text of ``words`` words (5 x 20 calls)."""
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(3000)] + ["the", "of", "and", "to", "in"] * 200
    text = " ".join(rng.choice(vocabulary) for _ in range(words))
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(20):
            fn(text)
        best = min(best, (time.perf_counter() - start) / 20)
    return best


def _simhash_cost() -> float:
    return _cost_per_text(simhash, 1000, seed=3)


Signature = tuple[int, ...]


def _copy_of(sig: Signature, agree: float, rng: random.Random) -> Signature:
    top = 1 << VALUE_BITS
    return tuple(v if rng.random() < agree else rng.randrange(top) for v in sig)


def signatures(
    n: int, background: float, seed: int = 4
) -> tuple[list[tuple[int, Signature]], list[Signature]]:
    """``n`` stored (id, signature) pairs plus planted groups, and the planted originals."""
    rng = random.Random(seed)
    top = 1 << VALUE_BITS
    shared = random.Random(0)  # the same "common phrases" in every call
    common = [shared.randrange(top) for _ in range(PERMUTATIONS)]

    def fresh() -> Signature:
        return tuple(
            common[i] if rng.random() < background else rng.randrange(top)
            for i in range(PERMUTATIONS)
        )

    items = [(i, fresh()) for i in range(n)]
    originals: list[Signature] = []
    for group in range(PLANTED):
        sig = fresh()
        originals.append(sig)
        items.append((n + 2 * group, sig))
        items.append((n + 2 * group + 1, _copy_of(sig, rng.uniform(0.3, 0.95), rng)))
    return items, originals


def minhash_queries(
    originals: Sequence[Signature], count: int, background: float, seed: int = 5
) -> list[Signature]:
    rng = random.Random(seed)
    planted = [
        _copy_of(rng.choice(originals), rng.uniform(0.4, 0.95), rng) for _ in range(count // 2)
    ]
    fresh_items, _ = signatures(count - count // 2, background, seed=seed + 1)
    mixed = planted + [sig for _, sig in fresh_items[: count - count // 2]]
    rng.shuffle(mixed)
    return mixed


def _build_minhash(
    factory: Callable[[Sequence[tuple[int, Signature]]], MinHashIndex | LinearMinHashIndex],
    items: Sequence[tuple[int, Signature]],
) -> tuple[MinHashIndex | LinearMinHashIndex, int, float]:
    """Built in bulk, as the pipeline does from ``store.minhashes()``: timed without
    tracemalloc (which slows allocation several times), then built again to measure memory."""
    start = time.perf_counter()
    factory(items)
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    index = factory(items)
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return index, current, elapsed


def _minhash_per_query(
    index: MinHashIndex | LinearMinHashIndex, qs: Sequence[Signature]
) -> tuple[float, list[list[tuple[int, float]]]]:
    start = time.perf_counter()
    answers = [index.query(q) for q in qs]
    return (time.perf_counter() - start) / len(qs), answers


def _signature_cost() -> float:
    return _cost_per_text(signature, 100, seed=6)


def minhash_benchmark(
    n: int, queries_n: int, linear_queries: int, background: float
) -> dict[str, float | int]:
    """MinHashIndex vs LinearMinHashIndex (see the module docstring)."""
    items, originals = signatures(n, background)
    qs = minhash_queries(originals, queries_n, background)
    banded, banded_bytes, banded_build = _build_minhash(MinHashIndex, items)
    linear, linear_bytes, linear_build = _build_minhash(LinearMinHashIndex, items)
    banded_time, banded_answers = _minhash_per_query(banded, qs)
    linear_qs = qs[:linear_queries]
    linear_time, linear_answers = _minhash_per_query(linear, linear_qs)
    assert isinstance(banded, MinHashIndex)
    extra, _ = signatures(2000, background, seed=7)
    start = time.perf_counter()
    for article_id, sig in extra:  # new first copies during runs (crosses a merge)
        banded.add(10 * n + article_id, sig)
    add_time = (time.perf_counter() - start) / len(extra)
    for article_id, _sig in extra:
        banded.remove(10 * n + article_id)
    missed = sum(
        1 for got, want in zip(banded_answers, linear_answers, strict=False) if got != want
    )
    candidates = statistics.mean(len(banded.candidates(q)) for q in qs[:200])
    return {
        "stored": len(items),
        "queries": len(qs),
        "threshold": THRESHOLD,
        "queries_with_a_match": sum(1 for a in banded_answers if a),
        "mean_candidates": round(candidates, 1),
        "answers_differing_from_linear": missed,
        "linear_checked": len(linear_qs),
        "signature_ms_per_100_words": round(_signature_cost() * 1e3, 3),
        "banded_ms_per_lookup": round(banded_time * 1e3, 4),
        "linear_ms_per_lookup": round(linear_time * 1e3, 2),
        "speedup": round(linear_time / banded_time, 1),
        "banded_memory_mb": round(banded_bytes / 2**20, 1),
        "linear_memory_mb": round(linear_bytes / 2**20, 1),
        "banded_build_s": round(banded_build, 2),
        "linear_build_s": round(linear_build, 2),
        "banded_ms_per_add": round(add_time * 1e3, 3),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--linear-queries", type=int, default=100)
    parser.add_argument("--max-distance", type=int, default=MAX_DISTANCE)
    parser.add_argument("--background", type=float, default=0.04)
    parser.add_argument("--minhash-linear-queries", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    k = args.max_distance

    items, originals = fingerprints(args.n, k)
    qs = queries(originals, args.queries, k)
    banded, banded_bytes, banded_build = _build(lambda: SimHashIndex(max_distance=k), items)
    linear, linear_bytes, linear_build = _build(LinearIndex, items)

    banded_time, banded_answers = _per_query(banded, qs, k)
    linear_qs = qs[: args.linear_queries]
    linear_time, linear_answers = _per_query(linear, linear_qs, k)
    if banded_answers[: len(linear_qs)] != linear_answers:
        print("MISMATCH between SimHashIndex and the linear scan", file=sys.stderr)
        return 1
    found = sum(1 for a in banded_answers if a)
    candidates = statistics.mean(len(a) for a in banded_answers)
    result = {
        "stored": len(items),
        "max_distance": k,
        "queries": len(qs),
        "queries_with_a_match": found,
        "mean_matches": round(candidates, 3),
        "simhash_ms_per_1000_words": round(_simhash_cost() * 1e3, 3),
        "banded_ms_per_lookup": round(banded_time * 1e3, 4),
        "linear_ms_per_lookup": round(linear_time * 1e3, 4),
        "speedup": round(linear_time / banded_time, 1),
        "banded_memory_mb": round(banded_bytes / 2**20, 1),
        "linear_memory_mb": round(linear_bytes / 2**20, 1),
        "banded_build_s": round(banded_build, 2),
        "linear_build_s": round(linear_build, 2),
    }
    mh = minhash_benchmark(args.n, args.queries, args.minhash_linear_queries, args.background)
    if args.json:
        print(json.dumps(result | {"minhash": mh}))
        return 0
    print(
        f"{result['stored']:,} fingerprints stored, max distance {k}, {len(qs)} lookups "
        f"({found} with a match; linear scan checked on {len(linear_qs)}: identical answers)"
    )
    print(f"simhash of a 1,000-word article: {result['simhash_ms_per_1000_words']} ms")
    print(
        f"SimHashIndex: {result['banded_ms_per_lookup']} ms per lookup, "
        f"{result['banded_memory_mb']} MiB, built in {result['banded_build_s']} s"
    )
    print(
        f"LinearIndex:  {result['linear_ms_per_lookup']} ms per lookup, "
        f"{result['linear_memory_mb']} MiB, built in {result['linear_build_s']} s"
    )
    print(f"speed-up: {result['speedup']}x")
    print(
        f"\nMinHash: {mh['stored']:,} signatures stored, threshold {mh['threshold']}, "
        f"{mh['queries']} lookups ({mh['queries_with_a_match']} with a match, "
        f"{mh['mean_candidates']} LSH candidates on average; linear scan checked on "
        f"{mh['linear_checked']}: {mh['answers_differing_from_linear']} answers differ)"
    )
    print(f"signature of a 100-word text: {mh['signature_ms_per_100_words']} ms")
    print(
        f"MinHashIndex: {mh['banded_ms_per_lookup']} ms per lookup, "
        f"{mh['banded_memory_mb']} MiB, built in {mh['banded_build_s']} s, "
        f"{mh['banded_ms_per_add']} ms per add()"
    )
    print(
        f"LinearMinHashIndex: {mh['linear_ms_per_lookup']} ms per lookup, "
        f"{mh['linear_memory_mb']} MiB, built in {mh['linear_build_s']} s"
    )
    print(f"speed-up: {mh['speedup']}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
