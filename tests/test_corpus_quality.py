"""Quality gate: our extractor scored on the shared corpus must stay above pinned floors.

Pages and ground truth are third-party material read from ../shared/corpus at test time (never
copied here); the scorer is the corpus's own ``score.py``. The floors live in
``tests/quality_floors.json`` and may only rise (checked against the committed version).
Large sets are scored on a fixed sample (every n-th case) to keep the gate fast.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from scraper.extract import extract

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FLOORS_PATH = Path(__file__).parent / "quality_floors.json"
FLOORS: dict[str, Any] = json.loads(FLOORS_PATH.read_text(encoding="utf-8"))

pytestmark = pytest.mark.skipif(
    not (CORPUS / "score.py").is_file(), reason="../shared/corpus is absent"
)


def _scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_score", CORPUS / "score.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _predict(html: str, url: str | None) -> dict[str, Any]:
    a = extract(html, url)
    return {
        "title": a.title,
        "author": list(a.authors),
        "date": a.published.isoformat() if a.published else None,
        "body": a.body_text,
        "blocked": a.blocked,
    }


def score_set(name: str, every: int = 1) -> dict[str, Any]:
    """The scorer's aggregate for one set (every ``every``-th case, in name order)."""
    sc = _scorer()
    cases = sc.list_cases(CORPUS / name, None, None)[::every]
    rows = []
    for case in cases:
        truth = json.loads((case / "truth.json").read_text(encoding="utf-8"))
        html = sc.decode_html(sc.read_page(case))
        rows.append(sc.score_case(truth, _predict(html, truth.get("url"))))
    agg: dict[str, Any] = sc.aggregate(rows, {"title", "author", "date", "body"})
    return agg


def _metrics(agg: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    if "title" in agg:
        out["title"] = agg["title"]["title_exact"]
    if "author" in agg:
        out["author"] = agg["author"]["author_match"]
    if "date" in agg:
        out["date"] = agg["date"]["date_match"]
    if "body" in agg:
        out["body_f1"] = agg["body"]["tok_f1"]
    if "segments" in agg:
        out["snippet_f1"] = agg["segments"]["f1"]
    if "blocked" in agg:
        out["blocked"] = agg["blocked"]["blocked_ok"]
    return out


@pytest.mark.parametrize("set_name", sorted(FLOORS["sets"]))
def test_corpus_floor(set_name: str) -> None:
    spec = FLOORS["sets"][set_name]
    if not (CORPUS / set_name).is_dir():
        pytest.skip(f"{set_name} absent")
    got = _metrics(score_set(set_name, spec.get("every", 1)))
    low = {
        k: (round(got.get(k, 0.0), 4), floor)
        for k, floor in spec["floors"].items()
        if got.get(k, 0.0) < floor
    }
    assert not low, f"{set_name} below floors (got, floor): {low}"


def test_floors_only_rise() -> None:
    try:
        old_raw = subprocess.run(
            ["git", "show", "HEAD:tests/quality_floors.json"],
            cwd=ROOT,
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("no committed floors to compare with")
    old = json.loads(old_raw)["sets"]
    for set_name, spec in old.items():
        new = FLOORS["sets"].get(set_name)
        assert new is not None, f"{set_name} floors removed"
        assert new.get("every", 1) == spec.get("every", 1), f"{set_name} sample changed"
        for key, floor in spec["floors"].items():
            assert new["floors"].get(key, -1.0) >= floor, f"{set_name}.{key} floor lowered"
