"""The counters of one source's run, frozen into a :class:`~scraper.models.SourceReport`.

The pipeline (:mod:`scraper.pipeline`) counts what happens to a source's links and articles in
a :class:`Tally` (fetched, new, updated, blocked, errors with their first messages, how often
extraction filled title, author, date and body) and turns it into the run's report at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from scraper.models import Article, FillRates, SourceReport

__all__ = ["MAX_MESSAGES", "Tally"]

MAX_MESSAGES = 20  # error lines kept per source and run


@dataclass(slots=True)
class Tally:
    """Mutable counters of one source's run (frozen into a SourceReport at the end)."""

    listing_pages: int = 0
    links_found: int = 0
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    not_modified: int = 0
    blocked: int = 0
    disallowed: int = 0
    errors: int = 0
    duplicates: int = 0
    extracted: int = 0
    with_title: int = 0
    with_author: int = 0
    with_date: int = 0
    with_body: int = 0
    messages: list[str] = field(default_factory=list)

    def error(self, message: str) -> None:
        """Count an error; its message is kept while fewer than :data:`MAX_MESSAGES` are."""
        self.errors += 1
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(message)

    def count_fields(self, article: Article) -> None:
        """Count an extracted article and which of its fields extraction filled."""
        self.extracted += 1
        self.with_title += bool(article.title)
        self.with_author += bool(article.authors)
        self.with_date += article.published is not None
        self.with_body += len(article.body_text) >= 200

    def report(self, source_id: str, started: datetime, finished: datetime) -> SourceReport:
        """The counts as the run's report (fill rates are shares of the extracted articles)."""
        n = self.extracted
        fill = (
            FillRates(
                title=self.with_title / n,
                author=self.with_author / n,
                date=self.with_date / n,
                body=self.with_body / n,
            )
            if n
            else FillRates()
        )
        counts: dict[str, Any] = {name: getattr(self, name) for name in _COUNTS}
        return SourceReport(
            source_id=source_id,
            started=started,
            finished=finished,
            error_messages=tuple(self.messages),
            fill=fill,
            **counts,
        )


#: The SourceReport counters a Tally keeps under the same names.
_COUNTS = tuple(
    f.name for f in fields(SourceReport) if f.type == "int" and f.name in Tally.__dataclass_fields__
)
