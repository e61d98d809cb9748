"""Retraining: the base data plus labelled production rows as a new dataset version, a new run,
a registered challenger, and the gate on held-out recent rows, all on record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fullcycle import clock, metric_table
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


def trainable(project: LoopProject, labelled: Any, champion: Any = None) -> np.ndarray:
    """Which labelled rows a challenger may learn from: those the hash does not hold out for
    the gate, and the held-out rows the gate no longer needs. The gate scores on the held-out
    rows labelled since the champion was made, or the newest ``gate.min_samples`` of them when
    those are fewer (see :func:`gate_rows`): that reserve stays out; an older held-out row
    has done its work (it judged the challengers of its time) and would otherwise never teach
    anything, a third of every label bought."""
    if champion is None or not len(labelled):
        return ~holdout_mask(labelled["request_id"]) if len(labelled) else np.zeros(0, bool)
    pool = held_out_rows(project, labelled, champion)
    reserve = recent(pool, float(champion.created_at), project.scope.gate.min_samples)
    kept = set(reserve["request_id"].astype(str))
    return ~labelled["request_id"].astype(str).isin(kept).to_numpy()


def held_out_rows(project: LoopProject, labelled: Any, champion: Any = None) -> Any:
    """The held-out rows a gate could still score ``champion``'s challenger on: those the
    champion did not learn from (older held-out rows are released to training, see
    :func:`trainable`)."""
    if not len(labelled):
        return labelled
    hold = holdout_mask(labelled["request_id"])
    learned = trained_on(project, champion) if champion is not None else set()
    return labelled[hold & ~labelled["request_id"].astype(str).isin(learned).to_numpy()]


def training_frame(
    project: LoopProject, base: str, labelled: Any, champion: Any = None
) -> tuple[Any, Any]:
    """(rows to train on, rows held out for the gate); both carry the target."""
    import pandas as pd

    scope = project.scope
    features = [f.name for f in scope.contract.features]
    cols = [*features, scope.target]
    hold = ~trainable(project, labelled, champion)
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
    """Train a challenger on ``base`` + labelled rows or, when it predicts what came next
    better (old data outweighs new under drift), one on a window of the newest labelled rows
    alone, and gate it on the held-out rows (:func:`forward_pick` chooses the variant and the
    window on other rows, so the gate keeps its whole alpha). When the two cannot be compared
    forward, gate both on the same held-out rows, each with half the alpha (Bonferroni), and
    keep the best."""
    frame, _ = training_frame(project, base, labelled, champion)
    used = labelled[trainable(project, labelled, champion)]
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
    recent, recent_ids = _recent_rows(project, used, champion, base)
    two = len(recent) >= WINDOW_MIN_ROWS and len(recent) < len(frame)
    # forward, the windows are halves of every labelled row (see window_shares), so they are
    # worth comparing even where the fallback window is no smaller than the full data (a base
    # that is itself a window, after a windowed champion)
    windows = two or len(used) >= 2 * WINDOW_MIN_ROWS
    picked = forward_pick(project, base, labelled, champion, recipe, seed) if windows else None
    if picked is not None:  # one variant, chosen on rows the gate never sees: the whole alpha
        variant, forward = picked
        if variant == "recent":
            cols = [*(f.name for f in project.scope.contract.features), project.scope.target]
            window = window_rows(used, float(forward["share"]))
            ids_in = [str(r) for r in window["request_id"]]
            more = {"share": forward["share"]}
            dataset = _window_data(project, base, window[cols], ids_in, origin, actor, more)
        how = (recipe, seed, 1.0)
        extra = {"forward": forward}
        tried = [_attempt(project, dataset, variant, how, champion, labelled, reason, actor, extra)]
    else:
        share = 0.5 if two else 1.0  # two challengers on the same rows share the alpha
        how = (recipe, seed, share)
        tried = [_attempt(project, dataset, "full", how, champion, labelled, reason, actor)]
        if two:
            window = _window_data(project, base, recent, recent_ids, origin, actor)
            tried.append(
                _attempt(project, window, "recent", how, champion, labelled, reason, actor)
            )
            _score_newest(project, tried, labelled, champion)
    best = max(tried, key=_rank)
    best.gate.numbers["labels_spent"] = len(ids) + best.holdout_rows
    best.gate.numbers["variants"] = {t.variant: t.gate.verdict for t in tried}
    return best


def _window_data(
    project: LoopProject, base: str, rows: Any, ids: list[str], origin: dict[str, Any],
    actor: str, more: dict[str, Any] | None = None,
) -> DatasetVersion:  # fmt: skip
    """The windowed challenger's dataset: ``rows`` (the newest labelled rows alone) as
    ``<base>-recent``, with the request ids it holds (``more``: what else its origin says)."""
    name = base.split("@", 1)[0].removesuffix("-recent")
    return project.add_data(
        rows.reset_index(drop=True), f"{name}-recent", parents=(base,), actor=actor,
        origin={**origin, "window": True, **(more or {}), "request_ids": ids},
        allow_violations=True,
    )  # fmt: skip


#: the variants are compared forward in time before the gate: each is fitted on the rows before
#: the newest FORWARD_SHARE of those labelled since the champion (at least FORWARD_MIN_ROWS)
#: and scored on those newest rows, which is what the chosen one will face: what comes next
FORWARD_SHARE = 0.5
FORWARD_MIN_ROWS = 30
#: a windowed variant is chosen only when it is better in more than 1 - FORWARD_P of bootstrap
#: resamples of those rows: about one standard error, the usual rule for preferring the simpler
#: model, here the one that forgets nothing (near ties went to the recent one and were then
#: refused against the champion on the gate's rows)
FORWARD_P = 0.16
#: the windows compared with the full variant: the newest share of the labelled rows a
#: challenger may learn from (1: all of them, without the base), halving while a window keeps
#: WINDOW_MIN_ROWS rows, at most WINDOW_COUNT of them. How far back the present reaches depends
#: on how fast the world moves, which no fixed window knows: the newest rows choose it
WINDOW_COUNT = 6


def window_shares(rows: int) -> list[float]:
    """1, 1/2, 1/4, ... while the newest share of ``rows`` keeps WINDOW_MIN_ROWS rows."""
    shares = [0.5**k for k in range(WINDOW_COUNT)]
    return [s for s in shares if np.ceil(s * rows) >= WINDOW_MIN_ROWS]


def window_rows(used: Any, share: float) -> Any:
    """The newest ``share`` of ``used`` (labelled rows, time-ordered by ``ts``)."""
    count = int(np.ceil(share * len(used)))
    return used.sort_values("ts", kind="stable").tail(count)


def _share_name(share: float) -> str:
    return "all" if share >= 1.0 else f"1/{round(1 / share)}"


def forward_pick(
    project: LoopProject, base: str, labelled: Any, champion: ModelVersion,
    recipe: LoopRecipe | None, seed: int,
) -> tuple[str, dict[str, Any]] | None:  # fmt: skip
    """``("full" | "recent", scores)``: the variant that, fitted on what came before, predicts
    the newest rows labelled since the champion best: the full one (base + every labelled row),
    unless a window of the newest labelled rows (see window_shares; ``scores["share"]`` names
    the best) is better by about a standard error (FORWARD_P). None when those rows are too few
    or a fit fails (then both variants are gated, each with half the alpha).

    The gate's rows are held out by a hash of the request id, so they are spread over the same
    months the full variant learned from: on them the variant that remembers the past wins,
    while under a trend the one that follows the present predicts the next period better
    (txhousing: the gate preferred full challengers that scored R² 0.14-0.59 on the following
    period where their recent siblings scored 0.53-0.73). The choice uses only rows both
    variants train on in the end, never the gate's, so the gate keeps its whole alpha."""
    from fullcycle.train.metrics import predictions

    scope = project.scope
    rid = labelled["request_id"].astype(str)
    used = labelled[trainable(project, labelled, champion)]
    learned = trained_on(project, champion)
    fresh = used[~used["request_id"].astype(str).isin(learned)]
    fresh = scorable(scope, fresh.sort_values("ts", kind="stable"))
    if len(fresh) < 2 * FORWARD_MIN_ROWS:
        return None
    after = fresh.tail(max(FORWARD_MIN_ROWS, int(np.ceil(FORWARD_SHARE * len(fresh)))))
    held = set(after["request_id"].astype(str))
    before = labelled[~rid.isin(held)]
    full, _ = training_frame(project, base, before, champion)
    prior = used[~used["request_id"].astype(str).isin(held)]
    features = [f.name for f in scope.contract.features]
    cols = [*features, scope.target]
    candidates: list[tuple[str, float | None, Any]] = [("full", None, full)]
    for share in window_shares(len(prior)):
        rows = window_rows(prior, share)
        if len(rows) < len(full):
            candidates.append((_share_name(share), share, rows[cols]))
    if len(candidates) < 2:
        return None
    X, y = after[features], after[scope.target].to_numpy()
    metric = scope.metric.name
    answers = {}
    try:
        for name, _, rows in candidates:
            fitted = _fit_recipe(project, recipe, seed, rows)
            pred, proba = predictions(fitted, X)
            classes = getattr(fitted, "classes_", None)
            answers[name] = (pred, proba, None if classes is None else list(classes))
        labels = _class_union([have for _, _, have in answers.values()])
        probas = {k: align_proba(p, have, labels) for k, (_, p, have) in answers.items()}
        scores: dict[str, Any] = {
            k: gate_mod.score(metric, y, pred, probas[k], labels)
            for k, (pred, _, _) in answers.items()
        }
    except Exception:  # a recipe that cannot fit a part: the gate decides between both
        return None
    if any(v is None or v != v for v in scores.values()):
        return None
    sign = 1.0 if metric_table.get(metric).greater_is_better else -1.0
    best, chosen = "full", None
    for name, window_share, _ in candidates[1:]:  # larger windows first: a tie keeps the larger
        if best == "full" or sign * scores[name] > sign * scores[best]:
            best, chosen = name, window_share
    bs = gate_mod.paired_bootstrap(
        metric, y, answers["full"][0], answers[best][0], seed=seed, labels=labels,
        champion_proba=probas["full"], challenger_proba=probas[best],
    )  # fmt: skip
    numbers = {"full": scores["full"], "recent": scores[best], "share": chosen, "window": best,
               "windows": {k: v for k, v in scores.items() if k != "full"},
               "rows": len(after), "p_value": bs.p_value}  # fmt: skip
    return ("recent" if bs.p_value < FORWARD_P else "full"), numbers


def _class_union(known: list[list[Any] | None]) -> list[Any] | None:
    """Every class either model knows: the first's in its own order (as the gate takes the
    challenger's), then the others' (None for regressors)."""
    if any(k is None for k in known):
        return None
    union: dict[Any, Any] = {}
    for classes in known:
        for c in classes or []:
            union.setdefault(metric_table.class_key(c), c)
    return list(union.values())


def _fit_recipe(project: LoopProject, recipe: LoopRecipe | None, seed: int, rows: Any) -> Any:
    """The recipe fitted in memory on ``rows`` (nothing registered: a forward comparison),
    within ``training.timeout_minutes`` like any training (past it: TrainingTimeout)."""
    import time

    from fullcycle.train import recipe as recipes
    from fullcycle.train.limits import fit_within

    model = None if recipe is None else recipe.estimator
    params = None if recipe is None or recipe.estimator is None else recipe.params
    spec = project.train_spec()
    built = recipes.build(spec, project.settings.project_dir, model=model, params=params, seed=seed)
    features = [f.name for f in project.scope.contract.features]
    limit = spec.time_limit
    deadline = time.monotonic() + (limit.seconds if limit else 0.0)
    X, y = rows[features], rows[project.scope.target].to_numpy()
    return fit_within(built.model, X, y, limit, deadline)


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
    return order, value if metric_table.get(metric).greater_is_better else -value


def _recent_rows(
    project: LoopProject, used: Any, champion: Any = None, base: str | None = None
) -> tuple[Any, list[str]]:
    """The recent labelled rows alone (the windowed challenger's data) and their ids: those
    since :func:`window_start`, or, when they are fewer, the newest rows up to as many as the
    first model was fitted on (``base``'s root dataset: the user's own measure of enough rows
    for the recipe). A loop that promotes often would otherwise starve its windowed challenger:
    txhousing's had about 250 rows since its champion."""
    scope = project.scope
    cols = [*(f.name for f in scope.contract.features), scope.target]
    rows = used[used["ts"] >= window_start(project, champion)] if len(used) else used
    floor = min(len(used), root_rows(project, base)) if base and len(used) else 0
    if len(rows) < floor:
        rows = used.sort_values("ts", kind="stable").tail(floor)
    if not len(rows):
        return rows, []
    return rows[cols].reset_index(drop=True), [str(r) for r in rows["request_id"]]


def root_rows(project: LoopProject, ref: str) -> int:
    """Rows of the dataset at the root of ``ref``'s parents: the data the first model was fitted
    on, before the loop merged labelled rows into it."""
    dataset, seen = project.dataset(ref), set()
    while dataset.parents and dataset.ref not in seen:
        seen.add(dataset.ref)
        dataset = project.dataset(dataset.parents[0])
    return int(dataset.n_rows)


def _recipe_json(recipe: LoopRecipe | None) -> dict[str, Any] | None:
    return None if recipe is None else {"estimator": recipe.estimator, "params": recipe.params}


def _attempt(
    project: LoopProject, dataset: DatasetVersion, variant: str,
    how: tuple[LoopRecipe | None, int, float], champion: ModelVersion, labelled: Any,
    reason: str, actor: str, extra: dict[str, Any] | None = None,
) -> RetrainOutcome:  # fmt: skip
    """One challenger: trained with the recipe and seed, registered, gated with its share of
    the alpha, on record (``extra``: more numbers for the gate's event)."""
    recipe, seed, share = how
    model = None if recipe is None else recipe.estimator
    params = None if recipe is None or recipe.estimator is None else recipe.params
    # the gate is this challenger's evaluation (on rows it never saw), so the trainer's test
    # rows need not be kept from it: under drift they are a fifth of the newest rows
    result = project.train(
        data=dataset.ref, model=model, params=params, seed=seed, learning_curve=False, refit=True
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
                           recipe=_recipe_json(recipe), **(extra or {}))  # fmt: skip
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
    making, or the newest ``gate.min_samples`` when those are too few."""
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
    split_at: float | None = None,
) -> gate_mod.GateResult:
    """Champion and challenger scored on the same held-out labelled rows, on the scope's metric
    (with probabilities where the metric needs them); ``look`` counts the times this pair has
    been gated (the sequential test may be asked again as labels arrive).

    When the rows reach back before the world changed, the challenger may also pass on the rows
    since the change alone: older rows favour the champion, which learned from their time, and
    they can outvote the rows that show the change (tweets, the period Android vanished: a
    challenger that scored 0.41 on the traffic to come against the champion's 0.12 tied with
    it, 0.285 to 0.28, on rows most of which came before). The change is where the champion was
    made, or later, where the rows show the champion fall (:func:`change_start`: tweets under
    accuracy, the account's move to the iPhone during a champion's tenure: 0.80 on the older
    half of 801 rows, 0.51 on the newest, 0.32 on the newest quarter, where the challenger
    scored 0.78, and the gate refused it on all of them, 0.63 to 0.65). Such rows split the
    alpha in two (Bonferroni) at every look, whether or not there are enough rows since the
    change to test yet. A pending gate's later looks keep the first look's rows and split
    (``split_at``, in the verdict's numbers), so they reach back as it did, the rows since the
    split only grow, and the test stays valid however it ends."""
    scope = project.scope
    rows, pair = scorable(scope, holdout), (champion, challenger)
    made = getattr(champion, "created_at", None)
    stamped = made is not None and "ts" in rows and scope.gate.compare_on != "cost"
    if not stamped:
        return _gate_on(project, pair, rows, look, alpha_share)
    made_at = float(made or 0.0) + 1e-6  # rows at its making count as before it
    why = "since the champion was made"
    if split_at is None:  # a first look: split where the champion was made, or fell
        split_at = made_at
        change = change_start(project, champion, rows) if champion is not None else None
        if change is not None and change[0] > split_at:
            split_at, why = change
    elif split_at > made_at:  # a later look keeps the first's split (-inf: it split nothing)
        why = "since the champion's fall"
    before = rows["ts"].to_numpy(dtype=float) < split_at
    if not before.any():
        whole = _gate_on(project, pair, rows, look, alpha_share)
        whole.numbers["split_at"] = None  # later looks split nothing either
        return whole
    every = _gate_on(project, pair, rows, look, alpha_share / 2)
    every.numbers["split_at"] = split_at
    since = rows[~before]
    if len(since) < gate_mod.rows_to_look(scope.gate.test, scope.gate.min_samples):
        every.numbers["since_champion"] = {"rows": len(since), "verdict": "too few rows"}
        return every
    fresh = _gate_on(project, pair, since, look, alpha_share / 2)
    every.numbers["since_champion"] = {
        k: fresh.numbers.get(k) for k in ("rows", "challenger", "champion", "p_value", "alpha")
    } | {"verdict": str(fresh.verdict), "why": why}
    if every.passed or not fresh.passed:
        return every
    reasons = [*fresh.reasons, f"on the {len(since)} rows labelled {why}"]
    numbers = {**fresh.numbers, "since_champion": True, "split_at": split_at,
               "all_rows": every.numbers}  # fmt: skip
    return gate_mod.GateResult(True, reasons, numbers, fresh.verdict)


#: the share of the gate's rows (the newest) on which :func:`change_start` looks for the
#: champion's fall: the monitor's newest look takes the same half of a window
CHANGE_SHARE = 0.5


def change_start(
    project: LoopProject, champion: ModelVersion, rows: Any
) -> tuple[float, str] | None:
    """Where the world changed under the champion, read from the gate's own rows: the first
    time of their newest :data:`CHANGE_SHARE`, when the champion scores worse there than on the
    older rows by more than ``monitoring.thresholds.metric_drop`` (the drop the monitor alarms
    on), misses the goal there (when the scope has one: a fall that leaves it meeting the goal
    is no reason to halve the alpha; macro-F1 on a hundred rows moves by that much by chance)
    and those newest rows are enough for a gate to look at; None otherwise. Only the
    champion's answers are read, never the challenger's, so the split does not follow the
    challenger's luck."""
    scope = project.scope
    need = gate_mod.rows_to_look(scope.gate.test, scope.gate.min_samples)
    order = rows.sort_values("ts", kind="stable")
    count = int(len(order) * CHANGE_SHARE)
    if count < need or len(order) - count < need:
        return None
    features = [f.name for f in scope.contract.features]
    pred, proba, labels = scored(project, champion, order[features])
    y = order[scope.target].to_numpy()
    older, newest = slice(0, len(order) - count), slice(len(order) - count, None)

    def value(part: slice) -> float:
        p = None if proba is None else proba[part]
        return gate_mod.score(scope.metric.name, y[part], np.asarray(pred)[part], p, labels)

    was, now = value(older), value(newest)
    if was != was or now != now:  # not computable (one class for ROC AUC)
        return None
    drop = metric_table.worse_by(scope.metric.name, now, was)
    if drop <= scope.monitoring.thresholds.metric_drop:
        return None
    goal = scope.metric.goal
    if goal is not None and metric_table.meets(scope.metric.name, now, goal):
        return None  # it fell, but still meets the goal there: no reason to spend alpha
    start = float(order["ts"].iloc[len(order) - count])
    name = scope.metric.name
    return start, f"since the champion's fall ({name} {was:.4g} on the older rows, {now:.4g} since)"


def _gate_on(
    project: LoopProject, pair: tuple[ModelVersion | None, ModelVersion], holdout: Any,
    look: int, alpha_share: float,
) -> gate_mod.GateResult:  # fmt: skip
    """:func:`gate` on these rows, with this share of the alpha."""
    champion, challenger = pair
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
