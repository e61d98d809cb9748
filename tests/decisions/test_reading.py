"""The trainer reads the scope's decisions section in the scope's one format, and bad input
gives clear errors that name the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import trainkit as kit
from fullcycle.errors import ConfigError, ScopeError
from fullcycle.scope import parse_scope, template
from fullcycle.train import decisions
from fullcycle.train.spec import TrainSpec
from fullcycle.train.trainer import train


def uncommented_template(task: str = "classification") -> str:
    """``fullcycle init``'s scope with its commented decisions example (the end) switched on."""
    lines = template("fraud", task=task).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# decisions:"))
    tail = [line[2:] if line.startswith("#") else line for line in lines[start:]]
    return "\n".join(lines[:start] + tail) + "\n"


def test_the_documented_section_loads_and_the_trainer_reads_it() -> None:
    scope = parse_scope(uncommented_template())
    assert scope.decisions is not None and scope.decisions.costs is not None
    assert scope.decisions.costs.default == 1  # the form that used to break the trainer
    spec = TrainSpec.from_scope(scope)
    policy = decisions.parse(spec.decisions, spec.task)
    assert policy is not None
    assert policy.costs == {("fraud", "ok"): 200.0, ("ok", "fraud"): 5.0}
    assert (policy.default_cost, policy.correct_cost) == (1.0, 0.0)
    assert (policy.policy, policy.positive) == ("min_cost", "fraud")
    assert (policy.abstain_below, policy.abstain_cost) == (0.6, 2.0)
    assert policy.max_cost_per_1000 == 500
    assert decisions.parse(scope.decisions, "classification") == policy  # the model itself


def test_training_with_the_documented_section(tmp_path: Path) -> None:
    scope = parse_scope(uncommented_template())
    section = TrainSpec.from_scope(scope).decisions
    frame = kit.frame(n=900, classes=("ok", "fraud"))
    deps = kit.deps(tmp_path, f"sqlite:///{tmp_path / 's.db'}", {"d@1": frame})
    ev = train(deps, kit.spec(decisions=section), "d@1", learning_curve=False).evaluation
    dec = ev["decisions"]
    assert dec["positive"] == "fraud" and dec["decision"]["abstain_below"] == 0.6
    assert dec["expected_cost_per_1000"] <= dec["cost_at_0_5_per_1000"]


def test_the_regression_example_loads_and_reads() -> None:
    scope = parse_scope(uncommented_template("regression"))
    policy = decisions.parse(TrainSpec.from_scope(scope).decisions, "regression")
    assert policy is not None and policy.loss == {"kind": "asymmetric", "under": 3.0, "over": 1.0}


@pytest.mark.parametrize(
    ("raw", "task", "field"),
    [
        ({"costs": {"default": -1}}, "classification", "decisions.costs.default"),
        ({"costs": {"correct": "free"}}, "classification", "decisions.costs.correct"),
        ({"costs": {"matrix": {"yes": {"no": "lots"}}}}, "classification", "costs.matrix.yes.no"),
        ({"costs": {"matrix": {"yes": {"no": -3}}}}, "classification", "costs.matrix.yes.no"),
        ({"costs": {"matrix": {"yes": 4}}}, "classification", "decisions.costs.matrix.yes"),
        (
            {"costs": [{"true": "yes", "predicted": "no", "cost": 2}]},
            "classification",
            "decisions.costs",
        ),
        ({"costs": {"yes->no": 3}}, "classification", "decisions.costs.yes->no"),
        ({"threshold": {"policy": "fixed"}}, "classification", "decisions.threshold.value"),
        ({"threshold": {"policy": "best"}}, "classification", "decisions.threshold.policy"),
        ({"threshold": {"policy": "min_cost"}}, "regression", "decisions.threshold"),
        ({"abstain": {"below_confidence": 0.5}}, "regression", "decisions.abstain"),
        ({"loss": {"kind": "absolute"}}, "classification", "decisions.loss"),
        ({"loss": {"kind": "huber"}}, "regression", "decisions.loss.kind"),
        ({"max_cost_per_1000": -5}, "classification", "decisions.max_cost_per_1000"),
    ],
)
def test_bad_sections_name_the_field(raw: dict[str, Any], task: str, field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        decisions.parse(raw, task)
    assert field in str(caught.value), str(caught.value)


def test_a_regression_threshold_says_so() -> None:
    with pytest.raises(ConfigError, match="applies to classification, not regression"):
        decisions.parse({"threshold": {"policy": "fixed", "value": 0.3}}, "regression")


def test_unknown_classes_are_named_at_load_and_at_training(tmp_path: Path) -> None:
    scope = yaml.safe_load(uncommented_template())
    scope["features"] = {
        "columns": [{"name": "amount", "kind": "numeric"}],
        "target": {"name": "label", "kind": "categorical", "classes": ["no", "yes"]},
    }
    scope["decisions"]["threshold"]["positive_class"] = "yes"
    with pytest.raises(ScopeError, match=r"decisions\.costs\.matrix\.fraud.*unknown class"):
        parse_scope(yaml.safe_dump(scope))
    deps = kit.deps(tmp_path, f"sqlite:///{tmp_path / 's.db'}", {"d@1": kit.frame(n=400)})
    costs = {"costs": {"matrix": {"fraud": {"no": 3}}}, "threshold": {"policy": "min_cost"}}
    with pytest.raises(ConfigError, match=r"decisions\.costs names class\(es\) fraud"):
        train(deps, kit.spec(decisions=costs), "d@1", learning_curve=False)


def test_an_impossible_constraint_gives_the_best_achievable_value(tmp_path: Path) -> None:
    deps = kit.deps(tmp_path, f"sqlite:///{tmp_path / 's.db'}", {"d@1": kit.frame(n=900)})
    section = {
        "costs": {"matrix": {"yes": {"no": 5}}},
        "threshold": {
            "policy": "constraint",
            "positive_class": "yes",
            "constraint": {"min_precision": 1.0, "min_recall": 1.0},
        },
    }
    with pytest.raises(ConfigError) as caught:
        train(deps, kit.spec(decisions=section), "d@1", learning_curve=False)
    text = str(caught.value)
    assert "decisions.threshold.constraint" in text and "best achievable is" in text
