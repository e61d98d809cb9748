"""The prediction log's index (sealed Parquet segments) and the feedback that joins to it."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from fullcycle.errors import InvalidInput
from fullcycle.store.db import Database
from fullcycle.store.tables import feedback, log_segments

MAX_REQUEST_ID = 128


@dataclass(frozen=True)
class Segment:
    id: int
    path: str
    replica: str
    model: str
    t_min: float
    t_max: float
    n_rows: int
    sha256: str | None
    sealed_at: float
    versions: list[int]
    id_min: str | None
    id_max: str | None


def register_segment(
    db: Database,
    *,
    path: str,
    replica: str,
    model: str,
    t_min: float,
    t_max: float,
    n_rows: int,
    sha256: str | None,
    versions: Sequence[int],
    id_min: str | None,
    id_max: str | None,
) -> bool:
    """Record a sealed segment; False when ``path`` was registered already (a re-seal)."""
    with db.write() as conn:
        seen = conn.execute(sa.select(log_segments.c.id).where(log_segments.c.path == path)).first()
        if seen:
            return False
        conn.execute(
            log_segments.insert().values(
                path=path,
                replica=replica,
                model=model,
                t_min=t_min,
                t_max=t_max,
                n_rows=n_rows,
                sha256=sha256,
                sealed_at=time.time(),
                versions=list(versions),
                id_min=id_min,
                id_max=id_max,
            )
        )
    return True


def segments(
    db: Database,
    *,
    since: float | None = None,
    until: float | None = None,
    model: str | None = None,
    request_id: str | None = None,
) -> list[Segment]:
    """Sealed segments that may hold rows in ``[since, until]`` (or the given request id)."""
    query = sa.select(log_segments).order_by(log_segments.c.t_min)
    if since is not None:
        query = query.where(log_segments.c.t_max >= since)
    if until is not None:
        query = query.where(log_segments.c.t_min <= until)
    if model is not None:
        query = query.where(log_segments.c.model == model)
    if request_id is not None:
        # the stored bounds are cut to 64 characters: a cut id_max is a prefix of the true
        # maximum, so compare it with the id cut the same way
        query = query.where(
            log_segments.c.id_min <= request_id, log_segments.c.id_max >= request_id[:64]
        )
    with db.read() as conn:
        return [Segment(**row._mapping) for row in conn.execute(query)]


def check_feedback(items: Any) -> list[tuple[str, Any]]:
    """Parse ``{request_id, label}`` or a list of them; InvalidInput names the bad item."""
    batch = items if isinstance(items, list) else [items]
    if not batch:
        raise InvalidInput("feedback is empty", hint="send {request_id, label} or a list of them")
    out = []
    for i, item in enumerate(batch):
        if not isinstance(item, dict) or "request_id" not in item or "label" not in item:
            raise InvalidInput(f"feedback item {i} must be an object with request_id and label")
        rid = item["request_id"]
        if not isinstance(rid, str) or not 0 < len(rid) <= MAX_REQUEST_ID:
            raise InvalidInput(f"feedback item {i}: request_id must be a string of 1-128 chars")
        out.append((rid, item["label"]))
    return out


def add_feedback(
    db: Database, items: Iterable[tuple[str, Any, bool]], *, source: str = "api"
) -> int:
    """Store labels as ``(request_id, label, matched)``; a later label for an id replaces it."""
    rows = [
        {"request_id": rid, "label": label, "ts": time.time(), "source": source, "matched": matched}
        for rid, label, matched in items
    ]
    if not rows:
        return 0
    with db.write() as conn:
        ids = [r["request_id"] for r in rows]
        conn.execute(feedback.delete().where(feedback.c.request_id.in_(ids)))
        conn.execute(feedback.insert(), list({r["request_id"]: r for r in rows}.values()))
    return len(rows)


def feedback_rows(db: Database, *, since: float | None = None) -> list[dict[str, Any]]:
    query = sa.select(feedback).order_by(feedback.c.ts)
    if since is not None:
        query = query.where(feedback.c.ts >= since)
    with db.read() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def quarantine_segment(
    db: Database, path: str, *, moved_to: str | None, reason: str, actor: str
) -> None:
    """Take a damaged sealed segment out of the index, with an event saying where it went."""
    from fullcycle.store import events

    with db.write() as conn:
        conn.execute(log_segments.delete().where(log_segments.c.path == path))
        events.record(
            conn,
            "log.quarantined",
            actor=actor,
            subject=path,
            message=f"prediction log segment {path} cannot be read and was set aside: {reason}",
            data={"moved_to": moved_to, "reason": reason},
        )
