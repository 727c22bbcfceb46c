"""Turn a DOM subtree into a flat list of text blocks (paragraphs, headings, list items...).

The walk is iterative (a page of 10,000 nested ``<div>`` must not hit Python's recursion limit).
Each :class:`Block` keeps its text, a clean inline HTML rendering (links made absolute, only
``a``/``em``/``strong``/``code``/``sub``/``sup``/``br`` kept) and the class/id hints of its
element and ancestors, which the byline, date and boilerplate rules read.
"""

from __future__ import annotations

import html as htmllib
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

from selectolax.lexbor import LexborNode

from scraper.extract.text import clean, collapse, squeeze

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


@dataclass(slots=True)
class Block:
    """One paragraph-like unit of visible text."""

    kind: str  # "p", "h1".."h6", "li", "pre", "img"
    text: str
    html: str
    hints: str = ""  # lower-cased tag/class/id/itemprop of the element and 3 ancestors
    link_chars: int = 0
    list_id: int | None = None
    ordered: bool = False
    quote: bool = False
    node_id: int = 0
    rtl: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0


_HINT_ATTRS = ("class", "id", "itemprop", "rel", "role", "data-testid")


def _hint_part(node: LexborNode) -> str:
    """One element's share of :attr:`Block.hints` (lower-cased tag and hint attributes)."""
    attrs = node.attributes
    parts = [node.tag or ""]
    if attrs:
        for name in _HINT_ATTRS:
            v = attrs.get(name)
            if v:
                parts.append(v)
    return " ".join(parts).lower()


def _hints(
    node: LexborNode | None, depth: int = 4, parts_cache: dict[int, str] | None = None
) -> str:
    """Hints of ``node`` and its ``depth - 1`` ancestors (``parts_cache``: per-element parts
    already computed during the same walk, keyed by node id)."""
    parts: list[str] = []
    while node is not None and depth > 0:
        if parts_cache is None:
            parts.append(_hint_part(node))
        else:
            key = node.mem_id
            part = parts_cache.get(key)
            if part is None:
                part = parts_cache[key] = _hint_part(node)
            parts.append(part)
        node = node.parent
        depth -= 1
    return " ".join(parts)


@lru_cache(maxsize=4096)
def _join(base: str, href: str) -> str | None:
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def _escape(text: str) -> str:
    """``html.escape(text, quote=False)`` without the call when there is nothing to escape."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


class _Buffer:
    """Inline content being gathered for the next block."""

    __slots__ = ("html", "link_chars", "open", "text")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.html: list[str] = []
        self.open: list[tuple[int, str]] = []  # (node id, tag) of open inline elements
        self.link_chars = 0


class _Walker:
    def __init__(self, base_url: str | None, skip: frozenset[int]) -> None:
        self.base = base_url
        self.skip = skip
        self.blocks: list[Block] = []
        self.buf = _Buffer()
        self.block_node: LexborNode | None = None
        self.list_stack: list[tuple[int, bool]] = []
        self.quote_depth = 0
        self.link_depth = 0
        self.pre_depth = 0
        self.rtl_depth = 0
        self.kind_stack: list[str] = []
        self.last_br = False
        self.p_depth = 0
        self.rtl_ids: set[int] = set()  # elements with dir=rtl entered (left again in leave)
        self.hint_parts: dict[int, str] = {}
        self.hint_cache: dict[int, str] = {}

    def hints(self, node: LexborNode | None) -> str:
        if node is None:
            return ""
        key = node.mem_id
        found = self.hint_cache.get(key)
        if found is None:
            found = self.hint_cache[key] = _hints(node, parts_cache=self.hint_parts)
        return found

    def _abs(self, href: str) -> str | None:
        href = href.strip()
        if not href or href.startswith(("javascript:", "data:", "#", "vbscript:")):
            return None
        if href.startswith(("https://", "http://")):
            return href
        if self.base:
            return _join(self.base, href)
        return href

    def flush(self, node: LexborNode | None = None) -> None:
        buf = self.buf
        if not buf.text and not buf.html:
            return  # nothing gathered (link_chars and open inline tags come with these)
        if buf.text:
            raw = "".join(buf.text)
            cleaned = clean(raw)  # text nodes are cleaned here, once per block
            text = cleaned.strip() if self.pre_depth else squeeze(cleaned)
            if text:
                if len(cleaned) != len(raw):
                    # rare: characters to remove; the text pieces of the HTML (never "<...")
                    # get the same cleaning (it commutes with escaping)
                    buf.html = [h if h.startswith("<") else clean(h) for h in buf.html]
                for _, tag in reversed(buf.open):
                    buf.html.append(f"</{tag}>")
                kind = self.kind_stack[-1] if self.kind_stack else "p"
                src = node or self.block_node
                list_id, ordered = self.list_stack[-1] if self.list_stack else (None, False)
                self.blocks.append(
                    Block(
                        kind=kind,
                        text=text,
                        html="".join(buf.html).strip(),
                        hints=self.hints(src),
                        link_chars=min(buf.link_chars, len(text)),
                        list_id=list_id if kind == "li" else None,
                        ordered=ordered,
                        quote=self.quote_depth > 0,
                        node_id=src.mem_id if src is not None else 0,
                        rtl=self.rtl_depth > 0,
                    )
                )
        self.buf = _Buffer()
        # inline elements still open continue in the next block
        self.buf.open = []

    def text(self, value: str) -> None:
        if not value:
            return
        buf = self.buf
        if self.link_depth:
            buf.link_chars += len(value.strip())
        if not self.pre_depth and value.isspace():  # (same test as ``not value.strip()``)
            if buf.text and not buf.text[-1].endswith(" "):
                buf.text.append(" ")
                buf.html.append(" ")
            return
        buf.text.append(value)
        buf.html.append(_escape(value))  # cleaned in flush
        self.last_br = False

    def enter(self, node: LexborNode, tag: str) -> bool:
        """Handle an element start (``tag``: its tag); False to skip its subtree."""
        if tag in SKIP_TAGS or (self.skip and node.mem_id in self.skip):
            return False
        attrs = node.attributes
        if attrs:
            if "hidden" in attrs or attrs.get("aria-hidden") == "true":
                return False
            style = attrs.get("style")
            if style:
                style = style.replace(" ", "").lower()
                if "display:none" in style or "visibility:hidden" in style:
                    return False
            direction = attrs.get("dir")
            if direction and direction.lower() == "rtl":
                self.rtl_depth += 1
                self.rtl_ids.add(node.mem_id)
        if tag in _BLOCK_TAGS:
            self.flush()
            self.block_node = node
            if tag in _HEADINGS:
                self.kind_stack.append(tag)
            elif tag == "li":
                self.kind_stack.append("li")
            elif tag == "pre":
                self.kind_stack.append("pre")
                self.pre_depth += 1
            elif tag in {"p", "td", "th", "dd", "dt", "figcaption", "caption", "summary"}:
                self.kind_stack.append("p")
                if tag == "p":
                    self.p_depth += 1
            else:
                self.kind_stack.append(self.kind_stack[-1] if self.kind_stack else "p")
            if tag in {"ul", "ol"}:
                self.list_stack.append((node.mem_id, tag == "ol"))
            elif tag == "blockquote":
                self.quote_depth += 1
            return True
        if tag == "br":
            if not self.pre_depth and (self.last_br or not self.p_depth):
                # <br><br> separates paragraphs; outside a <p>, every <br> ends a line of its own
                self.flush()
                self.last_br = True
                return False
            self.buf.text.append("\n" if self.pre_depth else " ")
            self.buf.html.append("<br>")
            self.last_br = True
            return False
        if tag == "img":
            src = attrs.get("src") or attrs.get("data-src") or ""
            url = self._abs(src)
            if url:
                self.flush()
                alt = collapse(attrs.get("alt") or "")
                self.blocks.append(
                    Block(
                        kind="img",
                        text="",
                        html=f'<img src="{htmllib.escape(url)}" alt="{htmllib.escape(alt)}">',
                        hints=self.hints(node),
                        node_id=node.mem_id,
                        extra={"src": url, "alt": alt},
                    )
                )
            return False
        keep = _INLINE_KEEP.get(tag)
        if keep == "a":
            self.link_depth += 1
            href = self._abs(attrs.get("href") or "")
            if href:
                self.buf.html.append(f'<a href="{htmllib.escape(href)}">')
                self.buf.open.append((node.mem_id, "a"))
        elif keep:
            self.buf.html.append(f"<{keep}>")
            self.buf.open.append((node.mem_id, keep))
        return True

    def leave(self, node: LexborNode, tag: str) -> None:
        if self.rtl_depth and node.mem_id in self.rtl_ids:
            self.rtl_depth -= 1
        if tag in _BLOCK_TAGS:
            self.flush(node)
            if self.kind_stack:
                self.kind_stack.pop()
            if tag in {"ul", "ol"} and self.list_stack:
                self.list_stack.pop()
            elif tag == "blockquote" and self.quote_depth:
                self.quote_depth -= 1
            elif tag == "pre" and self.pre_depth:
                self.pre_depth -= 1
            elif tag == "p" and self.p_depth:
                self.p_depth -= 1
            return
        if tag == "a" and self.link_depth:
            self.link_depth -= 1
        opened = self.buf.open
        if not opened:
            return
        key = node.mem_id
        for i in range(len(opened) - 1, -1, -1):
            if opened[i][0] == key:
                # close it (and anything opened inside it that is still open)
                for _, t in reversed(opened[i:]):
                    self.buf.html.append(f"</{t}>")
                del opened[i:]
                break


def walk(
    root: LexborNode, base_url: str | None = None, skip: frozenset[int] = frozenset()
) -> list[Block]:
    """The blocks under ``root`` in document order (iterative, any depth)."""
    w = _Walker(base_url, skip)
    on_text, enter, leave = w.text, w.enter, w.leave
    # tags of the elements entered from ``root`` (inclusive) down to the current node's parent:
    # empty when the current node is ``root`` itself
    tags: list[str] = []
    node: LexborNode | None = root
    while node is not None:
        tag = node.tag or ""
        if tag == "-text":
            on_text(node.text_content or "")
        elif tag[:1].isalpha() and enter(node, tag):  # an element (not a comment)
            child = node.first_child
            if child is not None:
                tags.append(tag)
                node = child
                continue
            leave(node, tag)
        # climb until a next sibling exists
        while node is not None:
            if not tags:
                node = None  # back at root
                break
            nxt = node.next
            if nxt is not None:
                node = nxt
                break
            node = node.parent
            if node is not None:
                leave(node, tags.pop())
                if not tags:
                    node = None
                    break
    w.flush()
    return w.blocks
