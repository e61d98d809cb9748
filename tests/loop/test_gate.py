import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from fullcycle.errors import InsufficientData
from fullcycle.loop.gate import gate, mcnemar, paired_bootstrap, score


def _labels(n: int, seed: int, classes: int = 5) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, classes, n).astype(str)


def _noisy(y: np.ndarray, wrong: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = y.copy()
    flip = rng.random(len(y)) < wrong
    out[flip] = rng.permutation(y[flip])
    out[flip & (out == y)] = "other"
    return out


@pytest.mark.parametrize("seed", range(5))
def test_scores_match_scikit_learn(seed: int) -> None:
    y = _labels(500, seed)
    p = _noisy(y, 0.3, seed + 100)
    assert score("accuracy", y, p) == pytest.approx(accuracy_score(y, p), abs=1e-12)
    assert score("f1_macro", y, p) == pytest.approx(f1_score(y, p, average="macro"), abs=1e-12)


def test_mcnemar_counts_discordant_pairs_and_matches_exact_binomial() -> None:
    from scipy.stats import binomtest

    y = np.array(["a"] * 20)
    champion = np.array(["a"] * 10 + ["b"] * 10)
    challenger = np.array(["a"] * 18 + ["b"] * 2)
    result = mcnemar(y, champion, challenger)
    assert (result.champion_only, result.challenger_only) == (0, 8)
    assert result.p_value == pytest.approx(binomtest(0, 8, 0.5).pvalue)


def test_a_clearly_better_challenger_passes_and_a_worse_one_is_refused() -> None:
    y = _labels(2000, 1)
    champion = _noisy(y, 0.35, 2)
    better = _noisy(y, 0.10, 3)
    for test in ("paired_bootstrap", "mcnemar"):
        ok = gate(y, champion, better, goal=0.7, margin=0.02, test=test)
        assert ok.passed, ok.reasons
        bad = gate(y, better, champion, goal=0.5, margin=0.0, test=test)
        assert not bad.passed
        assert "does not beat champion" in bad.reasons[0]
        assert bad.numbers["rows"] == 2000


def test_a_challenger_below_the_goal_is_refused_with_the_numbers() -> None:
    y = _labels(500, 4)
    result = gate(y, None, _noisy(y, 0.5, 5), goal=0.9)
    assert not result.passed
    assert "misses the goal 0.9000" in result.reasons[0]


def test_an_equal_challenger_is_not_significant() -> None:
    y = _labels(1000, 6)
    a = _noisy(y, 0.2, 7)
    b = _noisy(y, 0.2, 8)
    result = gate(y, a, b, margin=-1.0, test="paired_bootstrap")  # only significance decides
    assert not result.passed
    assert "not significant" in result.reasons[0]
    sequential = gate(y, a, b, test="sequential")
    assert sequential.verdict == "refuse" and not sequential.passed


def test_the_bootstrap_interval_covers_the_observed_difference() -> None:
    y = _labels(800, 9)
    bs = paired_bootstrap("f1_macro", y, _noisy(y, 0.3, 10), _noisy(y, 0.1, 11), seed=1)
    assert bs.low < bs.delta < bs.high
    assert bs.delta > 0.1 and bs.p_value == 0.0


def test_too_few_rows_is_insufficient_data_not_a_decision() -> None:
    y = _labels(20, 12)
    with pytest.raises(InsufficientData, match="20 labelled rows, need 100"):
        gate(y, y, y)


def test_the_gate_scores_on_rows_labelled_since_the_champion_went_live() -> None:
    import pandas as pd

    from fullcycle.loop.labelled import recent

    rows = pd.DataFrame({"ts": [float(t) for t in range(10)], "request_id": list("abcdefghij")})
    assert list(recent(rows, since=4.5, min_rows=3)["request_id"]) == list("fghij")
    # too few since then: the newest min_rows instead (older rows favour the champion)
    assert list(recent(rows, since=8.5, min_rows=2)["request_id"]) == list("ij")
    assert list(recent(rows, since=8.5, min_rows=4)["request_id"]) == list("ghij")
    assert len(recent(rows.iloc[:0], since=0, min_rows=2)) == 0


def test_the_sequential_gate_waits_while_close_then_decides_and_stays_honest_when_peeked() -> None:
    rng = np.random.default_rng(0)
    y = _labels(3000, 20, classes=3)
    champion = _noisy(y, 0.25, 21)
    better = _noisy(y, 0.12, 22)
    first = gate(y[:100], champion[:100], better[:100], metric="accuracy", min_rows=50)
    assert first.verdict in ("undecided", "pass")
    verdicts = [
        gate(y[:n], champion[:n], better[:n], metric="accuracy", min_rows=50).verdict
        for n in range(100, 1001, 100)
    ]
    assert "pass" in verdicts and "refuse" not in verdicts
    # equal models, peeked at every 50 rows: the sequence almost never passes one
    passes = 0
    for seed in range(30):
        a, b = _noisy(y, 0.2, 100 + seed), _noisy(y, 0.2, 200 + seed)
        idx = rng.permutation(len(y))
        passes += any(
            gate(y[idx][:n], a[idx][:n], b[idx][:n], metric="accuracy", min_rows=50).passed
            for n in range(50, 1501, 50)
        )
    assert passes <= 3  # alpha 0.05 over every look, with room for chance


def test_regression_is_gated_on_squared_errors_in_the_right_direction() -> None:
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import LinearRegression

    X, target = load_diabetes(return_X_y=True)
    good = LinearRegression().fit(X[::2], target[::2]).predict(X[1::2])
    bad = np.full_like(good, target[::2].mean())
    ok = gate(target[1::2], bad, good, metric="rmse", min_rows=50)
    assert ok.passed and ok.numbers["champion"] > ok.numbers["challenger"]
    assert not gate(target[1::2], good, bad, metric="r2", min_rows=50).passed
