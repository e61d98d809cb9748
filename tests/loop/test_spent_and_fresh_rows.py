"""Which labelled rows teach a challenger and which judge it: the gate keeps the held-out rows it
will score on and releases older ones to training, and after an abrupt change it may decide on
the rows labelled since the champion alone (real data: diabetes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import loopkit
import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes

from fullcycle.loop import retrain
from fullcycle.loop.controller import _split_of
from fullcycle.loop.recipe import champion_recipe

SCOPE = {
    "metric": {"name": "mae", "goal": 40.0, "baseline": {"value": 60.0, "label": "mean"}},
    "training": {"estimator": "sklearn.linear_model:Ridge", "params": {"alpha": 0.01}},
    "gate": {"min_samples": 40, "test": "sequential"},
}


def _live(frame: pd.DataFrame, made: float, before: int) -> pd.DataFrame:
    """``frame`` as labelled production rows: the first ``before`` labelled before the champion
    was made, the rest after it, one second apart."""
    live = frame.reset_index(drop=True).copy()
    live["request_id"] = [f"r{i}" for i in range(len(live))]
    offsets = np.arange(len(live), dtype=float) - before
    live["ts"] = made + np.where(offsets < 0, offsets - 1000.0, offsets + 1.0)
    live["source"] = "feedback"
    return live


def _turned_world(tmp_path: Path, frame: pd.DataFrame) -> tuple[Any, Any, Any, pd.DataFrame]:
    """A champion fitted on the first 300 rows, and a challenger on 60 rows of a world whose
    target is turned upside down (the rows after them: ``turned``)."""
    project = loopkit.make_project(tmp_path / "p", "diab", "regression", "target", SCOPE)
    champion = loopkit.start(project, frame.iloc[:300])
    turned = frame.iloc[300:].assign(target=lambda f: 400.0 - f["target"])
    data = project.add_data(turned.iloc[:60].reset_index(drop=True), "diab-turned")
    project.train(data.ref, learning_curve=False)
    return project, champion, project.register(), turned


def test_held_out_rows_the_gate_no_longer_needs_teach_the_next_challenger(
    tmp_path: Path,
) -> None:
    frame = load_diabetes(as_frame=True).frame
    project, champion, _ = loopkit.diabetes_champion(tmp_path / "p", SCOPE, 120, frame)
    live = _live(frame.iloc[120:], float(champion.created_at), before=250)
    hold = retrain.holdout_mask(live["request_id"])
    since = live["ts"].to_numpy() > champion.created_at
    assert 0 < (hold & since).sum() < SCOPE["gate"]["min_samples"]  # too few since: reach back
    may = retrain.trainable(project, live, champion)
    assert may[~hold].all()  # what the hash never held out still teaches
    reserve = live[hold & ~may]  # the rows the gate keeps: the newest min_samples held out
    assert len(reserve) == SCOPE["gate"]["min_samples"]
    assert reserve["ts"].min() > live[hold & may]["ts"].max()
    assert len(live[hold & may]) > 0  # the older held-out rows are released

    out = retrain.retrain(
        project, base="diab@1", labelled=live, champion=champion, reason="test",
        recipe=champion_recipe(project, champion),
    )  # fmt: skip
    learned = set(out.request_ids)
    assert set(live[hold & may]["request_id"]) <= learned  # the released rows taught it
    assert not learned & set(reserve["request_id"])
    # and the gate scored on exactly the reserve: never a row the challenger learned from
    challenger = project.models.show(f"diab:{out.challenger}")
    rows = retrain.gate_rows(project, live, champion, challenger)
    assert set(rows["request_id"]) == set(reserve["request_id"])
    # once it serves, what its own challengers' gates may score on leaves out what it learned
    left = retrain.held_out_rows(project, live, challenger)
    assert set(reserve["request_id"]) <= set(left["request_id"])
    assert not set(left["request_id"]) & learned
    assert len(left) < int(hold.sum())  # the released rows, which the hash alone would count


def test_after_an_abrupt_change_the_rows_since_the_champion_may_decide_alone(
    tmp_path: Path,
) -> None:
    """Older rows favour the champion, which learned their world; the challenger learned the new
    one. On all the rows together the champion wins; on those since it was made the challenger
    does, and passes with half the alpha, the other half spent on all of them."""
    frame = load_diabetes(as_frame=True).frame
    project, champion, challenger, turned = _turned_world(tmp_path, frame)
    old = frame.iloc[:150].assign(request_id=[f"o{i}" for i in range(150)])
    old["ts"] = float(champion.created_at) - 500.0 + np.arange(150)
    new = turned.iloc[60:].assign(request_id=[f"n{i}" for i in range(len(turned) - 60)])
    new["ts"] = float(challenger.created_at) + 1.0 + np.arange(len(new))
    rows = pd.concat([old, new], ignore_index=True)

    verdict = retrain.gate(project, champion, challenger, rows)
    assert verdict.passed, verdict.reasons
    assert verdict.numbers["since_champion"] is True
    assert verdict.numbers["rows"] == len(new)
    assert verdict.numbers["alpha"] == SCOPE["gate"].get("alpha", 0.05) / 2
    assert verdict.numbers["all_rows"]["rows"] == len(rows)
    assert "since the champion was made" in verdict.reasons[-1]
    # the same rows all since the champion, the two worlds mixed in time (no fall to see): one
    # test, with the whole alpha, which it loses
    mixed = rows.sample(frac=1.0, random_state=0).reset_index(drop=True)
    mixed["ts"] = float(challenger.created_at) + 1.0 + np.arange(len(mixed))
    alone = retrain.gate(project, champion, challenger, mixed)
    assert not alone.passed and "since_champion" not in alone.numbers
    assert alone.numbers["alpha"] == SCOPE["gate"].get("alpha", 0.05)
    assert alone.numbers["split_at"] is None  # a pending gate's later looks split nothing
    # rows that reach back with too few since: half the alpha all the same (a pending gate's
    # later looks add rows since the champion, and may test them)
    few = pd.concat([old, new.iloc[:10]], ignore_index=True)
    early = retrain.gate(project, champion, challenger, few)
    assert early.numbers["alpha"] == SCOPE["gate"].get("alpha", 0.05) / 2
    assert early.numbers["since_champion"] == {"rows": 10, "verdict": "too few rows"}


def test_a_fall_during_the_champion_s_tenure_lets_the_newest_rows_decide(tmp_path: Path) -> None:
    """The world turns after the champion was made: every gate row is since its making, and the
    older half, its world, outvotes the newest. The champion's own answers show the fall (worse
    by more than metric_drop on the newest half), the gate splits there, and the challenger
    passes on the newest rows with half the alpha; a pending gate keeps that split."""
    frame = load_diabetes(as_frame=True).frame
    project, champion, challenger, turned = _turned_world(tmp_path, frame)
    new = turned.iloc[60:].reset_index(drop=True)
    old = frame.iloc[: len(new)].reset_index(drop=True)
    rows = pd.concat([old, new], ignore_index=True)
    rows["request_id"] = [f"r{i}" for i in range(len(rows))]
    rows["ts"] = float(challenger.created_at) + 1.0 + np.arange(len(rows))  # old, then new

    start, why = retrain.change_start(project, champion, rows)
    assert start == rows["ts"].iloc[len(old)] and "since the champion's fall (mae" in why
    verdict = retrain.gate(project, champion, challenger, rows)
    assert verdict.passed, verdict.reasons
    assert verdict.numbers["since_champion"] is True and verdict.numbers["rows"] == len(new)
    assert verdict.numbers["alpha"] == SCOPE["gate"].get("alpha", 0.05) / 2
    assert verdict.numbers["split_at"] == start
    assert verdict.numbers["all_rows"]["rows"] == len(rows)  # the other half of the alpha
    assert "rows labelled since the champion's fall" in verdict.reasons[-1]
    # a later look of a pending gate is told the first look's split (the controller reads it
    # from the pending gate's numbers): the same two tests
    assert _split_of(verdict.numbers) == start and _split_of({}) is None
    again = retrain.gate(project, champion, challenger, rows, look=2, split_at=start)
    assert again.passed and again.numbers["split_at"] == start
    # told that the first look split nothing, it splits nothing (one test, the whole alpha)
    assert _split_of({"split_at": None}) == -np.inf
    whole = retrain.gate(project, champion, challenger, rows, look=2, split_at=-np.inf)
    assert "since_champion" not in whole.numbers
    assert whole.numbers["alpha"] == SCOPE["gate"].get("alpha", 0.05)
    # a champion that holds its level on the newest rows: no split
    steady = pd.concat([old, old], ignore_index=True).assign(
        ts=rows["ts"], request_id=rows["request_id"]
    )
    assert retrain.change_start(project, champion, steady) is None
    # a fall that leaves the champion meeting the goal is no reason to halve the alpha
    metric = project.scope.metric.model_copy(update={"goal": 1000.0})  # an mae of 1,000 is met
    project.__dict__["scope"] = project.scope.model_copy(update={"metric": metric})
    assert retrain.change_start(project, champion, rows) is None
