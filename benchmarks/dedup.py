"""Near-duplicate lookup speed and memory: SimHashIndex vs a linear scan, at 100,000 fingerprints.

    python benchmarks/dedup.py [--n 100000] [--queries 2000] [--max-distance 9] [--json]

The store is filled with ``n`` random 64-bit fingerprints (what unrelated articles look like to
SimHash) plus 1,000 *planted* near-duplicate groups: an original and copies 1..max-distance bits
away. Queries are half planted copies (each must find its group) and half fresh random values
(must find nothing). Every SimHashIndex answer is checked against the linear scan. Also reports
the cost of :func:`scraper.dedup.simhash` on a 1,000-word article, and memory (tracemalloc) of
each index.
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

from scraper.dedup import MAX_DISTANCE, LinearIndex, SimHashIndex, simhash  # noqa: E402

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


def _simhash_cost() -> float:
    rng = random.Random(3)
    vocabulary = [f"w{i}" for i in range(3000)] + ["the", "of", "and", "to", "in"] * 200
    text = " ".join(rng.choice(vocabulary) for _ in range(1000))
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(20):
            simhash(text)
        best = min(best, (time.perf_counter() - start) / 20)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--linear-queries", type=int, default=100)
    parser.add_argument("--max-distance", type=int, default=MAX_DISTANCE)
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
    if args.json:
        print(json.dumps(result))
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
