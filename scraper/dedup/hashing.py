"""Exact content identity: :func:`content_hash` over normalised body text (pure).

The hash answers "did the article's content change?", so it must ignore what is not content:

* Unicode NFKC, then case folding; every Unicode decimal digit (Persian ``۱۲``, Arabic-Indic,
  full-width) read as its ASCII digit.
* Typography: curly quotes -> straight, dashes and minus signs -> ``-``, ellipsis -> ``...``,
  soft hyphens, zero-width characters (including the Persian ZWNJ half-space), BOMs, bidi
  marks and Arabic tatweel dropped; Arabic yeh/kaf read as Persian yeh/keheh.
* Whitespace: every run (spaces, tabs, newlines, blank lines between paragraphs, NBSP) becomes
  one space; leading and trailing whitespace dropped. A re-wrapped or re-indented page hashes
  the same.
* Volatile counters that pages embed in the body text are masked, so a page that shows
  "view 54" today and "view 61" tomorrow does not churn: view/visit counters ("view 54",
  "1,204 views", Persian "بازدید: ۵۴"), labelled counters ("Comments: 3", "Shares: 12"),
  "read 5 times", time-of-day stamps (``10:32``, ``10:32:05 pm``) and relative ages ("3 hours
  ago"). Dates and every other number stay: correcting "189,000 jobs" or "10,000 shares" is a
  change.

What still churns (a rotating "related articles" block the extractor let through) is bounded by
the churn cap in :func:`scraper.dedup.decide`.

The result is ``"v1:" + sha256 hex``; the prefix changes whenever these rules do, so the store
can tell a rule change (re-hash silently) from a content change.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["CONTENT_HASH_VERSION", "content_hash", "normalize_text"]

CONTENT_HASH_VERSION = "v1"

_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u00ad\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
        "\u0640",  # tatweel (kashida): justification, not content
    ),
    None,
)
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-",
        "\u2026": "...",
        # Arabic and Persian letter variants that sites and editors swap freely
        "\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9",
    }
)  # fmt: skip
_WHITESPACE = re.compile(r"\s+")
_NUMBER = r"\d+(?:[,.]\d+)*"
_COUNTERS = re.compile(
    rf"""
    \b(?:views?|visits?|visitors?)\s*[:：]?\s*{_NUMBER}
  | \b(?:comments?|shares?|likes?|reads?|hits)\s*[:：]\s*{_NUMBER}
  | \b{_NUMBER}\s*(?:views?|visits?|visitors?|comments?)\b
  | \bread\s+{_NUMBER}\s+times\b
  | (?:تعداد\s+بازدید|بازدید|نظرات|نظر|دیدگاه)\s*[:：]?\s*{_NUMBER}
  | {_NUMBER}\s*(?:بازدید|نظر|دیدگاه)
  | \b\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:\s*[ap]\.?m\.?)?(?!\w)
  | \b\d+\s*(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago\b
    """,
    re.VERBOSE,
)


def _ascii_digits(text: str) -> str:
    if text.isascii():
        return text
    return "".join(
        str(unicodedata.decimal(ch)) if not ch.isascii() and ch.isdecimal() else ch for ch in text
    )


def normalize_text(body_text: str) -> str:
    """The text :func:`content_hash` hashes (exposed for tests and debugging)."""
    text = unicodedata.normalize("NFKC", body_text).translate(_INVISIBLE)
    text = _ascii_digits(text).casefold().translate(_TYPOGRAPHY)
    text = _WHITESPACE.sub(" ", text).strip()
    return _COUNTERS.sub("#", text)


def content_hash(body_text: str) -> str:
    """Versioned hash of the normalised body: ``"v1:" + sha256 hex`` (64 hex digits).

    >>> content_hash("Hello   world") == content_hash("hello world\\n")
    True
    """
    digest = hashlib.sha256(normalize_text(body_text).encode("utf-8", "surrogatepass"))
    return f"{CONTENT_HASH_VERSION}:{digest.hexdigest()}"
