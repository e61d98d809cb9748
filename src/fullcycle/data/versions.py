"""Immutable dataset versions ``NAME@N``, stored once as canonical Parquet.

The canonical bytes (fixed column order, no pandas or timestamp metadata, one chunk per column,
fixed compression and row-group size) are a function of the data alone, so their sha256
identifies the version: adding identical data again returns the version that holds it.
Nothing is stored until the data has been read, checked and validated against the contract.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from fullcycle.data.profile import profile_table, schema_of
from fullcycle.data.reading import conform, read_frame, read_path
from fullcycle.errors import InvalidInput
from fullcycle.names import check_name, parse_ref
from fullcycle.records import DatasetVersion
from fullcycle.store import datasets as dataset_store
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database

if TYPE_CHECKING:
    import pandas as pd

    from fullcycle.contract import Contract

ROW_GROUP = 1 << 20
NUMBER_TYPES = {"numeric": pa.float64(), "integer": pa.int64()}
COMPRESSION = "snappy"


def add_data(
    db: Database,
    artifacts: ArtifactStore,
    frame_or_path: Any,
    name: str,
    *,
    contract: Contract | None = None,
    allow_violations: bool = False,
    require_target: bool = True,
    parents: Sequence[str] = (),
    origin: Mapping[str, Any] | None = None,
    actor: str = "api",
) -> DatasetVersion:
    """Read, check, validate and store ``frame_or_path`` as the next version of ``name``.

    ``frame_or_path``: a CSV / TSV / Parquet / JSON Lines path, a pandas DataFrame or a pyarrow
    Table. Contract violations raise :class:`ContractViolation` and store nothing, unless
    ``allow_violations`` (then they are recorded with the version). ``require_target=False``
    accepts rows without the target column (production rows scored by a model, to be labelled).
    """
    check_name(name, "dataset name")
    parent_refs = [resolve(db, p).ref for p in parents]
    with ThreadPoolExecutor(max_workers=2) as pool:  # pyarrow and hashlib release the GIL
        table, what, made = _read(frame_or_path, _column_types(contract), pool)
        table = canonical_table(_parse_times(table, contract), contract)
        table = normalised_target(table, contract)
        parquet = pool.submit(canonical_bytes, table)
        profile = pool.submit(profile_table, table, _kinds(contract))
        violations = _validate(table, contract, what, allow_violations, require_target)
        data = parquet.result()
        sha = hashlib.sha256(data).hexdigest()
        same = dataset_store.find_sha(db, name, sha)
        if same is not None:
            return same
        artifacts.put_bytes(data)  # type: ignore[arg-type]  # any buffer works, no copy
        version, _created = dataset_store.insert(
            db,
            name=name,
            sha256=sha,
            actor=actor,
            n_rows=table.num_rows,
            n_cols=table.num_columns,
            schema=schema_of(table),
            profile=profile.result(),
            parents=parent_refs,
            origin=dict(origin) if origin is not None else made,
            violations=violations,
        )
    return version


def _read(
    obj: Any, types: dict[str, pa.DataType], pool: Executor | None = None
) -> tuple[pa.Table, str, dict[str, Any]]:
    if isinstance(obj, str | os.PathLike):
        path = Path(obj)
        file_sha = pool.submit(_file_sha, path) if pool is not None else None
        table, fmt = read_path(path, types)
        digest = file_sha.result() if file_sha is not None else _file_sha(path)
        made = {"kind": "file", "file": path.name, "format": fmt, "sha256": digest}
        return table, path.name, made
    table = conform(read_frame(obj), types)
    return table, f"the {type(obj).__name__}", {"kind": "frame", "type": type(obj).__name__}


def read_any(frame_or_path: Any) -> pd.DataFrame:
    """The data as pandas, read with the same checks as :func:`add_data` (for inference)."""
    table, _what, _made = _read(frame_or_path, {})
    return table.to_pandas()


def normalised_target(table: pa.Table, contract: Contract | None) -> pa.Table:
    """The target column with its classes spelled once ("1", 1.0 -> 1; "yes" -> True). Each
    distinct value is normalised once, so a million rows cost what their classes cost."""
    import pyarrow.compute as pc

    target = contract.target if contract is not None else None
    if target is None or target.name not in table.column_names:
        return table
    from fullcycle.contract import normalise_column, target_spec

    column = table.column(target.name)
    distinct = column.unique().drop_null()
    values = distinct.to_pylist()
    fixed = normalise_column(values, target_spec(target))
    if all(type(a) is type(b) and a == b for a, b in zip(fixed, values, strict=True)):
        return table
    try:
        mapped = pa.array(fixed, type=pa.float64() if target.kind == "numeric" else None)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return table  # mixed kinds: the contract check names the bad rows
    out = mapped.take(pc.index_in(column, value_set=distinct))
    return table.set_column(table.column_names.index(target.name), target.name, out)


def _file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _column_types(contract: Contract | None) -> dict[str, pa.DataType]:
    """The Arrow type of each contract column, so "007" is never read as the number 7."""
    if contract is None:
        return {}
    out: dict[str, pa.DataType] = {}
    for f in contract.features:
        if f.kind == "text" or (
            f.kind == "categorical" and all(isinstance(v, str) for v in f.allowed or ())
        ):
            out[f.name] = pa.string()
        elif f.kind in NUMBER_TYPES:
            out[f.name] = NUMBER_TYPES[f.kind]
    target = contract.target
    if target is not None and target.kind == "numeric":
        out[target.name] = pa.float64()
    elif target is not None and all(isinstance(c, str) for c in target.classes or ()):
        out[target.name] = pa.string()
    return out


def _parse_times(table: pa.Table, contract: Contract | None) -> pa.Table:
    """Datetime features read as text (mixed ISO 8601 forms) become naive UTC timestamps when
    every value parses; otherwise they stay text for the contract check to report."""
    import pandas as pd

    for f in contract.features if contract is not None else ():
        if f.kind != "datetime" or f.name not in table.column_names:
            continue
        i = table.column_names.index(f.name)
        if not pa.types.is_string(table.schema.field(i).type):
            continue
        text = table.column(i).to_pandas()
        when = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
        if (when.isna() & text.notna()).any():
            continue
        stamps = pa.array(when.dt.tz_convert(None), type=pa.timestamp("us"))
        table = table.set_column(i, f.name, stamps)
    return table


def _kinds(contract: Contract | None) -> dict[str, str]:
    if contract is None:
        return {}
    kinds: dict[str, str] = {f.name: f.kind for f in contract.features}
    if contract.target is not None:
        kinds[contract.target.name] = contract.target.kind
    return kinds


def _validate(
    table: pa.Table, contract: Contract | None, what: str, allow: bool, require_target: bool
) -> list[dict[str, Any]]:
    if contract is None:
        return []
    target = contract.target
    if require_target and target is not None and target.name not in table.column_names:
        shown = ", ".join(table.column_names[:12])
        raise InvalidInput(
            f"{what}: target column {target.name!r} is missing (columns: {shown})",
            hint="add the column, or fix target in fullcycle.yaml",
        )
    report = contract.validate_frame(table.to_pandas(), require_target=require_target)
    if report.ok:
        return []
    if not allow:
        report.raise_if_failed(what)
    return [{"column": c, **v} for c, v in report.violations_by_column.items()]


def canonical_table(table: pa.Table, contract: Contract | None = None) -> pa.Table:
    """Contract features first, then the target, then other columns in their order; plain
    types (no dictionaries, no large strings); no schema or field metadata; one chunk."""
    order: list[str] = []
    if contract is not None:
        order = [f.name for f in contract.features if f.name in table.column_names]
        if contract.target is not None and contract.target.name in table.column_names:
            order.append(contract.target.name)
    order += [c for c in table.column_names if c not in order]
    columns = [_plain(table.column(c)) for c in order]
    fields = [pa.field(c, col.type) for c, col in zip(order, columns, strict=True)]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields)).combine_chunks()


def _plain(column: pa.ChunkedArray) -> pa.ChunkedArray:
    typ = column.type
    if pa.types.is_dictionary(typ):
        column = column.cast(typ.value_type)
        typ = column.type
    if pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
        return column.cast(pa.string())
    if pa.types.is_large_binary(typ):
        return column.cast(pa.binary())
    if pa.types.is_null(typ):
        return column.cast(pa.string())
    return column


def canonical_bytes(table: pa.Table) -> memoryview:
    """The table as Parquet (a view of Arrow's buffer: no copy of a large file)."""
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(
        table,
        sink,
        row_group_size=ROW_GROUP,
        compression=COMPRESSION,
        use_dictionary=True,
        write_statistics=True,
    )
    return memoryview(sink.getvalue())


def resolve(db: Database, ref: str) -> DatasetVersion:
    """``NAME@N``, or ``NAME`` for its latest version."""
    name, version, _ = parse_ref(ref, "dataset")
    return dataset_store.get(db, name, version)


def load_table(db: Database, artifacts: ArtifactStore, ref: str) -> pa.Table:
    import pyarrow.parquet as pq

    version = resolve(db, ref)
    with artifacts.local_copy(version.sha256) as path:
        return pq.read_table(path)


def load(db: Database, artifacts: ArtifactStore, ref: str) -> pd.DataFrame:
    """The rows of ``NAME@N`` (or the latest ``NAME``) as a pandas DataFrame."""
    return load_table(db, artifacts, ref).to_pandas()


def listing(db: Database, name: str | None = None) -> list[DatasetVersion]:
    if name is not None:
        check_name(name, "dataset name")
    return dataset_store.listing(db, name=name)
