"""The extraction cascade: rules > JSON-LD > meta > heuristics, field by field.

Reads like a recipe (cf. trafilatura's ``metadata.py``): each step only fills what is still
empty, except dates, where every candidate is parsed and validated and :mod:`datepick` decides.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin

from scraper.config import RulesConfig
from scraper.extract import datepick
from scraper.extract.authors import (
    byline_authors,
    clean_authors,
    complete_names,
    explicit_byline,
    strip_roles,
)
from scraper.extract.blocks import Block, walk
from scraper.extract.body import BodyResult, drop_dangling_tail, find_body, scattered_paragraphs
from scraper.extract.boilerplate import prune, remove_all
from scraper.extract.jsonld import LdArticle, read_jsonld
from scraper.extract.meta import (
    AUTHOR_KEYS,
    read_meta,
)
from scraper.extract.page import load
from scraper.extract.pagedates import page_dates
from scraper.extract.regions import (
    dek,
    letters,
    misses,
    region,
    text_blocks,
    tidy_body,
    title_index,
    visible_dates,
)
from scraper.extract.render import first_sentences, render_html, render_text
from scraper.extract.rules import apply_removals, read_rules
from scraper.extract.stacked import headline_article, other_article
from scraper.extract.text import clean, collapse
from scraper.extract.titles import choose_title
from scraper.models import Article, FieldOrigin

__all__ = ["run"]

_NOISE_TAGS = "script, style, noscript, template, svg, iframe, object, embed, canvas, rt, rp"
_OWN_STORY = 200  # characters of text that make the headline's own story a body
_LEAD_PARAGRAPH = 160  # a standfirst of a paragraph's length, not a one-line subtitle
_CAPTION_HINT = re.compile(r"caption|figure|credit|photo|image|media|gallery|author|byline")
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
_LETTERS = re.compile(r"[\W_\d]+", re.UNICODE)


@dataclass(slots=True)
class _State:
    fields: dict[str, object] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def set(self, name: str, value: object, origin: FieldOrigin) -> None:
        if name not in self.fields and value not in (None, "", (), []):
            self.fields[name] = value
            self.sources[name] = origin.value


def _first_ld(ld: list[LdArticle], attr: str, max_rank: int = 4) -> object:
    for obj in ld:
        if obj.rank > max_rank:
            continue
        value = getattr(obj, attr)
        if value:
            return value
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
    now = now or datetime.now(UTC)
    page = load(html)
    if page is None:
        return Article(url=url, blocked=True)
    text, tree = page.text, page.tree
    meta = read_meta(tree)
    ld = read_jsonld(tree)
    st = _State()
    apply_removals(tree, rules)
    ruled = read_rules(tree, rules)
    remove_all(tree.css(_NOISE_TAGS))
    base = url
    if meta.canonical and url is None:
        base = meta.canonical
    all_blocks = walk(tree.body, base, skip_navigation=True) if tree.body is not None else []

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
    idx = title_index(all_blocks, title)

    # ---- authors (from rules and metadata: they need no body)
    site = (meta.first(("og:site_name", "application-name")) or ("", ""))[1]
    site_key = letters(site)

    def not_site(names: list[str]) -> list[str]:
        return [n for n in names if letters(n) != site_key]

    if ruled.authors:
        st.set("authors", tuple(not_site(clean_authors(ruled.authors))), FieldOrigin.RULES)
    ld_authors = _first_ld(ld, "authors")
    if isinstance(ld_authors, tuple):
        st.set(
            "authors", tuple(strip_roles(not_site(clean_authors(ld_authors)))), FieldOrigin.JSON_LD
        )
    for obj in ld:
        if obj.org_authors and obj.rank <= 3:
            orgs = [o for o in obj.org_authors if letters(o) != site_key and len(o) <= 80]
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
    # the byline elements anywhere, read before pruning removes them: the last resort when no
    # rule, metadata or byline line names the authors (not needed when the first two did)
    early_byline = explicit_byline(tree) if "authors" not in st.fields else []

    # ---- body (the same tree, pruned of furniture now that the metadata is read)
    if ruled.body is None:
        # (before pruning takes the stories' <header>s)
        story = headline_article(tree, all_blocks[idx] if idx is not None else None, title)
        prune(tree)
        result = find_body(tree, base, walked=all_blocks)
        body_origin = FieldOrigin.HEURISTIC
        own_story = False
        if story is not None and other_article(result.container, story):
            # stacked stories: the vote chose another one than the page's headline names
            own = find_body(tree, base, walked=all_blocks, scope=story)
            own_story = sum(len(b.text) for b in own.blocks) >= _OWN_STORY
            if own_story:
                result = own
        # (a short story of several on the page is short: the fallbacks below would find the
        # longer ones again)
        if not own_story and sum(len(b.text) for b in result.blocks) < 500:
            # furniture rules ate the article: try again with tag-level pruning only
            retry = page.parse_again()
            apply_removals(retry, rules)
            remove_all(retry.css(_NOISE_TAGS))
            prune(retry, light=True)
            second = find_body(retry, base)
            if sum(len(b.text) for b in second.blocks) > 2 * sum(
                len(b.text) for b in result.blocks
            ):
                result = second
        if not own_story and sum(len(b.text) for b in result.blocks) < 500:
            # the article is spread over many small boxes: its prose wherever it is
            spread = scattered_paragraphs(tree, all_blocks, idx)
            if sum(len(b.text) for b in spread) > 2 * sum(len(b.text) for b in result.blocks):
                result = BodyResult(spread, result.container)
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
    before, after = region(all_blocks, idx, first_body)

    tail = [b for b in body_blocks[-6:] if b.text]
    date_texts = visible_dates(before, after)
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
    if authors:
        full = tuple(complete_names(authors, all_blocks))
        if full != authors:
            authors = full
            st.fields["authors"] = full

    # ---- dates
    chosen, modified = page_dates(
        ruled_dates=ruled.date,
        ld=ld,
        meta=meta,
        text=text,
        visible=visible,
        all_blocks=all_blocks,
        body_blocks=body_blocks,
        after=after,
        idx=idx,
        url=url,
        canonical=meta.canonical,
        page_lang=page_lang,
        timezone=timezone,
        now=now,
    )
    if chosen is not None:
        st.set("published", chosen.value, chosen.origin)
    if modified is not None:
        st.set("updated", modified.value, modified.origin)

    # ---- summary (the dek / description)
    lead = dek(after, used)
    if ruled.summary:
        st.set("summary", ruled.summary, FieldOrigin.RULES)
    if lead is not None:
        st.set("summary", lead.text, FieldOrigin.HEURISTIC)
    desc = meta.first(("og:description", "description", "twitter:description", "dc.description"))
    if desc and len(desc[1]) >= 30:
        st.set("summary", desc[1], FieldOrigin.META)
    ld_desc = _first_ld(ld, "description")
    if isinstance(ld_desc, str) and len(ld_desc) >= 30:
        st.set("summary", collapse(ld_desc), FieldOrigin.JSON_LD)

    # ---- body clean-up
    used_texts = {b.text for b in all_blocks if b.node_id in used}
    body_blocks = drop_dangling_tail(tidy_body(body_blocks, title, authors, used, used_texts, lead))
    opens_body = (
        lead is not None
        and ruled.body is None
        and len(lead.text) >= _LEAD_PARAGRAPH
        and not _CAPTION_HINT.search(lead.hints)
    )
    if opens_body and body_blocks:
        body_blocks = _with_lead(lead, body_blocks)
    if idx is not None and first_body is not None and body_blocks and ruled.body is None:
        # paragraphs of prose between the headline and the container (a teaser box, an
        # abstract) are the article's opening
        have = {b.node_id for b in body_blocks}
        opening = [
            b
            for b in all_blocks[idx + 1 : first_body][-12:]
            if b.kind == "p"
            and len(b.text) >= _LEAD_PARAGRAPH
            and b.link_density < 0.2
            and b.node_id not in have
            and b.node_id not in used
            and not _CAPTION_HINT.search(b.hints)
        ]
        if opening:
            keys = {letters(b.text)[:200] for b in body_blocks[:8]}
            opening = [b for b in opening if letters(b.text)[:200] not in keys]
            body_blocks = [*opening, *body_blocks]
    body_text = render_text(body_blocks)
    ld_body = _first_ld(ld, "body")
    if isinstance(ld_body, str) and ruled.body is None and misses(ld_body, body_text):
        # the page's own JSON-LD articleBody, when what we found covers little of it
        body_blocks = text_blocks(ld_body)
        if opens_body and body_blocks:
            body_blocks = _with_lead(lead, body_blocks)
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


def _with_lead(lead: Block | None, blocks: list[Block]) -> list[Block]:
    """``blocks`` opened by the standfirst ``lead`` unless one of the first blocks holds it
    (the standfirst above the container, or beside an ``articleBody``, is the article's first
    paragraph)."""
    if lead is None:
        return blocks
    lead_key = letters(lead.text)
    if lead_key and not any(lead_key[:200] in letters(b.text) for b in blocks[:5]):
        return [lead, *blocks]
    return blocks


def _s(value: object) -> str | None:
    if isinstance(value, str):
        v = collapse(value)
        return v or None
    return None
