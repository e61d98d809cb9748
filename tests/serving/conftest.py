from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving_fixtures import MODEL, FixtureSource

from fullcycle.serving.app import create_app
from fullcycle.serving.guard import Access
from fullcycle.serving.logbook import Logbook, LogConfig
from fullcycle.serving.runtime import Runtime
from fullcycle.store import deployments
from fullcycle.store.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database.open(f"sqlite:///{tmp_path / 'store.db'}")


@pytest.fixture
def make_client(tmp_path: Path, db: Database) -> Callable[..., Any]:
    """Factory: an in-process app over ASGI with version(s) deployed; use as async ctx."""

    def factory(
        production: int | None = 1,
        *,
        durability: str = "fast",
        app_options: dict[str, Any] | None = None,
        **deploy: Any,
    ) -> Any:
        if production is not None:
            deployments.set(db, MODEL, production=production, actor="test", **deploy)
        source = FixtureSource(db)
        logbook = Logbook(
            db,
            tmp_path / "logs",
            model=MODEL,
            config=LogConfig(durability=durability, fsync_interval_s=0.01),
        )
        runtime = Runtime(source, logbook, db=db, poll_s=0.05)
        options = {"access": Access(allowed_hosts=("test",)), **(app_options or {})}
        app = create_app(runtime, **options)
        return _Client(app, runtime)

    return factory


class _Client:
    def __init__(self, app: Any, runtime: Runtime) -> None:
        self.app, self.runtime = app, runtime

    async def __aenter__(self) -> httpx.AsyncClient:
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://test"
        )
        return self._client

    async def __aexit__(self, *exc: Any) -> None:
        await self._client.aclose()
        await self._lifespan.__aexit__(None, None, None)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
