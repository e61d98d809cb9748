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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fullcycle.data.agreement import majority, pairwise_kappa
from fullcycle.data.label_io import Entry, read_labels
from fullcycle.data.versions import add_data, load, resolve
from fullcycle.errors import InsufficientData, InvalidInput
from fullcycle.names import check_name
from fullcycle.records import DatasetVersion, LabelTask
from fullcycle.store import labels as label_store
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database

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
MAX_PROBLEMS = 10


@dataclass(frozen=True)
class ImportReport:
    """What a label import did, and how well the labellers agreed."""

    imported: int
    duplicates: int
    tasks_labelled: list[int]
    requeued: list[int]
    agreement: list[dict[str, Any]] = field(default_factory=list)
    confidence: dict[int, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "tasks_labelled": self.tasks_labelled,
            "requeued": self.requeued,
            "agreement": self.agreement,
            "confidence": {str(k): v for k, v in self.confidence.items()},
        }


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
    why = [
        ("random", "random", None) if strategy == "random" else ("audit", "random audit", None)
        for _ in audit
    ]
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
    rows = json.loads(picked[features].to_json(orient="records", date_format="iso"))
    extra = json.loads(
        picked[[c for c in (*SPECIAL, *probas) if c in frame.columns]].to_json(
            orient="records", date_format="iso"
        )
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


def import_labels(
    db: Database,
    path: Any,
    *,
    classes: Sequence[Any] | None = None,
    labeller: str = "anonymous",
    min_agreement: float = 0.6,
    actor: str = "api",
) -> ImportReport:
    """Check and store the labels in ``path``; all of them, or none when any is wrong."""
    entries = read_labels(path, labeller)
    tasks = _tasks_for(db, entries)
    allowed = _classes(classes, tasks.values())
    stored = label_store.existing_labels(db, tasks)
    new, duplicates = _checked(entries, tasks, allowed, stored)
    votes: dict[int, dict[str, Any]] = {}
    for (task_id, who), label in stored.items():
        votes.setdefault(task_id, {})[who] = label
    for n in new:
        votes.setdefault(n["task_id"], {})[n["labeller"]] = n["label"]
    touched = sorted({n["task_id"] for n in new})
    outcomes, confidence = _outcomes(tasks, votes, touched, allowed, min_agreement)
    agreement = _agreement(tasks, votes, touched)
    requeued = [t for t in touched if outcomes[t]["status"] == "queued"]
    report = ImportReport(
        len(new),
        duplicates,
        [t for t in touched if t not in requeued],
        requeued,
        agreement,
        confidence,
    )
    summary = {k: v for k, v in report.to_dict().items() if k != "confidence"}
    label_store.save_labels(db, new, outcomes, actor=actor, summary=summary)
    return report


def _tasks_for(db: Database, entries: list[Entry]) -> dict[int, LabelTask]:
    ids = {e.task_id for e in entries if e.task_id is not None}
    tasks = {t.id: t for t in label_store.tasks(db, ids=ids)} if ids else {}
    by_request = {e.request_id for e in entries if e.task_id is None}
    if by_request:
        for t in label_store.tasks(db, status=label_store.OPEN):
            if t.request_id in by_request:
                tasks[t.id] = t
    return tasks


def _classes(given: Sequence[Any] | None, tasks: Any) -> dict[str, Any] | None:
    if given:
        return {str(c): c for c in given}
    seen = {k for t in tasks for k in ((t.prediction or {}).get("proba") or {})}
    return {str(c): c for c in sorted(seen)} or None


def _checked(
    entries: list[Entry],
    tasks: dict[int, LabelTask],
    allowed: dict[str, Any] | None,
    stored: dict[tuple[int, str], Any],
) -> tuple[list[dict[str, Any]], int]:
    by_request = {t.request_id: t.id for t in tasks.values() if t.status in label_store.OPEN}
    problems: list[str] = []
    new: dict[tuple[int, str], tuple[str, Any]] = {}
    duplicates = 0
    for e in entries:
        task_id = e.task_id if e.task_id is not None else by_request.get(e.request_id)
        if task_id is None or task_id not in tasks:
            what = f"task {e.task_id}" if e.task_id is not None else f"request {e.request_id!r}"
            problems.append(f"{e.where}: {what} was never queued for labelling")
            continue
        if tasks[task_id].status == "merged":
            problems.append(f"{e.where}: task {task_id} is already merged into a dataset")
            continue
        label = e.label
        if allowed is not None:
            if str(label) not in allowed:
                shown = ", ".join(list(allowed)[:10])
                problems.append(f"{e.where}: label {label!r} is not one of the classes ({shown})")
                continue
            label = allowed[str(label)]
        key = (task_id, e.labeller)
        earlier = new.get(key)
        before = stored.get(key, earlier[1] if earlier else None)
        if key in stored or earlier:
            if str(before) == str(label):
                duplicates += 1
            else:
                where = earlier[0] if earlier else "an earlier import"
                problems.append(
                    f"{e.where}: {e.labeller} labelled task {task_id} {label!r}, "
                    f"but {before!r} in {where}"
                )
            continue
        new[key] = (e.where, label)
    if problems:
        extra = len(problems) - MAX_PROBLEMS
        more = f"\n  ... and {extra} more" if extra > 0 else ""
        raise InvalidInput(
            f"{len(problems)} label(s) refused; nothing was imported:\n  "
            + "\n  ".join(problems[:MAX_PROBLEMS])
            + more
        )
    rows = [{"task_id": t, "labeller": who, "label": lab} for (t, who), (_, lab) in new.items()]
    return rows, duplicates


def _outcomes(
    tasks: dict[int, LabelTask],
    votes: dict[int, dict[str, Any]],
    touched: list[int],
    allowed: dict[str, Any] | None,
    min_agreement: float,
) -> tuple[dict[int, dict[str, Any]], dict[int, float]]:
    order = list(allowed.values()) if allowed else []
    outcomes: dict[int, dict[str, Any]] = {}
    confidence: dict[int, float] = {}
    for task_id in touched:
        label, share = majority(list(votes[task_id].values()), order)
        confidence[task_id] = round(share, 6)
        reason = tasks[task_id].reason.split(" | re-queued")[0]
        if len(votes[task_id]) > 1 and share < min_agreement:
            outcomes[task_id] = {
                "status": "queued",
                "label": None,
                "confidence": share,
                "reason": f"{reason} | re-queued: agreement {share:.2f} below {min_agreement:.2f}",
            }
        else:
            outcomes[task_id] = {
                "status": "labelled",
                "label": label,
                "confidence": share,
                "reason": reason,
            }
    return outcomes, confidence


def _agreement(
    tasks: dict[int, LabelTask], votes: dict[int, dict[str, Any]], touched: list[int]
) -> list[dict[str, Any]]:
    out = []
    for batch in sorted({tasks[t].batch for t in touched}):
        in_batch = {t: v for t, v in votes.items() if t in tasks and tasks[t].batch == batch}
        for pair in pairwise_kappa(in_batch):
            out.append({"batch": batch, **pair})
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
    tasks = label_store.tasks(db, batch=batch, status="labelled")
    if not tasks:
        raise InsufficientData(
            "there are no labelled rows to merge",
            hint="import labels first: fullcycle label import FILE",
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


def _like(added: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """``added`` with the dtypes of ``frame`` where the values allow it."""
    for column in frame.columns:
        try:
            added[column] = added[column].astype(frame[column].dtype)
        except (TypeError, ValueError):
            continue
    return added
