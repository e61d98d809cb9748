"""The metrics an evaluation is made of: scope metrics by name, bootstrap intervals (vectorised
over confusion matrices), calibration, residuals, slices and a trivial baseline."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fullcycle import metric_table
from fullcycle.train.spec import TrainSpec

BOOTSTRAP = 500
MAX_SLICES = 20
MIN_SLICE_ROWS = 10


def metric_value(
    name: str, y: Any, pred: Any, proba: Any = None, classes: Any = None
) -> float | None:
    """One metric by its scope name (the metric table computes it); None when it cannot be
    computed (one class, no probabilities)."""
    return metric_table.value(name, y, pred, proba, None if classes is None else list(classes))


codes = metric_table.codes
confusion = metric_table.confusion


def bootstrap_ci(
    name: str,
    y: Any,
    pred: Any,
    proba: Any,
    labels: list[Any] | None,
    *,
    seed: int = 0,
    n_boot: int = BOOTSTRAP,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of a metric over test rows (vectorised where it can be)."""
    n = len(y)
    if n < 2:
        return None
    rng = np.random.default_rng(seed)
    chunks = []
    for start in range(0, n_boot, 50):
        idx = rng.integers(0, n, size=(min(50, n_boot - start), n))
        chunks.append(metric_table.resampled(name, y, pred, proba, labels, idx))
    values = np.concatenate(chunks).astype(float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return None
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return float(lo), float(hi)


def classification_metrics(y: Any, pred: Any, proba: Any, labels: list[Any]) -> dict[str, Any]:
    from sklearn import metrics as M

    out: dict[str, Any] = {
        name: metric_value(name, y, pred, proba, labels)
        for name in metric_table.names("classification")
    }
    p, r, f, s = M.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    out["per_class"] = [
        {
            "class": _jsonable(c),
            "precision": float(p[i]),
            "recall": float(r[i]),
            "f1": float(f[i]),
            "support": int(s[i]),
        }
        for i, c in enumerate(labels)
    ]
    out["confusion_matrix"] = {
        "labels": [_jsonable(c) for c in labels],
        "matrix": M.confusion_matrix(y, pred, labels=labels).tolist(),
    }
    if proba is not None:
        out.update(calibration(y, proba, labels))
    return out


def calibration(y: Any, proba: np.ndarray, labels: list[Any]) -> dict[str, Any]:
    """Brier score and a reliability curve (positive class if binary, confidence otherwise)."""
    c = codes(y, labels)
    onehot = np.zeros_like(proba, dtype=float)
    onehot[np.arange(len(c))[c >= 0], c[c >= 0]] = 1.0
    if len(labels) == 2:
        brier = float(np.mean((proba[:, 1] - onehot[:, 1]) ** 2))
        score, hit, what = proba[:, 1], onehot[:, 1], f"P({labels[1]})"
    else:
        brier = float(np.mean(((proba - onehot) ** 2).sum(axis=1)))
        score = proba.max(axis=1)
        hit = (proba.argmax(axis=1) == c).astype(float)
        what = "confidence"
    bins = np.clip((score * 10).astype(int), 0, 9)
    counts = np.bincount(bins, minlength=10)
    mean_pred = np.bincount(bins, weights=score, minlength=10)
    frac = np.bincount(bins, weights=hit, minlength=10)
    keep = counts > 0
    return {
        "brier": brier,
        "reliability": {
            "score": what,
            "mean_predicted": (mean_pred[keep] / counts[keep]).round(4).tolist(),
            "fraction_positive": (frac[keep] / counts[keep]).round(4).tolist(),
            "count": counts[keep].tolist(),
        },
    }


def regression_metrics(y: Any, pred: Any) -> dict[str, Any]:
    y, pred = np.asarray(y, float), np.asarray(pred, float)
    r = y - pred
    hist, edges = np.histogram(r, bins=30)
    sample = np.random.default_rng(0).choice(len(r), size=min(500, len(r)), replace=False)
    return {
        **{name: metric_value(name, y, pred) for name in metric_table.names("regression")},
        "residuals": {
            "mean": float(r.mean()),
            "std": float(r.std()),
            "quantiles": dict(
                zip(
                    ("p05", "p25", "p50", "p75", "p95"),
                    np.percentile(r, [5, 25, 50, 75, 95]).round(6).tolist(),
                    strict=True,
                )
            ),
            "histogram": {"counts": hist.tolist(), "edges": edges.round(6).tolist()},
            "sample": {
                "predicted": pred[sample].round(6).tolist(),
                "residual": r[sample].round(6).tolist(),
            },
        },
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def slices(
    spec: TrainSpec, X: pd.DataFrame, y: Any, pred: Any, proba: Any, labels: Any
) -> list[dict[str, Any]]:
    """The scope metric on each value of every categorical feature; flagged below the goal."""
    out = []
    y, pred = np.asarray(y), np.asarray(pred)
    for f in spec.features:
        if f.kind != "categorical" or f.name not in X.columns:
            continue
        column = X[f.name].astype(object).where(X[f.name].notna(), "(missing)").astype(str)
        groups = column.groupby(column, sort=False).indices
        ranked = sorted(groups.items(), key=lambda kv: -len(kv[1]))[:MAX_SLICES]
        for value, idx in ranked:
            if len(idx) < MIN_SLICE_ROWS:
                continue
            v = metric_value(
                spec.metric.name, y[idx], pred[idx], None if proba is None else proba[idx], labels
            )
            below = (
                v is not None
                and spec.metric.goal is not None
                and not spec.metric.meets(v, spec.metric.goal)
            )
            out.append(
                {
                    "feature": f.name,
                    "value": value,
                    "rows": len(idx),
                    "metric": v,
                    "below_goal": bool(below),
                }
            )
    return out


def trivial_baseline(
    spec: TrainSpec, y_train: Any, X_test: pd.DataFrame, y_test: Any, labels: Any
) -> dict[str, Any]:
    from sklearn.dummy import DummyClassifier, DummyRegressor

    if spec.is_classifier:
        dummy = DummyClassifier(strategy="prior").fit(np.zeros((len(y_train), 1)), y_train)
        zeros = np.zeros((len(y_test), 1))
        proba = _align(dummy.predict_proba(zeros), list(dummy.classes_), labels)
        value = metric_value(spec.metric.name, y_test, dummy.predict(zeros), proba, labels)
        return {"model": "DummyClassifier(strategy='prior')", "metric": value}
    dummy = DummyRegressor(strategy="mean").fit(np.zeros((len(y_train), 1)), y_train)
    pred = dummy.predict(np.zeros((len(y_test), 1)))
    return {
        "model": "DummyRegressor(strategy='mean')",
        "metric": metric_value(spec.metric.name, y_test, pred),
    }


def _align(proba: np.ndarray, have: list[Any], labels: list[Any]) -> np.ndarray:
    out = np.zeros((len(proba), len(labels)))
    for i, c in enumerate(have):
        if c in labels:
            out[:, labels.index(c)] = proba[:, i]
    return out


def predictions(model: Any, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
    """Labels and probabilities; a classifier's labels come from its probabilities (one pass)."""
    classes = getattr(model, "classes_", None)
    if hasattr(model, "predict_proba") and classes is not None:
        try:
            proba = np.asarray(model.predict_proba(X), dtype=float)
        except (AttributeError, NotImplementedError):
            return np.asarray(model.predict(X)), None
        return np.asarray(classes)[proba.argmax(axis=1)], proba
    return np.asarray(model.predict(X)), None
