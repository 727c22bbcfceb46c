"""Adapters for ../shared/corpus/score.py: ours (``run``) and trafilatura (``run_trafilatura``).

    python ../shared/corpus/score.py ../shared/corpus/thinktanks \
        --adapter benchmarks/corpus_adapter.py:run
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scraper.extract import extract


def run(html: str, url: str | None) -> dict[str, Any]:
    """Our extractor in the scorer's shape."""
    a = extract(html, url)
    return {
        "title": a.title,
        "author": list(a.authors),
        "date": a.published.isoformat() if a.published else None,
        "body": a.body_text,
        "blocked": a.blocked,
    }


def run_trafilatura(html: str, url: str | None) -> dict[str, Any]:
    """trafilatura 2.x ``bare_extraction`` in the same shape (the peer we measure against)."""
    import trafilatura  # only the comparison needs it

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if doc is None:
        return {"title": None, "author": None, "date": None, "body": ""}
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    return {
        "title": data.get("title"),
        "author": data.get("author"),
        "date": data.get("date"),
        "body": data.get("text") or "",
    }
