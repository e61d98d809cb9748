"""The inference app with token checks on, driven in-process over ASGI, and tokens of each role."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from serving_fixtures import MODEL, FixtureSource

from fullcycle import auth
from fullcycle.serving.app import create_app
from fullcycle.serving.guard import Access
from fullcycle.serving.logbook import Logbook, LogConfig
from fullcycle.serving.runtime import Runtime
from fullcycle.store import deployments
from fullcycle.store.db import Database


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db(tmp_path: Path) -> Database:
    db = Database.open(f"sqlite:///{tmp_path / 'store.db'}")
    deployments.set(db, MODEL, production=1, actor="test")
    return db


@pytest.fixture
def tokens(db: Database) -> dict[str, str]:
    """One token per role, named after it."""
    return {role: auth.create_token(db, name=f"{role}-bot", role=role) for role in auth.ROLES}


@pytest.fixture
def make_app(tmp_path: Path, db: Database) -> Callable[..., Any]:
    def factory(**access: Any) -> Any:
        access.setdefault("authenticator", auth.Authenticator(db, ttl_s=0.0))
        logbook = Logbook(
            db, tmp_path / "logs", model=MODEL, config=LogConfig(fsync_interval_s=0.01)
        )
        runtime = Runtime(FixtureSource(db), logbook, db=db, poll_s=0.05)
        return create_app(runtime, access=Access(**access), gc_freeze=False)

    return factory
