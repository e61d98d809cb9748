"""The inference app with token checks on, driven in-process over ASGI, and tokens of each role."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SERVING = Path(__file__).parent.parent / "serving"
sys.path.insert(0, str(SERVING))

from serving_fixtures import MODEL, FixtureSource  # noqa: E402

from fullcycle import auth  # noqa: E402
from fullcycle.serving.app import create_app  # noqa: E402
from fullcycle.serving.guard import Access  # noqa: E402
from fullcycle.serving.logbook import Logbook, LogConfig  # noqa: E402
from fullcycle.serving.runtime import Runtime  # noqa: E402
from fullcycle.store import deployments  # noqa: E402
from fullcycle.store.db import Database  # noqa: E402


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
