"""Shared fixtures: small factories for stores and projects, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fullcycle.project import Project
from fullcycle.settings import Settings

PG_ADMIN_URL = os.environ.get("FULLCYCLE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(PG_ADMIN_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"fc_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The metadata store URL, once for the embedded SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'fullcycle.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def bare_project(tmp_path: Path, db_url: str) -> Iterator[Project]:
    """A project whose store is ready, without a scope file (for store-level tests)."""
    settings = Settings.from_env({"FULLCYCLE_DATABASE_URL": db_url}, project_dir=tmp_path)
    project = Project(settings)
    yield project
    project.close()
