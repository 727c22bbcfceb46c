"""URL identity: :func:`normalize_url` and :func:`canonical_url` (pure, no I/O).

The normalised URL is an *identity key* (unique in the store, the seed of feed entry ids), not
a display link: the store keeps the fetched ``url`` for that. Rules, in order:

1. Scheme and host lower-cased; the host IDNA-encoded (``bücher.de`` -> ``xn--bcher-kva.de``),
   its trailing dot dropped; userinfo kept as is.
2. **Scheme rule: http is upgraded to https** (when no explicit non-default port is given), so
   the http and https variants of a page share one key. Think-tank sites all serve https today;
   a site that still serves only http gets an https *key*, never an https fetch.
3. Default ports (``:80``, ``:443``) dropped; the fragment dropped.
4. Path: percent-encoding normalised (hex upper-cased, unreserved characters decoded, spaces and
   non-ASCII encoded as UTF-8), dot segments resolved, empty path -> ``/``, ``;jsessionid=``
   path parameters dropped.
5. AMP variants mapped to the canonical page: an ``amp.`` host prefix, a ``/amp`` or ``/amp/``
   last segment, an ``.amp`` infix before the extension (``a.amp.html``), ``amp``/``amp=1``/
   ``amp=true``/``outputType=amp`` query parameters.
6. Query: tracking parameters removed (:data:`TRACKING_PARAMS`, :data:`TRACKING_PREFIXES`,
   case-insensitive); meaningful ones (``id``, ``p``, ``page``, ``lang``...) kept; pairs
   percent-normalised like the path (``+`` left alone) and sorted; empty query -> no ``?``.
7. Trailing slash (a per-host choice, from the source's config): ``keep`` leaves the path alone,
   ``strip`` removes one trailing ``/`` (never from the root), ``add`` appends ``/`` unless the
   last segment looks like a file (has a dot: ``report.pdf``).

Normalisation is idempotent: ``normalize_url(normalize_url(u)) == normalize_url(u)``.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import SplitResult, unquote, urljoin, urlsplit, urlunsplit

from scraper.models import Article

__all__ = [
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "TrailingSlash",
    "canonical_url",
    "normalize_url",
    "registrable_domain",
    "same_site",
    "without_tracking",
]

TrailingSlash = Literal["keep", "strip", "add"]

#: Query parameter names (lower-cased) that only track a click or a session.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        # ad / social click ids
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "twclid", "ttclid", "li_fat_id", "igshid", "igsh", "epik", "rb_clickid", "srsltid",
        "ysclid", "_openstat", "si",
        # mail and marketing automation
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp", "hsctatracking",
        "mkt_tok", "ml_subscriber", "ml_subscriber_hash", "sc_cid", "s_cid", "s_kwcid",
        "ncid", "cmpid", "sr_share", "ref_src", "ref_url", "__s", "_bta_tid", "_bta_c",
        "trk", "trkcampaign", "elqtrack", "elqtrackid", "elqcampaignid", "elq", "bsft_eid",
        "bsft_clkid", "bsft_uid", "bsft_mid", "wickedid", "_ke",
        # analytics cross-domain linkers
        "_ga", "_gl", "_hsfp",
        # sessions
        "phpsessid", "jsessionid", "aspsessionid", "sessionid", "cfid", "cftoken",
        # share widgets
        "sharesource", "at_medium", "at_campaign",
    }
)  # fmt: skip

#: Query parameter name prefixes (lower-cased) that only track.
TRACKING_PREFIXES: tuple[str, ...] = (
    "utm_",
    "oly_",
    "vero_",
    "ga_",
    "pk_",
    "mtm_",
    "piwik_",
    "matomo_",
    "wt.",
    "hsa_",
    "itm_",
    "_hs",
)

_AMP_VALUES = frozenset({"", "1", "true", "yes"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# RFC 3986 unreserved characters, never percent-encoded in a normal form.
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left literal in paths and query parts (reserved + "%" of existing escapes).
_PATH_SAFE = frozenset(b"!$&'()*+,;=:@/")
_QUERY_SAFE = frozenset(b"!$'()*+,;:@/?")  # "&" and "=" separate pairs; encoded inside parts
_PCT = re.compile(rb"%([0-9A-Fa-f]{2})")
_JSESSION = re.compile(r";jsessionid=[^/?#]*", re.IGNORECASE)
_AMP_INFIX = re.compile(r"(?:\.amp)+(\.[A-Za-z0-9]+)$", re.IGNORECASE)
# Two-level public suffixes we meet (no PSL dependency: an approximation, see registrable_domain).
_SECOND_LEVEL = frozenset(
    {"co", "com", "org", "net", "ac", "gov", "edu", "gob", "or", "ne", "go", "nic", "mil", "gv",
     "ltd", "plc", "sch", "nhs", "police", "res", "info", "biz", "int", "asso", "gouv"}
)  # fmt: skip


def _normalise_escapes(part: str, safe: frozenset[int]) -> str:
    """Percent-encoding in normal form: unreserved decoded, hex upper-case, unsafe encoded."""
    raw = part.encode("utf-8", "surrogatepass")
    out = bytearray()
    i = 0
    n = len(raw)
    while i < n:
        byte = raw[i]
        if byte == 0x25:  # "%"
            match = _PCT.match(raw, i)
            if match:
                value = int(match.group(1), 16)
                if value in _UNRESERVED:
                    out.append(value)
                else:
                    out += b"%%%02X" % value
                i += 3
                continue
            out += b"%25"  # a stray "%" is data
        elif byte in _UNRESERVED or byte in safe:
            out.append(byte)
        else:
            out += b"%%%02X" % byte
        i += 1
    return out.decode("ascii")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4."""
    if "." not in path:
        return path
    segments = path.split("/")
    out: list[str] = []
    for segment in segments[1:] if path.startswith("/") else segments:
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
    result = "/" + "/".join(out) if path.startswith("/") else "/".join(out)
    if segments[-1] in {".", ".."}:
        result = result.rstrip("/") + "/"
    return result


def _host(netloc_host: str) -> str:
    host = netloc_host.lower().rstrip(".")
    if host.startswith("[") or not host:
        return host
    if not host.isascii():
        try:
            host = ".".join(
                label.encode("idna").decode("ascii") if not label.isascii() else label
                for label in host.split(".")
            )
        except UnicodeError:
            host = _normalise_escapes(host, frozenset()).lower()
        host = host.rstrip(".")
    # an "amp." sub-domain, never the registrable domain itself (amp.co.uk)
    while host.startswith("amp.") and registrable_domain(host) != host:
        host = host[4:]
    return host


def _is_tracking(name: str) -> bool:
    key = name.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def without_tracking(url: str) -> str:
    """``url`` as a link to show: the tracking parameters of its query removed, nothing else
    touched (scheme, host, path, the order and escapes of the other parameters, fragment).

    Feeds and mails link to what was fetched, not to the identity key (:func:`normalize_url`
    upgrades the scheme and sorts the query), but a link that came from a newsletter keeps
    its ``utm_*`` and click ids only until here. Never raises.

    >>> without_tracking("https://x.org/a?utm_source=tw&id=7&fbclid=Z#top")
    'https://x.org/a?id=7#top'
    """
    if "?" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    kept = [
        item
        for item in parts.query.split("&")
        if item and not _is_tracking(unquote(item.partition("=")[0]))
    ]
    return urlunsplit(parts._replace(query="&".join(kept)))


def _is_amp_param(name: str, value: str) -> bool:
    key = name.lower()
    if key == "amp":
        return value.lower() in _AMP_VALUES
    return key == "outputtype" and value.lower() == "amp"


def _query(query: str) -> str:
    pairs: list[tuple[str, str, bool]] = []
    for item in query.split("&"):
        if not item:
            continue
        raw_name, equals, raw_value = item.partition("=")
        name = _normalise_escapes(raw_name, _QUERY_SAFE)
        value = _normalise_escapes(raw_value, _QUERY_SAFE)
        if _is_tracking(unquote(name)) or _is_amp_param(unquote(name), unquote(value)):
            continue
        pairs.append((name, value, bool(equals)))
    pairs.sort()
    return "&".join(f"{name}={value}" if equals else name for name, value, equals in pairs)


def _path(path: str, trailing_slash: str) -> str:
    path = _JSESSION.sub("", path)
    path = _normalise_escapes(path, _PATH_SAFE)
    path = _remove_dot_segments(path)
    if not path.startswith("/"):
        path = "/" + path
    # AMP: ".../amp" or ".../amp/" as the last segment, ".amp.html" infix
    while True:
        lowered = path.lower()
        if lowered.endswith("/amp"):
            path = path[:-4] or "/"
        elif lowered.endswith("/amp/"):
            path = path[:-4]
        else:
            break
    path = _AMP_INFIX.sub(r"\1", path)
    if trailing_slash == "strip":
        if len(path) > 1:
            path = path.rstrip("/") or "/"
    elif trailing_slash == "add":
        last = path.rsplit("/", 1)[-1]
        if last and "." not in last:
            path += "/"
    elif trailing_slash != "keep":
        raise ValueError(f"trailing_slash must be keep, strip or add, not {trailing_slash!r}")
    return path


def normalize_url(url: str, *, trailing_slash: str = "keep") -> str:
    """Return the identity key of ``url`` (see the module docstring for every rule).

    Never raises for odd input: a URL that cannot be split is returned stripped.

    >>> normalize_url("HTTP://Example.COM:80/a/./b/../c?utm_source=x&b=2&a=1#top")
    'https://example.com/a/c?a=1&b=2'
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. an unbalanced "[" in the host: nothing to normalise safely
        return url.strip()
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        # Not a web URL: only the scheme case and the fragment are normalised.
        other = url.strip().split("#", 1)[0].strip()
        if other[: len(scheme)].lower() == scheme:
            other = scheme + other[len(scheme) :]
        return other
    if not parts.hostname:
        return url.strip()  # "http:///x": no host, nothing to normalise safely
    try:
        port = parts.port
    except ValueError:
        port = None
    host = _host(parts.hostname or "")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    if port == _DEFAULT_PORTS[scheme]:
        port = None
    if scheme == "http" and port is None:
        scheme = "https"
    netloc = host if port is None else f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit(
        SplitResult(scheme, netloc, _path(parts.path, trailing_slash), _query(parts.query), "")
    )


def registrable_domain(host: str) -> str:
    """The registrable domain of ``host``, approximated without the Public Suffix List.

    The last two labels, or three when the second-to-last is a common second-level suffix of a
    two-letter country code (``co.uk``, ``com.au``, ``ac.ir``...). ``www.`` never matters.
    """
    labels = [label for label in host.lower().rstrip(".").split(".") if label]
    if len(labels) <= 2:
        return ".".join(labels)
    if len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(url_a: str, url_b: str) -> bool:
    """Whether two URLs share a registrable domain (``www.`` and sub-domains ignored)."""
    try:
        host_a = _host(urlsplit(url_a).hostname or "")
        host_b = _host(urlsplit(url_b).hostname or "")
    except ValueError:
        return False
    return bool(host_a) and registrable_domain(host_a) == registrable_domain(host_b)


def canonical_url(article: Article, final_url: str, *, trailing_slash: str = "keep") -> str:
    """The identity of a fetched article: its same-site canonical link, else its final URL.

    ``article.canonical_url`` (``rel=canonical`` / ``og:url``, filled by the extractor) is used
    when it is an http(s) URL on the same registrable domain as ``final_url`` and is not the
    site's home page while ``final_url`` is deeper (a common template bug). Either way the
    result is :func:`normalize_url`-ed, so http/https, AMP and tracking variants agree.
    """
    final = normalize_url(final_url, trailing_slash=trailing_slash)
    declared = (article.canonical_url or "").strip()
    if not declared:
        return final
    try:
        absolute = urljoin(final_url.strip(), declared)
        parts = urlsplit(absolute)
    except ValueError:
        return final
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return final
    if not same_site(absolute, final_url.strip()):
        return final
    candidate = normalize_url(absolute, trailing_slash=trailing_slash)
    if urlsplit(candidate).path == "/" and urlsplit(final).path != "/":
        return final
    return candidate
