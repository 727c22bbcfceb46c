"""Deduplication: one article, one entry, across URLs, edits, re-runs and sources (pure).

Three identities, strongest first (details in each module and in ``docs/dedup.md``):

* :func:`canonical_url` / :func:`normalize_url` (``urls``): which page is this? The key the
  store keeps unique.
* :func:`content_hash` (``hashing``): did its content change? ``"v1:" + sha256`` of the
  normalised body.
* :func:`simhash` + :class:`SimHashIndex` (``simhash``): is it a copy of a piece we already
  have under another URL or source?
* :func:`short_signature` (``minhash``) + :class:`MinHashIndex` (``lsh``): the same question for
  short texts (under 150 words), where a 64-bit SimHash is weak: MinHash over the same shingles.

:func:`decide` (``decide``) turns them into a :class:`~scraper.models.Decision`.
"""

from __future__ import annotations

from scraper.dedup.decide import (
    MAX_CHANGES,
    MIN_CHANGE_INTERVAL,
    FingerprintIndex,
    SignatureIndex,
    decide,
    hash_version,
)
from scraper.dedup.hashing import CONTENT_HASH_VERSION, content_hash, normalize_text
from scraper.dedup.lsh import LinearMinHashIndex, MinHashIndex
from scraper.dedup.minhash import jaccard_estimate, short_signature, signature
from scraper.dedup.simhash import (
    MAX_DISTANCE,
    MIN_WORDS,
    SHINGLE_WORDS,
    LinearIndex,
    SimHashIndex,
    hamming,
    simhash,
    simhash_from_db,
    simhash_to_db,
    words,
)
from scraper.dedup.urls import (
    TRACKING_PARAMS,
    TRACKING_PREFIXES,
    canonical_url,
    normalize_url,
    registrable_domain,
    same_site,
    without_tracking,
)

__all__ = [
    "CONTENT_HASH_VERSION",
    "MAX_CHANGES",
    "MAX_DISTANCE",
    "MIN_CHANGE_INTERVAL",
    "MIN_WORDS",
    "SHINGLE_WORDS",
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "FingerprintIndex",
    "LinearIndex",
    "LinearMinHashIndex",
    "MinHashIndex",
    "SignatureIndex",
    "SimHashIndex",
    "canonical_url",
    "content_hash",
    "decide",
    "hamming",
    "hash_version",
    "jaccard_estimate",
    "normalize_text",
    "normalize_url",
    "registrable_domain",
    "same_site",
    "short_signature",
    "signature",
    "simhash",
    "simhash_from_db",
    "simhash_to_db",
    "without_tracking",
    "words",
]
