import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fullcycle.contract import Contract, Feature, Target
from fullcycle.errors import ContractViolation, InvalidInput


def contract() -> Contract:
    return Contract(
        features=[
            Feature(name="age", kind="integer", min=0, max=120),
            Feature(name="income", kind="numeric", nullable=True, min=0),
            Feature(name="plan", kind="categorical", allowed=["free", "pro"]),
            Feature(name="note", kind="text", max_length=10, nullable=True),
            Feature(name="seen", kind="datetime", min="2020-01-01", max="2030-01-01"),
        ],
        target=Target(name="churn", kind="categorical", classes=["no", "yes"]),
    )


def frame(n: int = 8) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": np.arange(n) + 20,
            "income": np.linspace(0, 1000, n),
            "plan": ["free", "pro"] * (n // 2),
            "note": ["hi"] * n,
            "seen": pd.date_range("2024-01-01", periods=n, freq="D"),
            "churn": ["no", "yes"] * (n // 2),
        }
    )


def problems(report) -> dict[str, str]:
    return {col: info["problem"] for col, info in report.violations_by_column.items()}


def test_a_clean_frame_passes():
    report = contract().validate_frame(frame(), require_target=True)
    assert report.ok
    assert report.to_dict() == {"ok": True, "rows": 8, "columns": {}}
    report.raise_if_failed("train.csv")


def test_out_of_range_counts_rows_and_gives_first_five_examples():
    df = frame(20)
    df.loc[[1, 3, 5, 7, 9, 11], "age"] = 500
    info = contract().validate_frame(df).violations_by_column["age"]
    assert info["problem"] == "above max 120"
    assert info["count"] == 6
    assert info["examples"] == [1, 3, 5, 7, 9]


def test_each_rule_is_reported_on_its_column():
    df = frame()
    df["age"] = df["age"].astype("float64")
    df.loc[0, "age"] = 2.5
    df.loc[1, "income"] = np.inf
    df.loc[2, "plan"] = "gold"
    df.loc[3, "note"] = "much too long text"
    df["seen"] = df["seen"].astype(str)
    df.loc[4, "seen"] = "yesterday"
    df.loc[5, "churn"] = "maybe"
    found = problems(contract().validate_frame(df))
    assert found["age"] == "not an integer"
    assert found["income"] == "infinite value"
    assert found["plan"].startswith("unknown category (allowed: free, pro")
    assert found["note"] == "longer than max_length 10"
    assert found["seen"] == "wrong type: expected ISO 8601 dates or times"
    assert found["churn"].startswith("class not in the list")


def test_nulls_are_refused_unless_nullable():
    df = frame()
    df["age"] = df["age"].astype("float64")
    df.loc[2, "age"] = np.nan
    df.loc[2, "income"] = np.nan
    df.loc[3, "plan"] = None
    df.loc[4, "note"] = None
    found = contract().validate_frame(df).violations_by_column
    assert found["age"]["problem"] == "null where not allowed"
    assert found["plan"]["examples"] == [3]
    assert "income" not in found and "note" not in found


def test_wrong_types_are_reported():
    df = frame()
    df["age"] = ["x", *range(7)]
    df["income"] = pd.Series([True, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], dtype=object)
    df["note"] = range(8)
    found = contract().validate_frame(df).violations_by_column
    assert found["age"] == {
        "problem": "wrong type: expected a number",
        "count": 1,
        "examples": [0],
        "problems": [{"problem": "wrong type: expected a number", "count": 1, "examples": [0]}],
    }
    assert found["income"]["examples"] == [0]  # a bool is not a number
    assert found["note"]["count"] == 8


def test_bool_columns_are_not_numbers():
    df = frame()
    df["income"] = [True, False] * 4
    assert contract().validate_frame(df).violations_by_column["income"]["count"] == 8


def test_range_checks_on_datetimes_and_time_zones():
    df = frame()
    df.loc[0, "seen"] = pd.Timestamp("2019-05-01")
    found = contract().validate_frame(df).violations_by_column
    assert found["seen"]["problem"].startswith("before min 2020-01-01")
    df = frame()
    df["seen"] = df["seen"].dt.tz_localize("Europe/Paris")
    assert contract().validate_frame(df).ok


def test_missing_columns_and_target():
    df = frame().drop(columns=["plan", "churn"])
    report = contract().validate_frame(df)
    assert problems(report) == {"plan": "missing required column"}
    report = contract().validate_frame(df, require_target=True)
    assert problems(report)["churn"] == "missing target column"


def test_several_problems_in_one_column_are_all_kept():
    df = frame()
    df["age"] = df["age"].astype("float64")
    df.loc[0, "age"] = -5
    df.loc[1, "age"] = 999
    info = contract().validate_frame(df).violations_by_column["age"]
    assert info["problem"] == "below min 0; above max 120"
    assert [p["examples"] for p in info["problems"]] == [[0], [1]]


def test_raise_if_failed_names_columns_counts_and_rows():
    df = frame()
    df.loc[2, "plan"] = "gold"
    with pytest.raises(ContractViolation) as caught:
        contract().validate_frame(df).raise_if_failed("data/train.csv")
    text = str(caught.value)
    assert text.startswith("data/train.csv breaks the feature contract in 1 column(s):")
    assert "plan: unknown category" in text and "1 of 8 rows (e.g. rows 2)" in text
    assert len(caught.value.violations) == 1


def test_pandas_string_and_object_columns_behave_alike():
    df = frame()
    df.loc[1, "plan"] = "gold"
    as_object = df.astype({"plan": object, "note": object})
    assert problems(contract().validate_frame(df)) == problems(contract().validate_frame(as_object))


def test_integer_target_classes_and_numeric_target():
    c = Contract(features=[], target=Target(name="y", kind="categorical", classes=[0, 1]))
    report = c.validate_frame(pd.DataFrame({"y": [0, 1, 2]}))
    assert report.violations_by_column["y"]["examples"] == [2]
    c = Contract(features=[], target=Target(name="y", kind="numeric"))
    report = c.validate_frame(pd.DataFrame({"y": [0.5, np.inf, np.nan]}))
    assert set(problems(report)["y"].split("; ")) == {"null target", "infinite value"}


def test_not_a_frame_is_invalid_input():
    with pytest.raises(InvalidInput, match="expected a pandas DataFrame"):
        contract().validate_frame([{"age": 1}])


# Whatever a JSON Lines file puts in a column, validation reports it and never crashes.

cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from(["free", "2024-01-01", "2024-13-45", "hi"]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(cells, cells, cells, cells, cells, cells), min_size=1, max_size=6))
def test_arbitrary_cells_are_reported_not_crashed_on(rows):
    names = ["age", "income", "plan", "note", "seen", "churn"]
    df = pd.DataFrame(rows, columns=names, dtype=object)
    report = contract().validate_frame(df, require_target=True)
    for info in report.violations_by_column.values():
        assert 0 < info["count"] <= len(df)
        assert all(0 <= r < len(df) for r in info["examples"])
