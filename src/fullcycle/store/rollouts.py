"""Rollouts: a challenger's way to production as a row that moves through states by
compare-and-set, so a killed controller resumes where it stopped and two never act at once.

    gated -> shadow -> canary -> promoted
       \\        \\        \\-> rolled_back
        \\        \\-> rolled_back
         \\-> rolled_back
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fullcycle import clock
from fullcycle.errors import Conflict, InvalidInput, NotFound
from fullcycle.store.db import Database
from fullcycle.store.events import Note, record_note
from fullcycle.store.tables import rollouts

ACTIVE = ("gated", "shadow", "canary")
FINAL = ("promoted", "rolled_back")
MOVES = {
    "gated": ("shadow", "canary", "promoted", "rolled_back"),
    "shadow": ("canary", "promoted", "rolled_back"),
    "canary": ("promoted", "rolled_back"),
}


@dataclass(frozen=True)
class Rollout:
    id: int
    name: str
    champion: int | None
    challenger: int
    state: str
    revision: int
    created_at: float
    updated_at: float
    data: dict[str, Any]

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


def start(
    conn: Connection, name: str, champion: int | None, challenger: int, data: dict[str, Any]
) -> Rollout:
    """Open a rollout in ``gated`` inside the caller's transaction; one active per model."""
    busy = conn.execute(
        sa.select(rollouts.c.id).where(rollouts.c.name == name, rollouts.c.state.in_(ACTIVE))
    ).first()
    if busy is not None:
        raise Conflict(
            f"model {name} already has rollout {busy[0]} in progress",
            hint="let it finish or roll it back first",
        )
    now = clock.now()
    res = conn.execute(
        rollouts.insert().values(
            name=name,
            champion=champion,
            challenger=challenger,
            state="gated",
            revision=1,
            created_at=now,
            updated_at=now,
            data=data,
        )
    )
    return get_in(conn, int(res.inserted_primary_key[0]))  # type: ignore[index]


def open_rollout(
    db: Database, name: str, champion: int | None, challenger: int, data: dict[str, Any]
) -> Rollout:
    """Open a rollout in ``gated`` in its own transaction (see :func:`start`)."""
    with db.write() as conn:
        return start(conn, name, champion, challenger, data)


def advance(
    db: Database,
    rollout_id: int,
    data: dict[str, Any],
    *,
    state: str | None = None,
    note: Note | None = None,
) -> Rollout:
    """In one transaction: re-read the rollout, move it to ``state`` (or, with no state or the
    one it is in, merge ``data`` into it), and record ``note``."""
    with db.write() as conn:
        current = get_in(conn, rollout_id)
        if state is None or state == current.state:
            moved = update_data(conn, current, data)
        else:
            moved = move(conn, current, state, data)
        if note is not None:
            record_note(conn, note)
        return moved


def move(
    conn: Connection, rollout: Rollout, state: str, data: dict[str, Any] | None = None
) -> Rollout:
    """Move ``rollout`` to ``state`` if nobody moved it since it was read (compare-and-set)."""
    if state not in MOVES.get(rollout.state, ()):
        raise InvalidInput(f"rollout {rollout.id} cannot move from {rollout.state} to {state}")
    merged = {**rollout.data, **(data or {})}
    res = conn.execute(
        rollouts.update()
        .where(rollouts.c.id == rollout.id, rollouts.c.revision == rollout.revision)
        .values(state=state, revision=rollout.revision + 1, updated_at=clock.now(), data=merged)
    )
    if not res.rowcount:
        raise Conflict(f"rollout {rollout.id} was changed by another process; re-read it")
    return get_in(conn, rollout.id)


def update_data(conn: Connection, rollout: Rollout, data: dict[str, Any]) -> Rollout:
    res = conn.execute(
        rollouts.update()
        .where(rollouts.c.id == rollout.id, rollouts.c.revision == rollout.revision)
        .values(
            revision=rollout.revision + 1, updated_at=clock.now(), data={**rollout.data, **data}
        )
    )
    if not res.rowcount:
        raise Conflict(f"rollout {rollout.id} was changed by another process; re-read it")
    return get_in(conn, rollout.id)


def get_in(conn: Connection, rollout_id: int) -> Rollout:
    row = conn.execute(sa.select(rollouts).where(rollouts.c.id == rollout_id)).first()
    if row is None:
        raise NotFound(f"rollout {rollout_id} does not exist")
    return Rollout(**row._mapping)


def active(db: Database, name: str) -> Rollout | None:
    with db.read() as conn:
        row = conn.execute(
            sa.select(rollouts)
            .where(rollouts.c.name == name, rollouts.c.state.in_(ACTIVE))
            .order_by(rollouts.c.id.desc())
            .limit(1)
        ).first()
    return None if row is None else Rollout(**row._mapping)


def listing(db: Database, name: str | None = None, limit: int = 50) -> list[Rollout]:
    query = sa.select(rollouts).order_by(rollouts.c.id.desc()).limit(limit)
    if name:
        query = query.where(rollouts.c.name == name)
    with db.read() as conn:
        return [Rollout(**r._mapping) for r in conn.execute(query)]
