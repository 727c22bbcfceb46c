"""The small Prometheus registry: values, labels, text exposition format 0.0.4."""

from __future__ import annotations

import pytest

from scraper.metrics import Registry


def test_counter_gauge_and_histogram_render_in_text_format() -> None:
    reg = Registry()
    fetches = reg.counter("t_fetches_total", "Fetches by status.", ["status"])
    running = reg.gauge("t_running", "Sources running.")
    took = reg.histogram("t_run_seconds", "Run durations.", buckets=(1.0, 5.0))
    fetches.inc(status="ok")
    fetches.inc(2, status="ok")
    fetches.inc(status='bad "quote"\n')
    running.inc()
    running.inc()
    running.dec()
    took.observe(0.5)
    took.observe(3)
    took.observe(30)
    text = reg.render()
    assert "# HELP t_fetches_total Fetches by status.\n# TYPE t_fetches_total counter" in text
    assert 't_fetches_total{status="ok"} 3' in text
    assert 't_fetches_total{status="bad \\"quote\\"\\n"} 1' in text
    assert "# TYPE t_running gauge\nt_running 1" in text
    assert 't_run_seconds_bucket{le="1"} 1' in text
    assert 't_run_seconds_bucket{le="5"} 2' in text
    assert 't_run_seconds_bucket{le="+Inf"} 3' in text
    assert "t_run_seconds_sum 33.5" in text and "t_run_seconds_count 3" in text
    assert fetches.value(status="ok") == 3 and took.count() == 3


def test_unlabelled_metrics_show_zero_and_gauges_set_and_clear() -> None:
    reg = Registry()
    up = reg.gauge("t_up", "Up.")
    per_source = reg.gauge("t_flag", "Flags.", ["source"])
    assert "t_up 0" in reg.render()
    up.set(1)
    per_source.set(1, source="ipis")
    assert 't_flag{source="ipis"} 1' in reg.render()
    per_source.clear()
    assert "t_flag{" not in reg.render()
    assert "t_up 1" in reg.render()


def test_misuse_is_refused() -> None:
    reg = Registry()
    counter = reg.counter("t_total", "A counter.", ["kind"])
    with pytest.raises(ValueError, match="only goes up"):
        counter.inc(-1, kind="x")
    with pytest.raises(ValueError, match="labels"):
        counter.inc(other="x")
