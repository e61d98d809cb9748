"""A challenger the gate could not decide is looked at again as labels arrive, on the rows of
its first look plus the new ones: the rows only ever grow (real data: scikit-learn's diabetes).

Before, a first look that reached back before the champion (too few rows since it) was followed
by looks on the rows since the champion alone, once those reached the minimum: 400 rows, then
252, and the pending gate waited most of a period for rows it had had."""

from __future__ import annotations

from dataclasses import replace
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
    obs, context = controller.observe()
    step = controller._regate(pending, context, obs)
    assert step.action != "wait_labels", step.reasons  # it waited: 60 rows "so far", not 100
    (looked,) = [e for e in project.events(kind="loop.gate") if e.subject == challenger.ref]
    assert looked.data["numbers"]["rows"] == len(first) + len(later)  # not 60: none dropped
    assert looked.data["look"] == 2 and looked.data["numbers"]["since"] == pending["gate"]["since"]
    said = {"rollout_started": "passed: ", "gate_pending": "undecided: "}.get(step.action, "refu")
    assert looked.message.startswith(said), (step.action, looked.message)


@pytest.mark.anyio
async def test_a_challenger_still_undecided_at_the_fourth_look_gives_way_to_a_fresher_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate's verdict is pinned to "undecided" (the gate has its own tests): this is about
    what the controller does with a challenger that stays undecided while labels pile up."""
    from fullcycle.loop import controller as controller_mod
    from fullcycle.loop import gate as gate_mod
    from fullcycle.loop import retrain

    project, champion, frame = loopkit.diabetes_champion(tmp_path / "p", SCOPE)
    features = [c for c in frame.columns if c != "target"]
    challenger = project.register(
        project.train("diab@1", params={"alpha": 1.0}, learning_curve=False).run_id
    )
    since = frame.iloc[200:420]  # 220 labelled rows since the champion (min_new_labels: 150)
    await loopkit.serve(project, since[features].to_dict("records"), list(since["target"]))

    def undecided(*_: object, **__: object) -> gate_mod.GateResult:
        numbers = {"rows": 60, "rows_needed": 900, "metric": "r2"}
        return gate_mod.GateResult(
            False, ["undecided after 60 rows"], numbers, gate_mod.GateVerdict.UNDECIDED
        )

    monkeypatch.setattr(retrain, "gate", undecided)
    controller = Controller(project)
    pending = {"challenger": challenger.version, "champion": champion.version,
               "rows_needed": 900, "rows_added": 0,
               "gate": {"rows": 0, "alpha_share": 1.0}}  # fmt: skip
    obs, context = controller.observe()
    assert controller_mod.STALE_LOOK == 4
    many, none_yet = replace(obs, new_labels=500), replace(obs, new_labels=149)
    third = controller._regate({**pending, "look": 2}, context, many)
    assert third.action == "gate_pending"  # look 3: it may still decide
    few = controller._regate({**pending, "look": 3}, context, none_yet)
    assert few.action == "gate_pending"  # look 4, but nothing much to learn from yet
    # look 4 with plenty to learn from, but the guard holds a retrain back (the last one 30 s
    # ago, min_interval 1s x 2^6 after six refusals): dropping it would leave no challenger
    held = replace(many, last_retrain_at=obs.now - 30, refusals_in_a_row=6)
    guarded = controller._regate({**pending, "look": 3}, context, held)
    assert guarded.action == "gate_pending", guarded.reasons
    assert not project.events(kind="loop.gate_stale")

    # through a whole step: the pending challenger is dropped and the step decides afresh
    project.record("loop.gate_pending", subject="diab", actor="loop", message="undecided",
                   data={**pending, "look": 3})  # fmt: skip
    assert controller._pending() is not None
    retraining = controller.scope.retraining.model_copy(update={"triggers": ["new_labels"]})
    controller.scope = controller.scope.model_copy(update={"retraining": retraining})
    step = controller.step()
    (stale,) = project.events(kind="loop.gate_stale")
    assert f"{challenger.ref} is still undecided at look 4" in stale.message
    assert "220 labelled rows came after it was trained" in stale.message
    # the new labels trigger fired in the same step: a fresher challenger, now the pending one
    assert step.action == "gate_pending", step.reasons
    now = controller._pending()
    assert now is not None and now["challenger"] > challenger.version and now["look"] == 1
