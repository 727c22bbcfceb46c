"""Structured logs (one line per event, kv or JSON, no secrets) and the metrics registry."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from scraper.logs import configure, event, redact
from scraper.metrics import Registry


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


def _capture(fmt: str) -> io.StringIO:
    stream = io.StringIO()
    configure(fmt, stream=stream)  # type: ignore[arg-type]
    return stream


def test_kv_lines(restore_logging: None) -> None:
    out = _capture("kv")
    event("run.finished", source="riac", new=3, ok=True, first_error='HTTP 500 "oops"\nline 2')
    event("run.queued", logging.DEBUG, source="hidden")  # below INFO: not written
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("ts=") and " level=info event=run.finished source=riac " in line
    assert "new=3 ok=true" in line
    assert 'first_error="HTTP 500 \\"oops\\"\\nline 2"' in line  # one line, quoted


def test_json_lines(restore_logging: None) -> None:
    out = _capture("json")
    event("feeds.built", logging.WARNING, feeds=4, names=["a", "b"], missing=None)
    logging.getLogger("some.library").error("plain %s message", "library")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["event"] == "feeds.built" and first["level"] == "warning"
    assert first["feeds"] == 4 and first["names"] == ["a", "b"] and first["missing"] is None
    assert second == {
        "ts": second["ts"],
        "level": "error",
        "event": "log",
        "logger": "some.library",
        "msg": "plain library message",
    }


def test_no_secrets(restore_logging: None) -> None:
    out = _capture("kv")
    event(
        "config.reloaded",
        password="hunter2",
        smtp_auth="Basic abc",
        unsubscribe_secret="s3cr3t",
        database="postgresql+psycopg://digest:pa55word@db:5432/scraper",
    )
    try:
        raise RuntimeError("cannot reach https://bob:topsecret@mail.example/")
    except RuntimeError:
        logging.getLogger("x").exception("failed")
    text = out.getvalue()
    for secret in ("hunter2", "Basic abc", "s3cr3t", "pa55word", "topsecret"):
        assert secret not in text
    assert "postgresql+psycopg://digest:***@db:5432/scraper" in text
    assert "https://bob:***@mail.example/" in text
    assert "error=" in text  # the exception is summarised on the same line
    assert len(text.splitlines()) == 2


def test_redact_leaves_ordinary_urls_alone() -> None:
    assert redact("https://example.org/a?b=c") == "https://example.org/a?b=c"
    assert redact("see http://u:p@h/ and ftp://x:y@z/") == "see http://u:***@h/ and ftp://x:***@z/"


def test_registry_text_format() -> None:
    r = Registry()
    c = r.counter("jobs_total", "Jobs done", ("kind",))
    g = r.gauge("temperature", "Degrees")
    h = r.histogram("latency_seconds", "Latency", buckets=(0.1, 1.0))
    c.inc(kind='a"b\\c')
    c.inc(2, kind="plain")
    g.set(-1.5)
    for v in (0.05, 0.5, 5.0):
        h.observe(v)
    text = r.render()
    assert text.endswith("\n")
    assert "# HELP jobs_total Jobs done\n# TYPE jobs_total counter" in text
    assert 'jobs_total{kind="a\\"b\\\\c"} 1' in text
    assert 'jobs_total{kind="plain"} 2' in text
    assert "temperature -1.5" in text
    assert 'latency_seconds_bucket{le="0.1"} 1' in text
    assert 'latency_seconds_bucket{le="1"} 2' in text
    assert 'latency_seconds_bucket{le="+Inf"} 3' in text
    assert "latency_seconds_sum 5.55" in text and "latency_seconds_count 3" in text
    with pytest.raises(ValueError):
        c.inc(-1, kind="plain")
    with pytest.raises(ValueError):
        c.inc(kind="x", other="y")
    with pytest.raises(ValueError):
        r.gauge("temperature", "again")
