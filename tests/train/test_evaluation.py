import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trainkit as kit
from fullcycle.errors import ConfigError
from fullcycle.train import decisions, diagnostics, metrics
from fullcycle.train.report import to_html, to_json
from fullcycle.train.spec import MetricSpec
from fullcycle.train.trainer import train

COSTLY = {
    "costs": {"default": 1, "matrix": {"yes": {"no": 50}, "no": {"yes": 2}}},
    "threshold": {"policy": "min_cost", "positive_class": "yes"},
}


@pytest.fixture
def deps(tmp_path: Path):  # type: ignore[no-untyped-def]
    return kit.deps(
        tmp_path,
        f"sqlite:///{tmp_path / 's.db'}",
        {"d@1": kit.frame(n=1500), "d3@1": kit.frame(classes=("a", "b", "c"))},
    )


def test_classification_evaluation_has_every_part(deps) -> None:  # type: ignore[no-untyped-def]
    ev = train(deps, kit.spec(), "d@1", seed=2, learning_curve=True).evaluation  # no time budget
    m = ev["metrics"]
    for key in (
        "accuracy",
        "f1_macro",
        "precision_macro",
        "recall_macro",
        "roc_auc",
        "log_loss",
        "brier",
    ):
        assert 0 <= m[key] <= (10 if key == "log_loss" else 1), key
    assert [r["class"] for r in m["per_class"]] == ["no", "yes"]
    assert np.sum(m["confusion_matrix"]["matrix"]) == ev["rows"]["test"] == 375
    assert sum(m["reliability"]["count"]) == 375
    low, high = ev["metric"]["ci"]
    assert low < ev["metric"]["value"] < high
    assert ev["baselines"]["trivial"]["model_beats_it"] is True
    assert ev["baselines"]["scope"]["label"] == "human-level"
    assert {s["value"] for s in ev["slices"] if s["feature"] == "city"} == {"paris", "rome", "oslo"}
    assert len(ev["learning_curve"]["points"]) >= 3
    assert ev["diagnosis"]["verdict"] in ("high bias", "high variance", "gap to baseline")
    assert ev["diagnosis"]["next_steps"]
    assert ev["errors"]["largest_confusions"][0]["count"] >= 1
    worst = ev["errors"]["worst_examples"]
    assert len(worst) == 10 and set(worst[0]["features"]) == {n for n, _ in kit.FEATURES}
    assert worst[0]["p_true_class"] <= worst[-1]["p_true_class"]
    json.loads(to_json(ev))


def test_multiclass_roc_auc_is_one_vs_rest(deps) -> None:  # type: ignore[no-untyped-def]
    ev = train(deps, kit.spec(), "d3@1", learning_curve=False).evaluation
    assert ev["classes"] == ["a", "b", "c"]
    assert 0.5 < ev["metrics"]["roc_auc"] <= 1


def test_bootstrap_interval_matches_sklearn_point_value() -> None:
    rng = np.random.default_rng(0)
    y = rng.choice(["a", "b", "c"], 2000)
    pred = np.where(rng.uniform(size=2000) < 0.7, y, rng.choice(["a", "b", "c"], 2000))
    for name in ("accuracy", "f1_macro", "f1_weighted", "precision_macro", "recall_macro"):
        value = metrics.metric_value(name, y, pred)
        low, high = metrics.bootstrap_ci(name, y, pred, None, ["a", "b", "c"])
        assert low < value < high and high - low < 0.1, name


def test_slices_below_the_goal_are_flagged() -> None:
    spec = kit.spec(metric=MetricSpec("accuracy", goal=0.8))
    X = pd.DataFrame({"city": ["a"] * 20 + ["b"] * 20, "amount": 0.0})
    y = np.array(["yes"] * 40)
    pred = np.array(["yes"] * 20 + ["yes"] * 10 + ["no"] * 10)
    found = {s["value"]: s for s in metrics.slices(spec, X, y, pred, None, None)}
    assert found["a"]["below_goal"] is False and found["b"]["below_goal"] is True
    assert found["b"]["metric"] == 0.5


def test_verdicts_follow_the_gaps() -> None:
    m = MetricSpec("accuracy", baseline=0.95)
    assert diagnostics.verdict(m, 0.70, 0.69)["verdict"] == "high bias"
    assert diagnostics.verdict(m, 0.99, 0.80)["verdict"] == "high variance"
    assert diagnostics.verdict(m, 0.94, 0.93)["verdict"] == "good fit"
    assert diagnostics.verdict(m, 0.95, 0.925)["verdict"] == "high variance"
    gap = diagnostics.verdict(MetricSpec("accuracy", baseline=0.95), 0.935, 0.92)
    assert gap["verdict"] == "gap to baseline"
    err = MetricSpec("rmse", baseline=1.0, greater_is_better=False)
    assert diagnostics.verdict(err, 2.0, 2.05)["verdict"] == "high bias"


def test_a_chosen_threshold_lowers_expected_cost_on_held_out_data(deps) -> None:  # type: ignore[no-untyped-def]
    ev = train(deps, kit.spec(decisions=COSTLY), "d@1", seed=4, learning_curve=False).evaluation
    dec = ev["decisions"]
    assert dec["chosen_on"] == "validation"
    assert dec["threshold"] < 0.5
    assert dec["expected_cost_per_1000"] < dec["cost_at_0_5_per_1000"]
    low, high = dec["ci"]
    assert low <= dec["expected_cost_per_1000"] <= high
    assert dec["decision"]["threshold"] == dec["threshold"]
    assert dec["decision"]["positive"] == "yes"
    assert len(dec["curve"]["threshold"]) == 101


def test_a_constraint_that_cannot_be_met_says_the_best_value() -> None:
    policy = decisions.parse(
        {**COSTLY, "threshold": {"policy": "constraint", "constraint": {"min_precision": 0.9}}},
        "classification",
    )
    score = np.linspace(0.99, 0.01, 100)
    y = np.arange(100) % 2  # the highest score is a negative: precision never tops 0.5
    proba = np.column_stack([1 - score, score])
    with pytest.raises(ConfigError, match=r"precision at least 0.9 .* best achievable is 0\.5"):
        decisions.assess(policy, "classification", ["no", "yes"], y, y, proba, (y, proba))
    ok = decisions.parse(
        {**COSTLY, "threshold": {"policy": "constraint", "constraint": {"min_precision": 0.4}}},
        "classification",
    )
    out = decisions.assess(ok, "classification", ["no", "yes"], y, y, proba, (y, proba))
    assert out["threshold"] is not None and out["policy"] == "constraint"


def test_bad_decision_sections_name_the_field() -> None:
    with pytest.raises(ConfigError, match="costs.matrix.a.b"):
        decisions.parse({"costs": {"matrix": {"a": {"b": -1}}}}, "classification")
    with pytest.raises(ConfigError, match="regression"):
        decisions.parse({"threshold": {"policy": "min_cost"}}, "regression")
    policy = decisions.parse({"costs": {"matrix": {"fraud": {"ok": 3}}}}, "classification")
    with pytest.raises(ConfigError, match="fraud"):
        decisions.cost_matrix(policy, ["no", "yes"])


def test_abstaining_is_costed_and_counted() -> None:
    policy = decisions.parse({"abstain": {"below_confidence": 0.8, "cost": 1}}, "classification")
    proba = np.array([[0.9, 0.1], [0.55, 0.45], [0.2, 0.8], [0.4, 0.6]])
    y = np.array([0, 1, 1, 0])
    out = decisions.assess(policy, "classification", ["no", "yes"], y, y, proba)
    assert out["abstain_share"] == 0.5
    assert out["expected_cost_per_1000"] == pytest.approx(500.0)  # two abstentions at cost 1


def test_report_has_the_plots_and_escapes_a_script_class_name(tmp_path: Path) -> None:
    frame = kit.frame(
        n=800, classes=("<script>alert(1)</script>", "ok"), city_names=("<b>x</b>", "rome", "oslo")
    )
    deps = kit.deps(tmp_path, f"sqlite:///{tmp_path / 's.db'}", {"d@1": frame})
    policy = {
        "costs": {"matrix": {"ok": {"<script>alert(1)</script>": 9}}},
        "threshold": {"policy": "min_cost"},
    }
    ev = train(deps, kit.spec(decisions=policy), "d@1").evaluation
    html = to_html(ev, "churn <i>")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>x</b>" not in html and "churn &lt;i&gt;" in html
    for title in ("Confusion matrix", "Learning curve", "Calibration", "by slice", "Cost curve"):
        assert title in html, title
    assert "cdn." not in html.split("</script>", 1)[1]  # plotly.js inline, nothing fetched
    assert html.count("Plotly.newPlot") == 1 and len(html) > 1_000_000
