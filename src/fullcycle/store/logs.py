"""The prediction log's index (sealed Parquet segments) and the feedback that joins to it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from fullcycle import clock
from fullcycle.errors import QuotaExceeded
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
                sealed_at=clock.now(),
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


def _upsert(conn: Any, rows: list[dict[str, Any]]) -> None:
    """Insert or replace by request id in one statement (last write wins, on both databases:
    concurrent writers of one id never meet a unique violation)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(feedback)
    stmt = stmt.on_conflict_do_update(
        index_elements=[feedback.c.request_id],
        set_={c: stmt.excluded[c] for c in ("label", "ts", "source", "matched")},
    )
    conn.execute(stmt, rows)


def add_feedback(
    db: Database,
    items: Iterable[tuple[str, Any, bool]],
    *,
    source: str = "api",
    orphan_limit: tuple[int, float] | None = None,
) -> int:
    """Store labels as ``(request_id, label, matched)``; a later label for an id replaces it
    (last write wins). ``orphan_limit`` = (most orphans kept, their longest age in seconds):
    older orphans are deleted first, and a write that would keep more raises QuotaExceeded."""
    now = clock.now()
    rows = list(
        {
            rid: {
                "request_id": rid,
                "label": label,
                "ts": now,
                "source": source,
                "matched": matched,
            }
            for rid, label, matched in items
        }.values()
    )
    if not rows:
        return 0
    with db.write() as conn:
        if orphan_limit is not None and any(not r["matched"] for r in rows):
            _check_orphans(conn, rows, orphan_limit, now)
        _upsert(conn, sorted(rows, key=lambda r: r["request_id"]))
    return len(rows)


def _check_orphans(
    conn: Any, rows: list[dict[str, Any]], limit: tuple[int, float], now: float
) -> None:
    most, max_age = limit
    orphan = feedback.c.matched.is_(False)
    conn.execute(feedback.delete().where(orphan, feedback.c.ts < now - max_age))
    new_ids = [r["request_id"] for r in rows if not r["matched"]]
    held = conn.execute(sa.select(sa.func.count()).select_from(feedback).where(orphan)).scalar()
    again = conn.execute(
        sa.select(sa.func.count())
        .select_from(feedback)
        .where(orphan, feedback.c.request_id.in_(new_ids))
    ).scalar()
    if int(held or 0) - int(again or 0) + len(new_ids) > most:
        raise QuotaExceeded(
            f"feedback for {len(new_ids)} unknown request id(s) refused: {held} orphan label(s) "
            f"are held already, the limit is {most}",
            hint="send feedback for request ids the server answered, or raise "
            "FULLCYCLE_FEEDBACK_ORPHANS (orphans older than FULLCYCLE_FEEDBACK_ORPHAN_DAYS "
            "are dropped)",
        )


def orphan_count(db: Database) -> int:
    """How many stored labels name a request id no log held when they came."""
    with db.read() as conn:
        query = sa.select(sa.func.count()).select_from(feedback)
        return int(conn.execute(query.where(feedback.c.matched.is_(False))).scalar() or 0)


def feedback_rows(db: Database, *, since: float | None = None) -> list[dict[str, Any]]:
    query = sa.select(feedback).order_by(feedback.c.ts)
    if since is not None:
        query = query.where(feedback.c.ts >= since)
    with db.read() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


ROW_SEP = "#"  # never in a request id (the server's ids and X-Request-ID are [A-Za-z0-9._:-])


def row_key(request_id: str, row: int = 0) -> str:
    """The key a label is stored under: the request id for its first (or only) row, and
    ``<request_id>#<row>`` for the other rows of a batched request."""
    return request_id if not row else f"{request_id}{ROW_SEP}{row}"


def split_key(key: str) -> tuple[str, int]:
    """(request id, row) from a key :func:`row_key` made; row 0 for a plain request id."""
    rid, sep, row = str(key).rpartition(ROW_SEP)
    if sep and rid and row.isdigit():
        return rid, int(row)
    return str(key), 0


def quarantine_segment(
    db: Database, path: str, *, moved_to: str | None, reason: str, actor: str
) -> bool:
    """Take a damaged sealed segment out of the index, with an event saying where it went.
    False when it was no longer indexed: another reader (the server, ``loop --watch``) met the
    same damage at the same time and set it aside first; then nothing is recorded twice."""
    from fullcycle.store import events

    with db.write() as conn:
        gone = conn.execute(log_segments.delete().where(log_segments.c.path == path))
        if gone.rowcount == 0:
            return False
        events.record(
            conn,
            "log.quarantined",
            actor=actor,
            subject=path,
            message=f"prediction log segment {path} cannot be read and was set aside: {reason}",
            data={"moved_to": moved_to, "reason": reason},
        )
    return True
