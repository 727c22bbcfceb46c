"""Turn a response body into text: BOM, valid UTF-8, declared charset, detection, fallback.

selectolax assumes UTF-8, so the fetcher decodes first. The order:

1. a byte-order mark (UTF-8, UTF-16, UTF-32) is decisive;
2. a body that is valid UTF-8 *and* has non-ASCII bytes is UTF-8 whatever its label says (a
   multi-byte UTF-8 sequence almost never occurs by chance in legacy-encoded text, while
   "latin-1" labels on UTF-8 pages are common);
3. the ``Content-Type`` charset, then (first 4 KB) ``<meta charset>`` / ``http-equiv`` for HTML
   or the ``<?xml encoding=?>`` declaration for XML, each used only if it names a known codec
   that decodes the body without error;
4. ``charset-normalizer`` detection;
5. UTF-8 with replacement characters.

Labels are read as browsers read them (WHATWG): ``latin-1``/``iso-8859-1``/``ascii`` mean
windows-1252.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

__all__ = ["decode_text", "normalize_charset"]

_SNIFF_BYTES = 4096  # where <meta charset> and <?xml encoding?> must be
_DETECT_BYTES = 65_536  # the sample charset-normalizer looks at
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: same first two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WHATWG_ALIASES = {
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "windows-1252": "cp1252",
    "iso-8859-9": "cp1254",
    "tis-620": "cp874",
    "x-sjis": "shift_jis",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}
_META = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""",
    re.IGNORECASE,
)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)["']""")


def normalize_charset(label: str | None) -> str | None:
    """The Python codec for a charset label, or ``None`` when it names no known codec."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _WHATWG_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _declared_in_body(head: bytes, *, xml: bool) -> str | None:
    match = _XML_DECL.search(head) if xml else _META.search(head)
    if match is None and xml:
        match = _META.search(head)  # XHTML served as XML
    if match is None:
        return None
    return normalize_charset(match.group(1).decode("ascii", "replace"))


def decode_text(body: bytes, declared: str | None = None, *, xml: bool = False) -> tuple[str, str]:
    """Decode ``body``; returns ``(text, codec name)``. ``declared`` is the header's charset."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace"), encoding
    if not body.isascii():
        text = _strict(body, "utf-8")
        if text is not None:
            return text, "utf-8"
    head = body[:_SNIFF_BYTES]
    for candidate in (normalize_charset(declared), _declared_in_body(head, xml=xml)):
        if candidate is None:
            continue
        if candidate.startswith(("utf-16", "utf-32")):
            continue  # a label without a BOM on an ASCII-compatible document is a lie
        text = _strict(body, candidate)
        if text is not None:
            return text, candidate
    if not body.isascii():
        best = from_bytes(body[:_DETECT_BYTES]).best()
        detected = normalize_charset(best.encoding) if best is not None else None
        if detected is not None:
            return body.decode(detected, errors="replace"), detected
    return body.decode("utf-8", errors="replace"), "utf-8"
