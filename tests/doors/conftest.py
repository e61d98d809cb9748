"""Fixtures: real projects on scikit-learn's datasets, served in-process over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from doorkit import breast_cancer, diabetes, make_project

from fullcycle.project import Project


@pytest.fixture(scope="module")
def cancer_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("cancer") / "p", breast_cancer(), "classification")


@pytest.fixture(scope="module")
def diabetes_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("diabetes") / "p", diabetes(), "regression")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def serve() -> Callable[..., Any]:
    """``async with serve(project) as client``: the real app (registry source, prediction log)."""

    @asynccontextmanager
    async def run(project: Project, **app_options: Any) -> AsyncIterator[httpx.AsyncClient]:
        from fullcycle.serving.server import ServeOptions, build_app
        from fullcycle.serving.source import RegistrySource

        settings = project.settings
        options = ServeOptions(
            source_factory="fullcycle.serving.source:project_source",
            model="doors",
            poll_s=0.05,
            auth=False,  # these tests are about labels; tests/security checks the tokens
        )
        app = build_app(RegistrySource(settings, "doors"), settings, options)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                yield c

    return run
