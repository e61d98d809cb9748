"""Deployments: what a server routes, one row per change, so rollback is one step.

The deployment row is the one source of truth for what serves. Each change adds a row with the
next revision number (a compare-and-set on the expected revision), records an event, and points
the model's ``production`` alias at the row's production version, all in ONE transaction: the
alias is a name for what serves, never a second truth. ``promote`` (the registry's, the loop's),
``deploy``, ``rollback`` and the dashboard all move production through this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fullcycle import clock
from fullcycle.errors import Conflict, InvalidInput, NotFound
from fullcycle.names import check_name
from fullcycle.store import events
from fullcycle.store import models as model_store
from fullcycle.store.db import Database
from fullcycle.store.tables import deployments

PRODUCTION = "production"


@dataclass(frozen=True)
class DeploymentState:
    """One revision of a deployment: production, canary and its share, shadow."""

    revision: int
    name: str
    production: int | None
    canary: int | None = None
    canary_share: float = 0.0
    shadow: int | None = None
    created_at: float = 0.0
    actor: str = ""
    reason: str = ""

    def versions(self) -> frozenset[int]:
        return frozenset(v for v in (self.production, self.canary, self.shadow) if v is not None)


def _state(row: sa.Row) -> DeploymentState:
    return DeploymentState(**row._mapping)


def _latest(conn: Connection, name: str) -> DeploymentState | None:
    query = (
        sa.select(deployments)
        .where(deployments.c.name == name)
        .order_by(deployments.c.revision.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return _state(row) if row else None


def current(db: Database, name: str) -> DeploymentState | None:
    """The newest deployment of model ``name``, or None when it was never deployed."""
    check_name(name, "model name")
    with db.read() as conn:
        return _latest(conn, name)


def history(db: Database, name: str, limit: int = 50) -> list[DeploymentState]:
    """Newest first."""
    check_name(name, "model name")
    query = (
        sa.select(deployments)
        .where(deployments.c.name == name)
        .order_by(deployments.c.revision.desc())
        .limit(limit)
    )
    with db.read() as conn:
        return [_state(row) for row in conn.execute(query)]


def _check_versions(
    production: int | None, canary: int | None, share: float, shadow: int | None
) -> None:
    for field, value in (("production", production), ("canary", canary), ("shadow", shadow)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise InvalidInput(f"deployment {field} version {value!r} must be a positive integer")
    if not 0.0 <= share <= 1.0:
        raise InvalidInput(f"canary share {share!r} must be between 0 and 1")
    if canary is None and share:
        raise InvalidInput(
            "canary share is set but no canary version is given",
            hint="pass a canary version or a share of 0",
        )
    if production is None and (canary is not None or shadow is not None):
        raise InvalidInput("a canary or shadow needs a production version to compare with")


def set(  # noqa: A001 - the module's verb, called as deployments.set(...)
    db: Database,
    name: str,
    *,
    production: int | None,
    canary: int | None = None,
    canary_share: float = 0.0,
    shadow: int | None = None,
    actor: str,
    reason: str = "",
    expected_revision: int | None = None,
) -> DeploymentState:
    """Add the next revision and point the ``production`` alias at its production version, in one
    transaction; with ``expected_revision``, fail with Conflict if the deployment moved."""
    check_name(name, "model name")
    _check_versions(production, canary, canary_share, shadow)
    with _writing(db, name) as conn:
        return _insert(
            conn,
            name,
            production,
            canary,
            canary_share,
            shadow,
            actor,
            reason,
            expected_revision,
            kind="deployment.set",
        )


@contextmanager
def _writing(db: Database, name: str) -> Iterator[Connection]:
    """A write transaction whose lost races (a unique key taken meanwhile) become Conflict."""
    try:
        with db.write() as conn:
            yield conn
    except sa.exc.IntegrityError as exc:
        raise Conflict(f"deployment of {name!r} changed concurrently", hint="retry") from exc


def _follow(
    conn: Connection, name: str, production: int | None, *, actor: str, reason: str
) -> None:
    """Point ``name@production`` at ``production`` inside the caller's transaction (a compare-
    and-set on the revision this transaction reads); nothing moves when it points there already.
    The facade refuses versions the registry does not hold before it gets here."""
    if production is None or not model_store.exists_in(conn, name, production):
        return  # a version the registry does not hold (a test source) has no alias to name it
    held = model_store.get_alias_in(conn, name, PRODUCTION)
    if held is not None and held.version == production:
        return
    model_store.set_alias_in(
        conn,
        name,
        PRODUCTION,
        production,
        held.revision if held else 0,
        actor=actor,
        kind="model.alias",
        message=reason,
        data={"previous": held.version if held else None, "follows": "deployment"},
    )


def _insert(
    conn: Connection,
    name: str,
    production: int | None,
    canary: int | None,
    share: float,
    shadow: int | None,
    actor: str,
    reason: str,
    expected: int | None,
    *,
    kind: str,
    follow: bool = True,
) -> DeploymentState:
    latest = _latest(conn, name)
    seen = latest.revision if latest else 0
    if expected is not None and expected != seen:
        raise Conflict(
            f"deployment of {name!r} is at revision {seen}, not {expected}",
            hint="read the current deployment and retry",
        )
    top = conn.execute(sa.select(sa.func.max(deployments.c.revision))).scalar() or 0
    state = DeploymentState(
        revision=int(top) + 1,
        name=name,
        production=production,
        canary=canary,
        canary_share=float(share),
        shadow=shadow,
        created_at=clock.now(),
        actor=actor,
        reason=reason,
    )
    conn.execute(deployments.insert().values(**state.__dict__))
    events.record(
        conn,
        kind,
        actor=actor,
        subject=name,
        message=reason or kind,
        data={
            "revision": state.revision,
            "previous": seen,
            "production": production,
            "canary": canary,
            "canary_share": share,
            "shadow": shadow,
        },
    )
    if follow:
        _follow(conn, name, production, actor=actor, reason=reason or kind)
    return state


def rollback(db: Database, name: str, *, actor: str, reason: str = "") -> DeploymentState:
    """Restore the deployment before the current one, as a new revision."""
    check_name(name, "model name")
    with _writing(db, name) as conn:
        rows = conn.execute(
            sa.select(deployments)
            .where(deployments.c.name == name)
            .order_by(deployments.c.revision.desc())
            .limit(2)
        ).all()
        if len(rows) < 2:
            raise NotFound(
                f"deployment of {name!r} has no previous revision to roll back to",
                hint="see `fullcycle deploy status`",
            )
        prev = _state(rows[1])
        return _insert(
            conn,
            name,
            prev.production,
            prev.canary,
            prev.canary_share,
            prev.shadow,
            actor,
            reason or f"rollback to revision {prev.revision}",
            _state(rows[0]).revision,
            kind="deployment.rollback",
        )


def promote(
    db: Database,
    name: str,
    version: int,
    *,
    actor: str,
    reason: str = "",
    alias_revision: int | None = None,
    alias_kind: str = "model.promote",
    alias_data: dict[str, Any] | None = None,
    expected_revision: int | None = None,
) -> tuple[DeploymentState, int]:
    """Make ``name:version`` what serves: the deployment's production and the ``production``
    alias move together in one transaction, each by compare-and-set (``alias_revision``,
    ``expected_revision``: None takes what the transaction reads). A canary or shadow of another
    version stays; one of this version is cleared. Returns the deployment and the alias revision.
    """
    check_name(name, "model name")
    _check_versions(version, None, 0.0, None)
    with _writing(db, name) as conn:
        now = _latest(conn, name)
        canary = now.canary if now and now.canary != version else None
        shadow = now.shadow if now and now.shadow != version else None
        share = now.canary_share if now and canary is not None else 0.0
        state = now
        if now is None or (now.production, now.canary, now.shadow) != (version, canary, shadow):
            state = _insert(
                conn, name, version, canary, share, shadow, actor, reason,
                expected_revision, kind="deployment.promote", follow=False,
            )  # fmt: skip
        held = model_store.get_alias_in(conn, name, PRODUCTION)
        revision = model_store.set_alias_in(
            conn,
            name,
            PRODUCTION,
            version,
            (held.revision if held else 0) if alias_revision is None else alias_revision,
            actor=actor,
            kind=alias_kind,
            message=reason or f"{PRODUCTION} -> {name}:{version}",
            data={"previous": held.version if held else None, **(alias_data or {})},
        )
    assert state is not None
    return state, revision
