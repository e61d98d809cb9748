"""Drift with too little feedback to judge the live metric: the loop buys the evidence with a
random audit of the window's rows, and the monitor counts the audit's labels in the live metric
(real data: scikit-learn's breast cancer table, its labels turned over in production: a concept
drift the label-free estimate cannot see)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import loopkit
import pytest
from sklearn.datasets import load_breast_cancer

from fullcycle import clock
from fullcycle.cli import main
from fullcycle.loop.policy import Observations, next_step
from fullcycle.project import Project
from fullcycle.scope import Guards, Retraining, Thresholds

SCOPE = {
    **loopkit.FAST_LOOP,
    "metric": {"name": "accuracy", "goal": 0.85, "baseline": {"value": 0.6, "label": "prior"}},
    "training": {
        "estimator": "sklearn.linear_model:LogisticRegression",
        "params": {"max_iter": 2000},
    },
}

RETRAIN = Retraining(min_new_labels=150, guards=Guards(min_interval=1, max_per_day=20))
TH = Thresholds(metric_drop=0.05)
THIN = dict(
    now=1e6, goal=0.85, evaluation_metric=0.95, drift=True, drifted_features=("mean radius",),
    live_metric=None, live_rows=12, live_rows_needed=30, estimate=0.94,
)  # fmt: skip


def test_drift_with_too_few_labels_to_judge_queues_a_random_audit_of_what_is_missing() -> None:
    d = next_step(Observations(**THIN), RETRAIN, TH)  # type: ignore[arg-type]
    assert d.action == "queue_labels" and d.numbers["audit"] and d.numbers["budget"] == 18
    assert "12 of the 30 labelled rows" in d.reasons[0] and "mean radius" in d.reasons[0]
    part = next_step(Observations(**{**THIN, "open_audit_tasks": 10}), RETRAIN, TH)  # type: ignore[arg-type]
    assert part.action == "queue_labels" and part.numbers["budget"] == 8
    wait = next_step(Observations(**{**THIN, "open_audit_tasks": 18}), RETRAIN, TH)  # type: ignore[arg-type]
    assert wait.action == "wait_labels" and "18 audit rows" in wait.reasons[0]


def test_no_audit_without_drift_with_a_judged_metric_or_without_the_performance_trigger() -> None:
    for change in (
        {"drift": False},
        {"drift": None},
        {"live_metric": 0.96, "live_rows": 40},
        {"live_rows": 30},
    ):
        d = next_step(Observations(**{**THIN, **change}), RETRAIN, TH)  # type: ignore[arg-type]
        assert d.action == "none", change
    drift_only = Retraining(min_new_labels=150, triggers=["drift"])
    assert next_step(Observations(**THIN), drift_only, TH).action == "none"  # type: ignore[arg-type]


def _turned_tumours(folder: Path, scope: dict[str, Any]) -> tuple[Project, dict[str, Any]]:
    """A breast cancer project whose production sees the largest tumours (a covariate shift
    the monitor flags) with, from now on, the opposite labels (a concept drift: the model stays
    confident, and wrong); feedback on every 10th of 150 requests. (project, truth by id)"""
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.rename(columns=lambda c: c.replace(" ", "_"))
    frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    train, rest = frame.iloc[:300], frame.iloc[300:]
    project = loopkit.make_project(folder, "bc", "classification", "target", scope)
    loopkit.start(project, train, contract_from=frame)
    live = rest.sort_values("mean_radius", ascending=False).iloc[:150].reset_index(drop=True)
    rows = live.drop(columns=["target"]).to_dict("records")
    turned = (1 - live["target"]).astype(int).tolist()
    bodies = anyio.run(loopkit.serve, project, rows, turned, 10)  # feedback on every 10th row
    return project, {b["request_id"]: t for b, t in zip(bodies, turned, strict=True)}


def test_the_audit_is_drawn_from_the_window_and_its_labels_judge_the_live_metric(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project, truth = _turned_tumours(tmp_path / "p", SCOPE)
    report = project.monitor("last:5000")
    perf = report.performance
    assert report.verdict == "drift", report.verdict_text
    assert perf["rows"] == 15 and perf["audited_rows"] == 0  # too few to judge (30 for accuracy)
    assert perf["estimate"] > 0.85  # the label-free estimate sees nothing wrong
    step = project.loop_step()
    assert step.action == "queue_labels", step.reasons
    assert "random audit of 15 rows" in step.reasons[0]
    tasks = project.labels.tasks(status="queued")
    assert len(tasks) == 15 and {t.strategy for t in tasks} == {"random"}
    assert {t.request_id for t in tasks} <= set(truth)  # the window's rows, none labelled yet
    assert not {t.request_id for t in tasks} & set(list(truth)[::10])
    assert project.loop_step().action == "wait_labels"  # asked once, not at every step

    assert loopkit.answer_queue(project, truth, tmp_path / "labels") == 15
    report = project.monitor("last:5000")
    perf = report.performance
    assert perf["rows"] == 30 and perf["audited_rows"] == 15
    assert perf["value"] < 0.5 < perf["estimate"]  # judged now: the labels show the drift
    assert main(["monitor", "-C", str(tmp_path / "p"), "--window", "last:5000"]) == 0
    assert "30 labelled, 15 by a random audit" in capsys.readouterr().out
    step = project.loop_step()  # the performance trigger fires on the judged live metric
    assert any("below the goal" in t for t in step.numbers["triggers"]), step.reasons
    assert step.action in ("queue_labels", "retrain")


#: enough labels to judge, and the live metric below the goal, but its 99% interval reaches it
CLOSE = dict(
    now=1e6, goal=0.85, evaluation_metric=0.90, drift=True, drifted_features=("mean radius",),
    live_metric=0.78, live_low=0.62, live_high=0.91, live_rows=100, live_rows_needed=30,
)  # fmt: skip


def test_a_close_live_metric_under_drift_buys_the_rows_its_interval_needs() -> None:
    wide = Retraining(min_new_labels=300, guards=Guards(min_interval=1, max_per_day=20))
    d = next_step(Observations(**CLOSE), wide, TH)  # type: ignore[arg-type]
    # the interval's half-width 0.13 must shrink to the gap 0.07: 100 x (0.13/0.07)^2 = 345 rows
    assert d.action == "queue_labels" and d.numbers["audit"], d.reasons
    assert d.numbers["budget"] == 245
    assert "0.7800 is below the goal 0.8500 on 100 labelled rows" in d.reasons[0]
    assert "interval still reaches it" in d.reasons[0]
    wait = next_step(Observations(**{**CLOSE, "open_audit_tasks": 245}), wide, TH)  # type: ignore[arg-type]
    assert wait.action == "wait_labels"
    # never more than one retrain's labels (retraining.min_new_labels: 150)
    capped = next_step(Observations(**CLOSE), RETRAIN, TH)  # type: ignore[arg-type]
    assert capped.numbers["budget"] == 150
    # no goal: the line is the evaluation less metric_drop (0.85 again)
    drop = next_step(Observations(**{**CLOSE, "goal": None}), wide, TH)  # type: ignore[arg-type]
    assert drop.numbers["budget"] == 245 and "less metric_drop" in drop.reasons[0]
    # a hair from the goal (0.849: 100 x 61^2 rows): at most 4x the rows it has
    hair = next_step(Observations(**{**CLOSE, "live_metric": 0.849}), wide, TH)  # type: ignore[arg-type]
    assert hair.numbers["budget"] == 300


def test_a_settled_live_metric_needs_no_audit() -> None:
    clear = next_step(Observations(**{**CLOSE, "live_high": 0.84}), RETRAIN, TH)  # type: ignore[arg-type]
    assert clear.action != "none" and any("below the goal" in t for t in clear.triggers)
    assert not clear.numbers.get("audit")
    above = next_step(Observations(**{**CLOSE, "live_metric": 0.87}), RETRAIN, TH)  # type: ignore[arg-type]
    assert above.action == "none"
    calm = next_step(Observations(**{**CLOSE, "drift": False}), RETRAIN, TH)  # type: ignore[arg-type]
    assert calm.action == "none"


def test_a_drift_the_report_could_not_judge_does_not_hide_a_close_live_metric() -> None:
    """A champion fitted on a short window of recent rows leaves the drift test a reference too
    small to judge (computers, PC prices: "no feature has enough values" for four months while
    the model decayed): a close live metric is then audited as under drift."""
    wide = Retraining(min_new_labels=300, guards=Guards(min_interval=1, max_per_day=20))
    blind = next_step(Observations(**{**CLOSE, "drift": None}), wide, TH)  # type: ignore[arg-type]
    assert blind.action == "queue_labels" and blind.numbers["budget"] == 245
    assert blind.reasons[0].startswith("drift the report could not judge, and the live metric")
    # undecided drift and no live metric either: nothing calls for labels yet
    thin = next_step(Observations(**{**THIN, "drift": None}), wide, TH)  # type: ignore[arg-type]
    assert thin.action == "none"
    # a drift test that found none: no audit (the control scenario must stay quiet)
    calm = next_step(Observations(**{**CLOSE, "drift": False}), wide, TH)  # type: ignore[arg-type]
    assert calm.action == "none"


def test_a_close_call_on_a_lower_is_better_metric() -> None:
    rmse = dict(
        now=1e6, goal=10.0, evaluation_metric=9.5, drift=True, greater_is_better=False,
        live_metric=12.0, live_low=8.5, live_high=15.0, live_rows=50, live_rows_needed=30,
    )  # fmt: skip
    # half-width 3.5, gap to the goal 2: 50 x 1.75^2 = 153.1 -> 154 rows, 104 more
    wide = Retraining(min_new_labels=300, guards=Guards(min_interval=1, max_per_day=20))
    d = next_step(Observations(**rmse), wide, TH)  # type: ignore[arg-type]
    assert d.action == "queue_labels" and d.numbers["budget"] == 104
    assert "12.0000 is above the goal 10.0000" in d.reasons[0]  # an error: worse is above
    # no goal: the line is the evaluation plus metric_drop (9.55; half-width 3.5, gap 2.45)
    eva = next_step(Observations(**{**rmse, "goal": None}), wide, TH)  # type: ignore[arg-type]
    assert "9.5000 at evaluation plus metric_drop 0.05" in eva.reasons[0]
    assert eva.numbers["budget"] == 53  # 50 x (3.5/2.45)^2 = 102.04 -> 103 rows
    met = next_step(Observations(**{**rmse, "live_metric": 9.0}), RETRAIN, TH)  # type: ignore[arg-type]
    assert met.action == "none"


def test_the_label_budget_caps_what_the_loop_queues_in_a_day(tmp_path: Path) -> None:
    """retraining.guards.max_labels_per_day: the audit wants 15 rows, the budget has 10."""
    guards = {**SCOPE["retraining"]["guards"], "max_labels_per_day": 10}
    scope = {**SCOPE, "retraining": {**SCOPE["retraining"], "guards": guards}}
    project, _ = _turned_tumours(tmp_path / "p", scope)
    project.monitor("last:5000")
    step = project.loop_step()
    assert step.action == "queue_labels", step.reasons
    assert len(project.labels.tasks(status="queued")) == 10
    said = " ".join(step.reasons)
    assert "15 wanted" in said and "max_labels_per_day 10) has 10 left" in said
    step = project.loop_step()  # 5 audit rows still missing, none left in the budget
    assert step.action == "wait_labels", step.reasons
    assert "has 0 left: 10 rows were queued in the last 24 hours" in " ".join(step.reasons)
    assert len(project.labels.tasks(status="queued")) == 10  # nothing more was queued
    with clock.simulated(clock.now() + 86400 + 1):  # a day later the budget is whole again
        project.monitor("last:5000")
        step = project.loop_step()
        assert step.action == "queue_labels", step.reasons
        assert len(project.labels.tasks(status="queued")) == 15
