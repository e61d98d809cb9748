"""A promoted challenger that still misses the goal gets its successor's labels queued at the
promotion, not a loop step later (real data: scikit-learn's diabetes table)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import loopkit
import pytest

from fullcycle.loop.controller import Controller

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
