"""Text hygiene shared by every extraction step.

Everything that leaves the extractor goes through :func:`clean`: characters that XML 1.0 forbids
(C0 controls other than tab/newline/carriage return, lone UTF-16 surrogates, U+FFFE/U+FFFF) are
removed, because feed writers and databases choke on them.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "clean",
    "clean_utf8",
    "collapse",
    "collapse_checked",
    "decode",
    "normalize_words",
    "squeeze",
    "words",
]

# XML 1.0 Char production, negated: control chars, surrogates, U+FFFE/U+FFFF.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_WORD = re.compile(r"\w+", re.UNICODE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_ZERO_WIDTH = re.compile("[\u00ad\u200b\u200e\u200f\u2060\ufeff]")  # incl. soft hyphen
# both classes in one pass (removing characters commutes): clean() runs on every text node
_UNWANTED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff\u00ad\u200b\u200e\u200f\u2060\ufeff]"
)


# clean() of a long text (a whole page) without the regex scan: its ASCII controls are bytes of
# their own in UTF-8 (dropped by bytes.translate), the other characters are few and sought one
# by one, and a lone surrogate makes the encoding fail (then the regex does it all)
_LONG = 4096
_CONTROL_BYTES = bytes(c for c in range(0x20) if c not in b"\t\n\r") + b"\x7f"
_NON_ASCII_UNWANTED = tuple("\u00ad\u200b\u200e\u200f\u2060\ufeff\ufffe\uffff")
# their UTF-8 (c2 ad, e2 80 8b/8e/8f, e2 81 a0, ef bb bf, ef bf be/bf) each hold one of these
# bytes: bytes holding none of them have none of the characters (a byte is sought with memchr,
# several times faster than a character in a str)
_UNWANTED_GATES = (b"\xad", b"\x8b", b"\x8e", b"\x8f", b"\x81", b"\xef")


def clean(text: str) -> str:
    """``text`` without XML-invalid characters, lone surrogates and zero-width marks."""
    if len(text) < _LONG:
        # (every character removed is unprintable: a printable text is clean, and the C test
        # stops at the first unprintable one, often a newline)
        return text if text.isprintable() else _UNWANTED.sub("", text)
    return clean_utf8(text)[0]


def clean_utf8(text: str) -> tuple[str, bytes | None]:
    """:func:`clean` of ``text``, and its UTF-8 bytes when they come with it (a long text)."""
    if len(text) < _LONG:
        return _UNWANTED.sub("", text), None
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return _UNWANTED.sub("", text), None
    kept: bytes | None = raw.translate(None, _CONTROL_BYTES)
    if kept is not None and len(kept) != len(raw):
        text = kept.decode("utf-8")
    if not text.isascii() and (kept is None or any(g in kept for g in _UNWANTED_GATES)):
        for c in _NON_ASCII_UNWANTED:
            if c in text:
                text = text.replace(c, "")
                kept = None  # (no longer the text's bytes)
    return text, kept


def collapse(text: str) -> str:
    """Clean ``text`` and collapse every run of whitespace to one space."""
    return collapse_checked(text)[0]


def collapse_checked(text: str) -> tuple[str, bool]:
    """:func:`collapse` of ``text``, and whether cleaning it removed any character.

    Every character :func:`clean` removes is unprintable; those that are also whitespace (which
    :func:`squeeze` would take for spaces) are six controls. So when the squeezed text is
    printable and none of the six is in ``text``, there was nothing to clean (a C check that
    is cheaper than the search).
    """
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        # (the only printable whitespace is the space: already squeezed, and nothing to clean)
        return text, False
    squeezed = " ".join(text.split())
    if squeezed.isprintable() and not (
        "\x0b" in text
        or "\x0c" in text
        or "\x1c" in text
        or "\x1d" in text
        or "\x1e" in text
        or "\x1f" in text
    ):
        return squeezed, False
    cleaned = clean(text)
    return squeeze(cleaned), len(cleaned) != len(text)


def squeeze(text: str) -> str:
    """:func:`collapse` for text already cleaned."""
    # str.split() splits on exactly what ``\s`` matches (incl. U+00A0) and drops the ends
    return " ".join(text.split())


def words(text: str) -> list[str]:
    """The ``\\w+`` tokens of ``text``, NFKC-normalised and case-folded."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def normalize_words(text: str) -> str:
    """A comparison key: the words of ``text`` joined by single spaces."""
    return " ".join(words(text))


def decode(raw: bytes) -> str:
    """Decode page bytes: BOM, strict UTF-8, a ``<meta charset>``, else cp1252 (lossy).

    The fetcher normally hands us ``str``; this is the fallback for callers with bytes.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", "replace")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    m = _META_CHARSET.search(raw[:8192])
    if m:
        enc = m.group(1).decode("ascii", "ignore").lower()
        if enc in {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"}:
            enc = "cp1252"
        try:
            return raw.decode(enc, "replace")
        except LookupError:
            pass
    return raw.decode("cp1252", "replace")
