"""Drift a data scientist believes, on scikit-learn's bundled diabetes data (442 patients).

Split at the median age, the two halves differ in age and in what comes with it (blood
pressure, bmi, serum measures): a plain two-sample test calls several shifts certain, so the
report must too. Random halves differ by noise only: no feature may drift, either way round.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.datasets import load_diabetes

from fullcycle.cli import main
from fullcycle.monitoring.compare import drift_frames


@pytest.fixture(scope="module")
def diabetes() -> pd.DataFrame:
    return load_diabetes(as_frame=True).frame


def age_split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    median = frame["age"].median()
    return frame[frame["age"] <= median], frame[frame["age"] > median]


def test_a_shift_a_two_sample_test_calls_certain_is_drift(diabetes):
    young, old = age_split(diabetes)
    assert (len(young), len(old)) == (227, 215)
    report = drift_frames(young, old)
    bmi = report.feature("bmi")
    scipy_ks = stats.ks_2samp(young["bmi"], old["bmi"])  # KS 0.222, p = 2.9e-5
    assert bmi.stats["ks"] == pytest.approx(scipy_ks.statistic)
    assert bmi.info["ks_pvalue"] == pytest.approx(scipy_ks.pvalue, rel=0.1)
    assert bmi.drifted and bmi.pvalue_adjusted < 0.01
    # every feature whose corrected KS p-value is tiny is reported as drift
    for f in report.features:
        p = stats.ks_2samp(young[f.name], old[f.name]).pvalue
        if p * len(report.features) < 1e-3:
            assert f.drifted, (f.name, p)
    assert len(report.drifted_features) >= 8
    assert report.feature("age").drifted and report.feature("bp").drifted


def test_verdicts_need_the_test_and_the_effect_together(diabetes):
    young, old = age_split(diabetes)
    for f in drift_frames(young, old).features:
        big = max(f.stats[s] / f.thresholds[s] for s in f.stats) > 1
        assert f.drifted == (f.pvalue_adjusted < 0.01 and big), f.name


@pytest.mark.parametrize("seed", range(6))
def test_random_halves_raise_no_alarm_either_way(diabetes, seed):
    order = np.random.default_rng(seed).permutation(len(diabetes))
    a, b = diabetes.iloc[order[:221]], diabetes.iloc[order[221:]]
    for ref, cur in ((a, b), (b, a)):
        report = drift_frames(ref, cur)
        assert report.drifted_features == [] and report.verdict == "no drift"
        assert all(f.decided for f in report.features)


def test_holm_is_stricter_than_benjamini_hochberg(diabetes):
    young, old = age_split(diabetes)
    bh = drift_frames(young, old, policy={"correction": "bh"})
    holm = drift_frames(young, old, policy={"correction": "holm"})
    for f in bh.features:
        assert holm.feature(f.name).pvalue_adjusted >= f.pvalue_adjusted - 1e-12
    assert set(holm.drifted_features) <= set(bh.drifted_features)


def test_values_outside_the_reference_range_land_in_overflow_bins(diabetes):
    young, old = age_split(diabetes)
    over = drift_frames(young, old).feature("age").chart["overflow"]
    assert over["max"] == young["age"].max() and over["min"] == young["age"].min()
    assert over["above"] == int((old["age"] > young["age"].max()).sum()) == len(old)
    assert over["below"] == 0 and over["above_share"] == 1.0
    bmi = drift_frames(young, old).feature("bmi").chart
    above = int((old["bmi"] > young["bmi"].max()).sum())
    below = int((old["bmi"] < young["bmi"].min()).sum())
    assert (bmi["overflow"]["above"], bmi["overflow"]["below"]) == (above, below)
    assert sum(bmi["current"]) + (above + below) / len(old) == pytest.approx(1.0)


def test_fail_on_drift_exits_11_for_ci(diabetes, tmp_path, capsys):
    young, old = age_split(diabetes)
    young.to_csv(tmp_path / "young.csv", index=False)
    old.to_csv(tmp_path / "old.csv", index=False)
    young.sample(frac=1.0, random_state=1).to_csv(tmp_path / "again.csv", index=False)
    paths = [str(tmp_path / n) for n in ("young.csv", "old.csv", "again.csv")]
    assert main(["drift", paths[0], paths[1]]) == 0
    assert main(["drift", paths[0], paths[1], "--fail-on-drift"]) == 11
    assert "drift: " in capsys.readouterr().err
    assert main(["drift", paths[0], paths[2], "--fail-on-drift"]) == 0
