"""How many of each noun the store holds, for ``fullcycle status``."""

from __future__ import annotations

import sqlalchemy as sa

from fullcycle.store.db import Database
from fullcycle.store.tables import (
    datasets,
    events,
    feedback,
    label_tasks,
    log_segments,
    model_versions,
    monitor_reports,
    runs,
)

COUNTED = {
    "datasets": datasets,
    "runs": runs,
    "models": model_versions,
    "log_segments": log_segments,
    "feedback": feedback,
    "label_tasks": label_tasks,
    "monitor_reports": monitor_reports,
    "events": events,
}


def all_counts(db: Database) -> dict[str, int]:
    with db.read() as conn:
        return {
            name: int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
            for name, table in COUNTED.items()
        }
