"""Config validation: every problem is one `path: message` line; unknown keys are errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from scraper.config import Config, load_config, parse_config
from scraper.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def _source(**extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "demo",
        "name": "Demo institute",
        "homepage": "https://demo.example/",
        "feeds": ["https://demo.example/feed"],
    }
    base.update(extra)
    return base


def _problems(data: dict[str, object]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return info.value.problems


def test_bundled_config_is_valid_and_has_the_required_institutes() -> None:
    config = load_config(ROOT / "config.toml")
    ids = {s.id for s in config.sources}
    required = {"ipis", "valdai", "riac", "brookings", "carnegie", "csis", "chatham", "rand"}
    required |= {"atlantic-council", "cfr", "ecfr", "crisis-group"}
    assert required <= ids
    ipis = config.source("ipis")
    assert ipis.timezone == "Asia/Tehran"
    assert config.database_url.startswith("sqlite:///")


def test_defaults_are_polite() -> None:
    config = Config()
    assert config.fetch.concurrency == 4
    assert config.fetch.per_host_spacing == 2.0
    assert config.fetch.respect_robots
    assert "+" in config.fetch.full_user_agent


def test_bad_css_selector_is_reported_with_its_path() -> None:
    listing = {"start_urls": ["https://demo.example/list"], "link_selector": "a[[["}
    problems = _problems({"sources": [_source(), _source(id="two", listing=listing)]})
    assert "sources[1].listing.link_selector: not a valid CSS selector" in problems


def test_unknown_keys_are_errors_everywhere() -> None:
    problems = _problems({"fetch": {"concurency": 3}, "sources": [_source(tagz=["x"])]})
    assert "fetch.concurency: unknown key (check the spelling)" in problems
    assert "sources[0].tagz: unknown key (check the spelling)" in problems


def test_every_problem_is_reported_at_once() -> None:
    problems = _problems(
        {
            "sources": [
                _source(homepage="ftp://demo.example"),
                _source(id="Bad Id"),
                _source(id="x", timezone="Mars/Olympus"),
                _source(id="y", include=["(unclosed"]),
            ],
            "subscribers": [{"email": "not-an-email"}],
            "smtp": {"host": "mail.example", "security": "ssl"},
        }
    )
    joined = "\n".join(problems)
    assert "sources[0].homepage: must be an absolute http(s) URL" in joined
    assert "sources[1].id:" in joined
    assert "sources[2].timezone: unknown time zone" in joined
    assert "sources[3].include[0]: not a valid regular expression" in joined
    assert "subscribers[0].email: not a valid email address" in joined
    assert "smtp.security:" in joined
    assert len(problems) == 6


def test_cross_references_and_duplicates() -> None:
    problems = _problems(
        {
            "sources": [_source(), _source()],
            "subscribers": [{"email": "a@b.example", "sources": ["nope"]}],
        }
    )
    assert any("duplicate source id 'demo'" in p for p in problems)
    assert any("subscribers[0].sources: unknown source 'nope'" in p for p in problems)


def test_filtered_feeds_need_distinct_ids_and_known_sources() -> None:
    feed = {"id": "gulf", "title": "Gulf", "sources": ["demo"]}
    problems = _problems(
        {
            "sources": [_source()],
            "feeds": {
                "filtered": [
                    feed,
                    {"id": "other", "title": "Other", "sources": ["nope"]},
                    {**feed, "title": "Gulf again"},
                ]
            },
        }
    )
    assert problems == [
        "feeds.filtered[1].sources: unknown source 'nope'",
        "feeds.filtered[2].id: duplicate filtered feed id 'gulf'",
    ]


def test_filtered_feed_tags_may_be_page_tags_no_source_declares() -> None:
    """Articles also carry the tags their pages declare, so any tag can match something."""
    feed = {"id": "energy", "title": "Energy", "tags": ["energy"]}
    config = parse_config({"sources": [_source(tags=["iran"])], "feeds": {"filtered": [feed]}})
    assert config.feeds.filtered[0].tags == ["energy"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("digest.example.org", "must be an absolute http(s) URL with a host"),
        ("", "must be an absolute http(s) URL with a host"),
        ("ftp://digest.example.org", "must be an absolute http(s) URL with a host"),
        ("https:///digest", "must be an absolute http(s) URL with a host"),
        ("https://digest.example.org/?x=1", "must not have a query or fragment"),
        ("https://digest.example.org/#top", "must not have a query or fragment"),
        ("https://digest.example.org:99999/", "not a valid URL"),
        ("https://digest example.org/", "must not contain spaces"),
        ("https://me:pw@digest.example.org/", "must not contain user:password@"),
    ],
)
def test_public_base_url_must_be_an_absolute_http_url(url: str, message: str) -> None:
    problems = _problems({"serve": {"public_base_url": url}})
    assert len(problems) == 1
    assert problems[0].startswith(f"serve.public_base_url: {message}")
    assert "like https://digest.example.org" in problems[0]  # shows what would do


@pytest.mark.parametrize(
    "url", ["https://digest.example.org", "https://example.org/digest/", "http://127.0.0.1:8080"]
)
def test_public_base_url_accepts_hosts_ports_and_path_prefixes(url: str) -> None:
    assert parse_config({"serve": {"public_base_url": url}}).serve.public_base_url == url


def test_a_source_needs_a_way_to_discover_articles() -> None:
    problems = _problems({"sources": [_source(feeds=[])]})
    assert problems == ["sources[0]: give at least one of listing, sitemaps, feeds"]


def test_schedule_and_listing_rules() -> None:
    bad = {"start_urls": ["https://demo.example/"], "page_template": "https://x/?p=1"}
    problems = _problems({"sources": [_source(schedule="sometimes", listing=bad)]})
    assert any(p.startswith("sources[0].schedule:") for p in problems)
    assert any(p.startswith("sources[0].listing:") for p in problems)
    ok = parse_config({"sources": [_source(schedule="*/30 * * * *"), _source(id="b")]})
    assert ok.sources[0].schedule == "*/30 * * * *"


def test_missing_file_and_broken_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found") as info:
        load_config(tmp_path / "absent.toml")
    assert info.value.hint and "--config" in info.value.hint
    broken = tmp_path / "broken.toml"
    broken.write_text("[fetch\nconcurrency = 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)


def test_env_var_names_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.toml"
    path.write_text('database_url = "sqlite:///x.db"\n', encoding="utf-8")
    monkeypatch.setenv("SCRAPER_CONFIG", str(path))
    assert load_config().database_url == "sqlite:///x.db"


def test_smtp_password_only_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config({"smtp": {"host": "mail.example", "password_env": "TT_PW"}})
    assert config.smtp is not None
    monkeypatch.delenv("TT_PW", raising=False)
    assert config.smtp.password() is None
    monkeypatch.setenv("TT_PW", "s3cret")
    assert config.smtp.password() == "s3cret"
    problems = _problems({"smtp": {"host": "mail.example", "password": "inline"}})
    assert problems == ["smtp.password: unknown key (check the spelling)"]


def test_readme_documents_every_config_key() -> None:
    """Every key of the bundled config appears in the README's configuration reference."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    data = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
    keys: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                keys.add(k)
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(data)
    missing = sorted(k for k in keys if f"`{k}`" not in readme and f"[{k}]" not in readme)
    assert not missing, f"undocumented config keys: {missing}"
