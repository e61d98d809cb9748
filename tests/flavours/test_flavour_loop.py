"""XGBoost, LightGBM and CatBoost champions go round the whole loop on real data (scikit-learn's
breast cancer table): train, register, promote, serve in-process, feedback, monitor, `loop --once`
until a challenger retrained from the champion's own recipe is rolled out and promoted, in the
same flavour, and the live accuracy recovers from a concept change."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import time  # noqa: E402
from pathlib import Path  # noqa: E402

import loopkit  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402

FLAVOURS = {
    "xgboost": ("xgboost:XGBClassifier", {"n_estimators": 30, "max_depth": 3}),
    "lightgbm": (
        "lightgbm:LGBMClassifier",
        {"n_estimators": 30, "min_child_samples": 5},
    ),
    "catboost": (
        "catboost:CatBoostClassifier",
        {"iterations": 30, "depth": 4, "thread_count": 1},
    ),
}


def scope(estimator: str, params: dict[str, object]) -> dict[str, object]:
    return {
        **loopkit.FAST_LOOP,
        "metric": {
            "name": "accuracy",
            "goal": 0.9,
            "baseline": {"value": 0.63, "label": "majority"},
        },
        "training": {"estimator": estimator, "params": params},
        # the concept change flips half the rows: a good challenger disagrees on about half
        "rollout": {**loopkit.FAST_LOOP["rollout"], "max_disagreement": 0.7},
    }


def cancer() -> pd.DataFrame:
    """The breast cancer table with its named classes as the target, shuffled."""
    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame.drop(columns="target")
    frame["diagnosis"] = pd.Series(bunch.target_names[bunch.target]).astype(str).to_numpy()
    return frame.sample(frac=1.0, random_state=0).reset_index(drop=True)


def changed(frame: pd.DataFrame, cut: float) -> pd.DataFrame:
    """A later period with a concept change: for the rougher half of the tissue (mean texture
    above ``cut``, the whole table's median) the diagnosis is recorded the other way round, so
    the first model is wrong on about half of the rows and one trained on labelled production
    rows is not."""
    out = frame.copy()
    rough = out["mean texture"] > cut
    flip = {"malignant": "benign", "benign": "malignant"}
    out.loc[rough, "diagnosis"] = out.loc[rough, "diagnosis"].map(flip)
    return out


@pytest.mark.slow
@pytest.mark.anyio
@pytest.mark.parametrize("flavour", sorted(FLAVOURS))
async def test_a_flavour_champion_is_retrained_in_its_own_flavour_and_promoted(
    flavour: str, tmp_path: Path
) -> None:
    pytest.importorskip(flavour)
    estimator, params = FLAVOURS[flavour]
    project = loopkit.make_project(
        tmp_path / "p", "cancer", "classification", "diagnosis", scope(estimator, params)
    )
    frame = cancer()
    cut = float(frame["mean texture"].median())
    # the contract is inferred from the whole table: the loop's retraining set (history and
    # labelled production rows) must pass it, and rows beyond the first 250's range are served
    first = loopkit.start(project, frame.iloc[:250], contract_from=frame)
    assert first.format == flavour

    live = changed(frame.iloc[:450], cut)  # the last 119 rows are kept unseen for the end
    features = [c for c in live.columns if c != "diagnosis"]
    served = await loopkit.serve(
        project, live[features].to_dict("records"), list(live["diagnosis"])
    )
    before = project.monitor("last:100000").performance
    assert before["metric"] == "accuracy" and before["rows"] == len(served) > 300
    assert before["value"] < 0.8

    actions = loopkit.step_until(project, {"rollout_started"})
    assert actions[-1] == "rollout_started", [e.message for e in project.events(kind="loop.")]
    (started,) = project.events(kind="loop.rollout_started")
    chosen = f"cancer:{started.data['challenger']}"
    gates = [e for e in project.events(kind="loop.gate") if e.subject == chosen]
    numbers = gates[-1].data["numbers"]
    assert numbers["recipe"]["estimator"] == estimator
    assert {k: numbers["recipe"]["params"][k] for k in params} == params
    assert numbers["challenger"] > numbers["champion"]
    assert started.data["recipe"] == "champion"

    more = changed(frame.iloc[:450].sample(n=200, random_state=1, replace=True), cut)
    for _ in range(4):
        await loopkit.serve(project, more[features].to_dict("records"), list(more["diagnosis"]))
        actions = loopkit.step_until(project, {"rollout_promote", "rollout_rollback"}, limit=3)
        if actions[-1] in ("rollout_promote", "rollout_rollback"):
            break
    assert actions[-1] == "rollout_promote", [e.message for e in project.events(kind="loop.")]
    now = project.production_version()
    assert now.version != first.version and now.ref == chosen
    assert now.format == first.format == flavour

    # rows no model has seen, under the changed concept: the promoted model answers them well
    unseen = changed(frame.iloc[450:], cut)
    since = time.time()
    answered = await loopkit.serve(
        project, unseen[features].to_dict("records"), list(unseen["diagnosis"])
    )
    after = project.monitor(f"since:{since}", version=now.ref).performance
    assert after["rows"] == len(answered) == len(unseen)
    assert after["value"] > before["value"] + 0.2, (before, after)
