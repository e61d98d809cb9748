"""A per-column profile of a table, computed with pyarrow.compute (no per-row Python).

Numbers: missing share, min, max, mean, std and quantiles (exact up to 250,000 values, beyond
that from every k-th value, within a fraction of a percentile). Categories: distinct count and the
top values with their counts. Text: length statistics and vocabulary size (distinct lowercase
whitespace-separated tokens). Datetimes: the first and last time. Every value is JSON-able.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
TOP = 10
GUESS_ROWS = 20_000
QUANTILE_ROWS = 250_000  # above this, quantiles come from a systematic sample of it


def profile_table(table: pa.Table, kinds: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``{column: {kind, type, missing, ...}}``; ``kinds`` (from the contract) beat guessing."""
    kinds = kinds or {}
    out: dict[str, Any] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = kinds.get(name) or guess_kind(column)
        out[name] = profile_column(column, kind)
    return out


def schema_of(table: pa.Table) -> list[dict[str, Any]]:
    return [{"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in table.schema]


def guess_kind(column: pa.ChunkedArray) -> str:
    typ = column.type
    if pa.types.is_boolean(typ) or pa.types.is_dictionary(typ):
        return "categorical"
    if pa.types.is_integer(typ):
        return "integer"
    if pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        return "numeric"
    if pa.types.is_temporal(typ):
        return "datetime"
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return _text_or_category(column)
    return "other"


def _text_or_category(column: pa.ChunkedArray) -> str:
    column = pc.drop_null(column.slice(0, GUESS_ROWS))  # the first rows decide: cheap, stable
    present = len(column)
    if present == 0:
        return "categorical"
    distinct = pc.count_distinct(column).as_py()
    tokens = pc.list_value_length(pc.utf8_split_whitespace(column))
    mean_tokens = pc.mean(tokens).as_py() or 0.0
    if mean_tokens > 2.0 or (distinct > 50 and distinct > 0.5 * present):
        return "text"
    return "categorical"


def profile_column(column: pa.ChunkedArray, kind: str) -> dict[str, Any]:
    n = len(column)
    missing = column.null_count
    typ = column.type
    if pa.types.is_floating(typ):
        missing += pc.sum(pc.is_nan(column)).as_py() or 0
    base: dict[str, Any] = {
        "kind": kind,
        "type": str(typ),
        "count": n,
        "missing": round(missing / n, 6) if n else 0.0,
    }
    if kind in ("numeric", "integer") and _is_number(typ):
        base.update(_numbers(column))
    elif kind == "datetime" and pa.types.is_temporal(typ):
        lo_hi = pc.min_max(column).as_py()
        base.update(min=_json(lo_hi["min"]), max=_json(lo_hi["max"]))
    elif kind == "text" and (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
        base.update(_text(column))
    elif _is_scalar(typ):
        base.update(_categories(column))
    return base


def _is_scalar(typ: pa.DataType) -> bool:
    """Not a list, struct or map: something value_counts can count."""
    return not (pa.types.is_nested(typ) or pa.types.is_binary(typ))


def _is_number(typ: pa.DataType) -> bool:
    return pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ)


def _numbers(column: pa.ChunkedArray) -> dict[str, Any]:
    values = column.cast(pa.float64()) if not pa.types.is_floating(column.type) else column
    values = pc.drop_null(pc.if_else(pc.is_finite(values), values, None))
    if len(values) == 0:
        return {"min": None, "max": None, "mean": None, "std": None, "quantiles": {}}
    lo_hi = pc.min_max(column if pa.types.is_integer(column.type) else values).as_py()
    step = -(-len(values) // QUANTILE_ROWS)  # every step-th value: a systematic sample
    sample = values.take(np.arange(0, len(values), step)) if step > 1 else values
    qs = pc.quantile(sample, q=list(QUANTILES), interpolation="linear").to_pylist()
    out = {
        "min": _json(lo_hi["min"]),
        "max": _json(lo_hi["max"]),
        "mean": _json(pc.mean(values).as_py()),
        "std": _json(pc.stddev(values).as_py()),
        "quantiles": {str(q): _json(v) for q, v in zip(QUANTILES, qs, strict=True)},
    }
    if step > 1:
        out["quantiles_from"] = len(sample)
    return out


def _categories(column: pa.ChunkedArray) -> dict[str, Any]:
    counts = pc.value_counts(pc.drop_null(column))
    if len(counts) == 0:
        return {"distinct": 0, "top": []}
    values, freq = counts.field("values"), counts.field("counts")
    order = pc.sort_indices(
        pa.table({"f": freq, "v": values.cast(pa.string())}),
        sort_keys=[("f", "descending"), ("v", "ascending")],
    )
    top = order[:TOP].to_pylist()
    return {
        "distinct": len(counts),
        "top": [[_json(values[i].as_py()), int(freq[i].as_py())] for i in top],
    }


def _text(column: pa.ChunkedArray) -> dict[str, Any]:
    lengths = pc.drop_null(pc.utf8_length(column))
    if len(lengths) == 0:
        return {"length": {}, "vocabulary": 0}
    stats = pc.min_max(lengths).as_py()
    qs = pc.quantile(lengths, q=[0.5, 0.95]).to_pylist()
    tokens = _tokens(pc.drop_null(column))
    return {
        "length": {
            "min": stats["min"],
            "max": stats["max"],
            "mean": _json(pc.mean(lengths).as_py()),
            "p50": qs[0],
            "p95": qs[1],
        },
        "vocabulary": pc.count_distinct(tokens).as_py(),
    }


def _tokens(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Lowercase whitespace-separated tokens (the ASCII kernels are faster and agree on ASCII)."""
    if pc.all(pc.string_is_ascii(column)).as_py() is not False:
        return pc.list_flatten(pc.ascii_split_whitespace(pc.ascii_lower(column)))
    return pc.list_flatten(pc.utf8_split_whitespace(pc.utf8_lower(column)))


def _json(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 10) if math.isfinite(value) else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "item"):
        return value.item()
    return value
