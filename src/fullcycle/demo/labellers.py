"""Simulated labellers: people who answer queued rows from the generator's truth, through the
same export and import files a real labelling team would use (CSV here)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from fullcycle.project import Project


def _draw(seed: int, task_id: int) -> np.random.Generator:
    """Each person answers each task the same way every time they see it."""
    return np.random.default_rng([seed, task_id])


def _fill(
    exported: Path,
    out: Path,
    answer: dict[str, str],
    *,
    seed: int,
    share: float = 1.0,
    flip: float = 0.0,
    only: set[int] | None = None,
) -> int:
    """Copy an exported CSV with the label column filled for a share of its rows."""
    with open(exported, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    classes = sorted(set(answer.values()))
    written = []
    for row in rows:
        task = int(row["task_id"])
        if only is not None and task not in only:
            continue
        truth = answer.get(row.get("request_id") or "")
        rng = _draw(seed, task)
        if truth is None or rng.random() >= share:
            continue
        label = truth
        if rng.random() < flip:
            label = str(rng.choice([c for c in classes if c != truth]))
        written.append({"task_id": row["task_id"], "label": label})
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["task_id", "label"])
        writer.writeheader()
        writer.writerows(written)
    return len(written)


def answer_queue(
    project: Project, truth: dict[str, str], folder: Path, *, round_: int
) -> dict[str, Any]:
    """Alice labels every queued row, Bob a quarter of them (sometimes disagreeing); rows
    where they disagree go back to the queue, and Carol breaks the tie."""
    folder.mkdir(parents=True, exist_ok=True)
    exported = folder / f"queue-{round_}.csv"
    n = project.label_export(exported, "csv")
    if n == 0:
        return {"queued": 0}
    alice = folder / f"alice-{round_}.csv"
    bob = folder / f"bob-{round_}.csv"
    _fill(exported, alice, truth, flip=0.02, seed=1)
    _fill(exported, bob, truth, share=0.25, flip=0.3, seed=2)
    first = project.label_import(alice, labeller="alice", actor="demo")
    second = project.label_import(bob, labeller="bob", actor="demo")
    requeued = set(second.requeued)
    tie = 0
    if requeued:
        carol = folder / f"carol-{round_}.csv"
        tie = _fill(exported, carol, truth, seed=3, only=requeued)
        project.label_import(carol, labeller="carol", actor="demo")
    return {
        "queued": n,
        "alice": first.imported,
        "bob": second.imported,
        "disagreed": len(requeued),
        "carol": tie,
        "agreement": second.agreement,
    }
