"""Runs, their params, metric points and artifacts."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from fullcycle.errors import AlreadyExists, NotFound
from fullcycle.records import MetricPoint, RunInfo
from fullcycle.store.db import Database
from fullcycle.store.tables import metrics, params, run_artifacts, runs

TERMINAL = ("finished", "failed", "killed")


def create(db: Database, **values: Any) -> None:
    with db.write() as conn:
        conn.execute(runs.insert().values(**values))


def add_params(db: Database, run_id: str, items: Mapping[str, str]) -> None:
    if not items:
        return
    with db.write() as conn:
        taken = {
            row.key: row.value
            for row in conn.execute(
                sa.select(params.c.key, params.c.value).where(
                    params.c.run_id == run_id, params.c.key.in_(list(items))
                )
            )
        }
        changed = [k for k, v in items.items() if k in taken and taken[k] != v]
        if changed:
            raise AlreadyExists(
                f"run {run_id}: param {changed[0]!r} was already logged with another value",
                hint="params are immutable; log a metric or a tag for values that change",
            )
        new = [{"run_id": run_id, "key": k, "value": v} for k, v in items.items() if k not in taken]
        if new:
            conn.execute(params.insert(), new)


def add_metrics(db: Database, run_id: str, points: Iterable[tuple[str, int, float, float]]) -> None:
    rows = [{"run_id": run_id, "key": k, "step": s, "ts": t, "value": v} for k, s, t, v in points]
    if rows:
        with db.write() as conn:
            conn.execute(metrics.insert(), rows)


def add_artifact(db: Database, run_id: str, name: str, sha: str, size: int) -> None:
    with db.write() as conn:
        existing = conn.execute(
            sa.select(run_artifacts.c.sha256).where(
                run_artifacts.c.run_id == run_id, run_artifacts.c.name == name
            )
        ).first()
        if existing and existing[0] != sha:
            raise AlreadyExists(f"run {run_id} already has an artifact named {name!r}")
        if not existing:
            conn.execute(
                run_artifacts.insert().values(
                    run_id=run_id, name=name, sha256=sha, size=size, created_at=time.time()
                )
            )


def update(db: Database, run_id: str, **values: Any) -> None:
    with db.write() as conn:
        conn.execute(runs.update().where(runs.c.id == run_id).values(**values))


def _resolve_id(conn: sa.Connection, run_id: str) -> str:
    if run_id == "latest":
        row = conn.execute(
            sa.select(runs.c.id)
            .where(runs.c.parent_id.is_(None))
            .order_by(runs.c.started_at.desc())
            .limit(1)
        ).first()
        if row is None:
            raise NotFound("there are no runs yet", hint="train a model first: fullcycle train")
        return str(row[0])
    found = conn.execute(sa.select(runs.c.id).where(runs.c.id.like(f"{run_id}%")).limit(2)).all()
    if len(found) == 1:
        return str(found[0][0])
    if not found:
        raise NotFound(f"run {run_id!r} does not exist", hint="list runs with: fullcycle runs")
    raise NotFound(f"run id prefix {run_id!r} is ambiguous", hint="give more characters")


def get(db: Database, run_id: str) -> RunInfo:
    with db.read() as conn:
        rid = _resolve_id(conn, run_id)
        row = conn.execute(sa.select(runs).where(runs.c.id == rid)).one()
        p = dict(
            conn.execute(
                sa.select(params.c.key, params.c.value).where(params.c.run_id == rid)
            ).all()
        )
        latest = _latest_metrics(conn, [rid]).get(rid, {})
        arts = dict(
            conn.execute(
                sa.select(run_artifacts.c.name, run_artifacts.c.sha256).where(
                    run_artifacts.c.run_id == rid
                )
            ).all()
        )
    return RunInfo(**row._mapping, params=p, latest_metrics=latest, artifacts=arts)


def _latest_metrics(conn: sa.Connection, run_ids: list[str]) -> dict[str, dict[str, float]]:
    last = (
        sa.select(metrics.c.run_id, metrics.c.key, sa.func.max(metrics.c.id).label("id"))
        .where(metrics.c.run_id.in_(run_ids))
        .group_by(metrics.c.run_id, metrics.c.key)
        .subquery()
    )
    query = sa.select(metrics.c.run_id, metrics.c.key, metrics.c.value).join(
        last, metrics.c.id == last.c.id
    )
    out: dict[str, dict[str, float]] = {}
    for rid, key, value in conn.execute(query):
        out.setdefault(rid, {})[key] = value
    return out


def listing(db: Database, *, limit: int = 50, status: str | None = None) -> list[RunInfo]:
    query = sa.select(runs).order_by(runs.c.started_at.desc()).limit(limit)
    if status:
        query = query.where(runs.c.status == status)
    with db.read() as conn:
        rows = conn.execute(query).all()
        latest = _latest_metrics(conn, [r.id for r in rows])
    return [RunInfo(**r._mapping, latest_metrics=latest.get(r.id, {})) for r in rows]


def metric_history(db: Database, run_id: str, key: str) -> list[MetricPoint]:
    with db.read() as conn:
        rid = _resolve_id(conn, run_id)
        rows = conn.execute(
            sa.select(metrics.c.step, metrics.c.value, metrics.c.ts)
            .where(metrics.c.run_id == rid, metrics.c.key == key)
            .order_by(metrics.c.step, metrics.c.id)
        ).all()
    return [MetricPoint(step=s, value=v, ts=t) for s, v, t in rows]


def count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar_one())


def mark_stale_running(db: Database, older_than: float) -> int:
    """Runs left 'running' by a process that died are marked 'killed'."""
    with db.write() as conn:
        res = conn.execute(
            runs.update()
            .where(runs.c.status == "running", runs.c.started_at < older_than)
            .values(status="killed", ended_at=time.time())
        )
        return int(res.rowcount or 0)
