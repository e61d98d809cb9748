"""template(): a commented fullcycle.yaml that load_scope accepts as it is."""

import pytest
import yaml
from scope_factories import write

from fullcycle.errors import ConfigError, InvalidName
from fullcycle.scope import load_scope, template


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_template_round_trips_through_load_scope(tmp_path, task):
    scope = load_scope(write(tmp_path, template("demo", task=task, target="y")))
    assert scope.name == "demo"
    assert scope.task == task
    assert scope.target == "y"
    assert scope.contract.target.name == "y"
    assert scope.metric.name == ("f1_macro" if task == "classification" else "rmse")


def test_template_has_every_section_with_comments():
    text = template("demo")
    data = yaml.safe_load(text)
    for section in (
        "schema_version", "name", "description", "users", "task", "target", "metric",
        "constraints", "features", "training", "monitoring", "retraining", "gate", "rollout",
        "rollback",
    ):  # fmt: skip
        assert section in data
    assert text.count("#") > 60
    assert "# decisions:" in text
    assert "decisions" not in data


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_commented_decisions_example_loads_once_uncommented(tmp_path, task):
    text = template("demo", task=task)
    head, _, example = text.partition("# decisions:")
    example = "# decisions:" + example
    lines = [line[2:] if line.startswith("# ") else line for line in example.splitlines()]
    uncommented = head + "\n".join(lines) + "\n"
    if task == "classification":  # the example's classes must be the target's
        uncommented = uncommented.replace(
            "features:\n  columns: []",
            "features:\n  columns: []\n  target: {name: label, kind: categorical,"
            " classes: [ok, fraud]}",
        )
    scope = load_scope(write(tmp_path, uncommented))
    assert scope.decisions is not None
    if task == "classification":
        assert scope.decisions.costs.cost("fraud", "ok") == 200
        assert scope.decisions.abstain.below_confidence == 0.6
    else:
        assert scope.decisions.loss.kind == "asymmetric"


def test_names_that_yaml_would_retype_stay_text(tmp_path):
    scope = load_scope(write(tmp_path, template("1.5", target="yes")))
    assert scope.name == "1.5"
    assert scope.target == "yes"


def test_template_refuses_bad_input():
    with pytest.raises(InvalidName):
        template("../evil")
    with pytest.raises(ConfigError, match="task 'clustering'"):
        template("demo", task="clustering")
    with pytest.raises(ValueError, match="target column"):
        template("demo", target="")
