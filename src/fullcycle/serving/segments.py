"""Prediction-log segments on disk: seal a JSON Lines segment into Parquet files partitioned by
day and model version, register them in the store, recover segments a killed process left, and
read a window back with DuckDB.

Sealing is idempotent (file names derive from the segment's name, registration skips known
paths), so a crash at any step is repaired by sealing again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson

from fullcycle.serving.quarantine import guarded
from fullcycle.store import logs
from fullcycle.store.db import Database

ACTIVE = "active"
OPENING = ".opening"  # a new segment's name until it is locked (never written to)
SEALED = "sealed"
ROW_GROUP = 8192  # rows per Parquet row group: the unit a request-id lookup reads
COLUMNS = (
    "request_id",
    "row",
    "ts",
    "model",
    "version",
    "route",
    "status",
    "latency_ms",
    "inputs",
    "output",
    "proba",
    "error",
)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_lines(path: Path) -> list[dict[str, Any]]:
    """Records of a segment; a torn last line (a killed writer) is skipped."""
    out = []
    with open(path, "rb") as fh:
        for line in fh:
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(rec, dict):
                out.append(rec)
    return out


def _json_col(values: list[Any]) -> list[str | None]:
    return [None if v is None else orjson.dumps(v).decode() for v in values]


def _table(rows: list[dict[str, Any]]) -> Any:
    import pyarrow as pa

    cols = {c: [r.get(c) for r in rows] for c in COLUMNS}
    for c in ("inputs", "output", "proba"):
        cols[c] = _json_col(cols[c])
    schema = pa.schema(
        [
            ("request_id", pa.string()),
            ("row", pa.int32()),
            ("ts", pa.float64()),
            ("model", pa.string()),
            ("version", pa.int64()),
            ("route", pa.string()),
            ("status", pa.int32()),
            ("latency_ms", pa.float64()),
            ("inputs", pa.string()),
            ("output", pa.string()),
            ("proba", pa.string()),
            ("error", pa.string()),
        ]
    )
    return pa.table(cols, schema=schema)


def rows_frame(rows: list[dict[str, Any]]) -> Any:
    """Rows of an active segment as a pandas frame with the sealed files' columns and types:
    JSON columns hold the JSON text of each value as it was logged, so an answer ``0`` stays
    ``0`` beside a refused row's null (a plain DataFrame would make the column float). A row
    whose fields do not fit the columns is left out rather than failing the whole read."""
    try:
        return _table(rows).to_pandas()
    except Exception:
        import pandas as pd

        fitting = []
        for r in rows:
            with contextlib.suppress(Exception):
                _table([r])
                fitting.append(r)
        return _table(fitting).to_pandas() if fitting else pd.DataFrame({c: [] for c in COLUMNS})


def _write_parquet(rows: list[dict[str, Any]], dest: Path) -> str:
    """Rows sorted by request id in small row groups, so a lookup of one id reads only the
    row group whose min/max statistics hold it, even when ids are not time-ordered (ids that
    clients chose make every segment's id range overlap)."""
    import pyarrow.parquet as pq

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    ordered = sorted(rows, key=lambda r: (str(r.get("request_id")), r.get("row") or 0))
    try:
        pq.write_table(_table(ordered), tmp, compression="zstd", row_group_size=ROW_GROUP)
        with open(tmp, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:  # a full disk: no partial file stays behind
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(dest.parent)
    return digest


def seal(db: Database, root: Path, segment: Path, *, replica: str, model: str) -> int:
    """Turn one JSON Lines segment into registered Parquet files, then delete it."""
    rows = read_lines(segment)
    groups: dict[tuple[str, Any], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        day = time.strftime("%Y-%m-%d", time.gmtime(float(r.get("ts") or 0)))
        groups[(day, r.get("version"))].append(r)
    for (day, version), part in sorted(groups.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        vdir = "none" if version is None else str(version)
        dest = root / SEALED / f"day={day}" / f"version={vdir}" / f"{segment.stem}.parquet"
        digest = _write_parquet(part, dest)
        ids = sorted(str(r.get("request_id")) for r in part)
        ts = [float(r.get("ts") or 0) for r in part]
        logs.register_segment(
            db,
            path=str(dest),
            replica=replica,
            model=model,
            t_min=min(ts),
            t_max=max(ts),
            n_rows=len(part),
            sha256=digest,
            versions=[] if version is None else [version],
            id_min=ids[0][:64],
            id_max=ids[-1][:64],
        )
    with contextlib.suppress(FileNotFoundError):
        segment.unlink()
    return len(rows)


def recover(db: Database, root: Path, *, replica: str, model: str) -> int:
    """Seal segments whose writer is gone (their lock is free); returns the rows recovered."""
    total = 0
    active = root / ACTIVE
    if not active.is_dir():
        return 0
    for stale in active.glob(f"*{OPENING}"):  # a writer killed between open and rename
        _unlink_if_stale(stale)
    for path in sorted(active.glob("*.jsonl")):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # a live writer holds it
        try:
            if path.exists():
                total += seal(db, root, path, replica=replica, model=model)
        finally:
            os.close(fd)
    return total


def _unlink_if_stale(path: Path, age_s: float = 60.0) -> None:
    """An opening segment older than ``age_s`` is a writer's that died before its rename (a
    live one renames microseconds after it opens); it was never written to."""
    with contextlib.suppress(FileNotFoundError):
        if time.time() - path.stat().st_mtime > age_s:
            path.unlink()


def read_log(
    db: Database,
    since: float | None = None,
    until: float | None = None,
    version: int | None = None,
    *,
    model: str | None = None,
    request_id: str | None = None,
) -> Any:
    """Sealed prediction-log rows in ``[since, until]`` as a pandas DataFrame (DuckDB scan)."""
    import duckdb
    import pandas as pd

    found = logs.segments(db, since=since, until=until, model=model, request_id=request_id)
    found = [
        s for s in found if (version is None or version in s.versions) and os.path.exists(s.path)
    ]
    empty = pd.DataFrame({c: [] for c in COLUMNS})
    where, params = ["1=1"], []
    for clause, value in (
        ("ts >= ?", since),
        ("ts <= ?", until),
        ("version = ?", version),
        ("model = ?", model),
        ("request_id = ?", request_id),
    ):
        if value is not None:
            where.append(clause)
            params.append(value)
    query = (
        f"SELECT * FROM read_parquet(?, union_by_name=true) WHERE {' AND '.join(where)} "
        "ORDER BY ts, request_id, row"
    )

    def run(paths: list[str]) -> Any:
        con = duckdb.connect()
        try:
            return con.execute(query, [paths, *params]).df()
        finally:
            con.close()

    return guarded(db, found, run, empty)


def logged_ids(db: Database, ids: list[str]) -> set[str]:
    """The ids among ``ids`` that have a record in the sealed log (one scan, pruned by the
    segments' id ranges)."""
    import duckdb

    if not ids:
        return set()
    lo, hi = min(ids), max(ids)
    found = [
        s
        for s in logs.segments(db)
        if s.id_min is not None
        and s.id_max is not None
        and s.id_min <= hi[:64]
        and s.id_max >= lo[:64]
        and os.path.exists(s.path)
    ]

    def run(paths: list[str]) -> set[str]:
        con = duckdb.connect()
        try:
            rows = con.execute(
                "SELECT DISTINCT request_id FROM read_parquet(?) "
                "WHERE request_id IN (SELECT UNNEST(?::VARCHAR[]))",
                [paths, list(ids)],
            ).fetchall()
        finally:
            con.close()
        return {r[0] for r in rows}

    return guarded(db, found, run, set())
