"""Prometheus metrics of one server process, in a registry of its own (never the global one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 1024)


class Metrics:
    """Request counts and latency per route and version, errors by kind, batch sizes, log queue."""

    def __init__(
        self,
        *,
        log_depth: Callable[[], float],
        logs_dropped: Callable[[], float],
        log_written: Callable[[], float],
        shadow_skipped: Callable[[], float] = lambda: 0.0,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.requests = Counter(
            "fullcycle_requests",
            "Requests by route, model version, status",
            ["route", "version", "status"],
            registry=reg,
        )
        self.latency = Histogram(
            "fullcycle_request_latency_seconds",
            "Request latency",
            ["route", "version"],
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.errors = Counter("fullcycle_errors", "Errors by kind", ["kind"], registry=reg)
        self.batch = Histogram(
            "fullcycle_batch_size",
            "Rows per model call",
            ["version"],
            buckets=BATCH_BUCKETS,
            registry=reg,
        )
        self.swaps = Counter(
            "fullcycle_swaps", "Deployment swaps by outcome", ["outcome"], registry=reg
        )
        Gauge(
            "fullcycle_log_queue_depth", "Requests waiting for the log writer", registry=reg
        ).set_function(log_depth)
        Gauge(
            "fullcycle_logs_dropped", "Log records dropped (must stay 0)", registry=reg
        ).set_function(logs_dropped)
        Gauge(
            "fullcycle_log_records_written", "Log records written by this process", registry=reg
        ).set_function(log_written)
        Gauge(
            "fullcycle_shadow_skipped",
            "Shadow predictions skipped because the shadow model fell behind",
            registry=reg,
        ).set_function(shadow_skipped)

    def observe(self, route: str, version: Any, status: int, seconds: float) -> None:
        v = "none" if version is None else str(version)
        self.requests.labels(route, v, str(status)).inc()
        self.latency.labels(route, v).observe(seconds)

    def observe_batch(self, model: Any, rows: int) -> None:
        self.batch.labels(str(model.version)).observe(rows)

    def render(self) -> bytes:
        return generate_latest(self.registry)
