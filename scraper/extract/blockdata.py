"""One block of text (:class:`Block`) and the element entries its hints are read from.

:func:`scraper.extract.blocks.walk` makes the blocks; a walked block keeps the entry of its
element (and, through it, of the element's ancestors) and puts its hints together from them
only when they are first read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Block", "Entry"]


# An element the walk entered, as a list (cheaper to make than an object, and made for every
# element): [tag, attributes, parent's entry (None above the root's 3 ancestors), its share of
# the hints (filled in when first needed), the hints of a block from it (likewise), dir=rtl,
# what the walk does with its tag (:mod:`scraper.extract.blocks`)]
Entry = list[Any]


@dataclass(slots=True, init=False)
class Block:
    """One paragraph-like unit of visible text.

    ``hints`` holds the lower-cased tag/class/id/itemprop/rel/role/data-testid of the element
    and its 3 ancestors; a walked block puts them together when they are first read (most
    blocks are never asked).
    """

    kind: str  # "p", "h1".."h6", "li", "pre", "img"
    text: str
    html: str
    link_chars: int
    list_id: int | None
    ordered: bool
    quote: bool
    node_id: int
    rtl: bool
    extra: dict[str, str]
    _hints: str | None = field(repr=False, compare=False)
    _element: Entry | None = field(repr=False, compare=False)

    def __init__(
        self,
        kind: str,
        text: str,
        html: str,
        hints: str = "",
        link_chars: int = 0,
        list_id: int | None = None,
        ordered: bool = False,
        quote: bool = False,
        node_id: int = 0,
        rtl: bool = False,
        extra: dict[str, str] | None = None,
        *,
        element: Entry | None = None,
    ) -> None:
        self.kind = kind
        self.text = text
        self.html = html
        self.link_chars = link_chars
        self.list_id = list_id
        self.ordered = ordered
        self.quote = quote
        self.node_id = node_id
        self.rtl = rtl
        self.extra = {} if extra is None else extra
        self._hints = hints if element is None else None
        self._element = element

    @property
    def hints(self) -> str:
        """Lower-cased tag and hint attributes of the element and 3 ancestors."""
        found = self._hints
        if found is None:
            found = self._hints = _entry_hints(self._element)
        return found

    def inside(self, tag: str) -> bool:
        """Whether the block's element is a ``tag`` or sits in one (within the walked root)."""
        entry = self._element
        while entry is not None:
            if entry[0] == tag:
                return True
            entry = entry[2]
        return False

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0


_HINT_ATTRS = ("class", "id", "itemprop", "rel", "role", "data-testid")


def _hint_part(tag: str, attrs: dict[str, str | None]) -> str:
    """One element's share of :attr:`Block.hints` (lower-cased tag and hint attributes)."""
    parts = [tag]
    if attrs:
        for name in _HINT_ATTRS:
            v = attrs.get(name)
            if v:
                parts.append(v)
    return " ".join(parts).lower()


def _entry_hints(entry: Entry | None) -> str:
    """Hints of the element of ``entry`` and its 3 ancestors (cached in the entries)."""
    if entry is None:
        return ""
    found: str | None = entry[4]
    if found is None:
        parts: list[str] = []
        e: Entry | None = entry
        depth = 4
        while e is not None and depth > 0:
            part = e[3]
            if part is None:
                part = e[3] = _hint_part(e[0], e[1])
            parts.append(part)
            e = e[2]
            depth -= 1
        found = entry[4] = " ".join(parts)
    return found
