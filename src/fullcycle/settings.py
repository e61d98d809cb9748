"""Settings, read from the environment when asked for, never at import time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fullcycle.errors import ConfigError

SCOPE_FILE = "fullcycle.yaml"
STATE_DIR = ".fullcycle"
DURABILITY_MODES = ("fast", "strict")
#: each field of :class:`Settings` and the environment variable it is read from
ENVIRONMENT = {
    "project_dir": "FULLCYCLE_PROJECT_DIR",
    "database_url": "FULLCYCLE_DATABASE_URL",
    "artifact_url": "FULLCYCLE_ARTIFACT_URL",
    "log_url": "FULLCYCLE_LOG_URL",
    "dask_scheduler": "FULLCYCLE_DASK_SCHEDULER",
    "token": "FULLCYCLE_TOKEN",
    "server_url": "FULLCYCLE_SERVER_URL",
    "durability": "FULLCYCLE_DURABILITY",
    "busy_timeout_s": "FULLCYCLE_BUSY_TIMEOUT",
    "feedback_orphans": "FULLCYCLE_FEEDBACK_ORPHANS",
    "feedback_orphan_days": "FULLCYCLE_FEEDBACK_ORPHAN_DAYS",
}


def _positive_float(environ: Mapping[str, str], key: str, default: float) -> float:
    raw = environ.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{key}={raw!r} is not a number") from None
    if not value > 0:
        raise ConfigError(f"{key}={raw!r} must be greater than 0")
    return value


@dataclass(frozen=True)
class Settings:
    """Where the project keeps its state, and how it talks to the outside.

    ``database_url`` and ``artifact_url`` default to the embedded store under ``.fullcycle/``
    beside ``fullcycle.yaml``.
    """

    project_dir: Path
    database_url: str | None = None
    artifact_url: str | None = None
    log_url: str | None = None
    dask_scheduler: str | None = None
    token: str | None = None
    server_url: str | None = None
    durability: str = "fast"
    busy_timeout_s: float = 30.0
    feedback_orphans: int = 100_000  # labels for unknown request ids kept at most (429 beyond)
    feedback_orphan_days: float = 30.0  # orphan labels older than this are dropped

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, project_dir: str | Path | None = None
    ) -> Settings:
        """Read ``FULLCYCLE_*`` variables from ``environ`` (``os.environ`` when None)."""
        env = os.environ if environ is None else environ
        root = Path(project_dir or env.get("FULLCYCLE_PROJECT_DIR") or ".").resolve()
        durability = env.get("FULLCYCLE_DURABILITY", "fast")
        if durability not in DURABILITY_MODES:
            raise ConfigError(
                f"FULLCYCLE_DURABILITY={durability!r} is not one of {', '.join(DURABILITY_MODES)}"
            )
        return cls(
            project_dir=root,
            database_url=env.get("FULLCYCLE_DATABASE_URL") or None,
            artifact_url=env.get("FULLCYCLE_ARTIFACT_URL") or None,
            log_url=env.get("FULLCYCLE_LOG_URL") or None,
            dask_scheduler=env.get("FULLCYCLE_DASK_SCHEDULER") or None,
            token=env.get("FULLCYCLE_TOKEN") or None,
            server_url=env.get("FULLCYCLE_SERVER_URL") or None,
            durability=durability,
            busy_timeout_s=_positive_float(env, "FULLCYCLE_BUSY_TIMEOUT", 30.0),
            feedback_orphans=int(_positive_float(env, "FULLCYCLE_FEEDBACK_ORPHANS", 100_000)),
            feedback_orphan_days=_positive_float(env, "FULLCYCLE_FEEDBACK_ORPHAN_DAYS", 30.0),
        )

    @property
    def state_dir(self) -> Path:
        return self.project_dir / STATE_DIR

    @property
    def scope_path(self) -> Path:
        return self.project_dir / SCOPE_FILE

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.state_dir / 'fullcycle.db'}"

    def resolved_artifact_url(self) -> str:
        return self.artifact_url or str(self.state_dir / "artifacts")

    def resolved_log_url(self) -> str:
        return self.log_url or str(self.state_dir / "logs")
