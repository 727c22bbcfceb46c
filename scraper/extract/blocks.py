"""Turn a DOM subtree into a flat list of text blocks (paragraphs, headings, list items...).

The walk is iterative (a page of 10,000 nested ``<div>`` must not hit Python's recursion limit).
Each :class:`Block` keeps its text, a clean inline HTML rendering (links made absolute, only
``a``/``em``/``strong``/``code``/``sub``/``sup``/``br`` kept) and the class/id hints of its
element and ancestors, which the byline, date and boilerplate rules read.
"""

from __future__ import annotations

import html as htmllib

from selectolax.lexbor import LexborNode

from scraper.extract.blockdata import Block, Entry
from scraper.extract.links import Resolver
from scraper.extract.text import clean, collapse, collapse_checked

__all__ = ["SKIP_TAGS", "Block", "walk"]

SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "iframe",
        "object",
        "embed",
        "canvas",
        "video",
        "audio",
        "map",
        "head",
        "title",
        "meta",
        "link",
        "button",
        "select",
        "textarea",
        "input",
        "option",
        "-comment",
        "dialog",
    }
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "nav",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "figure",
        "figcaption",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "td",
        "th",
        "caption",
        "address",
        "center",
        "hr",
        "form",
        "fieldset",
        "legend",
        "details",
        "summary",
        "body",
        "html",
        "hgroup",
        "menu",
        "picture",
        *_HEADINGS,
    }
)
_INLINE_KEEP = {"a": "a", "em": "em", "i": "em", "strong": "strong", "b": "strong", "code": "code"}
_INLINE_KEEP |= {"sub": "sub", "sup": "sup", "q": "q", "cite": "cite"}


def _ancestors(node: LexborNode) -> Entry | None:
    """Entries of the 3 ancestors of ``node`` (the walk's root), for its blocks' hints."""
    chain: list[LexborNode] = []
    parent = node.parent
    while parent is not None and len(chain) < 3:
        chain.append(parent)
        parent = parent.parent
    up: Entry | None = None
    for anc in reversed(chain):
        up = [anc.tag or "", anc.attributes, up, None, None, False, _OTHER]
    return up


def _escape(text: str) -> str:
    """``html.escape(text, quote=False)`` without the call when there is nothing to escape."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _quote(value: str) -> str:
    """``html.escape(value)`` (an attribute value), without the call when nothing is escaped."""
    if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
        return htmllib.escape(value)
    return value


_LISTS = frozenset({"ul", "ol"})

# What the walk does with an element of a tag (none: it is not entered)
_OTHER, _BLOCK, _BR, _IMG, _LINK, _INLINE, _KEPT = range(7)
_TEXT_ID, _COMMENT_ID = 2, 4  # lexbor's tag ids of text and comment nodes (``tag`` -text, -comment)


def _tag_kind(tag: str) -> tuple[str, int]:
    """``tag`` and what the walk does with its elements (:data:`_BLOCK`, ...)."""
    if not tag[:1].isalpha() or tag in SKIP_TAGS:
        return tag, _OTHER
    if tag in _BLOCK_TAGS:
        return tag, _BLOCK
    if tag == "br":
        return tag, _BR
    if tag == "img":
        return tag, _IMG
    keep = _INLINE_KEEP.get(tag)
    if keep == "a":
        return tag, _LINK
    return tag, _KEPT if keep else _INLINE


_TEXT_KINDS = frozenset({"p", "td", "th", "dd", "dt", "figcaption", "caption", "summary"})


def walk(
    root: LexborNode, base_url: str | None = None, *, skip_navigation: bool = False
) -> list[Block]:
    """The blocks under ``root`` in document order (iterative, any depth).

    One loop over the nodes (element start, text, element end) gathers inline content into
    a buffer that becomes a block when a block element starts or ends, at ``<br>`` lines and
    at images. ``skip_navigation`` leaves out ``<nav>`` and ``role=navigation`` elements with
    their subtrees.
    """
    resolve = Resolver(base_url)
    blocks: list[Block] = []
    # the inline content gathered for the next block
    text_parts: list[str] = []
    html_parts: list[str] = []
    opened: list[tuple[Entry, str]] = []  # inline elements open in it (entry, tag)
    link_chars = 0
    block_entry: Entry | None = None  # the block element entered last
    list_stack: list[tuple[int, bool]] = []  # (list id, ordered)
    kind_stack: list[str] = []
    quote_depth = link_depth = pre_depth = rtl_depth = p_depth = 0
    last_br = False

    def flush(src: Entry | None, src_node: LexborNode | None) -> None:
        """The gathered content as a block of ``src`` (its element ``src_node``), if any."""
        nonlocal link_chars
        if not text_parts and not html_parts:
            return  # nothing gathered (link_chars and open inline tags come with these)
        # (the loop checks this before most calls)
        if text_parts:
            raw = "".join(text_parts)
            # text nodes are cleaned here, once per block
            if pre_depth:
                cleaned = clean(raw)
                text, changed = cleaned.strip(), len(cleaned) != len(raw)
            else:
                text, changed = collapse_checked(raw)
            if text:
                if changed:
                    # rare: characters to remove; the text pieces of the HTML (never "<...")
                    # get the same cleaning (it commutes with escaping)
                    html_parts[:] = [h if h.startswith("<") else clean(h) for h in html_parts]
                for _, tag in reversed(opened):
                    html_parts.append(f"</{tag}>")
                kind = kind_stack[-1] if kind_stack else "p"
                list_id, ordered = list_stack[-1] if list_stack else (None, False)
                blocks.append(
                    Block(
                        kind,
                        text,
                        "".join(html_parts).strip(),
                        "",
                        min(link_chars, len(text)),
                        list_id if kind == "li" else None,
                        ordered,
                        quote_depth > 0,
                        src_node.mem_id if src_node is not None else 0,
                        rtl_depth > 0,
                        element=src,
                    )
                )
        text_parts.clear()
        html_parts.clear()
        opened.clear()  # inline elements still open continue in the next block, unmarked
        link_chars = 0

    block_node: LexborNode | None = None
    up = _ancestors(root)  # entry of the current node's parent
    stack: list[Entry] = []  # entries of the elements entered, root first
    nodes: list[LexborNode] = []  # their nodes
    kinds: dict[int, tuple[str, int]] = {}  # (tag, its _KIND) by the document's tag ids
    node: LexborNode | None = root
    while node is not None:
        entry: Entry | None = None  # of an element entered and without children
        tag_id = node.tag_id
        if tag_id == _TEXT_ID:
            value = node.text_content
            if value:
                if link_depth:
                    link_chars += len(value.strip())
                if not pre_depth and value.isspace():  # (same test as ``not value.strip()``)
                    if text_parts and not text_parts[-1].endswith(" "):
                        text_parts.append(" ")
                        html_parts.append(" ")
                else:
                    text_parts.append(value)
                    # (escaped as ``_escape`` does, without the call when there is nothing to)
                    html_parts.append(
                        _escape(value) if "&" in value or "<" in value or ">" in value else value
                    )  # cleaned in flush
                    last_br = False
            tag_kind = _OTHER
        elif tag_id == _COMMENT_ID:
            tag_kind = _OTHER
        else:
            found = kinds.get(tag_id)
            if found is None:
                found = _tag_kind(node.tag or "")
                if found[0].islower():  # (an SVG name keeps its capitals: not cached)
                    kinds[tag_id] = found
            tag, tag_kind = found
        if tag_kind:  # an element to enter
            attrs = node.attributes
            if (
                attrs
                and ("hidden" in attrs or "aria-hidden" in attrs or "style" in attrs)
                and _hidden(attrs)
            ) or (skip_navigation and (tag == "nav" or attrs.get("role") == "navigation")):
                pass
            else:
                rtl = False
                if attrs:
                    direction = attrs.get("dir")
                    if direction and direction.lower() == "rtl":
                        rtl_depth += 1
                        rtl = True
                entry = [tag, attrs, up, None, None, rtl, tag_kind]
                if tag_kind == _BLOCK:
                    if text_parts or html_parts:
                        flush(block_entry, block_node)
                    block_entry, block_node = entry, node
                    if tag in _HEADINGS:
                        kind_stack.append(tag)
                    elif tag == "li":
                        kind_stack.append("li")
                    elif tag == "pre":
                        kind_stack.append("pre")
                        pre_depth += 1
                    elif tag in _TEXT_KINDS:
                        kind_stack.append("p")
                        if tag == "p":
                            p_depth += 1
                    else:
                        kind_stack.append(kind_stack[-1] if kind_stack else "p")
                    if tag in _LISTS:
                        list_stack.append((node.mem_id, tag == "ol"))
                    elif tag == "blockquote":
                        quote_depth += 1
                elif tag_kind == _BR:
                    entry = None  # not entered
                    if not pre_depth and (last_br or not p_depth):
                        # <br><br> separates paragraphs; outside a <p>, every <br> ends a line
                        flush(block_entry, block_node)
                    else:
                        text_parts.append("\n" if pre_depth else " ")
                        html_parts.append("<br>")
                    last_br = True
                elif tag_kind == _IMG:
                    entry = None  # not entered
                    url = resolve(attrs.get("src") or attrs.get("data-src") or "")
                    if url:
                        flush(block_entry, block_node)
                        alt = collapse(attrs.get("alt") or "")
                        blocks.append(
                            Block(
                                "img",
                                "",
                                f'<img src="{_quote(url)}" alt="{_quote(alt)}">',
                                node_id=node.mem_id,
                                extra={"src": url, "alt": alt},
                                element=[tag, attrs, up, None, None, False, tag_kind],
                            )
                        )
                elif tag_kind == _LINK:
                    link_depth += 1
                    href = resolve(attrs.get("href") or "") if attrs else None
                    if href:
                        html_parts.append(f'<a href="{_quote(href)}">')
                        opened.append((entry, "a"))
                elif tag_kind != _INLINE:  # one of _INLINE_KEEP, kept as its own tag
                    keep = _INLINE_KEEP[tag]
                    html_parts.append(f"<{keep}>")
                    opened.append((entry, keep))
                if entry is not None:
                    child = node.first_child
                    if child is not None:
                        stack.append(entry)
                        nodes.append(node)
                        up = entry
                        node = child
                        continue
        # leave ``entry`` (an element without children, then each parent in turn) and move
        # on to the next sibling
        while True:
            if entry is not None:
                tag = entry[0]
                if entry[5]:
                    rtl_depth -= 1
                if entry[6] == _BLOCK:
                    if text_parts or html_parts:
                        flush(entry, node)
                    if kind_stack:
                        kind_stack.pop()
                    if tag in _LISTS and list_stack:
                        list_stack.pop()
                    elif tag == "blockquote" and quote_depth:
                        quote_depth -= 1
                    elif tag == "pre" and pre_depth:
                        pre_depth -= 1
                    elif tag == "p" and p_depth:
                        p_depth -= 1
                else:
                    if tag == "a" and link_depth:
                        link_depth -= 1
                    if opened:
                        for i in range(len(opened) - 1, -1, -1):
                            if opened[i][0] is entry:
                                # close it (and anything opened inside it that is still open)
                                for _, t in reversed(opened[i:]):
                                    html_parts.append(f"</{t}>")
                                del opened[i:]
                                break
            if not stack:  # ``node`` is the root
                node = None
                break
            nxt = node.next
            if nxt is not None:
                node = nxt
                break
            entry = stack.pop()
            node = nodes.pop()
            up = entry[2]
    flush(block_entry, block_node)
    return blocks


def _hidden(attrs: dict[str, str | None]) -> bool:
    """Whether an element's attributes hide it (``hidden``, ``aria-hidden``, inline style)."""
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    style = attrs.get("style")
    if not style:
        return False
    style = style.replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style
