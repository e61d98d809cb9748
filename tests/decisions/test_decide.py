"""A stored decision record applied to probabilities, and what each decision costs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fullcycle.errors import ConfigError
from fullcycle.train import decide

BINARY = {
    "rule": "threshold",
    "threshold": 0.2,
    "positive": "fraud",
    "classes": ["fraud", "ok"],
    "cost_matrix": [[0.0, 20.0], [1.0, 0.0]],
    "abstain_below": None,
    "abstain_cost": 0.0,
}
THREE = {
    "rule": "bayes_min_cost",
    "threshold": None,
    "positive": None,
    "classes": ["music", "navigation", "news"],
    "cost_matrix": [[0, 1, 1], [10, 0, 6], [1, 1, 0]],
    "abstain_below": 0.4,
    "abstain_cost": 0.5,
}


def test_a_threshold_rule_flags_at_its_threshold_not_at_the_top_score() -> None:
    proba = [[0.1, 0.9], [0.2, 0.8], [0.6, 0.4], [0.19, 0.81]]
    assert decide.decide(BINARY, proba) == ["ok", "fraud", "fraud", "ok"]


def test_min_cost_avoids_the_expensive_mistake_and_abstains_when_unsure() -> None:
    # navigation at 0.45 against music at 0.55: sending it to music risks 10, the reverse 1
    proba = [[0.55, 0.45, 0.0], [0.9, 0.05, 0.05], [0.35, 0.33, 0.32]]
    assert decide.decide(THREE, proba) == ["navigation", "music", decide.ABSTAIN]
    argmax = {**THREE, "rule": "argmax", "abstain_below": None}
    assert decide.decide(argmax, proba) == ["music", "music", "music"]


def test_row_costs_price_mistakes_abstentions_and_skip_unknown_labels() -> None:
    costs = decide.row_costs(
        THREE, ["navigation", "music", "news", "weather"], ["music", "music", "abstain", "news"]
    )
    assert costs[:3].tolist() == [10.0, 0.0, 0.5]
    assert math.isnan(costs[3])  # a label the model does not know is not costed
    summary = decide.cost_summary(costs)
    assert summary["rows"] == 3
    assert summary["cost_per_1000"] == pytest.approx(10.5 / 3 * 1000)
    assert summary["low"] <= summary["cost_per_1000"] <= summary["high"]


def test_regression_records_cost_with_the_scope_loss() -> None:
    record = {"loss": {"kind": "asymmetric", "under": 3.0, "over": 1.0}}
    assert decide.costs_regression(record) and not decide.classifies(record)
    costs = decide.row_costs(record, [10.0, 10.0], [8.0, 11.0])
    assert costs.tolist() == [6.0, 1.0]


def test_a_record_that_does_not_match_the_model_is_refused() -> None:
    with pytest.raises(ConfigError, match="2 classes but the model gave 3"):
        decide.decide(BINARY, np.full((2, 3), 1 / 3))


def test_versions_without_a_cost_record_cannot_be_compared_on_cost() -> None:
    with pytest.raises(ConfigError, match=r"fraud:3 stores no decision costs.*compare_on"):
        decide.costing_record({}, "fraud:3")
    assert decide.costing_record(BINARY, "fraud:3") is BINARY
