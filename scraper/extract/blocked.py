"""Recognise bot-protection pages (Cloudflare challenges and bans, generic WAF blocks).

A challenge page is never an article: the fetcher classifies it as ``BLOCKED`` and the extractor
returns ``Article(blocked=True)`` with no content. Detection looks at markers that only these
pages carry (the ``Just a moment...`` interstitial, ``_cf_chl_opt``, ``cf-wrapper`` /
``cf-error-details`` of error pages 1006-1020, the ``cf-mitigated`` header) and, for a 403/429/503
answer, at a short page that talks about verifying the visitor.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["is_blocked", "page_is_blocked"]

_HEAD_BYTES = 200_000  # markers live at the top of these small pages

# Markers that are decisive on their own: they only occur on challenge/ban pages.
_STRONG = re.compile(
    r"<title>\s*(?:just a moment\.{0,3}|attention required!? \| cloudflare"
    r"|access denied \| [^<]* used cloudflare[^<]*|please wait\.{0,3} \| cloudflare)\s*</title>"
    r"|window\._cf_chl_opt|/cdn-cgi/challenge-platform/h/|id=[\"']?cf-error-details"
    r"|id=[\"']?challenge-(?:form|running|stage|error-text)[\"' >]",
    re.I,
)
# Markers that need a second hint (a small page, or an error status).
_WEAK = re.compile(
    r"id=[\"']?cf-wrapper|cf-browser-verification|cf_chl_|ray id:|performance &amp; security by"
    r"|performance & security by|checking your browser before accessing|verifying you are human"
    r"|enable javascript and cookies to continue|the owner of this website \([^)]*\) has banned"
    r"|request unsuccessful\. incapsula incident id|access to this page has been denied"
    r"|px-captcha|captcha-delivery\.com|_incapsula_resource|/_sec/cp_challenge",
    re.I,
)
# substrings of the decisive markers: the regex runs only when one of them is present
_STRONG_HINTS = (
    "just a moment",
    "attention required",
    "cloudflare</title>",
    "please wait",
    "_cf_chl_opt",
    "/cdn-cgi/challenge-platform/h/",
    "cf-error-details",
    "challenge-form",
    "challenge-running",
    "challenge-stage",
    "challenge-error-text",
)
_WEAK_MAX = 120_000
# every weak marker contains one of these; most pages contain none, so they skip the regex
_CHEAP_HINTS = (
    "just a moment",
    "cloudflare",
    "_cf_chl",
    "cf-",
    "challenge",
    "ray id",
    "checking your browser",
    "verifying you are human",
    "enable javascript and cookies",
    "has banned",
    "incapsula",
    "access to this page has been denied",
    "captcha",
    "cp_challenge",
    "please wait",
)
# one fixed piece of each _WEAK alternative, lower-cased: when none is in the page, _WEAK cannot
# match and its (slow, case-insensitive, many-branch) scan is skipped. Under re.I only these
# non-ASCII characters match ASCII letters, so a page holding one is scanned anyway.
_WEAK_LITERALS = (
    "cf-wrapper",
    "cf-browser-verification",
    "cf_chl_",
    "ray id:",
    "performance &amp; security by",
    "performance & security by",
    "checking your browser before accessing",
    "verifying you are human",
    "enable javascript and cookies to continue",
    "has banned",
    "incapsula incident id",
    "access to this page has been denied",
    "px-captcha",
    "captcha-delivery.com",
    "_incapsula_resource",
    "/_sec/cp_challenge",
)
_CASE_TWINS = ("\u0130", "\u0131", "\u017f", "\u212a")  # İ ı ſ K (Kelvin)
_TAG = re.compile(r"<[^>]*>|&[a-z#0-9]+;", re.I)
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)


def _visible_length(page: str) -> int:
    return len(" ".join(_TAG.sub(" ", _SCRIPT.sub(" ", page)).split()))


# _STRONG is all lower case: without a character that re.I equates with an ASCII letter (which
# includes the one whose lower case is longer, İ), searching the lower-cased page case-sensitively
# finds the same (and several times faster on a long page)
_STRONG_LOWER = re.compile(_STRONG.pattern)


def _strong(head: str, low: str) -> bool:
    if any(c in head for c in _CASE_TWINS):
        return _STRONG.search(head) is not None
    return _STRONG_LOWER.search(low) is not None


# The hints and literals are ASCII. Without İ or K (Kelvin), the only characters whose lower
# case is or holds an ASCII letter without being one, an ASCII string is in head.lower() exactly
# when its bytes are in the UTF-8 bytes of head with ASCII letters lowered (bytes below 0x80 are
# ASCII characters there and nothing else): those are much cheaper to make than head.lower().
_STRONG_HINT_BYTES = tuple(h.encode("ascii") for h in _STRONG_HINTS)
_WEAK_LITERAL_BYTES = tuple(h.encode("ascii") for h in _WEAK_LITERALS)
_CHEAP_HINT_BYTES = tuple(h.encode("ascii") for h in _CHEAP_HINTS)


# the markers holding "challenge" are sought only where that word is (one search instead of six)
_GATE, _GATE_BYTES = "challenge", b"challenge"


def _has(low: str | bytes, texts: tuple[str, ...], raw: tuple[bytes, ...]) -> bool:
    """Whether one of ``texts`` is in ``low`` (lower-cased str, or lower-cased UTF-8 bytes)."""
    if isinstance(low, str):
        gated = _GATE in low
        return any(t in low for t in texts if gated or _GATE not in t)
    gated = _GATE_BYTES in low
    return any(r in low for r in raw if gated or _GATE_BYTES not in r)


def is_blocked(
    html: str, status: int | None = None, headers: Mapping[str, str] | None = None
) -> bool:
    """Whether a response is a bot-protection page rather than the page asked for.

    ``headers`` may use any letter case. A ``cf-mitigated: challenge`` header alone is
    decisive; otherwise the body decides, with HTTP 403/429/503 lowering the bar.
    """
    return _verdict(html, status, headers, None)


def page_is_blocked(html: str, utf8: bytes | None) -> bool:
    """:func:`is_blocked` of a page whose UTF-8 bytes the caller may have (``utf8``)."""
    return _verdict(html, None, None, utf8 if len(html) <= _HEAD_BYTES else None)


def _verdict(
    html: str, status: int | None, headers: Mapping[str, str] | None, utf8: bytes | None
) -> bool:
    if headers:
        for key, value in headers.items():
            if key.lower() == "cf-mitigated" and "challenge" in value.lower():
                return True
    if not html:
        return False
    head = html[:_HEAD_BYTES]
    twins = any(c in head for c in _CASE_TWINS)
    if twins:
        low: str | bytes = head.lower()
    else:
        low = (utf8 if utf8 is not None else head.encode("utf-8", "surrogatepass")).lower()
    if _has(low, _STRONG_HINTS, _STRONG_HINT_BYTES) and _strong(
        head, low if isinstance(low, str) else head.lower()
    ):
        return True
    if len(html) > _WEAK_MAX:
        return False  # block pages are small; a long page is the real thing
    if not twins and not _has(low, _WEAK_LITERALS, _WEAK_LITERAL_BYTES):
        return False
    if not _has(low, _CHEAP_HINTS, _CHEAP_HINT_BYTES):
        return False
    weak = _WEAK.findall(head)
    if not weak:
        return False
    distinct = {w.lower() for w in weak}
    if status in {403, 429, 503} or len(distinct) >= 2:
        # a real article that merely quotes one phrase is long; a block page is short
        return _visible_length(head) < 3000
    return False
