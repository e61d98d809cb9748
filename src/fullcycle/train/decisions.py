"""What the model's errors cost, and the threshold policy that turns scores into decisions.

The scope's ``decisions`` section (``fullcycle.scope.Decisions``, or the same as a dict)::

    costs: {default: 1, correct: 0, matrix: {fraud: {ok: 200}, ok: {fraud: 5}}}
    threshold: {policy: min_cost, positive_class: fraud}   # or {policy: fixed, value: 0.3}
        # or {policy: constraint, constraint: {min_precision: 0.9, max_flag_rate: 0.1}}
    abstain: {below_confidence: 0.6, cost: 2}   # route to a person below that confidence
    loss: {kind: asymmetric, under: 2, over: 1}   # regression: absolute | squared | asymmetric

The threshold is chosen on validation rows and costed on the held-out test rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fullcycle.errors import ConfigError

POLICIES = ("fixed", "min_cost", "constraint")
CONSTRAINTS = ("precision", "recall", "flag_rate")
GRID = np.round(np.linspace(0.0, 1.0, 101), 4)
ABSTAIN = "__abstain__"


@dataclass(frozen=True)
class DecisionPolicy:
    costs: dict[tuple[str, str], float] = field(default_factory=dict)
    default_cost: float = 1.0
    correct_cost: float = 0.0
    positive: Any = None
    policy: str = "fixed"
    threshold: float = 0.5
    constraints: tuple[tuple[str, str, float], ...] = ()  # (metric, "min"|"max", value)
    abstain_below: float | None = None
    abstain_cost: float = 0.0
    loss: dict[str, Any] = field(default_factory=dict)


def _number(value: Any, where: str, *, low: float = 0.0, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"decisions.{where}: {value!r} is not a number")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ConfigError(f"decisions.{where}: {value} must be {bound}")
    return float(value)


def _costs(raw: Any) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    if isinstance(raw, dict) and "matrix" in raw:  # the scope's form: {true: {predicted: cost}}
        raw = raw["matrix"]
    if isinstance(raw, list):
        for i, item in enumerate(raw):
            if not isinstance(item, dict) or "true" not in item or "predicted" not in item:
                raise ConfigError(f"decisions.costs[{i}] needs true, predicted and cost")
            out[(str(item["true"]), str(item["predicted"]))] = _number(
                item.get("cost"), f"costs[{i}].cost"
            )
    elif isinstance(raw, dict):
        for key, value in raw.items():
            if not isinstance(value, dict):
                raise ConfigError(
                    f"decisions.costs.matrix.{key} must map predicted classes to costs"
                )
            for pred, cost in value.items():
                out[(str(key), str(pred))] = _number(cost, f"costs.matrix.{key}.{pred}")
    elif raw is not None:
        raise ConfigError("decisions.costs.matrix must map true class -> predicted -> cost")
    return out


def parse(raw: dict[str, Any] | None, task: str) -> DecisionPolicy | None:
    """The policy from the scope's ``decisions`` section; ConfigError naming the field."""
    if not raw:
        return None
    thr = raw.get("threshold")
    if isinstance(thr, str):
        thr = {"policy": thr}
    thr = dict(thr or {})
    if task != "classification" and (thr or raw.get("costs") or raw.get("abstain")):
        key = "threshold" if thr else "costs" if raw.get("costs") else "abstain"
        raise ConfigError(
            f"decisions.{key}: a {key} policy applies to classification, not regression",
            hint="use decisions.loss for a regression task",
        )
    policy = str(thr.get("policy", "fixed"))
    if policy not in POLICIES:
        raise ConfigError(f"decisions.threshold.policy {policy!r} is not one of {POLICIES}")
    costs: dict[str, Any] = raw["costs"] if isinstance(raw.get("costs"), dict) else {}
    abstain = raw.get("abstain") or {}
    below = abstain.get("below_confidence", abstain.get("below"))
    value = thr.get("value")
    return DecisionPolicy(
        costs=_costs(raw.get("costs")),
        default_cost=_number(costs.get("default", 1.0), "costs.default"),
        correct_cost=_number(costs.get("correct", 0.0), "costs.correct"),
        positive=thr.get("positive_class", raw.get("positive")),
        policy=policy,
        threshold=0.5 if value is None else _number(value, "threshold.value", high=1.0),
        constraints=_constraints(thr) if policy == "constraint" else (),
        abstain_below=None
        if below is None
        else _number(below, "abstain.below_confidence", high=1.0),
        abstain_cost=_number(abstain.get("cost", 0.0), "abstain.cost"),
        loss=dict(raw.get("loss") or {}),
    )


_LIMITS = {
    "min_precision": ("precision", "min"),
    "min_recall": ("recall", "min"),
    "max_flag_rate": ("flag_rate", "max"),
}


def _constraints(thr: dict[str, Any]) -> tuple[tuple[str, str, float], ...]:
    inner = thr.get("constraint") or {}
    out = tuple(
        (metric, side, _number(inner[key], f"threshold.constraint.{key}", high=1.0))
        for key, (metric, side) in _LIMITS.items()
        if inner.get(key) is not None
    )
    if not out:
        raise ConfigError(
            "decisions.threshold.constraint needs min_precision, min_recall or max_flag_rate"
        )
    return out


def cost_matrix(policy: DecisionPolicy, labels: list[Any]) -> np.ndarray:
    """C[true, predicted] over ``labels``; unknown class names are a ConfigError."""
    names = [str(c) for c in labels]
    unknown = sorted({n for pair in policy.costs for n in pair} - set(names))
    if unknown:
        raise ConfigError(
            f"decisions.costs names class(es) {', '.join(unknown)} that the model does not "
            f"predict (classes: {', '.join(names)})",
            hint="fix the class names in fullcycle.yaml",
        )
    k = len(names)
    matrix = np.full((k, k), policy.default_cost)
    np.fill_diagonal(matrix, policy.correct_cost)
    for (t, p), cost in policy.costs.items():
        matrix[names.index(t), names.index(p)] = cost
    return matrix


def positive_index(policy: DecisionPolicy, labels: list[Any]) -> int:
    if policy.positive is None:
        return 1
    names = [str(c) for c in labels]
    if str(policy.positive) not in names:
        raise ConfigError(
            f"decisions.positive {policy.positive!r} is not a class ({', '.join(names)})"
        )
    return names.index(str(policy.positive))


def row_costs(
    policy: DecisionPolicy, matrix: np.ndarray, y: np.ndarray, score: np.ndarray, t: float, pos: int
) -> np.ndarray:
    """Per-row cost of binary decisions at threshold ``t`` (``y`` as class positions)."""
    neg = 1 - pos
    pred = np.where(score >= t, pos, neg)
    cost = matrix[np.maximum(y, 0), pred]
    if policy.abstain_below is not None:
        cost = np.where(
            np.maximum(score, 1 - score) < policy.abstain_below, policy.abstain_cost, cost
        )
    return cost


def curve(
    policy: DecisionPolicy, matrix: np.ndarray, y: np.ndarray, score: np.ndarray, pos: int
) -> dict[str, list[float]]:
    """Cost per 1,000 decisions, precision, recall and flag rate at each grid threshold."""
    costs, precision, recall, flagged = [], [], [], []
    is_pos = y == pos
    for t in GRID:
        costs.append(float(row_costs(policy, matrix, y, score, t, pos).mean() * 1000))
        flag = score >= t
        tp = float(np.sum(flag & is_pos))
        precision.append(tp / flag.sum() if flag.sum() else 0.0)  # nothing flagged: no credit
        recall.append(tp / is_pos.sum() if is_pos.sum() else 0.0)
        flagged.append(float(flag.mean()))
    return {
        "threshold": GRID.tolist(),
        "cost_per_1000": costs,
        "precision": precision,
        "recall": recall,
        "flag_rate": flagged,
    }


def choose(policy: DecisionPolicy, validation: dict[str, list[float]]) -> float:
    """The threshold the policy picks on the validation curve."""
    if policy.policy == "fixed":
        return policy.threshold
    costs = np.asarray(validation["cost_per_1000"])
    ok = np.ones(len(GRID), dtype=bool)
    for metric, side, bound in policy.constraints:
        values = np.asarray(validation[metric])
        meets = values >= bound if side == "min" else values <= bound
        if not (ok & meets).any():
            pool = values[ok] if ok.any() else values
            best = pool.max() if side == "min" else pool.min()
            word = "at least" if side == "min" else "at most"
            raise ConfigError(
                f"decisions.threshold.constraint: no threshold gives {metric} {word} {bound} "
                f"on the validation data; the best achievable is {best:.4f}",
                hint=f"relax decisions.threshold.constraint.{side}_{metric}, or improve the model",
            )
        ok &= meets
    candidates = np.where(ok, costs, np.inf)
    best = np.flatnonzero(candidates == candidates.min())
    return float(GRID[best[np.argmin(np.abs(GRID[best] - 0.5))]])


def regression_loss(policy: DecisionPolicy, y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    kind = str(policy.loss.get("kind", "absolute"))
    r = np.asarray(pred, float) - np.asarray(y, float)
    if kind == "absolute":
        return np.abs(r)
    if kind == "squared":
        return r**2
    if kind == "asymmetric":
        under = _number(policy.loss.get("under", 1.0), "loss.under")
        over = _number(policy.loss.get("over", 1.0), "loss.over")
        return np.where(r < 0, -r * under, r * over)
    raise ConfigError(f"decisions.loss.kind {kind!r} is not absolute, squared or asymmetric")


def _mean_ci(values: np.ndarray, seed: int, n_boot: int = 500) -> list[float]:
    rng = np.random.default_rng(seed)
    means = np.concatenate(
        [
            values[rng.integers(0, len(values), size=(50, len(values)))].mean(axis=1)
            for _ in range(n_boot // 50)
        ]
    )
    return [float(np.percentile(means, 2.5) * 1000), float(np.percentile(means, 97.5) * 1000)]


def assess(
    policy: DecisionPolicy,
    task: str,
    labels: list[Any] | None,
    y_test: np.ndarray,
    pred_test: np.ndarray,
    proba_test: np.ndarray | None,
    val: tuple[np.ndarray, np.ndarray | None] | None = None,
    *,
    seed: int = 0,
) -> dict[str, Any]:
    """Expected cost per 1,000 decisions (with CI), the cost curve and the chosen threshold.

    ``y_test``/``val[0]`` are class positions in ``labels`` for classification."""
    if task != "classification":
        loss = regression_loss(policy, y_test, pred_test)
        return {
            "kind": "regression",
            "loss": policy.loss or {"kind": "absolute"},
            "expected_cost_per_1000": float(loss.mean() * 1000),
            "ci": _mean_ci(loss, seed),
            "decision": {"loss": policy.loss},
        }
    assert labels is not None
    if proba_test is None:
        raise ConfigError(
            "decisions: the model gives no probabilities, so no threshold or "
            "expected cost can be computed",
            hint="use an estimator with predict_proba, or remove the decisions section",
        )
    matrix = cost_matrix(policy, labels)
    if len(labels) == 2:
        return _assess_binary(policy, labels, matrix, y_test, proba_test, val, seed)
    return _assess_multiclass(policy, labels, matrix, y_test, proba_test, seed)


def _assess_binary(
    policy: DecisionPolicy,
    labels: list[Any],
    matrix: np.ndarray,
    y: np.ndarray,
    proba: np.ndarray,
    val: Any,
    seed: int,
) -> dict[str, Any]:
    pos = positive_index(policy, labels)
    chosen_on = "validation"
    if val is not None and val[1] is not None:
        val_curve = curve(policy, matrix, val[0], val[1][:, pos], pos)
    else:
        val_curve, chosen_on = curve(policy, matrix, y, proba[:, pos], pos), "test (no validation)"
    t = choose(policy, val_curve)
    score = proba[:, pos]
    chosen = row_costs(policy, matrix, y, score, t, pos)
    default = row_costs(policy, matrix, y, score, 0.5, pos)
    abstained = (
        np.maximum(score, 1 - score) < policy.abstain_below
        if policy.abstain_below is not None
        else np.zeros(len(y), bool)
    )
    return {
        "kind": "binary",
        "policy": policy.policy,
        "threshold": t,
        "chosen_on": chosen_on,
        "positive": _plain(labels[pos]),
        "expected_cost_per_1000": float(chosen.mean() * 1000),
        "ci": _mean_ci(chosen, seed),
        "cost_at_0_5_per_1000": float(default.mean() * 1000),
        "abstain_share": float(abstained.mean()),
        "curve": curve(policy, matrix, y, score, pos),
        "cost_matrix": {"labels": [_plain(c) for c in labels], "matrix": matrix.tolist()},
        "decision": _record(policy, labels, matrix, t, labels[pos]),
    }


def _assess_multiclass(
    policy: DecisionPolicy,
    labels: list[Any],
    matrix: np.ndarray,
    y: np.ndarray,
    proba: np.ndarray,
    seed: int,
) -> dict[str, Any]:
    if policy.policy == "constraint":
        raise ConfigError(
            "decisions.threshold: a constraint policy needs two classes; this "
            f"model has {len(labels)}",
            hint="use min_cost or fixed",
        )
    yy = np.maximum(y, 0)
    argmax = proba.argmax(axis=1)
    pred = (proba @ matrix).argmin(axis=1) if policy.policy == "min_cost" else argmax
    chosen = matrix[yy, pred]
    abstained = np.zeros(len(y), bool)
    if policy.abstain_below is not None:
        abstained = proba.max(axis=1) < policy.abstain_below
        chosen = np.where(abstained, policy.abstain_cost, chosen)
    return {
        "kind": "multiclass",
        "policy": policy.policy,
        "threshold": None,
        "expected_cost_per_1000": float(chosen.mean() * 1000),
        "ci": _mean_ci(chosen, seed),
        "cost_at_argmax_per_1000": float(matrix[yy, argmax].mean() * 1000),
        "abstain_share": float(abstained.mean()),
        "cost_matrix": {"labels": [_plain(c) for c in labels], "matrix": matrix.tolist()},
        "decision": _record(policy, labels, matrix, None, None),
    }


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _record(
    policy: DecisionPolicy, labels: list[Any], matrix: np.ndarray, t: float | None, positive: Any
) -> dict[str, Any]:
    """What a model version stores and serving applies."""
    return {
        "policy": policy.policy,
        "threshold": t,
        "positive": _plain(positive),
        "classes": [_plain(c) for c in labels],
        "cost_matrix": matrix.tolist(),
        "abstain_below": policy.abstain_below,
        "abstain_cost": policy.abstain_cost,
        "rule": "bayes_min_cost"
        if policy.policy == "min_cost" and t is None
        else "threshold"
        if t is not None
        else "argmax",
    }
