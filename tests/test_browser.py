"""The status page in a real headless browser (Debian ``chromium``) against ``scraper serve``.

Chromium loads ``/`` from the running service: the DOM it builds (``--dump-dom``) must show
every configured source, its console (``--enable-logging=stderr``: CSP violations, failed
loads and script errors are all ``CONSOLE`` lines) must stay silent, and a screenshot is saved
to ``artifacts/status-page.png`` for humans. Skipped, with the reason, when chromium is absent.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._service_helpers import ROOT, ThinkTank, serving, wait_until, write_config
from tests.sitesrv import SiteServer

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "artifacts"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--enable-logging=stderr",
    "--v=0",
)


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        yield server


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _console(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_status_page_in_headless_chromium(site: SiteServer, tmp_path: Path) -> None:
    sources = [
        ThinkTank(site, "alpha", "Alpha Institute"),
        ThinkTank(site, "beta", "Beta Centre for Strategy"),
        ThinkTank(site, "gamma", "Gamma Forum", fail=True),  # shows a last error
    ]
    config = write_config(tmp_path / "config.toml", sources, data=tmp_path / "data")
    with serving(config, cwd=tmp_path) as served:
        wait_until(lambda: served.source("alpha")["articles"] >= 3)
        wait_until(lambda: served.source("gamma")["last_error"])
        url = served.base + "/"
        dom = _chromium(["--dump-dom", url], tmp_path / "profile-dom")
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "status-page.png"
        shot.unlink(missing_ok=True)
        pic = _chromium(
            ["--window-size=1400,1000", "--hide-scrollbars", f"--screenshot={shot}", url],
            tmp_path / "profile-shot",
        )
        assert served.stop() == 0
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    for src in sources:
        assert f'id="source-{src.id}"' in html
        assert src.name in html
    assert "HTTP 500" in html or "500" in html.split('id="source-gamma"')[1].split("</tr>")[0]
    assert 'href="/feeds.opml"' in html
    assert _console(dom.stderr) == []
    assert _console(pic.stderr) == []
    assert pic.returncode == 0, pic.stderr[-2000:]
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank image
