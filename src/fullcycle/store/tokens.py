"""API tokens: only the sha256 of each token is stored; the token itself is shown once."""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from fullcycle.errors import AlreadyExists, NotFound
from fullcycle.store.db import Database
from fullcycle.store.tables import tokens


@dataclass(frozen=True)
class TokenRecord:
    id: str
    name: str
    role: str
    hash: str
    created_at: float
    expires_at: float | None
    revoked_at: float | None


def insert(db: Database, record: TokenRecord) -> None:
    try:
        with db.write() as conn:
            conn.execute(tokens.insert().values(**record.__dict__))
    except SAIntegrityError:
        raise AlreadyExists(
            f"a token named {record.name!r} exists already", hint="choose another --name"
        ) from None


def by_hash(db: Database, digest: str) -> TokenRecord | None:
    with db.read() as conn:
        row = conn.execute(sa.select(tokens).where(tokens.c.hash == digest)).first()
    return None if row is None else TokenRecord(**row._mapping)


def listing(db: Database) -> list[TokenRecord]:
    with db.read() as conn:
        rows = conn.execute(sa.select(tokens).order_by(tokens.c.created_at)).all()
    return [TokenRecord(**r._mapping) for r in rows]


def revoke(db: Database, name_or_id: str) -> TokenRecord:
    with db.write() as conn:
        res = conn.execute(
            tokens.update()
            .where(
                sa.or_(tokens.c.name == name_or_id, tokens.c.id == name_or_id),
                tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=time.time())
        )
        if not res.rowcount:
            raise NotFound(
                f"no active token named {name_or_id!r}",
                hint="list tokens with: fullcycle token list",
            )
        row = conn.execute(
            sa.select(tokens).where(sa.or_(tokens.c.name == name_or_id, tokens.c.id == name_or_id))
        ).first()
    return TokenRecord(**row._mapping)  # type: ignore[union-attr]


def count_admins(db: Database) -> int:
    with db.read() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(tokens)
                .where(tokens.c.role == "admin", tokens.c.revoked_at.is_(None))
            ).scalar_one()
        )
