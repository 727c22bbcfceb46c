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
from scraper.extract.authors import byline_authors, clean_authors, explicit_byline, strip_roles
from scraper.extract.blocks import walk
from scraper.extract.body import BodyResult, drop_dangling_tail, find_body, scattered_paragraphs
from scraper.extract.boilerplate import prune, remove_all
from scraper.extract.jsonld import LdArticle, read_jsonld
from scraper.extract.meta import (
    AUTHOR_KEYS,
    MODIFIED_KEYS,
    PUBLISHED_KEYS,
    read_meta,
)
from scraper.extract.page import load
from scraper.extract.regions import (
    DATE_HINT,
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
from scraper.extract.text import clean, collapse
from scraper.extract.titles import choose_title
from scraper.models import Article, FieldOrigin

__all__ = ["run"]

_NOISE_TAGS = "script, style, noscript, template, svg, iframe, object, embed, canvas, rt, rp"
_SCRIPT_DATE = re.compile(
    r'"(?:datePublished|publishDate|publishedDate|published_at|publishedAt|pubDate'
    r'|date_published|firstPublishedAt|publicationDate|publish_date)"\s*:\s*"([^"]{8,40})"'
)
_STAND_LINE = re.compile(
    r"\b(?:stand|last\s+updated|updated|aktualisiert|last\s+modified|zuletzt\s+geändert"
    r"|letzte\s+änderung|mis\s+à\s+jour|actualizado|aggiornato)\b",
    re.I,
)
_LEAD_PARAGRAPH = 160  # a standfirst of a paragraph's length, not a one-line subtitle
_CAPTION_HINT = re.compile(r"caption|figure|credit|photo|image|media|gallery|author|byline")
_ODD_DATE_KEY = re.compile(r"publish|created|upload|(?:^|[:_.-])date|datum|fecha")
# "Dieser Artikel wurde am 14. Dezember 2015 ... geschrieben", "Posted on ...": a line that
# says it is the publication date, wherever the page put it
_PUBLISHED_LINE = re.compile(
    r"\b(?:published|posted|veröffentlicht|publiziert|erschienen|geschrieben|verfasst"
    r"|publié|publicado|pubblicato|opublikowano|gepubliceerd)\b",
    re.I,
)
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
    side = frozenset(n.mem_id for n in tree.css("nav, [role=navigation]"))
    all_blocks = walk(tree.body, base, side) if tree.body is not None else []

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
        prune(tree)
        result = find_body(tree, base, walked=all_blocks)
        body_origin = FieldOrigin.HEURISTIC
        if sum(len(b.text) for b in result.blocks) < 500:
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
        if sum(len(b.text) for b in result.blocks) < 500:
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
            and DATE_HINT.search(b.hints)
            and not _WIDGET_HINT.search(b.hints)
        ]
        edges = [b.text for b in body_blocks[:4] + body_blocks[-4:] if len(b.text) <= 120]
        openings = [b.text[:30] for b in body_blocks[:2] if len(b.text) > 120]  # "(18.01.2018) ..."
        visible = datepick.find_visible(
            hinted[:30] + edges + openings, language=page_lang, timezone=timezone, now=now
        ) or datepick.find_visible(
            hinted[:30], language=page_lang, timezone=timezone, now=now, allow_updated=True
        )
        if visible is None:
            phrased = [  # a long post-footer sentence: its start, where the date is
                b.text[:300]
                for b in all_blocks
                if len(b.text) <= 1000 and _PUBLISHED_LINE.search(b.text[:300])
            ]
            visible = datepick.find_visible(
                phrased[:20], language=page_lang, timezone=timezone, now=now
            )
        if visible is None:  # the last resort: when the page says it was last changed
            stamped = [  # "Letzte Änderung:" and its value in the next element
                b.text
                + (
                    " " + all_blocks[i + 1].text
                    if b.text.endswith(":") and i + 1 < len(all_blocks)
                    else ""
                )
                for i, b in enumerate(all_blocks)
                if len(b.text) <= 120 and _STAND_LINE.search(b.text)
            ]
            visible = datepick.find_visible(
                stamped[-5:], language=page_lang, timezone=timezone, now=now, allow_updated=True
            )
    url_date = datepick.date_from_url(url, timezone, now) or datepick.date_from_url(
        _s(st.fields.get("canonical_url")) or meta.canonical, timezone, now
    )
    if url_date is None and visible is None and not cands:
        # uploads filed by day (/files/2016/05/04/cover.png): the page's picture was put up
        # with the page
        image_url = (meta.first(("og:image", "twitter:image")) or ("", ""))[1]
        url_date = datepick.date_from_url(image_url, timezone, now)
    if url_date is not None:
        cands.append(url_date)
    after_texts = {b.text for b in after}
    hinted_texts = {b.text for b in after if DATE_HINT.search(b.hints)}
    trusted = (
        visible is not None
        and (visible.raw in after_texts or idx is None)
        and (visible.raw in hinted_texts or len(visible.raw) <= 50)
    )
    chosen = datepick.choose(
        cands, visible, timezone, trusted=trusted, url_month=datepick.month_from_url(url)
    )
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
    if (
        lead is not None
        and body_blocks
        and ruled.body is None
        and len(lead.text) >= _LEAD_PARAGRAPH
        and not _CAPTION_HINT.search(lead.hints)
    ):
        # the standfirst above the container is the article's first paragraph
        lead_key = letters(lead.text)
        if lead_key and not any(lead_key[:200] in letters(b.text) for b in body_blocks[:5]):
            body_blocks = [lead, *body_blocks]
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


def _s(value: object) -> str | None:
    if isinstance(value, str):
        v = collapse(value)
        return v or None
    return None
