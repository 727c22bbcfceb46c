"""Our own checker of RFC 4287 (Atom) rules, written from the RFC's text.

:func:`validate_atom` returns one line per problem (an empty list means valid) for the rules a
reader relies on:

* 4.1.1 / 4.1.2: a feed and each entry contain exactly one ``id``, ``title`` and ``updated``; at
  most one ``generator``/``icon``/``logo``/``rights``/``subtitle`` (feed) and
  ``content``/``published``/``rights``/``source``/``summary`` (entry); an ``author`` at feed
  level, entry level or inside the entry's ``source``; at most one ``link rel="alternate"`` per
  (type, hreflang); an entry without ``content`` has a ``link rel="alternate"``; an entry with
  out-of-line or base64 content has a ``summary``; entry ids are unique in the document.
* 3.1 text constructs: ``type`` is ``text``/``html``/``xhtml``; text and html hold no child
  elements; xhtml holds exactly one ``xhtml:div``.
* 4.1.3 content: ``type`` is text/html/xhtml or a non-composite MIME type, ``src`` content is
  empty, XML types hold one element, ``text/*`` types and html hold no elements.
* 3.2 person constructs: exactly one ``name``, at most one ``uri`` and ``email``.
* 3.3 dates: RFC 3339 ``date-time`` with upper-case ``T``/``Z``, a real calendar date.
* 4.2.6 ids are absolute IRIs; ``href``/``src``/``uri``/``icon``/``logo``/``scheme`` are IRIs
  (relative references only under an ``xml:base``); ``link`` has ``href``; ``rel`` is a
  registered name or an IRI; ``length`` is a number; ``category`` has ``term``.

Parsing is safe: no network, no DTD, no entity expansion; a DOCTYPE is itself a problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped]  # no stubs installed

__all__ = ["check_dir", "validate_atom"]

ATOM_NS = "http://www.w3.org/2005/Atom"
XHTML_NS = "http://www.w3.org/1999/xhtml"
_A = "{" + ATOM_NS + "}"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")
_IRI_REF = re.compile(r"^[^\s<>\"{}|\\^`]*$")
_MIME = re.compile(r"^[A-Za-z0-9!#$&^_.+\-]+/[A-Za-z0-9!#$&^_.+\-]+$")
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_EMAIL = re.compile(r"^[^@\s<>()\[\]]+@[^@\s<>()\[\]]+$")
_REL_NAME = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@%\-]+$")
_REGISTERED_RELS = frozenset(
    {"alternate", "related", "self", "enclosure", "via", "first", "last", "previous", "next",
     "hub", "license", "replies", "edit", "edit-media", "payment", "current", "icon"}
)  # fmt: skip

_FEED_CHILDREN = frozenset(
    {"author", "category", "contributor", "generator", "icon", "id", "link", "logo", "rights",
     "subtitle", "title", "updated", "entry"}
)  # fmt: skip
_ENTRY_CHILDREN = frozenset(
    {"author", "category", "content", "contributor", "id", "link", "published", "rights",
     "source", "summary", "title", "updated"}
)  # fmt: skip
_SOURCE_CHILDREN = _FEED_CHILDREN - {"entry"}
_TEXT_CONSTRUCTS = frozenset({"title", "subtitle", "summary", "rights"})
_DATES = frozenset({"updated", "published"})


def _safe_parser() -> etree.XMLParser:
    parser: etree.XMLParser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )
    return parser


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    found: list[etree._Element] = el.findall(_A + name)
    return found


def _local(el: etree._Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return etree.QName(tag).localname if tag.startswith("{") else tag


def _elements(el: etree._Element) -> Iterator[etree._Element]:
    """Child elements only (no comments or processing instructions)."""
    for child in el:
        if isinstance(child.tag, str):
            yield child


def _has_base(el: etree._Element) -> bool:
    node: etree._Element | None = el
    while node is not None:
        if node.get(_XML_BASE):
            return True
        node = node.getparent()
    return False


def _check_iri(value: str | None, what: str, el: etree._Element, out: list[str]) -> None:
    if value is None:
        return
    if _ABSOLUTE_IRI.match(value):
        if re.match(r"^https?:", value, re.I) and not re.match(r"^https?://[^/\s]+", value, re.I):
            out.append(f"{what}: {value!r} is an http(s) IRI without a host")
        return
    if not _IRI_REF.match(value):
        out.append(f"{what}: {value!r} is not an IRI reference")
    elif not _has_base(el):
        out.append(f"{what}: {value!r} is relative and no xml:base is in scope")


def _check_date(el: etree._Element, where: str, out: list[str]) -> None:
    name = _local(el)
    text = el.text or ""
    if list(_elements(el)):
        out.append(f"{where}: {name} must not contain elements")
    if not _DATE.match(text):
        out.append(f"{where}: {name} {text!r} is not an RFC 3339 date-time (upper-case T and Z)")
        return
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        out.append(f"{where}: {name} {text!r} is not a real date and time")


def _check_text_construct(el: etree._Element, where: str, out: list[str]) -> None:
    name = _local(el)
    kind = el.get("type", "text")
    kids = list(_elements(el))
    if kind in {"text", "html"}:
        if kids:
            out.append(f"{where}: {name} type={kind!r} must not contain child elements")
    elif kind == "xhtml":
        if len(kids) != 1 or kids[0].tag != "{" + XHTML_NS + "}div":
            out.append(f"{where}: {name} type='xhtml' must contain exactly one xhtml:div")
    else:
        out.append(f"{where}: {name} type={kind!r} is not text, html or xhtml")


def _check_content(el: etree._Element, where: str, out: list[str]) -> bool:
    """Check atom:content; return whether it requires a sibling atom:summary."""
    kind = el.get("type", "text")
    src = el.get("src")
    kids = list(_elements(el))
    needs_summary = False
    if src is not None:
        _check_iri(src, f"{where}: content src", el, out)
        if kids or (el.text or "").strip():
            out.append(f"{where}: content with src must be empty")
        needs_summary = True
        if kind in {"text", "html", "xhtml"}:
            out.append(f"{where}: content with src should have a MIME type, not {kind!r}")
        return needs_summary
    if kind in {"text", "html"}:
        if kids:
            out.append(f"{where}: content type={kind!r} must not contain child elements")
    elif kind == "xhtml":
        if len(kids) != 1 or kids[0].tag != "{" + XHTML_NS + "}div":
            out.append(f"{where}: content type='xhtml' must contain exactly one xhtml:div")
    elif not _MIME.match(kind):
        out.append(f"{where}: content type {kind!r} is not text, html, xhtml or a MIME type")
    elif kind.split("/")[0].lower() in {"multipart", "message"}:
        out.append(f"{where}: content type {kind!r} must not be a composite type")
    elif kind.endswith(("+xml", "/xml")):
        if len(kids) != 1:
            out.append(f"{where}: content type {kind!r} must contain exactly one element")
    elif kind.lower().startswith("text/"):
        if kids:
            out.append(f"{where}: content type {kind!r} must not contain child elements")
    else:  # base64
        if kids:
            out.append(f"{where}: base64 content type {kind!r} must not contain elements")
        needs_summary = True
    return needs_summary


def _check_person(el: etree._Element, where: str, out: list[str]) -> None:
    name = _local(el)
    names = _children(el, "name")
    if len(names) != 1:
        out.append(f"{where}: {name} must contain exactly one name (found {len(names)})")
    elif not (names[0].text or "").strip():
        out.append(f"{where}: {name} name is empty")
    uris = _children(el, "uri")
    if len(uris) > 1:
        out.append(f"{where}: {name} has more than one uri")
    for uri in uris:
        _check_iri((uri.text or "").strip(), f"{where}: {name} uri", uri, out)
    emails = _children(el, "email")
    if len(emails) > 1:
        out.append(f"{where}: {name} has more than one email")
    for email in emails:
        if not _EMAIL.match((email.text or "").strip()):
            out.append(f"{where}: {name} email {email.text!r} is not an addr-spec")


def _check_link(el: etree._Element, where: str, out: list[str]) -> None:
    href = el.get("href")
    if not href:
        out.append(f"{where}: link without href")
    else:
        _check_iri(href, f"{where}: link href", el, out)
    rel = el.get("rel")
    if rel is not None and rel not in _REGISTERED_RELS:
        if ":" in rel:
            _check_iri(rel, f"{where}: link rel", el, out)
        elif not _REL_NAME.match(rel):
            out.append(f"{where}: link rel {rel!r} is neither a registered name nor an IRI")
    media_type = el.get("type")
    if media_type is not None and not _MIME.match(media_type.split(";")[0].strip()):
        out.append(f"{where}: link type {media_type!r} is not a MIME media type")
    hreflang = el.get("hreflang")
    if hreflang is not None and not _LANG.match(hreflang):
        out.append(f"{where}: link hreflang {hreflang!r} is not a language tag")
    length = el.get("length")
    if length is not None and not length.isdigit():
        out.append(f"{where}: link length {length!r} is not a number of octets")


def _check_common(
    el: etree._Element,
    where: str,
    allowed: frozenset[str],
    single: set[str],
    out: list[str],
    *,
    required: tuple[str, ...] = ("id", "title", "updated"),
) -> None:
    """Cardinalities, unknown Atom elements, and the per-element checks shared by all levels."""
    counts: dict[str, int] = {}
    alternates: dict[tuple[str | None, str | None], int] = {}
    for child in _elements(el):
        if not str(child.tag).startswith(_A):
            continue  # foreign markup is allowed everywhere (section 6)
        name = _local(child)
        counts[name] = counts.get(name, 0) + 1
        if name not in allowed:
            out.append(f"{where}: atom:{name} is not allowed here")
        elif name in _TEXT_CONSTRUCTS:
            _check_text_construct(child, where, out)
        elif name in _DATES:
            _check_date(child, where, out)
        elif name in {"author", "contributor"}:
            _check_person(child, where, out)
        elif name == "link":
            _check_link(child, where, out)
            if child.get("rel", "alternate") == "alternate":
                key = (child.get("type"), child.get("hreflang"))
                alternates[key] = alternates.get(key, 0) + 1
        elif name == "category":
            if not child.get("term"):
                out.append(f"{where}: category without term")
            _check_iri(child.get("scheme"), f"{where}: category scheme", child, out)
        elif name in {"icon", "logo"}:
            _check_iri((child.text or "").strip(), f"{where}: {name}", child, out)
        elif name == "generator":
            _check_iri(child.get("uri"), f"{where}: generator uri", child, out)
        elif name == "id":
            value = (child.text or "").strip()
            if not value or not _ABSOLUTE_IRI.match(value):
                out.append(f"{where}: id {value!r} is not an absolute IRI")
    for name in required:
        if counts.get(name, 0) != 1:
            out.append(f"{where}: must contain exactly one {name} (found {counts.get(name, 0)})")
    for name in sorted(single):
        if counts.get(name, 0) > 1:
            out.append(f"{where}: must not contain more than one {name}")
    for (media_type, lang), n in sorted(alternates.items(), key=str):
        if n > 1:
            out.append(f"{where}: {n} alternate links with type={media_type!r} hreflang={lang!r}")


def _check_entry(el: etree._Element, where: str, feed_has_author: bool, out: list[str]) -> None:
    single = {"content", "published", "rights", "source", "summary", "id", "title", "updated"}
    _check_common(el, where, _ENTRY_CHILDREN, single, out)
    has_author = bool(_children(el, "author"))
    for source in _children(el, "source"):
        has_author = has_author or bool(_children(source, "author"))
        single_src = {"generator", "icon", "logo", "rights", "subtitle", "id", "title", "updated"}
        _check_common(source, f"{where} source", _SOURCE_CHILDREN, single_src, out, required=())
    if not has_author and not feed_has_author:
        out.append(f"{where}: no author in the entry, its source or the feed")
    contents = _children(el, "content")
    needs_summary = any(_check_content(c, where, out) for c in contents)
    if needs_summary and not _children(el, "summary"):
        out.append(f"{where}: content is out of line or base64, so a summary is required")
    links = _children(el, "link")
    if not contents and not any(x.get("rel", "alternate") == "alternate" for x in links):
        out.append(f"{where}: an entry without content needs a link rel='alternate'")


def validate_atom(data: bytes) -> list[str]:
    """Problems with the Atom document ``data`` under RFC 4287 (empty list: valid)."""
    try:
        doc = etree.fromstring(data, parser=_safe_parser()).getroottree()
    except etree.XMLSyntaxError as e:
        return [f"not well-formed XML: {e}"]
    out: list[str] = []
    if doc.docinfo.doctype:
        out.append("document has a DOCTYPE (not allowed here: no DTDs, no entities)")
    root = doc.getroot()
    if root.tag == _A + "entry":
        _check_entry(root, "entry", False, out)
        return out
    if root.tag != _A + "feed":
        return [*out, f"root element is {root.tag!r}, not atom:feed"]
    single = {"generator", "icon", "logo", "rights", "subtitle", "id", "title", "updated"}
    _check_common(root, "feed", _FEED_CHILDREN, single, out)
    feed_has_author = bool(_children(root, "author"))
    ids: dict[str, int] = {}
    for i, entry in enumerate(_children(root, "entry")):
        ids_found = _children(entry, "id")
        entry_id = (ids_found[0].text or "").strip() if ids_found else ""
        where = f"entry[{i}]" + (f" {entry_id}" if entry_id else "")
        _check_entry(entry, where, feed_has_author, out)
        if entry_id:
            if entry_id in ids:
                out.append(f"{where}: id also used by entry[{ids[entry_id]}]")
            else:
                ids[entry_id] = i
    return out


def check_dir(path: Path) -> dict[str, list[str]]:
    """Validate every ``*.atom`` under ``path``: relative POSIX path -> problems."""
    results: dict[str, list[str]] = {}
    for file in sorted(path.rglob("*.atom")):
        if file.is_file():
            results[file.relative_to(path).as_posix()] = validate_atom(file.read_bytes())
    return results
