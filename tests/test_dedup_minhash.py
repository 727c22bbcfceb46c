"""MinHash signatures and decide()'s short-text path (the LSH index: test_dedup_lsh.py)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from scraper.dedup import (
    MinHashIndex,
    SimHashIndex,
    content_hash,
    decide,
    jaccard_estimate,
    short_signature,
    signature,
    simhash,
)
from scraper.dedup import minhash as mh
from scraper.models import SaveAction

NOW = datetime(2025, 7, 9, 12, 0, tzinfo=UTC)
VOCABULARY = [f"w{i}" for i in range(2000)] + ["the", "of", "and", "to", "in"] * 50


def _text(seed: int, n: int = 80) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCABULARY) for _ in range(n))


def test_signature_matches_the_textbook_loop() -> None:
    for seed in range(5):
        hashes = mh.shingle_hashes(_text(seed, 30 + 40 * seed))
        assert hashes is not None
        assert mh._signature_of(hashes, mh.PERMUTATIONS) == mh._reference(hashes, mh.PERMUTATIONS)


def test_signature_shape_stability_and_minimum() -> None:
    sig = signature(_text(1))
    assert sig is not None and len(sig) == mh.PERMUTATIONS
    assert all(0 <= v < 1 << mh.VALUE_BITS for v in sig)
    assert signature(_text(1)) == sig
    assert signature(_text(1).upper()) == sig  # same words as SimHash: case-folded
    assert signature(" ".join(["w"] * (mh.LOOKUP_WORDS - 1))) is None
    assert signature(" ".join(["w"] * mh.LOOKUP_WORDS)) is not None


def test_short_signature_only_for_short_texts() -> None:
    assert short_signature(_text(1, mh.MAX_WORDS - 1)) is not None
    assert short_signature(_text(1, mh.MAX_WORDS)) is None
    assert short_signature(_text(1, mh.LOOKUP_WORDS)) is not None
    assert short_signature(_text(1, mh.LOOKUP_WORDS - 1)) is None


def test_db_round_trip_is_compact() -> None:
    sig = signature(_text(2))
    assert sig is not None
    blob = mh.to_db(sig)
    assert isinstance(blob, bytes) and len(blob) == 2 * mh.PERMUTATIONS
    assert mh.from_db(blob) == sig
    with pytest.raises(ValueError):
        mh.from_db(b"abc")


def test_estimate_follows_the_exact_jaccard() -> None:
    base = _text(3, 120).split()
    for keep in (120, 90, 60, 30):
        other = " ".join(base[:keep] + _text(4, 120 - keep).split())
        a, b = mh.shingle_hashes(" ".join(base)), mh.shingle_hashes(other)
        assert a is not None and b is not None
        exact = len(a & b) / len(a | b)
        sa, sb = signature(" ".join(base)), signature(other)
        assert sa is not None and sb is not None
        assert abs(jaccard_estimate(sa, sb) - exact) < 0.12
    assert jaccard_estimate((), ()) == 0.0
    with pytest.raises(ValueError):
        jaccard_estimate((1, 2), (1,))


def _blurb() -> str:
    return (
        "The institute's new report finds that sanctions relief would raise oil exports by a "
        "third within a year, but warns that investment in the upstream sector will lag unless "
        "contracts are reformed. The authors recommend a phased approach agreed with partners."
    )


def test_decide_links_a_short_copy_in_new_chrome() -> None:
    original = _blurb()
    copy = (
        "Home About Research Experts Events Contact\n\n"
        + original
        + "\n\nShare this article on Facebook, Twitter, LinkedIn or by email."
    )
    sig = short_signature(original)
    copy_sig = short_signature(copy)
    assert sig is not None and copy_sig is not None
    copy_h = simhash(copy)
    index = SimHashIndex()  # no SimHash match: the MinHash path decides
    minhash_index = MinHashIndex([(3, sig), (9, sig)])
    decision = decide(
        None,
        canonical_url="https://partner.example/x",
        content_hash=content_hash(copy),
        simhash=copy_h,
        index=index,
        now=NOW,
        minhash_index=minhash_index,
        signature=copy_sig,
    )
    assert decision.action is SaveAction.NEW
    assert decision.duplicate_of == 3  # the earliest
    assert decision.minhash == mh.to_db(copy_sig)
    # without the index (old callers) nothing is linked, but the signature is still returned
    plain = decide(
        None,
        canonical_url="https://partner.example/x",
        content_hash=content_hash(copy),
        simhash=copy_h,
        index=index,
        now=NOW,
        signature=copy_sig,
    )
    assert plain.duplicate_of is None and plain.minhash == mh.to_db(copy_sig)


def test_decide_does_not_link_a_different_short_text() -> None:
    other = (
        "A new paper argues that regional water agreements have failed because monitoring is "
        "left to the upstream states. It proposes a joint commission with its own gauges and "
        "a public data portal, funded by a levy on hydropower sales."
    )
    sig, other_sig = short_signature(_blurb()), short_signature(other)
    assert sig is not None and other_sig is not None
    decision = decide(
        None,
        canonical_url="https://partner.example/y",
        content_hash=content_hash(other),
        simhash=simhash(other),
        index=SimHashIndex(),
        now=NOW,
        minhash_index=MinHashIndex([(3, sig)]),
        signature=other_sig,
    )
    assert decision.duplicate_of is None


def test_texts_without_simhash_are_looked_up_but_not_kept() -> None:
    """A trimmed copy under 30 words finds its stored original; its own signature is not
    returned for storing, so two such texts can never be linked to each other."""
    original = _blurb()
    trimmed = " ".join(original.split()[:20])
    sig, tiny = short_signature(original), short_signature(trimmed)
    assert sig is not None and tiny is not None and simhash(trimmed) is None
    decision = decide(
        None,
        canonical_url="https://partner.example/z",
        content_hash=content_hash(trimmed),
        simhash=None,
        index=SimHashIndex(),
        now=NOW,
        minhash_index=MinHashIndex([(4, sig)]),
        signature=tiny,
    )
    assert decision.duplicate_of == 4
    assert decision.minhash is None
