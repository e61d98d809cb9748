"""Projects judged by a probability metric are gated on that metric, with the models'
probabilities, not on the accuracy of string-cast labels (real data: breast cancer, iris)."""

from __future__ import annotations

from pathlib import Path

import loopkit
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as M
from sklearn.datasets import load_breast_cancer, load_iris

from fullcycle.loop import retrain


def _frame(loader) -> pd.DataFrame:
    data = loader(as_frame=True)
    frame = data.frame.rename(
        columns=lambda c: str(c).replace(" ", "_").replace("(", "").replace(")", "")
    )
    return frame.sample(frac=1.0, random_state=0).reset_index(drop=True)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("metric", "loader", "goal"),
    [("log_loss", load_breast_cancer, 0.5), ("roc_auc", load_breast_cancer, 0.8),
     ("brier", load_iris, 0.3), ("roc_auc", load_iris, 0.8)],
)  # fmt: skip
def test_probability_metrics_are_gated_on_themselves(
    tmp_path: Path, metric: str, loader, goal: float
) -> None:
    frame = _frame(loader)
    scope = {
        "metric": {"name": metric, "goal": goal, "baseline": {"value": goal, "label": "x"}},
        "training": {"estimator": "sklearn.linear_model:LogisticRegression",
                     "params": {"C": 0.001, "max_iter": 2000}},
        "gate": {"min_samples": 50, "test": "sequential"},
    }  # fmt: skip
    project = loopkit.make_project(tmp_path / "p", "p", "classification", "target", scope)
    n = len(frame)
    weak = loopkit.start(project, frame.iloc[: int(0.2 * n)], contract_from=frame)
    data = project.add_data(frame.iloc[: int(0.6 * n)], "more")
    run = project.train(data.ref, params={"C": 1.0, "max_iter": 2000}, learning_curve=False)
    strong = project.register(run.run_id)
    holdout = frame.iloc[int(0.6 * n) :].reset_index(drop=True)
    verdict = retrain.gate(project, weak, strong, holdout)
    numbers = verdict.numbers
    assert numbers["metric"] == metric and numbers["rows"] == len(holdout)
    X, y = holdout.drop(columns=["target"]), holdout["target"].to_numpy()
    proba = project.load_model(strong.ref).estimator.predict_proba(X)
    expected = {
        "log_loss": lambda: M.log_loss(y, proba),
        "roc_auc": lambda: (
            M.roc_auc_score(y, proba[:, 1])
            if proba.shape[1] == 2
            else M.roc_auc_score(y, proba, multi_class="ovr")
        ),
        "brier": lambda: float(np.mean(((proba - np.eye(proba.shape[1])[y]) ** 2).sum(axis=1))),
    }[metric]()
    assert numbers["challenger"] == pytest.approx(expected, rel=1e-9)
    weak_pred = project.load_model(weak.ref).estimator.predict(X)
    strong_pred = project.load_model(strong.ref).estimator.predict(X)
    assert numbers["disagreement"] == pytest.approx(np.mean(weak_pred != strong_pred))
    assert "disagreement_newest" not in numbers  # rows with no time: no newest
    # with times, the newest half (the canary sees the newest traffic) gets its own share
    timed = holdout.assign(ts=np.arange(len(holdout))[::-1].astype(float))  # newest first
    newest = retrain.gate(project, weak, strong, timed).numbers["disagreement_newest"]
    half = int(np.ceil(len(holdout) / 2))
    assert newest == pytest.approx(np.mean((weak_pred != strong_pred)[:half]))
    assert verdict.passed, verdict.reasons  # the better-fitted model wins on its own metric
    backwards = retrain.gate(project, strong, weak, holdout)
    assert not backwards.passed
