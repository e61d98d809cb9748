"""One column of a window against its reference summary: effect sizes and a two-sample test.

Everything here is computed from a :class:`~fullcycle.monitoring.sketch.ColumnSketch` and the
reference's :class:`~fullcycle.monitoring.reference.Summary`, so the local report and the
distributed one share it. Two tables drive it:

- :data:`STATISTICS`: effect sizes, ``name -> (kinds, function)``. Each is compared with the
  floor of the same name in the drift policy (the smallest change worth an alarm; the
  table holds its default). A new statistic is one function here and one row in the table.
- :data:`TESTS`: per kind, the two-sample test whose p-value says the change is not noise
  (Kolmogorov-Smirnov for numbers, chi-square of homogeneity for categories, a one-sided test
  of the out-of-vocabulary share for text); a change in missing values has its own test.

The row-level evidence (which rows contribute most) needs the raw column and is local only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from fullcycle.monitoring import drift
from fullcycle.monitoring.reference import NUMBER_KINDS, Summary, numeric_array, tokenize

if TYPE_CHECKING:
    import pandas as pd

    from fullcycle.monitoring.sketch import ColumnSketch

CHART_BINS = 40
CHART_CATEGORIES = 20
#: Category cells with fewer values than this (reference and window together) are pooled
#: before the chi-square test, whose approximation needs a few values per cell.
MIN_CELL = 10


@dataclass
class Observation:
    """Effect sizes of one column and the p-value of its tests (before correction)."""

    stats: dict[str, float]
    pvalue: float
    valid: int
    pvalues: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    chart: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pair:
    """What a statistic sees: the reference and window counts on the same cells."""

    summary: Summary
    col: ColumnSketch
    ref: np.ndarray
    cur: np.ndarray
    eps: float
    baseline: float = 0.0


def _group(kind: str) -> str:
    return "number" if kind in NUMBER_KINDS else kind


def _psi(p: Pair) -> float:
    if p.summary.kind not in NUMBER_KINDS:
        return float(drift.psi(p.ref, p.cur, p.eps))
    groups = drift.coarse_groups(p.summary.edges, p.summary.coarse_edges)
    ng = len(p.summary.coarse_edges) + 1
    ref, cur = drift.regroup(p.ref, groups, ng), drift.regroup(p.cur, groups, ng)
    return float(drift.psi(ref, cur, p.eps))


def _wasserstein(p: Pair) -> float:
    s = p.summary
    edges = np.asarray(s.edges)
    dist = drift.wasserstein_from_sketch(edges, p.ref, np.asarray(s.sums), p.cur, p.col.sums)
    return float(dist) / spread(s)


def _missing(p: Pair) -> float:
    s, col = p.summary, p.col
    return abs(drift.missing_change(s.missing + s.nonfinite, s.n, col.n - col.valid, col.n))


class Statistic(NamedTuple):
    """One effect size: the kinds it applies to, how it is computed, its default floor."""

    groups: tuple[str, ...]
    compute: Callable[[Pair], float]
    floor: float


#: name -> Statistic. The name is the statistic's name in reports, in the drift policy and in
#: fullcycle.yaml's ``monitoring.thresholds`` (its floor). A new statistic is one row here.
STATISTICS: dict[str, Statistic] = {
    "psi": Statistic(("number", "categorical"), _psi, 0.2),
    "ks": Statistic(("number",), lambda p: float(drift.ks_from_counts(p.ref, p.cur)), 0.1),
    "wasserstein": Statistic(("number",), _wasserstein, 0.1),
    "jensenshannon": Statistic(
        ("categorical",), lambda p: float(drift.jensenshannon(p.ref, p.cur, 2)), 0.1
    ),
    "unseen_share": Statistic(("categorical",), lambda p: float(drift.shares(p.cur)[-1]), 0.05),
    "oov_increase": Statistic(
        ("text",), lambda p: max(float(drift.shares(p.cur)[-1]) - p.baseline, 0.0), 0.05
    ),
}
#: The floor of the change in the share of missing values (every kind has it).
MISSING_FLOOR = 0.05


def _ks_test(p: Pair) -> float:
    d = float(drift.ks_from_counts(p.ref, p.cur))
    return drift.ks_pvalue_fast(d, int(p.ref.sum()), int(p.cur.sum()))


def _chi2_test(p: Pair) -> float:
    both = p.ref + p.cur
    small = both < MIN_CELL
    ref = np.append(p.ref[~small], p.ref[small].sum())
    cur = np.append(p.cur[~small], p.cur[small].sum())
    return drift.chi2_homogeneity(ref, cur).pvalue


def _oov_test(p: Pair) -> float:
    """Is the out-of-vocabulary share above what the reference leads us to expect (its
    Good-Turing unseen mass)? Texts, not tokens, are the sample size: the tokens of one text
    are not independent, and counting them as such raises alarms on every window."""
    share = float(drift.shares(p.cur)[-1])
    rows = float(max(p.col.valid, 1))
    return drift.excess_share_pvalue(share * rows, rows, p.baseline)


#: kind group -> (test name, p-value of a Pair): is the distribution different at all?
TESTS: dict[str, tuple[str, Callable[[Pair], float]]] = {
    "number": ("ks", _ks_test),
    "categorical": ("chisquare", _chi2_test),
    "text": ("oov", _oov_test),
}


def observe(summary: Summary, col: ColumnSketch, eps: float = drift.EPSILON) -> Observation:
    """Effect sizes and tests of one column of the window against its reference summary."""
    pair = _pair(summary, col, eps)
    stats: dict[str, float] = {}
    pvalues: dict[str, float] = {}
    info: dict[str, Any] = {}
    chart: dict[str, Any] = {}
    if pair is not None:
        group = _group(summary.kind)
        stats = {k: st.compute(pair) for k, st in STATISTICS.items() if group in st.groups}
        name, test = TESTS[group]
        pvalues[name] = test(pair)
        info, chart = _info(pair), _chart(pair)
    miss = Pair(summary, col, np.zeros(0), np.zeros(0), eps)
    stats["missing_change"] = _missing(miss)
    ref_bad, cur_bad = summary.missing + summary.nonfinite, col.n - col.valid
    pvalues["missing"] = drift.two_proportion_pvalue(ref_bad, summary.n, cur_bad, col.n)
    info["missing_share"] = cur_bad / col.n if col.n else 0.0
    info["missing_share_reference"] = ref_bad / summary.n if summary.n else 0.0
    info |= {f"{k}_pvalue": v for k, v in pvalues.items()}
    # Bonferroni within the feature: it drifts if either of its tests says so
    pvalue = min(1.0, min(pvalues.values()) * len(pvalues))
    return Observation(stats, pvalue, col.valid, pvalues, info, chart)


def _pair(summary: Summary, col: ColumnSketch, eps: float) -> Pair | None:
    if summary.kind in NUMBER_KINDS:
        if col.valid == 0 or not summary.edges or col.counts.size == 0:
            return None
        return Pair(summary, col, np.asarray(summary.counts, np.float64), col.counts, eps)
    ref, cur = category_vectors(summary, col.values)
    if cur.sum() == 0 or ref.sum() == 0:
        return None
    baseline = float(_null_shares(ref, summary.singletons)[-1])
    return Pair(summary, col, ref, cur, eps, baseline)


def category_vectors(summary: Summary, values: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Reference and window counts over [reference categories..., other/unseen]."""
    known = set(summary.categories)
    cur = [values.get(c, 0.0) for c in summary.categories]
    unseen = sum(v for k, v in values.items() if k not in known)
    ref = np.append(np.asarray(summary.counts, dtype=np.float64), summary.other)
    return ref, np.append(np.asarray(cur, dtype=np.float64), float(unseen))


def _null_shares(ref: np.ndarray, singletons: int) -> np.ndarray:
    """Reference shares with the Good-Turing unseen mass added to the last (unseen) cell."""
    p = ref.copy()
    p[-1] += singletons
    return p / p.sum()


def _unseen(pair: Pair, top: int = 10) -> list[tuple[str, int]]:
    known = set(pair.summary.categories)
    new = [(k, v) for k, v in pair.col.values.items() if k not in known]
    new.sort(key=lambda kv: (-kv[1], kv[0]))
    return [(str(k), int(v)) for k, v in new[:top]]


def _info(pair: Pair) -> dict[str, Any]:
    s, col = pair.summary, pair.col
    if s.kind in NUMBER_KINDS:
        return {"mean": col.mean, "mean_reference": s.mean, "std": col.std, "std_reference": s.std}
    if s.kind == "categorical":
        return {"top_unseen": _unseen(pair)}
    n_distinct = len(col.values)
    new = len(_unseen(pair, top=n_distinct))
    return {
        "oov_rate": float(drift.shares(pair.cur)[-1]),
        "oov_rate_expected": pair.baseline,
        "new_token_share": new / n_distinct if n_distinct else 0.0,
        "top_new_tokens": _unseen(pair),
    }


def spread(summary: Summary) -> float:
    """The reference's spread used to normalise Wasserstein: std, or |mean| (at least 1)."""
    return summary.std if summary.std > 0 else max(abs(summary.mean), 1.0)


# ---------------------------------------------------------------- charts


def _chart(pair: Pair) -> dict[str, Any]:
    s = pair.summary
    if s.kind in NUMBER_KINDS:
        return numeric_chart(s, pair.col)
    last = "unseen" if s.kind == "categorical" else "out of vocabulary"
    return _category_chart(s.categories, pair.ref, pair.cur, last)


def numeric_chart(summary: Summary, col: ColumnSketch) -> dict[str, Any]:
    """Shares on a uniform grid over the reference's range, read off the fine sketches, and
    the overflow bins: window values below the reference's minimum and above its maximum."""
    edges = np.asarray(summary.edges)
    counts = col.counts
    grid = np.linspace(edges[0], edges[-1], CHART_BINS + 1)
    n = max(float(counts.sum()), 1.0)
    inside = counts.copy()
    inside[0] -= col.below  # bin 0 holds values <= min: keep only those equal to it
    inside[-1] = 0.0  # the last bin holds values above the maximum
    below, above = float(col.below), float(counts[-1])
    return {
        "type": "numeric",
        "x": ((grid[:-1] + grid[1:]) / 2).tolist(),
        "reference": np.diff(_sketch_cdf(edges, np.asarray(summary.counts), grid)).tolist(),
        "current": (np.diff(_sketch_cdf(edges, inside, grid)) * inside.sum() / n).tolist(),
        "overflow": {
            "min": float(edges[0]),
            "max": float(edges[-1]),
            "below": int(below),
            "above": int(above),
            "below_share": below / n,
            "above_share": above / n,
        },
    }


def _sketch_cdf(edges: np.ndarray, counts: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """CDF at ``grid`` from fine counts (linear within bins)."""
    total = max(counts.sum(), 1.0)
    cdf = np.interp(grid, edges, np.cumsum(counts)[:-1] / total)
    cdf[0], cdf[-1] = 0.0, 1.0
    return cdf


def _category_chart(labels: list[str], ref: np.ndarray, cur: np.ndarray, last: str) -> dict:
    top = np.argsort(-ref[:-1], kind="stable")[:CHART_CATEGORIES]
    return {
        "type": "categorical",
        "x": [labels[i] for i in top] + [f"({last})"],
        "reference": np.append(drift.shares(ref)[top], drift.shares(ref)[-1]).tolist(),
        "current": np.append(drift.shares(cur)[top], drift.shares(cur)[-1]).tolist(),
    }


# ---------------------------------------------------------------- rows (local only)


def numeric_rows(summary: Summary, series: pd.Series, limit: int, eps: float) -> np.ndarray:
    """Positions of rows in the most over-represented decile bins, farthest from the mean."""
    values = numeric_array(series, summary.kind)
    finite = np.flatnonzero(np.isfinite(values))
    if finite.size == 0 or not summary.coarse_edges:
        return np.flatnonzero(~np.isfinite(values))[:limit]
    coarse = np.asarray(summary.coarse_edges)
    bins = np.searchsorted(coarse, values[finite], side="left")
    groups = drift.coarse_groups(summary.edges, coarse)
    ref = drift.shares(drift.regroup(summary.counts, groups, coarse.size + 1))
    cur = np.bincount(bins, minlength=coarse.size + 1) / finite.size
    ratio = np.maximum(cur, eps) / np.maximum(ref, eps)
    picked: list[np.ndarray] = []
    for b in np.argsort(-ratio, kind="stable"):
        if ratio[b] <= 1.0 or sum(p.size for p in picked) >= limit:
            break
        rows = finite[bins == b]
        dist = np.abs(values[rows] - summary.mean)
        take = min(limit, rows.size)
        top = np.argpartition(-dist, take - 1)[:take]
        picked.append(rows[top[np.argsort(-dist[top], kind="stable")]])
    return np.concatenate(picked)[:limit] if picked else np.zeros(0, dtype=np.intp)


def categorical_rows(summary: Summary, series: pd.Series, limit: int, eps: float) -> np.ndarray:
    """Positions of rows with unseen categories first, then the most over-represented ones."""
    import pandas as pd

    local, uniques = pd.factorize(series, use_na_sentinel=True)
    names = pd.Index(uniques).map(str)
    lookup = np.append(pd.Index(summary.categories).get_indexer(names), -2)
    codes = lookup[local]  # -1 unseen, -2 missing (factorize's sentinel -1 picks the -2)
    unseen = np.flatnonzero(codes == -1)
    seen = np.flatnonzero(codes >= 0)
    ref = np.maximum(drift.shares(summary.counts), eps)
    cur = np.bincount(codes[seen], minlength=len(summary.categories)) / max(int(local.size), 1)
    ratio = np.maximum(cur, eps) / ref
    over = seen[ratio[codes[seen]] > 1.0]
    over = over[np.argsort(-ratio[codes[over]], kind="stable")[:limit]]
    return np.concatenate([unseen[:limit], over])[:limit]


def text_rows(summary: Summary, series: pd.Series, limit: int) -> np.ndarray:
    """Positions of rows with the most tokens outside the reference vocabulary."""
    tokens = tokenize(series)
    if tokens.empty:
        return np.zeros(0, dtype=np.intp)
    new = (~tokens.isin(summary.categories)).groupby(level=0).sum()
    new = new[new > 0].sort_values(ascending=False, kind="stable")
    return new.index.to_numpy(dtype=np.intp)[:limit]


def _domain_auc(summary: Summary, series: pd.Series, seed: int) -> float | None:
    from fullcycle.monitoring.domain import MIN_SAMPLES, text_domain_auc

    present = series.dropna().astype(str)
    if len(present) > len(summary.sample):
        present = present.sample(n=len(summary.sample), random_state=seed)
    if min(len(present), len(summary.sample)) < MIN_SAMPLES:
        return None
    return text_domain_auc(summary.sample, present.tolist(), seed=seed)
