"""Carrying a challenger through shadow and canary to production, or back out.

Every change goes through the rollout row's compare-and-set and the deployment's revisions, so
each step can be repeated after a crash: re-applying a deployment that is already in place, or
moving an alias that already points at the version, changes nothing.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from fullcycle import clock, metric_table
from fullcycle.contract import normalise_mapping
from fullcycle.loop import gate
from fullcycle.loop.labelled import spec_for
from fullcycle.loop.policy import CanaryAction, CanaryStats, CanaryVerdict, canary_verdict
from fullcycle.store.events import Note
from fullcycle.train import decide

if TYPE_CHECKING:
    import pandas as pd

    from fullcycle.loop._project import LoopProject
    from fullcycle.registry import LoadedModel
    from fullcycle.store.rollouts import Rollout

ACTOR = "loop"


def begin(
    project: LoopProject, champion: int | None, challenger: int, data: dict[str, Any]
) -> Rollout:
    """Open a rollout for ``challenger`` and route it (shadow first if the policy says so)."""
    started = {**data, "started_at": clock.now()}
    rollout = project.loop.start_rollout(champion, challenger, started)
    return advance_from_gated(project, rollout)


def advance_from_gated(project: LoopProject, rollout: Rollout) -> Rollout:
    """Shadow first (``rollout.shadow``), or straight to the canary: always for ``never``, and
    for ``when_healthy`` when the gate's rows show the champion misses the goal, or its own
    live metric does (``live_failing`` in the rollout's data: the 99% interval clear of the
    goal; the gate's rows reach back to when the champion still met it, under a fast drift)."""
    policy = project.scope.rollout
    data: dict[str, Any] = {"phase_started_at": clock.now()}
    failing = None
    if policy.shadow == "when_healthy":
        failing = champion_failing(rollout.data.get("gate") or {})
        live = rollout.data.get("live_failing")
        if failing is None and live:
            failing = f"the champion's {live}"
    if policy.shadow == "always" or (policy.shadow == "when_healthy" and failing is None):
        _route(project, rollout, shadow=rollout.challenger, share=0.0, why="shadow")
        state, data["share"] = "shadow", 0.0
    else:
        why = "canary" if failing is None else f"no shadow ({failing}): canary"
        _route(project, rollout, canary=rollout.challenger, share=policy.canary_share, why=why)
        state, data["share"] = "canary", policy.canary_share
        if failing is not None:
            data["shadow_skipped"] = failing
    return project.loop.update_rollout(rollout.id, data, state=state)


def champion_failing(numbers: dict[str, Any]) -> str | None:
    """Why the champion fails by the gate's own rows (its metric there misses the goal), or
    None: no goal, no figure for the champion, or it meets the goal. The same point figures
    the gate compared, the ones that let a challenger below the goal pass."""
    metric, goal, old = numbers.get("metric"), numbers.get("goal"), numbers.get("champion")
    if metric is None or goal is None or old is None or old != old:
        return None
    if metric_table.meets(str(metric), float(old), float(goal)):
        return None
    rows = numbers.get("rows")
    on = f" on the gate's {rows} rows" if rows else " on the gate's rows"
    return f"the champion's {metric} {float(old):.4g}{on} misses the goal {float(goal):.4g}"


def _route(
    project: LoopProject,
    rollout: Rollout,
    *,
    canary: int | None = None,
    shadow: int | None = None,
    share: float,
    why: str,
) -> None:
    project.deployments.route(
        rollout.name,
        production=rollout.champion,
        canary=canary,
        canary_share=share,
        shadow=shadow,
        actor=ACTOR,
        reason=f"rollout {rollout.id}: {why} {rollout.name}:{rollout.challenger}"
        + (f" at {share:.0%}" if canary else ""),
    )


def stats(project: LoopProject, rollout: Any, log: pd.DataFrame, *, route: str) -> CanaryStats:
    """What the challenger did on live traffic since this phase began, and what the champion
    would have answered on the same rows (scored now, offline, from the logged inputs)."""
    since = float(rollout.data.get("phase_started_at", rollout.data.get("started_at", 0.0)))
    rows = log[
        (log["version"] == rollout.challenger) & (log["route"] == route) & (log["ts"] >= since)
    ]
    rows = rows[rows["row"] >= 0] if len(rows) else rows
    requests = rows.drop_duplicates("request_id") if len(rows) else rows
    n = len(requests)
    if n == 0:
        return CanaryStats(requests=0, errors=0, p95_ms=None, disagreement=None)
    errors = int((requests["status"] >= 500).sum())
    p95 = float(np.percentile(requests["latency_ms"].to_numpy(dtype=float), 95))
    ok = rows[rows["status"] == 200]
    disagreement, labelled, mine, theirs, worse = None, 0, None, None, None
    fixes = breaks = 0
    champion_p95 = _p95_of(log, rollout.champion, since)
    on_cost = project.scope.gate.compare_on == "cost"
    if len(ok) and rollout.champion is not None:
        import orjson

        features = [f.name for f in project.scope.contract.features]
        frame = _frame([orjson.loads(v) for v in ok["inputs"]], features)
        champion = project.load_model(f"{rollout.name}:{rollout.champion}")
        theirs_all = np.asarray(champion.estimator.predict(frame))
        mine_all = np.asarray([orjson.loads(v) for v in ok["output"]])
        disagreement = _disagreement(project.scope.metric.name, theirs_all, mine_all)
        feedback = {r["request_id"]: r["label"] for r in project.labels.feedback(since=since)}
        feedback = normalise_mapping(feedback, spec_for(project.scope.contract, champion))
        have = np.asarray([rid in feedback for rid in ok["request_id"]])
        labelled = int(have.sum())
        if labelled:
            truth = [feedback[r] for r in ok["request_id"][have]]
            if disagreement is not None:  # the discordant pairs, as McNemar's test counts them
                pairs = gate.mcnemar(truth, theirs_all[have], mine_all[have])
                fixes, breaks = pairs.challenger_only, pairs.champion_only
            if on_cost:
                truth = [str(t) for t in truth]
                mine, theirs, worse = _live_costs(
                    project, rollout, champion, ok[have], frame[have], truth
                )
            else:
                mine, theirs, worse = _live_metrics(
                    project, champion, ok[have], frame[have], truth, theirs_all[have]
                )
    return CanaryStats(
        requests=n,
        errors=errors,
        p95_ms=p95,
        disagreement=disagreement,
        labelled=labelled,
        challenger_metric=mine,
        champion_metric=theirs,
        compared_on="cost" if on_cost else "metric",
        significantly_worse=worse,
        champion_p95_ms=champion_p95,
        fixes=fixes,
        breaks=breaks,
    )


def _p95_of(log: Any, version: int | None, since: float) -> float | None:
    """Production's p95 latency on what it served since ``since`` (the same time, the same
    machine), so a slow machine is not taken for a slow challenger."""
    if version is None or not len(log):
        return None
    rows = log[(log["version"] == version) & (log["route"] == "production") & (log["ts"] >= since)]
    rows = rows.drop_duplicates("request_id") if len(rows) else rows
    if len(rows) < 20:
        return None
    return float(np.percentile(rows["latency_ms"].to_numpy(dtype=float), 95))


def _live_costs(
    project: LoopProject,
    rollout: Any,
    champion: LoadedModel,
    rows: Any,
    frame: Any,
    truth: list[str],
) -> tuple[float | None, float | None, bool | None]:
    """Cost per 1,000 of what the challenger decided on labelled rows (from its logged
    probabilities) and of what the champion would have decided, priced alike."""
    import orjson

    version = project.models.show(f"{rollout.name}:{rollout.challenger}")
    record = decide.costing_record(version.decision, version.ref)
    probs = [None if v is None else orjson.loads(v) for v in rows["proba"]]
    if decide.classifies(version.decision) and all(p is not None for p in probs):
        mine = decide.decide(version.decision, probs)
    else:
        mine = [orjson.loads(v) for v in rows["output"]]
    theirs = decide.decisions_for(champion.estimator, champion.decision, frame)
    costs = [np.asarray(decide.row_costs(record, truth, d), dtype=float) for d in (mine, theirs)]
    means = [float(np.nanmean(c) * 1000) if np.isfinite(c).any() else None for c in costs]
    both = np.isfinite(costs[0]) & np.isfinite(costs[1])
    worse = None
    if both.sum() >= 2:
        boot = gate.paired_cost_bootstrap(costs[1][both], costs[0][both], n_boot=500)
        worse = boot.low > 0  # the challenger costs more, beyond the resampling noise
    return means[0], means[1], worse


def _disagreement(metric: str, theirs: Any, mine: Any) -> float | None:
    """Share of rows where the two versions answer differently (classes compared by key);
    None for regression, where any two models differ on nearly every row."""
    from fullcycle import metric_table

    if metric_table.get(metric).task == "regression":
        return None
    return float((metric_table.class_keys(theirs) != metric_table.class_keys(mine)).mean())


def _live_metrics(
    project: LoopProject,
    champion: LoadedModel,
    rows: Any,
    frame: Any,
    truth: list[Any],
    theirs: Any,
) -> tuple[float | None, float | None, bool | None]:
    """The scope metric of the challenger's logged answers and of the champion's answers on the
    same labelled rows, and whether a paired bootstrap puts the challenger below (95%)."""
    import orjson

    from fullcycle import metric_table
    from fullcycle.loop.retrain import align_proba

    metric = project.scope.metric.name
    mine = [orjson.loads(v) for v in rows["output"]]
    mine_proba = theirs_proba = labels = None
    if metric_table.get(metric).needs_proba or metric_table.get(metric).loss in ("log", "brier"):
        classes = getattr(champion.estimator, "classes_", None)
        labels = None if classes is None else list(classes)
        logged = [None if v is None else orjson.loads(v) for v in rows["proba"]]
        if labels and all(p is not None for p in logged):
            mine_proba = np.asarray(logged, dtype=float)
            theirs_proba = align_proba(champion.estimator.predict_proba(frame), labels, labels)
    if len(truth) < 2:
        return None, None, None
    value = gate.score
    ours = value(metric, truth, mine, mine_proba, labels)
    other = value(metric, truth, theirs, theirs_proba, labels)
    boot = gate.paired_bootstrap(
        metric, truth, theirs, mine, n_boot=500, champion_proba=theirs_proba,
        challenger_proba=mine_proba, labels=labels,
    )  # fmt: skip
    clean = [None if not np.isfinite(v) else float(v) for v in (ours, other)]
    return clean[0], clean[1], boot.high < 0


def _frame(records: list[dict[str, Any]], features: list[str]) -> Any:
    import pandas as pd

    return pd.DataFrame.from_records(records, columns=features)


def analyse(project: LoopProject, rollout: Rollout, log: pd.DataFrame) -> CanaryVerdict:
    """Decide the rollout's next step from live traffic, and carry it out."""
    policy = project.scope.rollout
    route = "shadow" if rollout.state == "shadow" else "canary"
    observed = stats(project, rollout, log, route=route)
    share = float(rollout.data.get("share", 0.0))
    limits = _with_latency(policy, project.scope, rollout, observed.requests)
    verdict = canary_verdict(
        observed,
        limits,
        share,
        project.scope.metric.greater_is_better and observed.compared_on != "cost",
    )
    project.loop.update_rollout(
        rollout.id,
        {
            "observed": _jsonable(
                {
                    "error_rate": observed.errors / observed.requests
                    if observed.requests
                    else None,
                    "p95_ms": observed.p95_ms,
                    "disagreement": observed.disagreement,
                    "challenger_metric": observed.challenger_metric,
                    "champion_metric": observed.champion_metric,
                    "compared_on": observed.compared_on,
                    "labelled": observed.labelled,
                }
            ),
            "criteria": {
                "error_rate": limits.max_error_rate,
                "p95_ms": limits.max_p95_ms,
                "disagreement": limits.max_disagreement,
            },
            "samples": observed.requests,
            "analysed_at": clock.now(),
            "min_samples": limits.min_requests,
            "last_verdict": verdict.action,
        },
    )
    if rollout.state == "shadow" and verdict.action in (CanaryAction.STEP, CanaryAction.PROMOTE):
        verdict = CanaryVerdict(
            CanaryAction.STEP,
            [*verdict.reasons, "shadow passed: start the canary"],
            {**verdict.numbers, "next_share": policy.canary_share},
        )
    {"extend": _extend, "step": _step, "promote": promote, "rollback": rollback}[verdict.action](
        project, rollout, verdict
    )
    return verdict


#: live disagreement may exceed what the gate saw on held-out rows by this much, beyond the
#: canary sample's noise (traffic goes on drifting after the gate's rows were drawn)
DISAGREEMENT_SLACK = 0.1
#: the canary sample's noise, in binomial standard errors (99%, one-sided)
DISAGREEMENT_Z = 2.33


def disagreement_limit(policy: Any, rollout: Any, requests: int = 0) -> float:
    """``rollout.max_disagreement``, or more for a challenger the gate proved better while it
    answered differently on a larger share of the held-out rows: a model that fixes a decayed
    one must disagree with it, and the gate has already seen on labelled rows that it does so
    for the better. The share is the larger of those on all the rows and on the newest (drift
    grows it with time, and the canary sees the newest traffic); it may be exceeded by
    :data:`DISAGREEMENT_SLACK` plus the noise of a canary of ``requests`` rows. A submitted
    challenger (no gate numbers) keeps the policy's limit."""
    gate = (getattr(rollout, "data", None) or {}).get("gate") or {}
    seen = [
        float(v) for k in ("disagreement", "disagreement_newest") if (v := gate.get(k)) is not None
    ]
    if not seen:
        return float(policy.max_disagreement)
    p = max(seen)
    noise = DISAGREEMENT_Z * math.sqrt(p * (1 - p) / max(requests, 1))
    return max(float(policy.max_disagreement), min(1.0, p + DISAGREEMENT_SLACK + noise))


def _with_latency(policy: Any, scope: Any, rollout: Any = None, requests: int = 0) -> Any:
    update: dict[str, Any] = {}
    if policy.max_p95_ms is None:
        update["max_p95_ms"] = scope.constraints.p95_latency_ms
    if rollout is not None:
        update["max_disagreement"] = disagreement_limit(policy, rollout, requests)
    return policy.model_copy(update=update) if update else policy


def _extend(project: LoopProject, rollout: Rollout, verdict: CanaryVerdict) -> None:
    project.record(
        "loop.rollout.extend",
        subject=f"{rollout.name}:{rollout.challenger}",
        message="; ".join(verdict.reasons),
        actor=ACTOR,
        data=_jsonable(verdict.numbers),
    )


def _step(project: LoopProject, rollout: Rollout, verdict: CanaryVerdict) -> None:
    """The canary's next share (from shadow: the canary starts), with its event, in one
    transaction."""
    share = float(verdict.numbers["next_share"])
    _route(project, rollout, canary=rollout.challenger, share=share, why="canary")
    note = Note(
        "loop.rollout.step",
        actor=ACTOR,
        subject=f"{rollout.name}:{rollout.challenger}",
        message="; ".join(verdict.reasons),
        data=_jsonable(verdict.numbers),
    )
    data = {"share": share, "phase_started_at": clock.now()}
    project.loop.update_rollout(rollout.id, data, state="canary", note=note)


def promote(project: LoopProject, rollout: Rollout, verdict: CanaryVerdict) -> None:
    """The deployment and the ``production`` alias move to the challenger in one transaction
    (``_finish``); the champion stays for rollback."""
    _finish(project, rollout, verdict, production=rollout.challenger, state="promoted")


def restore(
    project: LoopProject, name: str, version: int, *, reason: str, actor: str = ACTOR
) -> None:
    """Production goes back to ``version``: the deployment and the ``production`` alias, in one
    transaction (the post-promotion watch's rollback)."""
    project.deployments.route(name, production=version, actor=actor, reason=reason)


def rollback(project: LoopProject, rollout: Rollout, verdict: CanaryVerdict) -> None:
    _finish(project, rollout, verdict, production=rollout.champion, state="rolled_back")


def _finish(
    project: LoopProject,
    rollout: Rollout,
    verdict: CanaryVerdict,
    *,
    production: int | None,
    state: str,
) -> None:
    """Route all traffic to ``production``, close the rollout, and say why in one event."""
    what = f"{rollout.name}:{rollout.challenger}"
    done = "promoted" if state == "promoted" else "rolled back"
    project.deployments.route(
        rollout.name,
        production=production,
        actor=ACTOR,
        reason=f"rollout {rollout.id}: {done} {what}",
    )
    note = Note(
        "loop.promote" if state == "promoted" else "loop.rollback",
        actor=ACTOR,
        subject=what,
        message="; ".join(verdict.reasons) + _spent(rollout.data.get("labels_spent")),
        data=_jsonable(
            {
                **verdict.numbers,
                "labels_spent": rollout.data.get("labels_spent"),
                "champion": rollout.champion,
            }
        ),
    )
    project.loop.update_rollout(rollout.id, {"verdict": verdict.reasons}, state=state, note=note)


def _spent(labels: Any) -> str:
    return "" if labels is None else f"; {labels} labelled rows spent on this recovery"


def _jsonable(numbers: dict[str, Any]) -> dict[str, Any]:
    return {k: (float(v) if isinstance(v, np.floating) else v) for k, v in numbers.items()}
