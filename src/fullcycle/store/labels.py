"""The labelling queue's tasks and the labels people give them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from fullcycle import clock
from fullcycle.records import LabelTask
from fullcycle.store import events as event_store
from fullcycle.store.db import Database
from fullcycle.store.tables import label_tasks, labels

OPEN = ("queued", "labelled")


def _task(row: Any) -> LabelTask:
    return LabelTask(**row._mapping)


def open_request_ids(db: Database, request_ids: Sequence[str]) -> set[str]:
    """Which of ``request_ids`` already have a task that is queued or labelled."""
    found: set[str] = set()
    ids = list(request_ids)
    with db.read() as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found.update(
                r[0]
                for r in conn.execute(
                    sa.select(label_tasks.c.request_id).where(
                        label_tasks.c.request_id.in_(chunk), label_tasks.c.status.in_(OPEN)
                    )
                )
            )
    return found


def add_tasks(db: Database, batch: str, rows: list[dict[str, Any]], *, actor: str = "api") -> int:
    """Queue ``rows`` (each: request_id, source, row, prediction, strategy, reason, score)."""
    now = clock.now()
    with db.write() as conn:
        if rows:
            conn.execute(
                label_tasks.insert(),
                [{**r, "batch": batch, "status": "queued", "created_at": now} for r in rows],
            )
        event_store.record(
            conn,
            "label.queue",
            actor=actor,
            subject=batch,
            message=f"queued {len(rows)} rows for labelling",
            data={"strategies": sorted({r["strategy"] for r in rows})},
        )
    return len(rows)


def tasks(
    db: Database,
    *,
    batch: str | None = None,
    status: str | Sequence[str] | None = None,
    ids: Iterable[int] | None = None,
) -> list[LabelTask]:
    query = sa.select(label_tasks).order_by(label_tasks.c.id)
    if batch:
        query = query.where(label_tasks.c.batch == batch)
    if status:
        wanted = [status] if isinstance(status, str) else list(status)
        query = query.where(label_tasks.c.status.in_(wanted))
    if ids is not None:
        query = query.where(label_tasks.c.id.in_(list(ids)))
    with db.read() as conn:
        return [_task(r) for r in conn.execute(query)]


def queued_since(db: Database, since: float) -> int:
    """How many label tasks were queued at or after ``since`` (whatever became of them)."""
    query = sa.select(sa.func.count()).select_from(label_tasks)
    with db.read() as conn:
        return int(conn.execute(query.where(label_tasks.c.created_at >= since)).scalar_one())


#: label-task strategies that draw rows uniformly from the traffic: their labels measure the live
#: metric without bias (an uncertainty pick does not: it favours the rows the model finds hard)
UNBIASED = ("audit", "random")


def audited(db: Database, *, since: float | None = None) -> dict[str, Any]:
    """{row key: label} of the tasks drawn at random (:data:`UNBIASED`), labelled (merged into
    a dataset or not) and queued at or after ``since``: a task is queued after the request it
    names, so older ones name none of a window that starts at ``since``."""
    query = sa.select(label_tasks.c.request_id, label_tasks.c.label).where(
        label_tasks.c.status.in_(("labelled", "merged")),
        label_tasks.c.strategy.in_(UNBIASED),
        label_tasks.c.request_id.is_not(None),
        label_tasks.c.label.is_not(None),
    )
    if since is not None:
        query = query.where(label_tasks.c.created_at >= since)
    with db.read() as conn:
        return {rid: label for rid, label in conn.execute(query.order_by(label_tasks.c.id))}


def existing_labels(db: Database, task_ids: Iterable[int]) -> dict[tuple[int, str], Any]:
    """{(task_id, labeller): label} for the given tasks."""
    ids = list(task_ids)
    out: dict[tuple[int, str], Any] = {}
    with db.read() as conn:
        for start in range(0, len(ids), 500):
            query = sa.select(labels.c.task_id, labels.c.labeller, labels.c.label).where(
                labels.c.task_id.in_(ids[start : start + 500])
            )
            out.update({(t, who): lab for t, who, lab in conn.execute(query)})
    return out


def save_labels(
    db: Database,
    new: list[dict[str, Any]],
    outcomes: Mapping[int, dict[str, Any]],
    *,
    actor: str = "api",
    summary: dict[str, Any] | None = None,
) -> None:
    """Store labels ({task_id, labeller, label}) and each task's outcome, in one transaction.

    ``outcomes`` maps a task id to the columns to set (status, label, confidence, reason).
    """
    now = clock.now()
    with db.write() as conn:
        if new:
            conn.execute(labels.insert(), [{**n, "ts": now} for n in new])
        for task_id, values in outcomes.items():
            conn.execute(label_tasks.update().where(label_tasks.c.id == task_id).values(**values))
        event_store.record(
            conn,
            "label.import",
            actor=actor,
            subject="labels",
            message=f"imported {len(new)} labels for {len(outcomes)} tasks",
            data=summary or {},
        )


def set_status(
    db: Database, task_ids: Iterable[int], status: str, *, subject: str = "", actor: str = "api"
) -> None:
    ids = list(task_ids)
    with db.write() as conn:
        for start in range(0, len(ids), 500):
            conn.execute(
                label_tasks.update()
                .where(label_tasks.c.id.in_(ids[start : start + 500]))
                .values(status=status)
            )
        event_store.record(
            conn,
            f"label.{status}",
            actor=actor,
            subject=subject,
            message=f"{len(ids)} label tasks marked {status}",
        )
