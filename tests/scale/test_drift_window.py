"""Drift from per-partition sketches equals drift computed on the whole window at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scalekit as kit

from fullcycle.executor import LocalExecutor, SerialExecutor
from fullcycle.monitoring.compare import compare
from fullcycle.monitoring.reference import build_reference
from fullcycle.monitoring.report import DriftReport
from fullcycle.scale.cluster import ProcessCluster
from fullcycle.scale.dask_executor import DaskExecutor
from fullcycle.scale.drift_window import combine, drift_window, sketch_frame

KINDS = {"x": "numeric", "k": "integer", "colour": "categorical", "note": "text"}
POLICY = {"domain_classifier": False}
#: Wasserstein adds per-bin float sums in another order: equal up to rounding.
ROUNDED = {"wasserstein"}


def _assert_same(got: DriftReport, want: DriftReport) -> None:
    assert (got.verdict, got.drifted, got.n_current) == (want.verdict, want.drifted, want.n_current)
    assert [f.name for f in got.features] == [f.name for f in want.features]
    for g, w in zip(got.features, want.features, strict=True):
        assert (g.verdict, g.drifted, g.decided, g.n_current) == (
            w.verdict,
            w.drifted,
            w.decided,
            w.n_current,
        ), g.name
        assert g.stats.keys() == w.stats.keys()
        for stat, value in w.stats.items():
            if stat in ROUNDED:
                assert g.stats[stat] == pytest.approx(value, rel=1e-9, abs=1e-12), (g.name, stat)
            else:
                assert g.stats[stat] == value, (g.name, stat)
        assert g.thresholds == pytest.approx(w.thresholds, rel=1e-12)
        for key in ("missing_share", "chisquare", "chisquare_pvalue", "ks_pvalue", "oov_rate"):
            if key in w.info:
                assert g.info[key] == w.info[key], (g.name, key)
        assert g.chart == w.chart, g.name  # charts come from the same sketches
        for key in ("mean", "std"):
            if key in w.info:
                assert g.info[key] == pytest.approx(w.info[key], rel=1e-9), (g.name, key)


@pytest.fixture(scope="module")
def reference():  # type: ignore[no-untyped-def]
    return build_reference(kit.frame(4_000, seed=1), KINDS, sketch_size=200)


@pytest.mark.parametrize("shift", [0.0, 0.6])
def test_partitions_combined_equal_the_whole_window(reference, shift: float) -> None:  # type: ignore[no-untyped-def]
    window = kit.frame(5_000, seed=7, shift=shift, new_words=bool(shift))
    want = compare(reference, window, policy=POLICY)
    got = drift_window(reference, window, SerialExecutor(), policy=POLICY, partition_rows=701)
    _assert_same(got, want)
    assert got.drifted is bool(shift)


def test_sketches_add_up_to_the_sketch_of_the_union(reference) -> None:  # type: ignore[no-untyped-def]
    window = kit.frame(3_000, seed=3, shift=0.3, new_words=True)
    whole = sketch_frame(reference, window)
    parts = combine(
        [sketch_frame(reference, window.iloc[a : a + 999]) for a in range(0, 3_000, 999)]
    )
    assert parts.n_rows == whole.n_rows == 3_000
    for name, col in whole.columns.items():
        other = parts.columns[name]
        assert (other.n, other.valid) == (col.n, col.valid)
        np.testing.assert_array_equal(other.counts, col.counts)
        assert other.values == col.values


def test_a_partition_without_a_column_counts_it_as_missing(reference) -> None:  # type: ignore[no-untyped-def]
    window = kit.frame(2_000, seed=4)
    want = compare(reference, window.drop(columns=["colour"]), policy=POLICY)
    got = drift_window(
        reference,
        window.drop(columns=["colour"]),
        SerialExecutor(),
        policy=POLICY,
        partition_rows=500,
    )
    _assert_same(got, want)
    assert got.feature("colour").verdict == "drift (missing values)"


def test_an_empty_window_is_insufficient_data_not_drift(reference) -> None:  # type: ignore[no-untyped-def]
    got = drift_window(reference, kit.frame(0), SerialExecutor(), policy=POLICY)
    assert not got.drifted and got.verdict.startswith("insufficient data")
    assert drift_window(reference, [], SerialExecutor(), policy=POLICY).n_current == 0


def test_log_segments_on_a_process_pool_equal_the_frame(reference, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = kit.frame(3_000, seed=8, shift=0.3)
    window["k"] = window["k"].astype(float)  # JSON has no integer NaN; compare the same values
    paths = [
        str(kit.log_segment(window.iloc[a : a + 1_000], tmp_path / f"s{a}.parquet", a))
        for a in range(0, 3_000, 1_000)
    ]
    want = compare(reference, window, policy=POLICY)
    got = drift_window(reference, paths, LocalExecutor(2), policy=POLICY)
    _assert_same(got, want)


@pytest.mark.slow
def test_dask_drift_equals_local(cluster: ProcessCluster, reference) -> None:  # type: ignore[no-untyped-def]
    window = kit.frame(20_000, seed=9, shift=0.2, new_words=True)
    local = drift_window(reference, window, LocalExecutor(2), policy=POLICY, partition_rows=5_000)
    with DaskExecutor(cluster.address) as executor:
        remote = drift_window(reference, window, executor, policy=POLICY, partition_rows=5_000)
    _assert_same(remote, local)
    _assert_same(remote, compare(reference, window, policy=POLICY))
