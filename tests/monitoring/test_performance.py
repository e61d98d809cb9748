import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from fullcycle.monitoring.performance import estimate, live_metric

SK = {
    "accuracy": accuracy_score,
    "f1_macro": lambda a, b: f1_score(a, b, average="macro"),
    "precision_macro": lambda a, b: precision_score(a, b, average="macro", zero_division=0),
    "recall_macro": lambda a, b: recall_score(a, b, average="macro", zero_division=0),
}


@pytest.mark.parametrize("metric", sorted(SK))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_live_metric_matches_scikit_learn_and_its_interval_covers_it(
    metric: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    y = rng.choice(list("abcde"), 600)
    p = np.where(rng.random(600) < 0.75, y, rng.choice(list("abcdef"), 600))
    out = live_metric(metric, y, p, n_boot=300, seed=seed)
    assert out["value"] == pytest.approx(SK[metric](y, p), abs=1e-12)
    assert out["low"] <= out["value"] <= out["high"] and out["rows"] == 600


def test_no_labels_gives_no_value_rather_than_a_guess() -> None:
    assert live_metric("f1_macro", [], [])["value"] is None


def test_the_estimate_tracks_the_true_metric_for_a_calibrated_model() -> None:
    rng = np.random.default_rng(5)
    n, k = 20_000, 4
    logits = rng.normal(size=(n, k)) * 2
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    truth = np.array([rng.choice(k, p=row) for row in proba])  # calibrated by construction
    pred = proba.argmax(axis=1)
    for metric in ("accuracy", "f1_macro"):
        est = estimate(metric, proba)
        assert est == pytest.approx(SK[metric](truth, pred), abs=0.02), metric


def test_metrics_it_cannot_estimate_say_so() -> None:
    assert estimate("rmse", np.ones((3, 2)) / 2) is None
    assert estimate("accuracy", np.empty((0, 3))) is None
