"""The loop's policy: observations in, a decision out. Pure: no I/O, no clock, no store.

``loop/controller.py`` gathers the observations, asks :func:`next_step` or
:func:`canary_verdict`, and carries the decision out. Every decision carries its reasons and
numbers, including "no action", so the audit log says why nothing happened too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

Action = Literal["none", "wait", "queue_labels", "wait_labels", "retrain", "analyse_rollout"]


class CanaryAction(StrEnum):
    """What a rollout does next; a ``str``, so stored rollouts compare as before."""

    EXTEND = "extend"  # too few requests yet, or behind within the noise: look longer
    STEP = "step"  # within every limit: raise the challenger's share
    PROMOTE = "promote"  # within every limit at the last step: the challenger serves all
    ROLLBACK = "rollback"  # a limit was breached: the champion serves all again


@dataclass(frozen=True)
class Observations:
    """What the controller saw; every field is a plain value."""

    now: float
    drift: bool | None = None  # the latest report's verdict; None when it had too little data
    drifted_features: tuple[str, ...] = ()
    live_metric: float | None = None  # the scope metric on rows whose labels arrived
    live_rows: int = 0
    #: the live metric is the window's newest labelled rows' (they score worse than all)
    live_newest: bool = False
    estimate: float | None = None  # label-free estimate of the metric
    evaluation_metric: float | None = None  # the champion's metric at evaluation
    goal: float | None = None
    greater_is_better: bool = True
    report_rows: int = 0
    new_labels: int = 0  # labelled production rows the champion has not learned from
    open_label_tasks: int = 0
    last_retrain_at: float | None = None
    retrains_last_day: int = 0
    retrain_running: bool = False
    rollout_active: bool = False
    live_cost: float | None = None
    cost_limit: float | None = None
    live_low: float | None = None  # the live metric's alarm interval (bootstrap, 99%)
    live_high: float | None = None
    refusals_in_a_row: int = 0  # gate refusals since the champion went live, none passed since
    #: the champion's metric on the held-out labelled rows of the gate that let it in
    gate_metric: float | None = None
    gate_rows: int = 0
    #: labelled rows the live metric needs before it judges (``metric_table.rows_to_judge``)
    live_rows_needed: int = 0
    open_audit_tasks: int = 0  # queued label tasks drawn at random (they will count in it)
    #: why the world moves faster than the monitoring window can show (the version the
    #: champion replaced did not last one window), or None
    fast_world: str | None = None


@dataclass(frozen=True)
class Decision:
    action: Action
    reasons: list[str]
    numbers: dict[str, Any] = field(default_factory=dict)
    triggers: list[str] = field(default_factory=list)


def _worse(a: float, b: float, greater_is_better: bool) -> float:
    """How much worse ``a`` is than ``b`` (positive = worse)."""
    return (b - a) if greater_is_better else (a - b)


def _short_of(greater_is_better: bool) -> str:
    """Which side of a line a worse value sits on: below it, or above it for an error."""
    return "below" if greater_is_better else "above"


def fired_triggers(obs: Observations, retraining: Any, thresholds: Any) -> list[str]:
    """The retraining triggers that fire, each as a sentence with its numbers."""
    fired: list[str] = []
    wanted = set(retraining.triggers)
    if "drift" in wanted and obs.drift:
        # drift alone never retrains: a shift the model copes with is not worth labels
        hurt = _drift_hurts(obs, thresholds)
        if hurt:
            names = ", ".join(obs.drifted_features[:5]) or "the prediction mix"
            fired.append(f"drift in {names} with {hurt}")
    if "performance" in wanted:
        fired += _performance_triggers(obs, thresholds)
    if "new_labels" in wanted and obs.new_labels >= retraining.min_new_labels:
        fired.append(f"{obs.new_labels} new labels (>= {retraining.min_new_labels})")
    if "schedule" in wanted and retraining.schedule is not None:
        since = obs.now - (obs.last_retrain_at or 0.0)
        if since >= retraining.schedule:
            fired.append(f"schedule: {since / 3600:.1f} h since the last retrain")
    if (
        "cost" in wanted
        and obs.live_cost is not None
        and obs.cost_limit is not None
        and obs.live_cost > obs.cost_limit
    ):
        fired.append(f"live cost {obs.live_cost:.3g} above the limit {obs.cost_limit:.3g}")
    return fired


def _drift_hurts(obs: Observations, thresholds: Any) -> str | None:
    """Why the drift matters to the model: the live metric below its value at evaluation
    beyond the live interval, or (no labels yet) the label-free estimate down by more than the
    threshold. None when neither shows a drop."""
    gib, ref = obs.greater_is_better, obs.evaluation_metric
    if ref is None:
        return None
    if obs.live_metric is not None:
        if _worse(_live_edge(obs, obs.live_metric), ref, gib) > 0:
            return f"live metric {obs.live_metric:.4f} {_short_of(gib)} {ref:.4f} at evaluation"
        return None
    if obs.estimate is not None and _worse(obs.estimate, ref, gib) > thresholds.metric_drop:
        return (
            f"estimated metric {obs.estimate:.4f} down from {ref:.4f} "
            "(label-free estimate: assumes no concept drift)"
        )
    return None


def _labelled(obs: Observations) -> str:
    """The labelled rows the live metric stands on, in words."""
    return f"the newest {obs.live_rows}" if obs.live_newest else f"{obs.live_rows}"


def _live_edge(obs: Observations, live: float) -> float:
    """The live metric ``live`` at its alarm interval's better edge (the point value where no
    interval was computed): what a judgement must find clear of a line."""
    best = obs.live_high if obs.greater_is_better else obs.live_low
    return live if best is None else best


def live_failing(obs: Observations) -> str | None:
    """Why the champion's own live metric misses the goal, or None. Judged on the interval's
    better edge: a few labelled rows below the goal by chance are no reason to spend a retrain
    (and the labels it asks for), nor to keep users off a shadow."""
    if obs.live_metric is None or obs.goal is None:
        return None
    if _worse(_live_edge(obs, obs.live_metric), obs.goal, obs.greater_is_better) <= 0:
        return None
    return (
        f"live metric {obs.live_metric:.4f} {_short_of(obs.greater_is_better)} the goal "
        f"{obs.goal:.4f} "
        f"({_labelled(obs)} labelled rows; 99% interval clear of the goal)"
    )


def _performance_triggers(obs: Observations, thresholds: Any) -> list[str]:
    fired = []
    gib = obs.greater_is_better
    if obs.live_metric is not None:
        edge = _live_edge(obs, obs.live_metric)
        if (failing := live_failing(obs)) is not None:
            fired.append(failing)
        elif (
            obs.evaluation_metric is not None
            and _worse(edge, obs.evaluation_metric, gib) > thresholds.metric_drop
        ):
            fired.append(
                f"live metric {obs.live_metric:.4f} ({_labelled(obs)} labelled rows) dropped "
                f"more than {thresholds.metric_drop} from {obs.evaluation_metric:.4f} at evaluation"
            )
    elif (
        obs.gate_metric is not None
        and obs.goal is not None
        and _worse(obs.gate_metric, obs.goal, gib) > 0
    ):
        # too few live labels of its own yet, but its gate measured it on labelled rows it
        # never saw: better than the model it replaced, still short of the goal (the world is
        # still moving); a successor that is no better is refused and the guard backs off
        fired.append(
            f"the champion's {obs.gate_metric:.4f} on the {obs.gate_rows} held-out rows of its "
            f"gate misses the goal {obs.goal:.4f} (too few live labels of its own yet)"
        )
    elif (
        obs.estimate is not None
        and obs.evaluation_metric is not None
        and _worse(obs.estimate, obs.evaluation_metric, gib) > thresholds.metric_drop
    ):
        fired.append(
            f"estimated metric {obs.estimate:.4f} (no labels yet; assumes no concept drift) "
            f"dropped more than {thresholds.metric_drop} from {obs.evaluation_metric:.4f}"
        )
    return fired


def next_step(obs: Observations, retraining: Any, thresholds: Any) -> Decision:
    """What the loop should do now, when no rollout is in progress."""
    numbers = {
        "live_metric": obs.live_metric,
        "live_rows": obs.live_rows,
        "estimate": obs.estimate,
        "goal": obs.goal,
        "new_labels": obs.new_labels,
        "report_rows": obs.report_rows,
    }
    if obs.rollout_active:
        return Decision("analyse_rollout", ["a rollout is in progress"], numbers)
    if obs.retrain_running:
        return Decision("wait", ["another process is retraining (it holds the lease)"], numbers)
    fired = fired_triggers(obs, retraining, thresholds)
    if not fired:
        audit = _audit(obs, retraining, thresholds, numbers)
        if audit is not None:
            return audit
        ahead = _ahead(obs, retraining, numbers)
        if ahead is not None:
            return ahead
        why = "insufficient data" if obs.drift is None and obs.live_metric is None else "healthy"
        return Decision("none", [f"no trigger fired ({why})"], numbers)
    blocked = retrain_blocked(obs, retraining.guards)
    if blocked is not None:
        return Decision("none", [blocked], numbers, fired)
    missing = retraining.min_new_labels - obs.new_labels
    if missing > 0:
        if obs.open_label_tasks >= missing:
            return Decision(
                "wait_labels",
                [
                    f"waiting for labels: {obs.open_label_tasks} rows queued, "
                    f"{obs.new_labels} of {retraining.min_new_labels} labelled"
                ],
                numbers,
                fired,
            )
        return Decision(
            "queue_labels",
            [
                f"{obs.new_labels} new labels and {obs.open_label_tasks} queued, "
                f"need {retraining.min_new_labels}: queue rows"
            ],
            {**numbers, "budget": missing - obs.open_label_tasks},
            fired,
        )
    return Decision("retrain", fired, numbers, fired)


def retrain_blocked(obs: Observations, guards: Any) -> str | None:
    """Why ``retraining.guards`` forbid a retrain now, or None."""
    # every refused challenger in a row doubles the wait: a drift that retraining does not fix
    # (seasonal, or noise) must not cause a retrain at every interval
    interval = guards.min_interval * 2 ** min(obs.refusals_in_a_row, 6)
    if obs.last_retrain_at is not None and obs.now - obs.last_retrain_at < interval:
        wait = interval - (obs.now - obs.last_retrain_at)
        backoff = f" ({obs.refusals_in_a_row} refused in a row)" if obs.refusals_in_a_row else ""
        return f"guard: last retrain too recent, {wait:.0f} s to go{backoff}"
    if obs.retrains_last_day >= guards.max_per_day:
        return f"guard: {obs.retrains_last_day} retrains in the last day"
    return None


#: an audit that settles a close live metric asks for at most this many times the labelled rows
#: it has (the interval narrows as one over the root of the rows: a point estimate a hair from
#: the goal would otherwise ask for the whole window)
AUDIT_GROWTH = 4


def _audit(
    obs: Observations, retraining: Any, thresholds: Any, numbers: dict[str, Any]
) -> Decision | None:
    """Drift is flagged and nothing says the model is hurt, because too few labels came back:
    either too few to judge the live metric at all (then the label-free estimate, or an old
    gate's figure, would decide alone, and it cannot see a concept drift), or enough to put the
    live metric below the goal but not enough for its interval to clear it (then the loop would
    wait for feedback to trickle in while the drift may be hurting). Buy the evidence instead:
    a random audit of the window's rows, labelled, counts in the live metric (it is unbiased;
    the rows the queue picks for what they teach are not), so the next report can judge. None
    when there is nothing to audit.

    A drift the report could not judge (too few values, or a reference too small: a champion
    fitted on a short window of recent rows) is no evidence that the world stands still: then a
    close live metric is audited as under drift, for it is the only evidence left. With neither
    a drift verdict nor a live metric there is nothing that calls for labels yet."""
    if "performance" not in retraining.triggers or obs.drift is False:
        return None
    if obs.drift is None and obs.live_metric is None:
        return None
    drifted = ", ".join(obs.drifted_features[:5]) or "the prediction mix"
    if obs.live_metric is None:
        needed = obs.live_rows_needed
        why = (
            f"drift in {drifted}, and the live metric has {obs.live_rows} of the {needed} "
            "labelled rows it needs to judge (the label-free estimate assumes no concept drift)"
        )
    else:
        close = _close_call(obs, thresholds, retraining.min_new_labels)
        if close is None:
            return None
        needed, said = close
        seen = f"drift in {drifted}" if obs.drift else "drift the report could not judge"
        why = f"{seen}, and {said}"
    missing = needed - obs.live_rows
    if missing <= 0:
        return None
    if obs.open_audit_tasks >= missing:
        return Decision(
            "wait_labels", [f"{why}: waiting for {obs.open_audit_tasks} audit rows"], numbers
        )
    budget = missing - obs.open_audit_tasks
    return Decision(
        "queue_labels",
        [f"{why}: queue a random audit of {budget} rows"],
        {**numbers, "budget": budget, "audit": True},
    )


def _ahead(obs: Observations, retraining: Any, numbers: dict[str, Any]) -> Decision | None:
    """In a world that moves faster than the monitoring window (``obs.fast_world``: the model
    the champion replaced did not last one window), the labels the next retrain needs are
    bought before the alarm, not after it: waiting for a trigger, then for the labels it asks
    for, costs a loop step every cycle, and a cycle is all a fast world gives a model (PC
    prices: each champion met its goal at promotion and scored R² 0.2-0.6 two steps later).
    The rows are those served since the champion was made (and the last retrain), whoever
    answered them: right after a promotion the champion has served too few to fill a retrain,
    and older rows would not count as new for it. Never more than one retrain's worth
    (``retraining.min_new_labels``) between retrains: the new labels and the rows already
    queued count."""
    if obs.fast_world is None or "performance" not in retraining.triggers:
        return None
    budget = retraining.min_new_labels - obs.new_labels - obs.open_label_tasks
    if budget <= 0:
        return None
    return Decision(
        "queue_labels",
        [f"{obs.fast_world}: {budget} rows for the next retrain, queued before its alarm"],
        {**numbers, "budget": budget, "ahead": True},
    )


def _close_call(obs: Observations, thresholds: Any, min_new_labels: int) -> tuple[int, str] | None:
    """(labelled rows the live metric needs, why) when its point estimate misses the goal, or
    has dropped more than ``metric_drop`` from evaluation, while its interval still reaches
    that line; None when it does not miss it, or no interval was computed. The rows: those for
    the interval to shrink to the gap (about the root of the rows), at most AUDIT_GROWTH times
    the rows it has and at most ``min_new_labels`` more, what the user agreed one retrain may
    cost (flights' seasons asked 741 rows for a gap of 0.003 without that bound). They are not
    only evidence: random rows of the drifted window are what a retrain learns from next."""
    gib, live = obs.greater_is_better, obs.live_metric
    edge = obs.live_high if gib else obs.live_low
    if live is None or edge is None or obs.live_rows <= 0:
        return None
    lines = []
    if obs.goal is not None:
        lines.append((obs.goal, f"the goal {obs.goal:.4f}"))
    if obs.evaluation_metric is not None:
        ref = obs.evaluation_metric
        line = ref - thresholds.metric_drop if gib else ref + thresholds.metric_drop
        way = "less" if gib else "plus"
        lines.append((line, f"{ref:.4f} at evaluation {way} metric_drop {thresholds.metric_drop}"))
    for line, name in lines:
        gap = _worse(live, line, gib)
        if gap <= 0 or _worse(edge, line, gib) > 0:
            continue  # meets the line, or already clear of it (a trigger fires)
        half = abs(edge - live)
        rows = int(math.ceil(obs.live_rows * (half / gap) ** 2))
        needed = min(rows, AUDIT_GROWTH * obs.live_rows, obs.live_rows + min_new_labels)
        said = (
            f"the live metric {live:.4f} is {_short_of(gib)} {name} on {_labelled(obs)} "
            "labelled rows, "
            f"but its 99% interval still reaches it"
        )
        return needed, said
    return None


#: an undecided gate grows its rows at most this many times over at one look
PENDING_GROWTH = 4


def pending_budget(rows: int, needed: int, queued: int) -> int:
    """Labels to queue for an undecided gate that has ``rows`` held-out rows, estimates it
    needs ``needed`` and has ``queued`` asked already. The estimate is asked for whole up to
    :data:`PENDING_GROWTH` times the rows: it was close where the difference was real (288
    estimated at 71 rows, passed at 399; 1,685 at 400, passed at 1,468), and each look the
    gate waits costs a loop step; but from a difference near zero it runs to 100,000 rows,
    and labels are bought (the gate looks again when they come)."""
    return max(0, min(needed, PENDING_GROWTH * rows) - rows - queued)


@dataclass(frozen=True)
class CanaryStats:
    """Live traffic since the rollout began, for the challenger and the champion."""

    requests: int
    errors: int
    p95_ms: float | None
    disagreement: float | None  # share of challenger rows where the champion would differ
    labelled: int = 0
    challenger_metric: float | None = None  # on labelled challenger-served rows
    champion_metric: float | None = None  # the champion's answers on the same rows
    compared_on: str = "metric"  # "cost": the two fields are costs per 1,000 (lower is better)
    #: a paired bootstrap on the labelled rows says the challenger is worse (None: not computed,
    #: then the raw comparison decides)
    significantly_worse: bool | None = None
    #: production's p95 on the traffic it served over the same time (None: not measured)
    champion_p95_ms: float | None = None
    #: labelled rows where the two answer differently and only the challenger (``fixes``) or
    #: only the champion (``breaks``) is right
    fixes: int = 0
    breaks: int = 0


@dataclass(frozen=True)
class CanaryVerdict:
    action: CanaryAction
    reasons: list[str]
    numbers: dict[str, Any] = field(default_factory=dict)


def canary_verdict(
    stats: CanaryStats,
    rollout: Any,
    share: float,
    greater_is_better: bool = True,
    min_labelled: int = 30,
) -> CanaryVerdict:
    """Roll back on any breached limit; decide nothing below the minimum sample size."""
    numbers = {**stats.__dict__, "share": share, "min_requests": rollout.min_requests}
    if stats.requests < rollout.min_requests:
        return CanaryVerdict(
            CanaryAction.EXTEND,
            [f"inconclusive, extending: {stats.requests} of {rollout.min_requests} requests"],
            numbers,
        )
    bad = _canary_breaches(stats, rollout, greater_is_better, min_labelled)
    if bad:
        return CanaryVerdict(CanaryAction.ROLLBACK, bad, numbers)
    if _worse_within_noise(stats, greater_is_better, min_labelled):
        # worse on the labelled rows but not significantly: never promote on that; look longer,
        # and give up on the challenger after three times the minimum sample
        if stats.requests >= 3 * rollout.min_requests:
            return CanaryVerdict(
                CanaryAction.ROLLBACK,
                [
                    f"still behind production after {stats.requests} requests "
                    f"({stats.challenger_metric:.4g} vs {stats.champion_metric:.4g})"
                ],
                numbers,
            )
        return CanaryVerdict(
            CanaryAction.EXTEND,
            [
                f"behind production on {stats.labelled} labelled rows but within the noise: "
                "extending"
            ],
            numbers,
        )
    later = [s for s in rollout.steps if s > share]
    ok = [f"{stats.requests} requests within every limit"]
    if stats.disagreement is not None and stats.disagreement > rollout.max_disagreement:
        ok.append(
            f"disagrees with production on {stats.disagreement:.1%} of rows (max "
            f"{rollout.max_disagreement:.0%}), for the better: of the labelled rows where they "
            f"differ, the challenger is right on {stats.fixes}, production on {stats.breaks}"
        )
    if later and later[0] < 1.0:
        return CanaryVerdict(
            CanaryAction.STEP,
            ok + [f"raise share {share} -> {later[0]}"],
            {**numbers, "next_share": later[0]},
        )
    return CanaryVerdict(CanaryAction.PROMOTE, ok, numbers)


def _worse_within_noise(stats: CanaryStats, gib: bool, min_labelled: int) -> bool:
    if stats.labelled < min_labelled or stats.challenger_metric is None:
        return False
    if stats.champion_metric is None:
        return False
    gib = gib and stats.compared_on != "cost"
    return _worse(stats.challenger_metric, stats.champion_metric, gib) > 0


#: the challenger is slow only when it is this much slower than production on the same traffic
SLOWER_THAN_PRODUCTION = 1.25


def _slow(stats: CanaryStats, limit: float | None) -> bool:
    """Above the latency limit, and not because the machine is slow: production, answering the
    same traffic at the same time, was within the limit or clearly faster."""
    if limit is None or stats.p95_ms is None or stats.p95_ms <= limit:
        return False
    theirs = stats.champion_p95_ms
    return theirs is None or theirs <= limit or stats.p95_ms > SLOWER_THAN_PRODUCTION * theirs


#: a sign test on the labelled rows where the two disagree: the challenger is right on more of
#: them than chance would give a version no better than production, at this level (one-sided)
FIXES_ALPHA = 0.05


def disagrees_for_the_better(stats: CanaryStats) -> bool:
    """The disagreement limit guards against a challenger that answers differently from
    production for no good reason, when labels are too few to tell. A challenger that fixes a
    decayed model must disagree with it, often on more rows than the gate's held-out rows
    showed (the traffic goes on drifting). Where labels did come back for rows they disagree
    on, the challenger is right on significantly more of them than production: then its
    disagreement is the fix, not a fault."""
    from scipy.stats import binomtest

    n = stats.fixes + stats.breaks
    if n == 0 or stats.fixes <= stats.breaks:
        return False
    return bool(binomtest(stats.fixes, n, 0.5, alternative="greater").pvalue <= FIXES_ALPHA)


def _canary_breaches(stats: CanaryStats, rollout: Any, gib: bool, min_labelled: int) -> list[str]:
    bad = []
    if stats.requests:
        rate = stats.errors / stats.requests
        if rate > rollout.max_error_rate:
            bad.append(f"error rate {rate:.3f} above {rollout.max_error_rate}")
    if _slow(stats, rollout.max_p95_ms):
        bad.append(f"p95 latency {stats.p95_ms:.1f} ms above {rollout.max_p95_ms} ms")
    if (
        stats.disagreement is not None
        and stats.disagreement > rollout.max_disagreement
        and not disagrees_for_the_better(stats)
    ):
        bad.append(
            f"disagrees with production on {stats.disagreement:.1%} of rows "
            f"(max {rollout.max_disagreement:.0%})"
        )
    if (
        stats.labelled >= min_labelled
        and stats.challenger_metric is not None
        and stats.champion_metric is not None
        and _worse(stats.challenger_metric, stats.champion_metric, gib) > 0
        and stats.significantly_worse is not False
    ):
        sure = " (paired bootstrap, 95%)" if stats.significantly_worse else ""
        if stats.compared_on == "cost":
            bad.append(
                f"live cost {stats.challenger_metric:.1f} per 1,000 above production's "
                f"{stats.champion_metric:.1f} on the same {stats.labelled} labelled rows{sure}"
            )
        else:
            bad.append(
                f"live metric {stats.challenger_metric:.4f} below production's "
                f"{stats.champion_metric:.4f} on the same {stats.labelled} labelled rows{sure}"
            )
    return bad
