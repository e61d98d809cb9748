"""Propose a contract from a frame: kinds from dtypes and cardinality, ranges widened a little.

Returns the contract's YAML form (plain dicts); ``Contract.infer`` validates it into a
``Contract``, so this module does not depend on the model classes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

MAX_CATEGORIES = 50  # more distinct values than this, or long values, make a column text
MAX_CATEGORY_TOKENS = 3.0
MAX_CLASSES = 20
WIDEN = 0.1  # ranges grow by this share of their span on each side


def infer_contract(df: pd.DataFrame, target: str | None) -> dict[str, Any]:
    if target is not None and target not in df.columns:
        from fullcycle.errors import InvalidInput

        raise InvalidInput(
            f"target column {target!r} is not in the data",
            hint=f"columns are: {', '.join(map(str, df.columns[:20]))}",
        )
    features = [_feature(str(name), df[name]) for name in df.columns if name != target]
    return {
        "columns": features,
        "target": None if target is None else _target(target, df[target]),
    }


def _feature(name: str, s: pd.Series) -> dict[str, Any]:
    nullable = bool(s.isna().any())
    present = s.dropna()
    if ptypes.is_bool_dtype(s.dtype):
        return dict(name=name, kind="categorical", allowed=[False, True], nullable=nullable)
    if ptypes.is_datetime64_any_dtype(s.dtype):
        return _datetime(name, present, nullable)
    if ptypes.is_numeric_dtype(s.dtype):
        values = present.to_numpy(dtype="float64")
        values = values[np.isfinite(values)]
        integral = values.size > 0 and bool(np.all(np.floor(values) == values))
        kind = "integer" if ptypes.is_integer_dtype(s.dtype) or integral else "numeric"
        lo, hi = _widened(values, kind == "integer")
        return dict(name=name, kind=kind, min=lo, max=hi, nullable=nullable)
    text = present if ptypes.is_string_dtype(present.dtype) else present.astype(str)
    if len(text) and _looks_like_dates(text):
        return _datetime(name, pd.to_datetime(text, utc=True, format="ISO8601"), nullable)
    unique = np.asarray(present.unique(), dtype=object)
    if len(unique) <= MAX_CATEGORIES and _short(unique):
        allowed = sorted((v.item() if isinstance(v, np.generic) else v for v in unique), key=str)
        return dict(name=name, kind="categorical", allowed=allowed, nullable=nullable)
    longest = int(text.str.len().max()) if len(text) else 1
    return dict(name=name, kind="text", max_length=max(1, longest * 2), nullable=nullable)


def _short(unique: np.ndarray) -> bool:
    """Few words per value on average, and only values a category can hold."""
    if not all(isinstance(v, str | int | bool | np.integer | np.bool_) for v in unique):
        return False
    tokens = [len(str(v).split()) for v in unique]
    return sum(tokens) / max(1, len(tokens)) <= MAX_CATEGORY_TOKENS


def _looks_like_dates(text: pd.Series) -> bool:
    sample = text.iloc[:1000]
    if not sample.str.match(r"^\d{4}-\d{2}-\d{2}").all():
        return False
    return not pd.to_datetime(sample, errors="coerce", utc=True, format="ISO8601").isna().any()


def _datetime(name: str, present: pd.Series, nullable: bool) -> dict[str, Any]:
    return dict(name=name, kind="datetime", nullable=nullable)


def _widened(values: np.ndarray, integer: bool) -> tuple[Any, Any]:
    if values.size == 0:
        return None, None
    lo, hi = float(values.min()), float(values.max())
    margin = (hi - lo) * WIDEN or abs(hi) * WIDEN or 1.0
    new_lo = lo - margin if lo < 0 else max(0.0, lo - margin)
    new_hi = hi + margin
    if integer:
        return int(math.floor(new_lo)), int(math.ceil(new_hi))
    return round(new_lo, 6), round(new_hi, 6)


def _target(name: str, s: pd.Series) -> dict[str, Any]:
    present = s.dropna()
    unique = present.unique()
    numeric = ptypes.is_numeric_dtype(s.dtype) and not ptypes.is_bool_dtype(s.dtype)
    if numeric and not (ptypes.is_integer_dtype(s.dtype) and len(unique) <= MAX_CLASSES):
        return dict(name=name, kind="numeric")
    if 2 <= len(unique) <= max(MAX_CLASSES, MAX_CATEGORIES):
        classes = sorted(v.item() if hasattr(v, "item") else v for v in unique)
        return dict(name=name, kind="categorical", classes=classes)
    return dict(name=name, kind="categorical")
