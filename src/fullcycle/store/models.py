"""Model versions and aliases.

A version is one row, inserted with its event in ONE transaction after its artifact is stored,
so a crash leaves either nothing or the whole version. Numbers come from ``max + 1`` under the
``(name, version)`` unique constraint: SQLite serialises writers (BEGIN IMMEDIATE), PostgreSQL
takes a transaction-scoped advisory lock per name, and a lost race is retried.
Aliases move by compare-and-set on their revision.
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from fullcycle import clock
from fullcycle.errors import Conflict, NotFound
from fullcycle.records import Alias, ModelVersion
from fullcycle.store import events as event_store
from fullcycle.store.db import Database
from fullcycle.store.tables import aliases, metadata, model_versions

RETRIES = 60


def _lock_name(conn: Connection, db: Database, name: str) -> None:
    if db.dialect == "postgresql":
        key = zlib.crc32(f"model:{name}".encode()) & 0x7FFFFFFF
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def insert_version(
    db: Database,
    values: dict[str, Any],
    *,
    actor: str,
    message: str = "",
    event_data: dict[str, Any] | None = None,
    card: Callable[[int], str] | None = None,
) -> int:
    """Insert ``values`` as the next version of ``values['name']``; returns the number.
    ``card(number)`` writes the model card once the number is known."""
    name = values["name"]
    for attempt in range(RETRIES):
        try:
            with db.write() as conn:
                _lock_name(conn, db, name)
                top = conn.execute(
                    sa.select(sa.func.max(model_versions.c.version)).where(
                        model_versions.c.name == name
                    )
                ).scalar()
                number = int(top or 0) + 1
                extra = {"card": card(number)} if card is not None else {}
                conn.execute(
                    model_versions.insert().values(
                        **values, **extra, version=number, created_at=clock.now()
                    )
                )
                event_store.record(
                    conn,
                    "model.register",
                    actor=actor,
                    subject=f"{name}:{number}",
                    message=message,
                    data=event_data or {},
                )
                return number
        except SAIntegrityError:
            time.sleep(random.uniform(0.001, 0.02) * (attempt + 1))
    raise Conflict(
        f"could not number a new version of {name!r} after {RETRIES} attempts",
        hint="retry; many registrations are racing",
    )


def _version(row: Any, names: tuple[str, ...] = ()) -> ModelVersion:
    data = dict(row._mapping)
    data.pop("id", None)
    return ModelVersion(**data, aliases=names)


def _aliases_of(conn: Connection, name: str) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for a in conn.execute(
        sa.select(aliases).where(aliases.c.name == name).order_by(aliases.c.alias)
    ):
        out.setdefault(a.version, []).append(a.alias)
    return {k: tuple(v) for k, v in out.items()}


def get(db: Database, name: str, version: int) -> ModelVersion:
    with db.read() as conn:
        row = conn.execute(
            sa.select(model_versions).where(
                model_versions.c.name == name, model_versions.c.version == version
            )
        ).first()
        if row is None:
            raise NotFound(
                f"model {name}:{version} does not exist",
                hint="list versions with: fullcycle models",
            )
        return _version(row, _aliases_of(conn, name).get(version, ()))


def latest_version(db: Database, name: str) -> int:
    with db.read() as conn:
        top = conn.execute(
            sa.select(sa.func.max(model_versions.c.version)).where(model_versions.c.name == name)
        ).scalar()
    if top is None:
        raise NotFound(
            f"model {name!r} has no versions", hint="register a run: fullcycle register latest"
        )
    return int(top)


def listing(db: Database, name: str | None = None) -> list[ModelVersion]:
    query = sa.select(model_versions).order_by(model_versions.c.name, model_versions.c.version)
    if name:
        query = query.where(model_versions.c.name == name)
    with db.read() as conn:
        rows = conn.execute(query).all()
        names = {n: _aliases_of(conn, n) for n in {r.name for r in rows}}
    return [_version(r, names[r.name].get(r.version, ())) for r in rows]


def get_alias(db: Database, name: str, alias: str) -> Alias | None:
    with db.read() as conn:
        row = conn.execute(
            sa.select(aliases).where(aliases.c.name == name, aliases.c.alias == alias)
        ).first()
    return None if row is None else Alias(**row._mapping)


def list_aliases(db: Database, name: str | None = None) -> list[Alias]:
    query = sa.select(aliases).order_by(aliases.c.name, aliases.c.alias)
    if name:
        query = query.where(aliases.c.name == name)
    with db.read() as conn:
        return [Alias(**r._mapping) for r in conn.execute(query)]


def set_alias(
    db: Database,
    name: str,
    alias: str,
    version: int,
    expected_revision: int,
    *,
    actor: str,
    kind: str = "model.alias",
    message: str = "",
    data: dict[str, Any] | None = None,
) -> int:
    """Point ``alias`` at ``version`` if its revision is still ``expected_revision`` (0: the alias
    must not exist yet); returns the new revision, or raises Conflict. The event commits with it."""
    try:
        with db.write() as conn:
            return set_alias_in(
                conn,
                name,
                alias,
                version,
                expected_revision,
                actor=actor,
                kind=kind,
                message=message,
                data=data,
            )
    except SAIntegrityError:
        raise Conflict(
            f"alias {name}@{alias} was created by someone else meanwhile",
            hint="look again and retry",
        ) from None


def get_alias_in(conn: Connection, name: str, alias: str) -> Alias | None:
    """The alias as this transaction sees it, or None."""
    row = conn.execute(
        sa.select(aliases).where(aliases.c.name == name, aliases.c.alias == alias)
    ).first()
    return None if row is None else Alias(**row._mapping)


def exists_in(conn: Connection, name: str, version: int) -> bool:
    """Whether the registry holds ``name:version``, as this transaction sees it."""
    found = conn.execute(
        sa.select(model_versions.c.id).where(
            model_versions.c.name == name, model_versions.c.version == version
        )
    ).first()
    return found is not None


def set_alias_in(
    conn: Connection,
    name: str,
    alias: str,
    version: int,
    expected_revision: int,
    *,
    actor: str,
    kind: str = "model.alias",
    message: str = "",
    data: dict[str, Any] | None = None,
) -> int:
    """:func:`set_alias` inside the caller's transaction (so another write commits with it).
    A concurrent creation surfaces as SQLAlchemy's IntegrityError: the caller maps it."""
    if not exists_in(conn, name, version):
        raise NotFound(f"model {name}:{version} does not exist", hint="see `fullcycle models`")
    now = clock.now()
    if expected_revision == 0:
        conn.execute(
            aliases.insert().values(
                name=name, alias=alias, version=version, revision=1, updated_at=now
            )
        )
    else:
        res = conn.execute(
            aliases.update()
            .where(
                aliases.c.name == name,
                aliases.c.alias == alias,
                aliases.c.revision == expected_revision,
            )
            .values(version=version, revision=expected_revision + 1, updated_at=now)
        )
        if res.rowcount != 1:
            raise Conflict(
                f"alias {name}@{alias} changed since revision {expected_revision}",
                hint="someone else moved it; look again and retry",
            )
    event_store.record(
        conn,
        kind,
        actor=actor,
        subject=f"{name}@{alias}",
        message=message,
        data={"version": version, "revision": expected_revision + 1, **(data or {})},
    )
    return expected_revision + 1


def set_fields(
    db: Database,
    name: str,
    version: int,
    *,
    actor: str,
    kind: str,
    message: str = "",
    **values: Any,
) -> None:
    """Change a version's status/trusted flag/reference, with its event, in one transaction."""
    with db.write() as conn:
        res = conn.execute(
            model_versions.update()
            .where(model_versions.c.name == name, model_versions.c.version == version)
            .values(**values)
        )
        if res.rowcount != 1:
            raise NotFound(f"model {name}:{version} does not exist")
        event_store.record(
            conn,
            kind,
            actor=actor,
            subject=f"{name}:{version}",
            message=message,
            data={k: v for k, v in values.items()},
        )


def referenced_shas(db: Database) -> set[str]:
    """Every sha256 any table points at (all columns named ``*sha256`` and run artifacts)."""
    found: set[str] = set()
    with db.read() as conn:
        for table in metadata.sorted_tables:
            for column in table.columns:
                if column.name.endswith("sha256"):
                    found.update(
                        v
                        for (v,) in conn.execute(
                            sa.select(column).where(column.is_not(None)).distinct()
                        )
                        if v
                    )
    return found
