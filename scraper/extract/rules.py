"""Per-source CSS rules from ``config.toml`` (``[sources.rules]``): they win over everything.

A selector that matches nothing simply gives nothing, so the generic cascade fills the field;
a selector lexbor rejects at run time is treated the same way (config validation already
refuses invalid ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.config import RulesConfig
from scraper.extract.boilerplate import remove_all
from scraper.extract.text import collapse

__all__ = ["RuleValues", "apply_removals", "read_rules"]


@dataclass(slots=True)
class RuleValues:
    """What the rules found (raw strings; the cascade parses and validates them)."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    date: list[str] = field(default_factory=list)
    summary: str | None = None
    body: LexborNode | None = None


def _select(tree: LexborHTMLParser, selector: str | None) -> list[LexborNode]:
    if not selector:
        return []
    try:
        return list(tree.css(selector))
    except Exception:  # lexbor refuses some selectors; the rule then finds nothing
        return []


def _value(node: LexborNode) -> str:
    attrs = node.attributes
    for name in ("content", "datetime", "title"):
        v = attrs.get(name)
        if v and (node.tag in {"meta", "time"} or name != "title"):
            return collapse(v)
    return collapse(node.text(deep=True, separator=" "))


def apply_removals(tree: LexborHTMLParser, rules: RulesConfig | None) -> None:
    """Delete the elements the rules' ``remove`` selectors name."""
    if rules is None:
        return
    for selector in rules.remove:
        remove_all(_select(tree, selector))


def read_rules(tree: LexborHTMLParser, rules: RulesConfig | None) -> RuleValues:
    """Evaluate the title/authors/date/summary/body selectors."""
    out = RuleValues()
    if rules is None:
        return out
    for node in _select(tree, rules.title)[:1]:
        out.title = _value(node) or None
    for node in _select(tree, rules.authors):
        v = _value(node)
        if v:
            out.authors.append(v)
    for node in _select(tree, rules.date)[:3]:
        attrs = node.attributes
        for name in ("datetime", "content"):
            attr = attrs.get(name)
            if attr and attr.strip():
                out.date.append(attr.strip())
        text = collapse(node.text(deep=True, separator=" "))
        if text:
            out.date.append(text)
    for node in _select(tree, rules.summary)[:1]:
        out.summary = _value(node) or None
    bodies = _select(tree, rules.body)
    if bodies:
        out.body = bodies[0]
    return out
