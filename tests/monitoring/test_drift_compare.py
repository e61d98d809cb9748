"""compare(): verdicts on synthetic shifts of known size, sample-size guards, bad values."""

import json

import numpy as np
import pandas as pd
import pytest

from fullcycle.errors import ConfigError, InvalidInput
from fullcycle.monitoring.compare import compare, drift_frames, resolve_policy
from fullcycle.monitoring.reference import Reference, build_reference, infer_kinds

WORDS = np.array(
    ["the", "a", "cat", "dog", "sat", "on", "mat", "rug"]
    + ["sun", "moon", "red", "blue", "big", "small", "ran", "fast"]
)
NEW_WORDS = np.array(["crypto", "token", "wallet", "defi", "nft", "blockchain"])


def numeric_frame(n, shift=0.0, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(shift, 1.0, n)})


def categorical_frame(n, mix=0.0, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.choice(["a", "b", "c", "d"], size=n, p=[0.4, 0.3, 0.2, 0.1])
    moved = rng.random(n) < mix
    base[moved] = "a"
    return pd.DataFrame({"c": base})


def text_frame(n, new_share=0.0, seed=0):
    rng = np.random.default_rng(seed)
    docs = []
    for _ in range(n):
        words = rng.choice(WORDS, size=8).astype(object)
        swap = rng.random(8) < new_share
        words[swap] = rng.choice(NEW_WORDS, size=int(swap.sum()))
        docs.append(" ".join(words))
    return pd.DataFrame({"t": docs})


@pytest.mark.parametrize(
    ("shift", "drifted"), [(0.0, False), (0.03, False), (1.0, True)], ids=["none", "small", "large"]
)
def test_numeric_shifts(shift, drifted):
    report = drift_frames(numeric_frame(20000), numeric_frame(20000, shift, seed=1))
    f = report.feature("x")
    assert f.drifted is drifted, f
    assert f.decided
    if drifted:
        assert f.stats["ks"] > 0.3 and f.stats["wasserstein"] > 0.9
        assert report.verdict == "drift: 1 of 1 features"
    else:
        assert report.verdict == "no drift"


@pytest.mark.parametrize(
    ("mix", "drifted"), [(0.0, False), (0.01, False), (0.5, True)], ids=["none", "small", "large"]
)
def test_categorical_shifts(mix, drifted):
    report = drift_frames(categorical_frame(20000), categorical_frame(20000, mix, seed=1))
    f = report.feature("c")
    assert f.kind == "categorical"
    assert f.drifted is drifted, f
    assert "chisquare_pvalue" in f.info


def test_unseen_categories_drift_and_are_named():
    cur = categorical_frame(5000, seed=1)
    cur.loc[cur.index[:1000], "c"] = "brand-new"
    f = drift_frames(categorical_frame(5000), cur).feature("c")
    assert f.drifted
    assert f.stats["unseen_share"] == pytest.approx(0.2)
    assert f.info["top_unseen"][0] == ("brand-new", 1000)
    assert set(f.rows) <= set(range(1000)) and len(f.rows) == 20


@pytest.mark.parametrize(
    ("new_share", "drifted"),
    [(0.0, False), (0.005, False), (0.4, True)],
    ids=["none", "small", "large"],
)
def test_text_shifts(new_share, drifted):
    report = drift_frames(text_frame(3000), text_frame(3000, new_share, seed=1), {"t": "text"})
    f = report.feature("t")
    assert f.drifted is drifted, f
    if drifted:
        assert f.info["oov_rate"] == pytest.approx(0.4, abs=0.03)
        assert {t for t, _ in f.info["top_new_tokens"]} == set(NEW_WORDS)
        assert f.info["domain_auc"] > 0.9
        assert len(f.rows) == 20
    else:
        assert f.info["domain_auc"] < 0.75


def test_eight_rows_is_insufficient_data_never_an_alarm():
    ref = numeric_frame(5000)
    cur = numeric_frame(8, shift=10.0)
    report = drift_frames(ref, cur)
    assert report.verdict == "insufficient data: 8 rows, need 200"
    assert not report.drifted
    assert report.feature("x").verdict == "insufficient data: 8 rows, need 200"
    empty = drift_frames(ref, ref.iloc[:0])
    assert empty.verdict == "insufficient data: 0 rows, need 200"


def test_nan_and_inf_are_counted_not_crashing():
    ref = numeric_frame(5000)
    cur = numeric_frame(5000, seed=1)
    cur.loc[:9, "x"] = np.nan
    cur.loc[10:14, "x"] = np.inf
    cur.loc[15:19, "x"] = -np.inf
    f = drift_frames(ref, cur).feature("x")
    assert not f.drifted
    assert f.n_current == 4980
    assert f.info["missing_share"] == pytest.approx(20 / 5000)
    # the same window with half the values broken does alarm, on missing values
    cur.loc[:2500, "x"] = np.inf
    g = drift_frames(ref, cur).feature("x")
    assert g.verdict == "drift (missing values)"
    assert set(g.rows) <= set(range(2501))
    json.dumps(drift_frames(ref, cur).to_dict(), allow_nan=False)


def test_all_missing_and_absent_columns():
    ref = pd.DataFrame({"x": np.arange(1000.0), "c": ["a", "b"] * 500})
    cur = pd.DataFrame({"x": [np.nan] * 1000})
    report = drift_frames(ref, cur)
    assert report.feature("x").verdict == "drift (missing values)"
    assert report.feature("c").verdict == "drift (missing values)"


def test_large_no_drift_window_does_not_alarm():
    rng = np.random.default_rng(11)
    n = 400_000
    ref = pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(list("abcdefgh"), size=n)})
    cur = pd.DataFrame(
        {"x": rng.normal(0.01, 1, size=n), "c": rng.choice(list("abcdefgh"), size=n)}
    )
    report = drift_frames(ref, cur)
    assert report.verdict == "no drift"
    # a p-value test would call this tiny shift significant; the effect-size floor does not
    assert report.feature("x").info["ks_pvalue"] < 0.05


def test_small_windows_need_a_significant_test_and_raise_no_false_alarms():
    ref = numeric_frame(20000)
    alarms = 0
    for seed in range(20):
        report = drift_frames(ref, numeric_frame(250, seed=100 + seed))
        alarms += report.drifted
        f = report.feature("x")
        # effect sizes of a small window often pass the floors by chance; the test does not
        assert f.drifted == (f.pvalue_adjusted < 0.01 and f.score > 1)
    assert alarms <= 1


def test_features_ranked_and_rows_point_at_the_shift():
    rng = np.random.default_rng(2)
    n = 5000
    ref = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.normal(size=n)})
    cur = ref.sample(frac=1.0, random_state=3).reset_index(drop=True)
    cur.index = cur.index + 10_000
    cur.loc[10_000:10_999, "b"] = rng.normal(6.0, 0.1, size=1000)
    cur["c"] = cur["c"] + 0.5
    report = drift_frames(ref, cur)
    assert report.drifted_features == ["b", "c"] or report.drifted_features == ["c", "b"]
    assert report.features[-1].name == "a"
    b = report.feature("b")
    assert set(b.rows) <= set(range(10_000, 11_000))


def test_reference_round_trips_through_json():
    ref = pd.concat([numeric_frame(500), categorical_frame(500), text_frame(500)], axis=1)
    kinds = {"x": "numeric", "c": "categorical", "t": "text"}
    reference = build_reference(ref, kinds, predictions=ref["c"], confidence=ref["x"].abs())
    again = Reference.from_dict(json.loads(json.dumps(reference.to_dict())))
    assert again == reference
    report = compare(again, ref, kinds)
    assert report.verdict == "no drift"
    outputs = compare(
        again, ref, policy={"correction": "holm"}, predictions=ref["c"], confidence=ref["x"]
    )
    assert outputs.feature("prediction").role == "prediction"
    assert outputs.feature("confidence").drifted  # abs() in the reference, signed now


def test_bad_inputs_are_named():
    with pytest.raises(InvalidInput, match="'nope' is not in the data"):
        build_reference(numeric_frame(10), {"nope": "numeric"})
    with pytest.raises(InvalidInput, match="unknown kind 'float'"):
        build_reference(numeric_frame(10), {"x": "float"})
    with pytest.raises(ConfigError, match="unknown key 'pси'"):
        resolve_policy({"pси": 0.1})
    with pytest.raises(ConfigError, match="psi=-1"):
        resolve_policy({"psi": -1})
    with pytest.raises(InvalidInput, match="not a format-1 reference"):
        Reference.from_dict({"features": {}})
    with pytest.raises(InvalidInput, match="target column 'y'"):
        drift_frames(numeric_frame(10), numeric_frame(10), target="y")


def test_infer_kinds():
    frame = pd.DataFrame(
        {
            "f": [0.5, 1.5, 2.5, 3.5],
            "i": [1, 2, 3, 4],
            "b": [True, False, True, True],
            "s": ["x", "y", "x", "z"],
            "t": ["a long sentence here", "another one right there", "words words words", "o k x"],
            "d": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]),
        }
    )
    assert infer_kinds(frame) == {
        "f": "numeric",
        "i": "integer",
        "b": "categorical",
        "s": "categorical",
        "t": "text",
        "d": "datetime",
    }
    report = drift_frames(frame, frame, policy={"min_rows": 2})
    assert {f.name for f in report.features} == set(frame.columns)


def test_domain_classifier_on_numbers():
    from fullcycle.monitoring.domain import domain_auc

    rng = np.random.default_rng(12)
    same = domain_auc(rng.normal(size=(300, 3)), rng.normal(size=(300, 3)))
    moved = domain_auc(rng.normal(size=(300, 3)), rng.normal(1.5, 1, size=(300, 3)))
    assert same < 0.65 < 0.9 < moved
    with pytest.raises(ValueError, match="50 rows"):
        domain_auc(rng.normal(size=(10, 2)), rng.normal(size=(300, 2)))


def test_datetime_columns_are_compared_as_time():
    days = pd.Series(pd.date_range("2024-01-01", periods=2000, freq="h"))
    ref = pd.DataFrame({"when": days})
    later = pd.DataFrame({"when": days + pd.Timedelta(days=365)})
    assert drift_frames(ref, ref.sample(frac=1.0, random_state=1)).verdict == "no drift"
    moved = drift_frames(ref, later).feature("when")
    assert moved.kind == "datetime" and moved.drifted


def test_dataset_verdict_follows_the_drift_share_policy():
    rng = np.random.default_rng(13)
    ref = pd.DataFrame({"a": rng.normal(size=3000), "b": rng.normal(size=3000)})
    cur = pd.DataFrame({"a": rng.normal(size=3000) + 1, "b": rng.normal(size=3000)})
    assert drift_frames(ref, cur).verdict == "drift: 1 of 2 features"
    lenient = drift_frames(ref, cur, policy={"dataset_drift_share": 0.6})
    assert lenient.verdict == "no drift" and not lenient.drifted
    assert lenient.drifted_features == ["a"]


def test_a_new_statistic_is_one_row_in_the_table(monkeypatch):
    from fullcycle.monitoring import features

    def mean_shift(pair: features.Pair) -> float:  # |mean change| in reference std
        return abs(pair.col.mean - pair.summary.mean) / features.spread(pair.summary)

    table = {**features.STATISTICS, "mean_shift": features.Statistic(("number",), mean_shift, 0.3)}
    monkeypatch.setattr(features, "STATISTICS", table)
    ref, cur = numeric_frame(5000), numeric_frame(5000, shift=0.5, seed=1)
    report = drift_frames(ref, cur)
    f = report.feature("x")
    assert f.stats["mean_shift"] == pytest.approx(0.5, abs=0.05)
    assert f.thresholds["mean_shift"] == 0.3 and f.drifted
    assert (
        drift_frames(ref, cur, policy={"mean_shift": 0.9}).feature("x").thresholds["mean_shift"]
        == 0.9
    )
