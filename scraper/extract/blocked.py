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

__all__ = ["PAGE_MAX", "is_blocked", "page_is_blocked"]

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
    "used cloudflare",  # (the "access denied | ... used cloudflare ..." title)
    "please wait",
    "_cf_chl_opt",
    "/cdn-cgi/challenge-platform/h/",
    "cf-error-details",
    "challenge-form",
    "challenge-running",
    "challenge-stage",
    "challenge-error-text",
)
# block pages are small: past this length only a decisive marker (or, for the fetcher, a
# header) makes a page a block page, and the extractor does not search it at all
PAGE_MAX = 120_000
_WEAK_MAX = PAGE_MAX
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


# _STRONG and _WEAK are all lower case: without a character that re.I equates with an ASCII
# letter (which includes the one whose lower case is longer, İ), searching the lower-cased page
# case-sensitively finds the same, lower-cased (and several times faster on a long page)
_STRONG_LOWER = re.compile(_STRONG.pattern)
_WEAK_LOWER = re.compile(_WEAK.pattern)  # (likewise: the same matches, lower-cased)


# The hints and literals are ASCII. Without İ or K (Kelvin), the only characters whose lower
# case is or holds an ASCII letter without being one, an ASCII string is in head.lower() exactly
# when its bytes are in the UTF-8 bytes of head with ASCII letters lowered (bytes below 0x80 are
# ASCII characters there and nothing else): those are much cheaper to make than head.lower().
_STRONG_HINT_BYTES = tuple(h.encode("ascii") for h in _STRONG_HINTS)
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


# Each search of a long page costs about the same whatever it seeks, so the bytes path asks
# fewer of them (the text path above keeps the hints as they are).
#
# _STRONG's <title> branch is "<title>", whitespace (what \s matches: the characters of
# str.isspace, all below U+3001, here in UTF-8), then one of four openings; the page is searched
# for "<title>" once, and each one found is tried there.
_SPACE = b"|".join(re.escape(chr(c).encode("utf-8")) for c in range(0x3001) if chr(c).isspace())
_TITLE_OPENING = re.compile(
    rb"<title>(?:" + _SPACE + rb")*(just a moment|attention required|please wait|access denied)"
)
# its other branches: each one holds one of these
_STRONG_OTHERS = (b"_cf_chl_opt", b"cf-error-details", b"challenge-")
_CHALLENGES = (
    b"/cdn-cgi/challenge-platform/h/",
    b"challenge-form",
    b"challenge-running",
    b"challenge-stage",
    b"challenge-error-text",
)
# _WEAK_LITERALS, those that share a piece sought once (a page without "captcha" has neither
# "px-captcha" nor "captcha-delivery.com"); a piece without literals is one itself
_WEAK_GROUPS: tuple[tuple[bytes, tuple[bytes, ...]], ...] = (
    (b"cf-wrapper", ()),
    (b"cf-browser-verification", ()),
    (b"cf_chl_", ()),
    (b"ray id:", ()),
    (b"performance &", (b"performance &amp; security by", b"performance & security by")),
    (b"checking your browser before accessing", ()),
    (b"verifying you are human", ()),
    (b"enable javascript and cookies to continue", ()),
    (b"has banned", ()),
    (b"incapsula", (b"incapsula incident id", b"_incapsula_resource")),
    (b"access to this page has been denied", ()),
    (b"captcha", (b"px-captcha", b"captcha-delivery.com")),
    (b"/_sec/cp_challenge", ()),
)


def _has_weak_literal(low: bytes) -> bool:
    """Whether one of :data:`_WEAK_LITERALS` is in ``low`` (lower-cased UTF-8)."""
    for piece, literals in _WEAK_GROUPS:
        if piece in low and (not literals or any(w in low for w in literals)):
            return True
    return False


def _has_twins(raw: bytes) -> bool:
    """Whether one of :data:`_CASE_TWINS` is in the text of the UTF-8 bytes ``raw``.

    İ ı ſ K are c4 b0, c4 b1, c5 bf and e2 84 aa in UTF-8: a single byte is sought several
    times faster than a sequence, and most pages have none of c4, c5 and aa.
    """
    return (
        (b"\xc4" in raw and (b"\xc4\xb0" in raw or b"\xc4\xb1" in raw))
        or (b"\xc5" in raw and b"\xc5\xbf" in raw)
        or (b"\xaa" in raw and b"\xe2\x84\xaa" in raw)
    )


def _may_be_strong(low: bytes) -> bool:
    """Whether :data:`_STRONG` may match the text of ``low`` (lower-cased UTF-8, no twins) and
    one of :data:`_STRONG_HINTS` is in it (the text path asks the same)."""
    denied = False
    start = low.find(b"<title>")
    while start >= 0:
        found = _TITLE_OPENING.match(low, start)
        if found is not None:
            if found.group(1) != b"access denied":
                return True  # (the opening is one of the hints)
            denied = True
        start = low.find(b"<title>", start + 7)
    others = [piece in low for piece in _STRONG_OTHERS]
    if others[0] or others[1] or (others[2] and any(c in low for c in _CHALLENGES)):
        return True
    # "access denied | ... used cloudflare ...": the hint is "used cloudflare"
    return denied and _has(low, _STRONG_HINTS, _STRONG_HINT_BYTES)


def is_blocked(
    html: str, status: int | None = None, headers: Mapping[str, str] | None = None
) -> bool:
    """Whether a response is a bot-protection page rather than the page asked for.

    ``headers`` may use any letter case. A ``cf-mitigated: challenge`` header alone is
    decisive; otherwise the body decides, with HTTP 403/429/503 lowering the bar.
    """
    return _verdict(html, status, headers, None)


def page_is_blocked(html: str, utf8: bytes | None) -> bool:
    """:func:`is_blocked` of a page (with no status or headers) whose UTF-8 bytes the caller
    may have (``utf8``), for the extractor.

    Challenge and ban pages are small (a few to a few dozen kB: the two real ones of the
    corpus are 5 and 18 kB), so a page longer than :data:`PAGE_MAX` characters is taken for
    the page asked for without being searched: most article pages are longer, and the marker
    search of their first 200,000 characters was about 4% of an extraction. The fetcher asks
    :func:`is_blocked` of every answer whatever its length, with its status and headers.
    """
    if len(html) > PAGE_MAX:
        return False
    return _verdict(html, None, None, utf8)


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
    raw = utf8 if utf8 is not None else head.encode("utf-8", "surrogatepass")
    if _has_twins(raw):
        return _text_verdict(head, len(html), status)
    low = raw.lower()
    if _may_be_strong(low) and _STRONG_LOWER.search(head.lower()) is not None:
        return True
    if len(html) > _WEAK_MAX:
        return False  # block pages are small; a long page is the real thing
    if not _has_weak_literal(low):
        return False
    if not _has(low, _CHEAP_HINTS, _CHEAP_HINT_BYTES):
        return False
    return _weak_verdict(_WEAK_LOWER.findall(head.lower()), head, status)


def _text_verdict(head: str, length: int, status: int | None) -> bool:
    """The verdict on a page holding a character of :data:`_CASE_TWINS` (on its lower case)."""
    low = head.lower()
    if _has(low, _STRONG_HINTS, _STRONG_HINT_BYTES) and _STRONG.search(head) is not None:
        return True
    if length > _WEAK_MAX:
        return False
    if not _has(low, _CHEAP_HINTS, _CHEAP_HINT_BYTES):
        return False
    return _weak_verdict(_WEAK.findall(head), head, status)


def _weak_verdict(weak: list[str], head: str, status: int | None) -> bool:
    """The verdict on a page whose weak markers (:data:`_WEAK` matches) are ``weak``."""
    if not weak:
        return False
    distinct = {w.lower() for w in weak}
    if status in {403, 429, 503} or len(distinct) >= 2:
        # a real article that merely quotes one phrase is long; a block page is short
        return _visible_length(head) < 3000
    return False
