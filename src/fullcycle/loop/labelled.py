"""Labelled production rows: feedback joined to the logged inputs, and answered label tasks.

Each row keeps its request id, so a retrained model's dataset can name the requests that
taught it, and a stable hash of the id decides whether the row trains the challenger or is held
out for the gate (so the gate never scores a model on rows it learned from).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

HOLDOUT_SHARE = 0.3


def holdout_mask(request_ids: Any, share: float = HOLDOUT_SHARE) -> np.ndarray:
    """True for the rows held out for the gate; stable for a given request id."""
    buckets = [
        int.from_bytes(hashlib.sha256(str(r).encode()).digest()[:4], "big") / 2**32
        for r in request_ids
    ]
    return np.asarray(buckets) < share


def recent(rows: Any, since: float, min_rows: int) -> Any:
    """The held-out rows the gate scores on: "recent labelled data" means those labelled since
    the champion went live; when they are too few, the newest ``2 * min_rows`` held-out rows."""
    if not len(rows):
        return rows
    ordered = rows.sort_values("ts", kind="stable")
    fresh = ordered[ordered["ts"] > since]
    if len(fresh) >= min_rows:
        return fresh.reset_index(drop=True)
    return ordered.tail(max(2 * min_rows, len(fresh))).reset_index(drop=True)


def labelled_rows(
    log: Any, feedback: dict[str, Any], tasks: list[Any], *, features: list[str], target: str
) -> Any:
    """One frame of features + target + request_id + ts + source, newest label winning."""
    import orjson
    import pandas as pd

    parts = []
    if len(log) and feedback:
        first = log[(log["row"] == 0) & log["request_id"].isin(list(feedback))]
        first = first[first["route"].isin(["production", "canary"]) & (first["status"] == 200)]
        first = first.drop_duplicates("request_id")
        if len(first):
            inputs = [orjson.loads(v) if isinstance(v, str) else v for v in first["inputs"]]
            frame = pd.DataFrame.from_records(inputs, columns=features)
            frame[target] = [feedback[r] for r in first["request_id"]]
            frame["request_id"] = first["request_id"].to_numpy()
            frame["ts"] = first["ts"].to_numpy()
            frame["source"] = "feedback"
            parts.append(frame)
    done = [t for t in tasks if t.status == "labelled" and t.label is not None]
    if done:
        frame = pd.DataFrame.from_records([t.row for t in done], columns=features)
        frame[target] = [t.label for t in done]
        frame["request_id"] = [t.request_id or f"task-{t.id}" for t in done]
        frame["ts"] = [t.created_at for t in done]
        frame["source"] = "label"
        parts.append(frame)
    if not parts:
        return pd.DataFrame(columns=[*features, target, "request_id", "ts", "source"])
    rows = pd.concat(parts, ignore_index=True)
    return rows.drop_duplicates("request_id", keep="last").reset_index(drop=True)


def candidates(
    log: Any, classes: list[Any] | None, features: list[str], drift_ids: list[str] | None = None
) -> Any:
    """Logged production rows as labelling candidates: features, prediction, class
    probabilities (``proba_<class>``) and a drift score (1 for rows the monitor flagged)."""
    import orjson
    import pandas as pd

    rows = log[(log["row"] == 0) & (log["status"] == 200) & log["route"].isin(["production"])]
    rows = rows.drop_duplicates("request_id")
    inputs = [orjson.loads(v) if isinstance(v, str) else v for v in rows["inputs"]]
    frame = pd.DataFrame.from_records(inputs, columns=features)
    frame["request_id"] = rows["request_id"].to_numpy()
    frame["prediction"] = [orjson.loads(v) if isinstance(v, str) else v for v in rows["output"]]
    if classes:
        probas = np.asarray(
            [orjson.loads(v) if isinstance(v, str) else v for v in rows["proba"]], dtype=float
        )
        for i, c in enumerate(classes):
            frame[f"proba_{c}"] = probas[:, i] if len(probas) else []
    flagged = set(drift_ids or [])
    frame["drift_score"] = [1.0 if r in flagged else 0.0 for r in frame["request_id"]]
    return frame.reset_index(drop=True)
