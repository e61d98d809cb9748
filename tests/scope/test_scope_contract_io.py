"""The features section round trip: infer a contract, write it into the file, load it back."""

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scope_factories import write

from fullcycle.contract import Contract, Feature
from fullcycle.scope import load_scope, template, write_features


def test_inferred_contract_survives_the_file(tmp_path):
    frame = pd.DataFrame(
        {
            "age": [23, 45, None, 31],
            "plan": ["free", "pro", "yes", "null"],
            "note": ["a long free text note " * 3, "x y z w v", "short", "more words here now"],
            "seen": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]),
            "label": ["stay", "leave", "stay", "leave"],
        }
    )
    proposed = Contract.infer(frame, "label")
    path = write(tmp_path, template("demo"))
    write_features(path, proposed)
    scope = load_scope(path)
    assert scope.contract == proposed
    assert scope.classes == ["leave", "stay"]
    assert scope.contract.validate_frame(frame, require_target=True).ok


names = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x85"),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() == s and s.isprintable())


@st.composite
def contracts(draw):
    columns = draw(
        st.lists(names, min_size=1, max_size=5, unique=True).filter(
            lambda cols: "label" not in cols
        )
    )
    features = []
    for name in columns:
        kind = draw(st.sampled_from(["numeric", "integer", "categorical", "text", "datetime"]))
        if kind == "categorical":
            allowed = draw(st.lists(names | st.integers(-5, 5), min_size=1, max_size=4))
            features.append(Feature(name=name, kind=kind, allowed=allowed))
        elif kind in ("numeric", "integer"):
            lo = draw(st.integers(-1000, 1000))
            features.append(Feature(name=name, kind=kind, min=lo, max=lo + 1.5))
        elif kind == "datetime":
            day = draw(st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1)))
            features.append(Feature(name=name, kind=kind, min=day.isoformat()))
        else:
            features.append(Feature(name=name, kind=kind, nullable=True, max_length=10))
    return Contract(features=features)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(contracts())
def test_any_contract_round_trips_through_write_features(tmp_path, contract):
    path = write(tmp_path, template("demo"))
    write_features(path, contract)
    assert load_scope(path).features == contract
