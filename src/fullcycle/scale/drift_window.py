"""Drift over windows too large for one pass in memory: per-partition sketches, combined.

Each partition of the window (a slice of a frame, a Parquet file, a sealed prediction-log
segment) is reduced, on the executor, to a :class:`~fullcycle.monitoring.sketch.WindowSketch`
(``monitoring/sketch.py``). Sketches add up exactly; the combined sketch then goes through the
one drift engine, :func:`fullcycle.monitoring.compare.report_from_sketch`, which is also what
``compare`` runs on a frame held in memory. So the two paths cannot disagree:

Exact (bit-for-bit equal to the single-machine computation, because they depend only on
integer counts): PSI, KS at the frozen edges and its p-value, chi-square and its p-value,
Jensen-Shannon, unseen-category share, OOV rate and increase, new-token share, missing shares
and their change, every corrected p-value and verdict that depends only on these.

Equal up to floating-point rounding (sums added in another order, relative error ~1e-12):
Wasserstein, which uses the per-bin sums, and the window's mean and standard deviation.

Left out over large windows: the per-row evidence (``rows``) and the text domain classifier
(both need the raw values).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fullcycle.errors import InvalidInput
from fullcycle.executor import Executor, SerialExecutor
from fullcycle.monitoring.compare import report_from_sketch, resolve_policy
from fullcycle.monitoring.reference import Reference
from fullcycle.monitoring.report import DriftReport
from fullcycle.monitoring.sketch import (
    ColumnSketch,
    WindowSketch,
    combine,
    sketch_frame,
)
from fullcycle.scale.logwindow import read_partition, segment_paths

if TYPE_CHECKING:
    from fullcycle.store.db import Database

__all__ = [
    "ColumnSketch",
    "WindowSketch",
    "combine",
    "drift_log_window",
    "drift_window",
    "report",
    "sketch_frame",
]


def report(
    reference: Reference, sketch: WindowSketch, policy: Mapping[str, Any] | None = None
) -> DriftReport:
    """The drift report of a combined sketch, as ``compare`` would give on the whole window
    (without the domain classifier, which needs raw texts)."""
    pol = resolve_policy(policy)
    pol["domain_classifier"] = False
    return report_from_sketch(reference, sketch, pol)


# ---------------------------------------------------------------- on an executor


@dataclass(frozen=True)
class _Part:
    reference: dict[str, Any]
    frame: Any = None
    path: str | None = None


def _sketch_part(part: _Part) -> WindowSketch:
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


def drift_log_window(
    db: Database,
    reference: Reference,
    since: float | None = None,
    until: float | None = None,
    executor: Executor | None = None,
    *,
    model: str | None = None,
    policy: dict[str, Any] | None = None,
) -> DriftReport:
    """Drift of every sealed segment in the window, one segment per job, combined exactly.

    Segments are whole: a segment that straddles ``since`` or ``until`` counts in full (the
    window is rounded out to segment boundaries, at most one segment's age on each side).
    """
    paths = segment_paths(db, since, until, model=model)
    return drift_window(reference, paths, executor, policy=policy)
