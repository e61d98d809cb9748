"""Mergeable sketches of a window: the one input of every drift statistic.

A window (a frame, or each partition of a larger one) is reduced, column by column, to a
:class:`ColumnSketch` that adds up exactly across partitions:

- numbers: counts and sums in the reference's frozen fine bins, the count below the reference's
  minimum (the overflow bin under it; above its maximum is the last fine bin), and
  count/mean/M2 (Chan's update) and min/max;
- categories: the count of every distinct value (seen in the reference or not);
- text: the count of every distinct lowercase word token.

``features.observe`` turns a sketch and the reference's summary into statistics and a test;
the local report (``compare``) and the distributed one (``scale.drift_window``) both go through
here, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from fullcycle.monitoring import drift
from fullcycle.monitoring.reference import (
    NUMBER_KINDS,
    Reference,
    Summary,
    category_counts,
    numeric_values,
    tokenize,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ColumnSketch", "WindowSketch", "combine", "monitored", "sketch_column", "sketch_frame"]

OUTPUT_ROLES = ("prediction", "confidence")


@dataclass
class ColumnSketch:
    """One column of one partition; ``+`` merges two partitions exactly."""

    kind: str
    n: int = 0
    valid: int = 0
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sums: np.ndarray = field(default_factory=lambda: np.zeros(0))
    below: float = 0.0
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
            below=self.below + other.below,
            mean=self.mean + delta * n_b / total if total else 0.0,
            m2=self.m2 + other.m2 + delta * delta * n_a * n_b / total if total else 0.0,
            lo=min(self.lo, other.lo),
            hi=max(self.hi, other.hi),
            values=values,
        )

    @property
    def std(self) -> float:
        return float(np.sqrt(self.m2 / self.valid)) if self.valid else 0.0


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


def monitored(reference: Reference, frame_columns: Sequence[str]) -> list[str]:
    """The reference's columns in its order; model outputs only when the window has them."""
    return [
        name
        for name, s in reference.features.items()
        if s.role not in OUTPUT_ROLES or name in frame_columns
    ]


def sketch_frame(
    reference: Reference, frame: pd.DataFrame, names: Sequence[str] | None = None
) -> WindowSketch:
    """Sketch ``frame`` (default columns: :func:`monitored`); an absent column is all missing."""
    import pandas as pd

    cols: dict[str, ColumnSketch] = {}
    for name in monitored(reference, list(frame.columns)) if names is None else names:
        if name in frame.columns:
            series = frame[name]
        else:
            series = pd.Series([None] * len(frame), index=frame.index, dtype=object)
        cols[name] = sketch_column(reference.features[name], series)
    return WindowSketch(len(frame), cols)


def sketch_column(summary: Summary, series: pd.Series) -> ColumnSketch:
    """One column against its reference summary (see the module docstring)."""
    n = len(series)
    if summary.kind in NUMBER_KINDS:
        values, _, _ = numeric_values(series, summary.kind)
        out = ColumnSketch(kind=summary.kind, n=n, valid=int(values.size))
        if summary.edges and values.size:
            out.counts, out.sums = drift.bin_counts(values, np.asarray(summary.edges))
            out.below = float(np.count_nonzero(values < summary.edges[0]))
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
