"""Compare a window with a reference: effect sizes, corrected tests, verdicts, ranking.

A feature drifts when two things hold together: its two-sample test says the change is not
noise (the p-value, corrected for testing every feature at once with Benjamini-Hochberg or
Holm, is below ``alpha``), and some effect size exceeds its floor in the policy (the smallest
change worth an alarm, e.g. PSI 0.2, KS 0.1). The test keeps small windows from raising false
alarms; the floors keep big windows from alarming on negligible but "significant" changes.
Too few rows is never an alarm.

Statistics come from mergeable sketches (``sketch.py``) through ``features.observe``:
:func:`report_from_sketch` is the one engine, used here on a frame and by
``scale.drift_window`` on partitions combined. Features are ranked by drift weighted with
the model's permutation importance (stored with the reference), and the report carries an
importance-weighted drift score in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from fullcycle.errors import ConfigError, InvalidInput
from fullcycle.monitoring import drift, features
from fullcycle.monitoring.reference import NUMBER_KINDS, Reference, Summary
from fullcycle.monitoring.report import DriftReport, FeatureDrift
from fullcycle.monitoring.sketch import ColumnSketch, WindowSketch, sketch_column
from fullcycle.records import DriftVerdict

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_POLICY: dict[str, Any] = {
    "min_rows": 200,
    **{name: stat.floor for name, stat in features.STATISTICS.items()},
    "prediction_psi": 0.2,  # the PSI floor of the model's outputs (prediction, confidence)
    "missing_change": features.MISSING_FLOOR,
    "domain_auc": 0.75,
    "domain_classifier": True,
    "alpha": 0.01,
    "correction": "bh",
    "dataset_drift_share": 0.0,
    "top_features": 3,
    "top_rows": 20,
    "eps": drift.EPSILON,
    "seed": 0,
    "workers": 0,
}
_INTS = ("min_rows", "top_features", "top_rows", "seed", "workers")
CORRECTIONS = ("bh", "holm")


def resolve_policy(policy: Mapping[str, Any] | None) -> dict[str, Any]:
    """The default policy updated with ``policy``; unknown keys or bad values raise ConfigError."""
    defaults = {**{n: st.floor for n, st in features.STATISTICS.items()}, **DEFAULT_POLICY}
    merged = dict(defaults)
    problems = []
    for key, value in dict(policy or {}).items():
        if key not in defaults:
            problems.append(f"unknown key {key!r}")
            continue
        default = defaults[key]
        if key == "correction":
            ok = value in CORRECTIONS
        elif isinstance(default, bool):
            ok = isinstance(value, bool)
        elif key in _INTS:
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        else:
            lowest = 0 if key == "dataset_drift_share" else 1e-300
            ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= lowest
        if not ok:
            problems.append(f"{key}={value!r} must be like {default!r}")
        merged[key] = value
    if not problems and not 0 < merged["alpha"] < 1:
        problems.append(f"alpha={merged['alpha']!r} must be between 0 and 1")
    if problems:
        raise ConfigError(
            "drift policy: " + "; ".join(problems),
            hint=f"known keys: {', '.join(sorted(defaults))}",
        )
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
    sketch = WindowSketch(
        len(current), {n: sketch_column(reference.features[n], s) for n, s in series.items()}
    )
    domain = _domain(reference, series, pol)
    report = report_from_sketch(reference, sketch, pol, domain=domain)
    _attach_rows(report.features, reference, series, current, pol)
    return report


def report_from_sketch(
    reference: Reference,
    sketch: WindowSketch,
    policy: Mapping[str, Any] | None = None,
    *,
    domain: Mapping[str, float | None] | None = None,
) -> DriftReport:
    """The drift report of a window's sketch: the one engine behind every drift report.

    ``domain`` holds text features' domain-classifier AUCs where they were computed (they
    need raw texts, so only the local path has them)."""
    pol = resolve_policy(policy)
    need = int(pol["min_rows"])
    obs = {
        name: features.observe(reference.features[name], col, float(pol["eps"]))
        for name, col in sketch.columns.items()
    }
    tested = [n for n, col in sketch.columns.items() if col.n >= need]
    adjusted = drift.adjust_pvalues([obs[n].pvalue for n in tested], pol["correction"])
    qvalues = dict(zip(tested, adjusted.tolist(), strict=True))
    for name, auc in (domain or {}).items():
        if auc is not None and name in obs:
            obs[name].info["domain_auc"] = auc
    results = [
        _feature(name, reference.features[name], sketch.columns[name], obs[name], qvalues, pol)
        for name in sketch.columns
    ]
    _weigh(results, reference)
    results.sort(key=lambda f: (not f.drifted, not f.decided, -f.score * f.weight))
    outcome, verdict = _dataset_verdict(results, sketch.n_rows, pol)
    return DriftReport(
        verdict=verdict,
        drifted=outcome is DriftVerdict.DRIFT,
        outcome=outcome,
        n_reference=reference.n_rows,
        n_current=sketch.n_rows,
        features=results,
        policy=pol,
        drift_score=_drift_score(results),
    )


def _domain(reference: Reference, series: dict[str, pd.Series], pol: dict) -> dict:
    if not pol["domain_classifier"]:
        return {}
    return {
        name: features._domain_auc(reference.features[name], s, int(pol["seed"]))
        for name, s in series.items()
        if reference.features[name].kind == "text" and len(s) >= int(pol["min_rows"])
    }


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
    col: ColumnSketch,
    obs: features.Observation,
    qvalues: Mapping[str, float],
    pol: dict[str, Any],
) -> FeatureDrift:
    floors = {s: float(pol[_floor_key(s, ref)]) for s in obs.stats}
    ratios = {s: obs.stats[s] / floors[s] for s in floors}
    q = qvalues.get(name)
    decided, drifted, verdict = _verdict(ref, obs, ratios, q, col.n, pol)
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
        thresholds=floors,
        info=obs.info,
        chart=obs.chart,
        pvalue=obs.pvalue,
        pvalue_adjusted=q,
    )


def _floor_key(statistic: str, ref: Summary) -> str:
    """The policy key of a statistic's floor: outputs have their own PSI floor."""
    if statistic == "psi" and ref.role in ("prediction", "confidence"):
        return "prediction_psi"
    return statistic


#: a feature's verdict when its share of missing values is what moved (its rows are the missing)
MISSING_VALUES_DRIFT = "drift (missing values)"


def _verdict(
    ref: Summary,
    obs: features.Observation,
    ratios: dict[str, float],
    q: float | None,
    n: int,
    pol: dict,
) -> tuple[bool, bool, str]:
    """(decided, drifted, verdict text). Too few values is never a drift alarm."""
    need = int(pol["min_rows"])
    if n < need or q is None:
        return False, False, f"insufficient data: {n} rows, need {need}"
    significant = q < float(pol["alpha"])
    missing_drift = ratios.get("missing_change", 0.0) > 1.0
    if significant and missing_drift and obs.pvalues["missing"] == min(obs.pvalues.values()):
        return True, True, MISSING_VALUES_DRIFT
    if ref.valid < need:
        return False, False, f"insufficient data: the reference has {ref.valid} values, need {need}"
    if obs.valid < need:
        return False, False, f"insufficient data: {obs.valid} values, need {need}"
    if significant and max(ratios.values()) > 1.0:
        return True, True, "drift"
    return True, False, "no drift"


def _weigh(results: list[FeatureDrift], reference: Reference) -> None:
    """Each feature's weight: its share of the model's importance times the number of
    features (1 for every feature when the reference has no importance)."""
    raw = [max(reference.features[f.name].importance or 0.0, 0.0) for f in results]
    total = sum(raw)
    if total <= 0 or not any(reference.features[f.name].importance is not None for f in results):
        return
    for f, w in zip(results, raw, strict=True):
        f.weight = w * len(results) / total


def _drift_score(results: list[FeatureDrift]) -> float:
    """The importance-weighted share of drifted features among the decided ones, in [0, 1]."""
    decided = [f for f in results if f.decided]
    total = sum(f.weight for f in decided)
    if total <= 0:
        return 0.0
    return sum(f.weight for f in decided if f.drifted) / total


def _dataset_verdict(
    results: list[FeatureDrift], n: int, pol: dict[str, Any]
) -> tuple[DriftVerdict, str]:
    """The window's verdict and the sentence that says why."""
    need = int(pol["min_rows"])
    if n < need:
        return DriftVerdict.INSUFFICIENT_DATA, f"insufficient data: {n} rows, need {need}"
    decided = [f for f in results if f.decided]
    drifted = [f for f in results if f.drifted]
    if not decided:
        return DriftVerdict.INSUFFICIENT_DATA, "insufficient data: no feature has enough values"
    if drifted and len(drifted) / len(decided) > pol["dataset_drift_share"]:
        return DriftVerdict.DRIFT, f"drift: {len(drifted)} of {len(decided)} features"
    return DriftVerdict.NO_DRIFT, "no drift"


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
        if f.verdict == MISSING_VALUES_DRIFT:
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
