"""A challenger the gate could not decide is looked at again as labels arrive, on the rows of
its first look plus the new ones: the rows only ever grow (real data: scikit-learn's diabetes).

Before, a first look that reached back before the champion (too few rows since it) was followed
by looks on the rows since the champion alone, once those reached the minimum: 400 rows, then
252, and the pending gate waited most of a period for rows it had had."""

from __future__ import annotations

from pathlib import Path

import loopkit
import pytest

from fullcycle.loop.controller import Controller

SCOPE = loopkit.DIABETES_R2


@pytest.mark.anyio
async def test_a_pending_gate_looks_again_on_its_first_rows_and_the_new_ones(
    tmp_path: Path,
) -> None:
    project, _, frame = loopkit.diabetes_champion(tmp_path / "p", SCOPE)
    features = [c for c in frame.columns if c != "target"]
    earlier = frame.iloc[200:300]  # labelled before the champion below was made
    await loopkit.serve(project, earlier[features].to_dict("records"), list(earlier["target"]))
    run = project.train("diab@1", params={"alpha": 1.0}, learning_curve=False)
    challenger = project.register(run.run_id)
    run = project.train("diab@1", params={"alpha": 0.1}, learning_curve=False)
    champion = project.register(run.run_id)
    project.promote(champion.ref, "production", force=True, reason="test set-up")

    controller = Controller(project)
    _, context = controller.observe()
    first = controller.gate_rows_for(context, challenger)  # nothing since the champion yet
    assert len(first) == SCOPE["gate"]["min_samples"]
    assert (first["ts"] < champion.created_at).all()

    later = frame.iloc[300:360]  # 60 rows since the champion: more than min_samples alone
    await loopkit.serve(project, later[features].to_dict("records"), list(later["target"]))
    pending = {
        "challenger": challenger.version, "champion": champion.version, "look": 1,
        "rows_needed": 10_000, "rows_added": 0,
        "gate": {"rows": len(first), "since": float(first["ts"].min()), "alpha_share": 1.0},
    }  # fmt: skip
    _, context = controller.observe()
    step = controller._regate(pending, context)
    assert step.action != "wait_labels", step.reasons  # it waited: 60 rows "so far", not 100
    (looked,) = [e for e in project.events(kind="loop.gate") if e.subject == challenger.ref]
    assert looked.data["numbers"]["rows"] == len(first) + len(later)  # not 60: none dropped
    assert looked.data["look"] == 2 and looked.data["numbers"]["since"] == pending["gate"]["since"]
    said = {"rollout_started": "passed: ", "gate_pending": "undecided: "}.get(step.action, "refu")
    assert looked.message.startswith(said), (step.action, looked.message)
