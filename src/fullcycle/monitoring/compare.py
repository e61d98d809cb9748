"""Compare a window with a reference: statistics, calibrated thresholds, verdicts, ranking.

Thresholds. Each statistic has a floor in the policy (the smallest change worth an alarm,
e.g. PSI 0.2). For each feature the verdict statistics are also computed on ``bootstrap``
simulated no-drift windows of the window's size drawn from the reference sketch; the largest
statistic/floor ratio of each draw gives a no-drift distribution of the feature's score, and
its upper ``1 - alpha / n_features`` quantile (log-normal tail fit) becomes the multiplier ``T``
(at least 1). A feature drifts when some statistic exceeds ``floor * T``. Small windows thus get
higher thresholds (no false alarms from noise) and big windows fall back to the floors (no
alarm for a negligible but "significant" change, the known failure of p-values on big samples).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from fullcycle.errors import ConfigError, InvalidInput
from fullcycle.monitoring import drift, features
from fullcycle.monitoring.reference import NUMBER_KINDS, Reference, Summary
from fullcycle.monitoring.report import DriftReport, FeatureDrift

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_POLICY: dict[str, Any] = {
    "min_rows": 200,
    "psi": 0.2,
    "ks": 0.1,
    "wasserstein": 0.1,
    "jensenshannon": 0.1,
    "unseen_share": 0.05,
    "oov_increase": 0.05,
    "missing_change": 0.05,
    "domain_auc": 0.75,
    "domain_classifier": True,
    "alpha": 0.01,
    "bootstrap": 200,
    "dataset_drift_share": 0.0,
    "top_features": 3,
    "top_rows": 20,
    "eps": drift.EPSILON,
    "seed": 0,
    "workers": 0,
}
_INTS = ("min_rows", "bootstrap", "top_features", "top_rows", "seed", "workers")


def resolve_policy(policy: Mapping[str, Any] | None) -> dict[str, Any]:
    """The default policy updated with ``policy``; unknown keys or bad values raise ConfigError."""
    merged = dict(DEFAULT_POLICY)
    problems = []
    for key, value in dict(policy or {}).items():
        if key not in DEFAULT_POLICY:
            problems.append(f"unknown key {key!r}")
            continue
        default = DEFAULT_POLICY[key]
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif key in _INTS:
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        else:
            ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
        if not ok:
            problems.append(f"{key}={value!r} must be like {default!r}")
        merged[key] = value
    if not problems and not 0 < merged["alpha"] < 1:
        problems.append(f"alpha={merged['alpha']!r} must be between 0 and 1")
    if problems:
        raise ConfigError(
            "drift policy: " + "; ".join(problems),
            hint=f"known keys: {', '.join(sorted(DEFAULT_POLICY))}",
        )
    merged["bootstrap"] = max(int(merged["bootstrap"]), 20)
    return merged


def compare(
    reference: Reference,
    current: pd.DataFrame,
    kinds: Mapping[str, str] | None = None,
    policy: Mapping[str, Any] | None = None,
    *,
    predictions: Any = None,
    confidence: Any = None,
) -> DriftReport:
    """Compare ``current`` with ``reference`` column by column and decide drift.

    ``kinds`` limits the comparison to those columns (default: every column of the reference);
    a column absent from ``current`` counts as all missing. ``predictions``/``confidence`` are
    compared with the reference's ``prediction``/``confidence`` summaries when both exist.
    """
    pol = resolve_policy(policy)
    names = _columns(reference, kinds)
    series = _series(reference, current, names, predictions, confidence)
    seeds = np.random.SeedSequence(int(pol["seed"])).spawn(max(len(series), 1))
    rngs = [np.random.default_rng(seed) for seed in seeds]
    jobs = [
        (name, s, rng) for (name, s), rng in zip(series.items(), rngs[: len(series)], strict=True)
    ]
    n_tests = max(len(jobs), 1)
    workers = int(pol["workers"]) or min(os.cpu_count() or 1, 8)

    def run(job: tuple[str, Any, np.random.Generator]) -> FeatureDrift:
        name, s, rng = job
        return _feature(name, reference.features[name], s, pol, rng, n_tests)

    if workers > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(run, jobs))
    else:
        results = [run(j) for j in jobs]
    results.sort(key=lambda f: (not f.drifted, not f.decided, -f.score))
    _attach_rows(results, reference, series, current, pol)
    verdict = _dataset_verdict(results, len(current), pol)
    return DriftReport(
        verdict=verdict,
        drifted=verdict.startswith("drift"),
        n_reference=reference.n_rows,
        n_current=len(current),
        features=results,
        policy=pol,
    )


def _columns(reference: Reference, kinds: Mapping[str, str] | None) -> list[str]:
    if kinds is None:
        return list(reference.features)
    problems = []
    for name, kind in kinds.items():
        ref = reference.features.get(name)
        if ref is None:
            problems.append(f"column {name!r} has no reference summary")
        elif kind != ref.kind and not (kind in NUMBER_KINDS and ref.kind in NUMBER_KINDS):
            problems.append(f"column {name!r} is {kind!r} here but {ref.kind!r} in the reference")
    if problems:
        raise InvalidInput("; ".join(problems), hint="rebuild the reference or fix the kinds map")
    return list(kinds)


def _series(
    reference: Reference,
    current: pd.DataFrame,
    names: list[str],
    predictions: Any,
    confidence: Any,
) -> dict[str, pd.Series]:
    import pandas as pd

    outputs = {"prediction": predictions, "confidence": confidence}
    out: dict[str, pd.Series] = {}
    for name in names:
        role = reference.features[name].role
        if role in outputs:
            if outputs[role] is not None:
                out[name] = pd.Series(np.asarray(outputs[role]))
        elif name in current.columns:
            out[name] = current[name]
        else:
            out[name] = pd.Series([None] * len(current), index=current.index, dtype=object)
    return out


def _feature(
    name: str,
    ref: Summary,
    series: pd.Series,
    pol: dict[str, Any],
    rng: np.random.Generator,
    n_tests: int,
) -> FeatureDrift:
    obs = features.observe(ref, series, pol, rng)
    floors = {s: float(pol[s]) for s in obs.stats}
    null_score = np.max(
        [np.broadcast_to(obs.null[s], (pol["bootstrap"],)) / floors[s] for s in floors], axis=0
    )
    scale = max(1.0, drift.lognormal_quantile(null_score, 1 - pol["alpha"] / n_tests))
    thresholds = {s: floors[s] * scale for s in floors}
    ratios = {s: obs.stats[s] / thresholds[s] for s in floors}
    decided, drifted, verdict = _verdict(ref, obs, ratios, len(series), pol)
    auc = obs.info.get("domain_auc")
    if decided and auc is not None:
        ratios["domain_auc"] = (auc - 0.5) / (pol["domain_auc"] - 0.5)
        if auc > pol["domain_auc"]:
            drifted, verdict = True, "drift"
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


def _verdict(
    ref: Summary, obs: features.Observation, ratios: dict[str, float], n: int, pol: dict
) -> tuple[bool, bool, str]:
    """(decided, drifted, verdict text). Too few values is never a drift alarm."""
    need = int(pol["min_rows"])
    if n < need:
        return False, False, f"insufficient data: {n} rows, need {need}"
    if ratios.get("missing_change", 0.0) > 1.0:
        return True, True, "drift (missing values)"
    if ref.valid < need:
        return False, False, f"insufficient data: the reference has {ref.valid} values, need {need}"
    if obs.valid < need:
        return False, False, f"insufficient data: {obs.valid} values, need {need}"
    if max(ratios.values()) > 1.0:
        return True, True, "drift"
    return True, False, "no drift"


def _dataset_verdict(results: list[FeatureDrift], n: int, pol: dict[str, Any]) -> str:
    need = int(pol["min_rows"])
    if n < need:
        return f"insufficient data: {n} rows, need {need}"
    decided = [f for f in results if f.decided]
    drifted = [f for f in results if f.drifted]
    if not decided:
        return "insufficient data: no feature has enough values"
    if drifted and len(drifted) / len(decided) > pol["dataset_drift_share"]:
        return f"drift: {len(drifted)} of {len(decided)} features"
    return "no drift"


def _attach_rows(
    results: list[FeatureDrift],
    reference: Reference,
    series: dict[str, pd.Series],
    current: pd.DataFrame,
    pol: dict[str, Any],
) -> None:
    """For the top drifted features, the index labels of the rows that contribute most."""
    limit, eps = int(pol["top_rows"]), float(pol["eps"])
    for f in [f for f in results if f.drifted][: int(pol["top_features"])]:
        ref, s = reference.features[f.name], series[f.name].reset_index(drop=True)
        if f.verdict == "drift (missing values)":
            pos = np.flatnonzero(~np.isfinite(_as_float(s, ref)))[:limit]
        elif ref.kind in NUMBER_KINDS:
            pos = features.numeric_rows(ref, s, limit, eps)
        elif ref.kind == "categorical":
            pos = features.categorical_rows(ref, s, limit, eps)
        else:
            pos = features.text_rows(ref, s, limit)
        labels = current.index if len(s) == len(current) else s.index
        f.rows = [_label(v) for v in labels[pos]]


def _as_float(s: pd.Series, ref: Summary) -> np.ndarray:
    from fullcycle.monitoring.reference import numeric_array

    if ref.kind in NUMBER_KINDS:
        return numeric_array(s, ref.kind)
    return np.where(s.isna().to_numpy(), np.nan, 0.0)


def _label(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    return value if isinstance(value, int | str) else str(value)


def drift_frames(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    kinds: Mapping[str, str] | None = None,
    policy: Mapping[str, Any] | None = None,
    *,
    target: str | None = None,
) -> DriftReport:
    """Compare two data frames directly: kinds inferred from ``reference`` unless given.

    ``target``, if given, is compared like the features and marked with the role ``target``.
    """
    from fullcycle.monitoring.reference import build_reference, infer_kinds

    reference = reference.rename(columns=str)
    current = current.rename(columns=str)
    if target is not None and target not in reference.columns:
        raise InvalidInput(
            f"target column {target!r} is not in the reference data",
            hint=f"columns are {', '.join(map(str, reference.columns[:20]))}",
        )
    kinds = dict(kinds) if kinds is not None else infer_kinds(reference)
    roles = {target: "target"} if target is not None else None
    seed = int(resolve_policy(policy)["seed"])
    ref = build_reference(reference, kinds, roles=roles, seed=seed)
    return compare(ref, current, kinds, policy)
