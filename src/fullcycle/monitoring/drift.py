"""Drift statistics: pure, vectorised numpy functions with no I/O.

Two families live here.

*Sample statistics* take raw values and match scipy to 1e-9: :func:`ks_2samp`,
:func:`wasserstein`, :func:`chisquare`, :func:`jensenshannon`.

*Sketch statistics* take counts on bins frozen at reference time. A sketch of a numeric column
is ``(counts, sums)`` per bin from :func:`bin_counts`; sketches of partitions are combined by
adding them, so PSI, chi-square and Jensen-Shannon on combined counts are exactly those of the
whole column. KS and Wasserstein from a sketch are approximations of the sample statistics:
KS is evaluated at the frozen edges only (it can be low by at most the larger of the two
masses of one fine bin), and Wasserstein integrates the CDF difference per bin exactly but
takes the absolute value per bin (exact unless the two CDFs cross inside one fine bin). The
reference keeps a fine sketch (about 1,000 quantile edges), so both errors stay near 0.1%.

Count statistics accept arrays with leading batch axes (bins on the last axis), so the
bootstrap evaluates hundreds of simulated windows in one call.

Bins: with sorted edges ``e[0] < ... < e[m-1]``, bin 0 holds ``x <= e[0]``, bin ``i`` holds
``e[i-1] < x <= e[i]`` and bin ``m`` holds ``x > e[m-1]``: ``m + 1`` bins in all.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Floor on bin proportions in PSI (and on expected shares in chi-square against a reference),
#: so that an empty bin gives a large finite value rather than infinity. 1e-4 is the usual
#: choice: one empty bin in ten with 10% on the other side adds about 0.1 * ln(1000) = 0.69.
EPSILON = 1e-4

#: Above this many values per sample scipy's ``ks_2samp`` switches from exact to asymptotic.
KS_EXACT_MAX_N = 10_000

Floats = NDArray[np.float64]


class TestResult(NamedTuple):
    """A statistic and its p-value."""

    statistic: float
    pvalue: float


# ---------------------------------------------------------------- sample statistics


def ks_statistic(x: ArrayLike, y: ArrayLike) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two ECDFs."""
    xs = np.sort(np.asarray(x, dtype=np.float64))
    ys = np.sort(np.asarray(y, dtype=np.float64))
    both = np.concatenate([xs, ys])
    gap = np.searchsorted(xs, both, side="right") / xs.size
    gap -= np.searchsorted(ys, both, side="right") / ys.size
    return float(np.abs(gap).max())


def ks_pvalue(statistic: float, n1: int, n2: int) -> float:
    """Asymptotic two-sided p-value of a KS statistic, as ``scipy.stats.ks_2samp`` computes it.

    Uses the one-sample KS distribution at the effective size ``n1*n2/(n1+n2)`` (rounded).
    """
    from scipy.stats import kstwo

    big, small = max(n1, n2), min(n1, n2)
    en = float(big) * small / (big + small)
    return float(np.clip(kstwo.sf(statistic, np.round(en)), 0.0, 1.0))


def ks_pvalue_limit(statistic: float, n1: int, n2: int) -> float:
    """Two-sided KS p-value from Kolmogorov's limiting distribution: constant time for any n.

    ``kstwo`` (used by :func:`ks_pvalue`) can take over a second for some statistics at
    n ~ 10^6; for such sizes the limit agrees with it to many digits.
    """
    from scipy.stats import kstwobign

    en = float(n1) * n2 / (n1 + n2)
    return float(np.clip(kstwobign.sf(statistic * math.sqrt(en)), 0.0, 1.0))


def ks_pvalue_fast(statistic: float, n1: int, n2: int) -> float:
    """Two-sided two-sample KS p-value with no scipy: Kolmogorov's limit at Stephens' corrected
    argument ``(sqrt(n) + 0.12 + 0.11 / sqrt(n)) * D``, ``n = n1*n2/(n1+n2)``. Within 10% of
    :func:`ks_pvalue` wherever the p-value is above 1e-4 (tested; far closer for n > 100),
    and free of the seconds that importing ``scipy.stats`` costs a monitoring step."""
    n = float(n1) * n2 / (n1 + n2)
    if n <= 0:
        return 1.0
    root = math.sqrt(n)
    lam = (root + 0.12 + 0.11 / root) * statistic
    if lam < 1e-3:
        return 1.0
    total = 0.0
    for k in range(1, 101):
        term = 2.0 * (-1) ** (k - 1) * math.exp(-2.0 * k * k * lam * lam)
        total += term
        if abs(term) < 1e-17:
            break
    return min(max(total, 0.0), 1.0)


def chi2_sf(statistic: float, dof: int) -> float:
    """Survival function of the chi-square distribution (``scipy.special.chdtrc``), as the
    regularised upper incomplete gamma function, with no scipy."""
    if statistic <= 0:
        return 1.0
    a, x = dof / 2.0, statistic / 2.0
    if x < a + 1.0:  # series for the lower function
        term = total = 1.0 / a
        for n in range(1, 1000):
            term *= x / (a + n)
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(-x + a * math.log(x) - math.lgamma(a)))
    b, c, d = x + 1.0 - a, 1.0 / 1e-300, 1.0 / (x + 1.0 - a)  # continued fraction (Lentz)
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = 1e-300 if abs(d) < 1e-300 else d
        c = b + an / c
        c = 1e-300 if abs(c) < 1e-300 else c
        d = 1.0 / d
        h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return min(1.0, math.exp(-x + a * math.log(x) - math.lgamma(a)) * h)


def ks_2samp(x: ArrayLike, y: ArrayLike, method: str = "auto") -> TestResult:
    """Two-sample KS test matching ``scipy.stats.ks_2samp`` (two-sided).

    The statistic is computed here; the p-value is asymptotic (:func:`ks_pvalue`) unless
    ``method="exact"``, or ``"auto"`` with both samples of at most 10,000 values, where the
    exact lattice-path probability is delegated to scipy, which is what scipy itself does.
    """
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    if xa.size == 0 or ya.size == 0:
        raise ValueError("ks_2samp needs two non-empty samples")
    exact = method == "exact" or (method == "auto" and max(xa.size, ya.size) <= KS_EXACT_MAX_N)
    if exact:
        from scipy.stats import ks_2samp as scipy_ks

        res = scipy_ks(xa, ya, method="exact")
        return TestResult(float(res.statistic), float(res.pvalue))
    d = ks_statistic(xa, ya)
    return TestResult(d, ks_pvalue(d, xa.size, ya.size))


def wasserstein(u: ArrayLike, v: ArrayLike) -> float:
    """Wasserstein-1 distance between two samples (``scipy.stats.wasserstein_distance``)."""
    us = np.sort(np.asarray(u, dtype=np.float64))
    vs = np.sort(np.asarray(v, dtype=np.float64))
    both = np.sort(np.concatenate([us, vs]), kind="mergesort")
    deltas = np.diff(both)
    ucdf = np.searchsorted(us, both[:-1], side="right") / us.size
    vcdf = np.searchsorted(vs, both[:-1], side="right") / vs.size
    return float(np.dot(np.abs(ucdf - vcdf), deltas))


def chisquare(observed: ArrayLike, expected: ArrayLike) -> TestResult:
    """Pearson's chi-square goodness of fit, as ``scipy.stats.chisquare`` (ddof 0)."""
    from scipy.special import chdtrc

    obs = np.asarray(observed, dtype=np.float64)
    exp = np.asarray(expected, dtype=np.float64)
    stat = np.sum((obs - exp) ** 2 / exp, axis=-1)
    return TestResult(float(stat), float(chdtrc(obs.shape[-1] - 1, stat)))


def jensenshannon(p: ArrayLike, q: ArrayLike, base: float | None = None) -> Floats:
    """Jensen-Shannon distance (``scipy.spatial.distance.jensenshannon``) over the last axis."""
    pa = np.asarray(p, dtype=np.float64)
    qa = np.asarray(q, dtype=np.float64)
    pa = pa / pa.sum(axis=-1, keepdims=True)
    qa = qa / qa.sum(axis=-1, keepdims=True)
    m = (pa + qa) / 2.0
    js = np.sum(_rel_entr(pa, m), axis=-1) + np.sum(_rel_entr(qa, m), axis=-1)
    if base is not None:
        js = js / np.log(base)
    return np.sqrt(js / 2.0)


def _rel_entr(x: Floats, y: Floats) -> Floats:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(x / y)
    return np.where(x > 0, out, 0.0)


# ---------------------------------------------------------------- sketches


def bin_counts(
    values: ArrayLike, edges: ArrayLike, *, presorted: bool = False
) -> tuple[Floats, Floats]:
    """Counts and sums of finite ``values`` in the bins of ``edges`` (``len(edges) + 1`` bins).

    Adding the results of two partitions gives the result of their union (sums up to
    floating-point rounding). Non-finite values must be removed by the caller.
    """
    xs = np.asarray(values, dtype=np.float64)
    e = np.asarray(edges, dtype=np.float64)
    if not presorted:
        idx = bin_index(xs, e)
        counts = np.bincount(idx, minlength=e.size + 1).astype(np.float64)
        sums = np.bincount(idx, weights=xs, minlength=e.size + 1)
        return counts, sums.astype(np.float64, copy=False)  # already float64 with weights
    upto = np.searchsorted(xs, e, side="right")
    cum = np.concatenate([[0.0], np.cumsum(xs)])
    bounds = np.concatenate([[0], upto, [xs.size]])
    counts = np.diff(bounds).astype(np.float64)
    sums = np.diff(cum[bounds])
    return counts, sums


def bin_index(values: ArrayLike, edges: ArrayLike, *, passes: int = 4) -> NDArray[np.intp]:
    """``np.searchsorted(edges, values, side="left")`` for finite values, several times faster.

    A uniform grid of ``16 * len(edges)`` cells over the edges' range maps each value to the
    first edge of its cell; the few edges inside the cell (at most ``passes``) are compared
    directly. Edges outside a value's cell are on the known side of it, because the value ->
    cell map is monotone even in floating point, so the result is exact. Values in cells
    holding more edges fall back to ``np.searchsorted``.
    """
    x = np.asarray(values, dtype=np.float64)
    e = np.asarray(edges, dtype=np.float64)
    if e.size < 8 or x.size < 64 * e.size or not e[-1] > e[0]:
        return np.searchsorted(e, x, side="left")
    n_cells = 16 * e.size
    scale = n_cells / (e[-1] - e[0])
    edge_cells = np.clip((e - e[0]) * scale, 0, n_cells - 1).astype(np.intp)
    first = np.searchsorted(edge_cells, np.arange(n_cells), side="left")
    per_cell = np.diff(np.append(first, e.size))
    crowded = per_cell > passes
    if per_cell[crowded].sum() > e.size // 4:  # heavy tails: most edges in a few cells
        return np.searchsorted(e, x, side="left")
    passes = int(min(passes, per_cell.max()))
    pos = x - e[0]
    pos *= scale
    np.clip(pos, 0, n_cells - 1, out=pos)
    cell = pos.astype(np.intp)
    start = first[cell]
    idx = start.copy()
    padded = np.append(e, np.full(passes, np.inf))
    for t in range(passes):
        idx += padded[start + t] < x
    if crowded.any():
        slow = np.flatnonzero(crowded[cell])
        idx[slow] = np.searchsorted(e, x[slow], side="left")
    return idx


def regroup(counts: ArrayLike, groups: NDArray[np.intp], n_groups: int) -> Floats:
    """Sum counts of fine bins into coarser bins; ``groups`` (fine bin -> coarse bin) is sorted."""
    c = np.asarray(counts, dtype=np.float64)
    cum = np.concatenate([np.zeros(c.shape[:-1] + (1,)), np.cumsum(c, axis=-1)], axis=-1)
    bounds = np.searchsorted(groups, np.arange(n_groups + 1), side="left")
    return np.diff(cum[..., bounds], axis=-1)


def coarse_groups(fine_edges: ArrayLike, coarse_edges: ArrayLike) -> NDArray[np.intp]:
    """For each fine bin, the coarse bin holding it (every coarse edge must be a fine edge)."""
    fine = np.asarray(fine_edges, dtype=np.float64)
    coarse = np.asarray(coarse_edges, dtype=np.float64)
    inner = np.searchsorted(coarse, fine, side="left")
    return np.concatenate([inner, [coarse.size]]).astype(np.intp)


def shares(counts: ArrayLike) -> Floats:
    """Proportions along the last axis (zeros where the total is zero)."""
    c = np.asarray(counts, dtype=np.float64)
    total = c.sum(axis=-1, keepdims=True)
    return np.divide(c, total, out=np.zeros_like(c), where=total > 0)


def psi(ref_counts: ArrayLike, cur_counts: ArrayLike, eps: float = EPSILON) -> Floats:
    """Population stability index: ``sum((q - p) * ln(q / p))`` over bins.

    ``p`` and ``q`` are the reference and current proportions, each floored at ``eps`` (not
    renormalised), so empty bins give a large finite value.
    """
    p = np.maximum(shares(ref_counts), eps)
    q = np.maximum(shares(cur_counts), eps)
    return np.sum((q - p) * np.log(q / p), axis=-1)


def ks_from_counts(ref_counts: ArrayLike, cur_counts: ArrayLike) -> Floats:
    """KS statistic evaluated at the frozen edges (a lower bound of the sample statistic)."""
    fr = np.cumsum(shares(ref_counts), axis=-1)
    fc = np.cumsum(shares(cur_counts), axis=-1)
    return np.abs(fr - fc).max(axis=-1)


def wasserstein_from_sketch(
    edges: ArrayLike,
    ref_counts: ArrayLike,
    ref_sums: ArrayLike,
    cur_counts: ArrayLike,
    cur_sums: ArrayLike,
) -> Floats:
    """Wasserstein-1 from two sketches on the same edges.

    Per bin, the integral of ``F_ref - F_cur`` is exact given counts and sums (so the tails
    beyond the reference's range are exact); its absolute value is summed, which equals the
    sample distance unless the CDFs cross inside a bin.
    """
    e = np.asarray(edges, dtype=np.float64)
    return np.abs(
        _cdf_integrals(e, ref_counts, ref_sums) - _cdf_integrals(e, cur_counts, cur_sums)
    ).sum(axis=-1)


def _cdf_integrals(e: Floats, counts: ArrayLike, sums: ArrayLike) -> Floats:
    """Per-bin integrals of the CDF over [e0-inf, e0], each inner bin, and of (F - 1) above."""
    c = np.asarray(counts, dtype=np.float64)
    s = np.asarray(sums, dtype=np.float64)
    n = c.sum(axis=-1, keepdims=True)
    n = np.where(n > 0, n, 1.0)
    before = (np.cumsum(c, axis=-1) - c) / n  # F at each bin's lower edge
    low = (c[..., :1] * e[0] - s[..., :1]) / n
    width = np.diff(e)
    inner = before[..., 1:-1] * width + (c[..., 1:-1] * e[1:] - s[..., 1:-1]) / n
    high = -(s[..., -1:] - c[..., -1:] * e[-1]) / n
    return np.concatenate([low, inner, high], axis=-1)


def chisquare_vs_reference(
    ref_counts: ArrayLike, cur_counts: ArrayLike, eps: float = EPSILON
) -> TestResult:
    """Chi-square of the current counts against the reference shares (floored at ``eps``)."""
    cur = np.asarray(cur_counts, dtype=np.float64)
    p = np.maximum(shares(ref_counts), eps)
    expected = p / p.sum() * cur.sum()
    return chisquare(cur, expected)


def unseen_share(unseen: float, total: float) -> float:
    """Share of values in a category (or token) never seen in the reference."""
    return float(unseen / total) if total > 0 else 0.0


def good_turing_unseen(counts: ArrayLike) -> float:
    """Good-Turing estimate of the mass of never-seen values: singletons / total."""
    c = np.asarray(counts, dtype=np.float64)
    total = c.sum()
    return float(np.count_nonzero(c == 1) / total) if total > 0 else 0.0


def missing_change(
    ref_missing: float, ref_total: float, cur_missing: float, cur_total: float
) -> float:
    """Change in the share of missing values, current minus reference (in [-1, 1])."""
    ref = ref_missing / ref_total if ref_total > 0 else 0.0
    cur = cur_missing / cur_total if cur_total > 0 else 0.0
    return float(cur - ref)


def oov_stats(
    vocab: ArrayLike, tokens: ArrayLike, counts: ArrayLike, top: int = 10
) -> tuple[float, float, list[tuple[str, int]]]:
    """Out-of-vocabulary rate, share of new distinct tokens, and the most frequent new tokens.

    ``tokens``/``counts`` are the current window's distinct tokens and their counts.
    """
    tok = np.asarray(tokens, dtype=object)
    cnt = np.asarray(counts, dtype=np.float64)
    if tok.size == 0:
        return 0.0, 0.0, []
    new = ~np.isin(tok, np.asarray(vocab, dtype=object))
    rate = float(cnt[new].sum() / cnt.sum()) if cnt.sum() > 0 else 0.0
    order = np.argsort(-cnt[new], kind="stable")[:top]
    top_new = [(str(t), int(c)) for t, c in zip(tok[new][order], cnt[new][order], strict=True)]
    return rate, float(new.mean()), top_new


# ---------------------------------------------------------------- tests from counts


def chi2_homogeneity(ref_counts: ArrayLike, cur_counts: ArrayLike) -> TestResult:
    """Pearson's chi-square test that two count vectors come from one distribution (a 2 x k
    contingency table, as ``scipy.stats.chi2_contingency(..., correction=False)``); cells
    empty in both are left out."""
    table = np.stack([np.asarray(ref_counts, np.float64), np.asarray(cur_counts, np.float64)])
    table = table[:, table.sum(axis=0) > 0]
    total = table.sum()
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return TestResult(0.0, 1.0)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / total
    stat = float(np.sum((table - expected) ** 2 / expected))
    return TestResult(stat, chi2_sf(stat, table.shape[1] - 1))


def two_proportion_pvalue(k1: float, n1: float, k2: float, n2: float) -> float:
    """Two-sided p-value that two shares ``k1/n1`` and ``k2/n2`` are equal (pooled z-test; the
    same as the chi-square test of the 2 x 2 table without continuity correction)."""
    if n1 <= 0 or n2 <= 0:
        return 1.0
    pooled = (k1 + k2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if var <= 0:
        return 1.0 if k1 / n1 == k2 / n2 else 0.0
    z = abs(k1 / n1 - k2 / n2) / math.sqrt(var)
    return math.erfc(z / math.sqrt(2))


def excess_share_pvalue(k: float, n: float, p0: float) -> float:
    """One-sided p-value that a share ``k/n`` is above ``p0`` (normal approximation of the
    binomial, with continuity correction): the sample-size aware test of a rise in new tokens."""
    if n <= 0 or k / n <= p0:
        return 1.0
    if p0 <= 0:
        return 0.0
    z = (k - 0.5 - n * p0) / math.sqrt(n * p0 * (1 - p0))
    return 0.5 * math.erfc(z / math.sqrt(2)) if z > 0 else 1.0


def adjust_pvalues(pvalues: ArrayLike, method: str = "bh") -> Floats:
    """Multiple-testing adjusted p-values: ``"bh"`` (Benjamini-Hochberg, as
    ``scipy.stats.false_discovery_control``) or ``"holm"`` (Holm-Bonferroni)."""
    p = np.asarray(pvalues, dtype=np.float64)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "bh":
        adj = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    elif method == "holm":
        adj = np.maximum.accumulate(ranked * (m - np.arange(m)))
    else:
        raise ValueError(f"unknown correction {method!r}; use bh or holm")
    out = np.empty(m)
    out[order] = np.clip(adj, 0.0, 1.0)
    return out
