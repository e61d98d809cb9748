"""Splits are deterministic: the same data, spec and seed give the same rows, always."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fullcycle.data.splits import SplitSpec, split
from fullcycle.errors import InsufficientData, InvalidInput


def frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "y": np.where(np.arange(n) % 4 == 0, "rare", "common"),
            "when": pd.date_range("2025-01-01", periods=n, freq="h")[rng.permutation(n)],
            "user": [f"u{i % 23}" for i in range(n)],
        }
    )


SPECS = [
    {"strategy": "random", "test_size": 0.25},
    {"strategy": "stratified", "test_size": 0.25, "target": "y"},
    {"strategy": "time", "test_size": 0.25, "time_column": "when"},
    {"strategy": "group", "test_size": 0.25, "group_column": "user"},
]


@pytest.mark.parametrize("spec", SPECS, ids=[s["strategy"] for s in SPECS])
def test_each_kind_is_deterministic_disjoint_and_complete(spec: dict) -> None:
    df = frame()
    a, b = split(df, spec, seed=3), split(df.copy(), dict(spec), seed=3)
    assert np.array_equal(a.test_idx, b.test_idx)
    assert np.intersect1d(a.train_idx, a.test_idx).size == 0
    assert np.array_equal(np.sort(np.concatenate([a.train_idx, a.test_idx])), np.arange(len(df)))
    assert 0.15 * len(df) <= len(a.test_idx) <= 0.35 * len(df)
    json.dumps(a.spec)
    assert a.spec["seed"] == 3 and a.spec["strategy"] == spec["strategy"]


@pytest.mark.parametrize("spec", [SPECS[0], SPECS[1], SPECS[3]], ids=["random", "strat", "group"])
def test_another_seed_gives_other_rows(spec: dict) -> None:
    df = frame()
    assert not np.array_equal(split(df, spec, seed=1).test_idx, split(df, spec, seed=2).test_idx)


def test_stratified_keeps_class_shares() -> None:
    df = frame()
    s = split(df, SPECS[1], seed=0)
    share = (df["y"].iloc[s.test_idx] == "rare").mean()
    assert share == pytest.approx((df["y"] == "rare").mean(), abs=0.02)


def test_time_split_tests_on_the_most_recent_rows() -> None:
    df = frame()
    s = split(df, SPECS[2], seed=0)
    assert df["when"].iloc[s.train_idx].max() < df["when"].iloc[s.test_idx].min()
    assert len(s.test_idx) == 50


def test_group_split_keeps_each_group_on_one_side() -> None:
    df = frame()
    s = split(df, SPECS[3], seed=5)
    train_users = set(df["user"].iloc[s.train_idx])
    assert train_users.isdisjoint(set(df["user"].iloc[s.test_idx]))


def test_spec_from_the_scope_model_and_target_argument() -> None:
    from fullcycle.scope import Split as ScopeSplit

    s = split(frame(), ScopeSplit(strategy="stratified", test_size=0.3, seed=4), target="y")
    assert s.spec["target"] == "y" and s.spec["seed"] == 4 and s.spec["test_size"] == 0.3


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        ({"strategy": "stratified"}, InvalidInput, "needs target"),
        ({"strategy": "time", "time_column": "nope"}, InvalidInput, "'nope' is not in the data"),
        ({"strategy": "shuffle"}, InvalidInput, "not one of"),
        ({"strategy": "random", "test_size": 1.5}, InvalidInput, "between 0 and 1"),
        ({"strategy": "random", "bogus": 1}, InvalidInput, "unknown field 'bogus'"),
        ({"strategy": "group", "group_column": "one"}, InsufficientData, "single group"),
    ],
)
def test_bad_specs_are_refused(spec: dict, error: type, message: str) -> None:
    df = frame(20).assign(one="same")
    with pytest.raises(error, match=message):
        split(df, spec, seed=0)


def test_null_in_the_split_column_names_the_row() -> None:
    df = frame(20)
    df.loc[7, "user"] = None
    with pytest.raises(InvalidInput, match="row 7"):
        split(df, SPECS[3], seed=0)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=4, max_value=300),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    test_size=st.floats(min_value=0.05, max_value=0.9),
    strategy=st.sampled_from(["random", "stratified", "time", "group"]),
)
def test_same_seed_and_data_give_the_same_rows(
    n: int, seed: int, test_size: float, strategy: str
) -> None:
    rng = np.random.default_rng(n)
    df = pd.DataFrame(
        {
            "y": np.where(np.arange(n) % 2 == 0, "a", "b"),
            "t": rng.integers(0, 10**6, size=n),
            "g": rng.integers(0, max(2, n // 3), size=n),
        }
    )
    df.loc[0, "g"], df.loc[1, "g"] = 0, 1  # at least two groups
    df["t"] = pd.to_datetime(df["t"], unit="s")
    df.loc[0, "t"] = pd.Timestamp("1999-01-01")  # at least two distinct times
    spec = SplitSpec(strategy, test_size, seed, "y", "t", "g")
    first, second = split(df, spec), split(df.copy(), spec)
    assert np.array_equal(first.test_idx, second.test_idx)
    assert np.array_equal(first.train_idx, second.train_idx)
    assert len(first.train_idx) > 0 and len(first.test_idx) > 0
