import pytest
from pydantic import ValidationError

from fullcycle.contract import Contract, Feature, Target
from fullcycle.errors import ConfigError


def small() -> Contract:
    return Contract(
        features=[
            Feature(name="age", kind="integer", min=0, max=120),
            Feature(name="income", kind="numeric", nullable=True),
            Feature(name="plan", kind="categorical", allowed=["free", "pro"]),
            Feature(name="note", kind="text", max_length=50),
            Feature(name="seen", kind="datetime", min="2020-01-01"),
        ],
        target=Target(name="churn", kind="categorical", classes=["no", "yes"]),
    )


def test_round_trip_through_dict_keeps_everything():
    contract = small()
    data = contract.to_dict()
    assert data["columns"][0] == {"name": "age", "kind": "integer", "min": 0, "max": 120}
    assert data["target"]["classes"] == ["no", "yes"]
    assert Contract.from_dict(data) == contract


def test_min_above_max_is_refused():
    with pytest.raises(ValidationError, match=r"\[min\] 10 is greater than max 1"):
        Feature(name="x", kind="numeric", min=10, max=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "numeric", "allowed": ["a"]}, "only categorical features have allowed"),
        ({"kind": "categorical", "max_length": 3}, "only text features have max_length"),
        ({"kind": "text", "min": 1}, "only numeric, integer and datetime features have min"),
        ({"kind": "datetime", "max": "not a date"}, "must be an ISO 8601 date"),
        ({"kind": "numeric", "min": "zero"}, "must be a finite number"),
        ({"kind": "numeric", "min": 10**400}, "must be a finite number"),
        ({"kind": "numeric", "max": float("inf")}, "must be a finite number"),
        ({"kind": "categorical", "allowed": []}, "at least one value"),
        ({"kind": "numeric", "min": True}, "not true/false"),
        ({"kind": "colour"}, "Input should be"),
        ({"kind": "numeric", "unit": "kg"}, "Extra inputs are not permitted"),
    ],
)
def test_feature_rules(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        Feature(name="x", **kwargs)


def test_feature_names_must_be_printable():
    with pytest.raises(ValidationError, match="printable"):
        Feature(name="a\nb", kind="numeric")
    with pytest.raises(ValidationError, match="printable"):
        Feature(name="", kind="numeric")


def test_duplicate_and_target_names_are_refused():
    with pytest.raises(ValidationError, match="listed twice"):
        Contract(features=[Feature(name="a", kind="numeric")] * 2)
    with pytest.raises(ValidationError, match="also listed as a feature"):
        Contract(
            features=[Feature(name="y", kind="numeric")], target=Target(name="y", kind="numeric")
        )


def test_target_rules():
    with pytest.raises(ValidationError, match="only a categorical target has classes"):
        Target(name="y", kind="numeric", classes=[1, 2])
    with pytest.raises(ValidationError, match="at least two classes"):
        Target(name="y", kind="categorical", classes=["a"])
    with pytest.raises(ValidationError, match="lists a class twice"):
        Target(name="y", kind="categorical", classes=["a", "a"])


def test_from_dict_names_the_field():
    with pytest.raises(ConfigError, match=r"columns.0.kind"):
        Contract.from_dict({"columns": [{"name": "a", "kind": "blob"}]})


def test_signature_lists_inputs_with_oip_datatypes():
    sig = small().signature()
    assert [(i["name"], i["datatype"]) for i in sig["inputs"]] == [
        ("age", "INT64"),
        ("income", "FP64"),
        ("plan", "BYTES"),
        ("note", "BYTES"),
        ("seen", "BYTES"),
    ]
    assert all(i["shape"] == [-1] for i in sig["inputs"])
    assert sig["target"]["classes"] == ["no", "yes"]
    import json

    json.dumps(sig)


def test_loading_the_contract_does_not_import_pandas():
    import subprocess
    import sys

    code = "import sys, fullcycle.contract; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_equality_ignores_what_validation_caches():
    used = small()
    used.validate_records([{"age": 1}])
    assert used == small() and used != small().with_target(None)


def test_from_dict_on_arbitrary_input_raises_only_config_error():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=8),
        st.integers(min_value=10**30, max_value=10**400),
        st.sampled_from(FEATURE_WORDS),
    )
    values = st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(FEATURE_WORDS), inner, max_size=4)
        ),
        max_leaves=12,
    )

    @settings(max_examples=300, deadline=None)
    @given(values)
    def check(data):
        try:
            result = Contract.from_dict(data)
        except ConfigError as exc:
            assert "feature contract is invalid" in str(exc)
        else:
            assert isinstance(result, Contract)

    check()


FEATURE_WORDS = [
    "columns",
    "target",
    "name",
    "kind",
    "min",
    "max",
    "allowed",
    "nullable",
    "max_length",
    "classes",
    "numeric",
    "integer",
    "categorical",
    "text",
    "datetime",
    "2024-01-01",
]
