import numpy as np
import pandas as pd
import pytest

from fullcycle.contract import Contract
from fullcycle.errors import InvalidInput


def data(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    words = np.array(["alpha", "beta", "gamma", "delta", "storm", "river", "stone", "light"])
    text = [" ".join(rng.choice(words, 6)) + f" {i}" for i in range(n)]
    income = rng.normal(50_000, 10_000, n)
    income[3] = np.nan
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "income": income,
            "plan": rng.choice(["free", "pro", "team"], n),
            "comment": text,
            "signup": pd.date_range("2024-01-01", periods=n, freq="h").astype(str),
            "flag": rng.choice([True, False], n),
            "label": rng.choice(["no", "yes"], n),
        }
    )


def test_kinds_ranges_and_nullability():
    df = data()
    c = Contract.infer(df, target="label")
    kinds = {f.name: f.kind for f in c.features}
    assert kinds == {
        "age": "integer",
        "income": "numeric",
        "plan": "categorical",
        "comment": "text",
        "signup": "datetime",
        "flag": "categorical",
    }
    age = c.feature("age")
    assert age.min <= df["age"].min() and age.max > df["age"].max()
    assert c.feature("income").nullable and not c.feature("age").nullable
    assert c.feature("plan").allowed == ["free", "pro", "team"]
    assert c.feature("comment").max_length >= df["comment"].str.len().max()
    assert c.target.kind == "categorical" and c.target.classes == ["no", "yes"]


def test_inferred_contract_accepts_its_own_data():
    df = data()
    c = Contract.infer(df, target="label")
    assert c.validate_frame(df, require_target=True).ok
    assert Contract.from_dict(c.to_dict()) == c


def test_nonnegative_data_keeps_a_nonnegative_range():
    c = Contract.infer(pd.DataFrame({"n": [0, 3, 10]}), target=None)
    assert c.feature("n").min == 0 and c.feature("n").max == 11
    assert c.target is None


def test_regression_target_and_integer_class_target():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0.5, 1.5, 2.5], "k": [0, 1, 0]})
    assert Contract.infer(df.drop(columns="k"), target="y").target.kind == "numeric"
    target = Contract.infer(df.drop(columns="y"), target="k").target
    assert target.kind == "categorical" and target.classes == [0, 1]


def test_unknown_target_names_the_columns():
    with pytest.raises(InvalidInput, match="target column 'nope' is not in the data"):
        Contract.infer(data(), target="nope")
