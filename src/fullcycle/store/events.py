"""The audit log: who or what did what, when, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fullcycle import clock
from fullcycle.records import Event
from fullcycle.store.db import Database
from fullcycle.store.tables import events


@dataclass(frozen=True)
class Note:
    """An event to record in the transaction of the change it tells about."""

    kind: str
    actor: str
    subject: str = ""
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def record_note(conn: Connection, note: Note) -> int:
    """Record ``note`` inside the caller's transaction; returns the event's id."""
    return record(
        conn, note.kind, actor=note.actor, subject=note.subject, message=note.message,
        data=note.data,
    )  # fmt: skip


def record(
    conn: Connection,
    kind: str,
    *,
    actor: str,
    subject: str = "",
    message: str = "",
    data: dict[str, Any] | None = None,
) -> int:
    """Add an event inside the caller's transaction, so it commits with the change it records."""
    result = conn.execute(
        events.insert().values(
            ts=clock.now(),
            actor=actor,
            kind=kind,
            subject=subject,
            message=message,
            data=data or {},
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def listing(
    db: Database,
    *,
    kind: str | None = None,
    subject: str | None = None,
    since: float | None = None,
    limit: int = 100,
) -> list[Event]:
    """Newest first."""
    query = sa.select(events).order_by(events.c.id.desc()).limit(limit)
    if kind:
        query = query.where(events.c.kind.like(f"{kind}%"))
    if subject:
        query = query.where(events.c.subject == subject)
    if since is not None:
        query = query.where(events.c.ts >= since)
    with db.read() as conn:
        return [Event(**row._mapping) for row in conn.execute(query)]
