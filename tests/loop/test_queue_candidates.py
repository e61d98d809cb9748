"""What the loop may send to labellers: the champion's rows and the newest requests whoever
answered them, never a row that already has a label."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from fullcycle.data.labeling import scores
from fullcycle.loop.labelled import queue_candidates

CLASSES = {1: ["a", "b"], 2: ["a", "b", "c"]}


def _log() -> pd.DataFrame:
    """Eight requests: r0-r4 answered by version 1 (it knew a and b), r5-r7 by version 2."""
    rows = []
    for i in range(8):
        version = 1 if i < 5 else 2
        proba = [0.6, 0.4] if version == 1 else [0.2, 0.3, 0.5]
        rows.append({
            "request_id": f"r{i}", "row": 0, "ts": float(i), "model": "m", "version": version,
            "route": "production", "status": 200, "latency_ms": 1.0,
            "inputs": json.dumps({"x": float(i)}), "output": json.dumps("a"),
            "proba": json.dumps(proba), "error": None,
        })  # fmt: skip
    shadow = {**rows[-1], "route": "shadow", "version": 3}  # a shadow answer is no candidate
    return pd.DataFrame([*rows, shadow])


def test_the_newest_requests_of_an_older_version_are_candidates_too() -> None:
    frame = queue_candidates(
        _log(), CLASSES.get, ["x"], None, champion=2, newest=6, labelled={"r3"}
    )
    # the champion's three, and of the newest six the older version's r2 and r4 (r3 is labelled)
    assert sorted(frame["request_id"]) == ["r2", "r4", "r5", "r6", "r7"]
    old = frame[frame["request_id"].isin(["r2", "r4"])]
    assert old["proba_c"].tolist() == [0.0, 0.0]  # a class version 1 did not know
    assert old["proba_a"].tolist() == [0.6, 0.6]
    assert np.isfinite(scores(frame, "uncertainty")).all()


def test_without_newest_only_the_champions_rows_are_offered() -> None:
    frame = queue_candidates(_log(), CLASSES.get, ["x"], None, champion=2, newest=0, labelled=set())
    assert sorted(frame["request_id"]) == ["r5", "r6", "r7"]
    frame = queue_candidates(
        _log().iloc[:0], CLASSES.get, ["x"], None, champion=2, newest=5, labelled=set()
    )
    assert len(frame) == 0
