"""Article extraction: one pure function from HTML to :class:`~scraper.models.Article`.

The cascade (:mod:`scraper.extract.cascade`) takes each field from the best place that has it:
per-source CSS rules, then schema.org JSON-LD, then ``<meta>`` (citation_*, OpenGraph,
``article:*``, Dublin Core, parsely) and ``<time>``, then heuristics over the DOM (headline,
byline, date line, body by text and link density). ``field_sources`` records which one won.
"""

from __future__ import annotations

from datetime import datetime

from scraper.config import RulesConfig
from scraper.extract.blocked import is_blocked
from scraper.extract.cascade import run
from scraper.gcpause import collector_paused
from scraper.models import Article

__all__ = ["extract", "is_blocked"]


def extract(
    html: str | bytes,
    url: str | None = None,
    rules: RulesConfig | None = None,
    *,
    language: str | None = None,
    timezone: str | None = None,
    now: datetime | None = None,
) -> Article:
    """Extract the article of one page; never raises.

    ``language`` and ``timezone`` are the source's defaults (month names, a date line without an
    offset); ``now`` bounds plausible dates (default: the current time). A challenge page gives
    ``Article(blocked=True)``; a page nothing can be made of gives an empty ``Article``.
    """
    try:
        with collector_paused():  # (its containers are freed by reference counting)
            return run(html, url, rules, language=language, timezone=timezone, now=now)
    except Exception:  # the contract: extraction never raises, whatever the input
        return Article(url=url)
