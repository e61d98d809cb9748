"""Validate request rows (JSON-like dicts): a plain loop for a few rows, by column for many."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fullcycle.contract._report import Violation
from fullcycle.contract._values import SOFT_PROBLEMS, parse_datetime
from fullcycle.errors import ContractViolation

if TYPE_CHECKING:
    from fullcycle.contract._model import Contract

COLUMNAR_FROM = 32  # rows; below this the per-row loop is faster (bench/contract.py)
MAX_INT = 2**53
_JSON_TYPES = {
    str: "string",
    bool: "boolean",
    list: "array",
    dict: "object",
    type(None): "null",
    int: "integer",
    float: "number",
    tuple: "array",
}
Spec = tuple[str, str, Any, Any, Any, bool, Any, bool]


class Soft(str):
    """A problem that is served with a flag rather than refused (see ``SOFT_PROBLEMS``)."""

    __slots__ = ()


def _tname(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _specs(contract: Contract) -> list[Spec]:
    specs: list[Spec] = []
    for f in contract.features:
        lo, hi = f.bounds()
        allowed = (
            None
            if f.allowed is None
            else (
                frozenset(f.allowed),
                any(type(v) is bool for v in f.allowed),
                ", ".join(str(v) for v in f.allowed[:10])
                + (", ..." if len(f.allowed) > 10 else ""),
            )
        )
        specs.append((f.name, f.kind, lo, hi, allowed, f.nullable, f.max_length, f.refuses_soft))
    return specs


def _problem(spec: Spec, v: Any) -> str | None:
    """What is wrong with one value, or None; a :class:`Soft` problem unless the feature
    refuses soft violations."""
    problem = _check_value(spec, v)
    if problem is None or spec[7] or not problem.startswith(SOFT_PROBLEMS):
        return problem
    return Soft(problem)


def _check_value(spec: Spec, v: Any) -> str | None:
    """What is wrong with one value, or None. The order of checks is the documented one."""
    _, kind, lo, hi, allowed, nullable, max_length, _ = spec
    t = type(v)
    if v is None:
        return None if nullable else "null where not allowed"
    if kind == "numeric" or kind == "integer":
        if t is not float and t is not int:
            return f"must be a number, got {_tname(v)}"
        if t is float:
            if not math.isfinite(v):
                return "NaN and infinity are not allowed"
            if kind == "integer" and not v.is_integer():
                return f"must be an integer, got {v!r}"
        elif not -MAX_INT <= v <= MAX_INT:
            return "integer too large (beyond 2**53)"
    elif kind == "categorical":
        if t is not str and t is not int and t is not bool:
            return f"must be a string or integer category, got {_tname(v)}"
        if allowed is not None and (v not in allowed[0] or (t is bool and not allowed[1])):
            shown = v if t is not str or len(v) <= 40 else v[:37] + "..."
            return f"unknown category {shown!r} (allowed: {allowed[2]})"
        return None
    elif kind == "text":
        if t is not str:
            return f"must be a string, got {_tname(v)}"
        if max_length is not None and len(v) > max_length:
            return f"longer than max_length {max_length}"
        return None
    else:
        if t is not str:
            return f"must be an ISO 8601 date or time string, got {_tname(v)}"
        try:
            v = parse_datetime(v)
        except ValueError:
            return "not an ISO 8601 date or time"
    if lo is not None and v < lo:
        return f"below min {lo}"
    if hi is not None and v > hi:
        return f"above max {hi}"
    return None


def _row_shape(i: int, rec: Any, expected: frozenset[str], names: list[str]) -> list[Violation]:
    if type(rec) is not dict:
        return [Violation(i, "(row)", f"must be an object of feature values, got {_tname(rec)}")]
    signature = ", ".join(names)
    out = [
        Violation(i, n, f"missing; the model expects: {signature}") for n in names if n not in rec
    ]
    out += [
        Violation(i, str(k)[:100], f"unexpected field; the model expects: {signature}")
        for k in rec
        if k not in expected
    ]
    return out


def _check_rows(
    specs: list[Spec], expected: frozenset[str], names: list[str], records: list[Any], rows: range
) -> tuple[list[int], list[Violation]]:
    good, out = [], []
    for i in rows:
        rec = records[i]
        if type(rec) is not dict or rec.keys() != expected:
            out += _row_shape(i, rec, expected, names)
            if type(rec) is not dict:
                continue
        bad = False
        for spec in specs:
            if spec[0] in rec:
                problem = _problem(spec, rec[spec[0]])
                if problem is not None:
                    soft = type(problem) is Soft
                    out.append(Violation(i, spec[0], str(problem), soft))
                    bad = bad or not soft
        if not bad and rec.keys() == expected:
            good.append(i)
    return good, out


def _check_column(spec: Spec, col: list[Any], rows: list[int]) -> list[tuple[int, str]]:
    """One feature over many rows; numpy where the types allow, else value by value."""
    kind, nullable = spec[1], spec[5]
    types = set(map(type, col))
    if kind in ("numeric", "integer") and types <= {float, int}:
        if int in types and any(type(v) is int and not -MAX_INT <= v <= MAX_INT for v in col):
            return _slow(spec, col, rows)
        values = np.asarray(col, dtype="float64")
        lo, hi = spec[2], spec[3]
        bad = ~np.isfinite(values)
        if kind == "integer":
            bad |= np.floor(values) != values
        if lo is not None:
            bad |= values < lo
        if hi is not None:
            bad |= values > hi
        return (
            _slow(
                spec, [col[j] for j in np.flatnonzero(bad)], [rows[j] for j in np.flatnonzero(bad)]
            )
            if bad.any()
            else []
        )
    if kind in ("categorical", "text") and types <= ({str, type(None)} if nullable else {str}):
        allowed, max_length = spec[4], spec[6]
        if kind == "categorical" and allowed is not None and not set(col) <= allowed[0] | {None}:
            return _slow(spec, col, rows)
        longest = max(map(len, filter(None, col)), default=0) if kind == "text" else 0
        if max_length is not None and longest > max_length:
            return _slow(spec, col, rows)
        return []
    return _slow(spec, col, rows)


def _slow(spec: Spec, col: list[Any], rows: list[int]) -> list[tuple[int, str]]:
    found = ((r, _problem(spec, v)) for r, v in zip(rows, col, strict=True))
    return [(r, p) for r, p in found if p is not None]


def _check_columnar(
    specs: list[Spec], expected: frozenset[str], names: list[str], records: list[Any]
) -> tuple[list[int], list[Violation]]:
    shaped = [i for i, r in enumerate(records) if type(r) is dict and r.keys() == expected]
    if len(shaped) == len(records):
        odd: list[Violation] = []
    else:
        keep = set(shaped)
        others = [i for i in range(len(records)) if i not in keep]
        _, odd = _check_rows(specs, expected, names, records, others)  # type: ignore[arg-type]
    found: list[Violation] = []
    for spec in specs:
        col = [records[i][spec[0]] for i in shaped]
        found += [
            Violation(r, spec[0], str(p), type(p) is Soft)
            for r, p in _check_column(spec, col, shaped)
        ]
    bad_rows = {v.row for v in found if not v.soft}
    out = sorted(odd + found, key=lambda v: v.row)  # stable: features stay in contract order
    return [i for i in shaped if i not in bad_rows], out


def check_records(
    contract: Contract,
    records: Any,
    *,
    columnar: bool | None = None,
) -> tuple[list[int], list[Violation]]:
    """Indexes of the rows to serve, and every hard violation, sorted by row then feature."""
    good, found = screen_records(contract, records, columnar=columnar)
    return good, [v for v in found if not v.soft]


def screen_records(
    contract: Contract,
    records: Any,
    *,
    columnar: bool | None = None,
) -> tuple[list[int], list[Violation]]:
    """Indexes of the rows to serve (no hard violation), and every violation, hard and soft,
    sorted by row then feature."""
    if not isinstance(records, list):
        raise ContractViolation(
            f"a request must be a list of rows, got {_tname(records)}",
            [Violation(-1, "(batch)", "must be a list of rows")],
        )
    if not records:
        raise ContractViolation(
            "the request has no rows",
            [Violation(-1, "(batch)", "empty batch")],
            hint=f"send at least one row with: {', '.join(contract.names)}",
        )
    if contract._prepared is None:
        contract._prepared = (_specs(contract), contract.names, frozenset(contract.names))
    specs, names, expected = contract._prepared
    if columnar if columnar is not None else len(records) >= COLUMNAR_FROM:
        return _check_columnar(specs, expected, names, records)
    return _check_rows(specs, expected, names, records, range(len(records)))


def validate_records(contract: Contract, records: Any) -> tuple[pd.DataFrame, list[Violation]]:
    """The frame of the rows to serve and the hard violations. Soft ones are in the frame's
    ``attrs["flags"]``: ``{row: ["field: problem", ...]}`` (absent when there are none)."""
    good, found = screen_records(contract, records)
    frame = build_frame(contract, [records[i] for i in good], good)
    flags = flags_by_row(found)
    if flags:
        frame.attrs["flags"] = flags
    return frame, [v for v in found if not v.soft]


def flags_by_row(violations: list[Violation]) -> dict[int, list[str]]:
    """Soft violations grouped by row, in the short form logged with a served row."""
    out: dict[int, list[str]] = {}
    for v in violations:
        if v.soft:
            out.setdefault(v.row, []).append(v.flag())
    return out


def build_frame(contract: Contract, rows: list[dict[str, Any]], index: list[int]) -> pd.DataFrame:
    """The checked rows as a frame with the contract's column order and dtypes.

    Text and categories stay ``object`` columns: building pandas' string arrays would cost
    more than the checks themselves on a one-row request."""
    names = contract.names
    kinds = [f.kind for f in contract.features]
    labels = pd.RangeIndex(len(index)) if index == list(range(len(index))) else pd.Index(index)
    numbers_only = rows and all(k in ("numeric", "integer") for k in kinds)
    if numbers_only and not any(r[n] is None for r in rows for n in names):
        matrix = np.array([[r[n] for n in names] for r in rows], dtype="float64")
        return pd.DataFrame(matrix, columns=names, index=labels, copy=False)
    floats = [n for n, k in zip(names, kinds, strict=True) if k == "numeric"]
    block: dict[str, np.ndarray] = {}
    if rows and floats and not any(r[n] is None for r in rows for n in floats):
        matrix = np.array([[r[n] for n in floats] for r in rows], dtype="float64").T
        block = dict(zip(floats, matrix, strict=True))
    arrays = [
        block[name] if name in block else _array(kind, [r[name] for r in rows])
        for name, kind in zip(names, kinds, strict=True)
    ]
    try:  # about 5x faster than the public constructor for a one-row request
        return pd.DataFrame._from_arrays(
            arrays, columns=pd.Index(names), index=labels, verify_integrity=False
        )
    except (AttributeError, TypeError):  # pragma: no cover - a pandas without the helper
        return pd.DataFrame(dict(zip(names, arrays, strict=True)), index=labels)


def _array(kind: str, col: list[Any]) -> np.ndarray:
    if kind == "numeric" or (kind == "integer" and None in col):
        return np.array([np.nan if v is None else v for v in col], dtype="float64")
    if kind == "integer":
        return np.array(col, dtype="int64")
    if kind == "datetime":
        stamps = pd.to_datetime(pd.Series(col, dtype=object), utc=True, format="ISO8601")
        return stamps.dt.tz_convert(None).to_numpy()
    out = np.empty(len(col), dtype=object)
    out[:] = col
    return out
