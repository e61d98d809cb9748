"""Open alerts, deduplicated by key while their condition holds."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from fullcycle import clock
from fullcycle.store import events as event_store
from fullcycle.store.db import Database
from fullcycle.store.tables import alerts


def raise_or_touch(
    db: Database, key: str, message: str, data: dict[str, Any], actor: str = "monitor"
) -> bool:
    """Open the alert ``key`` (True, with an event) or, if already open, count it again (False)."""
    now = clock.now()
    with db.write() as conn:
        row = conn.execute(sa.select(alerts).where(alerts.c.key == key)).first()
        if row is not None and row.closed_at is None:
            conn.execute(
                alerts.update()
                .where(alerts.c.key == key)
                .values(last_seen=now, count=row._mapping["count"] + 1, data=data)
            )
            return False
        values = dict(opened_at=now, last_seen=now, closed_at=None, count=1, data=data)
        if row is None:
            conn.execute(alerts.insert().values(key=key, **values))
        else:
            conn.execute(alerts.update().where(alerts.c.key == key).values(**values))
        event_store.record(conn, "alert.open", actor=actor, subject=key, message=message, data=data)
    return True


def close_others(
    db: Database, still_breached: set[str], prefix: str = "", actor: str = "monitor"
) -> list[str]:
    """Close open alerts under ``prefix`` whose condition no longer holds."""
    closed = []
    with db.write() as conn:
        rows = conn.execute(
            sa.select(alerts.c.key).where(
                alerts.c.closed_at.is_(None), alerts.c.key.like(f"{prefix}%")
            )
        ).all()
        for (key,) in rows:
            if key not in still_breached:
                conn.execute(
                    alerts.update().where(alerts.c.key == key).values(closed_at=clock.now())
                )
                event_store.record(
                    conn,
                    "alert.close",
                    actor=actor,
                    subject=key,
                    message=f"{key}: condition cleared",
                )
                closed.append(key)
    return closed


def open_alerts(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(
            sa.select(alerts).where(alerts.c.closed_at.is_(None)).order_by(alerts.c.opened_at)
        ).all()
    return [dict(r._mapping) for r in rows]
