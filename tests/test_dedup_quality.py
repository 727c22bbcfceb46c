"""Near-duplicate quality on the labelled set built from ../shared/corpus (skips without it).

The set and its strata are described in ``benchmarks/dedup_eval.py``; the figures and the choice
of the threshold (:data:`scraper.dedup.MAX_DISTANCE`) in ``docs/dedup.md``.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from scraper.dedup import (
    MAX_DISTANCE,
    MinHashIndex,
    SimHashIndex,
    content_hash,
    decide,
    short_signature,
    simhash,
)
from scraper.dedup.minhash import THRESHOLD
from scraper.models import SaveAction

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

pytestmark = pytest.mark.skipif(
    not (CORPUS / "readability").is_dir() or not (CORPUS / "thinktanks").is_dir(),
    reason="../shared/corpus is not available",
)

# SimHash alone on the short stratum (30-150 words): a 64-bit fingerprint cannot reach 0.98
# recall there (docs/dedup.md; measured 0.357). With the short-text MinHash path (what decide()
# does) both strata and all pairs together reach the target: measured precision / recall
# 0.987 / 0.987 on short texts, 0.996 / 0.987 on all pairs. Floors may only rise.
SIMHASH_SHORT_RECALL_FLOOR = 0.33
PRECISION_FLOOR = 0.98
ARTICLE_RECALL_FLOOR = 0.98
SHORT_PRECISION_FLOOR = 0.98
SHORT_RECALL_FLOOR = 0.98
ALL_PRECISION_FLOOR = 0.99
ALL_RECALL_FLOOR = 0.98


Scored = Sequence[tuple[Any, int | None]]  # (dedup_eval.Pair, distance)
Combined = Sequence[tuple[Any, int | None, float | None]]  # (pair, distance, MinHash estimate)


def _load_eval() -> ModuleType:
    path = ROOT / "benchmarks" / "dedup_eval.py"
    spec = importlib.util.spec_from_file_location("dedup_eval", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("dedup_eval", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ev() -> ModuleType:
    return _load_eval()


@pytest.fixture(scope="module")
def scored(ev: ModuleType) -> Scored:
    result: Scored = ev.distances(ev.build_pairs(CORPUS))
    return result


@pytest.fixture(scope="module")
def combined(ev: ModuleType) -> Combined:
    result: Combined = ev.similarities(ev.build_pairs(CORPUS))
    return result


def _combined_row(ev: ModuleType, combined: Combined, stratum: str) -> Any:
    members = [c for c in combined if stratum == "all" or c[0].stratum == stratum]
    (row,) = ev.evaluate_combined(members, (THRESHOLD,))
    return row


def _row(ev: ModuleType, scored: Scored, stratum: str) -> Any:
    members = [(p, d) for p, d in scored if p.stratum == stratum]
    return ev.evaluate(members, MAX_DISTANCE)[MAX_DISTANCE]


def test_set_is_big_and_balanced(scored: Scored) -> None:
    kinds = {p.kind for p, _ in scored}
    assert kinds == {"boilerplate", "reorder", "trim", "chrome", "title"} | {
        "same-site",
        "same-set",
        "random",
    }
    article = [p for p, _ in scored if p.stratum == "article"]
    assert sum(p.duplicate for p in article) >= 400
    assert sum(not p.duplicate for p in article) >= 300


def test_article_length_texts_reach_the_target(ev: ModuleType, scored: Scored) -> None:
    row = _row(ev, scored, "article")
    assert row.precision >= PRECISION_FLOOR, row
    assert row.recall >= ARTICLE_RECALL_FLOOR, row


def test_simhash_alone_keeps_precision_on_short_texts(ev: ModuleType, scored: Scored) -> None:
    row = _row(ev, scored, "short")
    assert row.precision >= PRECISION_FLOOR, row
    assert row.recall >= SIMHASH_SHORT_RECALL_FLOOR, row


def test_short_texts_reach_the_target_with_minhash(ev: ModuleType, combined: Combined) -> None:
    row = _combined_row(ev, combined, "short")
    assert row.precision >= SHORT_PRECISION_FLOOR, row
    assert row.recall >= SHORT_RECALL_FLOOR, row


def test_all_pairs_reach_the_target_with_minhash(ev: ModuleType, combined: Combined) -> None:
    row = _combined_row(ev, combined, "all")
    assert row.precision >= ALL_PRECISION_FLOOR, row
    assert row.recall >= ALL_RECALL_FLOOR, row
    article = _combined_row(ev, combined, "article")  # long texts stay on SimHash alone
    assert article.fp == 0 and article.recall >= ARTICLE_RECALL_FLOOR, article


def test_minhash_threshold_is_balanced(ev: ModuleType, combined: Combined) -> None:
    """THRESHOLD reaches both targets; 0.05 lower loses precision, 0.05 higher recall."""
    short = [c for c in combined if c[0].stratum == "short"]
    lower, chosen, higher = ev.evaluate_combined(
        short, (THRESHOLD - 0.05, THRESHOLD, THRESHOLD + 0.05)
    )
    assert chosen.precision >= SHORT_PRECISION_FLOOR and chosen.recall >= SHORT_RECALL_FLOOR
    assert lower.precision < SHORT_PRECISION_FLOOR
    assert higher.recall < SHORT_RECALL_FLOOR


def test_threshold_is_the_smallest_that_reaches_the_recall_target(
    ev: ModuleType, scored: Scored
) -> None:
    members = [(p, d) for p, d in scored if p.stratum == "article"]
    rows = ev.evaluate(members, MAX_DISTANCE)
    assert rows[MAX_DISTANCE - 1].recall < ARTICLE_RECALL_FLOOR
    negatives = [d for p, d in scored if not p.duplicate and d is not None]
    assert min(negatives) > MAX_DISTANCE  # every negative pair is outside the threshold


def test_decide_links_republished_articles_through_the_index(ev: ModuleType) -> None:
    """End to end through SimHashIndex + decide(): every article-length original stored, each
    'chrome' copy (another site's rendering) must be linked to its own original."""
    docs = [d for d in ev.load_docs(CORPUS) if d.stratum == "article"]
    index = SimHashIndex()
    ids: dict[str, int] = {}
    for article_id, doc in enumerate(docs, start=1):
        h = simhash(doc.text)
        assert h is not None
        index.add(article_id, h)
        ids[doc.key] = article_id
    linked = wrong = 0
    for doc in docs:
        copy = next(p for p in ev.positives(doc) if p.kind == "chrome").b
        decision = decide(
            None,
            canonical_url=f"https://partner.example/{doc.key}",
            content_hash=content_hash(copy),
            simhash=simhash(copy),
            index=index,
            now=datetime(2025, 7, 9, tzinfo=UTC),
        )
        assert decision.action is SaveAction.NEW
        if decision.duplicate_of == ids[doc.key]:
            linked += 1
        elif decision.duplicate_of is not None:
            wrong += 1
    assert wrong == 0
    assert linked / len(docs) >= 0.95


def test_decide_links_republished_short_texts_through_the_minhash_index(ev: ModuleType) -> None:
    """End to end through SimHashIndex + MinHashIndex + decide() as the pipeline runs them:
    every short original stored, each 'chrome' and 'trim' copy must be linked to its own
    original (>= 95%; measured 93 of 94), none to a wrong one."""
    docs = [d for d in ev.load_docs(CORPUS) if d.stratum == "short"]
    index, minhash_index = SimHashIndex(), MinHashIndex()
    ids: dict[str, int] = {}
    for article_id, doc in enumerate(docs, start=1):
        h, sig = simhash(doc.text), short_signature(doc.text)
        decision = decide(
            None,
            canonical_url=f"https://home.example/{doc.key}",
            content_hash=content_hash(doc.text),
            simhash=h,
            index=SimHashIndex(),  # originals are all different pieces: store each
            now=datetime(2025, 7, 9, tzinfo=UTC),
            signature=sig,
        )
        if h is not None:
            index.add(article_id, h)
        if sig is not None and decision.minhash is not None:
            minhash_index.add(article_id, sig)
        ids[doc.key] = article_id
    linked = wrong = total = 0
    for doc in docs:
        for pair in ev.positives(doc):
            if pair.kind not in ("chrome", "trim"):
                continue
            total += 1
            copy = pair.b
            decision = decide(
                None,
                canonical_url=f"https://partner.example/{doc.key}/{pair.kind}",
                content_hash=content_hash(copy),
                simhash=simhash(copy),
                index=index,
                now=datetime(2025, 7, 9, tzinfo=UTC),
                minhash_index=minhash_index,
                signature=short_signature(copy),
            )
            if decision.duplicate_of == ids[doc.key]:
                linked += 1
            elif decision.duplicate_of is not None:
                wrong += 1
    assert wrong == 0
    assert linked / total >= 0.95, (linked, total)
