"""Runs, their params, metric points and artifacts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from fullcycle import clock
from fullcycle.errors import AlreadyExists, NotFound
from fullcycle.records import MetricPoint, RunInfo
from fullcycle.store.db import Database
from fullcycle.store.tables import metrics, params, run_artifacts, runs

TERMINAL = ("finished", "failed", "killed")


def encode_param(value: Any) -> str:
    """A param as text that :func:`decode_param` turns back into the same type: numbers,
    booleans, None, lists and dicts as JSON; text as itself unless it would read as JSON."""
    import json

    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
        return json.dumps(value)
    try:
        return json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        return repr(value)


def decode_param(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text


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
                    run_id=run_id, name=name, sha256=sha, size=size, created_at=clock.now()
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
        p = {
            k: decode_param(v)
            for k, v in conn.execute(
                sa.select(params.c.key, params.c.value).where(params.c.run_id == rid)
            ).all()
        }
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


def set_tags(db: Database, run_id: str, tags: Mapping[str, Any]) -> None:
    """Merge ``tags`` into the run's tags (a tag, unlike a param, may change)."""
    with db.write() as conn:
        row = conn.execute(sa.select(runs.c.tags).where(runs.c.id == run_id)).first()
        if row is None:
            raise NotFound(f"run {run_id!r} does not exist")
        conn.execute(runs.update().where(runs.c.id == run_id).values(tags={**row[0], **tags}))


_OPS = {
    "=": lambda c, v: c == v,
    "!=": lambda c, v: c != v,
    "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v,
    ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v,
}


def search(db: Database, clauses: Iterable[Any], *, limit: int = 1000) -> list[dict[str, Any]]:
    """Runs whose latest metrics and attributes meet ``clauses`` (``train/run_filter.py``),
    as plain rows with typed params and latest metrics; every value is a bound parameter.
    Params and tags clauses are left to the caller (they hold typed JSON)."""
    attrs = {"status": runs.c.status, "name": runs.c.name, "dataset": runs.c.dataset}
    query = sa.select(runs).order_by(runs.c.started_at.desc()).limit(limit)
    for c in clauses:
        if c.section == "attr":
            query = query.where(_OPS[c.op](attrs[c.key], sa.bindparam(None, c.value)))
        elif c.section == "metrics":
            last = (
                sa.select(sa.func.max(metrics.c.id))
                .where(metrics.c.key == sa.bindparam(None, c.key))
                .group_by(metrics.c.run_id)
            )
            hit = sa.select(metrics.c.run_id).where(
                metrics.c.id.in_(last),
                _OPS[c.op](metrics.c.value, sa.bindparam(None, float(c.value))),
            )
            query = query.where(runs.c.id.in_(hit))
    with db.read() as conn:
        rows = conn.execute(query).all()
        ids = [r.id for r in rows]
        latest = _latest_metrics(conn, ids)
        found: dict[str, dict[str, Any]] = {}
        if ids:
            for rid, key, value in conn.execute(
                sa.select(params.c.run_id, params.c.key, params.c.value).where(
                    params.c.run_id.in_(ids)
                )
            ):
                found.setdefault(rid, {})[key] = decode_param(value)
    return [
        {**r._mapping, "params": found.get(r.id, {}), "metrics": latest.get(r.id, {})} for r in rows
    ]
