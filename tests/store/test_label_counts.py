"""Counting queued label tasks by time (what ``retraining.guards.max_labels_per_day`` reads),
on SQLite and on PostgreSQL, without reading every task."""

from __future__ import annotations

from fullcycle import clock
from fullcycle.store import labels
from fullcycle.store.db import Database


def _rows(n: int, prefix: str) -> list[dict[str, object]]:
    return [
        {"request_id": f"{prefix}-{i}", "source": "log", "row": 0, "prediction": "a",
         "strategy": "random", "reason": "test", "score": 0.0}
        for i in range(n)
    ]  # fmt: skip


def test_queued_since_counts_the_tasks_queued_from_that_time_on(db_url: str) -> None:
    db = Database.open(db_url)
    try:
        with clock.simulated(1_000.0) as sim:
            labels.add_tasks(db, "old", _rows(3, "old"))
            sim.advance(100.0)
            labels.add_tasks(db, "new", _rows(4, "new"))
            labels.add_tasks(db, "empty", [])
        assert labels.queued_since(db, 0.0) == 7
        assert labels.queued_since(db, 1_000.0) == 7
        assert labels.queued_since(db, 1_000.5) == 4
        assert labels.queued_since(db, 1_100.0) == 4
        assert labels.queued_since(db, 1_100.5) == 0
        # a task's status does not matter: a labelled row was still asked for
        first = labels.tasks(db, batch="new")[0]
        labels.set_status(db, [first.id], "labelled")
        assert labels.queued_since(db, 1_050.0) == 4
    finally:
        db.dispose()
