"""The pure statistics in monitoring/drift.py against scipy and hand computations."""

import math

import numpy as np
import pytest
from scipy import stats
from scipy.spatial import distance

from fullcycle.monitoring import drift


@pytest.mark.parametrize(
    ("n1", "n2", "shift"),
    [(50, 80, 0.0), (300, 300, 0.3), (2000, 1500, 0.1), (20000, 15000, 0.02), (12000, 30000, 0.5)],
)
def test_ks_matches_scipy(n1, n2, shift):
    rng = np.random.default_rng(n1 + n2)
    x, y = rng.normal(size=n1), rng.normal(shift, 1.0, size=n2)
    ours, theirs = drift.ks_2samp(x, y), stats.ks_2samp(x, y)
    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-9)
    assert ours.pvalue == pytest.approx(theirs.pvalue, abs=1e-9)


def test_ks_with_ties_matches_scipy():
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 5, 30000).astype(float), rng.integers(0, 6, 20000).astype(float)
    ours, theirs = drift.ks_2samp(x, y), stats.ks_2samp(x, y)
    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-9)
    assert ours.pvalue == pytest.approx(theirs.pvalue, abs=1e-9)
    assert drift.ks_statistic(x, y) == pytest.approx(theirs.statistic, abs=1e-12)


def test_ks_asymptotic_pvalue_matches_scipy_asymp():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=700), rng.normal(0.1, 1, size=900)
    ours = drift.ks_2samp(x, y, method="asymp")
    theirs = stats.ks_2samp(x, y, method="asymp")
    assert ours.pvalue == pytest.approx(theirs.pvalue, abs=1e-9)


def test_ks_limit_pvalue_is_close_for_big_samples():
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=40000), rng.normal(0.02, 1, size=30000)
    d = drift.ks_statistic(x, y)
    assert drift.ks_pvalue_limit(d, x.size, y.size) == pytest.approx(
        stats.ks_2samp(x, y).pvalue, abs=2e-3
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wasserstein_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    u, v = rng.lognormal(size=3000), rng.gamma(2.0, size=2500)
    assert drift.wasserstein(u, v) == pytest.approx(stats.wasserstein_distance(u, v), abs=1e-9)
    assert drift.wasserstein([0, 1, 3], [5, 6, 8]) == pytest.approx(5.0, abs=1e-12)


def test_chisquare_matches_scipy():
    obs = np.array([18.0, 22, 30, 25, 5])
    exp = np.array([20.0, 20, 25, 25, 10])
    ours, theirs = drift.chisquare(obs, exp), stats.chisquare(obs, exp)
    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-9)
    assert ours.pvalue == pytest.approx(theirs.pvalue, abs=1e-9)


@pytest.mark.parametrize("base", [None, 2.0])
def test_jensenshannon_matches_scipy(base):
    p, q = np.array([10.0, 0, 5, 3]), np.array([1.0, 4, 5, 0])
    assert drift.jensenshannon(p, q, base) == pytest.approx(
        distance.jensenshannon(p, q, base), abs=1e-9
    )
    assert drift.jensenshannon([1.0, 0, 0], [0.0, 1, 0], 2.0) == pytest.approx(1.0, abs=1e-12)


def test_jensenshannon_batches_over_leading_axis():
    rng = np.random.default_rng(5)
    p, q = rng.random((7, 12)), rng.random((7, 12))
    expected = [distance.jensenshannon(a, b) for a, b in zip(p, q, strict=True)]
    assert np.allclose(drift.jensenshannon(p, q), expected, atol=1e-12)


def test_psi_by_hand():
    ref = np.array([25.0, 25, 25, 25])
    cur = np.array([10.0, 20, 30, 40])
    p, q = [0.25] * 4, [0.1, 0.2, 0.3, 0.4]
    hand = sum((b - a) * math.log(b / a) for a, b in zip(p, q, strict=True))
    assert drift.psi(ref, cur) == pytest.approx(hand, abs=1e-12)
    assert hand == pytest.approx(0.228217, abs=1e-6)


def test_psi_floors_empty_bins_at_epsilon():
    ref, cur = np.array([50.0, 50, 0]), np.array([50.0, 40, 10])
    hand = 0.0 + (0.4 - 0.5) * math.log(0.4 / 0.5) + (0.1 - 1e-4) * math.log(0.1 / 1e-4)
    assert drift.psi(ref, cur) == pytest.approx(hand, abs=1e-12)
    assert drift.psi(ref, ref) == 0.0


def test_partition_counts_add_up_to_the_whole():
    rng = np.random.default_rng(6)
    ref, cur = rng.normal(size=20000), rng.normal(0.3, 1.2, size=15000)
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, 101)))
    whole_c, whole_s = drift.bin_counts(cur, edges)
    parts = [drift.bin_counts(part, edges) for part in np.array_split(cur, 7)]
    combined_c = sum(c for c, _ in parts)
    combined_s = sum(s for _, s in parts)
    assert np.array_equal(combined_c, whole_c)
    assert np.allclose(combined_s, whole_s, rtol=1e-12, atol=1e-9)
    ref_c, _ = drift.bin_counts(ref, edges)
    assert drift.psi(ref_c, combined_c) == drift.psi(ref_c, whole_c)
    assert drift.jensenshannon(ref_c, combined_c) == drift.jensenshannon(ref_c, whole_c)
    assert drift.chisquare_vs_reference(ref_c, combined_c) == drift.chisquare_vs_reference(
        ref_c, whole_c
    )
    # counts equal a direct histogram on the same right-closed bins
    direct = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=edges.size + 1)
    assert np.array_equal(whole_c, direct)


def test_sketch_ks_and_wasserstein_approximate_the_sample_statistics():
    rng = np.random.default_rng(7)
    ref, cur = rng.normal(size=50000), rng.normal(0.4, 1.3, size=40000)
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, 1001)))
    rc, rs = drift.bin_counts(ref, edges)
    cc, cs = drift.bin_counts(cur, edges)
    exact_ks = drift.ks_statistic(ref, cur)
    sketch_ks = float(drift.ks_from_counts(rc, cc))
    assert sketch_ks <= exact_ks + 1e-12
    assert exact_ks - sketch_ks < 0.002
    exact_w = stats.wasserstein_distance(ref, cur)
    sketch_w = float(drift.wasserstein_from_sketch(edges, rc, rs, cc, cs))
    assert sketch_w == pytest.approx(exact_w, rel=1e-3)


def test_wasserstein_sketch_is_exact_beyond_the_reference_range():
    ref = np.linspace(0, 1, 1001)
    cur = np.full(500, 5.0)
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, 101)))
    rc, rs = drift.bin_counts(ref, edges)
    cc, cs = drift.bin_counts(cur, edges)
    sketch = float(drift.wasserstein_from_sketch(edges, rc, rs, cc, cs))
    assert sketch == pytest.approx(stats.wasserstein_distance(ref, cur), abs=1e-9)


def test_coarse_bins_regroup_fine_counts_exactly():
    rng = np.random.default_rng(8)
    x = rng.normal(size=5000)
    fine = np.unique(np.quantile(x, np.linspace(0, 1, 101)))
    coarse = fine[10:100:10]
    groups = drift.coarse_groups(fine, coarse)
    fine_c, _ = drift.bin_counts(x, fine)
    coarse_c, _ = drift.bin_counts(x, coarse)
    assert np.array_equal(drift.regroup(fine_c, groups, coarse.size + 1), coarse_c)


def test_small_helpers():
    assert drift.unseen_share(5, 100) == 0.05
    assert drift.unseen_share(0, 0) == 0.0
    assert drift.good_turing_unseen([1, 1, 3, 5]) == pytest.approx(0.2)
    assert drift.missing_change(10, 100, 30, 100) == pytest.approx(0.2)
    rate, share, top = drift.oov_stats(["a", "b"], ["a", "c", "d"], [6, 3, 1])
    assert rate == pytest.approx(0.4)
    assert share == pytest.approx(2 / 3)
    assert top == [("c", 3), ("d", 1)]


@pytest.mark.parametrize("shape", ["normal", "lognormal", "integers", "cauchy", "constant-ish"])
def test_bin_index_equals_searchsorted(shape):
    rng = np.random.default_rng(10)
    n = 200_000
    x = {
        "normal": rng.normal(size=n),
        "lognormal": rng.lognormal(0, 1, n),
        "integers": rng.integers(0, 30, n).astype(float),
        "cauchy": rng.standard_cauchy(n),
        "constant-ish": np.where(rng.random(n) < 0.9, 1.0, rng.normal(size=n)),
    }[shape]
    edges = np.unique(np.quantile(x[:50_000], np.linspace(0, 1, 1001)))
    y = np.concatenate([x * 1.3 + 0.1, edges, np.nextafter(edges, np.inf), [-1e300, 1e300]])
    assert np.array_equal(drift.bin_index(y, edges), np.searchsorted(edges, y, side="left"))


# ---------------------------------------------------------------- tests from counts vs scipy


@pytest.mark.parametrize("seed", range(5))
def test_chi2_homogeneity_matches_scipy_contingency(seed):
    from scipy.stats import chi2_contingency

    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 60, 7), rng.integers(0, 60, 7)
    a[2] = b[2] = 0  # a cell empty in both is left out, as scipy requires
    ours = drift.chi2_homogeneity(a, b)
    keep = (a + b) > 0
    res = chi2_contingency(np.stack([a[keep], b[keep]]), correction=False)
    assert ours.statistic == pytest.approx(res.statistic, rel=1e-9)
    assert ours.pvalue == pytest.approx(res.pvalue, rel=1e-9)
    assert drift.chi2_homogeneity([5, 0], [0, 0]) == (0.0, 1.0)


def test_two_proportion_pvalue_matches_the_2x2_chi_square():
    from scipy.stats import chi2_contingency

    for k1, n1, k2, n2 in [(10, 100, 25, 120), (0, 50, 3, 60), (40, 400, 41, 410)]:
        table = [[k1, n1 - k1], [k2, n2 - k2]]
        expected = chi2_contingency(table, correction=False).pvalue
        assert drift.two_proportion_pvalue(k1, n1, k2, n2) == pytest.approx(expected, rel=1e-9)
    assert drift.two_proportion_pvalue(0, 10, 0, 10) == 1.0


def test_excess_share_pvalue_is_close_to_the_exact_binomial_test():
    from scipy.stats import binomtest

    for k, n, p0 in [(70, 1000, 0.05), (300, 5000, 0.05), (30, 200, 0.1)]:
        exact = binomtest(k, n, p0, alternative="greater").pvalue
        assert drift.excess_share_pvalue(k, n, p0) == pytest.approx(exact, rel=0.35)
    assert drift.excess_share_pvalue(40, 1000, 0.05) == 1.0  # below the expected share


@pytest.mark.parametrize("seed", range(4))
def test_adjusted_pvalues_match_scipy_and_holm_is_stricter(seed):
    from scipy.stats import false_discovery_control

    p = np.random.default_rng(seed).uniform(size=13) ** 3
    assert np.allclose(drift.adjust_pvalues(p, "bh"), false_discovery_control(p))
    holm = drift.adjust_pvalues(p, "holm")
    order = np.argsort(p)
    m = p.size
    expected = np.maximum.accumulate(np.minimum(p[order] * (m - np.arange(m)), 1.0))
    assert np.allclose(holm[order], expected)
    assert (holm >= drift.adjust_pvalues(p, "bh") - 1e-15).all()
    with pytest.raises(ValueError, match="unknown correction"):
        drift.adjust_pvalues(p, "bonferonni")


def test_chi2_sf_matches_scipy_without_importing_it():
    from scipy.special import chdtrc

    for dof in (1, 2, 5, 10, 50, 300):
        for x in (0.01, 0.5, 1.0, 3.0, 10.0, 40.0, 100.0, 400.0):
            expected = float(chdtrc(dof, x))
            if expected > 1e-12:
                assert drift.chi2_sf(x, dof) == pytest.approx(expected, rel=1e-8)
    assert drift.chi2_sf(0.0, 3) == 1.0


@pytest.mark.parametrize("n", [30, 110, 500, 5000])
def test_fast_ks_pvalue_is_within_a_few_percent_of_scipy(n):
    from scipy.stats import kstwo

    for d in np.linspace(0.01, 0.5, 50):
        expected = float(kstwo.sf(d, n))
        if expected > 1e-4:
            assert drift.ks_pvalue_fast(d, 2 * n, 2 * n) == pytest.approx(expected, rel=0.1)
