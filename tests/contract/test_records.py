import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fullcycle.contract import Contract, Feature, Violation
from fullcycle.contract._records import check_records, screen_records
from fullcycle.errors import ContractViolation, FullcycleError


def contract() -> Contract:
    return Contract(
        features=[
            Feature(name="age", kind="integer", min=0, max=120),
            Feature(name="income", kind="numeric", nullable=True),
            Feature(name="plan", kind="categorical", allowed=["free", "pro"]),
            Feature(name="note", kind="text", max_length=10, nullable=True),
            Feature(name="seen", kind="datetime", min="2020-01-01"),
        ]
    )


def row(**changes):
    base = {"age": 30, "income": 1.5, "plan": "pro", "note": "hi", "seen": "2024-05-01T10:00:00Z"}
    return base | changes


def only(records) -> list[tuple[int, str, str]]:
    """Every problem found, hard and soft."""
    _, found = contract().screen_records(records)
    return [(v.row, v.field, v.problem) for v in found]


def hard(records) -> list[tuple[int, str, str]]:
    _, found = contract().validate_records(records)
    return [(v.row, v.field, v.problem) for v in found]


def test_a_good_row_becomes_a_typed_frame():
    frame, found = contract().validate_records([row(), row(income=None, age=1.0)])
    assert found == []
    assert list(frame.columns) == ["age", "income", "plan", "note", "seen"]
    assert frame["age"].dtype == np.int64 and frame["age"].tolist() == [30, 1]
    assert math.isnan(frame["income"][1])
    assert str(frame["seen"].dtype).startswith("datetime64")


def test_all_numeric_contract_builds_one_float_block():
    c = Contract(features=[Feature(name=f"f{i}", kind="numeric") for i in range(3)])
    frame, found = c.validate_records([{"f0": 1, "f1": 2.5, "f2": -1}])
    assert found == [] and frame.to_numpy().tolist() == [[1.0, 2.5, -1.0]]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (True, "must be a number, got boolean"),
        ("30", "must be a number, got string"),
        ([30], "must be a number, got array"),
        ({"v": 30}, "must be a number, got object"),
        (float("nan"), "NaN and infinity are not allowed"),
        (float("inf"), "NaN and infinity are not allowed"),
        (2**53 + 1, "integer too large (beyond 2**53)"),
        (-(10**400), "integer too large (beyond 2**53)"),
        (2.5, "must be an integer, got 2.5"),
        (-1, "below min 0"),
        (121, "above max 120"),
        (None, "null where not allowed"),
    ],
)
def test_bad_numbers_are_named(value, problem):
    assert only([row(age=value)]) == [(0, "age", problem)]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"plan": "gold"}, ("plan", "unknown category 'gold' (allowed: free, pro)")),
        ({"plan": 1.5}, ("plan", "must be a string or integer category, got number")),
        ({"plan": True}, ("plan", "unknown category True (allowed: free, pro)")),
        ({"note": "x" * 11}, ("note", "longer than max_length 10")),
        ({"note": 5}, ("note", "must be a string, got integer")),
        ({"seen": "tomorrow"}, ("seen", "not an ISO 8601 date or time")),
        ({"seen": 1700000000}, ("seen", "must be an ISO 8601 date or time string, got integer")),
        ({"seen": "2019-12-31"}, ("seen", "below min 2020-01-01 00:00:00")),
        ({"seen": "0001-01-01T00:00:00+01:00"}, ("seen", "not an ISO 8601 date or time")),
    ],
)
def test_other_kinds(changes, expected):
    assert only([row(**changes)]) == [(0, *expected)]


def test_missing_and_extra_fields_name_the_signature():
    record = row(extra=1)
    del record["plan"]
    expected = "the model expects: age, income, plan, note, seen"
    assert only([record]) == [
        (0, "plan", f"missing; {expected}"),
        (0, "extra", f"unexpected field; {expected}"),
    ]


def test_rows_that_are_not_objects():
    assert only([row(), [1, 2]]) == [(1, "(row)", "must be an object of feature values, got array")]


def test_valid_rows_come_back_with_their_row_numbers():
    frame, found = contract().validate_records([row(age=-1.5), row(age=5), row(plan=2.5)])
    assert frame.index.tolist() == [1] and frame["age"].tolist() == [5]
    assert [v.row for v in found] == [0, 2]


@pytest.mark.parametrize("records", [[], {}, "rows", None])
def test_empty_or_non_list_batches_raise(records):
    with pytest.raises(ContractViolation) as caught:
        contract().validate_records(records)
    assert caught.value.violations[0].row == -1


# Arbitrary JSON-like input: only our errors, ever; and both paths agree.
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=15),
    st.sampled_from(["free", "pro", "2024-01-01", "2021-02-03T04:05:06+02:00", "hi"]),
    st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1500-01-01"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
keys = st.sampled_from(["age", "income", "plan", "note", "seen", "other"])
json_rows = st.one_of(
    st.dictionaries(keys, json_values, max_size=6),
    st.fixed_dictionaries({k: json_values for k in ["age", "income", "plan", "note", "seen"]}),
    json_values,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.lists(json_rows, max_size=5), json_values))
def test_never_raises_anything_but_our_errors(records):
    try:
        frame, found = contract().validate_records(records)
    except FullcycleError:
        return
    assert all(isinstance(v, Violation) for v in found)
    assert len(frame) + len({v.row for v in found}) == len(records)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(json_rows, min_size=1, max_size=8))
def test_columnar_path_finds_what_the_row_loop_finds(records):
    c = contract()
    assert check_records(c, records, columnar=True) == check_records(c, records, columnar=False)
    assert screen_records(c, records, columnar=True) == screen_records(c, records, columnar=False)


def test_big_batches_take_the_columnar_path_and_agree():
    records = [row(age=i % 150) for i in range(200)]
    records[7]["plan"] = "gold"
    records[9] = {"age": 1}
    c = contract()
    good, found = screen_records(c, records)
    assert (good, found) == screen_records(c, records, columnar=False)
    assert {v.row for v in found} == {7, 9} | {i for i in range(200) if i % 150 > 120}
    # out of range and unseen categories are served with a flag; the missing field is refused
    assert {v.row for v in found if not v.soft} == {9}
    assert 7 in good and 9 not in good and 130 in good
    assert check_records(c, records) == (good, [v for v in found if not v.soft])


def test_check_then_frame_per_batch_matches_validate_records():
    c = contract()
    requests = [[row()], [row(age=-1.5)], [row(age=7), row(plan="free")]]
    accepted = []
    for records in requests:
        good, found = c.check_records(records)
        if not found:
            accepted += [records[i] for i in good]
    batch = c.frame(accepted)
    assert batch["age"].tolist() == [30, 7, 30]
    expected, _ = c.validate_records([row(), row(age=7), row(plan="free")])
    assert batch.equals(expected)


SOFT = [
    ({"age": -1}, "age", "below min 0"),
    ({"age": 121}, "age", "above max 120"),
    ({"plan": "gold"}, "plan", "unknown category 'gold' (allowed: free, pro)"),
    ({"note": "x" * 11}, "note", "longer than max_length 10"),
    ({"seen": "2019-12-31"}, "seen", "below min 2020-01-01 00:00:00"),
]


@pytest.mark.parametrize(("changes", "field", "problem"), SOFT)
def test_soft_violations_are_served_with_a_flag(changes, field, problem):
    frame, found = contract().validate_records([row(), row(**changes)])
    assert found == [] and len(frame) == 2
    assert frame.attrs["flags"] == {1: [f"{field}: {problem}"]}


@pytest.mark.parametrize(("changes", "field", "problem"), SOFT)
def test_soft_violations_are_flagged_on_the_columnar_path_too(changes, field, problem):
    records = [row() for _ in range(40)] + [row(**changes)]
    frame, found = contract().validate_records(records)
    assert found == [] and len(frame) == 41
    assert frame.attrs["flags"] == {40: [f"{field}: {problem}"]}


def test_hard_violations_are_refused_and_flags_of_other_rows_kept():
    frame, found = contract().validate_records([row(age="30"), row(plan="gold")])
    assert [(v.row, v.field, v.soft) for v in found] == [(0, "age", False)]
    assert frame.index.tolist() == [1] and frame.attrs["flags"] == {
        1: ["plan: unknown category 'gold' (allowed: free, pro)"]
    }


def test_clean_rows_carry_no_flags():
    frame, _ = contract().validate_records([row()])
    assert "flags" not in frame.attrs


def test_a_feature_can_refuse_soft_violations():
    c = Contract(
        features=[
            Feature(
                name="plan", kind="categorical", allowed=["free", "pro"], on_violation="refuse"
            ),
            Feature(name="age", kind="integer", min=0, max=120),
        ]
    )
    frame, found = c.validate_records([{"plan": "gold", "age": 200}])
    assert [(v.field, v.soft) for v in found] == [("plan", False)]
    assert len(frame) == 0


def test_on_violation_round_trips_and_rejects_unknown_values():
    c = Contract(features=[Feature(name="plan", kind="categorical", on_violation="refuse")])
    assert Contract.from_dict(c.to_dict()) == c
    assert c.to_dict()["columns"][0]["on_violation"] == "refuse"
    assert (
        "on_violation"
        not in Contract(features=[Feature(name="x", kind="numeric")]).to_dict()["columns"][0]
    )
    with pytest.raises(FullcycleError, match="on_violation"):
        Contract.from_dict({"columns": [{"name": "x", "kind": "numeric", "on_violation": "drop"}]})
