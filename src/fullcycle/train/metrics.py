"""The metrics an evaluation is made of: scope metrics by name, bootstrap intervals (vectorised
over confusion matrices), calibration, residuals, slices and a trivial baseline."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from fullcycle.train.spec import TrainSpec

BOOTSTRAP = 500
MAX_SLICES = 20
MIN_SLICE_ROWS = 10
_CONFUSION_METRICS = ("accuracy", "f1_macro", "f1_weighted", "precision_macro", "recall_macro")


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def metric_value(
    name: str, y: Any, pred: Any, proba: Any = None, classes: Any = None
) -> float | None:
    """One metric by its scope name; None when it cannot be computed (one class, no proba)."""
    from sklearn import metrics as M

    y, pred = np.asarray(y), np.asarray(pred)
    if len(y) == 0:
        return None
    if name in _CONFUSION_METRICS:  # one bincount instead of sklearn's sorting of labels
        return _finite(_from_confusions(name, confusion(y, pred)[None])[0])
    simple = {
        "accuracy": lambda: M.accuracy_score(y, pred),
        "f1_macro": lambda: M.f1_score(y, pred, average="macro", zero_division=0),
        "f1_weighted": lambda: M.f1_score(y, pred, average="weighted", zero_division=0),
        "precision_macro": lambda: M.precision_score(y, pred, average="macro", zero_division=0),
        "recall_macro": lambda: M.recall_score(y, pred, average="macro", zero_division=0),
        "mae": lambda: M.mean_absolute_error(y, pred),
        "rmse": lambda: math.sqrt(M.mean_squared_error(y, pred)),
        "r2": lambda: M.r2_score(y, pred) if len(y) > 1 else None,
    }
    if name in simple:
        return _finite(simple[name]())
    if proba is None or classes is None:
        return None
    labels = list(classes)
    if name == "log_loss":
        return _finite(M.log_loss(y, proba, labels=labels))
    if name == "roc_auc":
        if len(np.unique(y)) < 2:
            return None
        if len(labels) == 2:
            return _finite(M.roc_auc_score(y == labels[1], proba[:, 1]))
        present = np.isin(labels, np.unique(y))
        if not present.all():
            return None
        return _finite(M.roc_auc_score(y, proba, multi_class="ovr", labels=labels))
    raise KeyError(name)


def codes(y: Any, labels: list[Any]) -> np.ndarray:
    """Positions of ``y`` in ``labels`` (-1 when absent)."""
    return np.asarray(pd.Categorical(np.asarray(y, dtype=object), categories=labels).codes)


def confusion(y: Any, pred: Any) -> np.ndarray:
    """Confusion matrix over the labels seen in ``y`` or ``pred`` (hash-based, no sort)."""
    seen = pd.unique(np.concatenate([np.asarray(y, dtype=object), np.asarray(pred, dtype=object)]))
    k = len(seen)
    index = pd.Index(seen)
    cells = index.get_indexer(y) * k + index.get_indexer(pred)
    return np.bincount(cells, minlength=k * k).reshape(k, k)


def _from_confusions(name: str, cms: np.ndarray) -> np.ndarray:
    """Metric per confusion matrix; ``cms`` is (B, k, k), rows true, columns predicted."""
    tp = np.diagonal(cms, axis1=1, axis2=2).astype(float)
    true_sum = cms.sum(axis=2).astype(float)
    pred_sum = cms.sum(axis=1).astype(float)
    n = cms.sum(axis=(1, 2)).astype(float)
    if name == "accuracy":
        return tp.sum(axis=1) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(pred_sum > 0, tp / pred_sum, 0.0)
        recall = np.where(true_sum > 0, tp / true_sum, 0.0)
        f1 = np.where(true_sum + pred_sum > 0, 2 * tp / (true_sum + pred_sum), 0.0)
    present = (true_sum + pred_sum) > 0
    per = {"f1_macro": f1, "f1_weighted": f1, "precision_macro": precision, "recall_macro": recall}[
        name
    ]
    if name == "f1_weighted":
        return (per * true_sum).sum(axis=1) / true_sum.sum(axis=1)
    return (per * present).sum(axis=1) / present.sum(axis=1)


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
    if name in _CONFUSION_METRICS and labels is not None:
        k = len(labels) + 1  # one more slot for labels absent from the model's classes
        cell = (codes(y, labels) % k) * k + codes(pred, labels) % k
        chunks = []
        for start in range(0, n_boot, 50):
            b = min(50, n_boot - start)
            idx = rng.integers(0, n, size=(b, n))
            flat = (cell[idx] + (k * k) * np.arange(b)[:, None]).ravel()
            chunks.append(np.bincount(flat, minlength=b * k * k).reshape(b, k, k))
        values = _from_confusions(name, np.concatenate(chunks))
    elif name in ("mae", "rmse", "r2"):
        values = _regression_boot(name, np.asarray(y, float), np.asarray(pred, float), rng, n_boot)
    elif name == "log_loss" and proba is not None and labels is not None:
        c = codes(y, labels)
        p = np.clip(proba[np.arange(n), np.maximum(c, 0)], 1e-15, 1.0)
        losses = np.where(c >= 0, -np.log(p), -np.log(1e-15))
        values = losses[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    else:
        found: list[float] = []
        for _ in range(min(n_boot, 100)):
            idx = rng.integers(0, n, size=n)
            v = metric_value(
                name,
                np.asarray(y)[idx],
                np.asarray(pred)[idx],
                None if proba is None else proba[idx],
                labels,
            )
            if v is not None:
                found.append(v)
        values = np.asarray(found)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return None
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return float(lo), float(hi)


def _regression_boot(name: str, y: np.ndarray, pred: np.ndarray, rng: Any, n_boot: int) -> Any:
    out = []
    r = y - pred
    for start in range(0, n_boot, 50):
        idx = rng.integers(0, len(y), size=(min(50, n_boot - start), len(y)))
        if name == "mae":
            out.append(np.abs(r[idx]).mean(axis=1))
        elif name == "rmse":
            out.append(np.sqrt((r[idx] ** 2).mean(axis=1)))
        else:
            yy = y[idx]
            ss_tot = ((yy - yy.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                out.append(1 - (r[idx] ** 2).sum(axis=1) / ss_tot)
    return np.concatenate(out)


def classification_metrics(y: Any, pred: Any, proba: Any, labels: list[Any]) -> dict[str, Any]:
    from sklearn import metrics as M

    out: dict[str, Any] = {
        name: metric_value(name, y, pred, proba, labels)
        for name in (*_CONFUSION_METRICS, "roc_auc", "log_loss")
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
        "mae": metric_value("mae", y, pred),
        "rmse": metric_value("rmse", y, pred),
        "r2": metric_value("r2", y, pred),
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
