"""The post-promotion watch: the scope's ``rollback:`` section, carried out.

For ``rollback.watch`` after a rollout promoted a version, each loop step compares the new
production's live traffic since the promotion with the limits: error rate above
``max_error_rate``, p95 latency above ``max_p95_ms``, the live metric worse than the version's
metric on the canary's labelled rows (else its offline evaluation) by more than
``max_metric_drop`` (direction from the metric table; only with enough labelled rows). A breach
rolls back to the previous version when ``rollback.automatic`` is true (else an event says what
to do), with the reasons. Judging (:func:`breaches`) is kept apart from acting (:func:`check`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from fullcycle import metric_table

MIN_LABELLED = 30


@dataclass(frozen=True)
class Live:
    """The promoted version's traffic since the promotion."""

    requests: int
    errors: int
    p95_ms: float | None
    metric: float | None  # the scope metric on labelled rows
    labelled: int


def breaches(live: Live, limits: Any, metric: str, evaluation: float | None) -> list[str]:
    """Why the promoted version must go back (empty: it may stay)."""
    bad = []
    if live.requests:
        rate = live.errors / live.requests
        if rate > limits.max_error_rate:
            bad.append(f"error rate {rate:.3f} above {limits.max_error_rate}")
    p95, limit = live.p95_ms, limits.max_p95_ms
    if limit is not None and p95 is not None and p95 > limit:
        bad.append(f"p95 latency {live.p95_ms:.1f} ms above {limits.max_p95_ms} ms")
    if live.metric is not None and evaluation is not None and live.labelled >= MIN_LABELLED:
        drop = metric_table.worse_by(metric, live.metric, evaluation)
        if drop > limits.max_metric_drop:
            bad.append(
                f"live {metric} {live.metric:.4f} is {drop:.4f} worse than {evaluation:.4f} at "
                f"evaluation (max drop {limits.max_metric_drop})"
            )
    return bad


def observe(log: Any, version: int, since: float, feedback: dict[str, Any], metric: str) -> Live:
    """What ``version`` did on production traffic since ``since``."""
    import orjson

    from fullcycle.monitoring import performance

    rows = log[(log["version"] == version) & (log["ts"] >= since)] if len(log) else log
    rows = rows[rows["route"] == "production"] if len(rows) else rows
    requests = rows.drop_duplicates("request_id") if len(rows) else rows
    n = len(requests)
    if n == 0:
        return Live(0, 0, None, None, 0)
    errors = int((requests["status"] >= 500).sum())
    p95 = float(np.percentile(requests["latency_ms"].to_numpy(dtype=float), 95))
    ok = requests[(requests["status"] == 200) & requests["request_id"].isin(list(feedback))]
    value = None
    if len(ok):
        truth = [feedback[r] for r in ok["request_id"]]
        answers = [orjson.loads(v) if isinstance(v, str) else v for v in ok["output"]]
        if not metric_table.get(metric).needs_proba:
            value = performance.live_metric(metric, truth, answers, n_boot=1)["value"]
    return Live(n, errors, p95, value, len(ok))


def check(project: Any, read_log: Any, *, actor: str = "loop") -> dict[str, Any] | None:
    """Watch the latest promotion if it is within ``rollback.watch``; roll back on a breach.
    ``read_log(since)`` reads the prediction log (only called while watching). Returns what it
    did (None when nothing is being watched)."""
    from fullcycle.loop import rollout as rollout_mod
    from fullcycle.store import logs as log_store

    scope = project.scope
    promoted = project.events(kind="loop.promote", limit=1)
    if not promoted:
        return None
    event = promoted[0]
    name, _, version = event.subject.rpartition(":")
    if name != scope.name or time.time() - event.ts > scope.rollback.watch:
        return None
    if any(e.ts > event.ts for e in project.events(kind="loop.watch.rollback", limit=1)):
        return None  # this promotion was already rolled back
    current = project.production_version()
    if str(current.version) != version:
        return None  # production moved on since (a person or a later rollout)
    feedback = {r["request_id"]: r["label"] for r in log_store.feedback_rows(project.db)}
    metric = scope.metric.name
    live = observe(read_log(event.ts), int(version), event.ts, feedback, metric)
    evaluation = _reference(event.data or {}, current)
    limits = _limits(scope)
    bad = breaches(live, limits, metric, evaluation)
    numbers = {**live.__dict__, "evaluation": evaluation, "watch_s": scope.rollback.watch}
    if not bad:
        return {"action": "watching", "reasons": [], "numbers": numbers}
    previous = (event.data or {}).get("champion")
    if not scope.rollback.automatic or previous is None:
        why = "rollback.automatic is false" if previous is not None else "no previous version"
        text = "; ".join(bad) + f" ({why}: roll back by hand)"
        project.record("loop.watch.breach", subject=event.subject, actor=actor, message=text,
                       data=numbers)  # fmt: skip
        return {"action": "breach", "reasons": bad, "numbers": numbers}
    rollout_mod.restore(project, scope.name, int(previous), reason="; ".join(bad), actor=actor)
    project.record("loop.watch.rollback", subject=event.subject, actor=actor,
                   message="rolled back after promotion: " + "; ".join(bad),
                   data={**numbers, "to": int(previous)})  # fmt: skip
    return {"action": "rolled_back", "reasons": bad, "numbers": numbers}


def _reference(promoted: dict[str, Any], current: Any) -> float | None:
    """What the live metric is held to: the version's metric on the canary's labelled rows when
    the canary measured it (the world it was promoted into), else its offline evaluation."""
    measured = promoted.get("challenger_metric")
    if promoted.get("compared_on") == "metric" and measured is not None:
        return float(measured)
    return ((current.metrics or {}).get("metric") or {}).get("value")


def _limits(scope: Any) -> Any:
    """The rollback limits, with the latency limit falling back to the scope's constraint."""
    limits = scope.rollback
    if limits.max_p95_ms is None and scope.constraints.p95_latency_ms is not None:
        return limits.model_copy(update={"max_p95_ms": scope.constraints.p95_latency_ms})
    return limits
