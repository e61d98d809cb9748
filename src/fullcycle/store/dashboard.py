"""Small queries the dashboard needs that no stage offers, and the labelling page's undo.

Reads return plain dicts; the one write (:func:`withdraw_label`) records an event in the same
transaction, like every other mutation.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import sqlalchemy as sa

from fullcycle.errors import NotFound
from fullcycle.store import events as event_store
from fullcycle.store.db import Database
from fullcycle.store.tables import deployments, label_tasks, labels, monitor_reports


def monitor_reports_of(
    db: Database, *, model: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Newest first: id, created_at, model, version, window, verdict, summary."""
    query = sa.select(monitor_reports).order_by(monitor_reports.c.created_at.desc()).limit(limit)
    if model:
        query = query.where(monitor_reports.c.model == model)
    with db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def deployment_history(db: Database, limit: int = 20) -> list[dict[str, Any]]:
    """Every model's deployment revisions, newest first."""
    query = sa.select(deployments).order_by(deployments.c.revision.desc()).limit(limit)
    with db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def label_progress(db: Database) -> dict[str, int]:
    """Tasks by status (queued, labelled, merged, ...)."""
    query = sa.select(label_tasks.c.status, sa.func.count()).group_by(label_tasks.c.status)
    with db.read() as conn:
        return {status: int(n) for status, n in conn.execute(query)}


def next_task(db: Database, *, after: int = 0) -> dict[str, Any] | None:
    """The first queued task with an id above ``after`` (wrapping round to the start)."""
    base = sa.select(label_tasks).where(label_tasks.c.status == "queued").order_by(label_tasks.c.id)
    with db.read() as conn:
        row = conn.execute(base.where(label_tasks.c.id > after).limit(1)).first()
        if row is None and after:
            row = conn.execute(base.limit(1)).first()
    return dict(row._mapping) if row else None


def task(db: Database, task_id: int) -> dict[str, Any] | None:
    with db.read() as conn:
        row = conn.execute(sa.select(label_tasks).where(label_tasks.c.id == task_id)).first()
    return dict(row._mapping) if row else None


def withdraw_label(db: Database, task_id: int, labeller: str, *, actor: str) -> None:
    """Take back ``labeller``'s label of a task that is not merged yet; the task's outcome is
    recomputed from the labels that remain (queued again when none do)."""
    with db.write() as conn:
        status = conn.execute(
            sa.select(label_tasks.c.status).where(label_tasks.c.id == task_id)
        ).scalar()
        if status is None or status == "merged":
            what = "is merged into a dataset" if status else "does not exist"
            raise NotFound(f"label task {task_id} {what}; there is no label to undo")
        gone = conn.execute(
            labels.delete().where(labels.c.task_id == task_id, labels.c.labeller == labeller)
        ).rowcount
        if not gone:
            raise NotFound(f"{labeller} has no label on task {task_id} to undo")
        left = [
            r[0] for r in conn.execute(sa.select(labels.c.label).where(labels.c.task_id == task_id))
        ]
        values: dict[str, Any] = {"status": "queued", "label": None, "confidence": None}
        if left:
            label, votes = Counter(map(repr, left)).most_common(1)[0]
            winner = next(v for v in left if repr(v) == label)
            values = {"status": "labelled", "label": winner, "confidence": votes / len(left)}
        conn.execute(label_tasks.update().where(label_tasks.c.id == task_id).values(**values))
        event_store.record(
            conn,
            "label.withdraw",
            actor=actor,
            subject=f"task {task_id}",
            message=f"{labeller} took back a label",
            data={"at": time.time()},
        )
