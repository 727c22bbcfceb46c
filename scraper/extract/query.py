"""Helpers for lexbor CSS queries (each one walks the whole tree: the extractor merges them)."""

from __future__ import annotations

from selectolax.lexbor import LexborNode

__all__ = ["distinct", "matches"]


def distinct(nodes: list[LexborNode]) -> list[LexborNode]:
    """``nodes`` without repeats: lexbor lists an element once per selector of a selector
    list that matches it (in document order otherwise)."""
    seen: set[int] = set()
    out: list[LexborNode] = []
    for node in nodes:
        key = node.mem_id
        if key not in seen:
            seen.add(key)
            out.append(node)
    return out


def matches(node: LexborNode, selector: str) -> bool:
    """Whether ``node`` itself matches ``selector``, as lexbor judges it (quirks mode included).

    A search of ``node`` lists ``node`` first when it matches (``css_matches`` would also say
    yes for a match among its descendants).
    """
    first = node.css_first(selector)
    return first is not None and first.mem_id == node.mem_id
