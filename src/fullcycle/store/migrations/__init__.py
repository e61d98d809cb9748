"""Alembic migrations, applied by :meth:`fullcycle.store.db.Database.migrate` on open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

HEAD = "0001"
"""The newest revision; a test checks it against the scripts in ``versions/``."""

SCRIPT_LOCATION = str(Path(__file__).parent)


def config(connection: Any = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(connection: Any, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(config(connection), revision)
