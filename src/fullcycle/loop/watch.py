"""The post-promotion watch: the scope's ``rollback:`` section, carried out.

For ``rollback.watch`` after a rollout promoted a version, each loop step compares the new
production's live traffic since the promotion with the limits: error rate above
``max_error_rate``; p95 latency above ``max_p95_ms`` and well above what the version it replaced
showed before the promotion (a slow machine is not a slow model); the live metric worse, by
more than ``max_metric_drop`` and significantly, than the previous version's answers on the
same labelled rows (scored offline from the logged inputs, as the canary does). In a drifting
world every model scores below its offline evaluation, so the watch never holds the new version
to that: rolling back is only right when the old version does better on the same rows. A
breach rolls back to the previous version when ``rollback.automatic`` is true (else an event
says what to do), with the reasons. Judging (:func:`breaches`) is kept apart from acting
(:func:`check`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from fullcycle import clock, metric_table

if TYPE_CHECKING:
    import pandas as pd

    from fullcycle.loop._project import LoopProject

MIN_LABELLED = 30
#: above the limit is a reason to go back only when this much slower than the replaced version
#: was before the promotion (two windows of time, so a wider margin than the canary's)
SLOWER_THAN_BEFORE = 1.5


@dataclass(frozen=True)
class Live:
    """The promoted version's traffic since the promotion, beside the version it replaced."""

    requests: int
    errors: int
    p95_ms: float | None
    metric: float | None  # the scope metric (or cost) on labelled rows
    labelled: int
    previous_metric: float | None = None  # the replaced version's answers on the same rows
    significantly_worse: bool | None = None  # paired test, as the canary's
    previous_p95_ms: float | None = None  # the replaced version before the promotion
    compared_on: str = "metric"


def breaches(live: Live, limits: Any, metric: str) -> list[str]:
    """Why the promoted version must go back (empty: it may stay)."""
    bad = []
    if live.requests:
        rate = live.errors / live.requests
        if rate > limits.max_error_rate:
            bad.append(f"error rate {rate:.3f} above {limits.max_error_rate}")
    p95, limit, before = live.p95_ms, limits.max_p95_ms, live.previous_p95_ms
    slower = before is None or (p95 is not None and p95 > SLOWER_THAN_BEFORE * before)
    if limit is not None and p95 is not None and p95 > limit and slower:
        was = "" if before is None else f"; {before:.1f} ms for the previous version before"
        bad.append(f"p95 latency {p95:.1f} ms above {limit} ms{was}")
    mine, theirs = live.metric, live.previous_metric
    if (
        mine is None
        or theirs is None
        or live.labelled < MIN_LABELLED
        or not live.significantly_worse
    ):
        return bad
    if live.compared_on == "cost":
        bad.append(f"live cost {mine:.1f} per 1,000 above the previous version's {theirs:.1f} "
                   f"on the same {live.labelled} labelled rows")  # fmt: skip
        return bad
    drop = metric_table.worse_by(metric, mine, theirs)
    if drop > limits.max_metric_drop:
        bad.append(
            f"live {metric} {mine:.4f} is {drop:.4f} worse than the previous version's "
            f"{theirs:.4f} on the same {live.labelled} labelled rows "
            f"(max drop {limits.max_metric_drop})"
        )
    return bad


def observe(project: LoopProject, log: Any, name: str, version: int, previous: int | None,
            since: float) -> Live:  # fmt: skip
    """What ``version`` did on production traffic since ``since``, paired with what the
    ``previous`` version answers on the same rows; ``log`` starts one watch before ``since``."""
    from types import SimpleNamespace

    from fullcycle.loop import rollout as rollout_mod

    after = log[log["ts"] >= since] if len(log) else log
    pseudo = SimpleNamespace(name=name, challenger=version, champion=previous,
                             data={"phase_started_at": since})  # fmt: skip
    found = rollout_mod.stats(project, pseudo, after, route="production")
    if not found.requests:
        return Live(0, 0, None, None, 0)
    return Live(
        requests=found.requests,
        errors=found.errors,
        p95_ms=found.p95_ms,
        metric=found.challenger_metric,
        labelled=found.labelled,
        previous_metric=found.champion_metric,
        significantly_worse=found.significantly_worse,
        previous_p95_ms=_p95_before(log, previous, since),
        compared_on=found.compared_on,
    )


def _p95_before(log: Any, previous: int | None, since: float) -> float | None:
    if previous is None or not len(log):
        return None
    rows = log[(log["version"] == previous) & (log["route"] == "production") & (log["ts"] < since)]
    rows = rows.drop_duplicates("request_id") if len(rows) else rows
    if not len(rows):
        return None
    return float(np.percentile(rows["latency_ms"].to_numpy(dtype=float), 95))


def check(
    project: LoopProject, read_log: Callable[[float], pd.DataFrame], *, actor: str = "loop"
) -> dict[str, Any] | None:
    """Watch the latest promotion if it is within ``rollback.watch``; roll back on a breach.
    ``read_log(since)`` reads the prediction log (only called while watching). Returns what it
    did (None when nothing is being watched)."""
    from fullcycle.loop import rollout as rollout_mod

    scope = project.scope
    promoted = project.events(kind="loop.promote", limit=1)
    if not promoted:
        return None
    event = promoted[0]
    name, _, version = event.subject.rpartition(":")
    if name != scope.name or clock.now() - event.ts > scope.rollback.watch:
        return None
    if any(e.ts > event.ts for e in project.events(kind="loop.watch.rollback", limit=1)):
        return None  # this promotion was already rolled back
    current = project.production_version()
    if str(current.version) != version:
        return None  # production moved on since (a person or a later rollout)
    previous = (event.data or {}).get("champion")
    metric = scope.metric.name
    since = event.ts
    log = read_log(since - scope.rollback.watch)
    live = observe(project, log, name, int(version), previous, since)
    bad = breaches(live, _limits(scope), metric)
    numbers = {**live.__dict__, "watch_s": scope.rollback.watch}
    if not bad:
        return {"action": "watching", "reasons": [], "numbers": numbers}
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


def _limits(scope: Any) -> Any:
    """The rollback limits, with the latency limit falling back to the scope's constraint."""
    limits = scope.rollback
    if limits.max_p95_ms is None and scope.constraints.p95_latency_ms is not None:
        return limits.model_copy(update={"max_p95_ms": scope.constraints.p95_latency_ms})
    return limits
