"""The voice-search generator: columns, determinism, the changing world, bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from fullcycle.errors import InvalidInput
from fullcycle.examples import voice
from fullcycle.examples.voice_names import PLANS, build_world

LAST = voice.periods()[-1]


def test_periods_are_zero_to_five_back_to_back() -> None:
    assert voice.periods() == [0, 1, 2, 3, 4, 5]
    for p in voice.periods()[1:]:
        assert voice.period_range(p)[0] == voice.period_range(p - 1)[1]


def test_same_arguments_give_the_same_frame_and_another_seed_another() -> None:
    first = voice.generate(3, 800, seed=7)
    pd.testing.assert_frame_equal(first, voice.generate(3, 800, seed=7))
    assert not first["query"].equals(voice.generate(3, 800, seed=8)["query"])


def test_columns_values_and_truth() -> None:
    frame = voice.generate(2, 3000, seed=1)
    assert list(frame.columns) == [*voice.FEATURES, voice.TARGET, *voice.TRUTH_COLUMNS]
    start, end = voice.period_range(2)
    assert frame["request_time"].between(start, end, inclusive="left").all()
    assert frame["request_time"].is_monotonic_increasing
    assert (frame["hour"] == frame["request_time"].dt.hour).all()
    assert set(frame["locale"]) == set(voice.LOCALES)
    assert set(frame["device"]) == set(voice.DEVICES)
    assert set(frame[voice.TARGET]) == set(voice.DOMAINS)
    rebuilt = [t.replace("{x}", n) for t, n in zip(frame["_template"], frame["_name"], strict=True)]
    assert frame["query"].tolist() == rebuilt
    named = frame["_name"] != ""
    assert (named == frame["_template"].str.contains("{x}", regex=False)).all()
    assert not frame.loc[~named, "_name_is_new"].any()
    assert list(voice.without_truth(frame).columns) == [*voice.FEATURES, voice.TARGET]


def test_many_queries_are_little_more_than_a_name() -> None:
    frame = voice.generate(0, 4000, seed=2)
    bare = (frame["_template"] == "{x}").mean()
    assert 0.2 < bare < 0.5
    for ambiguous in ("who is {x}", "{x} latest", "what about {x}"):
        assert frame.loc[frame["_template"] == ambiguous, voice.TARGET].nunique() >= 3


def test_zero_rows_keep_the_columns() -> None:
    frame = voice.generate(0, 0)
    assert frame.empty
    assert list(frame.columns) == [*voice.FEATURES, voice.TARGET, *voice.TRUTH_COLUMNS]


def test_names_are_unique_across_domains_and_fixed_by_the_world() -> None:
    world = build_world(0)
    names = [e.name for pool in world.values() for e in pool]
    assert len(names) == len(set(names))
    assert [e.name for e in build_world(0)["music"]] == [e.name for e in world["music"]]
    assert [e.name for e in build_world(1)["music"]] != [e.name for e in world["music"]]
    for domain, pool in world.items():
        born = {e.born for e in pool}
        assert born == set(voice.periods()), domain
        assert sum(e.born == 0 for e in pool) == PLANS[domain].initial


def test_unseen_names_grow_to_between_30_and_50_percent() -> None:
    shares = [voice.describe(p, n=6000).unseen_name_share for p in voice.periods()]
    assert shares[0] == 0.0
    assert all(a < b for a, b in zip(shares, shares[1:], strict=False))
    assert 0.30 <= shares[LAST] <= 0.50


def test_every_domain_meets_new_names_and_some_old_ones_fade() -> None:
    first = voice.generate(0, 6000, seed=3)
    last = voice.generate(LAST, 6000, seed=3)
    new_by_domain = last.loc[last["_name_is_new"]].groupby(voice.TARGET)["_name"].nunique()
    assert set(new_by_domain.index) == set(voice.DOMAINS)
    faded = set(first["_name"]) - set(last["_name"]) - {""}
    assert len(faded) > 50
    assert not first["_name_is_new"].any()


def test_metadata_moves_more_cars_in_the_evening_and_en_in_grows() -> None:
    first, last = voice.describe(0, n=8000), voice.describe(LAST, n=8000)
    assert last.locale_mix["en-IN"] > 3 * first.locale_mix["en-IN"]
    assert last.domain_mix["navigation"] > first.domain_mix["navigation"]
    evening = [voice.generate(p, 8000, seed=4).query("16 <= hour <= 20") for p in (0, LAST)]
    cars = [(f["device"] == "car").mean() for f in evening]
    assert cars[1] > cars[0] + 0.1
    navigation = [(f[voice.TARGET] == "navigation").mean() for f in evening]
    assert navigation[1] > navigation[0] + 0.03


def test_en_in_brings_its_own_phrasings() -> None:
    frame = voice.generate(LAST, 6000, seed=5)
    own = frame["_template"].isin(["{x} match score", "play {x} songs", "{x} best price"])
    assert (frame.loc[own, "locale"] == "en-IN").all()
    assert own.sum() > 50


def test_describe_summarises_a_period() -> None:
    summary = voice.describe(4, n=3000, seed=1)
    assert summary == voice.describe(4, n=3000, seed=1)
    assert summary.rows == 3000 and 0 < summary.new_names < summary.active_names
    for mix in (summary.domain_mix, summary.locale_mix, summary.device_mix):
        assert sum(mix.values()) == pytest.approx(1.0, abs=1e-3)
    record = summary.as_dict()
    assert record["start"] == "2026-04-27T00:00:00" and record["unseen_name_share"] > 0.2


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"period": 6, "n": 10}, "period 6 does not exist"),
        ({"period": -1, "n": 10}, "period -1 does not exist"),
        ({"period": "1", "n": 10}, "period must be an integer"),
        ({"period": True, "n": 10}, "period must be an integer"),
        ({"period": 0, "n": -5}, "n must be a non-negative integer"),
        ({"period": 0, "n": 2.5}, "n must be a non-negative integer"),
        ({"period": 0, "n": 10**12}, "more than one call makes"),
        ({"period": 0, "n": 5, "seed": -1}, "seed must be a non-negative integer"),
        ({"period": 0, "n": 5, "world": None}, "world must be a non-negative integer"),
    ],
)
def test_bad_arguments_say_what_is_wrong(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        voice.generate(**kwargs)  # type: ignore[arg-type]
