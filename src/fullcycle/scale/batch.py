"""Batch scoring, partitioned over an executor: the local process pool or a Dask cluster.

The rows are cut into partitions of ``partition_rows``; each partition is one job that scores
its rows and returns a small Arrow table (``row``, ``prediction``, and ``proba_<class>`` for a
classifier). The output Parquet file is written only after every job has succeeded, under a
temporary name in the destination folder, fsynced and renamed: a reader sees no file or the whole
file, never the output of some partitions. The result equals ``model.predict`` on the whole
frame, whatever the executor.

Where partitions read their rows: from the Parquet file itself when the workers can see it
(``read_on_workers``: by default for the local pool and for URLs, e.g. ``s3://``), otherwise the
rows travel with the job.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fullcycle.errors import InvalidInput, NotFound, StoreUnavailable
from fullcycle.executor import Executor, LocalExecutor, SerialExecutor

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["BatchResult", "predict_batch", "score_rows"]

DEFAULT_PARTITION_ROWS = 1 << 20
MAX_PARTITIONS = 100_000


@dataclass(frozen=True)
class BatchResult:
    out_path: Path
    rows: int
    partitions: int
    seconds: float


@dataclass(frozen=True)
class _Job:
    """One partition: rows ``[start, stop)`` of ``path``, or ``frame`` itself."""

    model: bytes
    columns: tuple[str, ...] | None
    start: int
    stop: int
    path: str | None = None
    frame: Any = None


def score_rows(estimator: Any, frame: pd.DataFrame, first_row: int = 0) -> pa.Table:
    """``row``, ``prediction`` and, when the model gives probabilities, ``proba_<class>``."""
    import pyarrow as pa

    classes = getattr(estimator, "classes_", None)
    cols: dict[str, Any] = {"row": np.arange(first_row, first_row + len(frame), dtype=np.int64)}
    if classes is not None and hasattr(estimator, "predict_proba"):
        proba = np.asarray(estimator.predict_proba(frame), dtype=np.float64)
        cols["prediction"] = np.asarray(classes)[proba.argmax(axis=1)]
        for i, label in enumerate(classes):
            cols[f"proba_{label}"] = proba[:, i]
    else:
        cols["prediction"] = np.asarray(estimator.predict(frame))
    return pa.table(cols)


def _read_range(path: str, start: int, stop: int, columns: Sequence[str] | None) -> pd.DataFrame:
    """Rows ``[start, stop)`` of a Parquet file, reading only the row groups that hold them."""
    import fsspec
    import pyarrow.parquet as pq

    with fsspec.open(path, "rb") as fh:
        pf = pq.ParquetFile(fh)
        groups, offset, first = [], 0, None
        for g in range(pf.metadata.num_row_groups):
            n = pf.metadata.row_group(g).num_rows
            if offset + n > start and offset < stop:
                groups.append(g)
                first = offset if first is None else first
            offset += n
        if not groups:
            return pf.schema_arrow.empty_table().to_pandas()
        table: pa.Table = pf.read_row_groups(groups, columns=list(columns) if columns else None)
    assert first is not None
    return table.slice(start - first, stop - start).to_pandas()


def _score_job(job: _Job) -> pa.Table:
    estimator = pickle.loads(job.model)  # bytes made by predict_batch in this job's caller
    if job.frame is not None:
        frame = job.frame
    else:
        assert job.path is not None
        frame = _read_range(job.path, job.start, job.stop, job.columns)
    return score_rows(estimator, frame, job.start)


def _source_rows(path: str) -> int:
    import fsspec
    import pyarrow.parquet as pq

    try:
        with fsspec.open(path, "rb") as fh:
            return int(pq.ParquetFile(fh).metadata.num_rows)
    except FileNotFoundError:
        raise NotFound(f"batch input {path} does not exist", hint="check the path") from None
    except Exception as exc:
        raise InvalidInput(
            f"batch input {path} is not a readable Parquet file: {exc}",
            hint="convert it to Parquet, or pass a DataFrame",
        ) from exc


def _jobs(
    model: bytes,
    source: Any,
    columns: tuple[str, ...] | None,
    partition_rows: int,
    read_on_workers: bool,
) -> list[_Job]:
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        n = _source_rows(path)
        if not read_on_workers:
            source = _read_range(path, 0, n, columns)
        bounds = [(a, min(a + partition_rows, n)) for a in range(0, n, partition_rows)]
        if read_on_workers:
            return [_Job(model, columns, a, b, path=path) for a, b in bounds]
    frame = source if columns is None else _select(source, columns)
    n = len(frame)
    bounds = [(a, min(a + partition_rows, n)) for a in range(0, n, partition_rows)]
    return [_Job(model, None, a, b, frame=frame.iloc[a:b]) for a, b in bounds]


def _select(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"batch input lacks the model's input column(s) {', '.join(map(repr, missing))}",
            hint="score a dataset with the columns the model was trained on",
        )
    return frame[list(columns)]


def predict_batch(
    model: Any,
    frame_or_parquet_path: Any,
    out_path: str | os.PathLike[str],
    executor: Executor | None = None,
    *,
    partition_rows: int = DEFAULT_PARTITION_ROWS,
    columns: Sequence[str] | None = None,
    read_on_workers: bool | None = None,
) -> BatchResult:
    """Score every row of a DataFrame or Parquet file into ``out_path`` (Parquet).

    ``model`` is a fitted estimator, or anything with an ``estimator`` attribute (a registry
    ``LoadedModel``); ``columns`` are the model's inputs (default: every column).
    """
    import pandas as pd

    if not isinstance(partition_rows, int) or partition_rows < 1:
        raise InvalidInput(f"partition_rows={partition_rows!r} must be a positive integer")
    estimator = getattr(model, "estimator", model)
    if not hasattr(estimator, "predict"):
        raise InvalidInput(f"{type(estimator).__name__} has no predict method; pass a model")
    source = frame_or_parquet_path
    if not isinstance(source, str | os.PathLike | pd.DataFrame):
        raise InvalidInput(
            f"batch input must be a DataFrame or a Parquet path, not {type(source).__name__}"
        )
    executor = executor or LocalExecutor()
    if read_on_workers is None:
        local = isinstance(executor, LocalExecutor | SerialExecutor)
        read_on_workers = local or "://" in os.fspath(source if not _is_frame(source) else "")
    out = Path(out_path)
    if not out.parent.is_dir():
        raise NotFound(f"the output folder {out.parent} does not exist", hint="create it first")
    started = time.perf_counter()
    blob = pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL)
    cols = tuple(columns) if columns is not None else None
    jobs = _jobs(blob, source, cols, partition_rows, read_on_workers)
    if len(jobs) > MAX_PARTITIONS:
        raise InvalidInput(
            f"{len(jobs)} partitions of {partition_rows} rows is too many",
            hint="raise --partition-rows",
        )
    parts = executor.map(_score_job, jobs)
    rows = _write_atomically(parts, out)
    return BatchResult(out, rows, len(jobs), time.perf_counter() - started)


def _is_frame(obj: Any) -> bool:
    return hasattr(obj, "iloc")


def _write_atomically(parts: list[pa.Table], out: Path) -> int:
    """All parts into ``out`` through a temporary file, fsync and rename; returns the rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        table = pa.concat_tables(parts, promote_options="permissive") if parts else pa.table({})
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StoreUnavailable(f"cannot write the batch output {out}: {exc}") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return int(table.num_rows)
