"""Queries the trace needs that no other store module offers: the events about one model
version, the loop's retrain that made it, and the deployment revision that routed a request."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from fullcycle.records import Event
from fullcycle.store.db import Database
from fullcycle.store.deployments import DeploymentState
from fullcycle.store.tables import deployments, events, feedback

LIMIT = 500
DEPLOY_KINDS = ("deployment.set", "deployment.rollback")


def _mentions(data: dict[str, Any], version: int) -> bool:
    if data.get("version") == version:
        return True
    return version in (data.get("production"), data.get("canary"), data.get("shadow"))


def version_events(db: Database, name: str, version: int, since: float = 0.0) -> list[Event]:
    """Oldest first, from ``since`` (the version's registration; the ``ts`` index keeps a long
    audit log cheap): events whose subject is ``name:version``, alias moves and promotion
    refusals that name the version, and deployment changes that route it."""
    ref = f"{name}:{version}"
    query = (
        sa.select(events)
        .where(
            events.c.ts >= since,
            sa.or_(
                events.c.subject == ref,
                events.c.subject.like(f"{name}@%") & events.c.kind.like("model.%"),
                (events.c.subject == name) & events.c.kind.in_(DEPLOY_KINDS),
            ),
        )
        .order_by(events.c.id)
        .limit(LIMIT)
    )
    with db.read() as conn:
        found = [Event(**row._mapping) for row in conn.execute(query)]
    keep = [
        e
        for e in found
        if e.subject == ref
        or (e.subject in (name,) or e.subject.startswith(f"{name}@"))
        and _mentions(e.data or {}, version)
    ]
    return sorted(keep, key=lambda e: e.id)


def retrain_before(db: Database, name: str, ts: float) -> Event | None:
    """The loop's newest ``loop.retrain`` event for ``name`` at or before ``ts``."""
    query = (
        sa.select(events)
        .where(events.c.kind == "loop.retrain", events.c.subject == name, events.c.ts <= ts)
        .order_by(events.c.ts.desc())
        .limit(1)
    )
    with db.read() as conn:
        row = conn.execute(query).first()
    return None if row is None else Event(**row._mapping)


def deployment_at(db: Database, name: str, ts: float) -> DeploymentState | None:
    """The deployment revision of ``name`` in force at ``ts`` (the newest made before it)."""
    query = (
        sa.select(deployments)
        .where(deployments.c.name == name, deployments.c.created_at <= ts)
        .order_by(deployments.c.revision.desc())
        .limit(1)
    )
    with db.read() as conn:
        row = conn.execute(query).first()
    return None if row is None else DeploymentState(**row._mapping)


def feedback_for(db: Database, request_id: str) -> dict[str, Any] | None:
    """The label that came back for one request (by its primary key), or None."""
    with db.read() as conn:
        row = conn.execute(sa.select(feedback).where(feedback.c.request_id == request_id)).first()
    return None if row is None else dict(row._mapping)
