"""Evaluation of a fitted model on the held-out split, as one JSON-able dict.

Headline metrics, per-class metrics, the confusion matrix, calibration, a bootstrap interval on
the scope metric, slices below the goal, a trivial baseline and the scope's baseline
(``metrics.py``); a learning curve, a bias/variance verdict and the worst errors
(``diagnostics.py``); expected cost and the chosen threshold (``decisions.py``).
``report.py`` renders it as HTML; ``store/evaluations.py`` keeps it with the run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fullcycle.train import decisions as D
from fullcycle.train import diagnostics, metrics
from fullcycle.train.spec import TrainSpec

SCHEMA = 1


def evaluate(
    spec: TrainSpec,
    model: Any,
    X_train: pd.DataFrame,
    y_train: Any,
    X_test: pd.DataFrame,
    y_test: Any,
    *,
    seed: int = 0,
    make_model: Any = None,
    validation: tuple[pd.DataFrame, Any] | None = None,
    learning_curve: Any = "auto",
    curve_budget_s: float | None = None,
) -> dict[str, Any]:
    """Everything known about ``model`` on the test rows; ``make_model()`` gives an unfitted copy
    for the learning curve, ``validation`` rows choose the decision threshold.

    Runs with native thread pools limited to one thread: the many small fits and predictions
    here lose more to OpenMP start-up and spinning than they gain, above all on a busy host."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _evaluate(
            spec,
            model,
            X_train,
            y_train,
            X_test,
            y_test,
            seed=seed,
            make_model=make_model,
            validation=validation,
            learning_curve=learning_curve,
            curve_budget_s=curve_budget_s,
        )


def _evaluate(
    spec: TrainSpec,
    model: Any,
    X_train: pd.DataFrame,
    y_train: Any,
    X_test: pd.DataFrame,
    y_test: Any,
    *,
    seed: int,
    make_model: Any,
    validation: tuple[pd.DataFrame, Any] | None,
    learning_curve: Any,
    curve_budget_s: float | None,
) -> dict[str, Any]:
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    pred, proba = metrics.predictions(model, X_test)
    labels = _labels(model, y_test) if spec.is_classifier else None
    name = spec.metric.name
    value = metrics.metric_value(name, y_test, pred, proba, labels)
    ci = metrics.bootstrap_ci(name, y_test, pred, proba, labels, seed=seed)
    detail = (
        metrics.classification_metrics(y_test, pred, proba, labels)
        if labels is not None
        else metrics.regression_metrics(y_test, pred)
    )
    curve = None
    if make_model is not None and learning_curve not in (False, "off"):
        curve = diagnostics.learning_curve(
            make_model,
            X_train,
            y_train,
            X_test,
            y_test,
            name,
            model,
            seed=seed,
            mode=learning_curve,
            labels=labels,
            budget_s=curve_budget_s,
            full_validation=value,
        )
    train_score = (
        curve["points"][-1]["train"]
        if curve
        else _train_score(spec, model, X_train, y_train, labels, seed)
    )
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "task": spec.task,
        "target": spec.target,
        "classes": None if labels is None else [metrics._jsonable(c) for c in labels],
        "rows": {"train": int(len(X_train)), "test": int(len(X_test))},
        "metric": _headline(spec, value, ci),
        "metrics": detail,
        "baselines": _baselines(spec, y_train, X_test, y_test, labels, value),
        "slices": metrics.slices(spec, X_test, y_test, pred, proba, labels),
        "learning_curve": curve,
        "diagnosis": diagnostics.verdict(spec.metric, train_score, value, curve),
        "errors": diagnostics.error_analysis(X_test, y_test, pred, proba, labels),
        "decisions": _decisions(spec, model, labels, y_test, pred, proba, validation, seed),
    }
    return out


def check_metric(spec: TrainSpec, model: Any, y: Any) -> None:
    """Refuse, before fitting, a metric the model or the target cannot give (the metric table
    says what each needs): e.g. roc_auc from a model without ``predict_proba``."""
    from fullcycle import metric_table
    from fullcycle.errors import ConfigError

    classes = len(pd.unique(np.asarray(y, dtype=object))) if spec.is_classifier else None
    found = metric_table.problems(
        spec.metric.name,
        spec.task,
        n_classes=classes,
        has_proba=hasattr(model, "predict_proba") if spec.is_classifier else None,
    )
    if found:
        raise ConfigError(f"metric.name: {'; '.join(found)}")


def _labels(model: Any, y: np.ndarray) -> list[Any]:
    classes = getattr(model, "classes_", None)
    if classes is None:
        return sorted(np.unique(y).tolist(), key=str)
    return [metrics._jsonable(c) for c in classes]


def _train_score(
    spec: TrainSpec, model: Any, X: pd.DataFrame, y: np.ndarray, labels: Any, seed: int
) -> float | None:
    idx = np.random.default_rng(seed).permutation(len(X))[: diagnostics.SCORE_ROWS]
    pred, proba = metrics.predictions(model, X.iloc[idx])
    return metrics.metric_value(spec.metric.name, y[idx], pred, proba, labels)


def _headline(spec: TrainSpec, value: float | None, ci: Any) -> dict[str, Any]:
    m = spec.metric
    return {
        "name": m.name,
        "value": value,
        "ci": list(ci) if ci else None,
        "ci_level": 0.95,
        "goal": m.goal,
        "meets_goal": None if value is None or m.goal is None else m.meets(value, m.goal),
        "greater_is_better": m.greater_is_better,
    }


def _baselines(
    spec: TrainSpec, y_train: Any, X_test: Any, y_test: Any, labels: Any, value: float | None
) -> dict[str, Any]:
    trivial = metrics.trivial_baseline(spec, y_train, X_test, y_test, labels)
    m = spec.metric
    out: dict[str, Any] = {"trivial": trivial}
    if trivial["metric"] is not None and value is not None:
        trivial["model_beats_it"] = m.better(value, trivial["metric"])
    if m.baseline is not None:
        out["scope"] = {
            "label": m.baseline_label,
            "metric": m.baseline,
            "model_meets_it": None if value is None else m.meets(value, m.baseline),
            "gap": None if value is None else (value - m.baseline),
        }
    return out


def _decisions(
    spec: TrainSpec,
    model: Any,
    labels: Any,
    y_test: np.ndarray,
    pred: np.ndarray,
    proba: Any,
    validation: Any,
    seed: int,
) -> dict[str, Any] | None:
    policy = D.parse(spec.decisions, spec.task)
    if policy is None:
        return None
    if labels is None:
        return D.assess(policy, spec.task, None, y_test, pred, None, seed=seed)
    val = None
    if validation is not None and len(validation[0]):
        _, val_proba = metrics.predictions(model, validation[0])
        val = (metrics.codes(validation[1], labels), val_proba)
    return D.assess(
        policy, spec.task, labels, metrics.codes(y_test, labels), pred, proba, val, seed=seed
    )


def headline(evaluation: dict[str, Any]) -> dict[str, float]:
    """The scalar metrics to log on the run (``test.<name>``)."""
    out: dict[str, float] = {}
    for key, value in evaluation.get("metrics", {}).items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[f"test.{key}"] = float(value)
    if isinstance(evaluation.get("metrics", {}).get("brier"), float):
        out["test.brier"] = evaluation["metrics"]["brier"]
    m = evaluation.get("metric", {})
    if m.get("ci"):
        out[f"test.{m['name']}.ci_low"], out[f"test.{m['name']}.ci_high"] = m["ci"]
    dec = evaluation.get("decisions") or {}
    if isinstance(dec.get("expected_cost_per_1000"), float):
        out["test.expected_cost_per_1000"] = dec["expected_cost_per_1000"]
    return {k: v for k, v in out.items() if np.isfinite(v)}
