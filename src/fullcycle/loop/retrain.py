"""Retraining: the base data plus labelled production rows as a new dataset version, a new run,
a registered challenger, and the gate on held-out recent rows, all on record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fullcycle import clock
from fullcycle.errors import InsufficientData
from fullcycle.loop import gate as gate_mod
from fullcycle.loop.labelled import holdout_mask, recent
from fullcycle.loop.recipe import loop_seed
from fullcycle.train import decide

if TYPE_CHECKING:
    from fullcycle.loop._project import LoopProject
    from fullcycle.loop.recipe import LoopRecipe
    from fullcycle.records import DatasetVersion, ModelVersion


@dataclass
class RetrainOutcome:
    dataset: str
    run_id: str
    challenger: int
    gate: gate_mod.GateResult
    rows_added: int
    holdout_rows: int
    request_ids: list[str] = field(default_factory=list)
    variant: str = "full"  # full: base + labelled rows; recent: the recent labelled rows only


def window_start(project: LoopProject, champion: Any = None) -> float:
    """Labelled rows from this time on are recent: those within ``retraining.data.window``,
    and always every row labelled since the champion was made (what it has not learned yet;
    a window shorter than the time the labels took to come in must not throw them away)."""
    start = clock.now() - project.scope.retraining.data.window
    made = getattr(champion, "created_at", None)
    return start if made is None else min(start, float(made))


def training_frame(
    project: LoopProject, base: str, labelled: Any, champion: Any = None
) -> tuple[Any, Any]:
    """(rows to train on, rows held out for the gate); both carry the target."""
    import pandas as pd

    scope = project.scope
    features = [f.name for f in scope.contract.features]
    cols = [*features, scope.target]
    hold = holdout_mask(labelled["request_id"]) if len(labelled) else np.zeros(0, dtype=bool)
    fresh = labelled[~hold]
    if len(fresh) and "ts" in fresh:
        fresh = fresh[fresh["ts"] >= window_start(project, champion)]
    if len(fresh) and champion is not None:  # rows already in the base, through the champion
        fresh = fresh[~fresh["request_id"].astype(str).isin(trained_on(project, champion))]
    base_frame = project.load_data(base)[cols]
    fresh = fresh[cols]
    if scope.retraining.data.dedupe:
        base_frame = base_frame.drop_duplicates(keep="last")
        fresh = fresh.drop_duplicates(keep="last")
    weight = max(1, round(scope.retraining.data.recent_weight))
    frame = pd.concat([base_frame, *([fresh] * weight)], ignore_index=True)
    return frame.reset_index(drop=True), labelled[hold].reset_index(drop=True)


#: the windowed challenger (recent labelled rows only) is tried from this many training rows
WINDOW_MIN_ROWS = 100


def retrain(
    project: LoopProject,
    *,
    base: str,
    labelled: Any,
    champion: ModelVersion,
    reason: str,
    actor: str = "loop",
    recipe: LoopRecipe | None = None,
) -> RetrainOutcome:
    """Train a challenger on ``base`` + labelled rows and, beside it (old data outweighs new
    under concept drift), one on the recent labelled rows alone; gate both on the same held-out
    rows, each with half the alpha (Bonferroni), and keep the best."""
    frame, _ = training_frame(project, base, labelled, champion)
    used = labelled[~holdout_mask(labelled["request_id"])] if len(labelled) else labelled
    learned = trained_on(project, champion) if champion is not None else set()
    ids = [str(r) for r in used["request_id"] if str(r) not in learned]
    base_name = base.split("@", 1)[0].removesuffix("-recent")
    # every labelled row the challenger learned from, the champion's included, so the gate
    # never scores a version on a row it was trained on
    origin = {"kind": "merge", "base": base, "reason": reason, "labelled_rows": len(ids),
              "request_ids": sorted(learned) + ids}  # fmt: skip
    # rows production served: hard violations were refused at the door, soft ones (values
    # beyond the training range, new categories) are what the challenger must learn from
    dataset = project.add_data(
        frame, base_name, parents=(base,), actor=actor, origin=origin, allow_violations=True
    )
    policy = project.scope.retraining.model_dump(mode="json")
    seed = loop_seed(dataset.sha256, {"retraining": policy, "recipe": _recipe_json(recipe)})
    recent, recent_ids = _recent_rows(project, used, champion)
    two = len(recent) >= WINDOW_MIN_ROWS and len(recent) < len(frame)
    share = 0.5 if two else 1.0  # two challengers on the same rows share the alpha
    tried = [
        _attempt(project, dataset, "full", (recipe, seed, share), champion, labelled, reason, actor)
    ]
    if two:
        window = project.add_data(
            recent,
            f"{base_name}-recent",
            parents=(base,),
            actor=actor,
            origin={**origin, "window": True, "request_ids": recent_ids},
            allow_violations=True,
        )
        how = (recipe, seed, share)
        tried.append(_attempt(project, window, "recent", how, champion, labelled, reason, actor))
    if two:
        _score_newest(project, tried, labelled, champion)
    best = max(tried, key=_rank)
    best.gate.numbers["labels_spent"] = len(ids) + best.holdout_rows
    best.gate.numbers["variants"] = {t.variant: t.gate.verdict for t in tried}
    return best


#: variants with the same verdict are told apart on the newest held-out rows (this share of
#: them, at least NEWEST_MIN_ROWS): under drift the newest rows are the best picture of the
#: traffic the chosen one will serve, while the verdict itself is taken on all of them
NEWEST_SHARE = 0.5
NEWEST_MIN_ROWS = 30


def _newest_count(rows: int) -> int:
    return min(rows, max(NEWEST_MIN_ROWS, int(np.ceil(NEWEST_SHARE * rows))))


def _score_newest(
    project: LoopProject, tried: list[RetrainOutcome], labelled: Any, champion: ModelVersion
) -> None:
    """Score every variant on the same newest held-out rows (none of them learned from),
    into ``gate.numbers["newest"]``; fewer than NEWEST_MIN_ROWS such rows: nothing."""
    scope = project.scope
    name = champion.ref.split(":", 1)[0]
    versions = [project.models.show(f"{name}:{t.challenger}") for t in tried]
    rows = gate_rows(project, labelled, champion, *versions)  # no variant learned from them
    rows = scorable(scope, rows)
    if len(rows) < NEWEST_MIN_ROWS:
        return
    newest = rows.sort_values("ts", kind="stable").tail(_newest_count(len(rows)))
    features = [f.name for f in scope.contract.features]
    X, y = newest[features], newest[scope.target].to_numpy()
    for outcome, version in zip(tried, versions, strict=True):
        pred, proba, labels = scored(project, version, X)
        value = gate_mod.score(scope.metric.name, y, pred, proba, labels)
        outcome.gate.numbers.update(newest=value, newest_rows=len(newest))


def _rank(outcome: RetrainOutcome) -> tuple[int, float]:
    """Pass before undecided before refuse; then the better metric on the newest held-out rows
    (on all of them when the newest were not scored)."""
    order = {"pass": 2, "undecided": 1}.get(outcome.gate.verdict, 0)
    numbers = outcome.gate.numbers
    value = numbers.get("newest", numbers.get("challenger"))
    metric = numbers.get("metric")
    if value is None or metric is None or value != value:
        return order, float("-inf")
    from fullcycle import metric_table

    return order, value if metric_table.get(metric).greater_is_better else -value


def _recent_rows(project: LoopProject, used: Any, champion: Any = None) -> tuple[Any, list[str]]:
    """The recent labelled rows alone (the windowed challenger's data) and their ids."""
    scope = project.scope
    cols = [*(f.name for f in scope.contract.features), scope.target]
    rows = used[used["ts"] >= window_start(project, champion)] if len(used) else used
    if not len(rows):
        return rows, []
    return rows[cols].reset_index(drop=True), [str(r) for r in rows["request_id"]]


def _recipe_json(recipe: LoopRecipe | None) -> dict[str, Any] | None:
    return None if recipe is None else {"estimator": recipe.estimator, "params": recipe.params}


def _attempt(
    project: LoopProject, dataset: DatasetVersion, variant: str,
    how: tuple[LoopRecipe | None, int, float], champion: ModelVersion, labelled: Any,
    reason: str, actor: str,
) -> RetrainOutcome:  # fmt: skip
    """One challenger: trained with the recipe and seed, registered, gated with its share of
    the alpha, on record."""
    recipe, seed, share = how
    model = None if recipe is None else recipe.estimator
    params = None if recipe is None or recipe.estimator is None else recipe.params
    result = project.train(
        data=dataset.ref, model=model, params=params, seed=seed, learning_curve=False
    )
    version = project.register(
        result.run_id, actor=actor, description=f"retrained by the loop ({variant}): {reason}"
    )
    holdout = gate_rows(project, labelled, champion, version)
    verdict = gate(project, champion, version, holdout, alpha_share=share)
    if len(holdout):  # where a pending gate's later looks start (see gate_rows)
        verdict.numbers["since"] = float(holdout["ts"].min())
    origin = dataset.origin or {}
    spent = int(origin.get("labelled_rows") or 0) + len(holdout)
    verdict.numbers.update(labels_spent=spent, variant=variant, seed=seed, alpha_share=share,
                           recipe=_recipe_json(recipe))  # fmt: skip
    project.record(
        "loop.gate",
        subject=version.ref,
        actor=actor,
        message=f"{variant} challenger "
        + ("passed: " if verdict.passed else f"{verdict.verdict or 'refused'}: ")
        + "; ".join(verdict.reasons),
        data={"passed": verdict.passed, "numbers": verdict.numbers, "dataset": dataset.ref,
              "run_id": result.run_id, "variant": variant, "seed": seed},
    )  # fmt: skip
    ids = [str(r) for r in origin.get("request_ids") or []]
    return RetrainOutcome(
        dataset.ref, result.run_id, version.version, verdict, len(ids), len(holdout), ids, variant
    )


def trained_on(project: LoopProject, version: ModelVersion | None) -> set[str]:
    """Request ids of the labelled production rows a version learned from (its dataset's)."""
    ref = (getattr(version, "lineage", None) or {}).get("dataset")
    if not ref:
        return set()
    origin = project.dataset(ref).origin or {}
    return {str(r) for r in origin.get("request_ids") or []}


def gate_rows(
    project: LoopProject,
    labelled: Any,
    champion: ModelVersion | None,
    *challengers: ModelVersion,
    since: float | None = None,
) -> Any:
    """Every recent labelled row neither version learned from: the hash-held-out rows, and
    rows labelled after the challenger's data was fixed (so a pending gate grows with each
    label, not with 30% of them). ``since``: the rows from that time on, as a pending gate's
    first look took them (its rows only ever grow between looks); None: from the champion's
    making, or the newest ``2 * gate.min_samples`` when those are too few."""
    if not len(labelled):
        return labelled
    seen: set[str] = set(trained_on(project, champion)) if champion is not None else set()
    for challenger in challengers:
        seen |= trained_on(project, challenger)
    unseen = labelled[~labelled["request_id"].astype(str).isin(seen)]
    if since is not None:
        return unseen[unseen["ts"] >= since].sort_values("ts", kind="stable").reset_index(drop=True)
    start = champion.created_at if champion is not None else 0.0
    # gate.min_samples, not the sequential test's first look (50): fresher but fewer rows were
    # tried, and txhousing at full size fell from 0.663 / 0.545 to 0.564 / 0.496 / 0.439 on
    # seeds 0-2 (more pending looks on heavy-tailed errors) while tweets stayed at 0.075
    return recent(unseen, start, project.scope.gate.min_samples)


def scorable(scope: Any, rows: Any) -> Any:
    """``rows`` a gate can score: for a regression target, those whose label is a number (as
    a float); a label that is not one is left out."""
    if scope.task != "regression" or not len(rows):
        return rows
    import pandas as pd

    numeric = pd.to_numeric(rows[scope.target], errors="coerce")
    return rows[numeric.notna()].assign(**{scope.target: numeric.dropna()})


def gate(
    project: LoopProject,
    champion: ModelVersion | None,
    challenger: ModelVersion,
    holdout: Any,
    *,
    look: int = 1,
    alpha_share: float = 1.0,
) -> gate_mod.GateResult:
    """Champion and challenger scored on the same held-out labelled rows, on the scope's metric
    (with probabilities where the metric needs them); ``look`` counts the times this pair has
    been gated (the sequential test may be asked again as labels arrive)."""
    scope = project.scope
    features = [f.name for f in scope.contract.features]
    holdout = scorable(scope, holdout)
    need = gate_mod.rows_to_look(scope.gate.test, scope.gate.min_samples)
    if len(holdout) < need:
        raise InsufficientData(
            f"insufficient data for the gate: {len(holdout)} held-out labelled rows, need {need}",
            hint="wait for more feedback or labels",
        )
    X, y = holdout[features], holdout[scope.target].to_numpy()
    if scope.gate.compare_on == "cost":
        return _cost_gate(project, champion, challenger, X, y)
    new_pred, new_proba, labels = scored(project, challenger, X)
    old_pred, old_proba = None, None
    if champion is not None:
        old_pred, proba, theirs = scored(project, champion, X)
        old_proba = align_proba(proba, theirs, labels)
    result = gate_mod.gate(
        y,
        old_pred,
        new_pred,
        metric=scope.metric.name,
        goal=scope.metric.goal,
        margin=scope.gate.margin,
        test=scope.gate.test,
        alpha=scope.gate.alpha * alpha_share,
        min_rows=need,
        tuned_for=max(scope.gate.min_samples, gate_mod.TUNED_MIN),
        champion_proba=old_proba,
        challenger_proba=new_proba,
        labels=labels,
        look=look,
    )
    if old_pred is not None and scope.task != "regression":
        # how often the two answer differently where the challenger was proven better: the
        # canary expects about as much on live traffic (see rollout.disagreement_limit)
        from fullcycle import metric_table

        differ = metric_table.class_keys(old_pred) != metric_table.class_keys(new_pred)
        result.numbers["disagreement"] = float(np.mean(differ))
        if "ts" in holdout:  # and on the newest rows: under drift it grows with time
            order = np.argsort(holdout["ts"].to_numpy(), kind="stable")
            newest = order[-_newest_count(len(order)) :]
            result.numbers["disagreement_newest"] = float(np.mean(differ[newest]))
    return result


def scored(
    project: LoopProject, version: ModelVersion, X: Any
) -> tuple[Any, Any, list[Any] | None]:
    """A version's predictions on ``X``: (labels or values, probabilities, its classes)."""
    from fullcycle.train.metrics import predictions

    loaded = project.load_model(version.ref)
    pred, proba = predictions(loaded.estimator, X)
    classes = getattr(loaded.estimator, "classes_", None)
    return pred, proba, None if classes is None else list(classes)


def align_proba(proba: Any, have: list[Any] | None, labels: list[Any] | None) -> Any:
    """Probability columns reordered to ``labels`` (matched by class key; absent: 0)."""
    from fullcycle import metric_table

    if proba is None or have is None or labels is None:
        return None
    index = {metric_table.class_key(c): i for i, c in enumerate(have)}
    out = np.zeros((len(proba), len(labels)))
    for j, c in enumerate(labels):
        i = index.get(metric_table.class_key(c))
        if i is not None:
            out[:, j] = proba[:, i]
    return out


def _cost_gate(
    project: LoopProject, champion: ModelVersion | None, challenger: ModelVersion, X: Any, y: Any
) -> gate_mod.GateResult:
    """Both versions' decisions on the same rows, priced with the challenger's (the current
    scope's) costs; each version decides with its own threshold policy."""
    scope = project.scope
    new = project.load_model(challenger.ref)
    record = decide.costing_record(new.decision, challenger.ref)
    new_costs = decide.row_costs(record, y, decide.decisions_for(new.estimator, new.decision, X))
    old_costs = None
    if champion is not None:
        old = project.load_model(champion.ref)
        old_costs = decide.row_costs(
            record, y, decide.decisions_for(old.estimator, old.decision, X)
        )
    return gate_mod.cost_gate(
        old_costs,
        new_costs,
        limit=scope.decisions.max_cost_per_1000 if scope.decisions else None,
        margin=scope.gate.margin,
        alpha=scope.gate.alpha,
        min_rows=scope.gate.min_samples,
    )
