"""Labelled production rows: feedback joined to the logged inputs, and answered label tasks.

Each row keeps its request id, so a retrained model's dataset can name the requests that
taught it, and a stable hash of the id decides whether the row trains the challenger or is held
out for the gate (so the gate never scores a model on rows it learned from).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import numpy as np

from fullcycle.contract import TargetSpec, normalise_labels, target_spec
from fullcycle.store.logs import row_key, split_key

if TYPE_CHECKING:
    from fullcycle.loop._project import Alerts

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
    the champion went live, when there are ``min_rows`` of them; when they are too few, the
    newest ``min_rows`` held-out rows. Not more: under a trend every older row favours the
    champion, which learned from its time (txhousing: a challenger that scored R² 0.75 on the
    last period where the champion scored 0.48 tied with it on the newest 400 rows, 0.85 to
    0.85, and led it 0.84 to 0.80 on the newest 200)."""
    if not len(rows):
        return rows
    ordered = rows.sort_values("ts", kind="stable")
    fresh = ordered[ordered["ts"] > since]
    if len(fresh) >= min_rows:
        return fresh.reset_index(drop=True)
    return ordered.tail(min_rows).reset_index(drop=True)


def labelled_rows(
    log: Any,
    feedback: dict[str, Any],
    tasks: list[Any],
    *,
    features: list[str],
    target: str,
    spec: TargetSpec | None = None,
) -> Any:
    """One frame of features + target + request_id + ts + source, newest label winning.

    Feedback joins the logged row it names: ``request_id`` for a request's first row,
    ``request_id#N`` for row N of a batch (see :func:`fullcycle.store.logs.row_key`), so every
    row of a batched request can teach. With ``spec`` every label is normalised to the target's
    kind; labels that fit no kind are skipped and counted (``attrs["skipped"]``), and rows of a
    class the model never saw are left out and counted per class (``attrs["new_classes"]``)."""
    import pandas as pd

    parts = [
        p
        for p in (
            _from_feedback(log, feedback, features, target),
            _from_tasks(tasks, features, target),
        )
        if p is not None
    ]
    if not parts:
        return pd.DataFrame(columns=[*features, target, "request_id", "ts", "source"])
    rows = pd.concat(parts, ignore_index=True)
    rows = rows.drop_duplicates("request_id", keep="last").reset_index(drop=True)
    return rows if spec is None else _normalised(rows, target, spec)


def _from_feedback(log: Any, feedback: dict[str, Any], features: list[str], target: str) -> Any:
    import orjson
    import pandas as pd

    if not len(log) or not feedback:
        return None
    wanted = pd.DataFrame(
        [(*split_key(k), k, label) for k, label in feedback.items()],
        columns=["request_id", "row", "_key", "_label"],
    )
    served = log[log["route"].isin(["production", "canary"]) & (log["status"] == 200)]
    served = served[served["request_id"].isin(wanted["request_id"].unique().tolist())]
    if not len(served):
        return None
    served = served.drop_duplicates(["request_id", "row"])
    hits = served.merge(wanted, on=["request_id", "row"], how="inner")
    if not len(hits):
        return None
    inputs = [orjson.loads(v) if isinstance(v, str) else v for v in hits["inputs"]]
    frame = pd.DataFrame.from_records(inputs, columns=features)
    frame[target] = hits["_label"].to_numpy()
    frame["request_id"] = hits["_key"].to_numpy()
    frame["ts"] = hits["ts"].to_numpy()
    frame["source"] = "feedback"
    return frame


def _from_tasks(tasks: list[Any], features: list[str], target: str) -> Any:
    import pandas as pd

    done = [t for t in tasks if t.status == "labelled" and t.label is not None]
    if not done:
        return None
    frame = pd.DataFrame.from_records([t.row for t in done], columns=features)
    frame[target] = pd.Series([t.label for t in done], dtype=object)
    frame["request_id"] = [t.request_id or f"task-{t.id}" for t in done]
    frame["ts"] = [t.created_at for t in done]
    frame["source"] = "label"
    return frame


def _normalised(rows: Any, target: str, spec: TargetSpec) -> Any:
    from collections import Counter

    done = normalise_labels(rows[target].tolist(), spec, field=target)
    drop = {i for i, _ in done.refused} | set(done.new)
    counts = Counter(str(done.values[i]) for i in done.new)
    keep = [i for i in range(len(rows)) if i not in drop]
    out = rows.iloc[keep].reset_index(drop=True)
    out[target] = [done.values[i] for i in keep]
    if spec.kind == "numeric":
        out[target] = out[target].astype("float64")
    total = len(rows) - len(done.refused)
    out.attrs["skipped"] = len(done.refused)
    out.attrs["skip_reasons"] = [m for _, m in done.refused[:5]]
    out.attrs["new_classes"] = {c: (n, n / total if total else 0.0) for c, n in counts.items()}
    return out


def report_exclusions(alerts: Alerts, model: str, rows: Any, *, actor: str = "loop") -> list[str]:
    """Record an event and an alert (``project.monitor``'s) for rows :func:`labelled_rows` left
    out: a class never seen in training ("a new class appeared: X (share)") and labels that fit
    no kind. Returns the messages; an alert already open is only touched, so a waiting class is
    not re-announced."""
    messages = []
    for cls, (n, share) in sorted((rows.attrs.get("new_classes") or {}).items()):
        text = (
            f"a new class appeared: {cls} ({share:.1%} of labelled rows, {n} row(s)); they are "
            "left out of retraining until you add it to the target's classes in fullcycle.yaml "
            "and retrain (or set retraining.new_classes: learn)"
        )
        data = {"class": cls, "rows": n, "share": round(share, 6)}
        alerts.raise_alert(f"new_class:{model}:{cls}"[:200], text, data, actor=actor)
        messages.append(text)
    skipped = int(rows.attrs.get("skipped") or 0)
    if skipped:
        text = f"{skipped} label(s) fit no class or kind of the target and were skipped"
        data = {"skipped": skipped, "examples": rows.attrs.get("skip_reasons") or []}
        alerts.raise_alert(f"bad_labels:{model}"[:200], text, data, actor=actor)
        messages.append(text)
    # a class taken in (added to the target's classes) or bad labels gone: the alert closes
    still = {f"new_class:{model}:{c}"[:200] for c in rows.attrs.get("new_classes") or {}}
    alerts.close_alerts(f"new_class:{model}:", keep=still, actor=actor)
    alerts.close_alerts(f"bad_labels:{model}", keep={f"bad_labels:{model}"} if skipped else set())
    return messages


def candidates(
    log: Any, classes: list[Any] | None, features: list[str], drift_ids: list[str] | None = None
) -> Any:
    """Logged production rows as labelling candidates: features, prediction, class
    probabilities (``proba_<class>``) and a drift score (1 for rows the monitor flagged).
    Every row of a batched request is a candidate, keyed ``request_id#N`` past the first."""
    import orjson
    import pandas as pd

    rows = log[(log["row"] >= 0) & (log["status"] == 200) & log["route"].isin(["production"])]
    rows = rows.drop_duplicates(["request_id", "row"])
    inputs = [orjson.loads(v) if isinstance(v, str) else v for v in rows["inputs"]]
    frame = pd.DataFrame.from_records(inputs, columns=features)
    pairs = zip(rows["request_id"], rows["row"], strict=True)
    frame["request_id"] = [row_key(r, int(n)) for r, n in pairs]
    frame["prediction"] = [orjson.loads(v) if isinstance(v, str) else v for v in rows["output"]]
    if classes:
        probas = np.asarray(
            [orjson.loads(v) if isinstance(v, str) else v for v in rows["proba"]], dtype=float
        )
        for i, c in enumerate(classes):
            frame[f"proba_{c}"] = probas[:, i] if len(probas) else []
    flagged = set(drift_ids or [])
    frame["drift_score"] = [
        1.0 if r in flagged or split_key(r)[0] in flagged else 0.0 for r in frame["request_id"]
    ]
    return frame.reset_index(drop=True)


def queue_candidates(
    log: Any,
    classes_of: Any,
    features: list[str],
    drift_ids: list[str] | None,
    *,
    champion: int,
    newest: int,
    labelled: set[str],
) -> Any:
    """What the loop may ask labellers for: every row the champion answered, and the newest
    ``newest`` requests whoever answered them (right after a promotion the champion has served
    a few dozen rows, and the loop would wait steps for the labels it needs), less the rows that
    already have a label (a label bought twice teaches nothing). ``classes_of(version)`` gives
    a version's classes; a class a version did not know has probability 0 in its rows."""
    import pandas as pd

    if not len(log):
        return candidates(log, classes_of(champion), features, drift_ids)
    served = log[(log["route"] == "production") & (log["status"] == 200)]
    ids = served["request_id"].drop_duplicates().iloc[-max(newest, 0) :] if newest > 0 else []
    rows = log[(log["version"] == champion) | log["request_id"].isin(set(ids))]
    parts = [
        candidates(part, classes_of(int(version)), features, drift_ids)
        for version, part in rows.groupby("version", sort=False)
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return candidates(log.iloc[:0], classes_of(champion), features, drift_ids)
    frame = pd.concat(parts, ignore_index=True)
    proba = [c for c in frame.columns if c.startswith("proba_")]
    frame[proba] = frame[proba].fillna(0.0)
    frame = frame[~frame["request_id"].astype(str).isin(labelled)]
    return frame.drop_duplicates("request_id", keep="last").reset_index(drop=True)


def spec_for(contract: Any, champion: Any = None) -> TargetSpec | None:
    """What labels must fit: the contract's target, with the champion's classes where the
    contract lists none."""
    target = getattr(contract, "target", None)
    if target is None:
        return None
    return target_spec(target, getattr(champion, "classes", None))
