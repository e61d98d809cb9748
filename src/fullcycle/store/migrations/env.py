"""Alembic environment: runs on the connection fullcycle hands it, never on a URL of its own."""

from alembic import context

from fullcycle.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only for running alembic by hand
    raise SystemExit("run migrations through fullcycle: Database.open(url) migrates on open")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
