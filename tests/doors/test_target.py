"""Classes are normalised once, to the contract's target kind: "1", 1 and 1.0 never disagree
(on real targets shipped with scikit-learn: breast cancer 0/1, iris 0/1/2, diabetes floats)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

from fullcycle.contract import (
    Contract,
    Target,
    normalise_column,
    normalise_label,
    normalise_labels,
    target_spec,
)
from fullcycle.errors import InvalidInput


def inferred(frame, target):
    return Contract.infer(frame, target).target


def test_an_integer_target_takes_every_spelling_of_its_classes() -> None:
    frame = load_breast_cancer(as_frame=True).frame
    target = inferred(frame, "target")
    assert target.classes == [0, 1]
    spec = target_spec(target)
    for spelling in ("1", 1, 1.0, " 1.0 ", np.int64(1), np.float64(1.0), True):
        label = normalise_label(spelling, spec)
        assert label == (1, True) and type(label.value) is int, spelling


def test_a_multiclass_target_and_a_class_never_seen() -> None:
    frame = load_iris(as_frame=True).frame
    spec = target_spec(inferred(frame, "target"))
    assert [normalise_label(v, spec).value for v in ("2", 2.0, 0)] == [2, 2, 0]
    new = normalise_label("3.0", spec)
    assert new.value == 3 and type(new.value) is int and new.known is False


def test_a_boolean_target_reads_yes_and_true() -> None:
    data = load_breast_cancer(as_frame=True).frame
    data["target"] = data["target"].astype(bool)
    spec = target_spec(inferred(data, "target"))
    assert [normalise_label(v, spec).value for v in ("yes", "True", 1, "1", "no", 0.0)] == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]
    with pytest.raises(InvalidInput, match="not true or false"):
        normalise_label("maybe", spec)


def test_a_regression_target_reads_numbers_written_as_text() -> None:
    frame = load_diabetes(as_frame=True).frame
    spec = target_spec(inferred(frame, "target"))
    assert spec.kind == "numeric"
    text = [str(v) for v in frame["target"].head(20)]
    values = normalise_column(text, spec)
    assert all(type(v) is float for v in values)
    assert values == pytest.approx(frame["target"].head(20).tolist())


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ([1, 2], "single value"),
        ({"a": 1}, "single value"),
        (math.nan, "finite"),
        (math.inf, "finite"),
        ("abc", "not a number"),
        (True, "not a number"),
        (None, "missing"),
        ("5\x00", "printable"),
    ],
)
def test_labels_that_fit_no_kind_are_refused_naming_the_field(value, problem) -> None:
    spec = target_spec(Target(name="y", kind="numeric"))
    with pytest.raises(InvalidInput, match=problem) as info:
        normalise_label(value, spec, field="items[3].label")
    assert str(info.value).startswith("items[3].label:")


def test_many_labels_report_refused_and_new_ones_without_raising() -> None:
    spec = target_spec(Target(name="y", kind="categorical", classes=["cat", "dog"]))
    done = normalise_labels(["cat", " dog", "Dog", [1], "fox"], spec)
    assert done.values[:3] == ["cat", "dog", "dog"]
    assert done.new == [4] and [i for i, _ in done.refused] == [3]


def test_string_classes_stay_strings() -> None:
    spec = target_spec(Target(name="y", kind="categorical", classes=["0", "1"]))
    assert [normalise_label(v, spec).value for v in (1, 1.0, "1")] == ["1", "1", "1"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    body=json_values
    | st.fixed_dictionaries(
        {"request_id": st.text(max_size=20), "label": json_values, "row": json_values}
    )
)
def test_any_feedback_body_is_checked_or_refused_cleanly(body) -> None:
    """Whatever JSON arrives, the door answers with items or InvalidInput (a 422), nothing else."""
    from fullcycle.serving.feedback import check

    for spec in (
        target_spec(Target(name="y", kind="numeric")),
        target_spec(Target(name="y", kind="categorical", classes=[0, 1])),
        None,
    ):
        try:
            items = check(body, spec)
        except InvalidInput:
            continue
        for item in items:
            assert item.key and (
                spec is None or spec.kind != "numeric" or type(item.label) is float
            )
