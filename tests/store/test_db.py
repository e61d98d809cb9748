import multiprocessing as mp
from pathlib import Path

import pytest
import sqlalchemy as sa

from fullcycle.errors import ConfigError, StoreUnavailable
from fullcycle.store import events as event_store
from fullcycle.store.db import Database
from fullcycle.store.migrations import HEAD, SCRIPT_LOCATION
from fullcycle.store.tables import metadata


def test_head_constant_matches_the_migration_scripts() -> None:
    from alembic.script import ScriptDirectory

    from fullcycle.store.migrations import config

    assert ScriptDirectory.from_config(config()).get_current_head() == HEAD
    assert Path(SCRIPT_LOCATION, "versions").is_dir()


def test_open_migrates_to_head_and_creates_every_table(empty_db_url: str) -> None:
    db = Database.open(empty_db_url)
    assert db.current_revision() == HEAD
    names = set(sa.inspect(db.engine).get_table_names())
    assert set(metadata.tables) <= names
    db.dispose()


def test_migrations_create_exactly_the_declared_schema(empty_db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = Database.open(empty_db_url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    db.dispose()
    assert diff == [], f"tables.py and the migrations disagree: {diff}"


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'x.db'}")
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.dispose()


def _open_and_write(url: str, i: int, queue: "mp.Queue[str]") -> None:
    try:
        db = Database.open(url)
        with db.write() as conn:
            event_store.record(conn, "test.open", actor=f"proc-{i}")
        queue.put("ok")
    except Exception as exc:  # report, the parent asserts
        queue.put(f"{type(exc).__name__}: {exc}")


def test_concurrent_open_of_a_fresh_store_migrates_once(empty_db_url: str) -> None:
    db_url = empty_db_url
    ctx = mp.get_context("spawn")
    queue: mp.Queue[str] = ctx.Queue()
    procs = [ctx.Process(target=_open_and_write, args=(db_url, i, queue)) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    results = [queue.get(timeout=30) for _ in procs]
    assert results == ["ok"] * 4
    db = Database.open(db_url)
    assert db.current_revision() == HEAD
    assert len(event_store.listing(db, kind="test.open")) == 4
    db.dispose()


def test_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(StoreUnavailable, match="127.0.0.1:1"):
        Database.open("postgresql://nobody@127.0.0.1:1/none")


def test_unparsable_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="cannot be parsed"):
        Database.open("not a url at all")


def test_a_failed_write_transaction_leaves_nothing(db_url: str) -> None:
    db = Database.open(db_url)
    with pytest.raises(RuntimeError), db.write() as conn:
        event_store.record(conn, "test.partial", actor="t")
        raise RuntimeError("boom")
    assert event_store.listing(db, kind="test.partial") == []
    db.dispose()
