"""Labels back in: check every one, store them all or none, measure agreement, re-queue.

A label must name a queued task (by ``task_id``, or by ``request_id`` for an open task) and fit
the target: each is normalised by :func:`fullcycle.contract.normalise_label` (``"1"``, ``1`` and
``1.0`` are one class; a regression label read from CSV text becomes a number). A class the model
never saw is imported and flagged (``new_classes`` in the report), like ``/feedback`` does; the
loop leaves such rows out of retraining until the class is added to the target's classes in
fullcycle.yaml. The same labeller giving the same label twice is a duplicate (skipped);
giving a different one is refused. Where several people labelled a row, the majority label wins
with its share of the votes as the confidence; rows whose share is below ``min_agreement`` go
back to the queue. Cohen's kappa is reported for every pair of labellers within a batch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fullcycle.contract import Target, TargetSpec, normalise_label, target_spec
from fullcycle.data.agreement import majority, pairwise_kappa
from fullcycle.data.label_io import Entry, read_labels
from fullcycle.errors import InvalidInput
from fullcycle.records import LabelTask
from fullcycle.store import labels as label_store
from fullcycle.store.db import Database

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
    new_classes: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "new_classes": self.new_classes,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "tasks_labelled": self.tasks_labelled,
            "requeued": self.requeued,
            "agreement": self.agreement,
            "confidence": {str(k): v for k, v in self.confidence.items()},
        }


def import_labels(
    db: Database,
    path: Any,
    *,
    classes: Sequence[Any] | None = None,
    labeller: str = "anonymous",
    min_agreement: float = 0.6,
    actor: str = "api",
    target: Target | None = None,
) -> ImportReport:
    """Check and store the labels in ``path``; all of them, or none when any is wrong.

    ``target`` (the contract's) says the kind and the classes labels must fit; ``classes``
    alone is the older way to say the classes of a categorical target."""
    entries = read_labels(path, labeller)
    tasks = _tasks_for(db, entries)
    spec = _spec(target, classes, tasks.values())
    stored = label_store.existing_labels(db, tasks)
    new, duplicates = _checked(entries, tasks, spec, stored)
    allowed = {str(c): c for c in spec.classes} if spec.classes else None
    votes: dict[int, dict[str, Any]] = {}
    for (task_id, who), label in stored.items():
        votes.setdefault(task_id, {})[who] = label
    for n in new:
        votes.setdefault(n["task_id"], {})[n["labeller"]] = n["label"]
    touched = sorted({n["task_id"] for n in new})
    outcomes, confidence = _outcomes(tasks, votes, touched, allowed, min_agreement)
    agreement = _agreement(tasks, votes, touched)
    requeued = [t for t in touched if outcomes[t]["status"] == "queued"]
    unseen = Counter(str(n["label"]) for n in new if n.pop("new_class", False))
    report = ImportReport(
        len(new),
        duplicates,
        [t for t in touched if t not in requeued],
        requeued,
        agreement,
        confidence,
        dict(unseen),
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


def _spec(target: Target | None, given: Sequence[Any] | None, tasks: Any) -> TargetSpec:
    """What labels must fit: the contract's target, else the classes given, else the classes
    the queued tasks' predictions name (typed like the predicted labels: 1 stays an int)."""
    if target is not None and (target.kind == "numeric" or target.classes or given):
        return target_spec(target, given)
    if given:
        return target_spec(None, list(given), kind="categorical")
    tasks = list(tasks)
    names = sorted({k for t in tasks for k in ((t.prediction or {}).get("proba") or {})})
    predicted = [(t.prediction or {}).get("label") for t in tasks]
    predicted = [p for p in predicted if p is not None]
    if not names:
        return target_spec(target, None, kind="categorical")
    typed = {str(p): p for p in predicted}
    return target_spec(None, [typed.get(n, n) for n in names], kind="categorical")


def _checked(
    entries: list[Entry],
    tasks: dict[int, LabelTask],
    spec: TargetSpec,
    stored: dict[tuple[int, str], Any],
) -> tuple[list[dict[str, Any]], int]:
    by_request = {t.request_id: t.id for t in tasks.values() if t.status in label_store.OPEN}
    problems: list[str] = []
    new: dict[tuple[int, str], tuple[str, Any, bool]] = {}
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
        try:
            fitted = normalise_label(e.label, spec, field=f"{e.where}: label")
        except InvalidInput as exc:
            problems.append(exc.message)
            continue
        label = fitted.value
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
        new[key] = (e.where, label, not fitted.known)
    if problems:
        extra = len(problems) - MAX_PROBLEMS
        more = f"\n  ... and {extra} more" if extra > 0 else ""
        raise InvalidInput(
            f"{len(problems)} label(s) refused; nothing was imported:\n  "
            + "\n  ".join(problems[:MAX_PROBLEMS])
            + more
        )
    rows = [
        {"task_id": t, "labeller": who, "label": lab, "new_class": unseen}
        for (t, who), (_, lab, unseen) in new.items()
    ]
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
