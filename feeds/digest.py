"""The weekly digest, pure: choose a subscriber's articles, render them, build the email.

``select_items`` -> ``build`` -> :class:`Digest` -> ``render`` -> :class:`RenderedDigest`
-> ``feeds.message.build_message`` -> :class:`email.message.EmailMessage`. Nothing here reads the
clock, the environment or the database: the mailer (:mod:`feeds.mailer`) does that and passes
values in.

Templates are Jinja2 (``digest.html`` autoescaped, ``digest.txt`` plain); the shipped defaults
live in ``feeds/templates`` and a folder named by ``digest.templates_dir`` overrides any of them
file by file.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import nh3

from feeds.model import article_link
from feeds.period import period_bounds
from scraper.config import Config, SourceConfig, SubscriberConfig
from scraper.errors import MailError
from scraper.health import SourceHealth
from scraper.models import DigestItem, StoredArticle

__all__ = [
    "DEFAULT_TEMPLATES",
    "Digest",
    "DigestGroup",
    "RenderedDigest",
    "build",
    "render",
    "select_items",
    "summarize",
]

DEFAULT_TEMPLATES = Path(__file__).parent / "templates"
SUMMARY_MAX_CHARS = 420
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\ud800-\udfff]")
_SPACES = re.compile(r"\s+")
_MARKUP = re.compile(
    r"</?(?:p|br|b|i|em|strong|a|span|div|sup|sub|small|abbr|cite|q|u|s)\b[^<>]*>", re.I
)
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?\u061f\u3002])[\"'\u201d\u2019)\]]*\s+")
_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "st", "no", "vol", "fig", "e.g", "i.e", "etc", "vs",
        "u.s", "u.k", "u.n", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
        "oct", "nov", "dec", "gen", "col", "lt", "sen", "rep", "gov", "inc", "ltd", "co",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DigestGroup:
    """One source's block in a digest: its newest items and how many more were left out."""

    source_id: str
    source_name: str
    source_url: str | None
    items: tuple[DigestItem, ...]
    more: int = 0


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything one subscriber's email of one period shows (no rendering decided yet)."""

    title: str
    period: str
    start: datetime  # local Monday 00:00, inclusive
    end: datetime  # next local Monday 00:00, exclusive
    subscriber: str
    subscriber_name: str | None
    groups: tuple[DigestGroup, ...]
    subject_template: str
    unsubscribe_url: str | None = None
    health: tuple[SourceHealth, ...] = ()  # the admin section: flagged sources first

    @property
    def count(self) -> int:
        """Items shown (the subject's ``{count}``)."""
        return sum(len(g.items) for g in self.groups)

    @property
    def empty(self) -> bool:
        return not self.groups


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    """A rendered digest: one header line and two bodies."""

    subject: str
    html: str
    text: str


def _clean_text(value: str | None) -> str:
    """One line of plain text: tags removed, control characters and runs of space collapsed."""
    if not value:
        return ""
    if _MARKUP.search(value):  # an HTML fragment slipped into a text field
        value = html.unescape(nh3.clean(value, tags=set()))
    elif "&" in value:
        value = _ENTITY.sub(lambda m: html.unescape(m.group(0)), value)
    return _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()


def _split_sentences(text: str) -> list[str]:
    parts: list[str] = []
    pending = ""
    for chunk in _SENTENCE_END.split(text):
        pending = f"{pending} {chunk}".strip() if pending else chunk.strip()
        words = pending.rstrip(".").split()
        last = words[-1].lower() if words else ""
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue  # "Dr. Smith", "J. Doe": not a sentence end
        if pending:
            parts.append(pending)
        pending = ""
    if pending:
        parts.append(pending)
    return parts


def summarize(article: StoredArticle, *, max_chars: int = SUMMARY_MAX_CHARS) -> str:
    """Two or three sentences from the summary, else from the body; at most ``max_chars``."""
    source = article.summary or ""
    if len(_clean_text(source)) < 25:  # "Analysis", "Commentary": not a summary
        paragraphs = [_clean_text(p) for p in re.split(r"\n\s*\n", article.body_text or "")]
        source = " ".join(p for p in paragraphs if len(p) >= 40)[: max_chars * 4] or source
    sentences = _split_sentences(_clean_text(source))
    out = ""
    for count, sentence in enumerate(sentences, start=1):
        candidate = f"{out} {sentence}".strip()
        if out and (len(candidate) > max_chars or count > 3):
            break
        out = candidate
        if count >= 2 and len(out) >= 160:
            break
    if len(out) > max_chars:
        cut = out[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:-–—")
        out = f"{cut}…"
    return out


def _keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str] | None:
    words = [k.strip() for k in keywords if k.strip()]
    if not words:
        return None
    alternatives = "|".join(re.escape(_SPACES.sub(" ", w)).replace(r"\ ", r"\s+") for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _date_key(article: StoredArticle) -> float:
    return (article.published or article.first_seen).timestamp()


def select_items(
    articles: Sequence[StoredArticle],
    subscriber: SubscriberConfig,
    *,
    sources: Mapping[str, SourceConfig],
    period: tuple[datetime, datetime],
    max_per_source: int,
    cache: dict[int, DigestItem] | None = None,
) -> list[DigestGroup]:
    """The subscriber's articles first seen in ``[start, end)``, grouped by source.

    Near-duplicates (``duplicate_of`` set) are left out. Filters, all of which must pass:
    ``sources``; ``tags`` (any of them among the source's and the article's tags); ``keywords``
    (any of them as a whole word, case-insensitive, in title, summary or body); ``language``
    (the article's, else its source's, by primary subtag). Groups follow the order of
    ``sources`` (the configuration's), items newest first (published, else first seen), at most
    ``max_per_source`` each with the rest counted in ``more``. ``cache`` (article id -> item)
    lets a batch summarise each article once for all its subscribers.
    """
    start, end = (bound.astimezone(UTC) for bound in period)  # same tzinfo: fast comparisons
    wanted_sources = set(subscriber.sources)
    wanted_tags = set(subscriber.tags)
    keywords = _keyword_pattern(subscriber.keywords)
    language = (subscriber.language or "").lower().split("-")[0]
    chosen: dict[str, list[StoredArticle]] = {}
    for article in articles:
        if article.duplicate_of is not None or not start <= article.first_seen < end:
            continue
        source = sources.get(article.source_id)
        if wanted_sources and article.source_id not in wanted_sources:
            continue
        if wanted_tags:
            tags = set(article.tags) | set(source.tags if source else ())
            if not wanted_tags & tags:
                continue
        if language:
            lang = article.language or (source.language if source else "") or ""
            if lang.lower().split("-")[0] != language:
                continue
        if keywords is not None:
            haystack = f"{article.title or ''}\n{article.summary or ''}\n{article.body_text}"
            if not keywords.search(haystack):
                continue
        chosen.setdefault(article.source_id, []).append(article)
    order = {sid: i for i, sid in enumerate(sources)}
    groups: list[DigestGroup] = []
    for source_id in sorted(chosen, key=lambda s: (order.get(s, len(order)), s)):
        found = sorted(chosen[source_id], key=lambda a: (-_date_key(a), -a.id))
        source = sources.get(source_id)
        name = source.name if source else source_id
        items = tuple(_cached_item(a, name, cache) for a in found[:max_per_source])
        groups.append(
            DigestGroup(
                source_id=source_id,
                source_name=name,
                source_url=source.homepage if source else None,
                items=items,
                more=max(0, len(found) - max_per_source),
            )
        )
    return groups


def _cached_item(
    article: StoredArticle, source_name: str, cache: dict[int, DigestItem] | None
) -> DigestItem:
    if cache is None:
        return _item(article, source_name)
    item = cache.get(article.id)
    if item is None:
        item = cache[article.id] = _item(article, source_name)
    return item


def _item(article: StoredArticle, source_name: str) -> DigestItem:
    return DigestItem(
        article_id=article.id,
        source_id=article.source_id,
        source_name=source_name,
        title=_clean_text(article.title) or article.canonical_url,
        url=article_link(article),  # as the feeds link it
        authors=tuple(a for a in (_clean_text(x) for x in article.authors) if a),
        published=article.published,
        summary=summarize(article),
    )


def build(
    articles: Sequence[StoredArticle],
    subscriber: SubscriberConfig,
    *,
    config: Config,
    period: str,
    unsubscribe_url: str | None = None,
    cache: dict[int, DigestItem] | None = None,
) -> Digest:
    """The digest of ``period`` for ``subscriber`` from the period's stored articles."""
    bounds = period_bounds(period, config.digest.timezone)
    groups = select_items(
        articles,
        subscriber,
        sources={s.id: s for s in config.sources},
        period=bounds,
        max_per_source=config.digest.max_items_per_source,
        cache=cache,
    )
    return Digest(
        title=config.digest.title,
        period=period,
        start=bounds[0],
        end=bounds[1],
        subscriber=subscriber.email,
        subscriber_name=subscriber.name,
        groups=tuple(groups),
        subject_template=config.digest.subject,
        unsubscribe_url=unsubscribe_url,
    )


# --- rendering ------------------------------------------------------------------------------


def _fmt_date(value: datetime | None) -> str:
    """``9 Jul 2025`` in the date's own offset (what the page said), locale-independent."""
    if value is None:
        return ""
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{value.day} {months[value.month - 1]} {value.year}"


@lru_cache(maxsize=16384)  # items repeat across a batch's subscribers
def _wrap(value: str, width: int = 72, indent: str = "") -> str:
    """Greedy word wrap (long words are not broken); ``textwrap`` is 10x slower here."""
    lines: list[str] = []
    line = ""
    for word in value.split():
        if line and len(indent) + len(line) + 1 + len(word) > width:
            lines.append(indent + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(indent + line)
    return "\n".join(lines)


@lru_cache(maxsize=8)
def _environments(templates_dir: str | None) -> tuple[jinja2.Environment, jinja2.Environment]:
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir:
        loaders.append(jinja2.FileSystemLoader(templates_dir))
    loaders.append(jinja2.FileSystemLoader(str(DEFAULT_TEMPLATES)))
    loader = jinja2.ChoiceLoader(loaders)
    common: dict[str, Any] = {
        "loader": loader,
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
    }
    html_env = jinja2.Environment(autoescape=True, **common)
    text_env = jinja2.Environment(autoescape=False, **common)
    for env in (html_env, text_env):
        env.filters["fmtdate"] = _fmt_date
        env.filters["wrap"] = _wrap
    return html_env, text_env


class _SubjectFormatter(string.Formatter):
    """``str.format`` limited to plain names: no ``{x.attr}`` / ``{x[0]}`` lookups."""

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if not field_name.isidentifier():
            raise MailError(f"digest.subject: field {{{field_name}}} is not a plain name")
        if field_name not in kwargs:
            raise MailError(
                f"digest.subject: unknown field {{{field_name}}}",
                hint="use {title}, {count}, {week}, {period}, {sources}, {name}",
            )
        return kwargs[field_name], field_name


def subject_for(digest: Digest) -> str:
    """The subject line: ``digest.subject`` filled in, one line, no control characters."""
    week = digest.period.split("-W")[-1].lstrip("0") or "0"
    fields = {
        "title": digest.title,
        "count": digest.count,
        "week": week,
        "period": digest.period,
        "sources": len(digest.groups),
        "name": digest.subscriber_name or digest.subscriber,
    }
    return _clean_text(_SubjectFormatter().vformat(digest.subject_template, (), fields))


def admin_health(
    subscriber: SubscriberConfig, health: Sequence[SourceHealth], *, enabled: bool
) -> tuple[SourceHealth, ...]:
    """The source-health section of an admin subscriber's digest (flagged sources first)."""
    if not enabled or not subscriber.admin:
        return ()
    return tuple(sorted(health, key=lambda h: (not h.flags, h.source_id)))


def render(digest: Digest, *, templates_dir: Path | str | None = None) -> RenderedDigest:
    """Render ``digest`` to a subject, an HTML body (inline CSS, no images) and a text body."""
    html_env, text_env = _environments(str(templates_dir) if templates_dir else None)
    context = {
        "digest": digest,
        "title": digest.title,
        "period": digest.period,
        "start": _fmt_date(digest.start),
        "end": _fmt_date(digest.end - timedelta(days=1)),
        "groups": digest.groups,
        "count": digest.count,
        "unsubscribe_url": digest.unsubscribe_url,
        "health": digest.health,
        "flagged": [h for h in digest.health if h.flags],
    }
    try:
        html_body = html_env.get_template("digest.html").render(context)
        text_body = text_env.get_template("digest.txt").render(context)
    except jinja2.TemplateError as e:
        raise MailError(
            f"digest template error: {e}", hint="check the files in digest.templates_dir"
        ) from e
    return RenderedDigest(subject=subject_for(digest), html=html_body, text=text_body)
