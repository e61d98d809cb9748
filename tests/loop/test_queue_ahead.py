"""A promoted challenger that still misses the goal gets its successor's labels queued at the
promotion, not a loop step later (real data: scikit-learn's diabetes table)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import loopkit
import pytest

from fullcycle import clock
from fullcycle.loop.controller import Controller
from fullcycle.loop.policy import Observations, next_step
from fullcycle.scope import Guards, Retraining, Thresholds

SCOPE = loopkit.DIABETES_R2


@pytest.mark.anyio
async def test_labels_for_the_successor_are_queued_when_the_promoted_misses_the_goal(
    tmp_path: Path,
) -> None:
    project, _, frame = loopkit.diabetes_champion(tmp_path / "p", SCOPE)
    features = [c for c in frame.columns if c != "target"]
    live = frame.iloc[200:300]
    await loopkit.serve(project, live[features].to_dict("records"), list(live["target"]), 5)
    controller = Controller(project)

    good = SimpleNamespace(data={"gate": {"challenger": 0.45, "metric": "r2"}})
    controller._queue_ahead(good)  # meets the goal: no labels bought ahead
    assert project.events(kind="loop.queue_labels") == []

    short = SimpleNamespace(data={"gate": {"challenger": 0.12, "metric": "r2"}})
    controller._queue_ahead(short)
    (queued,) = project.events(kind="loop.queue_labels")
    assert queued.data["ahead"] is True and "misses the goal 0.3" in queued.message
    # what the next retrain needs: min_new_labels less the 20 labels that came as feedback
    assert queued.data["budget"] == SCOPE["retraining"]["min_new_labels"] - 20
    assert queued.data["queued"] == len(live) - 20  # all the unlabelled rows there are
    controller._queue_ahead(short)  # asked once: the queued rows count
    assert len(project.events(kind="loop.queue_labels")) == 1


def test_the_champion_s_gate_reading_comes_from_the_rollout_that_let_it_in(
    tmp_path: Path,
) -> None:
    project, champion, _ = loopkit.diabetes_champion(tmp_path / "p", SCOPE)
    controller = Controller(project)
    assert controller.observe()[0].gate_metric is None  # promoted by hand: no gate
    for version, value, metric in [
        (champion.version + 7, 0.9, "r2"),
        (champion.version, 0.21, "r2"),
    ]:
        project.record(
            "loop.rollout_started", subject="diab", actor="loop", message="test",
            data={"challenger": version,
                  "gate": {"metric": metric, "challenger": value, "rows": 90}},
        )  # fmt: skip
    obs = controller.observe()[0]
    assert (obs.gate_metric, obs.gate_rows) == (0.21, 90)
    project.record(
        "loop.rollout_started", subject="diab", actor="loop", message="test",
        data={"challenger": champion.version, "gate": {"metric": "mae", "challenger": 40.0}},
    )  # fmt: skip
    assert controller.observe()[0].gate_metric is None  # measured on another metric


RETRAIN = Retraining(min_new_labels=150, guards=Guards(min_interval=1, max_per_day=20))
CALM = dict(now=1e6, goal=0.3, evaluation_metric=0.45, drift=False, live_metric=0.44,
            live_rows=40, live_low=0.35, live_high=0.5, greater_is_better=True,
            new_labels=30, fast_world="diab:1 was replaced after serving 60 requests")  # fmt: skip


def test_a_fast_world_buys_the_next_retrain_s_labels_before_the_alarm() -> None:
    d = next_step(Observations(**CALM), RETRAIN, Thresholds())  # type: ignore[arg-type]
    assert d.action == "queue_labels" and d.numbers["ahead"] and not d.numbers.get("audit")
    assert d.numbers["budget"] == 150 - 30 and "diab:1 was replaced" in d.reasons[0]
    part = next_step(Observations(**{**CALM, "open_label_tasks": 100}), RETRAIN, Thresholds())  # type: ignore[arg-type]
    assert part.numbers["budget"] == 20
    for enough in ({"open_label_tasks": 120}, {"new_labels": 150}, {"fast_world": None}):
        d = next_step(Observations(**{**CALM, **enough}), RETRAIN, Thresholds())  # type: ignore[arg-type]
        assert d.action == "none", enough
    drift_only = Retraining(min_new_labels=150, triggers=["drift"])
    assert next_step(Observations(**CALM), drift_only, Thresholds()).action == "none"  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_a_champion_whose_predecessor_did_not_last_a_window_gets_labels_ahead(
    tmp_path: Path,
) -> None:
    """The version the loop replaced served 60 requests, fewer than a last:100 window: the
    next step queues the next retrain's labels, and with a last:50 window (the old one lasted
    longer than that) it does not."""
    project, old, frame = loopkit.diabetes_champion(tmp_path / "p", SCOPE)
    features = [c for c in frame.columns if c != "target"]
    first = frame.iloc[200:260]
    await loopkit.serve(project, first[features].to_dict("records"), list(first["target"]), 60)
    data = project.add_data(frame.iloc[:260], "diab", allow_violations=True)
    project.train(data.ref, learning_curve=False)
    new = project.register()
    project.deployments.route("diab", production=new.version, actor="loop", reason="test")
    project.record("loop.promote", subject=new.ref, actor="loop", message="test",
                   data={"champion": old.version})  # fmt: skip
    live = frame.iloc[260:340]
    await loopkit.serve(project, live[features].to_dict("records"), list(live["target"]), 10)

    project.monitor("last:50")
    assert Controller(project).observe()[0].fast_world is None  # it lasted a window
    project.monitor("last:100")
    obs = Controller(project).observe()[0]
    assert obs.fast_world == (
        f"diab:{old.version} was replaced after serving 60 requests, fewer than the "
        "monitoring window's 100"
    )
    step = project.loop_step()
    assert step.action == "queue_labels" and step.numbers["ahead"], step.reasons
    assert step.numbers["budget"] == 150 - obs.new_labels == 142
    tasks = project.labels.tasks(status="queued")
    assert len(tasks) == step.numbers["queued"]
    log = project.monitor.log(model="diab").drop_duplicates("request_id")
    by_new = set(log.loc[log["version"] == new.version, "request_id"])
    # only rows that count as new for the next retrain: the 72 unlabelled rows the new
    # champion answered, none of the old one's (served before the new one was made: the
    # next retrain would not count them, and asks for the rest again)
    assert {t.request_id for t in tasks} <= by_new and len(tasks) == 72
    assert project.loop_step().action != "queue_labels"  # asked once: the queued rows count


@pytest.mark.anyio
async def test_with_a_timed_window_the_old_version_s_time_in_production_is_compared(
    tmp_path: Path,
) -> None:
    """monitoring.window in time (the scope's default): the replaced version served for two
    hours of the clock, less than a 3h window and more than a 1h one."""
    project, old, frame = loopkit.diabetes_champion(tmp_path / "p", SCOPE)
    features = [c for c in frame.columns if c != "target"]
    with clock.simulated(1.9e9) as sim:
        for part in (frame.iloc[200:230], frame.iloc[230:260]):
            await loopkit.serve(project, part[features].to_dict("records"), list(part["target"]))
            sim.advance(2 * 3600)
    project.train("diab@1", learning_curve=False, params={"alpha": 1.0})
    new = project.register()
    project.deployments.route("diab", production=new.version, actor="loop", reason="test")
    project.record("loop.promote", subject=new.ref, actor="loop", message="test",
                   data={"champion": old.version})  # fmt: skip
    log = project.monitor.log(model="diab")
    controller = Controller(project)
    assert controller._fast_world(new, log, {"window": "1h"}) is None
    assert controller._fast_world(new, log, {"window": "3h"}) == (
        f"diab:{old.version} was replaced after serving 2.0 h, less than the monitoring "
        "window's 3.0 h"
    )
    assert controller._fast_world(new, log, {"window": "all"}) is None  # no window to compare
    assert controller._fast_world(old, log, {"window": "3h"}) is None  # promoted by hand
