"""Every rule of the scope schema: one bad value, one named problem."""

import pytest
import yaml
from scope_factories import BASE, scope_dict

from fullcycle.errors import ScopeError
from fullcycle.scope import Costs, parse_duration, parse_scope

REGRESSION = {
    "task": "regression",
    "metric": {"name": "rmse", "goal": 1.0},
    "features": {"columns": [{"name": "age", "kind": "integer"}]},
}
BINARY = BASE["features"]


def problems(**sections) -> list[str]:
    with pytest.raises(ScopeError) as info:
        parse_scope(yaml.safe_dump(scope_dict(**sections), sort_keys=False))
    return info.value.problems


def load(**sections):
    return parse_scope(yaml.safe_dump(scope_dict(**sections), sort_keys=False))


def assert_problem(expected: str, **sections) -> None:
    found = problems(**sections)
    assert any(expected in p for p in found), found


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ({"name": "accuracy", "goal": -0.1}, "metric.goal (line 7): must be between 0 and 1"),
        ({"name": "roc_auc", "goal": 0.9, "baseline": {"value": 2}}, "metric.baseline.value"),
        ({"name": "log_loss", "goal": -1}, "must be at least 0 for log_loss"),
        ({"name": "f1_micro"}, "'f1_micro' is not allowed; use 'f1_macro'"),
        ({"name": "f1_macro", "goal": ".nan"}, "metric.goal"),
    ],
)
def test_metric_values_must_fit_the_metric(metric, expected):
    assert_problem(expected, metric=metric)


def test_r2_is_bounded_above_only():
    assert load(**REGRESSION | {"metric": {"name": "r2", "goal": -3}}).metric.goal == -3
    assert_problem("must be at most 1 for r2", **REGRESSION | {"metric": {"name": "r2", "goal": 2}})


def test_metric_must_fit_the_task():
    assert_problem("metric.name", **REGRESSION | {"metric": {"name": "f1_macro"}})
    assert_problem("mae is a regression metric", metric={"name": "mae"})


def test_direction_is_derived_from_the_metric():
    scope = load(**REGRESSION)
    assert scope.metric.greater_is_better is False
    assert scope.metric.direction == "minimize"
    assert load().metric.direction == "maximize"


def test_target_must_agree_with_the_task_and_the_target_column():
    target = {"name": "other", "kind": "numeric"}
    found = problems(features={"columns": [], "target": target})
    assert any("features.target.name" in p and "differs from target 'label'" in p for p in found)
    assert any("features.target.kind" in p and "must be categorical" in p for p in found)


def test_target_cannot_also_be_a_feature():
    features = {"columns": [{"name": "label", "kind": "categorical"}]}
    assert_problem("also listed as a feature", features=features)


def test_contract_problems_point_into_the_columns():
    features = {"columns": [{"name": "age", "kind": "integer", "min": 9, "max": 1}]}
    assert_problem("features.columns[0].min (line", features=features)


def test_target_without_section_is_filled_from_the_task():
    scope = load(**REGRESSION)
    assert scope.contract.target.name == "label"
    assert scope.contract.target.kind == "numeric"


@pytest.mark.parametrize(
    ("split", "expected"),
    [
        ({"strategy": "time"}, "training.split.time_column"),
        ({"strategy": "group"}, "strategy group needs group_column"),
        ({"strategy": "random", "group_column": "user"}, "only used by strategy group"),
        ({"test_size": 1.0}, "training.split.test_size"),
        ({"seed": -1}, "training.split.seed"),
    ],
)
def test_split_rules(split, expected):
    assert_problem(expected, training={"split": split})


def test_stratified_split_needs_classes():
    sections = REGRESSION | {"training": {"split": {"strategy": "stratified"}}}
    assert_problem("stratified needs classes", **sections)


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ({"type": "float", "low": 1, "high": 0.1}, "low 1.0 must be less than high 0.1"),
        ({"type": "float", "low": 0, "high": 1, "log": True}, "must start above 0"),
        ({"type": "int", "low": 1.5, "high": 4}, "must be a whole number"),
        ({"type": "int", "low": 1}, "needs both"),
        ({"type": "categorical"}, "non-empty list of choices"),
        ({"type": "categorical", "choices": [1], "low": 0}, "use choices"),
        ({"type": "uniform"}, "'uniform' is not allowed"),
    ],
)
def test_search_space_rules(param, expected):
    assert_problem(expected, training={"search": {"lr": param}})


@pytest.mark.parametrize("estimator", ["not a path", "../x.py:make", "/etc/x.py:f", "os.system"])
def test_estimator_must_be_an_import_path_inside_the_project(estimator):
    assert_problem("training.estimator", training={"estimator": estimator})


@pytest.mark.parametrize(
    "estimator", ["sklearn.linear_model:LogisticRegression", "models/m.py:build"]
)
def test_estimator_import_paths_are_accepted(estimator):
    assert load(training={"estimator": estimator}).training.estimator == estimator


def test_durations_read_as_seconds():
    scope = load(monitoring={"window": "7d", "interval": 90}, retraining={"schedule": "2w"})
    assert scope.monitoring.window == 7 * 86400
    assert scope.monitoring.interval == 90
    assert scope.retraining.schedule == 14 * 86400
    assert parse_duration("1.5h") == 5400


@pytest.mark.parametrize("window", ["3 days", "0s", True, "-1h"])
def test_bad_durations_are_named(window):
    assert_problem("monitoring.window", monitoring={"window": window})


def test_monitoring_defaults_are_sane():
    monitoring = load().monitoring
    assert monitoring.min_rows == 200
    assert monitoring.thresholds.psi == 0.2
    assert 0 < monitoring.thresholds.ks <= 1


@pytest.mark.parametrize(
    ("alert", "expected"),
    [
        ({"webhook": "https://hooks.example.com/x"}, "not in allowed_hosts; add it there"),
        ({"webhook": "file:///etc/passwd", "allowed_hosts": ["x"]}, "must be an http:// or https"),
        ({"webhook": "http:///#/../../etc/"}, "with a host"),
    ],
)
def test_webhook_must_be_http_to_an_allowed_host(alert, expected):
    assert_problem(expected, monitoring={"alert": alert})


def test_webhook_to_an_allowed_host_is_accepted():
    alert = {"webhook": "https://hooks.example.com/x", "allowed_hosts": ["hooks.example.com"]}
    assert load(monitoring={"alert": alert}).monitoring.alert.webhook.startswith("https://")


def test_threshold_share_out_of_range():
    assert_problem("monitoring.thresholds.ks", monitoring={"thresholds": {"ks": 1.5}})


@pytest.mark.parametrize(
    ("retraining", "expected"),
    [
        ({"triggers": ["schedule"]}, "retraining.schedule"),
        ({"triggers": ["drift", "drift"]}, "lists a trigger twice"),
        ({"triggers": ["moon"]}, "retraining.triggers[0]"),
        ({"data": {"base": "../etc@1"}}, "retraining.data.base"),
        ({"data": {"base": "train@x"}}, "must be a positive integer"),
        ({"data": {"recent_weight": 0}}, "retraining.data.recent_weight"),
        ({"guards": {"min_interval": "12h", "max_per_day": 3}}, "cannot happen"),
        ({"guards": {"lease_seconds": 1}}, "retraining.guards.lease_seconds"),
    ],
)
def test_retraining_rules(retraining, expected):
    assert_problem(expected, retraining=retraining)


def test_retraining_base_dataset_reference_is_accepted():
    assert load(retraining={"data": {"base": "train@3"}}).retraining.data.base == "train@3"


@pytest.mark.parametrize(
    ("gate", "expected"),
    [
        ({"alpha": 0}, "gate.alpha"),
        ({"alpha": 0.9}, "must be at most 0.5"),
        ({"margin": -0.1}, "gate.margin"),
        ({"tolerance": -0.1}, "gate.tolerance"),
        ({"compare_on": "cost"}, "cost needs decisions.costs"),
        ({"test": "t-test"}, "gate.test"),
    ],
)
def test_gate_rules(gate, expected):
    assert_problem(expected, gate=gate)


def test_mcnemar_is_for_classifiers():
    assert_problem("mcnemar compares classifiers", **REGRESSION | {"gate": {"test": "mcnemar"}})


@pytest.mark.parametrize(
    ("rollout", "expected"),
    [
        ({"canary_share": 1.5}, "rollout.canary_share (line"),
        ({"canary_share": 0}, "must be greater than 0"),
        ({"steps": [0.5, 0.2]}, "must rise strictly"),
        ({"canary_share": 0.3, "steps": [0.2, 1.0]}, "below canary_share"),
        ({"max_error_rate": 1.5}, "rollout.max_error_rate"),
        ({"min_requests": 0}, "rollout.min_requests"),
    ],
)
def test_rollout_rules(rollout, expected):
    assert_problem(expected, rollout=rollout)


def test_contradictory_rollout_and_rollback_thresholds():
    found = problems(
        rollout={"max_error_rate": 0.05, "max_p95_ms": 100},
        rollback={"max_error_rate": 0.01, "max_p95_ms": 50},
    )
    assert any("rollback.max_error_rate" in p and "rolled back at once" in p for p in found)
    assert any("rollback.max_p95_ms" in p for p in found)


COSTS = {"default": 1, "matrix": {"leave": {"stay": 200}, "stay": {"leave": 5}}}


def test_decisions_load_and_price_each_pair():
    scope = load(decisions={"costs": COSTS, "threshold": {"policy": "min_cost"}})
    costs = scope.decisions.costs
    assert costs.cost("leave", "stay") == 200
    assert costs.cost("stay", "leave") == 5
    assert costs.cost("stay", "stay") == 0
    assert Costs(default=3).cost("a", "b") == 3


def test_gate_may_compare_on_cost_with_costs():
    scope = load(decisions={"costs": COSTS}, gate={"compare_on": "cost"})
    assert scope.gate.compare_on == "cost"


@pytest.mark.parametrize(
    ("decisions", "expected"),
    [
        ({"costs": {"matrix": {"leave": {"stay": -1}}}}, "decisions.costs.matrix.leave.stay"),
        ({"costs": {"default": -2}}, "decisions.costs.default"),
        ({"costs": {"matrix": {"fraud": {"stay": 1}}}}, "unknown class 'fraud'"),
        ({"costs": {"matrix": {"stay": {"fraud": 1}}}}, "decisions.costs.matrix.stay.fraud"),
        ({"costs": {"matrix": {"stay": {"leave": "a lot"}}}}, "must be a number"),
        ({"costs": {"matrix": {True: {"leave": 1}}}}, "quote the class name"),
        ({"threshold": {"policy": "fixed"}}, "needs value"),
        ({"threshold": {"policy": "fixed", "value": 1.5}}, "decisions.threshold.value"),
        ({"threshold": {"policy": "min_cost"}}, "min_cost needs the costs"),
        ({"threshold": {"policy": "constraint"}}, "needs constraint"),
        ({"threshold": {"policy": "constraint", "constraint": {}}}, "give at least one"),
        ({"threshold": {"policy": "min_cost", "value": 0.5}, "costs": {}}, "only used by"),
        ({"threshold": {"policy": "fixed", "value": 0.5, "positive_class": "x"}}, "unknown class"),
        ({"abstain": {"below_confidence": 1.5, "cost": 1}}, "decisions.abstain.below_confidence"),
        ({"abstain": {"below_confidence": 0.5, "cost": -1}}, "decisions.abstain.cost"),
        ({"loss": {"kind": "squared"}}, "a loss applies to regression"),
        ({"costs": {}, "loss": {}}, "not both"),
    ],
)
def test_decision_rules(decisions, expected):
    assert_problem(expected, decisions=decisions)


def test_threshold_policies_need_two_classes_except_min_cost():
    three = {
        "columns": [],
        "target": {"name": "label", "kind": "categorical", "classes": ["a", "b", "c"]},
    }
    decisions = {"threshold": {"policy": "fixed", "value": 0.5}}
    assert_problem("needs two classes", features=three, decisions=decisions)
    decisions = {"costs": {"default": 1}, "threshold": {"policy": "min_cost"}}
    assert load(features=three, decisions=decisions).decisions.threshold.policy == "min_cost"


@pytest.mark.parametrize("key", ["costs", "threshold", "abstain"])
def test_classification_decisions_are_refused_for_regression(key):
    value = {
        "costs": {"default": 1},
        "threshold": {"policy": "fixed", "value": 0.5},
        "abstain": {"below_confidence": 0.5},
    }[key]
    assert_problem(f"decisions.{key}", **REGRESSION | {"decisions": {key: value}})


def test_regression_loss_is_accepted_and_asymmetric_needs_its_kind():
    loss = {"kind": "asymmetric", "under": 3, "over": 1}
    assert load(**REGRESSION | {"decisions": {"loss": loss}}).decisions.loss.under == 3
    bad = REGRESSION | {"decisions": {"loss": {"kind": "absolute", "under": 3}}}
    assert_problem("apply only to kind: asymmetric", **bad)


def test_project_name_goes_through_check_name():
    assert_problem("name (line 2): name '../x' is not allowed", name="../x")


def test_scope_is_frozen():
    scope = load()
    with pytest.raises(ValueError):
        scope.name = "other"


def test_metric_compares_values_in_its_direction():
    f1 = load().metric
    assert f1.is_better(0.91, 0.90)
    assert not f1.is_better(0.91, 0.90, margin=0.02)
    assert f1.meets_goal(0.9) and not f1.meets_goal(0.89)
    rmse = load(**REGRESSION).metric
    assert rmse.is_better(0.8, 1.0)
    assert not rmse.is_better(1.2, 1.0)
    assert rmse.meets_goal(0.99) and not rmse.meets_goal(1.01)


def test_cost_matrix_in_class_order():
    costs = load(decisions={"costs": COSTS}).decisions.costs
    assert costs.as_matrix(["stay", "leave"]) == [[0, 5], [200, 0]]


@pytest.mark.parametrize(
    ("loss", "under", "over"),
    [
        ({"kind": "absolute"}, 2.0, 2.0),
        ({"kind": "squared"}, 4.0, 4.0),
        ({"kind": "asymmetric", "under": 3, "over": 1}, 6.0, 2.0),
    ],
)
def test_regression_loss_prices_under_and_over_prediction(loss, under, over):
    decisions = load(**REGRESSION | {"decisions": {"loss": loss}}).decisions
    assert decisions.loss.cost(10.0, 8.0) == under
    assert decisions.loss.cost(10.0, 12.0) == over
    assert decisions.loss.cost(10.0, 10.0) == 0


def test_regression_loss_works_on_arrays():
    import numpy as np

    loss = load(**REGRESSION | {"decisions": {"loss": {"kind": "asymmetric", "under": 3}}})
    got = loss.decisions.loss.cost(np.array([10.0, 10.0]), np.array([8.0, 12.0]))
    assert got.tolist() == [6.0, 2.0]


def test_canary_latency_limit_falls_back_to_the_constraint():
    assert load(constraints={"p95_latency_ms": 40}).canary_max_p95_ms == 40
    scope = load(constraints={"p95_latency_ms": 40}, rollout={"max_p95_ms": 60})
    assert scope.canary_max_p95_ms == 60
