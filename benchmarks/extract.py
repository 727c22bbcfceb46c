"""Speed of our extractor vs trafilatura on the same pages, in one process.

    python benchmarks/extract.py                       # readability + thinktanks + samples
    python benchmarks/extract.py --sets readability --repeat 3

Pages are read from ../shared/corpus (third-party pages, never copied here) and decoded once
before timing; each call includes parsing. The two extractors' passes alternate, round by
round. Reports the best pages/s of each, their ratio (and the median of the per-round ratios),
and the peak Python memory (tracemalloc) of one extraction, mean and max over the pages.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.corpus_adapter import run as ours  # noqa: E402
from benchmarks.corpus_adapter import run_trafilatura  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def load_pages(sets: list[str], every: int) -> list[tuple[str, str | None]]:
    """(html, url) of every ``every``-th case of each set (every case of small sets)."""
    import json

    pages: list[tuple[str, str | None]] = []
    for name in sets:
        cases = sorted(p.parent for p in (CORPUS / name).glob("*/truth.json"))
        step = 1 if len(cases) <= 100 else every
        for case in cases[::step]:
            plain = case / "page.html"
            raw = (
                plain.read_bytes()
                if plain.exists()
                else gzip.decompress((case / "page.html.gz").read_bytes())
            )
            url = json.loads((case / "truth.json").read_text(encoding="utf-8")).get("url")
            pages.append((_decode(raw), url))
    return pages


def one_pass(fn: Callable[[str, str | None], Any], pages: list[tuple[str, str | None]]) -> float:
    """Pages/s of one pass over ``pages``."""
    gc.collect()
    t0 = time.perf_counter()
    for html, url in pages:
        fn(html, url)
    return len(pages) / (time.perf_counter() - t0)


def interleaved(
    fns: list[Callable[[str, str | None], Any]], pages: list[tuple[str, str | None]], repeat: int
) -> list[list[float]]:
    """Pages/s of each of ``fns`` over ``repeat`` rounds, one pass of each per round.

    The passes alternate (one warm-up call each first), so a slow spell of a shared machine
    falls on both extractors instead of on whichever ran during it.
    """
    for fn in fns:
        fn(*pages[0])
    runs: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, out in zip(fns, runs, strict=True):
            out.append(one_pass(fn, pages))
    return runs


def peak_memory(
    fn: Callable[[str, str | None], Any], pages: list[tuple[str, str | None]]
) -> tuple[float, float]:
    """Mean and max peak traced memory (MiB) of one call."""
    peaks: list[float] = []
    for html, url in pages:
        gc.collect()
        tracemalloc.start()
        fn(html, url)
        peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    return statistics.fmean(peaks), max(peaks)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sets", nargs="+", default=["readability", "thinktanks", "htmldate", "trafilatura-dev"]
    )
    ap.add_argument("--every", type=int, default=10, help="sample step for sets over 100 cases")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"{CORPUS} not found")
    pages = load_pages(args.sets, args.every)
    mb = sum(len(h) for h, _ in pages) / 2**20
    print(f"{len(pages)} pages ({mb:.1f} MiB of HTML) from {', '.join(args.sets)}")
    ours_runs, traf_runs = interleaved([ours, run_trafilatura], pages, args.repeat)
    ours_ps, traf_ps = max(ours_runs), max(traf_runs)
    rounds = sorted(o / t for o, t in zip(ours_runs, traf_runs, strict=True))
    print(f"ours        {ours_ps:7.1f} pages/s (best of {args.repeat} passes)")
    print(f"trafilatura {traf_ps:7.1f} pages/s (best of {args.repeat} passes)")
    print(
        f"ratio       {ours_ps / traf_ps:7.2f}x (best vs best; round by round, passes "
        f"alternating: median {statistics.median(rounds):.2f}x, {rounds[0]:.2f}-{rounds[-1]:.2f}x)"
    )
    sample = pages[:: max(1, len(pages) // 60)]
    om, ox = peak_memory(ours, sample)
    tm, tx = peak_memory(run_trafilatura, sample)
    print(
        f"peak memory per page (tracemalloc, {len(sample)} pages): ours mean {om:.1f} MiB max "
        f"{ox:.1f} MiB; trafilatura mean {tm:.1f} MiB max {tx:.1f} MiB"
    )


if __name__ == "__main__":
    main()
