"""Validate a whole frame against the contract, one column at a time, vectorised."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from fullcycle.contract._report import MAX_EXAMPLES, ColumnViolation, ValidationReport

if TYPE_CHECKING:
    from fullcycle.contract._model import Contract, Feature, Target

Found = list[tuple[str, np.ndarray]]


def validate_frame(
    contract: Contract, df: Any, *, require_target: bool = False
) -> ValidationReport:
    if not isinstance(df, pd.DataFrame):
        from fullcycle.errors import InvalidInput

        raise InvalidInput(f"expected a pandas DataFrame, got {type(df).__name__}")
    rows = len(df)
    out: list[ColumnViolation] = []
    columns = set(df.columns)
    for feature in contract.features:
        if feature.name not in columns:
            out.append(ColumnViolation(feature.name, "missing required column", rows, []))
            continue
        out.extend(_collect(feature.name, _check_feature(feature, _column(df, feature.name))))
    target = contract.target
    if target is not None and target.name in columns:
        out.extend(_collect(target.name, _check_target(target, _column(df, target.name))))
    elif target is not None and require_target:
        out.append(ColumnViolation(target.name, "missing target column", rows, []))
    return ValidationReport(rows=rows, violations=out)


#: How the frame checks word the problems that requests are served with (see SOFT_PROBLEMS).
SOFT_FRAME_PROBLEMS = (
    "unknown category",
    "below min",
    "above max",
    "before min",
    "after max",
    "longer than",
)


def soft_masks(
    contract: Contract, df: pd.DataFrame
) -> dict[str, list[tuple[str, str, np.ndarray]]]:
    """Per feature, each soft problem (unseen category, out of range, over-long text) as
    ``(kind, problem, mask of the rows that have it)``; features that refuse soft violations
    are left out."""
    out: dict[str, list[tuple[str, str, np.ndarray]]] = {}
    for feature in contract.features:
        if feature.refuses_soft or feature.name not in df.columns:
            continue
        found = _check_feature(feature, _column(df, feature.name))
        soft = [
            (next(k for k in SOFT_FRAME_PROBLEMS if p.startswith(k)), p, m)
            for p, m in found
            if p.startswith(SOFT_FRAME_PROBLEMS) and m.any()
        ]
        if soft:
            out[feature.name] = soft
    return out


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    col = df[name]
    if isinstance(col, pd.DataFrame):  # duplicate column names: check the first
        col = col.iloc[:, 0]
    return col


def _collect(name: str, found: Found) -> list[ColumnViolation]:
    out = []
    for problem, mask in found:
        count = int(np.count_nonzero(mask))
        if count:
            examples = np.flatnonzero(mask)[:MAX_EXAMPLES].tolist()
            out.append(ColumnViolation(name, problem, count, examples))
    return out


def _check_feature(feature: Feature, s: pd.Series) -> Found:
    if feature.kind in ("numeric", "integer"):
        return _check_number(s, feature.kind, feature.nullable, feature.bounds())
    if feature.kind == "datetime":
        return _check_datetime(s, feature.nullable, feature.bounds())
    null = s.isna().to_numpy()
    found: Found = [] if feature.nullable else [("null where not allowed", null)]
    if feature.kind == "categorical":
        s, wrong = _cells(s, _CATEGORY_KINDS, _is_category)
        found.append(("wrong type: expected a string or integer category", wrong))
        if feature.allowed is not None:
            shown = ", ".join(str(v) for v in feature.allowed[:10])
            more = ", ..." if len(feature.allowed) > 10 else ""
            unknown = ~s.isin(feature.allowed).to_numpy() & ~null & ~wrong
            found.append((f"unknown category (allowed: {shown}{more})", unknown))
        return found
    return found + _check_text(s, null, feature.max_length)


_STRING_KINDS = frozenset({"string", "empty"})
_CATEGORY_KINDS = frozenset({"string", "integer", "boolean", "empty"})
_NUMBER_KINDS = frozenset({"integer", "floating", "mixed-integer-float", "decimal", "empty"})


def _is_string(v: Any) -> bool:
    return isinstance(v, str)


def _is_category(v: Any) -> bool:
    return isinstance(v, str | int | np.integer | np.bool_)


def _is_number_like(v: Any) -> bool:  # numbers, or text that to_numeric may read as one
    return isinstance(v, str | float | np.floating | np.integer) or type(v) is int


def _cells(s: pd.Series, fine: frozenset[str], accept: Any) -> tuple[pd.Series, np.ndarray]:
    """An object column: the column with unacceptable cells blanked, and a mask of them.

    Only a column pandas cannot type at once is scanned value by value."""
    if not ptypes.is_object_dtype(s.dtype) or ptypes.infer_dtype(s, skipna=True) in fine:
        return s, np.zeros(len(s), dtype=bool)
    values = s.to_numpy(dtype=object)
    ok = np.fromiter(map(accept, values), dtype=bool, count=len(values))
    bad = ~ok & s.notna().to_numpy()
    return s.where(ok), bad


def _check_text(s: pd.Series, null: np.ndarray, max_length: int | None) -> Found:
    if not (ptypes.is_string_dtype(s.dtype) or ptypes.is_object_dtype(s.dtype)):
        return [("wrong type: expected text", ~null)]
    s, wrong = _cells(s, _STRING_KINDS, _is_string)
    lengths = s.str.len().to_numpy(dtype="float64", na_value=np.nan)
    found: Found = [("wrong type: expected text", wrong)]
    if max_length is not None:
        found.append((f"longer than max_length {max_length}", lengths > max_length))
    return found


def _as_float(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Values as float64, and a mask of cells that are present but not numbers."""
    if ptypes.is_bool_dtype(s.dtype):
        return np.full(len(s), np.nan), s.notna().to_numpy()
    if ptypes.is_numeric_dtype(s.dtype):
        return s.to_numpy(dtype="float64", na_value=np.nan), np.zeros(len(s), dtype=bool)
    present = s.notna().to_numpy()
    s, _ = _cells(s, _NUMBER_KINDS, _is_number_like)  # bools would pass as 0/1
    values = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return values, present & np.isnan(values)


def _check_number(s: pd.Series, kind: str, nullable: bool, bounds: tuple[Any, Any]) -> Found:
    values, wrong = _as_float(s)
    nan = np.isnan(values)
    found: Found = [("wrong type: expected a number", wrong)]
    if not nullable:
        found.append(("null where not allowed", nan & ~wrong))
    found.append(("infinite value", np.isinf(values)))
    if kind == "integer":
        with np.errstate(invalid="ignore"):
            fractional = np.isfinite(values) & (np.floor(values) != values)
        found.append(("not an integer", fractional))
    return found + _range(values, bounds)


def _range(values: np.ndarray, bounds: tuple[Any, Any]) -> Found:
    lo, hi = bounds
    found: Found = []
    with np.errstate(invalid="ignore"):
        if lo is not None:
            found.append((f"below min {lo}", values < lo))
        if hi is not None:
            found.append((f"above max {hi}", values > hi))
    return found


def _check_datetime(s: pd.Series, nullable: bool, bounds: tuple[Any, Any]) -> Found:
    null = s.isna().to_numpy()
    if ptypes.is_datetime64_any_dtype(s.dtype):
        stamps = s if getattr(s.dtype, "tz", None) is None else s.dt.tz_convert(None)
    elif ptypes.is_string_dtype(s.dtype) or ptypes.is_object_dtype(s.dtype):
        s, _ = _cells(s, _STRING_KINDS, _is_string)
        stamps = pd.to_datetime(s, errors="coerce", utc=True, format="ISO8601").dt.tz_convert(None)
    else:
        return [("wrong type: expected ISO 8601 dates or times", ~null)]
    parsed = stamps.isna().to_numpy()
    found: Found = [("wrong type: expected ISO 8601 dates or times", parsed & ~null)]
    if not nullable:
        found.append(("null where not allowed", null))
    lo, hi = (None if b is None else pd.Timestamp(b) for b in bounds)
    if lo is not None:
        found.append((f"before min {lo.isoformat()}", (stamps < lo).to_numpy()))
    if hi is not None:
        found.append((f"after max {hi.isoformat()}", (stamps > hi).to_numpy()))
    return found


def _check_target(target: Target, s: pd.Series) -> Found:
    null = s.isna().to_numpy()
    found: Found = [("null target", null)]
    if target.kind == "numeric":
        values, wrong = _as_float(s)
        return found + [
            ("wrong type: expected a number", wrong),
            ("infinite value", np.isinf(values)),
        ]
    if target.classes is not None:
        classes = list(target.classes)
        unknown = ~s.isin(classes).to_numpy() & ~null
        found.append((f"class not in the list ({', '.join(map(str, classes[:10]))})", unknown))
    return found
