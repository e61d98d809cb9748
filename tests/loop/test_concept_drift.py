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


def test_a_recent_rows_challenger_is_kept_when_old_data_drowns_the_new(tmp_path: Path) -> None:
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
