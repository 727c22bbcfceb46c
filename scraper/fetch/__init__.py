"""The polite, bounded fetcher (the I/O edge of ingest).

:class:`Fetcher` fetches one URL at a time into a :class:`~scraper.models.FetchResult`:
robots.txt (:mod:`.robots`), global and per-host politeness (:mod:`.politeness`), conditional
GET, retries (:mod:`.retry`), a wall-clock deadline, a cap on the decoded body
(:mod:`.decode`), charset decoding (:mod:`.charset`), manual redirects and challenge-page
detection, all inside (:mod:`.client`; answers become results in :mod:`.outcome`).
:func:`gunzip_capped` inflates a gzip sitemap the fetcher returned as raw bytes, with the same
kind of cap.
"""

from __future__ import annotations

from scraper.fetch.charset import decode_text
from scraper.fetch.client import Accept, Fetcher, FetchStats
from scraper.fetch.decode import gunzip_capped

__all__ = ["Accept", "FetchStats", "Fetcher", "decode_text", "gunzip_capped"]
