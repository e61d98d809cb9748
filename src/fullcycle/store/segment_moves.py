"""Moving sealed prediction-log segments: re-point an index row to the segment's new location."""

from __future__ import annotations

import sqlalchemy as sa

from fullcycle.errors import Conflict
from fullcycle.store.db import Database
from fullcycle.store.tables import log_segments


def relocate(db: Database, old_path: str, new_path: str) -> None:
    """Compare-and-set the row at ``old_path`` to ``new_path``; Conflict if it moved already."""
    with db.write() as conn:
        done = conn.execute(
            log_segments.update().where(log_segments.c.path == old_path).values(path=new_path)
        ).rowcount
    if done != 1:
        raise Conflict(
            f"log segment {old_path} is no longer registered there",
            hint="another archiver moved it; list the segments again",
        )


def local_paths(db: Database) -> list[str]:
    """Registered segments that still live on a local disk (no URL scheme)."""
    query = sa.select(log_segments.c.path).where(~log_segments.c.path.contains("://"))
    with db.read() as conn:
        return [row.path for row in conn.execute(query.order_by(log_segments.c.t_min))]
