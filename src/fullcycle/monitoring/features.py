"""One column of a window against its reference summary: statistics, no-drift replicates, rows.

For each kind, :func:`observe` computes the verdict statistics on the window and the same
statistics on ``B`` simulated windows of the same size drawn from the reference sketch (and,
unless the reference is much larger than the window, a simulated reference of the reference's
size), which is the no-drift distribution used to calibrate thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fullcycle.monitoring import drift
from fullcycle.monitoring.reference import (
    NUMBER_KINDS,
    Summary,
    category_counts,
    numeric_array,
    numeric_values,
    tokenize,
)

if TYPE_CHECKING:
    import pandas as pd

#: The reference is treated as exact (not resampled) when it is this many times the window.
EXACT_REFERENCE_RATIO = 50
#: Above this effective window size the no-drift counts are drawn from a Gaussian.
GAUSSIAN_FROM = 20_000
CHART_BINS = 40
CHART_CATEGORIES = 20


@dataclass
class Observation:
    """Statistics of one column of the window; ``null`` holds their no-drift replicates."""

    stats: dict[str, float]
    null: dict[str, np.ndarray]
    valid: int
    info: dict[str, Any] = field(default_factory=dict)
    chart: dict[str, Any] = field(default_factory=dict)


def observe(
    summary: Summary, series: pd.Series, policy: dict[str, Any], rng: np.random.Generator
) -> Observation:
    """Compare one column of the window with its reference summary."""
    if summary.kind in NUMBER_KINDS:
        obs = _numeric(summary, series, policy, rng)
    elif summary.kind == "categorical":
        obs = _categorical(summary, series, policy, rng)
    else:
        obs = _text(summary, series, policy, rng)
    _add_missing(obs, summary, series, int(policy["bootstrap"]), rng)
    return obs


def _add_missing(
    obs: Observation, summary: Summary, series: pd.Series, b: int, rng: np.random.Generator
) -> None:
    n = len(series)
    ref_bad = summary.missing + summary.nonfinite
    cur_bad = n - obs.valid
    obs.stats["missing_change"] = abs(drift.missing_change(ref_bad, summary.n, cur_bad, n))
    obs.info["missing_share"] = cur_bad / n if n else 0.0
    obs.info["missing_share_reference"] = ref_bad / summary.n if summary.n else 0.0
    p = ref_bad / summary.n if summary.n else 0.0
    sim = rng.binomial(max(n, 1), p, size=b) / max(n, 1)
    ref = _resample_share(summary.n, n, p, b, rng)
    obs.null["missing_change"] = np.abs(sim - ref)


def _resample_share(n_ref: int, n_cur: int, p: float, b: int, rng: np.random.Generator) -> Any:
    if n_ref >= EXACT_REFERENCE_RATIO * max(n_cur, 1) or n_ref == 0:
        return p
    return rng.binomial(n_ref, p, size=b) / n_ref


def _draw(
    p: np.ndarray, n_ref: int, n_cur: int, b: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Simulated (reference, window) counts under no drift.

    Two samples of sizes ``n`` and ``m`` from one distribution differ like one sample of the
    effective size ``n*m/(n+m)`` differs from the distribution itself (the variances of the
    shares add), so one draw of that size is compared with the exact shares. Draws are
    multinomial up to ``GAUSSIAN_FROM`` values; above, where thresholds sit at the policy's
    floors anyway, a Gaussian with the multinomial's covariance (clipped at 0) is far faster.
    """
    p = p / p.sum()
    n_cur = max(n_cur, 1)
    n_eff = n_cur if n_ref >= EXACT_REFERENCE_RATIO * n_cur else n_ref * n_cur // (n_ref + n_cur)
    n_eff = max(n_eff, 1)
    if n_eff <= GAUSSIAN_FROM:
        cur = rng.multinomial(n_eff, p, size=b).astype(np.float64)
    else:
        x = np.sqrt(p) * rng.standard_normal((b, p.size))
        x -= p * x.sum(axis=1, keepdims=True)
        cur = np.maximum(n_eff * p + np.sqrt(n_eff) * x, 0.0)
    return (p * n_ref)[None, :], cur


# ---------------------------------------------------------------- numbers


def spread(summary: Summary) -> float:
    """The reference's spread used to normalise Wasserstein: std, or |mean| (at least 1)."""
    return summary.std if summary.std > 0 else max(abs(summary.mean), 1.0)


def _numeric(
    summary: Summary, series: pd.Series, policy: dict[str, Any], rng: np.random.Generator
) -> Observation:
    values, _, _ = numeric_values(series, summary.kind)
    edges = np.asarray(summary.edges)
    if values.size == 0 or edges.size == 0:
        return Observation(stats={}, null={}, valid=int(values.size))
    rc, rs = np.asarray(summary.counts), np.asarray(summary.sums)
    cc, cs = drift.bin_counts(values, edges)
    groups = drift.coarse_groups(edges, summary.coarse_edges)
    ng = len(summary.coarse_edges) + 1
    eps, scale = float(policy["eps"]), spread(summary)

    def stats(r: Any, c: Any, r_sums: Any, c_sums: Any) -> dict[str, Any]:
        return {
            "psi": drift.psi(drift.regroup(r, groups, ng), drift.regroup(c, groups, ng), eps),
            "ks": drift.ks_from_counts(r, c),
            "wasserstein": drift.wasserstein_from_sketch(edges, r, r_sums, c, c_sums) / scale,
        }

    observed = {k: float(v) for k, v in stats(rc, cc, rs, cs).items()}
    means = np.divide(rs, rc, out=np.zeros_like(rs), where=rc > 0)
    r_sim, c_sim = _draw(rc, int(rc.sum()), values.size, int(policy["bootstrap"]), rng)
    null = stats(r_sim, c_sim, r_sim * means, c_sim * means)
    info = {
        "ks_pvalue": drift.ks_pvalue_limit(observed["ks"], int(rc.sum()), values.size),
        "mean": float(values.mean()),
        "mean_reference": summary.mean,
        "std": float(values.std()),
        "std_reference": summary.std,
    }
    chart = _numeric_chart(summary, cc, values)
    return Observation(observed, null, int(values.size), info, chart)


def _numeric_chart(summary: Summary, counts: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    """Reference and window shares on one uniform grid, both read off the fine sketches."""
    edges = np.asarray(summary.edges)
    span = max(edges[-1] - edges[0], 1e-12)
    lo = min(edges[0], max(float(values.min()), edges[0] - span / 2))
    hi = max(edges[-1], min(float(values.max()), edges[-1] + span / 2))
    grid = np.linspace(lo, hi, CHART_BINS + 1)
    return {
        "type": "numeric",
        "x": ((grid[:-1] + grid[1:]) / 2).tolist(),
        "reference": np.diff(_sketch_cdf(edges, np.asarray(summary.counts), grid)).tolist(),
        "current": np.diff(_sketch_cdf(edges, counts, grid)).tolist(),
    }


def _sketch_cdf(edges: np.ndarray, counts: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """CDF at ``grid`` from fine counts (linear within bins); tails go to the outer points."""
    n = max(counts.sum(), 1.0)
    cdf = np.interp(grid, edges, np.cumsum(counts)[:-1] / n)
    cdf[0], cdf[-1] = 0.0, 1.0
    return cdf


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


# ---------------------------------------------------------------- categories and text


def _category_vectors(summary: Summary, counts: pd.Series) -> tuple[np.ndarray, np.ndarray, Any]:
    """Reference and window counts over [reference categories..., other/unseen]."""
    aligned = counts.reindex(summary.categories, fill_value=0).to_numpy(dtype=np.float64)
    unseen = counts[~counts.index.isin(summary.categories)]
    ref = np.append(np.asarray(summary.counts, dtype=np.float64), summary.other)
    cur = np.append(aligned, float(unseen.sum()))
    return ref, cur, unseen


def _null_shares(ref: np.ndarray, singletons: int) -> np.ndarray:
    """Reference shares with the Good-Turing unseen mass added to the last (unseen) cell."""
    p = ref.copy()
    p[-1] += singletons
    return p / p.sum()


def _categorical(
    summary: Summary, series: pd.Series, policy: dict[str, Any], rng: np.random.Generator
) -> Observation:
    counts, _ = category_counts(series)
    ref, cur, unseen = _category_vectors(summary, counts)
    valid = int(cur.sum())
    if valid == 0 or ref.sum() == 0:
        return Observation(stats={}, null={}, valid=valid)
    eps = float(policy["eps"])

    def stats(r: Any, c: Any) -> dict[str, Any]:
        return {
            "psi": drift.psi(r, c, eps),
            "jensenshannon": drift.jensenshannon(r, c, base=2),
            "unseen_share": drift.shares(c)[..., -1],
        }

    observed = {k: float(v) for k, v in stats(ref, cur).items()}
    p = _null_shares(ref, summary.singletons)
    r_sim, c_sim = _draw(p, int(ref.sum()), valid, int(policy["bootstrap"]), rng)
    chi = drift.chisquare_vs_reference(ref, cur, eps)
    info = {
        "chisquare": chi.statistic,
        "chisquare_pvalue": chi.pvalue,
        "top_unseen": [(str(k), int(v)) for k, v in unseen.iloc[:10].items()],
    }
    chart = _category_chart(summary.categories, ref, cur, "unseen")
    return Observation(observed, stats(r_sim, c_sim), valid, info, chart)


def _category_chart(labels: list[str], ref: np.ndarray, cur: np.ndarray, last: str) -> dict:
    top = np.argsort(-ref[:-1], kind="stable")[:CHART_CATEGORIES]
    return {
        "type": "categorical",
        "x": [labels[i] for i in top] + [f"({last})"],
        "reference": np.append(drift.shares(ref)[top], drift.shares(ref)[-1]).tolist(),
        "current": np.append(drift.shares(cur)[top], drift.shares(cur)[-1]).tolist(),
    }


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


def _text(
    summary: Summary, series: pd.Series, policy: dict[str, Any], rng: np.random.Generator
) -> Observation:
    tokens = tokenize(series)
    counts = tokens.value_counts()
    ref, cur, _ = _category_vectors(summary, counts)
    n_tokens = int(cur.sum())
    valid = int(series.notna().sum())
    if n_tokens == 0 or ref.sum() == 0:
        return Observation(stats={}, null={}, valid=valid)
    p = _null_shares(ref, summary.singletons)
    baseline = float(p[-1])

    def stats(r: Any, c: Any) -> dict[str, Any]:
        return {
            "jensenshannon": drift.jensenshannon(r, c, base=2),
            "oov_increase": np.maximum(drift.shares(c)[..., -1] - baseline, 0.0),
        }

    observed = {k: float(v) for k, v in stats(ref, cur).items()}
    r_sim, c_sim = _draw(p, int(ref.sum()), n_tokens, int(policy["bootstrap"]), rng)
    rate, new_share, top_new = drift.oov_stats(
        summary.categories, counts.index.to_numpy(dtype=object), counts.to_numpy()
    )
    info: dict[str, Any] = {
        "oov_rate": rate,
        "oov_rate_expected": baseline,
        "new_token_share": new_share,
        "top_new_tokens": top_new,
    }
    if policy["domain_classifier"]:
        info["domain_auc"] = _domain_auc(summary, series, int(policy["seed"]))
    chart = _category_chart(summary.categories, ref, cur, "out of vocabulary")
    return Observation(observed, stats(r_sim, c_sim), valid, info, chart)


def _domain_auc(summary: Summary, series: pd.Series, seed: int) -> float | None:
    from fullcycle.monitoring.domain import MIN_SAMPLES, text_domain_auc

    present = series.dropna().astype(str)
    if len(present) > len(summary.sample):
        present = present.sample(n=len(summary.sample), random_state=seed)
    if min(len(present), len(summary.sample)) < MIN_SAMPLES:
        return None
    return text_domain_auc(summary.sample, present.tolist(), seed=seed)


def text_rows(summary: Summary, series: pd.Series, limit: int) -> np.ndarray:
    """Positions of rows with the most tokens outside the reference vocabulary."""
    tokens = tokenize(series)
    if tokens.empty:
        return np.zeros(0, dtype=np.intp)
    new = (~tokens.isin(summary.categories)).groupby(level=0).sum()
    new = new[new > 0].sort_values(ascending=False, kind="stable")
    return new.index.to_numpy(dtype=np.intp)[:limit]
