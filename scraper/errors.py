"""One exception tree for the whole application.

::

    ScraperError                 base; ``hint`` tells the user how to fix it
    ├── ConfigError              the configuration file is missing or invalid (``problems``)
    ├── StoreError               the database cannot be opened, migrated or written
    │   └── LockedError          another process holds the database lock
    ├── FetchError               one URL could not be fetched (kept per source, never fatal)
    │   ├── RobotsDisallowed     robots.txt forbids the URL
    │   ├── BlockedError         a challenge/WAF page was served instead of content
    │   ├── TooLargeError        the decoded body exceeded the byte cap
    │   ├── DeadlineError        the wall-clock deadline of a request passed
    │   └── ContentTypeError     the response is not of a type we extract
    ├── DiscoveryError           a listing, sitemap or feed document could not be read
    ├── ExtractError             the page could not be turned into an article
    ├── FeedError                feeds could not be built or written
    └── MailError                a digest could not be rendered or delivered
        ├── SmtpAuthError        the SMTP server refused our credentials (stops a batch)
        ├── TemporaryMailError   a 4xx answer, dropped connection or timeout (retry later)
        └── PermanentMailError   a 5xx answer: this message to this recipient is refused

Errors become output only at the edges: the CLI prints ``str(error)`` plus the hint on one
line (a traceback only with ``-v``); a scheduled run records a failing source and carries on.
"""

from __future__ import annotations

__all__ = [
    "BlockedError",
    "ConfigError",
    "ContentTypeError",
    "DeadlineError",
    "DiscoveryError",
    "ExtractError",
    "FeedError",
    "FetchError",
    "LockedError",
    "MailError",
    "PermanentMailError",
    "RobotsDisallowed",
    "ScraperError",
    "SmtpAuthError",
    "StoreError",
    "TemporaryMailError",
    "TooLargeError",
]


class ScraperError(Exception):
    """Base of every error this application raises on purpose."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def one_line(self) -> str:
        """The message and its hint, as the single line a user sees."""
        text = str(self)
        return f"{text} (hint: {self.hint})" if self.hint else text


class ConfigError(ScraperError):
    """The configuration is invalid; ``problems`` holds one ``path: message`` line each."""

    def __init__(
        self, message: str, *, problems: list[str] | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems: list[str] = list(problems or [])


class StoreError(ScraperError):
    """The database cannot be opened, migrated or written."""


class LockedError(StoreError):
    """Another process holds the lock on this database."""


class FetchError(ScraperError):
    """A URL could not be fetched. ``url`` and ``status`` say which and how."""

    def __init__(
        self, message: str, *, url: str = "", status: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.url = url
        self.status = status


class RobotsDisallowed(FetchError):
    """robots.txt forbids fetching the URL (or could not be read: RFC 9309 says wait)."""


class BlockedError(FetchError):
    """A bot challenge or WAF block page was served instead of the content."""


class TooLargeError(FetchError):
    """The decoded body exceeded the configured byte cap."""


class DeadlineError(FetchError):
    """The overall wall-clock deadline of one request passed."""


class ContentTypeError(FetchError):
    """The response is of a content type we do not extract (PDF, image, ...)."""


class DiscoveryError(ScraperError):
    """A listing, sitemap or feed document could not be read (bad XML, refused entities, too big).

    The discovery driver turns it into one line of ``Discovery.errors`` and goes on with the
    other ways of the source.
    """


class ExtractError(ScraperError):
    """A page could not be turned into an article."""


class FeedError(ScraperError):
    """Feeds could not be rendered, validated or written."""


class MailError(ScraperError):
    """A digest could not be rendered or delivered."""


class SmtpAuthError(MailError):
    """The SMTP server refused our credentials: the whole batch stops."""


class TemporaryMailError(MailError):
    """A 4xx answer, a dropped connection or a timeout: try again later."""


class PermanentMailError(MailError):
    """A 5xx answer: this message to this recipient will not be accepted."""
