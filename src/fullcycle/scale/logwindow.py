"""Partitions of a large window: Parquet files or sealed prediction-log segments, local or remote.

A sealed segment holds one row per scored request row, its ``inputs`` as JSON and its
``output``; :func:`read_partition` turns it into feature columns plus ``prediction`` (rejected
requests and shadow predictions are left out, so each production row counts once). Any other
Parquet file is read as it is. Paths may be fsspec URLs (``s3://...``), read where the job runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from fullcycle.errors import InvalidInput, NotFound
from fullcycle.monitoring.reference import Reference
from fullcycle.store import logs
from fullcycle.store.db import Database

if TYPE_CHECKING:
    import pandas as pd


__all__ = ["read_partition", "segment_paths"]

LOG_COLUMNS = ("request_id", "inputs", "output", "route", "error", "row")


def read_partition(path: str, reference: Reference) -> pd.DataFrame:
    """One partition as a frame of the reference's columns (missing ones are left out)."""
    import fsspec
    import pyarrow.parquet as pq

    try:
        with fsspec.open(path, "rb") as fh:
            table = pq.read_table(fh)
    except FileNotFoundError:
        raise NotFound(f"window partition {path} does not exist") from None
    except Exception as exc:
        raise InvalidInput(f"window partition {path} is not readable Parquet: {exc}") from exc
    if "inputs" in table.column_names and "output" in table.column_names:
        return _log_frame(table, reference)
    wanted = [c for c in reference.features if c in table.column_names]
    return table.select(wanted).to_pandas()


def _log_frame(table: Any, reference: Reference) -> pd.DataFrame:
    import pandas as pd

    rows = table.select([c for c in LOG_COLUMNS if c in table.column_names]).to_pylist()
    kept = [
        r
        for r in rows
        if r.get("error") is None and (r.get("row") or 0) >= 0 and r.get("route") != "shadow"
    ]
    records = [_loads(r.get("inputs")) for r in kept]
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    outputs = {name for name, s in reference.features.items() if s.role == "prediction"}
    for name in outputs:
        frame[name] = [_loads(r.get("output")) for r in kept]
    return frame


def _loads(raw: Any) -> Any:
    if raw is None:
        return None
    value = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
    return value if not isinstance(value, list) else str(value)


def segment_paths(
    db: Database,
    since: float | None = None,
    until: float | None = None,
    *,
    model: str | None = None,
) -> list[str]:
    """Paths (or URLs) of the sealed log segments that may hold rows in ``[since, until]``."""
    return [s.path for s in logs.segments(db, since=since, until=until, model=model)]
