"""The configuration file: one TOML document validated by pydantic models.

Every problem is reported as one ``path: message`` line (``sources[3].listing.link_selector:
not a valid CSS selector``); unknown keys are errors, because typos are common. Loading a
config has no side effect: nothing is fetched, written or sent before it validated.
The checked string types the models use (selectors, URLs, time zones...) are in
:mod:`scraper.configtypes`.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from scraper.configtypes import (
    ID_RE,
    BaseUrl,
    Css,
    Email,
    HttpUrl,
    Regex,
    Schedule,
    TimeZone,
    identifier,
)
from scraper.errors import ConfigError

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "Config",
    "DigestConfig",
    "FeedsConfig",
    "FetchConfig",
    "FilteredFeed",
    "ListingConfig",
    "RulesConfig",
    "ServeConfig",
    "SmtpConfig",
    "SourceConfig",
    "SubscriberConfig",
    "load_config",
    "parse_config",
]

DEFAULT_CONFIG_PATH = Path("config.toml")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class FetchConfig(_Model):
    """Politeness and safety limits of the fetcher (all per run, all configurable)."""

    user_agent: str = "thinktank-digest/0.1"
    contact_url: str = "https://github.com/thinktank-digest/thinktank-digest"
    concurrency: int = Field(4, ge=1, le=64)
    per_host_spacing: float = Field(2.0, ge=0, le=600)
    connect_timeout: float = Field(10.0, gt=0, le=300)
    read_timeout: float = Field(20.0, gt=0, le=600)
    deadline: float = Field(60.0, gt=0, le=3600)
    max_bytes: int = Field(10_000_000, ge=1024)
    max_redirects: int = Field(5, ge=0, le=20)
    retries: int = Field(3, ge=0, le=10)
    backoff_base: float = Field(1.0, ge=0, le=60)
    retry_after_cap: float = Field(120.0, ge=0, le=3600)
    respect_robots: bool = True
    robots_ttl: float = Field(86400.0, ge=0)

    @property
    def full_user_agent(self) -> str:
        return f"{self.user_agent} (+{self.contact_url})"


class ListingConfig(_Model):
    """Listing pages: start URLs, how to find article links, how to paginate."""

    start_urls: list[HttpUrl] = Field(min_length=1)
    link_selector: Css | None = None
    link_pattern: Regex | None = None
    next_selector: Css | None = None
    page_template: str | None = None  # e.g. "https://x.org/analysis?page={page}"
    first_page: int = 2  # the first number page_template is filled with
    max_pages: int = Field(3, ge=1, le=1000)

    @model_validator(mode="after")
    def _needs_link_rule(self) -> ListingConfig:
        if not self.link_selector and not self.link_pattern:
            raise ValueError("give link_selector or link_pattern (or both)")
        if self.page_template is not None and "{page}" not in self.page_template:
            raise ValueError("page_template must contain {page}")
        return self


class RulesConfig(_Model):
    """Per-source CSS selectors that win over the generic extractor."""

    title: Css | None = None
    authors: Css | None = None
    date: Css | None = None
    body: Css | None = None
    summary: Css | None = None
    remove: list[Css] = Field(default_factory=list)


class SourceConfig(_Model):
    """One institute: identity, discovery, extraction rules, schedule."""

    id: str
    name: str = Field(min_length=1)
    homepage: HttpUrl
    language: str = "en"
    timezone: TimeZone | None = None
    tags: list[str] = Field(default_factory=list)
    enabled: bool = True
    icon: HttpUrl | None = None
    schedule: Schedule | None = None
    listing: ListingConfig | None = None
    sitemaps: list[HttpUrl] = Field(default_factory=list)
    feeds: list[HttpUrl] = Field(default_factory=list)
    include: list[Regex] = Field(default_factory=list)
    exclude: list[Regex] = Field(default_factory=list)
    backfill_days: int | None = Field(None, ge=0)
    # How article URLs of this site are keyed: keep, strip or add a trailing slash.
    trailing_slash: Literal["keep", "strip", "add"] = "keep"
    max_articles: int = Field(50, ge=1, le=100_000)
    rules: RulesConfig | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        return identifier(v)

    @field_validator("tags")
    @classmethod
    def _tag_shape(cls, v: list[str]) -> list[str]:
        for tag in v:
            if not ID_RE.match(tag):
                raise ValueError(f"tag {tag!r}: use lower-case letters, digits, '-' and '_'")
        return v

    @model_validator(mode="after")
    def _needs_discovery(self) -> SourceConfig:
        if self.listing is None and not self.sitemaps and not self.feeds:
            raise ValueError("give at least one of listing, sitemaps, feeds")
        return self


class FilteredFeed(_Model):
    """An extra feed: articles of some sources and/or tags and/or matching keywords."""

    id: str
    title: str
    sources: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        return identifier(v)


class FeedsConfig(_Model):
    """Publishing: where feeds go and how big they are."""

    output_dir: str = "data/feeds"
    max_entries: int = Field(100, ge=1, le=10_000)
    title: str = "thinktank-digest"
    json_feed: bool = True
    filtered: list[FilteredFeed] = Field(default_factory=list)


class SmtpConfig(_Model):
    """SMTP delivery; the password only from the environment variable named here."""

    host: str
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    timeout: float = Field(30.0, gt=0, le=600)

    def password(self) -> str | None:
        return os.environ.get(self.password_env) if self.password_env else None


class DigestConfig(_Model):
    """The weekly digest: when, from whom, how it looks."""

    enabled: bool = True
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    time: str = "07:00"
    timezone: TimeZone = "UTC"
    subject: str = "{title}: {count} new pieces, week {week}"
    title: str = "Think-tank digest"
    from_address: Email = "digest@localhost.localdomain"
    from_name: str = "thinktank-digest"
    reply_to: Email | None = None
    max_items_per_source: int = Field(20, ge=1, le=1000)
    empty_policy: Literal["skip", "send"] = "skip"
    catch_up: Literal["latest", "all"] = "latest"
    templates_dir: str | None = None
    outbox_dir: str = "data/outbox"
    unsubscribe_secret_env: str = "SCRAPER_UNSUBSCRIBE_SECRET"
    admin_section: bool = False

    @field_validator("time")
    @classmethod
    def _time_shape(cls, v: str) -> str:
        if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", v):
            raise ValueError("use HH:MM (24 h)")
        return v


class SubscriberConfig(_Model):
    """One digest recipient and what they want."""

    email: Email
    name: str | None = None
    sources: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    language: str | None = None
    admin: bool = False  # gets the source-health section when digest.admin_section is on


class ServeConfig(_Model):
    """The always-on service."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    public_base_url: BaseUrl | None = None  # e.g. "https://digest.example.org"
    default_schedule: Schedule = "every 6h"
    max_concurrent_sources: int = Field(2, ge=1, le=64)
    error_backoff_max_hours: float = Field(24.0, gt=0)
    failing_after: int = Field(3, ge=1)
    empty_after_days: float = Field(14.0, gt=0)
    grace_seconds: float = Field(20.0, ge=0)
    log_format: Literal["kv", "json"] = "kv"


class Config(_Model):
    """The whole file."""

    database_url: str = "sqlite:///data/scraper.db"
    data_dir: str = "data"
    fetch: FetchConfig = Field(default_factory=lambda: FetchConfig())
    feeds: FeedsConfig = Field(default_factory=lambda: FeedsConfig())
    serve: ServeConfig = Field(default_factory=lambda: ServeConfig())
    digest: DigestConfig = Field(default_factory=lambda: DigestConfig())
    smtp: SmtpConfig | None = None
    subscribers: list[SubscriberConfig] = Field(default_factory=list)
    sources: list[SourceConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        problems: list[str] = []
        seen: set[str] = set()
        for i, src in enumerate(self.sources):
            if src.id in seen:
                problems.append(f"sources[{i}].id: duplicate source id {src.id!r}")
            seen.add(src.id)
        for i, sub in enumerate(self.subscribers):
            for s in sub.sources:
                if s not in seen:
                    problems.append(f"subscribers[{i}].sources: unknown source {s!r}")
        feed_ids: set[str] = set()
        for i, ff in enumerate(self.feeds.filtered):
            # Each filtered feed is written to filtered/<id>.*: a second one would overwrite it.
            if ff.id in feed_ids:
                problems.append(f"feeds.filtered[{i}].id: duplicate filtered feed id {ff.id!r}")
            feed_ids.add(ff.id)
            for s in ff.sources:
                if s not in seen:
                    problems.append(f"feeds.filtered[{i}].sources: unknown source {s!r}")
            # Tags are not checked against the sources' tags: articles also carry the tags
            # their pages declare (article:tag, keywords), which no config can list.
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def source(self, source_id: str) -> SourceConfig:
        for src in self.sources:
            if src.id == source_id:
                return src
        raise KeyError(source_id)

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the working directory."""
        return Path(path)


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("function-after") or part in {"list[str]"}:
            continue
        else:
            out += ("." if out else "") + part
    return out


def _problems(err: ValidationError) -> list[str]:
    lines: list[str] = []
    for e in err.errors(include_url=False):
        msg = e["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling)"
        loc = _loc(tuple(e["loc"]))
        for part in msg.split("; "):
            if re.match(r"^[a-z_]+(\[\d+\])?[.:]", part) and ": " in part and not loc:
                lines.append(part)
            else:
                lines.append(f"{loc or '<top>'}: {part}")
    return lines


def parse_config(data: dict[str, Any], *, origin: str = "<config>") -> Config:
    """Validate a decoded TOML document; raise :class:`ConfigError` listing every problem."""
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        problems = _problems(e)
        raise ConfigError(
            f"{origin}: {len(problems)} problem(s) in the configuration",
            problems=problems,
            hint="fix the lines above; `scraper config check` re-checks without side effects",
        ) from e


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the config file (``--config``, ``$SCRAPER_CONFIG``, ./config.toml)."""
    p = Path(path or os.environ.get("SCRAPER_CONFIG") or DEFAULT_CONFIG_PATH)
    try:
        raw = p.read_bytes()
    except FileNotFoundError as e:
        raise ConfigError(
            f"{p}: configuration file not found", hint="pass --config PATH or set SCRAPER_CONFIG"
        ) from e
    except OSError as e:
        raise ConfigError(f"{p}: cannot read the configuration ({e.strerror})") from e
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ConfigError(f"{p}: not UTF-8 text", hint="save the file as UTF-8") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: not valid TOML ({e})", problems=[f"<toml>: {e}"]) from e
    return parse_config(data, origin=str(p))


def parse_since(value: str) -> date:
    """``--since YYYY-MM-DD``."""
    return date.fromisoformat(value)
