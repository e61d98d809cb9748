"""Drift over windows too large for one pass in memory: per-partition sketches, combined.

Each partition of the window (a slice of a frame, a Parquet file, a sealed prediction-log
segment) is reduced, on the executor, to a :class:`WindowSketch`: per column the row count, the
count of usable values, and

- numbers: counts and sums in the reference's frozen fine bins, plus count/mean/M2 (Chan);
- categories: the count of every distinct value (seen in the reference or not);
- text: the count of every distinct lowercase word token.

Sketches add up. The combined sketch then goes through the same statistics, the same no-drift
replicates (same seeds) and the same verdict rules as ``monitoring.compare.compare`` on the
whole window at once.

Exact (bit-for-bit equal to the single-machine computation, because they depend only on
integer counts): PSI, KS at the frozen edges and its p-value, chi-square and its p-value,
Jensen-Shannon, unseen-category share, OOV rate and increase, new-token share, missing shares
and their change, every threshold and verdict that depends only on these.

Equal up to floating-point rounding (sums added in another order, relative error ~1e-12):
Wasserstein, which uses the per-bin sums, and the window's mean and standard deviation.

Approximated or left out: KS and Wasserstein are, as in the single-machine path, read from the
reference's fine frozen quantile bins (KS evaluated at the edges is a lower bound of the sample
statistic; Wasserstein is exact unless the two CDFs cross inside a bin). The charts are built
from the same sketches (plus the window's min and max), so they match too. The per-row evidence
(``rows``) and the text domain classifier (it needs a sample of raw texts) are not computed
over large windows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fullcycle.errors import InvalidInput
from fullcycle.executor import Executor, SerialExecutor
from fullcycle.monitoring import drift, features
from fullcycle.monitoring.compare import _dataset_verdict, _verdict, resolve_policy
from fullcycle.monitoring.reference import (
    NUMBER_KINDS,
    Reference,
    Summary,
    category_counts,
    numeric_values,
    tokenize,
)
from fullcycle.monitoring.report import DriftReport, FeatureDrift

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ColumnSketch", "WindowSketch", "combine", "drift_window", "report", "sketch_frame"]

OUTPUT_ROLES = ("prediction", "confidence")


@dataclass
class ColumnSketch:
    """One column of one partition; ``+`` merges two partitions exactly."""

    kind: str
    n: int = 0
    valid: int = 0
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sums: np.ndarray = field(default_factory=lambda: np.zeros(0))
    mean: float = 0.0
    m2: float = 0.0
    lo: float = np.inf
    hi: float = -np.inf
    values: dict[str, float] = field(default_factory=dict)

    def __add__(self, other: ColumnSketch) -> ColumnSketch:
        n_a, n_b = self.valid, other.valid
        total = n_a + n_b
        delta = other.mean - self.mean
        values = dict(self.values)
        for key, count in other.values.items():
            values[key] = values.get(key, 0.0) + count
        return ColumnSketch(
            kind=self.kind,
            n=self.n + other.n,
            valid=total,
            counts=_add(self.counts, other.counts),
            sums=_add(self.sums, other.sums),
            mean=self.mean + delta * n_b / total if total else 0.0,
            m2=self.m2 + other.m2 + delta * delta * n_a * n_b / total if total else 0.0,
            lo=min(self.lo, other.lo),
            hi=max(self.hi, other.hi),
            values=values,
        )


def _add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.size == 0:
        return b.copy()
    return a + b if b.size else a.copy()


@dataclass
class WindowSketch:
    """Every monitored column of a window (or of one partition of it)."""

    n_rows: int
    columns: dict[str, ColumnSketch]

    def __add__(self, other: WindowSketch) -> WindowSketch:
        names = list(self.columns) + [c for c in other.columns if c not in self.columns]
        cols: dict[str, ColumnSketch] = {}
        for name in names:
            a, b = self.columns.get(name), other.columns.get(name)
            if a is not None and b is not None:
                cols[name] = a + b
            else:
                cols[name] = a if a is not None else other.columns[name]
        return WindowSketch(self.n_rows + other.n_rows, cols)


def combine(sketches: Sequence[WindowSketch]) -> WindowSketch:
    """The sketch of the union of the partitions (exact: counts add)."""
    if not sketches:
        return WindowSketch(0, {})
    total = sketches[0]
    for sketch in sketches[1:]:
        total = total + sketch
    return total


# ---------------------------------------------------------------- one partition


def monitored(reference: Reference, frame_columns: Sequence[str]) -> list[str]:
    """The reference's columns in its order; model outputs only when the window has them."""
    return [
        name
        for name, s in reference.features.items()
        if s.role not in OUTPUT_ROLES or name in frame_columns
    ]


def sketch_frame(reference: Reference, frame: pd.DataFrame) -> WindowSketch:
    """Sketch one partition; a column the partition lacks counts as all missing."""
    import pandas as pd

    cols: dict[str, ColumnSketch] = {}
    for name in monitored(reference, list(frame.columns)):
        if name in frame.columns:
            series = frame[name]
        else:
            series = pd.Series([None] * len(frame), index=frame.index, dtype=object)
        cols[name] = sketch_column(reference.features[name], series)
    return WindowSketch(len(frame), cols)


def sketch_column(summary: Summary, series: pd.Series) -> ColumnSketch:
    n = len(series)
    if summary.kind in NUMBER_KINDS:
        values, _, _ = numeric_values(series, summary.kind)
        out = ColumnSketch(kind=summary.kind, n=n, valid=int(values.size))
        if summary.edges and values.size:
            out.counts, out.sums = drift.bin_counts(values, np.asarray(summary.edges))
            out.mean = float(values.mean())
            out.m2 = float(((values - out.mean) ** 2).sum())
            out.lo, out.hi = float(values.min()), float(values.max())
        return out
    if summary.kind == "categorical":
        counts, _ = category_counts(series)
        values_map = dict(zip(counts.index.map(str), counts.to_numpy(np.float64), strict=True))
        return ColumnSketch(kind=summary.kind, n=n, valid=int(counts.sum()), values=values_map)
    tokens = tokenize(series).value_counts()
    values_map = dict(zip(tokens.index.map(str), tokens.to_numpy(np.float64), strict=True))
    return ColumnSketch(kind=summary.kind, n=n, valid=int(series.notna().sum()), values=values_map)


# ---------------------------------------------------------------- statistics and verdicts


def report(
    reference: Reference, sketch: WindowSketch, policy: Mapping[str, Any] | None = None
) -> DriftReport:
    """The drift report of a combined sketch, as ``compare`` would give on the whole window."""
    pol = resolve_policy(policy)
    pol["domain_classifier"] = False
    names = list(sketch.columns)
    seeds = np.random.SeedSequence(int(pol["seed"])).spawn(max(len(names), 1))
    n_tests = max(len(names), 1)
    results = [
        _feature(name, reference.features[name], sketch.columns[name], pol, seed, n_tests)
        for name, seed in zip(names, seeds, strict=False)
    ]
    results.sort(key=lambda f: (not f.drifted, not f.decided, -f.score))
    verdict = _dataset_verdict(results, sketch.n_rows, pol)
    return DriftReport(
        verdict=verdict,
        drifted=verdict.startswith("drift"),
        n_reference=reference.n_rows,
        n_current=sketch.n_rows,
        features=results,
        policy=pol,
    )


def _feature(
    name: str, ref: Summary, col: ColumnSketch, pol: dict[str, Any], seed: Any, n_tests: int
) -> FeatureDrift:
    rng = np.random.default_rng(seed)
    if ref.kind in NUMBER_KINDS:
        obs = _numeric(ref, col, pol, rng)
    elif ref.kind == "categorical":
        obs = _categorical(ref, col, pol, rng)
    else:
        obs = _text(ref, col, pol, rng)
    _missing(obs, ref, col, int(pol["bootstrap"]), rng)
    floors = {s: float(pol[s]) for s in obs.stats}
    null_score = np.max(
        [np.broadcast_to(obs.null[s], (pol["bootstrap"],)) / floors[s] for s in floors], axis=0
    )
    scale = max(1.0, drift.lognormal_quantile(null_score, 1 - pol["alpha"] / n_tests))
    thresholds = {s: floors[s] * scale for s in floors}
    ratios = {s: obs.stats[s] / thresholds[s] for s in floors}
    decided, drifted, verdict = _verdict(ref, obs, ratios, col.n, pol)
    return FeatureDrift(
        name=name,
        kind=ref.kind,
        role=ref.role,
        verdict=verdict,
        drifted=drifted,
        decided=decided,
        score=max(ratios.values()) if decided or drifted else 0.0,
        n_current=obs.valid,
        stats=obs.stats,
        thresholds=thresholds,
        info=obs.info,
        chart=obs.chart,
    )


def _missing(obs: features.Observation, ref: Summary, col: ColumnSketch, b: int, rng: Any) -> None:
    n = col.n
    ref_bad = ref.missing + ref.nonfinite
    cur_bad = n - obs.valid
    obs.stats["missing_change"] = abs(drift.missing_change(ref_bad, ref.n, cur_bad, n))
    obs.info["missing_share"] = cur_bad / n if n else 0.0
    obs.info["missing_share_reference"] = ref_bad / ref.n if ref.n else 0.0
    p = ref_bad / ref.n if ref.n else 0.0
    sim = rng.binomial(max(n, 1), p, size=b) / max(n, 1)
    base = features._resample_share(ref.n, n, p, b, rng)
    obs.null["missing_change"] = np.abs(sim - base)


def _numeric(ref: Summary, col: ColumnSketch, pol: dict[str, Any], rng: Any) -> Any:
    edges = np.asarray(ref.edges)
    if col.valid == 0 or edges.size == 0:
        return features.Observation(stats={}, null={}, valid=col.valid)
    rc, rs = np.asarray(ref.counts), np.asarray(ref.sums)
    cc, cs = col.counts, col.sums
    groups = drift.coarse_groups(edges, ref.coarse_edges)
    ng = len(ref.coarse_edges) + 1
    eps, scale = float(pol["eps"]), features.spread(ref)

    def stats(r: Any, c: Any, r_sums: Any, c_sums: Any) -> dict[str, Any]:
        return {
            "psi": drift.psi(drift.regroup(r, groups, ng), drift.regroup(c, groups, ng), eps),
            "ks": drift.ks_from_counts(r, c),
            "wasserstein": drift.wasserstein_from_sketch(edges, r, r_sums, c, c_sums) / scale,
        }

    observed = {k: float(v) for k, v in stats(rc, cc, rs, cs).items()}
    means = np.divide(rs, rc, out=np.zeros_like(rs), where=rc > 0)
    r_sim, c_sim = features._draw(rc, int(rc.sum()), col.valid, int(pol["bootstrap"]), rng)
    info = {
        "ks_pvalue": drift.ks_pvalue_limit(observed["ks"], int(rc.sum()), col.valid),
        "mean": col.mean,
        "mean_reference": ref.mean,
        "std": float(np.sqrt(col.m2 / col.valid)),
        "std_reference": ref.std,
    }
    null = stats(r_sim, c_sim, r_sim * means, c_sim * means)
    chart = features._numeric_chart(ref, cc, np.array([col.lo, col.hi]))
    return features.Observation(observed, null, col.valid, info, chart)


def _counts_series(col: ColumnSketch) -> pd.Series:
    import pandas as pd

    counts = pd.Series(col.values, dtype=np.float64)
    return counts.sort_values(ascending=False, kind="stable")


def _categorical(ref: Summary, col: ColumnSketch, pol: dict[str, Any], rng: Any) -> Any:
    ref_v, cur, unseen = features._category_vectors(ref, _counts_series(col))
    valid = int(cur.sum())
    if valid == 0 or ref_v.sum() == 0:
        return features.Observation(stats={}, null={}, valid=valid)
    eps = float(pol["eps"])

    def stats(r: Any, c: Any) -> dict[str, Any]:
        return {
            "psi": drift.psi(r, c, eps),
            "jensenshannon": drift.jensenshannon(r, c, base=2),
            "unseen_share": drift.shares(c)[..., -1],
        }

    observed = {k: float(v) for k, v in stats(ref_v, cur).items()}
    p = features._null_shares(ref_v, ref.singletons)
    r_sim, c_sim = features._draw(p, int(ref_v.sum()), valid, int(pol["bootstrap"]), rng)
    chi = drift.chisquare_vs_reference(ref_v, cur, eps)
    info = {
        "chisquare": chi.statistic,
        "chisquare_pvalue": chi.pvalue,
        "top_unseen": [(str(k), int(v)) for k, v in unseen.iloc[:10].items()],
    }
    chart = features._category_chart(ref.categories, ref_v, cur, "unseen")
    return features.Observation(observed, stats(r_sim, c_sim), valid, info, chart)


def _text(ref: Summary, col: ColumnSketch, pol: dict[str, Any], rng: Any) -> Any:
    counts = _counts_series(col)
    ref_v, cur, _ = features._category_vectors(ref, counts)
    n_tokens = int(cur.sum())
    if n_tokens == 0 or ref_v.sum() == 0:
        return features.Observation(stats={}, null={}, valid=col.valid)
    p = features._null_shares(ref_v, ref.singletons)
    baseline = float(p[-1])

    def stats(r: Any, c: Any) -> dict[str, Any]:
        return {
            "jensenshannon": drift.jensenshannon(r, c, base=2),
            "oov_increase": np.maximum(drift.shares(c)[..., -1] - baseline, 0.0),
        }

    observed = {k: float(v) for k, v in stats(ref_v, cur).items()}
    r_sim, c_sim = features._draw(p, int(ref_v.sum()), n_tokens, int(pol["bootstrap"]), rng)
    rate, new_share, top_new = drift.oov_stats(
        ref.categories, counts.index.to_numpy(dtype=object), counts.to_numpy()
    )
    info = {
        "oov_rate": rate,
        "oov_rate_expected": baseline,
        "new_token_share": new_share,
        "top_new_tokens": top_new,
    }
    chart = features._category_chart(ref.categories, ref_v, cur, "out of vocabulary")
    return features.Observation(observed, stats(r_sim, c_sim), col.valid, info, chart)


# ---------------------------------------------------------------- on an executor


@dataclass(frozen=True)
class _Part:
    reference: dict[str, Any]
    frame: Any = None
    path: str | None = None


def _sketch_part(part: _Part) -> WindowSketch:
    from fullcycle.scale.logwindow import read_partition

    reference = Reference.from_dict(part.reference)
    frame = part.frame if part.frame is not None else read_partition(part.path or "", reference)
    return sketch_frame(reference, frame)


def drift_window(
    reference: Reference,
    source: Any,
    executor: Executor | None = None,
    *,
    policy: Mapping[str, Any] | None = None,
    partition_rows: int = 1 << 20,
) -> DriftReport:
    """Compare a window with ``reference``, sketching its partitions on ``executor``.

    ``source`` is a DataFrame (cut into ``partition_rows`` slices) or a list of Parquet paths or
    URLs (plain feature columns, or prediction-log segments whose ``inputs`` hold JSON), each
    one partition read where the job runs.
    """
    if not isinstance(partition_rows, int) or partition_rows < 1:
        raise InvalidInput(f"partition_rows={partition_rows!r} must be a positive integer")
    executor = executor or SerialExecutor()
    ref = reference.to_dict()
    if hasattr(source, "iloc"):
        n = len(source)
        parts = [
            _Part(ref, frame=source.iloc[a : a + partition_rows])
            for a in range(0, n, partition_rows)
        ]
    elif isinstance(source, list | tuple):
        parts = [_Part(ref, path=str(p)) for p in source]
    else:
        raise InvalidInput(
            f"drift window source must be a DataFrame or a list of Parquet paths, "
            f"not {type(source).__name__}"
        )
    sketches = executor.map(_sketch_part, parts)
    if not sketches:
        import pandas as pd

        sketches = [sketch_frame(reference, pd.DataFrame())]
    return report(reference, combine(sketches), policy)
