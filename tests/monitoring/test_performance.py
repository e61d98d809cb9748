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


def test_every_metric_of_the_table_is_live_with_its_interval() -> None:
    import numpy as np
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import r2_score

    from fullcycle import metric_table

    X, y = load_diabetes(return_X_y=True)
    pred = LinearRegression().fit(X[::2], y[::2]).predict(X[1::2])
    for name in metric_table.names("regression"):
        live = live_metric(name, y[1::2], pred)
        assert live["low"] <= live["value"] <= live["high"], name
    r2 = live_metric("r2", y[1::2], pred)["value"]
    assert r2 == pytest.approx(r2_score(y[1::2], pred))
    # labels that are not numbers are left out and counted, never a crash
    labels = [*map(str, y[1::2][:-2]), "n/a", None]
    live = live_metric("rmse", labels, pred)
    assert live["unusable_labels"] == 2 and live["rows"] == len(pred) - 2
    classes = ["a", "b"]
    proba = np.random.default_rng(0).dirichlet([1, 1], 200)
    truth = np.where(np.random.default_rng(1).random(200) < proba[:, 1], "b", "a")
    for name in ("log_loss", "brier", "roc_auc"):
        live = live_metric(name, truth, np.where(proba[:, 1] > 0.5, "b", "a"),
                                       proba=proba, classes=classes)  # fmt: skip
        assert live["low"] <= live["value"] <= live["high"], name


def test_a_model_that_holds_its_level_raises_no_alarm_over_many_looks_and_a_real_drop_does() -> (
    None
):
    """The monitor looks again at every interval: judged on the alarm edge (99%), a model that
    holds its level exactly at the goal stays quiet over 200 looks at 70 labelled rows each
    (imbalanced binary, F1 macro), where the shown 95% interval alone cries wolf now and then;
    a real drop still alarms."""
    from fullcycle.monitoring.performance import ALARM_CONFIDENCE

    assert ALARM_CONFIDENCE > 0.95

    def look(seed: int, right: float) -> dict:
        rng = np.random.default_rng(seed)
        y = (rng.random(70) < 0.2).astype(int)
        p = np.where(rng.random(70) < right, y, 1 - y)
        return live_metric("f1_macro", y, p, n_boot=300, seed=seed)

    looks = [look(s, 0.85) for s in range(200)]
    goal = float(np.mean([out["value"] for out in looks]))  # the model's own level
    for out in looks:
        assert out["alarm_low"] <= out["low"] <= out["value"] <= out["high"] <= out["alarm_high"]
    alarms = sum(out["alarm_high"] < goal for out in looks)
    shown = sum(out["high"] < goal for out in looks)
    assert alarms <= 1 and shown >= 2  # (at 95% it would: 2.5% of looks by construction)
    dropped = [look(s, 0.55) for s in range(10)]
    assert all(out["alarm_high"] < 0.95 * goal for out in dropped)


def _perf(metric: str, y: np.ndarray, pred: np.ndarray, ts: np.ndarray, goal: float) -> dict:
    from fullcycle import metric_table
    from fullcycle.monitoring.performance import newest

    out = live_metric(metric, y, pred, n_boot=300)
    recent = newest(metric, list(y), list(pred), ts)
    if recent is not None:
        out["newest"] = recent
    gib = metric_table.get(metric).greater_is_better
    return {**out, "goal": goal, "evaluation": None, "greater_is_better": gib}


def test_the_newest_labelled_rows_judge_a_model_that_decays_while_it_serves() -> None:
    """R² 0.94 for the first 300 labelled rows of a window, then the world moves under the
    model: on all 600 rows the live R² still reaches the goal, on the newest 300 it is clearly
    below it, and those decide (alarm and trigger), named as the newest rows."""
    from fullcycle.monitoring.monitor import alerts_for
    from fullcycle.monitoring.performance import judged

    rng = np.random.default_rng(0)
    y = rng.normal(0, 1, 600)
    pred = y + rng.normal(0, 0.25, 600)
    pred[300:] = y[300:] + rng.normal(0, 0.6, 300)  # decayed: R² about 0.64
    ts = np.arange(600, dtype=float)
    order = rng.permutation(600)  # rows arrive in any order: the time decides what is newest
    perf = _perf("r2", y[order], pred[order], ts[order], goal=0.75)
    whole = live_metric("r2", y, pred, n_boot=300)
    assert whole["alarm_high"] > 0.75  # all the rows: no alarm
    look = judged(perf, "r2")
    assert look.newest and look.rows == 300 and look.high is not None and look.high < 0.75
    (alert,) = alerts_for(
        {
            "model": "m",
            "verdict": "no_drift",
            "drifted_features": [],
            "health": {"requests": 0},
            "performance": perf,
        },  # fmt: skip
        metric_drop=0.05,
    )
    assert "on the newest 300 labelled rows" in alert["message"]
    # the newest rows scoring better than the whole window never make it look better
    better = _perf("r2", y[::-1].copy(), pred[::-1].copy(), ts, goal=0.75)  # decay is oldest
    assert not judged(better, "r2").newest
    # an error metric: worse is higher, and the newest rows' higher rmse decides
    rmse = judged(_perf("rmse", y, pred, ts, goal=0.5), "rmse")
    assert rmse.newest and rmse.value == pytest.approx(np.sqrt(np.mean((y - pred)[300:] ** 2)))


def test_the_newest_look_waits_for_the_rows_a_judgement_needs() -> None:
    from fullcycle import metric_table
    from fullcycle.monitoring.performance import newest

    need = metric_table.rows_to_judge("f1_macro")
    y = np.array([0, 1] * need)
    few = list(y[: 2 * need - 2])
    assert newest("f1_macro", few, few, range(len(few))) is None
    out = newest("f1_macro", list(y), list(y), range(2 * need))
    assert out is not None and out["rows"] == need and out["value"] == 1.0


def test_a_model_that_holds_its_level_stays_quiet_with_the_newest_look_too() -> None:
    """Judging the worse of two looks (all labelled rows, the newest half) must not turn noise
    into alarms: a model at its level over 200 windows of 400 labelled rows (R², goal 5% under
    its level) raises at most 2 alarms, where the 99% edge allows about one per look."""
    from fullcycle.monitoring.performance import judged

    alarms, newest_used = 0, 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        y = rng.normal(0, 1, 400)
        pred = y + rng.normal(0, 0.45, 400)  # R² about 0.8
        perf = _perf("r2", y, pred, np.arange(400, dtype=float), goal=0.75)
        look = judged(perf, "r2")
        newest_used += look.newest
        alarms += look.high is not None and look.high < 0.75
    assert 40 < newest_used < 160  # the newest half is the worse look about half the time
    assert alarms <= 2
