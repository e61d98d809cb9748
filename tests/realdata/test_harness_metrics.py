"""The replay's own scoring: each metric a scope may name scores as scikit-learn does, and the
loop's share of the retrained reference reads the same way whichever direction the metric has
(``bench/realdata.py --metric``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rd_harness import GREATER_IS_BETTER, LABEL_METRICS, Outcome, PeriodRow, score
from sklearn import metrics

ROOT = Path(__file__).resolve().parents[2]


def test_the_replay_scores_every_metric_of_each_task_that_needs_no_probabilities():
    assert set(LABEL_METRICS["regression"]) == {"r2", "rmse", "mae", "mape"}
    assert {"accuracy", "f1_macro", "precision_weighted", "recall_macro"} <= set(
        LABEL_METRICS["classification"]
    )
    y, p = np.array([3.0, 5.0, 10.0, 2.0]), np.array([2.5, 5.5, 8.0, 2.0])
    for name in LABEL_METRICS["regression"]:
        assert np.isfinite(score(name, y, p)), name
    for name in LABEL_METRICS["classification"]:
        assert 0.0 <= score(name, ["a", "b", "a"], ["a", "b", "b"]) <= 1.0, name
    assert GREATER_IS_BETTER["mape"] is False and GREATER_IS_BETTER["f1_weighted"] is True


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
