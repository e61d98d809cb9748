"""Prometheus metrics of the server, declared once in :data:`METRICS`.

The table feeds the code (every exported family), the Grafana dashboard and the alert rules
in ``docs/grafana/`` (``serving/dashboards.py`` writes them; a test keeps them in step).

Two kinds of source: the server's own counters (requests, latency, batches, the log writer),
and the quality of the model read from the store on scrape (the latest monitor report, the
deployment, the label queue; ``serving/quality.py``), so Alertmanager can page on decay.

With several worker processes (``PROMETHEUS_MULTIPROC_DIR`` set before the workers start),
the counters live in prometheus_client's shared files and every scrape sums all workers.
Without it, each app keeps a registry of its own (never the global one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

LATENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 1024)
QUALITY = "quality"
SERVER = "server"


@dataclass(frozen=True)
class Alert:
    """A Prometheus alert rule on one metric."""

    name: str
    expr: str
    for_: str
    severity: str
    summary: str


@dataclass(frozen=True)
class Spec:
    """One exported metric family. ``name`` is the name on the wire (counters end in _total);
    ``panel`` is the PromQL the dashboard draws."""

    name: str
    kind: str  # counter | gauge | histogram
    help: str
    labels: tuple[str, ...]
    source: str  # SERVER (counted by each worker) or QUALITY (read from the store on scrape)
    panel: str
    unit: str = "short"
    alert: Alert | None = None


def _rate(name: str, by: str) -> str:
    return f"sum by ({by}) (rate({name}[5m]))"


METRICS: tuple[Spec, ...] = (
    Spec(
        "fullcycle_requests_total",
        "counter",
        "Requests by route, model, version, arm (production, canary, shadow) and status",
        ("route", "model", "version", "arm", "status"),
        SERVER,
        _rate("fullcycle_requests_total", "route, arm, status"),
        "reqps",
        Alert(
            "FullcycleServerErrors",
            'sum by (model) (rate(fullcycle_requests_total{status=~"5.."}[5m])) / '
            "sum by (model) (rate(fullcycle_requests_total[5m])) > 0.01",
            "5m",
            "page",
            "More than 1% of requests to {{ $labels.model }} fail with a server error",
        ),
    ),
    Spec(
        "fullcycle_request_latency_seconds",
        "histogram",
        "Request latency",
        ("route", "model", "version", "arm"),
        SERVER,
        "histogram_quantile(0.99, sum by (le, route) "
        "(rate(fullcycle_request_latency_seconds_bucket[5m])))",
        "s",
    ),
    Spec(
        "fullcycle_errors_total",
        "counter",
        "Errors by kind",
        ("kind",),
        SERVER,
        _rate("fullcycle_errors_total", "kind"),
        "reqps",
    ),
    Spec(
        "fullcycle_batch_size",
        "histogram",
        "Rows per model call",
        ("model", "version"),
        SERVER,
        "histogram_quantile(0.5, sum by (le) (rate(fullcycle_batch_size_bucket[5m])))",
    ),
    Spec(
        "fullcycle_swaps_total",
        "counter",
        "Deployment swaps by outcome",
        ("outcome",),
        SERVER,
        _rate("fullcycle_swaps_total", "outcome"),
    ),
    Spec(
        "fullcycle_log_queue_depth",
        "gauge",
        "Requests waiting for the log writer (all workers)",
        (),
        SERVER,
        "sum(fullcycle_log_queue_depth)",
    ),
    Spec(
        "fullcycle_logs_dropped_total",
        "counter",
        "Log records dropped (must stay 0)",
        (),
        SERVER,
        "sum(increase(fullcycle_logs_dropped_total[5m]))",
        alert=Alert(
            "FullcycleLogsDropped",
            "sum(increase(fullcycle_logs_dropped_total[5m])) > 0",
            "0m",
            "page",
            "The prediction log dropped records: monitoring no longer sees every request",
        ),
    ),
    Spec(
        "fullcycle_log_records_written_total",
        "counter",
        "Log records written",
        (),
        SERVER,
        "sum(rate(fullcycle_log_records_written_total[5m]))",
    ),
    Spec(
        "fullcycle_shadow_skipped_total",
        "counter",
        "Shadow predictions skipped because the shadow model fell behind",
        (),
        SERVER,
        "sum(rate(fullcycle_shadow_skipped_total[5m]))",
    ),
    Spec(
        "fullcycle_drift_score",
        "gauge",
        "Per-feature drift score of the latest monitor report (statistic / threshold; > 1 drifts)",
        ("model", "feature"),
        QUALITY,
        "fullcycle_drift_score",
    ),
    Spec(
        "fullcycle_drift_detected",
        "gauge",
        "1 when the latest monitor report says the feature drifted",
        ("model", "feature"),
        QUALITY,
        "sum by (model) (fullcycle_drift_detected)",
        alert=Alert(
            "FullcycleFeatureDrift",
            "sum by (model) (fullcycle_drift_detected) > 0",
            "15m",
            "ticket",
            "{{ $value }} feature(s) of {{ $labels.model }} drifted in the latest monitor report",
        ),
    ),
    Spec(
        "fullcycle_live_metric",
        "gauge",
        "The scope's metric on production rows whose labels arrived",
        ("model", "metric"),
        QUALITY,
        "fullcycle_live_metric",
    ),
    Spec(
        "fullcycle_live_metric_goal",
        "gauge",
        "The scope's goal for the metric",
        ("model", "metric"),
        QUALITY,
        "fullcycle_live_metric_goal",
    ),
    Spec(
        "fullcycle_live_metric_shortfall",
        "gauge",
        "How far the live metric is short of its goal (> 0: worse than the goal)",
        ("model", "metric"),
        QUALITY,
        "fullcycle_live_metric_shortfall",
        alert=Alert(
            "FullcycleBelowGoal",
            "fullcycle_live_metric_shortfall > 0",
            "30m",
            "page",
            "Live {{ $labels.metric }} of {{ $labels.model }} is short of its goal by {{ $value }}",
        ),
    ),
    Spec(
        "fullcycle_live_metric_estimate",
        "gauge",
        "Label-free estimate of the metric from the model's own probabilities",
        ("model", "metric"),
        QUALITY,
        "fullcycle_live_metric_estimate",
    ),
    Spec(
        "fullcycle_rejected_share",
        "gauge",
        "Share of requests refused by the contract in the latest monitor window",
        ("model",),
        QUALITY,
        "fullcycle_rejected_share",
        "percentunit",
        Alert(
            "FullcycleRejectedShare",
            "fullcycle_rejected_share > 0.05",
            "15m",
            "ticket",
            "More than 5% of requests to {{ $labels.model }} break the contract",
        ),
    ),
    Spec(
        "fullcycle_expected_cost_per_1000",
        "gauge",
        "Cost per 1,000 decisions on labelled requests (the version's decision policy)",
        ("model",),
        QUALITY,
        "fullcycle_expected_cost_per_1000",
    ),
    Spec(
        "fullcycle_canary_share",
        "gauge",
        "Share of traffic routed to the canary",
        ("model",),
        QUALITY,
        "fullcycle_canary_share",
        "percentunit",
    ),
    Spec(
        "fullcycle_deployment_state",
        "gauge",
        "1 for the deployment's current state (stable, canary, shadow)",
        ("model", "state"),
        QUALITY,
        "max by (state) (fullcycle_deployment_state)",
    ),
    Spec(
        "fullcycle_labels_waiting",
        "gauge",
        "Label tasks queued and not yet labelled",
        ("model",),
        QUALITY,
        "fullcycle_labels_waiting",
    ),
    Spec(
        "fullcycle_monitor_report_age_seconds",
        "gauge",
        "Age of the latest monitor report",
        ("model",),
        QUALITY,
        "fullcycle_monitor_report_age_seconds",
        "s",
        Alert(
            "FullcycleMonitorStale",
            "fullcycle_monitor_report_age_seconds > 86400",
            "1h",
            "ticket",
            "No monitor report for {{ $labels.model }} in a day: is `fullcycle monitor` running?",
        ),
    ),
)
"""Every metric the server exports."""

Sample = tuple[str, dict[str, str], float]  # (metric name, labels, value)


def spec(name: str) -> Spec:
    """The table's row for ``name``."""
    for s in METRICS:
        if s.name == name:
            return s
    raise KeyError(name)


def _base(name: str) -> str:
    return name.removesuffix("_total")


class Metrics:
    """The server's metrics: request counts and latency per route, model, version and arm,
    errors by kind, batch sizes, the log writer's counters, and the quality samples that
    ``quality()`` reads (cached by the caller) on each scrape."""

    def __init__(
        self,
        *,
        model: str = "",
        log_depth: Callable[[], float],
        logs_dropped: Callable[[], float],
        log_written: Callable[[], float],
        shadow_skipped: Callable[[], float] = lambda: 0.0,
        quality: Callable[[], list[Sample]] | None = None,
        multiprocess_dir: str | None = None,
    ) -> None:
        import prometheus_client as pc

        pc.disable_created_metrics()  # no *_created series (a process-wide switch)
        self.model, self.quality, self.multiprocess_dir = model, quality, multiprocess_dir
        self.registry = pc.CollectorRegistry(auto_describe=True)
        reg = None if multiprocess_dir else self.registry
        made: dict[str, Any] = {}
        for s in METRICS:
            if s.source != SERVER:
                continue
            if s.kind == "counter":
                made[s.name] = pc.Counter(_base(s.name), s.help, s.labels, registry=reg)
            elif s.kind == "histogram":
                buckets = LATENCY_BUCKETS if "latency" in s.name else BATCH_BUCKETS
                made[s.name] = pc.Histogram(s.name, s.help, s.labels, buckets=buckets, registry=reg)
            else:
                made[s.name] = pc.Gauge(
                    s.name, s.help, s.labels, registry=reg, multiprocess_mode="livesum"
                )
        self.requests = made["fullcycle_requests_total"]
        self.latency = made["fullcycle_request_latency_seconds"]
        self.errors = made["fullcycle_errors_total"]
        self.batch = made["fullcycle_batch_size"]
        self.swaps = made["fullcycle_swaps_total"]
        self._depth = made["fullcycle_log_queue_depth"]
        self._counted = [
            (made["fullcycle_logs_dropped_total"], logs_dropped),
            (made["fullcycle_log_records_written_total"], log_written),
            (made["fullcycle_shadow_skipped_total"], shadow_skipped),
        ]
        self._seen = [0.0] * len(self._counted)
        self._log_depth = log_depth
        if not multiprocess_dir:
            pc.ProcessCollector(registry=self.registry)
            self.registry.register(_QualityCollector(self))

    def observe(self, route: str, version: Any, arm: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        v = "none" if version is None else str(version)
        self.requests.labels(route, self.model, v, arm, str(status)).inc()
        self.latency.labels(route, self.model, v, arm).observe(seconds)

    def observe_batch(self, model: Any, rows: int) -> None:
        """Count one model call of ``rows`` rows (and bring the log writer's counters up)."""
        self.batch.labels(self.model, str(model.version)).observe(rows)
        self.sync()

    def sync(self) -> None:
        """Bring the log writer's and the shadow's running totals into the counters."""
        self._depth.set(self._log_depth())
        for i, (counter, read) in enumerate(self._counted):
            now = float(read())
            if now > self._seen[i]:
                counter.inc(now - self._seen[i])
                self._seen[i] = now

    def render(self) -> bytes:
        """The exposition text of the whole server (every worker, when there are several)."""
        import prometheus_client as pc
        from prometheus_client import multiprocess

        self.sync()
        if not self.multiprocess_dir:
            return pc.generate_latest(self.registry)  # type: ignore[no-any-return]
        registry = pc.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)
        pc.ProcessCollector(registry=registry)
        registry.register(_QualityCollector(self))
        return pc.generate_latest(registry)  # type: ignore[no-any-return]


class _QualityCollector:
    """The quality gauges, read through ``metrics.quality`` on each scrape."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def describe(self) -> list[Any]:
        return []  # read lazily: registering must not touch the store

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        samples = self.metrics.quality() if self.metrics.quality else []
        for s in METRICS:
            if s.source != QUALITY:
                continue
            family = GaugeMetricFamily(s.name, s.help, labels=list(s.labels))
            for name, labels, value in samples:
                if name == s.name:
                    family.add_metric([labels.get(k, "") for k in s.labels], value)
            yield family


def prepare_multiprocess_dir(given: str | None) -> str:
    """The folder the workers share their counters in: ``given`` (the operator's
    ``PROMETHEUS_MULTIPROC_DIR``) or a new temporary one, emptied of an earlier run's files.
    Set it in the environment before the workers start: prometheus_client reads it on import."""
    import tempfile
    from pathlib import Path

    folder = Path(given) if given else Path(tempfile.mkdtemp(prefix="fullcycle-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    return str(folder)
