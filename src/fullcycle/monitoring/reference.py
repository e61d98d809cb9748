"""The monitoring reference: per-feature summaries of the training data, frozen at that time.

Monitoring always compares a window against these summaries, never against bins recomputed on
the fly. A :class:`Reference` is plain data (``to_dict``/``from_dict`` round-trip through JSON)
and is stored with the model version.

Per kind (``numeric``, ``integer``, ``datetime`` are summarised alike, datetimes as epoch
seconds):

- numbers: a fine quantile sketch (``sketch_size`` + 1 edges, deduplicated) with the count and
  sum of values per bin, the decile edges used by PSI (a subset of the fine edges, so PSI
  counts are sums of fine counts), mean and standard deviation;
- categories: the ``max_categories`` most frequent values and their counts, the rest as one
  ``other`` count, and the number of values seen once (Good-Turing estimate of unseen mass);
- text: the ``max_vocab`` most frequent lowercase word tokens with counts, ``other`` tokens,
  singletons, and a small sample of texts for the domain classifier;
- all: row count, missing (None/NaN) and non-finite (+-inf) counts.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fullcycle.errors import InvalidInput
from fullcycle.monitoring import drift

if TYPE_CHECKING:
    import pandas as pd

KINDS = ("numeric", "integer", "categorical", "text", "datetime")
NUMBER_KINDS = ("numeric", "integer", "datetime")
ROLES = ("feature", "target", "prediction", "confidence")
TOKEN_RE = r"\w+"
FORMAT = 1
#: Up to this many values, reference quantiles are exact; above, read from a sample this big.
EXACT_QUANTILES_UP_TO = 200_000


@dataclass
class Summary:
    """What the reference knows about one column."""

    kind: str
    role: str = "feature"
    n: int = 0
    missing: int = 0
    nonfinite: int = 0
    edges: list[float] = field(default_factory=list)
    coarse_edges: list[float] = field(default_factory=list)
    counts: list[float] = field(default_factory=list)
    sums: list[float] = field(default_factory=list)
    mean: float = 0.0
    std: float = 0.0
    categories: list[str] = field(default_factory=list)
    other: float = 0.0
    singletons: int = 0
    sample: list[str] = field(default_factory=list)
    importance: float | None = None  # the model's permutation importance, when known

    @property
    def valid(self) -> int:
        """Values usable for distribution statistics (present and finite)."""
        return self.n - self.missing - self.nonfinite


@dataclass
class Reference:
    """Frozen summaries of every monitored column of the training data."""

    n_rows: int
    features: dict[str, Summary]
    format: int = FORMAT

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "n_rows": self.n_rows,
            "features": {k: dataclasses.asdict(v) for k, v in self.features.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reference:
        """Rebuild a reference from :meth:`to_dict` output; malformed input raises InvalidInput."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise InvalidInput(
                "monitoring reference: not a format-1 reference dict",
                hint="rebuild it with fullcycle.monitoring.reference.build_reference",
            )
        known = {f.name for f in dataclasses.fields(Summary)}
        features: dict[str, Summary] = {}
        for name, raw in dict(data.get("features") or {}).items():
            extra = set(raw) - known if isinstance(raw, Mapping) else {"<not a dict>"}
            if extra or raw.get("kind") not in KINDS:
                raise InvalidInput(
                    f"monitoring reference: feature {name!r} is malformed ({sorted(extra)})",
                    hint="rebuild the reference",
                )
            features[str(name)] = Summary(**raw)
        return cls(n_rows=int(data.get("n_rows", 0)), features=features)


def build_reference(
    frame: pd.DataFrame,
    kinds: Mapping[str, str],
    *,
    roles: Mapping[str, str] | None = None,
    predictions: Any = None,
    confidence: Any = None,
    sketch_size: int = 1000,
    max_categories: int = 1000,
    max_vocab: int = 20000,
    text_sample: int = 500,
    seed: int = 0,
    workers: int = 0,
) -> Reference:
    """Summarise ``frame``'s columns named in ``kinds`` (column -> kind).

    ``predictions`` (class labels or numbers) and ``confidence`` (numbers), when given, are
    summarised as the columns ``prediction`` and ``confidence`` with those roles. Columns are
    summarised in ``workers`` threads (0: one per CPU, at most 8); numpy sorts release the GIL.
    """
    import pandas as pd

    check_kinds(frame, kinds)
    roles = dict(roles or {})
    columns: dict[str, tuple[pd.Series, str, str]] = {
        name: (frame[name], kind, roles.get(name, "feature")) for name, kind in kinds.items()
    }
    if predictions is not None:
        pred = pd.Series(np.asarray(predictions))
        columns["prediction"] = (pred, infer_kind(pred), "prediction")
    if confidence is not None:
        columns["confidence"] = (pd.Series(np.asarray(confidence)), "numeric", "confidence")
    opts = {
        "sketch_size": sketch_size,
        "max_categories": max_categories,
        "max_vocab": max_vocab,
        "text_sample": text_sample,
        "seed": seed,
    }

    def one(item: tuple[str, tuple[pd.Series, str, str]]) -> Summary:
        series, kind, role = item[1]
        summary = summarise(series, kind, **opts)
        summary.role = role
        return summary

    workers = workers or min(os.cpu_count() or 1, 8)
    if workers > 1 and len(columns) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            summaries = list(pool.map(one, columns.items()))
    else:
        summaries = [one(item) for item in columns.items()]
    return Reference(n_rows=len(frame), features=dict(zip(columns, summaries, strict=True)))


def check_kinds(frame: pd.DataFrame, kinds: Mapping[str, str]) -> None:
    """Raise InvalidInput naming every unknown column or kind."""
    problems = [f"column {c!r} is not in the data" for c in kinds if c not in frame.columns]
    problems += [f"column {c!r}: unknown kind {k!r}" for c, k in kinds.items() if k not in KINDS]
    if problems:
        raise InvalidInput(
            "; ".join(problems), hint=f"kinds are {', '.join(KINDS)}; check the column names"
        )


def summarise(series: pd.Series, kind: str, **opts: Any) -> Summary:
    """Summarise one column as the given kind."""
    if kind in NUMBER_KINDS:
        sketch = int(opts.get("sketch_size", 1000))
        return _numeric(series, kind, sketch, int(opts.get("seed", 0)))
    if kind == "categorical":
        return _categorical(series, int(opts.get("max_categories", 1000)))
    return _text(
        series,
        int(opts.get("max_vocab", 20000)),
        int(opts.get("text_sample", 500)),
        int(opts.get("seed", 0)),
    )


def numeric_array(series: pd.Series, kind: str) -> np.ndarray:
    """All values as float64 (datetimes as epoch seconds); missing or unparseable as NaN."""
    import pandas as pd

    if kind == "datetime" or pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps = pd.to_datetime(series, errors="coerce", utc=True)
        nat = stamps.isna().to_numpy()
        ns = stamps.dt.tz_convert(None).to_numpy("datetime64[ns]").astype("int64")
        return np.where(nat, np.nan, ns / 1e9)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def numeric_values(series: pd.Series, kind: str) -> tuple[np.ndarray, int, int]:
    """Finite values as float64, the missing count and the non-finite (+-inf) count."""
    values = numeric_array(series, kind)
    finite = np.isfinite(values)
    if finite.all():
        return values, 0, 0
    nan = np.isnan(values)
    return values[finite], int(nan.sum()), int((~finite & ~nan).sum())


def _numeric(series: pd.Series, kind: str, sketch_size: int, seed: int = 0) -> Summary:
    values, missing, nonfinite = numeric_values(series, kind)
    out = Summary(kind=kind, n=len(series), missing=missing, nonfinite=nonfinite)
    if values.size == 0:
        return out
    edges, deciles = _quantile_edges(values, sketch_size, seed)
    counts, sums = drift.bin_counts(values, edges)
    out.edges, out.coarse_edges = edges.tolist(), deciles.tolist()
    out.counts, out.sums = counts.tolist(), sums.tolist()
    out.mean, out.std = float(sums.sum() / values.size), float(values.std())
    return out


def _quantile_edges(
    values: np.ndarray, sketch_size: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Fine edges at ``sketch_size`` quantiles and the deciles among them (both deduplicated).

    Above ``EXACT_QUANTILES_UP_TO`` values the quantiles are read from a random sample (the
    bins need not be exact quantiles, only frozen); the true minimum and maximum are kept so
    the reference's range is exact.
    """
    if values.size > EXACT_QUANTILES_UP_TO:
        rng = np.random.default_rng(seed)
        sample = values[rng.integers(0, values.size, EXACT_QUANTILES_UP_TO)]
        xs = np.sort(np.concatenate([sample, [values.min(), values.max()]]))
    else:
        xs = np.sort(values)
    ranks = np.round(np.linspace(0, xs.size - 1, sketch_size + 1)).astype(np.intp)
    edges = np.unique(xs[ranks])
    deciles = np.unique(xs[ranks[np.linspace(0, sketch_size, 11).astype(np.intp)[1:-1]]])
    return edges, deciles


def category_counts(series: pd.Series) -> tuple[pd.Series, int]:
    """Counts per category (index as strings, most frequent first) and the missing count."""
    counts = series.value_counts(dropna=True)
    if counts.index.dtype != object or not all(isinstance(v, str) for v in counts.index[:5]):
        counts.index = counts.index.map(str)
        counts = counts.groupby(level=0, sort=False).sum()
    counts = counts[counts > 0].sort_values(ascending=False, kind="stable")
    return counts, int(series.isna().sum())


def _categorical(series: pd.Series, max_categories: int) -> Summary:
    counts, missing = category_counts(series)
    kept = counts.iloc[:max_categories]
    return Summary(
        kind="categorical",
        n=len(series),
        missing=missing,
        categories=[str(c) for c in kept.index],
        counts=kept.to_numpy(dtype=np.float64).tolist(),
        other=float(counts.iloc[max_categories:].sum()),
        singletons=int((counts == 1).sum()),
    )


def tokenize(series: pd.Series) -> pd.Series:
    """Lowercase word tokens, one row per token, indexed by the source row's position."""
    import pandas as pd

    text = series.reset_index(drop=True).dropna().astype(str).str.lower()
    tokens = text.str.findall(TOKEN_RE).explode().dropna()
    return pd.Series(tokens.to_numpy(dtype=object), index=tokens.index, dtype=object)


def _text(series: pd.Series, max_vocab: int, sample: int, seed: int) -> Summary:
    tokens = tokenize(series)
    counts = tokens.value_counts().sort_values(ascending=False, kind="stable")
    kept = counts.iloc[:max_vocab]
    present = series.dropna()
    if len(present) > sample:
        present = present.sample(n=sample, random_state=seed)
    return Summary(
        kind="text",
        n=len(series),
        missing=int(series.isna().sum()),
        categories=[str(t) for t in kept.index],
        counts=kept.to_numpy(dtype=np.float64).tolist(),
        other=float(counts.iloc[max_vocab:].sum()),
        singletons=int((counts == 1).sum()),
        sample=[str(t)[:2000] for t in present],
    )


def infer_kind(series: pd.Series) -> str:
    """Guess a column's kind from its dtype and values."""
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_integer_dtype(dtype):
        return "categorical" if series.nunique(dropna=True) <= 2 else "integer"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    present = series.dropna().astype(str)
    if present.empty:
        return "categorical"
    head = present.iloc[:2000]
    words = head.str.count(r"\s+").mean() + 1
    if words >= 3 and head.nunique() > 0.5 * len(head):
        return "text"
    return "categorical"


def infer_kinds(frame: pd.DataFrame) -> dict[str, str]:
    """Kinds for every column of ``frame`` (see :func:`infer_kind`)."""
    return {str(name): infer_kind(frame[name]) for name in frame.columns}


def permutation_importance(
    model: Any, rows: pd.DataFrame, *, seed: int = 0, repeats: int = 2, max_rows: int = 1000
) -> dict[str, float]:
    """How much the model's answers depend on each column, measured on held-out ``rows`` with
    no labels: the column is shuffled and the answers compared with the unshuffled ones (the
    share of changed labels, or for numbers the mean absolute change over their spread),
    averaged over ``repeats`` shuffles. Drift in a column the model ignores scores ~0."""
    if len(rows) > max_rows:
        rows = rows.sample(n=max_rows, random_state=seed)
    rows = rows.reset_index(drop=True)
    base = np.asarray(model.predict(rows))
    numeric = base.dtype.kind in "fc"
    spread = float(np.std(base)) if numeric else 1.0
    rng = np.random.default_rng(seed)
    out: dict[str, float] = {}
    for name in rows.columns:
        changes = []
        for _ in range(repeats):
            shuffled = rows.copy()
            shuffled[name] = rows[name].to_numpy()[rng.permutation(len(rows))]
            answer = np.asarray(model.predict(shuffled))
            if numeric:
                changes.append(float(np.mean(np.abs(answer - base))) / (spread or 1.0))
            else:
                changes.append(float(np.mean(answer != base)))
        out[str(name)] = float(np.mean(changes))
    return out


def training_reference(
    kinds: Mapping[str, str],
    features: pd.DataFrame,
    predictions: Any,
    confidence: Any,
    *,
    model: Any = None,
    held_out: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The reference a training run freezes: its features, plus the model's predictions and
    confidence on held-out rows when it has them (JSON-able). With the fitted ``model`` and
    ``held_out`` rows, each feature also carries its permutation importance, which weighs
    drift by what it does to the model."""
    import pandas as pd

    reference = build_reference(features, kinds).to_dict()
    if model is not None and held_out is not None and len(held_out):
        try:
            importance = permutation_importance(model, held_out[list(kinds)])
        except (ValueError, TypeError, KeyError):  # a model that cannot take shuffled rows
            importance = {}
        for name, value in importance.items():
            reference["features"][name]["importance"] = value
    if predictions is not None:
        outputs = pd.DataFrame({"prediction": predictions, "confidence": confidence})
        extra = build_reference(
            outputs,
            {"prediction": "categorical", "confidence": "numeric"},
            roles={"prediction": "prediction", "confidence": "confidence"},
        ).to_dict()
        reference["features"].update(extra["features"])
    return reference
