"""The replay's own scoring: each metric a scope may name scores as scikit-learn does, and the
loop's share of the retrained reference reads the same way whichever direction the metric has
(``bench/realdata.py --metric``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rd_harness import GREATER_IS_BETTER, METRICS_BY_TASK, Outcome, PeriodRow, score
from sklearn import metrics

ROOT = Path(__file__).resolve().parents[2]


def test_the_replay_scores_every_metric_the_scope_accepts():
    assert set(METRICS_BY_TASK["regression"]) == {"r2", "rmse", "mae", "mape"}
    assert {"accuracy", "f1_macro", "roc_auc", "log_loss", "brier"} <= set(
        METRICS_BY_TASK["classification"]
    )
    y, p = np.array([3.0, 5.0, 10.0, 2.0]), np.array([2.5, 5.5, 8.0, 2.0])
    for name in METRICS_BY_TASK["regression"]:
        assert np.isfinite(score(name, y, p)), name
    proba = [{"a": 0.7, "b": 0.3}, {"a": 0.2, "b": 0.8}, {"a": 0.4, "b": 0.6}]
    for name in METRICS_BY_TASK["classification"]:
        value = score(name, ["a", "b", "a"], ["a", "b", "b"], proba)
        assert value is not None and np.isfinite(value), name
    assert score("roc_auc", ["a", "b", "a"], ["a", "b", "b"]) is None  # no probabilities
    assert GREATER_IS_BETTER["mape"] is False and GREATER_IS_BETTER["log_loss"] is False


def test_probability_metrics_match_scikit_learn_whatever_the_class_spelling():
    truth = [1, 0, 1, 1, 0]
    p1 = np.array([0.9, 0.2, 0.6, 0.4, 0.3])
    proba = [{"0": 1 - v, 1.0: v} for v in p1]  # the keys a served answer and a model give
    pred = (p1 > 0.5).astype(int)
    assert score("roc_auc", truth, pred, proba) == pytest.approx(metrics.roc_auc_score(truth, p1))
    assert score("log_loss", truth, pred, proba) == pytest.approx(metrics.log_loss(truth, p1))
    assert score("brier", truth, pred, proba) == pytest.approx(metrics.brier_score_loss(truth, p1))
    # a class a version did not know (new in the truth) has probability 0
    three = [{"a": 0.6, "b": 0.4}, {"a": 0.1, "b": 0.9}, {"a": 0.5, "b": 0.5}]
    onehot = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    p = np.array([[0.6, 0.4, 0.0], [0.1, 0.9, 0.0], [0.5, 0.5, 0.0]])
    want = float(((p - onehot) ** 2).sum(axis=1).mean())
    assert score("brier", ["a", "b", "c"], ["a", "b", "a"], three) == pytest.approx(want)


def test_scores_match_scikit_learn():
    y = np.array([3.0, 5.0, 10.0, 2.0])
    p = np.array([2.5, 5.5, 8.0, 2.0])
    assert score("mape", y, p) == pytest.approx(metrics.mean_absolute_percentage_error(y, p))
    assert score("mae", y, p) == pytest.approx(1.0 * (0.5 + 0.5 + 2.0) / 4)
    truth, pred = [1, 0, 1, 1, 2], ["1", "0.0", 0, 1.0, 1]  # the spellings the loop normalises
    norm = ["1", "0", "0", "1", "1"]
    want = metrics.precision_score(
        ["1", "0", "1", "1", "2"], norm, average="macro", zero_division=0
    )
    assert score("precision_macro", truth, pred) == pytest.approx(want)
    want = metrics.recall_score(["1", "0", "1", "1", "2"], norm, average="weighted")
    assert score("recall_weighted", truth, pred) == pytest.approx(want)


def _outcome(metric: str, loop: float, reference: float) -> Outcome:
    row = PeriodRow("p", 10, 0, loop, 0.0, reference, 0, 0, 0, 0, 0, 0, [])
    return Outcome(metric, metric, None, 10, [row], None, None, "", [], 0.0)


def test_share_of_the_reference_follows_the_metric_direction():
    assert _outcome("r2", 0.72, 0.8).share_of_reference() == pytest.approx(0.9)
    assert _outcome("mae", 1000.0, 900.0).share_of_reference() == pytest.approx(0.9)
    assert _outcome("mae", 800.0, 900.0).share_of_reference() == pytest.approx(1.125)


def test_the_bench_refuses_a_metric_of_the_other_task_and_names_the_choices():
    bench = ROOT / "bench" / "realdata.py"
    done = subprocess.run(
        [sys.executable, str(bench), "flights", "--metric", "mae", "--quick"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--metric mae: flights is classification" in done.stderr
    assert "f1_weighted" in done.stderr
