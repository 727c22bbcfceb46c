"""The extraction cascade: rules > JSON-LD > meta > heuristics, field by field.

Reads like a recipe (cf. trafilatura's ``metadata.py``): each step only fills what is still
empty, except dates, where every candidate is parsed and validated and :mod:`datepick` decides.
"""

from __future__ import annotations

import contextlib
import html as html_lib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

from scraper.config import RulesConfig
from scraper.extract import datepick
from scraper.extract.authors import byline_authors, clean_authors, explicit_byline, strip_roles
from scraper.extract.blocked import is_blocked
from scraper.extract.blocks import Block, walk
from scraper.extract.body import find_body
from scraper.extract.boilerplate import prune, trim_blocks
from scraper.extract.jsonld import LdArticle, read_jsonld
from scraper.extract.meta import (
    AUTHOR_KEYS,
    MODIFIED_KEYS,
    PUBLISHED_KEYS,
    read_meta,
)
from scraper.extract.render import first_sentences, render_html, render_text
from scraper.extract.rules import apply_removals, read_rules
from scraper.extract.text import clean, collapse, decode, words
from scraper.extract.titles import choose_title
from scraper.models import Article, FieldOrigin

__all__ = ["run"]

_NOISE_TAGS = "script, style, noscript, template, svg, iframe, object, embed, canvas"
_DEK_HINT = re.compile(
    r"\b[\w-]*(?:dek|lead|lede|standfirst|summary|excerpt|intro|subtitle|sub-title|subhead"
    r"|teaser|abstract|description|deck|strapline|kicker-text|summary)[\w-]*\b"
)
_DATE_HINT = re.compile(r"date|time|publish|posted|dateline|meta|byline|info|details|datum|fecha")
_SCRIPT_DATE = re.compile(
    r'"(?:datePublished|publishDate|publishedDate|published_at|publishedAt|pubDate'
    r'|date_published|firstPublishedAt|publicationDate|publish_date)"\s*:\s*"([^"]{8,40})"'
)
_ODD_DATE_KEY = re.compile(r"publish|created|(?:^|[:_.-])date|datum|fecha")
_NOT_PUBLISHED_KEY = re.compile(r"modif|updat|expir|valid|revis|birth|event|start|end|last")
_WRITTEN_BY = frozenset(
    {
        "written by",
        "geschrieben von",
        "verfasst von",
        "escrito por",
        "écrit par",
        "scritto da",
        "autor",
        "author",
        "auteur",
        "autore",
        "door",
        "napisane przez",
    }
)
_WIDGET_HINT = re.compile(r"comment|related|sidebar|widget|recent|popular|archive|calendar")
_LETTERS = re.compile(r"[\W_\d]+", re.UNICODE)
_MAX_CHARS = 20_000_000


@dataclass(slots=True)
class _State:
    fields: dict[str, object] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def set(self, name: str, value: object, origin: FieldOrigin) -> None:
        if name not in self.fields and value not in (None, "", (), []):
            self.fields[name] = value
            self.sources[name] = origin.value


def _letters(text: str) -> str:
    return _LETTERS.sub("", text.casefold())


def _first_ld(ld: list[LdArticle], attr: str, max_rank: int = 4) -> object:
    for obj in ld:
        if obj.rank > max_rank:
            continue
        value = getattr(obj, attr)
        if value:
            return value
    return None


def _title_index(blocks: list[Block], title: str | None) -> int | None:
    h1s = [i for i, b in enumerate(blocks) if b.kind == "h1"]
    if title:
        key = _letters(title)
        for i, b in enumerate(blocks):
            if b.kind.startswith("h") and key and _letters(b.text) == key:
                return i
        for i in h1s:
            k = _letters(blocks[i].text)
            if k and (k in key or key in k):
                return i
    return h1s[0] if h1s else None


def _region(
    blocks: list[Block], idx: int | None, first_body: int | None
) -> tuple[list[Block], list[Block]]:
    """Lines before and after the headline (byline, date line, dek live there)."""
    if idx is None:
        if first_body is None:
            return [], blocks[:20]
        return blocks[max(0, first_body - 12) : first_body], blocks[first_body : first_body + 2]
    before = blocks[max(0, idx - 4) : idx]
    after: list[Block] = []
    for b in blocks[idx + 1 : idx + 26]:
        if len(b.text) > 600:
            break
        after.append(b)
    return before, after


def _visible_dates(before: list[Block], after: list[Block]) -> list[str]:
    """Candidate date lines: date-classed short lines first, then bare short lines (a long
    unclassed line is a sentence of the article, whose dates are events, not publication)."""

    def ordered(blocks: list[Block]) -> list[str]:
        short = [b for b in blocks if b.text and len(b.text) <= 160 and not b.quote]
        hinted = [b.text for b in short if _DATE_HINT.search(b.hints)]
        return hinted + [
            b.text for b in short if not _DATE_HINT.search(b.hints) and len(b.text) <= 70
        ]

    return ordered(after) + ordered(before)


def _dek(after: list[Block], used: set[int]) -> Block | None:
    for b in after[:8]:
        if b.kind == "img" or b.node_id in used:
            continue
        if _DEK_HINT.search(b.hints) and 40 <= len(b.text) <= 800 and b.link_density < 0.3:
            return b
    # a long line right under the headline followed by short meta lines (date, byline)
    for i, b in enumerate(after[:3]):
        if b.kind != "p" or not 60 <= len(b.text) <= 600 or b.link_density > 0.2:
            continue
        rest = [x for x in after[i + 1 : i + 5] if x.text]
        if rest and any(x.node_id in used for x in rest):
            return b
        break
    return None


def run(
    html: str | bytes,
    url: str | None,
    rules: RulesConfig | None,
    *,
    language: str | None,
    timezone: str | None,
    now: datetime | None,
) -> Article:
    """The whole cascade (may raise; :func:`scraper.extract.extract` guards it)."""
    text = decode(html) if isinstance(html, bytes | bytearray) else html
    text = clean(text[:_MAX_CHARS])
    now = now or datetime.now(UTC)
    if is_blocked(text):
        return Article(url=url, blocked=True)
    tree = LexborHTMLParser(text)
    meta = read_meta(tree)
    ld = read_jsonld(tree)
    st = _State()
    apply_removals(tree, rules)
    ruled = read_rules(tree, rules)
    for node in tree.css(_NOISE_TAGS):
        node.decompose()
    base = url
    if meta.canonical and url is None:
        base = meta.canonical
    all_blocks = walk(tree.body, base) if tree.body is not None else []

    # ---- language
    lang = (
        _first_ld(ld, "language")
        or meta.lang
        or (meta.first(("content-language", "og:locale", "dc.language")) or ("", ""))[1]
    )
    if isinstance(lang, str) and lang:
        st.set("language", lang.replace("_", "-").split(",")[0].strip()[:20], FieldOrigin.META)
    elif language:
        st.set("language", language, FieldOrigin.SOURCE)
    page_lang = str(st.fields.get("language") or language or "") or None

    # ---- title
    title, title_origin = choose_title(ruled.title, ld, meta, tree)
    if title:
        st.set("title", title, title_origin)
    idx = _title_index(all_blocks, title)

    early_byline = explicit_byline(tree)  # before pruning removes byline elements

    # ---- body (the same tree, pruned of furniture now that the metadata is read)
    if ruled.body is None:
        prune(tree)
        result = find_body(tree, base, walked=all_blocks)
        body_origin = FieldOrigin.HEURISTIC
        if sum(len(b.text) for b in result.blocks) < 500:
            # furniture rules ate the article: try again with tag-level pruning only
            retry = LexborHTMLParser(text)
            apply_removals(retry, rules)
            for node in retry.css(_NOISE_TAGS):
                node.decompose()
            prune(retry, light=True)
            second = find_body(retry, base)
            if sum(len(b.text) for b in second.blocks) > 2 * sum(
                len(b.text) for b in result.blocks
            ):
                result = second
    else:
        result = find_body(tree, base, ruled.body)
        body_origin = FieldOrigin.RULES
    body_blocks = result.blocks
    first_body = None
    if body_blocks:
        ids = {b.node_id for b in body_blocks[:3] if b.text}
        for i, b in enumerate(all_blocks):
            if b.node_id in ids:
                first_body = i
                break
    before, after = _region(all_blocks, idx, first_body)

    # ---- authors
    site = (meta.first(("og:site_name", "application-name")) or ("", ""))[1]
    site_key = _letters(site)

    def not_site(names: list[str]) -> list[str]:
        return [n for n in names if _letters(n) != site_key]

    if ruled.authors:
        st.set("authors", tuple(not_site(clean_authors(ruled.authors))), FieldOrigin.RULES)
    ld_authors = _first_ld(ld, "authors")
    if isinstance(ld_authors, tuple):
        st.set(
            "authors", tuple(strip_roles(not_site(clean_authors(ld_authors)))), FieldOrigin.JSON_LD
        )
    for obj in ld:
        if obj.org_authors and obj.rank <= 3:
            orgs = [o for o in obj.org_authors if _letters(o) != site_key and len(o) <= 80]
            st.set("authors", tuple(orgs), FieldOrigin.JSON_LD)
            break
    label = (meta.first(("twitter:label1",)) or ("", ""))[1].casefold()
    if label in _WRITTEN_BY:  # Yoast: twitter:label1 "Written by" + twitter:data1 "<name>"
        data = meta.all("twitter:data1")
        st.set("authors", tuple(not_site(clean_authors(data, relaxed=True))), FieldOrigin.META)
    for key in AUTHOR_KEYS:
        vals = meta.all(key)
        if vals:
            names = not_site(clean_authors(vals))
            if names:
                st.set("authors", tuple(names), FieldOrigin.META)
                break
    tail = [b for b in body_blocks[-6:] if b.text]
    date_texts = _visible_dates(before, after)
    visible = datepick.find_visible(date_texts, language=page_lang, timezone=timezone, now=now)
    used: set[int] = set()
    if visible is not None:
        for b in after + before:
            if b.text == visible.raw:
                used.add(b.node_id)
                break
    by_names, by_blocks = byline_authors(after + before, tail, frozenset(used))
    used.update(b.node_id for b in by_blocks)
    if by_names:
        st.set("authors", tuple(by_names), FieldOrigin.HEURISTIC)
    if "authors" not in st.fields:
        st.set("authors", tuple(not_site(early_byline)), FieldOrigin.HEURISTIC)
    if meta.rel_authors:
        st.set("authors", tuple(not_site(clean_authors(meta.rel_authors[:5]))), FieldOrigin.META)
    authors: tuple[str, ...] = tuple(st.fields.get("authors", ()))  # type: ignore[arg-type]

    # ---- dates
    cands: list[datepick.DateCandidate] = []

    def add(raw: str | None, origin: FieldOrigin) -> None:
        if raw:
            c = datepick.parse(raw, origin, language=page_lang, timezone=timezone, now=now)
            if c is not None:
                cands.append(c)

    for raw in ruled.date:
        add(raw, FieldOrigin.RULES)
    for obj in ld:
        add(obj.published, FieldOrigin.JSON_LD)
    for key in PUBLISHED_KEYS:
        for raw in meta.all(key):
            add(raw, FieldOrigin.META)
    for raw in meta.time_datetimes[:3]:
        add(raw, FieldOrigin.META)
    if not cands:  # dates in the page's own JSON state (Next.js, Shopify, Nuxt...)
        for m in _SCRIPT_DATE.finditer(text[:3_000_000]) if "ublish" in text else ():
            add(m.group(1), FieldOrigin.META)
            if cands:
                break
    if not cands:  # publisher-specific keys (five_hundred_pixels:created_at, pub_date...)
        for key, values in meta.values.items():
            if _ODD_DATE_KEY.search(key) and not _NOT_PUBLISHED_KEY.search(key):
                for raw in values[:1]:
                    add(raw, FieldOrigin.META)
        for raw in meta.date_titles[:3]:
            add(raw, FieldOrigin.HEURISTIC)
    if visible is None and not cands:
        # no metadata and nothing under the headline: date-classed lines anywhere, then the
        # short lines at the edges of the body
        hinted = [
            b.text
            for b in all_blocks
            if b.text
            and len(b.text) <= 160
            and _DATE_HINT.search(b.hints)
            and not _WIDGET_HINT.search(b.hints)
        ]
        edges = [b.text for b in body_blocks[:4] + body_blocks[-4:] if len(b.text) <= 120]
        openings = [b.text[:30] for b in body_blocks[:2] if len(b.text) > 120]  # "(18.01.2018) ..."
        visible = datepick.find_visible(
            hinted[:30] + edges + openings, language=page_lang, timezone=timezone, now=now
        ) or datepick.find_visible(
            hinted[:30], language=page_lang, timezone=timezone, now=now, allow_updated=True
        )
    url_date = datepick.date_from_url(url, timezone, now) or datepick.date_from_url(
        _s(st.fields.get("canonical_url")) or meta.canonical, timezone, now
    )
    if url_date is not None:
        cands.append(url_date)
    after_texts = {b.text for b in after}
    hinted_texts = {b.text for b in after if _DATE_HINT.search(b.hints)}
    trusted = (
        visible is not None
        and (visible.raw in after_texts or idx is None)
        and (visible.raw in hinted_texts or len(visible.raw) <= 50)
    )
    chosen = datepick.choose(cands, visible, timezone, trusted=trusted)
    if chosen is not None:
        st.set("published", chosen.value, chosen.origin)
    upd: list[datepick.DateCandidate] = []
    for obj in ld:
        if obj.modified:
            c = datepick.parse(
                obj.modified, FieldOrigin.JSON_LD, language=page_lang, timezone=timezone, now=now
            )
            if c:
                upd.append(c)
    for key in MODIFIED_KEYS:
        for raw in meta.all(key):
            c = datepick.parse(
                raw, FieldOrigin.META, language=page_lang, timezone=timezone, now=now
            )
            if c:
                upd.append(c)
    if upd:
        st.set("updated", upd[0].value, upd[0].origin)

    # ---- summary (the dek / description)
    dek = _dek(after, used)
    if ruled.summary:
        st.set("summary", ruled.summary, FieldOrigin.RULES)
    if dek is not None:
        st.set("summary", dek.text, FieldOrigin.HEURISTIC)
    desc = meta.first(("og:description", "description", "twitter:description", "dc.description"))
    if desc and len(desc[1]) >= 30:
        st.set("summary", desc[1], FieldOrigin.META)
    ld_desc = _first_ld(ld, "description")
    if isinstance(ld_desc, str) and len(ld_desc) >= 30:
        st.set("summary", collapse(ld_desc), FieldOrigin.JSON_LD)

    # ---- body clean-up
    used_texts = {b.text for b in all_blocks if b.node_id in used}
    body_blocks = _tidy_body(body_blocks, title, authors, used, used_texts, dek)
    body_text = render_text(body_blocks)
    ld_body = _first_ld(ld, "body")
    if isinstance(ld_body, str) and ruled.body is None and _misses(ld_body, body_text):
        # the page's own JSON-LD articleBody, when what we found covers little of it
        body_blocks = _text_blocks(ld_body)
        body_text = render_text(body_blocks)
        body_origin = FieldOrigin.JSON_LD
    if body_text:
        st.set("body", True, body_origin)
    if "summary" not in st.fields and body_text:
        st.set("summary", first_sentences(body_blocks), FieldOrigin.HEURISTIC)

    # ---- canonical url, image, tags
    canon = meta.canonical or (meta.first(("og:url",)) or ("", ""))[1]
    if canon:
        with contextlib.suppress(ValueError):
            st.set("canonical_url", urljoin(url or "", canon), FieldOrigin.META)
    image = (meta.first(("og:image", "og:image:url", "twitter:image")) or ("", ""))[1] or _first_ld(
        ld, "image"
    )
    if not image:
        image = next((b.extra.get("src") for b in body_blocks if b.kind == "img"), None)
    tags: list[str] = []
    for key in ("article:tag", "parsely-tags", "news_keywords"):
        for v in meta.all(key):
            tags.extend(t.strip() for t in v.split(",") if t.strip())
    if not tags:
        kw = _first_ld(ld, "keywords")
        if isinstance(kw, tuple):
            tags.extend(kw)

    published = st.fields.get("published")
    updated = st.fields.get("updated")
    return Article(
        url=url,
        canonical_url=_s(st.fields.get("canonical_url")),
        title=_s(st.fields.get("title")),
        authors=tuple(clean(a) for a in authors),
        published=published if isinstance(published, datetime) else None,
        updated=updated if isinstance(updated, datetime) else None,
        language=_s(st.fields.get("language")),
        summary=_s(st.fields.get("summary")),
        body_text=body_text,
        body_html=render_html(body_blocks),
        tags=tuple(dict.fromkeys(clean(t)[:100] for t in tags[:20])),
        image=_s(urljoin(url or "", image) if isinstance(image, str) and image else None),
        blocked=False,
        field_sources=dict(st.sources),
    )


def _misses(reference: str, found: str) -> bool:
    """Whether ``found`` covers less than half of the words of a long ``reference`` text."""
    ref = set(words(reference[:200_000]))
    if len(ref) < 80:
        return False
    got = set(words(found[:400_000]))
    return len(ref & got) / len(ref) < 0.5


def _text_blocks(text: str) -> list[Block]:
    """Plain text (paragraphs on their own lines) as paragraph blocks."""
    out: list[Block] = []
    for para in re.split(r"\n\s*\n|\r?\n", html_lib.unescape(text)):
        t = collapse(para)
        if t:
            out.append(Block(kind="p", text=t, html=html_lib.escape(t, quote=False)))
    return out


def _s(value: object) -> str | None:
    if isinstance(value, str):
        v = collapse(value)
        return v or None
    return None


def _tidy_body(
    blocks: list[Block],
    title: str | None,
    authors: tuple[str, ...],
    used: set[int],
    used_texts: set[str],
    dek: Block | None,
) -> list[Block]:
    """Drop the headline, byline/date lines, standing lines and a duplicated lead."""
    title_key = _letters(title or "")
    out: list[Block] = []
    for i, b in enumerate(blocks):
        if (b.node_id in used or (i < 12 and b.text in used_texts)) and len(b.text) < 300:
            continue
        if b.kind.startswith("h") and title_key and _letters(b.text) == title_key:
            continue
        if i < 8 and b.kind == "h1":
            continue
        out.append(b)
    out = trim_blocks(out, authors)
    # the lead repeated as (the start of) the first paragraph
    dek_key = _letters(dek.text) if dek is not None else ""
    final: list[Block] = []
    for i, b in enumerate(out):
        key = _letters(b.text)
        if key and i + 1 < len(out) and len(key) >= 40:
            nxt = _letters(out[i + 1].text)
            if nxt.startswith(key[: int(len(key) * 0.9)]) and len(nxt) > len(key):
                continue
        if (
            dek_key
            and key == dek_key
            and any(dek_key[:200] in _letters(o.text) for o in out if o is not b)
        ):
            continue
        final.append(b)
    return final
