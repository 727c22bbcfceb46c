"""The command line: documented commands, one-line errors, no side effects on a bad config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from scraper.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            names.extend(_commands(command, f"{full} "))
        else:
            names.append(full)
    return names


def test_every_command_is_documented_in_the_readme_and_has_an_example() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = _commands(cli)
    assert "scrape" in commands and "config check" in commands
    for name in commands:
        assert f"`scraper {name}" in readme, f"`scraper {name}` missing from the README"
    for name in commands:
        command = cli
        for part in name.split():
            assert isinstance(command, click.Group)
            command = command.commands[part]  # type: ignore[assignment]
        assert command.help and "Example:" in command.help, f"{name}: no example in its help"


def test_config_check_ok_on_the_bundled_config() -> None:
    result = CliRunner().invoke(cli, ["--config", str(ROOT / "config.toml"), "config", "check"])
    assert result.exit_code == 0, result.output
    assert "ok: 12 sources" in result.output


def _bad_config(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    path = tmp_path / "bad.toml"
    path.write_text(
        f'database_url = "sqlite:///{data_dir}/x.db"\n'
        f'data_dir = "{data_dir}"\n'
        "[[sources]]\n"
        'id = "demo"\nname = "Demo"\nhomepage = "https://demo.example/"\n'
        '[sources.listing]\nstart_urls = ["https://demo.example/"]\nlink_selector = "a[[["\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    "args",
    [["config", "check"], ["scrape"], ["sources"], ["feeds", "build"], ["digest", "send"]],
)
def test_bad_config_stops_every_command_before_any_side_effect(
    tmp_path: Path, args: list[str]
) -> None:
    path = _bad_config(tmp_path)
    env = {**os.environ, "SCRAPER_CONFIG": str(path)}
    proc = subprocess.run(
        [sys.executable, "-m", "scraper", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "sources[0].listing.link_selector: not a valid CSS selector" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "data").exists(), "a bad config must not create anything"


def test_unknown_source_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--config", str(ROOT / "config.toml"), "scrape", "no-such-source"]
    )
    assert result.exit_code == 2
    assert "unknown source id(s): no-such-source" in result.output


def test_extract_a_saved_file_prints_one_json_line(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<!-- hand-written unit page -->"
        "<html><head><title>T | Site</title>"
        '<meta property="og:title" content="A headline">'
        '<meta property="article:published_time" content="2025-07-09T10:00:00+03:30">'
        "</head><body><article><h1>A headline</h1>"
        + "<p>Some body text of a reasonable length for a paragraph.</p>" * 8
        + "</article></body></html>",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli,
        [
            "--config",
            str(ROOT / "config.toml"),
            "extract",
            "--url",
            "https://demo.example/a",
            str(page),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["title"] == "A headline"
    assert data["published"] == "2025-07-09T10:00:00+03:30"
    assert data["url"] == "https://demo.example/a"
    assert set(data) >= {"url", "title", "authors", "published", "language", "summary"}
    assert set(data) >= {"body_text", "blocked", "field_sources"}


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scraper", "--config", str(tmp_path / "nope.toml"), "sources"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "configuration file not found" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_extract_a_blocked_url_reports_blocked(tmp_path: Path) -> None:
    from tests.sitesrv import SiteServer

    config = tmp_path / "c.toml"
    config.write_text("[fetch]\nper_host_spacing = 0\nretries = 0\n", encoding="utf-8")
    with SiteServer() as site:
        result = CliRunner().invoke(
            cli, ["--config", str(config), "extract", site.url("/cf-challenge")]
        )
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("{"))
    data = json.loads(line)
    assert data["blocked"] is True and data["title"] is None
    assert data["url"].endswith("/cf-challenge")


def _site_config(tmp_path: Path, start_url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'database_url = "sqlite:///{tmp_path}/db/scraper.db"\n'
        f'data_dir = "{tmp_path}/data"\n'
        "[fetch]\nper_host_spacing = 0\nretries = 1\nbackoff_base = 0.01\n"
        f'[feeds]\noutput_dir = "{tmp_path}/feeds"\n'
        "[[sources]]\n"
        'id = "local"\nname = "Local Institute"\n'
        f'homepage = "{start_url}"\ntags = ["test"]\n'
        f'[sources.listing]\nstart_urls = ["{start_url}"]\nlink_selector = "ul.articles a"\n',
        encoding="utf-8",
    )
    return path


def test_scrape_builds_the_feeds_and_feeds_check_validates_them(tmp_path: Path) -> None:
    """``scrape`` rebuilds the feeds after storing (``--no-feeds`` skips it); ``feeds check``
    says ok for each built feed and exits 1, naming the rule, on a broken one."""
    from tests.sitesrv import SiteServer, html_page

    body = "".join(
        f"<p>Paragraph {i} of a long enough analysis of the talks.</p>" for i in range(40)
    )
    head = '<meta property="article:published_time" content="2025-07-09T09:00:00+03:30">'
    with SiteServer() as site:
        site.add("/list", "<ul class='articles'><li><a href='/talks'>Talks</a></li></ul>")
        site.add("/talks", html_page("Talks in Geneva", body, head=head))
        config = str(_site_config(tmp_path, site.url("/list")))
        runner = CliRunner()
        skipped = runner.invoke(cli, ["--config", config, "scrape", "--no-feeds"])
        assert skipped.exit_code == 0, skipped.output
        assert not (tmp_path / "feeds").exists()
        scraped = runner.invoke(cli, ["--config", config, "scrape"])
    assert scraped.exit_code == 0, scraped.output
    feed = tmp_path / "feeds" / "all.atom"
    assert "Talks in Geneva" in feed.read_text(encoding="utf-8")
    assert (tmp_path / "feeds" / "sources" / "local.atom").is_file()
    checked = runner.invoke(cli, ["--config", config, "feeds", "check"])
    assert checked.exit_code == 0, checked.output
    assert "ok all.atom" in checked.output and "ok sources/local.atom" in checked.output
    broken = feed.read_text(encoding="utf-8").replace("<id>", "<x>", 1).replace("</id>", "</x>", 1)
    feed.write_text(broken, encoding="utf-8")
    failed = runner.invoke(cli, ["--config", config, "feeds", "check"])
    assert failed.exit_code == 1
    assert "invalid all.atom" in failed.output and "exactly one id" in failed.output
    assert "ok sources/local.atom" in failed.output
