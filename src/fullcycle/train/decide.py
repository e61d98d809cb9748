"""Applying a model version's stored decision record (``ModelVersion.decision``).

Class probabilities in, one decision per row out (a class, or ``"abstain"``), and what each
decision cost once the true label is known. Serving, monitoring and the loop's gate share these
pure functions, so what is served is what is costed. The record comes from
``train.decisions``: ``{rule, threshold, positive, classes, cost_matrix, abstain_below,
abstain_cost}`` for a classifier, ``{loss: {kind, under, over}}`` for a regressor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

from fullcycle.errors import ConfigError

ABSTAIN = "abstain"
BOOTSTRAP_ROWS = 5000  # above this many costed rows the interval is the normal one
RULES = ("threshold", "bayes_min_cost", "argmax")


def classifies(decision: Mapping[str, Any] | None) -> bool:
    """True when the record turns class probabilities into decisions."""
    return bool(decision and decision.get("classes") and decision.get("rule") in RULES)


def costs_regression(decision: Mapping[str, Any] | None) -> bool:
    """True when the record is a regression loss."""
    return bool(decision and "loss" in decision and not decision.get("classes"))


def decide(decision: Mapping[str, Any], proba: Any) -> list[Any]:
    """One decision per row of ``proba`` (columns in ``decision['classes']`` order)."""
    p = np.asarray(proba, dtype=float)
    classes = list(decision["classes"])
    if p.ndim != 2 or p.shape[1] != len(classes):
        raise ConfigError(
            f"decision record has {len(classes)} classes but the model gave "
            f"{p.shape[-1] if p.ndim else 0} probabilities per row",
            hint="retrain the version; its decision record does not match the model",
        )
    rule = decision.get("rule")
    if rule == "threshold":
        pos = classes.index(decision["positive"])
        idx = np.where(p[:, pos] >= float(decision["threshold"]), pos, 1 - pos)
    elif rule == "bayes_min_cost":
        idx = (p @ np.asarray(decision["cost_matrix"], dtype=float)).argmin(axis=1)
    else:
        idx = p.argmax(axis=1)
    out: list[Any] = [classes[i] for i in idx]
    below = decision.get("abstain_below")
    if below is not None:
        confident = p.max(axis=1) >= float(below)
        out = [d if ok else ABSTAIN for d, ok in zip(out, confident, strict=True)]
    return out


def row_costs(decision: Mapping[str, Any], y_true: Sequence[Any], decided: Sequence[Any]) -> Any:
    """Cost of each decision given the true label; NaN where the label is not a known class."""
    if costs_regression(decision):
        from fullcycle.scope import Loss

        loss = Loss.model_validate(decision.get("loss") or {})
        return np.asarray(
            loss.cost(np.asarray(y_true, dtype=float), np.asarray(decided, dtype=float)),
            dtype=float,
        )
    if len(y_true) != len(decided):
        raise ValueError(f"{len(y_true)} labels for {len(decided)} decisions")
    names = np.asarray([str(c) for c in decision["classes"]] + [ABSTAIN])
    order = np.argsort(names)
    k = len(names) - 1
    matrix = np.full((k + 1, k + 2), np.nan)  # the last row: unknown truth; the last column
    matrix[:k, :k] = np.asarray(decision["cost_matrix"], dtype=float)  # unknown decision
    matrix[:k, k] = float(decision.get("abstain_cost") or 0.0)

    def codes(values: Sequence[Any], unknown: int) -> Any:
        text = np.asarray([str(v) for v in values], dtype=object).astype(str)
        pos = np.clip(np.searchsorted(names[order], text), 0, len(names) - 1)
        found = order[pos]
        return np.where(names[found] == text, found, unknown)

    t = codes(y_true, k)
    t = np.where(t == k, k, t)  # "abstain" is not a true class
    return matrix[t, codes(decided, k + 1)]


def cost_summary(
    costs: Any, *, n_boot: int = 500, seed: int = 0, confidence: float = 0.95
) -> dict[str, Any]:
    """Expected cost per 1,000 decisions with a percentile bootstrap interval (a normal one
    above ``BOOTSTRAP_ROWS`` rows, where resampling costs time and changes nothing)."""
    c = np.asarray(costs, dtype=float)
    c = c[np.isfinite(c)]
    if len(c) == 0:
        return {"cost_per_1000": None, "low": None, "high": None, "rows": 0}
    tail = (1 - confidence) / 2
    if len(c) > BOOTSTRAP_ROWS:  # the mean is normal to a fraction of a percent by now
        half = float(stats.norm.ppf(1 - tail) * c.std(ddof=1) / np.sqrt(len(c)))
        low, high = c.mean() - half, c.mean() + half
    else:
        rng = np.random.default_rng(seed)
        means = c[rng.integers(0, len(c), size=(n_boot, len(c)))].mean(axis=1)
        low, high = np.quantile(means, tail), np.quantile(means, 1 - tail)
    return {
        "cost_per_1000": float(c.mean() * 1000),
        "low": float(low * 1000),
        "high": float(high * 1000),
        "rows": int(len(c)),
    }


def decisions_for(estimator: Any, decision: Mapping[str, Any] | None, X: Any) -> list[Any]:
    """What a version decides on the frame ``X``: its policy applied to its probabilities, or
    its plain predictions when it stores no classification policy (a regressor, an old one)."""
    if decision and classifies(decision) and hasattr(estimator, "predict_proba"):
        return decide(decision, estimator.predict_proba(X))
    return np.asarray(estimator.predict(X)).tolist()


def costing_record(decision: Mapping[str, Any] | None, ref: str) -> Mapping[str, Any]:
    """The record whose costs price decisions; a ConfigError when ``ref`` stores none."""
    if decision and (classifies(decision) or costs_regression(decision)):
        return decision
    raise ConfigError(
        f"model version {ref} stores no decision costs, so versions cannot be compared on cost",
        hint="add a decisions section (costs: or loss:) to fullcycle.yaml and retrain, "
        "or set gate.compare_on: metric",
    )
