"""A small Prometheus registry: counters, gauges and histograms with labels, text format 0.0.4.

Enough for ``/metrics`` without a dependency: values live in memory (they restart at zero with
the process, as Prometheus expects of counters), the exposition is rendered on request.
Thread-safe: feeds are rebuilt in a worker thread.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence

__all__ = ["CONTENT_TYPE", "Counter", "Gauge", "Histogram", "Registry"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DEFAULT_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)

LabelValues = tuple[str, ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _labels(names: Sequence[str], values: Sequence[str], extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


class _Metric:
    kind = "untyped"

    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        self.name = name
        self.help = help_text
        self.label_names = tuple(labels)
        self._lock = threading.Lock()

    def _key(self, labels: dict[str, str]) -> LabelValues:
        if set(labels) != set(self.label_names):
            raise ValueError(f"{self.name}: labels {sorted(labels)} != {list(self.label_names)}")
        return tuple(str(labels[n]) for n in self.label_names)

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]

    def samples(self) -> list[str]:  # pragma: no cover - overridden
        raise NotImplementedError


class _Valued(_Metric):
    """A metric holding one float per label set (counters and gauges)."""

    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, help_text, labels)
        self._values: dict[LabelValues, float] = {}

    def _add(self, amount: float, labels: dict[str, str]) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        with self._lock:
            return self._values.get(self._key(labels), 0.0)

    def samples(self) -> list[str]:
        with self._lock:
            items = sorted(self._values.items())
        if not items and not self.label_names:
            items = [((), 0.0)]
        return [f"{self.name}{_labels(self.label_names, k)} {_number(v)}" for k, v in items]


class Counter(_Valued):
    """A value that only goes up."""

    kind = "counter"

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        if amount < 0:
            raise ValueError("a counter only goes up")
        self._add(amount, labels)


class Gauge(_Valued):
    """A value that goes up and down (``set`` replaces; ``clear`` forgets every label set)."""

    kind = "gauge"

    def set(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = float(value)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        self._add(amount, labels)

    def dec(self, amount: float = 1.0, **labels: str) -> None:
        self._add(-amount, labels)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


class Histogram(_Metric):
    """Observations counted into cumulative buckets (``_bucket``, ``_sum``, ``_count``)."""

    kind = "histogram"

    def __init__(
        self,
        name: str,
        help_text: str,
        labels: Sequence[str] = (),
        buckets: Sequence[float] = DEFAULT_BUCKETS,
    ) -> None:
        super().__init__(name, help_text, labels)
        self.buckets = tuple(sorted(buckets))
        self._counts: dict[LabelValues, list[int]] = {}
        self._sums: dict[LabelValues, float] = {}

    def observe(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            counts = self._counts.setdefault(key, [0] * (len(self.buckets) + 1))
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    counts[i] += 1
            counts[-1] += 1  # +Inf
            self._sums[key] = self._sums.get(key, 0.0) + value

    def count(self, **labels: str) -> int:
        with self._lock:
            counts = self._counts.get(self._key(labels))
            return counts[-1] if counts else 0

    def samples(self) -> list[str]:
        lines: list[str] = []
        with self._lock:
            items = sorted(self._counts.items())
            sums = dict(self._sums)
        for key, counts in items:
            bounds = [*self.buckets, math.inf]
            for bound, n in zip(bounds, counts, strict=True):
                le = f'le="{_number(bound)}"'
                lines.append(f"{self.name}_bucket{_labels(self.label_names, key, le)} {n}")
            labels = _labels(self.label_names, key)
            lines.append(f"{self.name}_sum{labels} {_number(sums[key])}")
            lines.append(f"{self.name}_count{labels} {counts[-1]}")
        return lines


class Registry:
    """Metrics by name; :meth:`render` gives the text exposition."""

    def __init__(self) -> None:
        self._metrics: dict[str, _Metric] = {}

    def _add(self, metric: _Metric) -> None:
        if metric.name in self._metrics:
            raise ValueError(f"metric {metric.name} registered twice")
        self._metrics[metric.name] = metric

    def counter(self, name: str, help_text: str, labels: Sequence[str] = ()) -> Counter:
        metric = Counter(name, help_text, labels)
        self._add(metric)
        return metric

    def gauge(self, name: str, help_text: str, labels: Sequence[str] = ()) -> Gauge:
        metric = Gauge(name, help_text, labels)
        self._add(metric)
        return metric

    def histogram(
        self,
        name: str,
        help_text: str,
        labels: Sequence[str] = (),
        buckets: Sequence[float] = DEFAULT_BUCKETS,
    ) -> Histogram:
        metric = Histogram(name, help_text, labels, buckets)
        self._add(metric)
        return metric

    def render(self) -> str:
        lines: list[str] = []
        for metric in self._metrics.values():
            lines.extend(metric.header())
            lines.extend(metric.samples())
        return "\n".join(lines) + "\n"


class ServiceMetrics:
    """The metrics ``scraper serve`` exports (names are the public contract of ``/metrics``)."""

    def __init__(self) -> None:
        self.registry = r = Registry()
        self.up = r.gauge("scraper_up", "1 while the service runs")
        self.database_up = r.gauge("scraper_database_up", "1 when the database answered the ping")
        self.scheduler_running = r.gauge("scraper_scheduler_running", "1 when the timer runs")
        self.fetches = r.counter(
            "scraper_fetches_total", "Article fetches by source and outcome", ("source", "status")
        )
        self.articles = r.counter(
            "scraper_articles_stored_total",
            "Articles stored by source and action (new, updated)",
            ("source", "action"),
        )
        self.runs = r.counter(
            "scraper_runs_total", "Source runs by result (success, failure)", ("source", "result")
        )
        self.run_seconds = r.histogram(
            "scraper_run_duration_seconds", "Wall-clock duration of source runs", ("source",)
        )
        self.running = r.gauge("scraper_sources_running", "Source runs in progress")
        self.feed_builds = r.counter(
            "scraper_feed_builds_total", "Feed rebuilds by result (ok, error)", ("result",)
        )
        self.digests_sent = r.counter("scraper_digests_sent_total", "Digest emails sent")
        self.deliveries = r.counter(
            "scraper_digest_deliveries_total",
            "Digest delivery outcomes (sent, pending, failed, skipped...)",
            ("state",),
        )
        self.reloads = r.counter(
            "scraper_config_reloads_total", "Configuration reloads (applied, rejected)", ("result",)
        )
        self.source_healthy = r.gauge(
            "scraper_source_healthy", "1 when the source has no health flag", ("source",)
        )
        self.source_flag = r.gauge(
            "scraper_source_flag", "1 for each health flag a source has", ("source", "flag")
        )
        self.source_failures = r.gauge(
            "scraper_source_consecutive_failures", "Failed runs in a row", ("source",)
        )
        self.source_articles = r.gauge(
            "scraper_source_articles", "Articles stored for the source", ("source",)
        )
        self.source_last_success = r.gauge(
            "scraper_source_last_success_timestamp_seconds",
            "Unix time of the source's last successful run (0: never)",
            ("source",),
        )
        self.up.set(1)

    def render(self) -> str:
        return self.registry.render()
