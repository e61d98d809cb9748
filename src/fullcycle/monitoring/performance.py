"""Live performance: the scope metric on rows whose labels came back, with a bootstrap interval,
and, where labels have not arrived, an estimate from the model's own calibrated confidence
(confidence-based performance estimation): each row contributes its expected confusion.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fullcycle.errors import InvalidInput

ESTIMABLE = ("accuracy", "f1_macro", "precision_macro", "recall_macro")


def _encode(y_true: Sequence[Any], y_pred: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, int]:
    both = np.concatenate([np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)])
    _, codes = np.unique(both.astype(str), return_inverse=True)
    n = len(y_true)
    return codes[:n], codes[n:], int(codes.max()) + 1 if len(codes) else 0


def _from_confusion(metric: str, cm: np.ndarray) -> float:
    """``cm[true, pred]`` counts (or expected counts) -> the metric, over classes present."""
    tp = np.diag(cm)
    support, predicted = cm.sum(axis=1), cm.sum(axis=0)
    present = (support + predicted) > 0
    if metric == "accuracy":
        total = cm.sum()
        return float(tp.sum() / total) if total else float("nan")
    precision = np.divide(tp, predicted, out=np.zeros_like(tp, dtype=float), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp, dtype=float), where=support > 0)
    if metric == "precision_macro":
        return float(precision[present].mean())
    if metric == "recall_macro":
        return float(recall[present].mean())
    if metric == "f1_macro":
        denom = support + predicted
        f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp, dtype=float), where=denom > 0)
        return float(f1[present].mean())
    raise InvalidInput(f"live metric {metric!r} is not one of {', '.join(ESTIMABLE)}")


def live_metric(
    metric: str,
    y_true: Sequence[Any],
    y_pred: Sequence[Any],
    *,
    n_boot: int = 500,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """The metric on labelled rows with a percentile bootstrap interval."""
    n = len(y_true)
    if n == 0:
        return {"metric": metric, "value": None, "low": None, "high": None, "rows": 0}
    yt, yp, k = _encode(y_true, y_pred)
    flat = yt * k + yp
    value = _from_confusion(metric, np.bincount(flat, minlength=k * k).reshape(k, k))
    rng = np.random.default_rng(seed)
    draws = np.empty(n_boot)
    for i in range(n_boot):
        sample = flat[rng.integers(0, n, n)]
        draws[i] = _from_confusion(metric, np.bincount(sample, minlength=k * k).reshape(k, k))
    tail = (1 - confidence) / 2
    return {
        "metric": metric,
        "value": value,
        "rows": n,
        "low": float(np.quantile(draws, tail)),
        "high": float(np.quantile(draws, 1 - tail)),
    }


def estimate(metric: str, proba: np.ndarray) -> float | None:
    """Expected metric from class probabilities (rows x classes), assuming calibration.

    For a row predicted as class j with probabilities p, the expected confusion adds p[i] to
    cell (i, j) for every true class i. Returns None for metrics this cannot estimate.
    """
    if metric not in ESTIMABLE:
        return None
    p = np.asarray(proba, dtype=float)
    if p.ndim != 2 or len(p) == 0:
        return None
    pred = p.argmax(axis=1)
    k = p.shape[1]
    cm = np.zeros((k, k))
    for j in range(k):
        rows = pred == j
        if rows.any():
            cm[:, j] = p[rows].sum(axis=0)
    return _from_confusion(metric, cm)
