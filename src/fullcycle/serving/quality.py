"""The model's quality as Prometheus samples: read from the store on scrape, cached.

Sources: the latest monitor report (drift per feature, the live metric, its goal and the
label-free estimate, the rejected share, the expected cost), the deployment (canary share
and state) and the label queue (tasks waiting). The names are rows of ``metrics.METRICS``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from fullcycle.errors import StoreUnavailable
from fullcycle.serving.metrics import Sample
from fullcycle.store import deployments, labels, reports
from fullcycle.store.db import Database

CACHE_S = 15.0


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def report_samples(model: str, row: dict[str, Any] | None, now: float) -> list[Sample]:
    """Samples from one stored monitor report row (None: no report yet)."""
    if row is None:
        return []
    summary = row.get("summary") or {}
    found: list[Sample] = []
    age = _num(row.get("created_at"))
    if age is not None:
        found.append(("fullcycle_monitor_report_age_seconds", {"model": model}, now - age))
    for f in (summary.get("drift") or {}).get("features", []):
        feature = {"model": model, "feature": str(f.get("name"))}
        score = _num(f.get("score"))
        if score is not None:
            found.append(("fullcycle_drift_score", feature, score))
        found.append(("fullcycle_drift_detected", feature, 1.0 if f.get("drifted") else 0.0))
    found += _performance(model, summary.get("performance") or {})
    rejected = _num((summary.get("health") or {}).get("rejected_rate"))
    if rejected is not None:
        found.append(("fullcycle_rejected_share", {"model": model}, rejected))
    cost = _num((summary.get("cost") or {}).get("cost_per_1000"))
    if cost is not None:
        found.append(("fullcycle_expected_cost_per_1000", {"model": model}, cost))
    return found


def _performance(model: str, perf: dict[str, Any]) -> list[Sample]:
    labels_ = {"model": model, "metric": str(perf.get("metric"))}
    value, goal = _num(perf.get("value")), _num(perf.get("goal"))
    estimate = perf.get("estimate")
    if isinstance(estimate, dict):
        estimate = estimate.get("value")
    found: list[Sample] = []
    for name, v in (
        ("fullcycle_live_metric", value),
        ("fullcycle_live_metric_goal", goal),
        ("fullcycle_live_metric_estimate", _num(estimate)),
    ):
        if v is not None:
            found.append((name, labels_, v))
    if value is not None and goal is not None:
        better = perf.get("greater_is_better", True) is not False
        found.append(
            ("fullcycle_live_metric_shortfall", labels_, goal - value if better else value - goal)
        )
    return found


def deployment_samples(model: str, state: Any) -> list[Sample]:
    """Canary share and the deployment's state (stable, canary, shadow)."""
    if state is None:
        return []
    share = float(getattr(state, "canary_share", 0.0) or 0.0)
    current = "canary" if state.canary is not None else "shadow" if state.shadow else "stable"
    found: list[Sample] = [("fullcycle_canary_share", {"model": model}, share)]
    for name in ("stable", "canary", "shadow"):
        found.append(
            ("fullcycle_deployment_state", {"model": model, "state": name}, float(name == current))
        )
    return found


def quality_reader(
    db: Database, model: str, *, cache_s: float = CACHE_S, clock: Callable[[], float] = time.time
) -> Callable[[], list[Sample]]:
    """A reader of the quality samples, hitting the store at most once per ``cache_s``;
    with the store down it answers the last samples it read."""
    lock = threading.Lock()
    cached: dict[str, Any] = {"at": -math.inf, "samples": []}

    def read() -> list[Sample]:
        with lock:
            now = clock()
            if now - cached["at"] < cache_s:
                return list(cached["samples"])
            try:
                samples = report_samples(model, reports.latest(db, model), now)
                samples += deployment_samples(model, deployments.current(db, model))
                waiting = len(labels.tasks(db, status="queued"))
                samples.append(("fullcycle_labels_waiting", {"model": model}, float(waiting)))
            except StoreUnavailable:
                return list(cached["samples"])
            cached.update(at=now, samples=samples)
            return list(samples)

    return read
