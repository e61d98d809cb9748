"""The labelling queue: pick the rows worth a person's time, take their labels back, merge.

Candidates are a DataFrame: an optional ``request_id``, the feature columns, ``prediction``,
class probabilities as ``proba_<class>`` columns, and for the ``drift`` strategy a per-row
``drift_score`` (from monitoring). Every batch mixes in a uniform random audit share, drawn from
all candidates before the strategy picks, so performance measured on audit rows is unbiased.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from typing import TYPE_CHECKING, Any

import numpy as np

from fullcycle.data.label_import import ImportReport, import_labels
from fullcycle.data.versions import add_data, load, resolve
from fullcycle.errors import InsufficientData, InvalidInput
from fullcycle.names import check_name
from fullcycle.records import DatasetVersion
from fullcycle.store import labels as label_store
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database

__all__ = ["STRATEGIES", "ImportReport", "import_labels", "merge", "queue", "scores"]

if TYPE_CHECKING:
    import pandas as pd

    from fullcycle.contract import Contract

STRATEGIES = ("uncertainty", "margin", "entropy", "drift", "random")
REASONS = {
    "uncertainty": "least confidence",
    "margin": "small margin between the top two",
    "entropy": "high entropy",
    "drift": "drift score",
}
PROBA_PREFIX = "proba_"
SPECIAL = ("request_id", "prediction", "drift_score")


def proba_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if isinstance(c, str) and c.startswith(PROBA_PREFIX)]


def scores(frame: pd.DataFrame, strategy: str) -> np.ndarray | None:
    """How informative each row is (higher first); None for ``random``."""
    if strategy not in STRATEGIES:
        raise InvalidInput(f"label strategy {strategy!r} is not one of {', '.join(STRATEGIES)}")
    if strategy == "random":
        return None
    if strategy == "drift":
        return _finite(frame, ["drift_score"])[:, 0]
    cols = proba_columns(frame)
    if len(cols) < 2:
        raise InvalidInput(
            f"the {strategy} strategy needs class probabilities",
            hint=f"give one {PROBA_PREFIX}<class> column per class",
        )
    p = _finite(frame, cols)
    if strategy == "uncertainty":
        return 1.0 - p.max(axis=1)
    if strategy == "margin":
        top = np.sort(p, axis=1)
        return 1.0 - (top[:, -1] - top[:, -2])
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=1)


def _finite(frame: pd.DataFrame, cols: list[str]) -> np.ndarray:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"candidates have no {missing[0]!r} column",
            hint="monitoring supplies drift_score per row",
        )
    import pandas as pd

    values = frame[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise InvalidInput(f"candidates row {row}, column {cols[col]!r}: not a finite number")
    return values


def queue(
    db: Database,
    candidates: pd.DataFrame,
    *,
    budget: int,
    strategy: str = "uncertainty",
    audit_share: float = 0.1,
    seed: int = 0,
    source: str = "api",
    actor: str = "api",
) -> str:
    """Queue up to ``budget`` rows of ``candidates`` for labelling; returns the batch id."""
    if budget < 1:
        raise InvalidInput(f"label budget {budget} must be at least 1")
    if not 0 <= audit_share <= 1:
        raise InvalidInput(f"audit_share {audit_share} must be between 0 and 1")
    score = scores(candidates, strategy)
    pool = _fresh_rows(db, candidates)
    if not len(pool):
        raise InsufficientData("no candidate rows left to queue: all are queued or labelled")
    audit, picked = _select(pool, score, budget, audit_share, strategy, seed)
    audit_why: tuple[str, str, float | None] = (
        ("random", "random", None) if strategy == "random" else ("audit", "random audit", None)
    )
    why = [audit_why] * len(audit)
    if score is not None:
        why += [
            (strategy, f"{REASONS[strategy]} (score {score[i]:.4f})", float(score[i]))
            for i in picked
        ]
    rows = _task_rows(candidates, np.concatenate([audit, picked]), why, source)
    batch = f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:6]}"
    label_store.add_tasks(db, batch, rows, actor=actor)
    return batch


def _select(
    pool: np.ndarray,
    score: np.ndarray | None,
    budget: int,
    audit_share: float,
    strategy: str,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(audit rows drawn uniformly from the whole pool, then the best-scored of the rest)."""
    rng = np.random.default_rng(seed)
    take = min(budget, len(pool))
    n_audit = take if score is None else min(take, math.ceil(audit_share * take))
    audit = rng.choice(pool, size=n_audit, replace=False)
    if score is None:
        return audit, pool[:0]
    rest = np.setdiff1d(pool, audit)
    ties = rng.random(len(rest))  # equal scores are ordered by the seed, not by position
    return audit, rest[np.lexsort((ties, -score[rest]))][: take - n_audit]


def _fresh_rows(db: Database, candidates: pd.DataFrame) -> np.ndarray:
    """Positions of candidates whose request id is neither repeated nor already in the queue."""
    n = len(candidates)
    if "request_id" not in candidates.columns:
        return np.arange(n)
    ids = candidates["request_id"].astype("string")
    keep = ~ids.duplicated().to_numpy() | ids.isna().to_numpy()
    taken = label_store.open_request_ids(db, ids.dropna().unique().tolist())
    keep &= ~ids.isin(taken).fillna(False).to_numpy()
    return np.flatnonzero(keep)


def _task_rows(
    frame: pd.DataFrame, idx: np.ndarray, why: list[tuple[str, str, float | None]], source: str
) -> list[dict[str, Any]]:
    probas = proba_columns(frame)
    features = [c for c in frame.columns if c not in SPECIAL and c not in probas]
    picked = frame.iloc[idx]
    rows = json.loads(_ints_kept(picked[features]).to_json(orient="records", date_format="iso"))
    special = [c for c in (*SPECIAL, *probas) if c in frame.columns]
    extra = (
        json.loads(picked[special].to_json(orient="records", date_format="iso"))
        if special
        else [{} for _ in rows]  # a dataset without request ids, predictions or probabilities
    )
    out = []
    for row, more, (strategy, reason, score) in zip(rows, extra, why, strict=True):
        proba = {c[len(PROBA_PREFIX) :]: more[c] for c in probas}
        prediction = None
        if "prediction" in more or proba:
            prediction = {"label": more.get("prediction"), "proba": proba}
        rid = more.get("request_id")
        out.append(
            {
                "request_id": None if rid is None else str(rid)[:128],
                "source": source,
                "row": row,
                "prediction": prediction,
                "strategy": strategy,
                "reason": reason,
                "score": score,
            }
        )
    return out


def _ints_kept(frame: pd.DataFrame) -> pd.DataFrame:
    """Integer columns that a missing value turned into floats, as integers again (so a task
    shows 3, not 3.0); numeric columns with fractions are left alone."""
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        s = out[column]
        if not pd.api.types.is_float_dtype(s.dtype) or not s.isna().any():
            continue
        present = s.dropna()
        if (
            len(present)
            and bool((present == present.round()).all())
            and present.abs().max() < 2**53
        ):
            out[column] = s.astype("Int64")
    return out


def merge(
    db: Database,
    artifacts: ArtifactStore,
    base: str,
    name: str | None = None,
    *,
    contract: Contract | None = None,
    target: str | None = None,
    batch: str | None = None,
    actor: str = "api",
) -> DatasetVersion:
    """A new version: the rows of ``base`` plus every labelled (not yet merged) row."""
    import pandas as pd

    parent = resolve(db, base)
    name = check_name(name or parent.name, "dataset name")
    target = target or (contract.target.name if contract and contract.target else None)
    if target is None:
        raise InvalidInput(
            "merging labels needs the target column",
            hint="set target in fullcycle.yaml's features section",
        )
    tasks, waiting = _fitting(label_store.tasks(db, batch=batch, status="labelled"), contract)
    if not tasks:
        raise InsufficientData(
            "there are no labelled rows to merge"
            + (f" ({len(waiting)} wait for a new class: {_shown(waiting)})" if waiting else ""),
            hint="import labels first: fullcycle label import FILE; a new class is taken in by "
            "adding it to the target's classes in fullcycle.yaml",
        )
    frame = load(db, artifacts, parent.ref)
    added = pd.DataFrame([{**t.row, target: t.label} for t in tasks])
    added = added.reindex(columns=frame.columns)
    merged = pd.concat([frame, _like(added, frame)], ignore_index=True)
    batches = sorted({t.batch for t in tasks})
    origin = {
        "kind": "merge",
        "base": parent.ref,
        "label_batches": batches,
        "label_tasks": [t.id for t in tasks],
        "request_ids": [t.request_id for t in tasks if t.request_id],
        "left_out_new_class": [t.id for t in waiting],
    }
    version = add_data(
        db,
        artifacts,
        merged,
        name,
        contract=contract,
        parents=[parent.ref],
        origin=origin,
        allow_violations=bool(parent.violations),
        actor=actor,
    )
    label_store.set_status(db, [t.id for t in tasks], "merged", subject=version.ref, actor=actor)
    return version


def _fitting(tasks: list[Any], contract: Contract | None) -> tuple[list[Any], list[Any]]:
    """(tasks whose label is one of the target's classes, tasks labelled with a new class);
    labels are normalised to the target's kind on the way."""
    target = contract.target if contract is not None else None
    if target is None:
        return tasks, []
    from dataclasses import replace

    from fullcycle.contract import normalise_labels, target_spec

    done = normalise_labels([t.label for t in tasks], target_spec(target))
    out = {i: replace(t, label=v) for i, (t, v) in enumerate(zip(tasks, done.values, strict=True))}
    skip = {i for i, _ in done.refused} | set(done.new)
    return [out[i] for i in out if i not in skip], [tasks[i] for i in sorted(skip)]


def _shown(tasks: list[Any]) -> str:
    return ", ".join(sorted({repr(t.label) for t in tasks})[:5])


def _like(added: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """``added`` with the dtypes of ``frame`` where the values allow it."""
    for column in frame.columns:
        try:
            added[column] = added[column].astype(frame[column].dtype)
        except (TypeError, ValueError):
            continue
    return added
