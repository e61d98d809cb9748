"""The promotion gate: is the challenger better than the champion on the same recent rows?

Pure functions (numpy and scipy, no I/O): the loop's controller gathers the rows, this decides.
Paired tests compare the two models on the same rows: McNemar on per-row correctness, or a
paired bootstrap of the difference in the scope metric. With ``gate.compare_on: cost`` the
gate compares expected cost per 1,000 decisions instead (:func:`cost_gate`, a paired bootstrap
of per-row costs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from scipy import stats

from fullcycle import metric_table
from fullcycle.errors import InsufficientData, InvalidInput
from fullcycle.loop import sequential

#: the sequential test asks for more rows only while they are at most this many times the rows
#: it has (the evidence is close); beyond that the challenger is refused as not worth the labels
MAX_GROWTH = 6.0
#: the sequential boundary is tightest near this many rows at least (or gate.min_samples)
TUNED_MIN = 100
#: an anytime-valid test may look from this many rows on: a large gain is proven early, and a
#: small one asks for more rows, up to what ``gate.min_samples`` and ``MAX_GROWTH`` allow
SEQUENTIAL_FIRST_LOOK = 50


def rows_to_look(test: str, min_samples: int) -> int:
    """Held-out rows the gate needs before it decides anything: ``gate.min_samples`` for a
    fixed-sample test; for the sequential one, which stays valid however often it looks, the
    first look comes at :data:`SEQUENTIAL_FIRST_LOOK` rows (labels are bought, not free)."""
    if test == "sequential":
        return min(min_samples, SEQUENTIAL_FIRST_LOOK)
    return min_samples


def prepare(metric: str, y: Any, *preds: Any) -> tuple[Any, list[Any]]:
    """Labels and predictions in one comparable form: floats for a regression metric, class
    keys for a classification metric (``1``, ``1.0`` and ``"1"`` agree)."""
    if metric_table.get(metric).task == "regression":
        try:
            return np.asarray(y, dtype=float), [np.asarray(p, dtype=float) for p in preds]
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                f"gate on {metric}: a label or prediction is not a number: {exc}"
            ) from None
    return metric_table.class_keys(y), [metric_table.class_keys(p) for p in preds]


def score(metric: str, y: Any, pred: Any, proba: Any = None, labels: Any = None) -> float:
    """The metric on these rows (NaN when it cannot be computed, e.g. ROC AUC on one class)."""
    yy, (pp,) = prepare(metric, y, pred)
    keys = None if labels is None else list(metric_table.class_keys(labels))
    value = metric_table.value(metric, yy, pp, proba, keys)
    return float("nan") if value is None else value


def _gain(metric: str, new: float, old: float) -> float:
    """How much better ``new`` is than ``old`` in the metric's direction."""
    return -metric_table.worse_by(metric, new, old)


@dataclass(frozen=True)
class McNemar:
    champion_only: int  # rows the champion got right and the challenger wrong
    challenger_only: int
    p_value: float


def mcnemar(y: Any, champion: Any, challenger: Any) -> McNemar:
    """McNemar's test on discordant pairs: exact binomial below 25, chi-square (corrected) above."""
    yc, (a, b) = prepare("accuracy", y, champion, challenger)
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
    delta: float  # challenger minus champion, in the metric's direction (>0: challenger better)
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
    champion_proba: Any = None,
    challenger_proba: Any = None,
    labels: Any = None,
) -> Bootstrap:
    """Both models scored on the same resamples of rows; any metric of the table."""
    yc, (a, b) = prepare(metric, y, champion, challenger)
    keys = None if labels is None else list(metric_table.class_keys(labels))
    if metric_table.get(metric).confusion is None and metric_table.get(metric).loss is None:
        n_boot = min(n_boot, 300)  # resampled one by one
    idx = np.random.default_rng(seed).integers(0, len(yc), size=(n_boot, len(yc)))
    da = metric_table.resampled(metric, yc, a, champion_proba, keys, idx)
    db = metric_table.resampled(metric, yc, b, challenger_proba, keys, idx)
    sign = 1.0 if metric_table.get(metric).greater_is_better else -1.0
    diff = sign * (np.asarray(db, float) - np.asarray(da, float))
    diff = diff[np.isfinite(diff)]
    old = metric_table.value(metric, yc, a, champion_proba, keys)
    new = metric_table.value(metric, yc, b, challenger_proba, keys)
    delta = math.nan if old is None or new is None else _gain(metric, new, old)
    if len(diff) == 0:
        return Bootstrap(delta, -math.inf, math.inf, 1.0)
    tail = (1 - confidence) / 2
    return Bootstrap(
        delta=delta,
        low=float(np.quantile(diff, tail)),
        high=float(np.quantile(diff, 1 - tail)),
        p_value=float((diff <= 0).mean()),
    )


class GateVerdict(StrEnum):
    """The gate's answer; a ``str`` so stored JSON and comparisons with ``"pass"`` still work."""

    PASS = "pass"
    REFUSE = "refuse"
    UNDECIDED = "undecided"  # the sequential test wants more rows


@dataclass(frozen=True)
class GateResult:
    passed: bool
    reasons: list[str]
    numbers: dict[str, Any] = field(default_factory=dict)
    verdict: GateVerdict = GateVerdict.REFUSE

    @property
    def undecided(self) -> bool:
        return self.verdict is GateVerdict.UNDECIDED


def loss_margin(metric: str, margin: float, y: Any, old: float) -> float:
    """The metric's margin in units of its per-row loss: equal for mean losses, scaled by the
    labels' variance for R², through the champion's error for RMSE."""
    if metric == "r2":
        return margin * float(np.var(np.asarray(y, dtype=float)))
    if metric == "rmse":
        return math.inf if old <= margin else old**2 - (old - margin) ** 2
    return margin


def gate(
    y: Any,
    champion: Any | None,
    challenger: Any,
    *,
    metric: str = "f1_macro",
    goal: float | None = None,
    margin: float = 0.0,
    test: str = "sequential",
    alpha: float = 0.05,
    min_rows: int = 100,
    seed: int = 0,
    champion_proba: Any = None,
    challenger_proba: Any = None,
    labels: Any = None,
    look: int = 1,
    tuned_for: int | None = None,
) -> GateResult:
    """Decide whether ``challenger`` may replace ``champion`` on the labelled rows ``y``.

    The challenger must meet the goal, unless the champion misses it too on these rows: then
    beating the champion (by the margin, significantly) is enough, because refusing it would
    leave the worse model serving. ``test: sequential`` may answer "undecided" with the rows it
    would need (``numbers["rows_needed"]``); ``look`` counts the times this same pair was gated,
    so a test that is not anytime-valid spends its alpha across looks; ``tuned_for``: the rows
    the sequential boundary is tightest at (default: ``min_rows``, at least ``TUNED_MIN``)."""
    n = len(y)
    if n < min_rows:
        raise InsufficientData(
            f"insufficient data for the gate: {n} labelled rows, need {min_rows}"
        )
    if test not in TESTS:
        raise InvalidInput(f"gate.test {test!r} is not one of {', '.join(TESTS)}")
    probas = {"champion_proba": champion_proba, "challenger_proba": challenger_proba}
    new = score(metric, y, challenger, challenger_proba, labels)
    numbers: dict[str, Any] = {
        "rows": n, "metric": metric, "challenger": new, "goal": goal, "margin": margin,
        "test": test, "alpha": alpha,
    }  # fmt: skip
    reasons: list[str] = []
    ok = True
    old = score(metric, y, champion, champion_proba, labels) if champion is not None else None
    meets = (lambda v: metric_table.meets(metric, v, goal)) if goal is not None else None
    if meets is not None and not meets(new) and (old is None or meets(old)):
        ok = False
        reasons.append(f"challenger {metric} {new:.4f} misses the goal {goal:.4f}")
    if champion is None or old is None:
        if ok:
            reasons.append(f"challenger {metric} {new:.4f} passes on {n} rows")
        return GateResult(ok, reasons, numbers, GateVerdict.PASS if ok else GateVerdict.REFUSE)
    numbers["champion"] = old
    if meets is not None and not meets(new) and not meets(old):
        reasons.append(
            f"both miss the goal {goal:.4f}: the challenger only has to beat the champion"
        )
    found = _compare(
        test,
        metric,
        y,
        champion,
        challenger,
        margin,
        alpha,
        seed,
        (look, max(min_rows, TUNED_MIN) if tuned_for is None else tuned_for),
        probas,
        labels,
    )
    verdict, why, more = found
    numbers.update(more)
    if _gain(metric, new, old) < margin and verdict is not GateVerdict.UNDECIDED:
        verdict = GateVerdict.REFUSE
        why = (
            f"challenger {metric} {new:.4f} does not beat champion {old:.4f} by the margin "
            f"{margin:.4f} on the same {n} rows"
        )
    if not ok:
        verdict = GateVerdict.REFUSE
    elif verdict is GateVerdict.PASS:
        why = f"challenger {metric} {new:.4f} beats champion {old:.4f} on {n} rows ({why})"
    reasons.append(why)
    return GateResult(verdict is GateVerdict.PASS, reasons, numbers, verdict)


TESTS = ("sequential", "paired_bootstrap", "mcnemar")


def _compare(
    test: str, metric: str, y: Any, champion: Any, challenger: Any, margin: float, alpha: float,
    seed: int, looks: tuple[int, int], probas: dict[str, Any], labels: Any,
) -> tuple[GateVerdict, str, dict[str, Any]]:  # fmt: skip
    """(pass | refuse | undecided, the sentence, the numbers) for one paired test; ``looks`` is
    (this look's number, the rows the sequential boundary is tuned for, fixed by the policy)."""
    look, tuned_for = looks
    if test == "mcnemar":
        mc = mcnemar(y, champion, challenger)
        nums: dict[str, Any] = {
            "champion_only": mc.champion_only,
            "challenger_only": mc.challenger_only,
            "p_value": mc.p_value,
        }
        if mc.challenger_only > mc.champion_only and mc.p_value < alpha:
            return GateVerdict.PASS, f"mcnemar p={mc.p_value:.3g}", nums
        return GateVerdict.REFUSE, _not_significant("mcnemar", mc.p_value, alpha), nums
    yc, (a, b) = prepare(metric, y, champion, challenger)
    keys = None if labels is None else list(metric_table.class_keys(labels))
    la = metric_table.row_losses(metric, yc, a, probas["champion_proba"], keys)
    lb = metric_table.row_losses(metric, yc, b, probas["challenger_proba"], keys)
    if test == "sequential" and la is not None and lb is not None:
        old = metric_table.value(metric, yc, a, probas["champion_proba"], keys) or 0.0
        return _sequential(np.asarray(la) - np.asarray(lb), loss_margin(metric, margin, yc, old),
                           alpha, tuned_for)  # fmt: skip
    spent = alpha if test == "paired_bootstrap" else alpha * 6 / (math.pi**2 * look**2)
    bs = paired_bootstrap(metric, y, champion, challenger, seed=seed, confidence=1 - 2 * spent,
                          labels=labels, **probas)  # fmt: skip
    nums = {
        "delta": bs.delta, "ci": [bs.low, bs.high], "p_value": bs.p_value, "alpha_spent": spent
    }  # fmt: skip
    if bs.p_value < spent:
        return GateVerdict.PASS, f"paired bootstrap p={bs.p_value:.3g}", nums
    if test == "sequential" and bs.high > margin:
        gap, half = bs.delta - margin, (bs.high - bs.low) / 2
        need = len(y) * (half / gap) ** 2 if gap > 0 else math.inf  # width shrinks as 1/sqrt(n)
        nums["rows_needed"] = None if math.isinf(need) else int(need) + 1
        if need <= MAX_GROWTH * len(y):
            why = f"paired bootstrap p={bs.p_value:.3g}: undecided, look again"
            return GateVerdict.UNDECIDED, why, nums
        return GateVerdict.REFUSE, _not_significant("paired_bootstrap", bs.p_value, spent), nums
    return GateVerdict.REFUSE, _not_significant("paired_bootstrap", bs.p_value, spent), nums


def _sequential(
    diffs: Any, margin: float, alpha: float, tuned_for: int
) -> tuple[GateVerdict, str, dict[str, Any]]:
    cs = sequential.confidence_sequence(diffs, alpha=alpha, margin=margin, tuned_for=tuned_for)
    n = cs.n
    nums = {"loss_delta": cs.mean, "cs": [cs.low, cs.high], "loss_margin": margin,
            "rows_needed": None if math.isinf(cs.rows_needed) else int(cs.rows_needed)}  # fmt: skip
    where = (
        f"mean loss gain {cs.mean:.4g}, {1 - alpha:.0%} confidence sequence "
        f"[{cs.low:.4g}, {cs.high:.4g}]"
    )
    if n >= sequential.MIN_ROWS and cs.low > margin:
        return GateVerdict.PASS, where, nums
    if cs.high < margin:
        return GateVerdict.REFUSE, f"challenger is not better: {where}", nums
    if n >= tuned_for and cs.rows_needed > MAX_GROWTH * n:
        need = "never" if math.isinf(cs.rows_needed) else f"about {int(cs.rows_needed)} rows"
        return GateVerdict.REFUSE, f"the gain is too small to prove ({need} needed; {where})", nums
    return (
        GateVerdict.UNDECIDED,
        f"undecided after {n} rows, about {_rows(cs.rows_needed)} needed ({where})",
        nums,
    )


def _rows(n: float) -> str:
    return "more" if math.isinf(n) else str(int(n))


def _not_significant(test: str, p: float, alpha: float) -> str:
    return f"not significant ({test} p={p:.3g} >= {alpha:.3g})"


def paired_cost_bootstrap(
    champion_costs: Any,
    challenger_costs: Any,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Bootstrap:
    """Paired bootstrap of the difference in expected cost per 1,000 decisions on the same rows.

    ``delta`` is challenger minus champion (negative: the challenger is cheaper); ``p_value`` is
    the share of resamples where the challenger is not cheaper."""
    a = np.asarray(champion_costs, dtype=float)
    b = np.asarray(challenger_costs, dtype=float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), size=(n_boot, len(a)))
    diff = (b[idx].mean(axis=1) - a[idx].mean(axis=1)) * 1000
    tail = (1 - confidence) / 2
    return Bootstrap(
        delta=float((b.mean() - a.mean()) * 1000),
        low=float(np.quantile(diff, tail)),
        high=float(np.quantile(diff, 1 - tail)),
        p_value=float((diff >= 0).mean()),
    )


def cost_gate(
    champion_costs: Any | None,
    challenger_costs: Any,
    *,
    limit: float | None = None,
    margin: float = 0.0,
    alpha: float = 0.05,
    min_rows: int = 100,
    seed: int = 0,
) -> GateResult:
    """The gate on expected cost (``gate.compare_on: cost``): per-row costs of each version's
    decisions on the same labelled rows; lower is better.

    The challenger must stay within ``limit`` (the scope's ``max_cost_per_1000``) unless the
    champion exceeds it too, and cost less than the champion by ``margin`` (per 1,000),
    significantly (paired bootstrap). Rows either cost is unknown for (NaN) are left out."""
    new_all = np.asarray(challenger_costs, dtype=float)
    keep = np.isfinite(new_all)
    old_all = None
    if champion_costs is not None:
        old_all = np.asarray(champion_costs, dtype=float)
        keep &= np.isfinite(old_all)
    n = int(keep.sum())
    if n < min_rows:
        raise InsufficientData(
            f"insufficient data for the cost gate: {n} labelled rows with known costs, "
            f"need {min_rows}"
        )
    new_rows = new_all[keep]
    new = float(new_rows.mean() * 1000)
    numbers: dict[str, Any] = {
        "rows": n,
        "compare_on": "cost",
        "challenger_cost_per_1000": new,
        "limit": limit,
        "margin": margin,
        "test": "paired_bootstrap",
        "alpha": alpha,
    }
    reasons: list[str] = []
    ok = True
    old = None if old_all is None else float(old_all[keep].mean() * 1000)
    if limit is not None and new > limit and (old is None or old <= limit):
        ok = False
        reasons.append(f"challenger cost {new:.1f} per 1,000 is above the limit {limit:g}")
    if old_all is not None and old is not None:
        numbers["champion_cost_per_1000"] = old
        bs = paired_cost_bootstrap(old_all[keep], new_rows, seed=seed)
        numbers.update(delta=bs.delta, ci=[bs.low, bs.high], p_value=bs.p_value)
        if old - new < margin:
            ok = False
            reasons.append(
                f"challenger cost {new:.1f} per 1,000 does not undercut champion {old:.1f} by "
                f"the margin {margin:g} on the same {n} rows"
            )
        elif bs.p_value >= alpha:
            ok = False
            reasons.append(
                f"challenger cost {new:.1f} vs champion {old:.1f} per 1,000: not significant "
                f"(paired bootstrap p={bs.p_value:.3g} >= {alpha})"
            )
    if ok:
        versus = "" if old is None else f" against the champion's {old:.1f}"
        reasons.append(f"challenger cost {new:.1f} per 1,000 decisions{versus} passes on {n} rows")
    return GateResult(
        passed=ok,
        reasons=reasons,
        numbers=numbers,
        verdict=GateVerdict.PASS if ok else GateVerdict.REFUSE,
    )
