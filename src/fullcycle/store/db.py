"""The metadata database: one engine, migrations on open, and read/write transactions.

SQLite (the embedded default) runs in WAL mode with a busy timeout, and write transactions
start with ``BEGIN IMMEDIATE`` so two writers queue instead of deadlocking on a lock upgrade.
Opening a fresh store from several processes at once is safe: a file lock (SQLite) or an
advisory lock (PostgreSQL) lets exactly one of them migrate.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from fullcycle.errors import ConfigError, StoreUnavailable
from fullcycle.store.migrations import HEAD, upgrade

_PG_MIGRATE_LOCK = 4_242_001


def _mask(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable url>"


def _sqlite_setup(engine: Engine, busy_timeout_s: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let the begin hook below own transactions
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """A connection pool to the metadata store, migrated to the current schema."""

    def __init__(self, url: str, *, busy_timeout_s: float = 30.0) -> None:
        self.url = url
        try:
            parsed = sa.engine.make_url(url)
        except Exception as exc:
            raise ConfigError(
                f"database URL {url!r} cannot be parsed",
                hint="use sqlite:///path or postgresql+psycopg://user@host/db",
            ) from exc
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.dialect = parsed.get_backend_name()
        # SQL parameters (token hashes among them) never appear in an error message or a trace
        kwargs: dict[str, Any] = {"hide_parameters": True}
        if self.dialect == "sqlite":
            kwargs["connect_args"] = {"timeout": busy_timeout_s, "check_same_thread": False}
        elif self.dialect == "postgresql":
            kwargs["pool_pre_ping"] = True
            kwargs["connect_args"] = {"connect_timeout": 5}
        try:
            self.engine = sa.create_engine(parsed, **kwargs)
        except Exception as exc:  # a missing driver, for instance
            raise ConfigError(f"cannot use database {_mask(url)}: {exc}") from exc
        if self.dialect == "sqlite":
            _sqlite_setup(self.engine, busy_timeout_s)

    @classmethod
    def open(cls, url: str, *, busy_timeout_s: float = 30.0) -> Database:
        """Connect, and migrate to the head revision if the store is behind."""
        db = cls(url, busy_timeout_s=busy_timeout_s)
        if db.dialect == "sqlite":
            db._sqlite_prepare()
        db.migrate()
        return db

    def _sqlite_prepare(self) -> None:
        path = self.engine.url.database
        if path and path.startswith("file:"):  # a URI filename (``?uri=true``): its path
            path = path.removeprefix("file:").split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)

    def current_revision(self) -> str | None:
        with self.read() as conn:
            try:
                row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
            except DBAPIError:
                return None
        return row[0] if row else None

    def migrate(self) -> None:
        """Bring the schema to head; exactly one of several concurrent openers does the work."""
        if self._safe_current() == HEAD:
            return
        with self._migration_lock():
            if self._safe_current() != HEAD:
                with self.engine.begin() as conn:
                    upgrade(conn)

    def _safe_current(self) -> str | None:
        try:
            return self.current_revision()
        except OperationalError as exc:
            raise StoreUnavailable(
                f"cannot reach the metadata store at {_mask(self.url)}: {exc.orig}",
                hint="check FULLCYCLE_DATABASE_URL and that the server is running",
            ) from exc

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        if self.dialect == "sqlite":
            lock_path = f"{self.engine.url.database}.migrate.lock"
            fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        elif self.dialect == "postgresql":
            with self.engine.connect() as conn:
                conn.exec_driver_sql(f"SELECT pg_advisory_lock({_PG_MIGRATE_LOCK})")
                conn.commit()
                try:
                    yield
                finally:
                    conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_PG_MIGRATE_LOCK})")
                    conn.commit()
        else:
            yield

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction."""
        with self._translate(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: all of it commits, or none of it."""
        with self._translate(), self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    @contextmanager
    def _translate(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as exc:
            if self.dialect == "postgresql" or _unavailable_sqlite(exc):
                raise StoreUnavailable(
                    f"the metadata store at {_mask(self.url)} is unavailable: {exc.orig}",
                    hint="retry when the database is back",
                ) from exc
            raise

    def dispose(self) -> None:
        self.engine.dispose()


#: SQLite errors that mean "the store cannot take this now" (retry later), not a bug: the file
#: is gone, read-only, on a full or failing disk, or locked past the busy timeout.
_SQLITE_UNAVAILABLE = (
    "unable to open",
    "readonly database",
    "disk i/o error",
    "database or disk is full",
    "database is locked",
)


def _unavailable_sqlite(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return any(marker in text for marker in _SQLITE_UNAVAILABLE)
