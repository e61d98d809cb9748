"""Shared fixtures: small factories for stores and projects, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fullcycle.project import Project
from fullcycle.settings import Settings

PG_ADMIN_URL = os.environ.get("FULLCYCLE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(
        PG_ADMIN_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True
    )


def _pg_database(template: str | None = None) -> Iterator[str]:
    name = f"fc_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A PostgreSQL database migrated once per session, copied for each test (fast)."""
    from fullcycle.store.db import Database

    gen = _pg_database()
    url = next(gen)
    Database.open(url).dispose()
    yield url.rsplit("/", 1)[1]
    gen.close()


@pytest.fixture
def pg_empty_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (for tests of migrating a new store)."""
    yield from _pg_database()


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database at the current schema, dropped afterwards."""
    yield from _pg_database(pg_template)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store migrated once per session, copied for each test (fast)."""
    from fullcycle.store.db import Database

    path = tmp_path_factory.mktemp("template") / "fullcycle.db"
    Database.open(f"sqlite:///{path}").dispose()  # closing the last connection checkpoints the WAL
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated metadata store URL, once for the embedded SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        target = tmp_path / ".fullcycle" / "fullcycle.db"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store URL (nothing migrated yet), on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh' / 'fullcycle.db'}"
    return str(request.getfixturevalue("pg_empty_url"))


@pytest.fixture
def bare_project(tmp_path: Path, db_url: str) -> Iterator[Project]:
    """A project whose store is ready, without a scope file (for store-level tests)."""
    settings = Settings.from_env({"FULLCYCLE_DATABASE_URL": db_url}, project_dir=tmp_path)
    project = Project(settings)
    yield project
    project.close()
