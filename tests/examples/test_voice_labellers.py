"""Simulated labellers: answers from the truth, a little noise, stable per row, two who disagree."""

from __future__ import annotations

import pandas as pd
import pytest

from fullcycle.errors import InvalidInput
from fullcycle.examples import voice


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return voice.generate(3, 20_000, seed=11)


def test_labels_are_the_truth_but_for_the_noise(rows: pd.DataFrame) -> None:
    labels = voice.Labeller(seed=1, noise=0.03).label(rows)
    assert labels.index.equals(rows.index)
    wrong = (labels != rows[voice.TARGET]).mean()
    assert 0.02 < wrong < 0.04
    assert set(labels) <= set(voice.DOMAINS)
    exact = voice.Labeller(seed=1, noise=0.0).label(rows)
    assert exact.tolist() == rows[voice.TARGET].tolist()


def test_labels_do_not_depend_on_batches_or_order(rows: pd.DataFrame) -> None:
    labeller = voice.Labeller(seed=2)
    whole = labeller.label(rows)
    shuffled = rows.sample(frac=1.0, random_state=0)
    parts = pd.concat([labeller.label(shuffled.iloc[:7000]), labeller.label(shuffled.iloc[7000:])])
    assert parts.sort_index().equals(whole)


def test_labellers_with_other_seeds_err_on_other_rows(rows: pd.DataFrame) -> None:
    wrong = [voice.Labeller(seed=s).label(rows) != rows[voice.TARGET] for s in (1, 2)]
    assert (wrong[0] & wrong[1]).sum() < 0.2 * wrong[0].sum()


def test_two_labellers_disagree_on_a_share_of_rows(rows: pd.DataFrame) -> None:
    both = voice.two_labellers(rows, seed=4, disagreement=0.1)
    assert list(both.columns) == ["label_a", "label_b"]
    differ = both["label_a"] != both["label_b"]
    assert 0.08 < differ.mean() < 0.12
    usual = voice.Labeller(seed=4).label(rows)
    agreed = ~differ
    assert (both.loc[agreed, "label_a"] == usual[agreed]).all()
    one_usual = (both["label_a"] == usual) ^ (both["label_b"] == usual)
    assert one_usual[differ].all()
    assert 0.3 < (both.loc[differ, "label_a"] == usual[differ]).mean() < 0.7


def test_labelling_an_empty_frame_gives_an_empty_series() -> None:
    empty = voice.generate(1, 0)
    assert voice.Labeller().label(empty).empty
    assert voice.two_labellers(empty).empty


def test_a_frame_without_the_truth_is_refused_with_the_next_step(rows: pd.DataFrame) -> None:
    with pytest.raises(InvalidInput, match="no 'domain' column") as info:
        voice.Labeller().label(rows.drop(columns=[voice.TARGET]))
    assert "generate()" in str(info.value)
    odd = rows.head(5).assign(domain=["music", "cooking", "news", None, "tv"])
    with pytest.raises(InvalidInput, match="not domains"):
        voice.Labeller().label(odd)


@pytest.mark.parametrize("noise", [-0.1, 1.5, float("nan"), "0.1", True])
def test_a_bad_noise_is_refused(rows: pd.DataFrame, noise: object) -> None:
    with pytest.raises(InvalidInput, match="noise must be a number between 0 and 1"):
        voice.Labeller(noise=noise).label(rows.head(3))  # type: ignore[arg-type]


def test_a_bad_disagreement_is_refused(rows: pd.DataFrame) -> None:
    with pytest.raises(InvalidInput, match="disagreement"):
        voice.two_labellers(rows.head(3), disagreement=2.0)
    always = voice.two_labellers(rows.head(50), disagreement=1.0)
    assert (always["label_a"] != always["label_b"]).all()
