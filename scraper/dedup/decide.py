"""The dedup verdict for one extracted article: :func:`decide` (pure; the store carries it out).

Branches, in order:

* **existing, same content hash** -> ``UNCHANGED`` (a re-run announces nothing), unless the
  page now shows another ``title`` (whitespace aside; a page where none was found this time
  keeps the stored one): that is an edit like a new text, ``UPDATED`` under the same rules.
* **existing, hash of another rules version** (``v0:...`` vs ``v1:...``) -> ``UPDATED`` with
  ``count_change=False``: the store re-hashes silently, nobody sees an edit.
* **existing, different hash** -> ``UPDATED``. The change *counts* (Atom ``updated`` moves,
  ``change_count`` + 1) only while the churn cap allows it: at least ``min_change_interval``
  (24 h) since the last counted change and fewer than ``max_changes`` (20) counted changes in
  the article's life. Otherwise ``count_change=False``: the store keeps the new text and hash
  but leaves ``last_changed`` and ``change_count`` alone, so a page with an embedded clock or a
  rotating "related" box is updated at most once a day and at most 20 times, ever.
* **no existing row** -> ``NEW``; ``duplicate_of`` is the smallest (earliest) id among stored
  fingerprints within ``max_distance`` bits of ``simhash`` (none when ``simhash`` is ``None``).
  Without a SimHash match, a short text's MinHash ``signature`` (texts under 150 words, where a
  64-bit SimHash is weak: :func:`scraper.dedup.minhash.short_signature`) is looked up in
  ``minhash_index``: the earliest id with estimated Jaccard >= its threshold.

Every decision carries the serialised ``signature`` (``Decision.minhash``) so the store keeps
it -- only when the text also has a SimHash fingerprint (>= 30 words): shorter texts are looked
up but never stored, so two of them (templated pages) are never linked to each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from scraper.dedup.minhash import to_db
from scraper.dedup.simhash import MAX_DISTANCE
from scraper.models import ArticleIdentity, Decision, SaveAction

__all__ = [
    "MAX_CHANGES",
    "MIN_CHANGE_INTERVAL",
    "FingerprintIndex",
    "SignatureIndex",
    "decide",
    "hash_version",
]

#: Shortest time between two counted changes of one article.
MIN_CHANGE_INTERVAL = timedelta(hours=24)
#: Most counted changes in one article's life.
MAX_CHANGES = 20


class FingerprintIndex(Protocol):
    """What :func:`decide` needs of an index (:class:`SimHashIndex`, :class:`LinearIndex`)."""

    def query(self, h: int, max_distance: int | None = None) -> list[tuple[int, int]]: ...


class SignatureIndex(Protocol):
    """What :func:`decide` needs of a MinHash index (:class:`MinHashIndex`)."""

    def query(
        self, sig: Sequence[int], threshold: float | None = None
    ) -> list[tuple[int, float]]: ...


def hash_version(content_hash: str) -> str:
    """The rules version of a content hash (``"v1"`` for ``"v1:ab12..."``; ``""`` if none)."""
    version, sep, _ = content_hash.partition(":")
    return version if sep else ""


def _retitled(stored: str | None, found: str | None) -> bool:
    """Whether the page's title differs from the stored one (whitespace runs aside)."""
    if found is None or not found.strip():
        return False  # not found this time: keep what we have
    return " ".join(found.split()) != " ".join((stored or "").split())


def _counts(existing: ArticleIdentity, now: datetime, interval: timedelta, cap: int) -> bool:
    if existing.change_count >= cap:
        return False
    return now - existing.last_changed >= interval


def decide(
    existing: ArticleIdentity | None,
    *,
    canonical_url: str,
    content_hash: str,
    simhash: int | None,
    index: FingerprintIndex,
    now: datetime,
    max_distance: int = MAX_DISTANCE,
    min_change_interval: timedelta = MIN_CHANGE_INTERVAL,
    max_changes: int = MAX_CHANGES,
    same_content: int | None = None,
    minhash_index: SignatureIndex | None = None,
    signature: Sequence[int] | None = None,
    title: str | None = None,
) -> Decision:
    """Decide what storing this article means (see the module docstring for the branches).

    ``existing`` is ``store.identity(canonical_url)``; ``index`` holds the fingerprints of the
    stored non-duplicate articles (``store.simhashes()``); ``now`` must be timezone-aware like
    the store's datetimes. ``same_content`` is the earliest stored first copy with exactly
    this content hash (``store.first_with_hash``): it links texts too short to fingerprint.
    ``signature`` is the MinHash signature of a short text (``None`` otherwise) and
    ``minhash_index`` the signatures of the stored first copies (``store.minhashes()``);
    ``Decision.minhash`` is the signature to store (``None`` without a SimHash fingerprint).
    ``title`` is the page's title now (compared with ``existing.title``).
    """
    minhash = None if signature is None or simhash is None else to_db(signature)
    if existing is not None:
        if existing.content_hash == content_hash and not _retitled(existing.title, title):
            return Decision(
                action=SaveAction.UNCHANGED,
                canonical_url=canonical_url,
                content_hash=content_hash,
                simhash=simhash,
                article_id=existing.id,
                duplicate_of=existing.duplicate_of,
                count_change=False,
                minhash=minhash,
            )
        same_rules = hash_version(existing.content_hash) == hash_version(content_hash)
        return Decision(
            action=SaveAction.UPDATED,
            canonical_url=canonical_url,
            content_hash=content_hash,
            simhash=simhash,
            article_id=existing.id,
            duplicate_of=existing.duplicate_of,
            count_change=same_rules and _counts(existing, now, min_change_interval, max_changes),
            minhash=minhash,
        )
    duplicate_of: int | None = None
    if simhash is not None:
        matches = index.query(simhash, max_distance)
        if matches:
            duplicate_of = min(article_id for article_id, _ in matches)
    if duplicate_of is None and signature is not None and minhash_index is not None:
        similar = minhash_index.query(signature)
        if similar:
            duplicate_of = min(article_id for article_id, _ in similar)
    if same_content is not None:
        duplicate_of = min(same_content, duplicate_of or same_content)
    return Decision(
        action=SaveAction.NEW,
        canonical_url=canonical_url,
        content_hash=content_hash,
        simhash=simhash,
        duplicate_of=duplicate_of,
        minhash=minhash,
    )
