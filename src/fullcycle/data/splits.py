"""Deterministic train/test splits: random, stratified, by time and by group.

The same data, spec and seed give the same rows on every machine (numpy's PCG64 generator,
stable sorts, classes and groups ordered by value). ``Split.spec`` is plain JSON, so the run
that uses a split records exactly how it was made.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from fullcycle.errors import InsufficientData, InvalidInput

if TYPE_CHECKING:
    import pandas as pd

STRATEGIES = ("random", "stratified", "time", "group")


@dataclass(frozen=True)
class SplitSpec:
    """How to split: the strategy, the test share, and the column it needs."""

    strategy: str = "random"
    test_size: float = 0.2
    seed: int = 0
    target: str | None = None
    time_column: str | None = None
    group_column: str | None = None

    @classmethod
    def coerce(cls, spec: Any, *, target: str | None = None, seed: int | None = None) -> SplitSpec:
        """From a SplitSpec, a dict, or the scope's ``training.split`` (any object with fields)."""
        if isinstance(spec, SplitSpec):
            values = asdict(spec)
        elif isinstance(spec, dict):
            values = dict(spec)
        elif hasattr(spec, "model_dump"):  # the scope's model: its extra fields are not ours
            values = {k: v for k, v in spec.model_dump().items() if k in cls.__dataclass_fields__}
        else:
            raise InvalidInput(f"split spec must be a mapping, got {type(spec).__name__}")
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__ and v is not None}
        unknown = sorted(set(values) - set(cls.__dataclass_fields__))
        if unknown:
            raise InvalidInput(
                f"split spec: unknown field {unknown[0]!r}",
                hint=f"use {', '.join(cls.__dataclass_fields__)}",
            )
        if target is not None and "target" not in known:
            known["target"] = target
        if seed is not None:
            known["seed"] = seed
        return cls(**known).checked()

    def checked(self) -> SplitSpec:
        if self.strategy not in STRATEGIES:
            raise InvalidInput(
                f"split strategy {self.strategy!r} is not one of {', '.join(STRATEGIES)}"
            )
        if not 0 < self.test_size < 1:
            raise InvalidInput(f"split test_size {self.test_size} must be between 0 and 1")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**32:
            raise InvalidInput(f"split seed {self.seed!r} must be an integer in [0, 2**32)")
        needs = {"stratified": "target", "time": "time_column", "group": "group_column"}
        field = needs.get(self.strategy)
        if field and not getattr(self, field):
            raise InvalidInput(
                f"a {self.strategy} split needs {field}",
                hint=f"set training.split.{field} in fullcycle.yaml",
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Split:
    """Row positions (0-based, sorted) of the training and test rows, and how they were chosen."""

    train_idx: np.ndarray
    test_idx: np.ndarray
    spec: dict[str, Any]


def split(
    frame: pd.DataFrame, spec: Any, seed: int | None = None, *, target: str | None = None
) -> Split:
    """Split ``frame``'s rows as ``spec`` says; the same data, spec and seed give the same rows."""
    s = SplitSpec.coerce(spec, target=target, seed=seed)
    n = len(frame)
    if n < 2:
        raise InsufficientData(
            f"cannot split {n} row(s) into train and test",
            hint="add data; a split needs at least two rows",
        )
    n_test = min(n - 1, max(1, math.ceil(s.test_size * n)))
    rng = np.random.default_rng(s.seed)
    if s.strategy == "random":
        test = rng.permutation(n)[:n_test]
    elif s.strategy == "stratified":
        test = _stratified(_column(frame, s.target), s.test_size, rng)
    elif s.strategy == "time":
        test = _by_time(_column(frame, s.time_column), n_test)
    else:
        test = _by_group(_column(frame, s.group_column), n_test, rng)
    mask = np.zeros(n, dtype=bool)
    mask[test] = True
    out = s.to_dict() | {"n_train": int(n - mask.sum()), "n_test": int(mask.sum())}
    return Split(np.flatnonzero(~mask), np.flatnonzero(mask), out)


def _column(frame: pd.DataFrame, name: str | None) -> pd.Series:
    if name not in frame.columns:
        raise InvalidInput(
            f"split column {name!r} is not in the data",
            hint=f"columns: {', '.join(map(str, frame.columns[:12]))}",
        )
    col = frame[name]
    nulls = int(col.isna().sum())
    if nulls:
        first = int(np.flatnonzero(col.isna().to_numpy())[0])
        raise InvalidInput(
            f"split column {name!r} has {nulls} empty value(s), e.g. row {first}",
            hint="fill or drop those rows first",
        )
    return col


def _stratified(y: pd.Series, test_size: float, rng: np.random.Generator) -> np.ndarray:
    import pandas as pd

    codes, classes = pd.factorize(y.astype(str), sort=True)
    counts = np.bincount(codes)
    lonely = [str(classes[i]) for i in np.flatnonzero(counts < 2)]
    if lonely:
        raise InsufficientData(
            f"stratified split: class {lonely[0]!r} of {y.name!r} has one row",
            hint="add rows of that class, or use a random split",
        )
    picked = []
    for k in range(len(classes)):
        rows = np.flatnonzero(codes == k)
        take = min(len(rows) - 1, max(1, round(test_size * len(rows))))
        picked.append(rng.permutation(rows)[:take])
    return np.concatenate(picked)


def _by_time(col: pd.Series, n_test: int) -> np.ndarray:
    import pandas as pd

    when = (
        col
        if pd.api.types.is_datetime64_any_dtype(col)
        else pd.to_datetime(col, errors="coerce", utc=True, format="ISO8601")
    )
    if when.isna().any():
        bad = int(np.flatnonzero(when.isna().to_numpy())[0])
        raise InvalidInput(
            f"time split: column {col.name!r} row {bad} is not a date or time",
            hint="use ISO 8601 times",
        )
    values = when.to_numpy()
    order = np.argsort(values, kind="stable")
    cutoff = values[order[len(values) - n_test]]
    test = np.flatnonzero(values >= cutoff)  # rows tied with the cutoff all go to the test side
    if len(test) == len(values):
        raise InsufficientData(
            f"time split: every row of {col.name!r} has the same time",
            hint="a time split needs at least two distinct times",
        )
    return test


def _by_group(col: pd.Series, n_test: int, rng: np.random.Generator) -> np.ndarray:
    import pandas as pd

    codes, groups = pd.factorize(col.astype(str), sort=True)
    if len(groups) < 2:
        raise InsufficientData(
            f"group split: column {col.name!r} has a single group",
            hint="a group split needs at least two groups",
        )
    sizes = np.bincount(codes)
    order = rng.permutation(len(groups))
    filled = np.cumsum(sizes[order])
    k = int(np.searchsorted(filled, n_test)) + 1
    k = min(k, len(groups) - 1)
    chosen = np.zeros(len(groups), dtype=bool)
    chosen[order[:k]] = True
    return np.flatnonzero(chosen[codes])
