"""Leases: at most one holder at a time, expiring if the holder dies.

A lease is taken or renewed by one conditional UPDATE (or an INSERT that loses on the primary
key), so two processes can never both believe they hold it.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from fullcycle.errors import LeaseHeld
from fullcycle.store.db import Database
from fullcycle.store.tables import leases


def acquire(db: Database, name: str, holder: str, ttl_s: float, now: float | None = None) -> int:
    """Take or renew ``name`` for ``holder``; returns the lease revision or raises LeaseHeld."""
    now = time.time() if now is None else now
    with db.write() as conn:
        res = conn.execute(
            leases.update()
            .where(
                leases.c.name == name,
                sa.or_(leases.c.holder == holder, leases.c.expires_at < now),
            )
            .values(holder=holder, expires_at=now + ttl_s, revision=leases.c.revision + 1)
        )
        if res.rowcount:
            return int(
                conn.execute(sa.select(leases.c.revision).where(leases.c.name == name)).scalar_one()
            )
        row = conn.execute(sa.select(leases).where(leases.c.name == name)).first()
        if row is not None:
            raise LeaseHeld(
                f"lease {name!r} is held by {row.holder} for {row.expires_at - now:.0f} s more",
                hint="wait for it to finish, or for the lease to expire if its holder died",
            )
    try:
        with db.write() as conn:
            conn.execute(
                leases.insert().values(name=name, holder=holder, expires_at=now + ttl_s, revision=1)
            )
        return 1
    except SAIntegrityError:
        return acquire(db, name, holder, ttl_s, now)


def release(db: Database, name: str, holder: str) -> bool:
    """Give the lease up; False if ``holder`` no longer held it."""
    with db.write() as conn:
        res = conn.execute(
            leases.update()
            .where(leases.c.name == name, leases.c.holder == holder)
            .values(expires_at=0.0, revision=leases.c.revision + 1)
        )
        return bool(res.rowcount)


def holder(db: Database, name: str, now: float | None = None) -> str | None:
    now = time.time() if now is None else now
    with db.read() as conn:
        row = conn.execute(sa.select(leases).where(leases.c.name == name)).first()
    if row is None or row.expires_at < now:
        return None
    return str(row.holder)
