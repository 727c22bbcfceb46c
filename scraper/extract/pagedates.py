"""The page's publication and modification dates: every candidate gathered, then chosen.

Candidates come in cascade order (rules, JSON-LD, meta, ``<time>``, the page's JSON state,
publisher-specific keys, the URL), each parsed and validated by :mod:`datepick`, which weighs
them against the visible date line under the headline. When the page has neither metadata nor
such a line, the line is sought in date-classed blocks, the body's edges, a "published ..."
sentence and, last, a "last changed" stamp.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from scraper.extract import datepick
from scraper.extract.blocks import Block
from scraper.extract.jsonld import LdArticle
from scraper.extract.meta import MODIFIED_KEYS, PUBLISHED_KEYS, PageMeta
from scraper.extract.regions import DATE_HINT
from scraper.models import FieldOrigin

__all__ = ["page_dates"]

_SCRIPT_DATE = re.compile(
    r'"(?:datePublished|publishDate|publishedDate|published_at|publishedAt|pubDate'
    r'|date_published|firstPublishedAt|publicationDate|publish_date)"\s*:\s*"([^"]{8,40})"'
)
_STAND_LINE = re.compile(
    r"\b(?:stand|last\s+updated|updated|aktualisiert|last\s+modified|zuletzt\s+geändert"
    r"|letzte\s+änderung|mis\s+à\s+jour|actualizado|aggiornato)\b",
    re.I,
)
_ODD_DATE_KEY = re.compile(r"publish|created|upload|(?:^|[:_.-])date|datum|fecha")
# "Dieser Artikel wurde am 14. Dezember 2015 ... geschrieben", "Posted on ...": a line that
# says it is the publication date, wherever the page put it
_PUBLISHED_LINE = re.compile(
    r"\b(?:published|posted|veröffentlicht|publiziert|erschienen|geschrieben|verfasst"
    r"|publié|publicado|pubblicato|opublikowano|gepubliceerd)\b",
    re.I,
)
_NOT_PUBLISHED_KEY = re.compile(r"modif|updat|expir|valid|revis|birth|event|start|end|last")
_OPENING = 48  # characters of the opening paragraphs (above and in the container) read for a date
_WIDGET_HINT = re.compile(r"comment|related|sidebar|widget|recent|popular|archive|calendar")


def page_dates(
    *,
    ruled_dates: Sequence[str],
    ld: list[LdArticle],
    meta: PageMeta,
    text: str,
    visible: datepick.DateCandidate | None,
    all_blocks: list[Block],
    body_blocks: list[Block],
    after: list[Block],
    idx: int | None,
    url: str | None,
    canonical: str | None,
    page_lang: str | None,
    timezone: str | None,
    now: datetime,
) -> tuple[datepick.DateCandidate | None, datepick.DateCandidate | None]:
    """``(published, modified)``: the chosen publication date and the first modified date.

    ``visible`` is the date line found under the headline (``None``: none there), ``after``
    the blocks between the headline and the body, ``idx`` the headline's block index.
    """
    cands: list[datepick.DateCandidate] = []

    def add(raw: str | None, origin: FieldOrigin) -> None:
        if raw:
            c = datepick.parse(raw, origin, language=page_lang, timezone=timezone, now=now)
            if c is not None:
                cands.append(c)

    for raw in ruled_dates:
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
        # "(18.01.2018) ...", "Pressemitteilung vom 25. Januar 2022 | Berlin – ..."
        # (the paragraphs between the headline and the container open the article too)
        openings = [b.text[:_OPENING] for b in after[:3] + body_blocks[:2] if len(b.text) > 120]
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
        canonical, timezone, now
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
    return chosen, (upd[0] if upd else None)
