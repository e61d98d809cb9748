"""The promotion gate: is the challenger better than the champion on the same recent rows?

Pure functions (numpy and scipy, no I/O): the loop's controller gathers the rows, this decides.
Paired tests compare the two models on the same rows: McNemar on per-row correctness, or a
paired bootstrap of the difference in the scope metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from fullcycle.errors import InsufficientData, InvalidInput

METRICS = ("accuracy", "f1_macro")


def _encode(y: Any, *preds: Any) -> tuple[np.ndarray, list[np.ndarray], int]:
    labels = np.asarray(y, dtype=object)
    classes, codes = np.unique(
        np.concatenate([labels, *[np.asarray(p, dtype=object) for p in preds]]).astype(str),
        return_inverse=True,
    )
    n = len(labels)
    parts = [codes[i * n : (i + 1) * n] for i in range(1 + len(preds))]
    return parts[0], parts[1:], len(classes)


def _weighted_metric(
    metric: str, y: np.ndarray, p: np.ndarray, k: int, w: np.ndarray
) -> np.ndarray:
    """The metric for each row of bootstrap weights ``w`` (shape: samples x rows)."""
    if metric == "accuracy":
        return (w * (y == p)).sum(axis=1) / w.sum(axis=1)
    # macro-F1 over the classes present in y (as scikit-learn with labels=None does, roughly)
    out = np.empty(w.shape[0])
    for i, weights in enumerate(w):
        cm = np.bincount(y * k + p, weights=weights, minlength=k * k).reshape(k, k)
        tp = np.diag(cm)
        support, predicted = cm.sum(axis=1), cm.sum(axis=0)
        denom = support + predicted
        f1 = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)
        present = (support + predicted) > 0
        out[i] = f1[present].mean() if present.any() else 0.0
    return out


def score(metric: str, y: Any, pred: Any) -> float:
    if metric not in METRICS:
        raise InvalidInput(f"gate metric {metric!r} is not one of {', '.join(METRICS)}")
    yc, (pc,), k = _encode(y, pred)
    return float(_weighted_metric(metric, yc, pc, k, np.ones((1, len(yc))))[0])


@dataclass(frozen=True)
class McNemar:
    champion_only: int  # rows the champion got right and the challenger wrong
    challenger_only: int
    p_value: float


def mcnemar(y: Any, champion: Any, challenger: Any) -> McNemar:
    """McNemar's test on discordant pairs: exact binomial below 25, chi-square (corrected) above."""
    yc, (a, b), _ = _encode(y, champion, challenger)
    a_ok, b_ok = a == yc, b == yc
    n01 = int((a_ok & ~b_ok).sum())
    n10 = int((~a_ok & b_ok).sum())
    n = n01 + n10
    if n == 0:
        p = 1.0
    elif n < 25:
        p = float(stats.binomtest(min(n01, n10), n, 0.5).pvalue)
    else:
        chi2 = (abs(n01 - n10) - 1) ** 2 / n
        p = float(stats.chi2.sf(chi2, 1))
    return McNemar(champion_only=n01, challenger_only=n10, p_value=p)


@dataclass(frozen=True)
class Bootstrap:
    delta: float  # challenger minus champion
    low: float
    high: float
    p_value: float  # one-sided: share of resamples where the challenger is not better


def paired_bootstrap(
    metric: str,
    y: Any,
    champion: Any,
    challenger: Any,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Bootstrap:
    yc, (a, b), k = _encode(y, champion, challenger)
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(len(yc), np.full(len(yc), 1 / len(yc)), size=n_boot).astype(float)
    da = _weighted_metric(metric, yc, a, k, weights)
    db = _weighted_metric(metric, yc, b, k, weights)
    diff = db - da
    full = np.ones((1, len(yc)))
    delta = float(
        _weighted_metric(metric, yc, b, k, full)[0] - _weighted_metric(metric, yc, a, k, full)[0]
    )
    tail = (1 - confidence) / 2
    return Bootstrap(
        delta=delta,
        low=float(np.quantile(diff, tail)),
        high=float(np.quantile(diff, 1 - tail)),
        p_value=float((diff <= 0).mean()),
    )


@dataclass(frozen=True)
class GateResult:
    passed: bool
    reasons: list[str]
    numbers: dict[str, Any] = field(default_factory=dict)


def gate(
    y: Any,
    champion: Any | None,
    challenger: Any,
    *,
    metric: str = "f1_macro",
    goal: float | None = None,
    margin: float = 0.0,
    test: str = "paired_bootstrap",
    alpha: float = 0.05,
    min_rows: int = 100,
    seed: int = 0,
) -> GateResult:
    """Decide whether ``challenger`` may replace ``champion`` on the labelled rows ``y``.

    The challenger must meet the goal, unless the champion misses it too on these rows: then
    beating the champion (by the margin, significantly) is enough, because refusing it would
    leave the worse model serving."""
    n = len(y)
    if n < min_rows:
        raise InsufficientData(
            f"insufficient data for the gate: {n} labelled rows, need {min_rows}"
        )
    if test not in ("paired_bootstrap", "mcnemar"):
        raise InvalidInput(f"gate.test {test!r} is not one of paired_bootstrap, mcnemar")
    new = score(metric, y, challenger)
    numbers: dict[str, Any] = {
        "rows": n,
        "metric": metric,
        "challenger": new,
        "goal": goal,
        "margin": margin,
        "test": test,
        "alpha": alpha,
    }
    reasons: list[str] = []
    ok = True
    old = score(metric, y, champion) if champion is not None else None
    if goal is not None and new < goal and (old is None or old >= goal):
        ok = False
        reasons.append(f"challenger {metric} {new:.4f} misses the goal {goal:.4f}")
    if champion is not None and old is not None:
        numbers["champion"] = old
        if goal is not None and new < goal and old < goal:
            reasons.append(
                f"both miss the goal {goal:.4f}: the challenger only has to beat the champion"
            )
        if test == "mcnemar":
            mc = mcnemar(y, champion, challenger)
            numbers.update(
                champion_only=mc.champion_only,
                challenger_only=mc.challenger_only,
                p_value=mc.p_value,
            )
            significant = mc.challenger_only > mc.champion_only and mc.p_value < alpha
        else:
            bs = paired_bootstrap(metric, y, champion, challenger, seed=seed)
            numbers.update(delta=bs.delta, ci=[bs.low, bs.high], p_value=bs.p_value)
            significant = bs.p_value < alpha
        if new - old < margin:
            ok = False
            reasons.append(
                f"challenger {metric} {new:.4f} does not beat champion {old:.4f} by the margin "
                f"{margin:.4f} on the same {n} rows"
            )
        elif not significant:
            ok = False
            reasons.append(
                f"challenger {new:.4f} vs champion {old:.4f}: not significant "
                f"({test} p={numbers['p_value']:.3g} >= {alpha})"
            )
    if ok:
        reasons.append(f"challenger {metric} {new:.4f} passes on {n} rows")
    return GateResult(passed=ok, reasons=reasons, numbers=numbers)
