"""Make text and HTML safe for feeds: XML-clean strings and allow-listed, absolute HTML.

Two jobs, both pure:

* :func:`clean_xml_text` drops what XML 1.0 cannot carry (C0 controls except TAB/LF/CR, lone
  surrogates, U+FFFE/U+FFFF; feedgen and lxml raise on them) and what it discourages and
  readers mangle (DEL, C1 controls, U+FDD0..U+FDEF).
* :func:`sanitize_html` runs an article's ``body_html`` through ``nh3`` (ammonia) with a short
  allow-list: no script/style/iframe/form/object/embed/base/meta (their content goes too), no
  event handlers or ``style``, only ``http``/``https``/``mailto`` URLs, every relative URL
  (``href``, ``src``, ``cite`` and each ``srcset`` candidate) resolved against the article URL,
  and ``rel="noopener noreferrer"`` on every link.

:data:`POLICY` names the sanitiser's behaviour (allow-lists, URL rules, ``nh3`` version): the
store records it beside HTML sanitised at ingest, and feed builds use such HTML as it is instead
of sanitising it again, unless the policy changed since (then they sanitise it anew).
"""

from __future__ import annotations

import hashlib
import re
from importlib.metadata import version
from urllib.parse import urljoin, urlsplit

import nh3

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "POLICY",
    "URL_SCHEMES",
    "clean_xml_text",
    "sanitize_html",
]

# What XML 1.0 (fifth edition) refuses in character data (C0 controls but TAB/LF/CR, lone
# surrogates, U+FFFE/U+FFFF), plus what it discourages (section 2.2) and readers mangle: DEL
# and the C1 controls (feedparser reads U+0080 as cp1252's euro sign) and U+FDD0..U+FDEF.
_XML_INVALID = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]"
)

URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
# Images (``srcset``) load without a click: no mailto there.
_IMAGE_SCHEMES: frozenset[str] = frozenset({"http", "https"})
# What a browser's URL parser ignores (WHATWG URL: leading/trailing C0 controls and spaces, every
# tab and newline), so ``jav&#x09;ascript:`` cannot hide its scheme from the check below.
_URL_EDGES = "".join(map(chr, range(0x21)))
_URL_TAB_NEWLINE = re.compile("[\t\n\r]")

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dfn",
        "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr",
        "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "picture", "pre", "q", "s", "samp",
        "small", "source", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
        "th", "thead", "time", "tr", "u", "ul",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "del": {"cite", "datetime"},
    "img": {"src", "srcset", "alt", "title", "width", "height", "sizes"},
    "ins": {"cite", "datetime"},
    "ol": {"start", "reversed"},
    "q": {"cite"},
    "source": {"srcset", "sizes", "media", "type"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope"},
    "time": {"datetime"},
    "*": {"lang", "dir"},
}

# Removed together with everything inside them (not just the tags).
_DROP_WITH_CONTENT: frozenset[str] = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math",
     "form", "select", "textarea", "button", "frame", "frameset", "applet", "base", "meta",
     "link", "title", "head"}
)  # fmt: skip

_LINK_REL = "noopener noreferrer"
# Raise when sanitize_html's own code changes what it outputs (the allow-lists and the nh3
# version are in POLICY already). 2: ``cite`` resolved and scheme-checked like ``href``.
_REVISION = 2


def _policy() -> str:
    spec = repr(
        (
            _REVISION,
            sorted(ALLOWED_TAGS),
            sorted((k, sorted(v)) for k, v in ALLOWED_ATTRIBUTES.items()),
            sorted(_DROP_WITH_CONTENT),
            sorted(URL_SCHEMES),
            _LINK_REL,
            version("nh3"),
        )
    )
    return f"nh3-{_REVISION}-" + hashlib.blake2b(spec.encode(), digest_size=8).hexdigest()


#: The sanitiser's behaviour as a short tag (see the module doc).
POLICY: str = _policy()


def clean_xml_text(text: str) -> str:
    """``text`` without characters XML 1.0 cannot hold or discourages (controls, surrogates)."""
    return _XML_INVALID.sub("", text)


def _absolute(url: str, base_url: str, schemes: frozenset[str] = _IMAGE_SCHEMES) -> str | None:
    """``url`` resolved against ``base_url``; ``None`` unless its scheme is one of ``schemes``.

    ``url`` is first stripped of what browsers ignore in URLs (see ``_URL_EDGES``), so the
    scheme checked is the one a browser would follow.
    """
    url = _URL_TAB_NEWLINE.sub("", url.strip(_URL_EDGES))
    if not url:
        return None
    try:
        resolved = urljoin(base_url, url) if base_url else url
        scheme = urlsplit(resolved).scheme.lower()
    except ValueError:
        return None
    return resolved if scheme in schemes else None


def _clean_srcset(value: str, base_url: str) -> str | None:
    """Each ``srcset`` candidate made absolute; unsafe candidates dropped."""
    out: list[str] = []
    for candidate in value.split(","):
        parts = candidate.strip().split()
        if not parts:
            continue
        url = _absolute(parts[0], base_url)
        if url is None:
            continue
        descriptor = [p for p in parts[1:2] if re.fullmatch(r"\d+(\.\d+)?[wx]", p)]
        out.append(" ".join([url.replace(",", "%2C"), *descriptor]))
    return ", ".join(out) or None


def _usable_base(base_url: str) -> str | None:
    try:
        parts = urlsplit(base_url)
    except ValueError:
        return None
    return base_url if parts.scheme in {"http", "https"} and parts.netloc else None


def sanitize_html(html: str, base_url: str) -> str:
    """An allow-listed copy of ``html`` with absolute URLs resolved against ``base_url``.

    >>> sanitize_html('<p onclick="x()"><a href="/a">a</a><script>x()</script></p>',
    ...               "https://example.org/post/1")
    '<p><a href="https://example.org/a" rel="noopener noreferrer">a</a></p>'
    """
    base = _usable_base(base_url)

    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if attr == "srcset":
            return _clean_srcset(value, base or "")
        if attr == "cite":  # a URL, but not one nh3 checks (only href and src)
            return _absolute(value, base or "", URL_SCHEMES)
        return value

    text = clean_xml_text(html)
    # The Python callback costs a GIL round trip per attribute: only when srcset or cite may
    # occur (looked for in what nh3 parses: a control character inside a name is gone there).
    lowered = text.lower()
    cleaned = nh3.clean(
        text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=attribute_filter if "srcset" in lowered or "cite" in lowered else None,
        strip_comments=True,
        link_rel=_LINK_REL,
        url_schemes=set(URL_SCHEMES),
        url_relative=("rewrite_with_base", base) if base else "deny",
    )
    return clean_xml_text(cleaned).strip()
