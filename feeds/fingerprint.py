"""Fingerprints of feeds: a digest of everything a feed's bytes depend on.

:func:`feed_fingerprint` digests a feed's spec, every field of its articles, their sources'
names and links, the first copies of near-duplicates and a salt (code and library versions, see
:func:`feeds.buildstate.salt`). ``feeds.publish`` skips rendering a feed whose fingerprint and
files did not change since the last build. Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import fields

import msgspec

from feeds.model import FeedSpec
from scraper.models import StoredArticle

__all__ = ["feed_fingerprint"]


_DIGESTED_FIELDS = ("body_html", "body_text")
_MAPPING_FIELDS = tuple(f.name for f in fields(StoredArticle) if str(f.type).startswith("Mapping"))
_PLAIN_FIELDS = tuple(
    f.name
    for f in fields(StoredArticle)
    if f.name not in _DIGESTED_FIELDS and f.name not in _MAPPING_FIELDS
)
# JSON of the other fields: datetimes as RFC 3339 with their offset (what the writers print),
# anything msgspec does not know by its repr
_ENCODER = msgspec.json.Encoder(enc_hook=repr)


def _fields_bytes(values: list[object]) -> bytes:
    try:
        return b"j" + _ENCODER.encode(values)
    except UnicodeEncodeError:  # a lone surrogate: msgspec writes strict UTF-8 only
        return b"r" + repr(values).encode("utf-8", "surrogatepass")


def _article_key(
    article: StoredArticle, source_names: Mapping[str, str], source_links: Mapping[str, str]
) -> bytes:
    """A digest of every field of ``article`` and its source's name/link.

    The bodies go into the hash as they are (each after its length), the other fields as JSON
    (:func:`_fields_bytes`); SHA-256 is the fastest of hashlib's hashes on CPUs with SHA
    extensions.
    """
    h = hashlib.sha256()
    for name in _DIGESTED_FIELDS:
        data = str(getattr(article, name)).encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    values: list[object] = [getattr(article, name) for name in _PLAIN_FIELDS]
    values.extend(sorted(getattr(article, name).items()) for name in _MAPPING_FIELDS)
    values.append((source_names.get(article.source_id), source_links.get(article.source_id)))
    h.update(_fields_bytes(values))
    return h.digest()[:16]


def feed_fingerprint(
    spec: FeedSpec,
    articles: Sequence[StoredArticle],
    *,
    source_names: Mapping[str, str],
    source_links: Mapping[str, str],
    originals: Mapping[int, StoredArticle],
    salt: str,
    memo: dict[int, bytes] | None = None,
) -> str:
    """A digest of everything :func:`feeds.model.feed_entries` and the writers read for a feed.

    Every field of every article (bodies by digest; new ``StoredArticle`` fields are included
    automatically), the spec, the names/links of the articles' sources, the first copies of
    near-duplicates and ``salt`` (code and library versions). Equal fingerprints give equal
    bytes, so a build can skip rendering a feed whose fingerprint did not change. ``memo``
    (article id -> digest) lets one build digest an article once for all its feeds; share it
    only between calls with the same ``source_names`` and ``source_links``.
    """
    h = hashlib.blake2b(digest_size=20)

    def put(value: object) -> None:
        h.update(repr(value).encode("utf-8", "surrogatepass"))
        h.update(b"\x00")

    put(salt)
    put(spec)
    for a in articles:
        key = memo.get(a.id) if memo is not None else None
        if key is None:
            key = _article_key(a, source_names, source_links)
            if memo is not None:
                memo[a.id] = key
        h.update(key)
        if a.duplicate_of is not None and spec.include_duplicates:
            first = originals.get(a.duplicate_of)
            put(
                None
                if first is None
                else (first.url, first.title, first.source_id, source_names.get(first.source_id))
            )
    return h.hexdigest()
