"""Dataset versions: ``name@N`` rows, numbered safely under concurrency."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from fullcycle import clock
from fullcycle.errors import Conflict, NotFound
from fullcycle.records import DatasetVersion
from fullcycle.store import events as event_store
from fullcycle.store.db import Database
from fullcycle.store.tables import datasets

_RETRIES = 20


def _record(row: Any) -> DatasetVersion:
    return DatasetVersion(**row._mapping)


def find_sha(db: Database, name: str, sha256: str) -> DatasetVersion | None:
    with db.read() as conn:
        row = conn.execute(
            sa.select(datasets).where(datasets.c.name == name, datasets.c.sha256 == sha256)
        ).first()
    return None if row is None else _record(row)


def insert(
    db: Database, *, name: str, sha256: str, actor: str = "api", **values: Any
) -> tuple[DatasetVersion, bool]:
    """Add ``name@(latest+1)``, or return the version holding the same bytes; (version, created).

    Two writers racing for the same number: the unique constraint refuses one, which retries.
    """
    for _ in range(_RETRIES):
        try:
            return _insert_once(db, name=name, sha256=sha256, actor=actor, **values)
        except sa_exc.IntegrityError:
            time.sleep(0.01)
    raise Conflict(
        f"dataset {name}: could not number a new version after {_RETRIES} tries",
        hint="retry; another writer is adding versions of this dataset",
    )


def _insert_once(
    db: Database, *, name: str, sha256: str, actor: str, **values: Any
) -> tuple[DatasetVersion, bool]:
    with db.write() as conn:
        same = conn.execute(
            sa.select(datasets).where(datasets.c.name == name, datasets.c.sha256 == sha256)
        ).first()
        if same is not None:
            return _record(same), False
        last = conn.execute(
            sa.select(sa.func.max(datasets.c.version)).where(datasets.c.name == name)
        ).scalar_one()
        version = int(last or 0) + 1
        conn.execute(
            datasets.insert().values(
                name=name, version=version, sha256=sha256, created_at=clock.now(), **values
            )
        )
        event_store.record(
            conn,
            "data.add",
            actor=actor,
            subject=f"{name}@{version}",
            message=f"added {name}@{version} ({values.get('n_rows')} rows)",
            data={"sha256": sha256, "origin": values.get("origin", {})},
        )
        row = conn.execute(
            sa.select(datasets).where(datasets.c.name == name, datasets.c.version == version)
        ).one()
    return _record(row), True


def get(db: Database, name: str, version: int | None = None) -> DatasetVersion:
    """``name@version``, or the latest version of ``name`` when ``version`` is None."""
    query = sa.select(datasets).where(datasets.c.name == name)
    if version is None:
        query = query.order_by(datasets.c.version.desc()).limit(1)
    else:
        query = query.where(datasets.c.version == version)
    with db.read() as conn:
        row = conn.execute(query).first()
    if row is None:
        shown = name if version is None else f"{name}@{version}"
        raise NotFound(
            f"dataset {shown} does not exist", hint="list datasets with: fullcycle data list"
        )
    return _record(row)


def listing(db: Database, *, name: str | None = None, limit: int = 200) -> list[DatasetVersion]:
    """Newest first."""
    query = sa.select(datasets).order_by(datasets.c.id.desc()).limit(limit)
    if name:
        query = query.where(datasets.c.name == name)
    with db.read() as conn:
        return [_record(r) for r in conn.execute(query)]
