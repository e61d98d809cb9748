"""Diagnostics that say what to do next: a cheap learning curve, a bias/variance verdict against
the scope's baseline, and error analysis (largest confusions, worst examples with features)."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd

from fullcycle import metric_table
from fullcycle.train.metrics import codes, metric_value, predictions
from fullcycle.train.spec import MetricSpec

SCORE_ROWS = 5000  # rows scored per learning-curve point (train and validation)
WORST = 10

NEXT_STEPS = {
    "high bias": [
        "try a bigger or more flexible model (more trees, deeper trees, more iterations)",
        "reduce regularisation",
        "add better features; more data alone will not close this gap",
    ],
    "high variance": [
        "get more training data (the learning curve shows whether it still helps)",
        "increase regularisation, or use a simpler model / fewer features",
        "use early stopping or bagging",
    ],
    "gap to baseline": [
        "read the worst examples below: look for label noise and missing features",
        "add features that carry what the baseline (e.g. a person) sees",
        "tune hyper-parameters (fullcycle tune --trials 50)",
    ],
    "good fit": [
        "register and promote it (fullcycle register latest; fullcycle promote NAME:N)",
        "watch it in production: drift and live performance",
    ],
}


def curve_sizes(n_train: int, mode: Any) -> list[int]:
    """Training-set sizes for the learning curve; small fractions on big data, so it stays cheap."""
    if mode is False or mode == "off" or n_train < 40:
        return []
    fractions = (0.1, 0.25, 0.5) if n_train <= 5000 else (0.01, 0.03, 0.08)
    sizes = sorted({max(20, int(n_train * f)) for f in fractions})
    return [s for s in sizes if s < n_train]


def learning_curve(
    make_model: Any,
    X: pd.DataFrame,
    y: np.ndarray,
    X_val: pd.DataFrame,
    y_val: np.ndarray,
    metric: str,
    full_model: Any,
    *,
    seed: int,
    mode: Any = "auto",
    labels: Any = None,
    budget_s: float | None = None,
    full_validation: float | None = None,
) -> dict[str, Any]:
    """Train and validation score against training size: subsample fits plus the full model.

    With ``budget_s``, a fit whose expected time (the last fit's, scaled by size) would exceed
    the budget is skipped and named in ``skipped``."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X))
    val_idx = rng.permutation(len(X_val))[:SCORE_ROWS]
    Xv, yv = X_val.iloc[val_idx], y_val[val_idx]
    points, skipped, spent, last = [], [], 0.0, None
    for size in curve_sizes(len(X), mode):
        idx = order[:size]
        if labels is not None and len(np.unique(y[idx])) < 2:
            continue
        expected = 0.0 if last is None else last[1] * size / last[0]
        if budget_s is not None and spent + expected > budget_s:
            skipped.append(size)
            continue
        tick = time.perf_counter()
        try:
            model = make_model().fit(X.iloc[idx], y[idx])
        except (ValueError, TypeError):  # e.g. a class missing from a tiny subsample
            continue
        last = (size, time.perf_counter() - tick)
        spent += last[1]
        points.append(
            _point(
                model, X.iloc[idx[:SCORE_ROWS]], y[idx[:SCORE_ROWS]], Xv, yv, metric, size, labels
            )
        )
    tr = order[:SCORE_ROWS]
    points.append(
        _point(full_model, X.iloc[tr], y[tr], None, None, metric, len(X), labels, full_validation)
    )
    return {"metric": metric, "points": points, "skipped_sizes": skipped, "budget_s": budget_s}


def _point(
    model: Any,
    X: Any,
    y: Any,
    Xv: Any,
    yv: Any,
    metric: str,
    size: int,
    labels: Any,
    known_validation: float | None = None,
) -> dict[str, Any]:
    scores = []
    for data, target in ((X, y), (Xv, yv)):
        if data is None:  # the full model's validation score is the test metric, known already
            scores.append(known_validation)
            continue
        pred, proba = predictions(model, data)
        proba = _aligned(model, proba, labels)
        scores.append(metric_value(metric, target, pred, proba, labels))
    return {"size": int(size), "train": scores[0], "validation": scores[1]}


def _aligned(model: Any, proba: Any, labels: Any) -> Any:
    if proba is None or labels is None:
        return proba
    have = list(getattr(model, "classes_", labels))
    if have == list(labels):
        return proba
    out = np.zeros((len(proba), len(labels)))
    for i, c in enumerate(have):
        if c in labels:
            out[:, list(labels).index(c)] = proba[:, i]
    return out


def verdict(
    metric: MetricSpec,
    train: float | None,
    validation: float | None,
    curve: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """High bias, high variance, gap to baseline or good fit, with the gaps and next steps."""
    if train is None or validation is None:
        return {"verdict": "unknown", "why": "the metric could not be computed", "next_steps": []}
    reference = metric.baseline if metric.baseline is not None else metric.goal
    sign = 1.0 if metric.greater_is_better else -1.0
    row = metric_table.TABLE.get(metric.name)
    bounded = row is None or row.high is not None  # on a unit scale; else judged relatively
    scale = 1.0 if bounded else max(abs(reference or 0.0), abs(validation), 1e-12)
    tol = 0.02 * scale if bounded else 0.05 * scale
    variance = sign * (train - validation)
    bias = None if reference is None else sign * (reference - train)
    total = None if reference is None else sign * (reference - validation)
    label = metric.baseline_label if metric.baseline is not None else "goal"
    if bias is not None and bias > tol and bias >= variance:
        name = "high bias"
        why = f"training score {train:.4g} is {bias:.3g} short of the {label} {reference:.4g}"
    elif variance > tol:
        name = "high variance"
        why = (
            f"training score {train:.4g} is {variance:.3g} better than validation {validation:.4g}"
        )
    elif total is not None and total > tol:
        name = "gap to baseline"
        why = f"validation {validation:.4g} is {total:.3g} short of the {label} {reference:.4g}"
    else:
        name = "good fit"
        why = f"validation {validation:.4g} is within {tol:.3g} of training {train:.4g}" + (
            f" and of the {label} {reference:.4g}" if reference is not None else ""
        )
    steps = list(NEXT_STEPS[name])
    if curve and _still_improving(curve, sign, tol) and name != "high bias":
        steps.insert(0, "the validation score still rises with more data: more data should help")
    return {
        "verdict": name,
        "why": why,
        "avoidable_bias": bias,
        "variance": variance,
        "gap_to_reference": total,
        "reference": reference,
        "reference_label": label,
        "tolerance": tol,
        "next_steps": steps,
    }


def _still_improving(curve: dict[str, Any], sign: float, tol: float) -> bool:
    vals = [p["validation"] for p in curve.get("points", []) if p["validation"] is not None]
    return len(vals) >= 2 and sign * (vals[-1] - vals[-2]) > tol / 2


def _cell(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str) and len(value) > 200:
        return value[:197] + "..."
    if value is None or isinstance(value, int | float | bool | str):
        return value
    return str(value)


def error_analysis(
    X: pd.DataFrame, y: np.ndarray, pred: np.ndarray, proba: Any, labels: list[Any] | None
) -> dict[str, Any]:
    """Largest confusions and the worst examples, with their features."""
    out: dict[str, Any] = {}
    if labels is not None:
        pairs = pd.Series(list(zip(y.tolist(), pred.tolist(), strict=True)))
        wrong = pairs[y != pred]
        top = wrong.value_counts().head(5)
        out["largest_confusions"] = [
            {"true": _cell(t), "predicted": _cell(p), "count": int(n)} for (t, p), n in top.items()
        ]
        if proba is not None:
            c = codes(y, labels)
            p_true = np.where(c >= 0, proba[np.arange(len(y)), np.maximum(c, 0)], 0.0)
            order = np.argsort(p_true, kind="stable")[:WORST]
            score, score_name = p_true[order], "p_true_class"
        else:
            order = np.flatnonzero(y != pred)[:WORST]
            score, score_name = np.zeros(len(order)), "p_true_class"
    else:
        resid = np.abs(np.asarray(y, float) - np.asarray(pred, float))
        order = np.argsort(-resid, kind="stable")[:WORST]
        score, score_name = resid[order], "abs_error"
    rows = X.iloc[order]
    out["worst_examples"] = [
        {
            "row": int(X.index[i]) if isinstance(X.index[i], int | np.integer) else str(X.index[i]),
            "true": _cell(y[i]),
            "predicted": _cell(pred[i]),
            score_name: _cell(float(s)),
            "features": {str(k): _cell(v) for k, v in rows.iloc[j].items()},
        }
        for j, (i, s) in enumerate(zip(order, score, strict=True))
    ]
    return out
