"""The LSH index of MinHash signatures (``scraper.dedup.lsh``), against the linear scan."""

from __future__ import annotations

import random

import pytest

from scraper.dedup import LinearMinHashIndex, MinHashIndex, signature
from scraper.dedup import lsh as lsh_module
from scraper.dedup.minhash import PERMUTATIONS

VOCABULARY = [f"w{i}" for i in range(2000)] + ["the", "of", "and", "to", "in"] * 50


def _text(seed: int, n: int = 80) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCABULARY) for _ in range(n))


def test_index_agrees_with_the_linear_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lsh_module, "_MERGE_AT", 16)  # exercise merges of pending additions
    rng = random.Random(5)
    originals = [_text(100 + i, rng.randint(40, 140)) for i in range(60)]
    lsh, linear = MinHashIndex(), LinearMinHashIndex()
    for i, text in enumerate(originals):
        sig = signature(text)
        assert sig is not None
        lsh.add(i, sig)
        linear.add(i, sig)
    lsh.remove(7)
    linear.remove(7)
    lsh.remove(999)  # unknown: ignored
    assert len(lsh) == len(linear) == 59 and 7 not in lsh and 8 in lsh
    for i, text in enumerate(originals):
        words = text.split()
        copy = " ".join(["Share", "this", "page", *words[: len(words) * 3 // 4], "Subscribe"])
        sig = signature(copy)
        assert sig is not None
        assert lsh.query(sig) == linear.query(sig)
        if i != 7 and len(words) >= 40:
            assert lsh.query(sig)[0][0] == i
    answers = [lsh.query(sig) for _, sig in sorted(linear._sigs.items())]
    lsh._rebuild()  # compaction drops the removed id's band entries, answers unchanged
    assert [lsh.query(sig) for _, sig in sorted(linear._sigs.items())] == answers
    # bulk construction answers the same
    bulk = MinHashIndex((i, s) for i, s in linear._sigs.items())
    probe = signature(originals[3])
    assert probe is not None
    assert bulk.query(probe) == lsh.query(probe) == linear.query(probe)
    assert lsh.query(probe)[0] == (3, 1.0)


def test_index_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        MinHashIndex(bands=200)
    with pytest.raises(ValueError):
        MinHashIndex(threshold=0)
    index = MinHashIndex()
    with pytest.raises(ValueError):
        index.add(-1, (0,) * PERMUTATIONS)
    with pytest.raises(ValueError):
        index.add(1, (0,) * 10)
