"""Live performance: the scope metric on rows whose labels came back, with a bootstrap interval,
and, where labels have not arrived, an estimate from the model's own calibrated confidence
(confidence-based performance estimation): each row contributes its expected confusion.

The estimate assumes no concept drift (the model's probabilities stay calibrated on the new
traffic): it sees a shift in what the model is unsure about, never a change in what the right
answer is. It is shown as such and never alone blocks a retrain.

Every metric of the metric table is computed here, for every task; the table says its direction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fullcycle import metric_table

ESTIMATE_ASSUMPTION = "label-free estimate: assumes no concept drift (calibrated probabilities)"

#: the interval alarms and retrain triggers are judged on (``alarm_low``/``alarm_high``): the
#: monitor looks again at every interval, so a 95% interval checked 20 times over a model's
#: life would call a model that holds its level "below the goal" about half the time; the
#: 95% interval (``low``/``high``) is what is shown
ALARM_CONFIDENCE = 0.99


@dataclass(frozen=True)
class Look:
    """The live metric as alarms and retrain triggers judge it: its value, the alarm interval
    (:data:`ALARM_CONFIDENCE`), the labelled rows it stands on, and whether those are the
    window's newest (see :func:`newest`) rather than all of its labelled rows."""

    value: float | None = None
    low: float | None = None
    high: float | None = None
    rows: int = 0
    newest: bool = False

    @property
    def where(self) -> str:
        which = "the newest " if self.newest else ""
        return f"{which}{self.rows} labelled rows"


def judged(perf: Mapping[str, Any], metric: str) -> Look:
    """A report's live metric as alarms and retrain triggers judge it: on the alarm interval
    (the shown one for a report stored before it), nothing below
    :func:`metric_table.rows_to_judge` labelled rows. Where the window's newest labelled rows
    (``perf["newest"]``, see :func:`newest`) score worse than all of them, those decide: a
    model that decays while it serves is judged on where it is, not on its whole tenure (PC
    prices: a champion that scored R² -0.1 on the months it was then serving still showed 0.79
    on all the labelled rows of its window, for four months)."""
    need = metric_table.rows_to_judge(metric)
    rows = int(perf.get("rows") or 0)
    if perf.get("value") is None or rows < need:
        return Look(rows=rows)
    low, high = perf.get("alarm_low", perf.get("low")), perf.get("alarm_high", perf.get("high"))
    whole = Look(perf["value"], low, high, rows)
    part = perf.get("newest") or {}
    if part.get("value") is None or int(part.get("rows") or 0) < need:
        return whole
    gib = perf.get("greater_is_better", True)  # as the report's alerts read it
    worse = part["value"] < whole.value if gib else part["value"] > whole.value
    if not worse:
        return whole
    return Look(part["value"], part.get("alarm_low"), part.get("alarm_high"), part["rows"], True)


#: the newest look at the live metric: the newest half of the window's labelled rows, once
#: that half has the rows a judgement needs (:func:`metric_table.rows_to_judge`)
NEWEST_SHARE = 0.5


def newest(
    metric: str,
    y_true: Sequence[Any],
    y_pred: Sequence[Any],
    ts: Sequence[float],
    *,
    proba: Any = None,
    classes: Sequence[Any] | None = None,
) -> dict[str, Any] | None:
    """The live metric on the newest :data:`NEWEST_SHARE` of the labelled rows (by the time
    they were answered, ``ts``), or None while that share is too small to be judged."""
    count = int(len(y_true) * NEWEST_SHARE)
    if count < metric_table.rows_to_judge(metric):
        return None
    keep = np.argsort(np.asarray(ts, dtype=float), kind="stable")[-count:]
    yt, yp = [y_true[i] for i in keep], [y_pred[i] for i in keep]
    p = None if proba is None else [proba[i] for i in keep]
    return live_metric(metric, yt, yp, proba=p, classes=classes, seed=1)


def prepare(metric: str, y_true: Sequence[Any], y_pred: Sequence[Any]) -> tuple[Any, Any]:
    """Labels and predictions in one comparable form: floats for a regression metric (rows
    whose label or prediction is not a number are left out: see :func:`usable`), class keys
    (``1``, ``1.0`` and ``"1"`` agree) for a classification metric."""
    if metric_table.get(metric).task == "regression":
        yt, yp = _numbers(y_true), _numbers(y_pred)
        keep = np.isfinite(yt) & np.isfinite(yp)
        return yt[keep], yp[keep]
    return metric_table.class_keys(y_true), metric_table.class_keys(y_pred)


def _numbers(values: Sequence[Any]) -> Any:
    import pandas as pd

    return pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(float)


def live_metric(
    metric: str,
    y_true: Sequence[Any],
    y_pred: Sequence[Any],
    *,
    proba: Any = None,
    classes: Sequence[Any] | None = None,
    n_boot: int = 500,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """The metric on labelled rows with a percentile bootstrap interval; ``proba`` (rows x
    ``classes``) is needed for probability metrics (roc_auc, log_loss, brier)."""
    n = len(y_true)
    empty = {"metric": metric, "value": None, "low": None, "high": None, "rows": n,
             "alarm_low": None, "alarm_high": None}  # fmt: skip
    if n == 0:
        return empty
    yt, yp = prepare(metric, y_true, y_pred)
    if len(yt) < n:  # labels that are not numbers for a regression target: not scored
        empty["unusable_labels"] = n - len(yt)
        if len(yt) == 0:
            return empty
        return {**live_metric(metric, yt, yp, n_boot=n_boot, seed=seed, confidence=confidence),
                "unusable_labels": n - len(yt)}  # fmt: skip
    labels = None if classes is None else list(metric_table.class_keys(classes))
    p = None if proba is None else np.asarray(proba, dtype=float)
    value = metric_table.value(metric, yt, yp, p, labels)
    if value is None:
        return empty
    if m_slow(metric):
        n_boot = min(n_boot, 200)  # resampled one by one (no vectorised form)
    rng = np.random.default_rng(seed)
    draws = metric_table.resampled(metric, yt, yp, p, labels, rng.integers(0, n, (n_boot, n)))
    draws = np.asarray(draws, dtype=float)
    draws = draws[np.isfinite(draws)]
    tail, wide = (1 - confidence) / 2, (1 - ALARM_CONFIDENCE) / 2
    edges = [tail, 1 - tail, wide, 1 - wide]
    low, high, alarm_low, alarm_high = np.quantile(draws, edges) if len(draws) else [value] * 4
    return {"metric": metric, "value": value, "rows": n, "low": float(low), "high": float(high),
            "alarm_low": float(alarm_low), "alarm_high": float(alarm_high)}  # fmt: skip


def m_slow(metric: str) -> bool:
    m = metric_table.get(metric)
    return m.loss is None and m.confusion is None


def estimate(metric: str, proba: np.ndarray) -> float | None:
    """Expected metric from class probabilities (rows x classes), assuming calibration and no
    concept drift. Confusion metrics: a row predicted as class j with probabilities p adds p[i]
    to cell (i, j); log loss and Brier: their expectation under p. None for the others."""
    m = metric_table.TABLE.get(metric)
    p = np.asarray(proba, dtype=float)
    if m is None or p.ndim != 2 or len(p) == 0:
        return None
    if m.loss == "log":
        return float(-(p * np.log(np.clip(p, 1e-15, 1.0))).sum(axis=1).mean())
    if m.loss == "brier":
        if p.shape[1] == 2:
            return float((p[:, 1] * (1 - p[:, 1])).mean())
        return float((1 - (p**2).sum(axis=1)).mean())
    if m.confusion is None:
        return None
    pred = p.argmax(axis=1)
    k = p.shape[1]
    cm = np.zeros((k, k))
    for j in range(k):
        rows = pred == j
        if rows.any():
            cm[:, j] = p[rows].sum(axis=0)
    return float(metric_table.from_confusions(metric, cm[None])[0])
