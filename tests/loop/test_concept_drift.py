"""Under concept drift the old data outweighs the new in a full retrain; the loop then tries a
challenger on the recent labelled rows alone, and the gate keeps it (real data: diabetes)."""

from __future__ import annotations

import time
from pathlib import Path

import loopkit
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes

from fullcycle.loop import retrain
from fullcycle.loop.recipe import champion_recipe

SCOPE = {
    "metric": {"name": "mae", "goal": 40.0, "baseline": {"value": 60.0, "label": "mean"}},
    "training": {"estimator": "sklearn.linear_model:Ridge", "params": {"alpha": 0.01}},
    "gate": {"min_samples": 40, "test": "sequential"},
}


def drowned(tmp_path: Path) -> tuple[object, object, pd.DataFrame, str]:
    """(project, champion, labelled live rows, base): a long history in which the target rose
    with the features, and a present in which it falls with them."""
    frame = load_diabetes(as_frame=True).frame
    rng = np.random.default_rng(0)
    # a long history (five jittered copies) in which the target rose with the features ...
    old = pd.concat(
        [frame.assign(**{c: frame[c] + rng.normal(0, 1e-4, len(frame)) for c in frame.columns[:10]})
         for _ in range(5)], ignore_index=True,
    )  # fmt: skip
    project = loopkit.make_project(tmp_path / "p", "diab", "regression", "target", SCOPE)
    champion = loopkit.start(project, old)
    # ... and a present in which it falls with them: the same rows, the relation turned over
    live = frame.sample(n=300, random_state=1).reset_index(drop=True)
    live["target"] = 400.0 - live["target"]
    live["request_id"] = [f"r{i}" for i in range(len(live))]
    live["ts"] = time.time()
    live["source"] = "feedback"
    base = project.datasets()[-1].ref if project.datasets()[-1].name == "diab" else "diab@1"
    return project, champion, live, base


def test_the_variant_that_predicts_what_came_next_is_the_one_gated_with_the_whole_alpha(
    tmp_path: Path,
) -> None:
    project, champion, live, base = drowned(tmp_path)
    out = retrain.retrain(
        project, base=base, labelled=live, champion=champion, reason="test",
        recipe=champion_recipe(project, champion),
    )  # fmt: skip
    assert out.variant == "recent", out.gate.reasons
    numbers = out.gate.numbers
    assert out.gate.passed and numbers["alpha_share"] == 1.0
    forward = numbers["forward"]  # fitted on the older part, scored on the newest labelled half
    assert forward["recent"] < forward["full"] and forward["p_value"] < retrain.FORWARD_P
    assert forward["rows"] >= retrain.FORWARD_MIN_ROWS
    (gate,) = project.events(kind="loop.gate")  # one challenger registered and gated, not two
    assert gate.data["variant"] == "recent" and gate.data["numbers"]["forward"] == forward
    assert numbers["variants"] == {"recent": "pass"}


def same_world(tmp_path: Path) -> tuple[object, object, pd.DataFrame]:
    """(project, champion, labelled live rows): a champion on the first 120 diabetes rows and
    the other 322 as feedback since, from the same world."""
    frame = load_diabetes(as_frame=True).frame
    project, champion, _ = loopkit.diabetes_champion(tmp_path / "p", SCOPE, 120, frame)
    live = frame.iloc[120:].reset_index(drop=True)
    live["request_id"] = [f"r{i}" for i in range(len(live))]
    live["ts"] = time.time() + np.arange(len(live))
    live["source"] = "feedback"
    return project, champion, live


def test_a_world_that_did_not_move_keeps_the_full_variant(tmp_path: Path) -> None:
    project, champion, live = same_world(tmp_path)
    picked = retrain.forward_pick(
        project, "diab@1", live, champion, champion_recipe(project, champion), seed=0
    )
    assert picked is not None
    variant, forward = picked
    # the windowed fit on fewer rows of the same world is not better by a standard error
    assert variant == "full" and forward["p_value"] >= retrain.FORWARD_P, forward
    # too few rows since the champion to both learn from and test on: no forward choice
    assert retrain.forward_pick(project, "diab@1", live.iloc[:50], champion, None, 0) is None


def test_the_forward_fits_keep_the_training_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``training.timeout_minutes`` holds for the forward fits too: past it, no forward choice
    (both variants are then gated as before), never a fit that runs on."""
    from dataclasses import replace

    from fullcycle.train.limits import TimeLimit

    project, champion, live = same_world(tmp_path)
    spec = project.train_spec()
    tiny = replace(spec, time_limit=TimeLimit(1e-6, "training.timeout_minutes"))
    monkeypatch.setattr(type(project), "train_spec", lambda self: tiny)
    assert retrain.forward_pick(project, "diab@1", live, champion, None, seed=0) is None
    monkeypatch.setattr(type(project), "train_spec", lambda self: spec)
    assert retrain.forward_pick(project, "diab@1", live, champion, None, seed=0) is not None


def test_when_no_forward_choice_can_be_made_both_variants_share_the_alpha(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, champion, live, base = drowned(tmp_path)
    monkeypatch.setattr(retrain, "forward_pick", lambda *a, **k: None)
    out = retrain.retrain(
        project, base=base, labelled=live, champion=champion, reason="test",
        recipe=champion_recipe(project, champion),
    )  # fmt: skip
    assert out.variant == "recent", out.gate.reasons
    assert out.gate.passed and out.gate.numbers["alpha_share"] == 0.5
    assert out.gate.numbers["variants"]["recent"] == "pass"
    gates = {e.data["variant"]: e.data["numbers"] for e in project.events(kind="loop.gate")}
    assert gates["recent"]["challenger"] < gates["full"]["challenger"]  # mae: lower is better
    # the two were also scored on the same newest held-out rows, which decide between passes
    assert out.gate.numbers["newest_rows"] >= 30
    assert out.gate.numbers["newest"] == pytest.approx(
        retrain.gate_mod.score("mae", *_newest(project, out, live))
    )


def _newest(project: object, out: retrain.RetrainOutcome, live: pd.DataFrame) -> tuple:
    """The chosen challenger's answers on the rows it was ranked on, scored independently."""
    rows = live[~live["request_id"].isin(set(out.request_ids))]
    rows = rows[retrain.holdout_mask(rows["request_id"])]
    newest = rows.tail(out.gate.numbers["newest_rows"])
    loaded = project.load_model(f"diab:{out.challenger}")  # type: ignore[attr-defined]
    features = [c for c in live.columns if c not in ("target", "request_id", "ts", "source")]
    return newest["target"].to_numpy(), loaded.estimator.predict(newest[features])


def test_a_windowed_challenger_gets_as_many_newest_rows_as_the_first_model_had(
    tmp_path: Path,
) -> None:
    """A loop that promotes often leaves few rows since its champion was made; the windowed
    challenger then trains on the newest labelled rows, as many as the first data had."""
    frame = load_diabetes(as_frame=True).frame
    project, champion, _ = loopkit.diabetes_champion(tmp_path / "p", SCOPE, 120, frame)
    root = project.datasets()[0].ref
    assert retrain.root_rows(project, root) == 120
    made = champion.created_at
    day = 86400.0
    labelled = frame.iloc[120:420].reset_index(drop=True)  # 300 rows, older than 30 days ...
    labelled["request_id"] = [f"r{i:03d}" for i in range(len(labelled))]
    labelled["ts"] = made - 90 * day + np.arange(len(labelled)) * (50 * day / len(labelled))
    labelled.loc[270:, "ts"] = made + np.arange(30)  # ... but for 30 since the champion
    labelled["source"] = "feedback"
    alone, _ = retrain._recent_rows(project, labelled, champion)
    assert len(alone) == 30  # the rows since the champion: too few to fit the recipe well
    rows, ids = retrain._recent_rows(project, labelled, champion, root)
    assert len(rows) == 120 and ids == [f"r{i:03d}" for i in range(180, 300)]  # the newest
    # the floor is the root's size however many merges the loop made on top of it
    merged = project.add_data(
        pd.concat([frame.iloc[:120], labelled[frame.columns]], ignore_index=True),
        "diab", parents=(root,), allow_violations=True,
    )  # fmt: skip
    assert merged.n_rows == 420 and retrain.root_rows(project, merged.ref) == 120
    rows, _ = retrain._recent_rows(project, labelled.iloc[:50], champion, merged.ref)
    assert len(rows) == 50  # never more than there are


def test_how_far_back_the_present_reaches_is_chosen_by_the_newest_rows(tmp_path: Path) -> None:
    """The world turned over a while ago, after a long stretch of labelled rows from the old
    one: the window that holds only the new world (the newest eighth of the labelled rows)
    predicts the newest rows best, and the challenger trains on exactly that window."""
    project, champion, _, base = drowned(tmp_path)
    frame = load_diabetes(as_frame=True).frame
    rng = np.random.default_rng(2)
    live = frame.sample(n=2600, replace=True, random_state=2).reset_index(drop=True)
    features = list(frame.columns[:10])
    live[features] = live[features] + rng.normal(0, 1e-3, (len(live), len(features)))
    turn = 1000  # the newest ~60% of the rows come from the turned-over world
    live.loc[turn:, "target"] = 400.0 - live.loc[turn:, "target"]
    live["request_id"] = [f"r{i:04d}" for i in range(len(live))]
    live["ts"] = time.time() + np.arange(len(live))
    live["source"] = "feedback"
    picked = retrain.forward_pick(
        project, base, live, champion, champion_recipe(project, champion), seed=0
    )
    assert picked is not None
    variant, forward = picked
    windows = forward["windows"]
    # halving while a window keeps WINDOW_MIN_ROWS rows: 1/16 of the older labelled rows is less
    assert set(windows) == {"all", "1/2", "1/4", "1/8"}, forward
    assert retrain.window_shares(1600) == [1.0, 0.5, 0.25, 0.125, 0.0625]
    assert len(retrain.window_shares(10**6)) == retrain.WINDOW_COUNT
    assert variant == "recent" and forward["window"] == "1/8", forward  # mae: lower is better
    assert forward["recent"] == min(windows.values()) < windows["all"] < forward["full"]
    out = retrain.retrain(
        project, base=base, labelled=live, champion=champion, reason="test",
        recipe=champion_recipe(project, champion),
    )  # fmt: skip
    assert out.variant == "recent" and out.gate.numbers["forward"]["share"] == 0.125
    used = live[~retrain.holdout_mask(live["request_id"])]
    dataset = project.dataset(out.dataset)  # type: ignore[attr-defined]
    # the newest eighth of the labelled rows the challenger may learn from, all of the new world
    assert dataset.n_rows == int(np.ceil(len(used) / 8))
    window = set(dataset.origin["request_ids"])
    assert window == set(used["request_id"].tail(dataset.n_rows))
    assert all(int(r[1:]) >= turn for r in window)


def test_windows_are_compared_forward_even_when_the_base_is_itself_a_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a windowed champion the base is a window too, and the fallback window (the newest
    rows, as many as the first data had) is no smaller than the full data; the halves of the
    labelled rows are still worth comparing forward (computers, PC prices: without them every
    retrain after the first windowed one kept all its rows, and lagged the falling prices)."""
    project, champion, live, base = drowned(tmp_path)
    whole = retrain._recent_rows

    def as_large(*args: object, **kw: object) -> tuple[pd.DataFrame, list[str]]:
        rows, ids = whole(*args, **kw)  # type: ignore[arg-type]
        frame, _ = retrain.training_frame(project, base, live, champion)  # type: ignore[arg-type]
        return pd.concat([rows] * (len(frame) // max(len(rows), 1) + 1)), ids

    monkeypatch.setattr(retrain, "_recent_rows", as_large)
    out = retrain.retrain(
        project, base=base, labelled=live, champion=champion, reason="test",
        recipe=champion_recipe(project, champion),
    )  # fmt: skip
    assert "forward" in out.gate.numbers and out.gate.numbers["alpha_share"] == 1.0
    assert out.variant == "recent" and out.gate.passed, out.gate.reasons
