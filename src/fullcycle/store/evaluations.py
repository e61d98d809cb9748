"""Evaluations kept with their run: the headline metrics row and the full report's sha256."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from fullcycle import clock
from fullcycle.errors import NotFound
from fullcycle.store.db import Database
from fullcycle.store.tables import evaluations


def add(
    db: Database, run_id: str, split: str, metrics: dict[str, Any], report_sha256: str | None
) -> int:
    with db.write() as conn:
        result = conn.execute(
            evaluations.insert().values(
                run_id=run_id,
                split=split,
                created_at=clock.now(),
                metrics=metrics,
                report_sha256=report_sha256,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def latest(db: Database, run_id: str, split: str = "test") -> dict[str, Any]:
    """The newest evaluation of a run on a split: {id, run_id, split, created_at, metrics,
    report_sha256}."""
    query = (
        sa.select(evaluations)
        .where(evaluations.c.run_id == run_id, evaluations.c.split == split)
        .order_by(evaluations.c.id.desc())
        .limit(1)
    )
    with db.read() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise NotFound(
            f"run {run_id} has no evaluation on the {split} split",
            hint=f"evaluate it: fullcycle evaluate {run_id[:12]}",
        )
    return dict(row._mapping)
