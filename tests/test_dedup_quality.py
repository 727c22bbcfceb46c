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

from scraper.dedup import MAX_DISTANCE, SimHashIndex, content_hash, decide, simhash
from scraper.models import SaveAction

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

pytestmark = pytest.mark.skipif(
    not (CORPUS / "readability").is_dir() or not (CORPUS / "thinktanks").is_dir(),
    reason="../shared/corpus is not available",
)

# Floors for the short stratum (30-150 words), where a 64-bit SimHash cannot reach 0.98
# recall (docs/dedup.md). They may only rise.
SHORT_RECALL_FLOOR = 0.33
PRECISION_FLOOR = 0.98
ARTICLE_RECALL_FLOOR = 0.98


Scored = Sequence[tuple[Any, int | None]]  # (dedup_eval.Pair, distance)


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


def test_short_texts_keep_precision_and_their_recall_floor(ev: ModuleType, scored: Scored) -> None:
    row = _row(ev, scored, "short")
    assert row.precision >= PRECISION_FLOOR, row
    assert row.recall >= SHORT_RECALL_FLOOR, row


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
