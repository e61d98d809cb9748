"""A regression project goes round the whole loop on real data (scikit-learn's diabetes table):
init, data add, train, register, promote, serve, feedback, `loop --once` again and again, and a
challenger promoted, judged on R² with per-row squared errors."""

from __future__ import annotations

from pathlib import Path

import loopkit
import pandas as pd
import pytest
from loopkit import diabetes

SCOPE = loopkit.DIABETES_R2


def drifted(frame: pd.DataFrame) -> pd.DataFrame:
    """Later periods: the disease progresses faster for the same measurements (inflation-like
    concept drift on the target: 1.6x plus 40), so the first model under-predicts."""
    out = frame.copy()
    out["target"] = out["target"] * 1.6 + 40
    return out


@pytest.mark.slow
@pytest.mark.anyio
async def test_a_regression_project_recovers_through_the_loop_on_r2(tmp_path: Path) -> None:
    project = loopkit.make_project(tmp_path / "p", "diabetes", "regression", "target", SCOPE)
    frame = diabetes()
    first = loopkit.start(project, frame.iloc[:250])
    live = drifted(frame)
    features = [c for c in live.columns if c != "target"]
    served = await loopkit.serve(project, live[features].to_dict("records"), list(live["target"]))
    report = project.monitor("last:100000")
    perf = report.performance
    assert perf["metric"] == "r2" and perf["rows"] == len(served) > 300
    assert perf["low"] <= perf["value"] <= perf["high"] and perf["value"] < 0.3

    actions = loopkit.step_until(project, {"rollout_started"})
    assert actions[-1] == "rollout_started", actions
    (started,) = project.events(kind="loop.rollout_started")
    chosen = f"diabetes:{started.data['challenger']}"
    (gate,) = [e for e in project.events(kind="loop.gate") if e.subject == chosen]
    numbers = gate.data["numbers"]
    # the champion's recipe is retrained, with a recorded seed; the full and the recent-rows
    # variants are compared forward (the chosen one keeps the whole alpha) or, when they cannot
    # be, both are gated with half the alpha each
    assert numbers["recipe"] == {
        "estimator": "sklearn.linear_model:Ridge",
        "params": {"alpha": 0.01},
    }
    assert isinstance(numbers["seed"], int)
    assert numbers["alpha_share"] == (1.0 if "forward" in numbers else 0.5), numbers
    assert numbers["variant"] in started.data["gate"]["variants"]
    assert numbers["metric"] == "r2" and numbers["challenger"] > numbers["champion"]
    assert numbers["cs"][0] > 0  # the squared-error gain's confidence sequence clears zero
    assert numbers["labels_spent"] >= numbers["rows"] >= SCOPE["gate"]["min_samples"]

    more = drifted(frame.sample(n=200, random_state=1, replace=True))
    for _ in range(4):
        await loopkit.serve(project, more[features].to_dict("records"), list(more["target"]))
        actions = loopkit.step_until(project, {"rollout_promote", "rollout_rollback"}, limit=3)
        if actions[-1] in ("rollout_promote", "rollout_rollback"):
            break
    assert actions[-1] == "rollout_promote", [e.message for e in project.events(kind="loop.")]
    now = project.production_version()
    assert now.version != first.version
    (promoted,) = project.events(kind="loop.promote")
    assert promoted.data["labels_spent"] == numbers["labels_spent"]
    assert promoted.data["champion"] == first.version

    # the world goes back: the promoted model now over-predicts, and the watch rolls it back
    calm = frame.sample(n=120, random_state=2)
    await loopkit.serve(project, calm[features].to_dict("records"), list(calm["target"]))
    step = project.loop_step()
    assert step.action == "watch_rolled_back", step.reasons
    assert any(r.startswith("live r2") and "worse than" in r for r in step.reasons)
    assert project.production_version().version == first.version
    (event,) = project.events(kind="loop.watch.rollback")
    assert event.data["to"] == first.version and event.data["labelled"] >= 30
