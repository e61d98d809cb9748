"""The model source a real server uses: deployments and versions from the project's store.

What is served follows the deployment row (production, canary and share, shadow). A project
that has promoted a version but never set a deployment serves its ``production`` alias.
Each version is validated against the contract it was trained with, stored with it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from fullcycle import registry
from fullcycle.errors import IntegrityError, ModelCheckFailed, NotFound
from fullcycle.serving.models import LoadedModel
from fullcycle.settings import Settings
from fullcycle.store import alerts, deployments
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database
from fullcycle.store.deployments import DeploymentState


class RegistrySource:
    """Deployment state and model versions read from the metadata and artifact stores."""

    def __init__(self, settings: Settings, model: str | None = None) -> None:
        self.settings = settings
        self.db = Database.open(
            settings.resolved_database_url(), busy_timeout_s=settings.busy_timeout_s
        )
        self.artifacts = ArtifactStore(settings.resolved_artifact_url())
        self.model = model
        self._scope: tuple[tuple[int, int], str] | None = None  # (mtime_ns, size), name

    def _scope_name(self) -> str:
        """The scope's model name, re-read only when the file's mtime or size changed."""
        path = self.settings.scope_path
        try:
            stat = path.stat()
        except OSError:
            return _scope_name(self.settings)  # names the missing file
        key = (stat.st_mtime_ns, stat.st_size)
        if self._scope is None or self._scope[0] != key:
            self._scope = (key, _scope_name(self.settings))
        return self._scope[1]

    def deployment(self) -> DeploymentState | None:
        name = self.model or self._scope_name()
        state = deployments.current(self.db, name)
        if state is not None:
            return state
        alias = {a.alias: a.version for a in registry.aliases(self.db, name)}.get("production")
        if alias is None:
            return None
        return DeploymentState(revision=0, name=name, production=alias)

    def load(self, name: str, version: int) -> LoadedModel:
        return load_for_serving(self.db, self.artifacts, name, version)


def load_for_serving(
    db: Database, artifacts: ArtifactStore, name: str, version: int
) -> LoadedModel:
    """A registered version with its contract's validation hook and its reference rows."""
    from fullcycle.contract import Contract

    try:
        loaded = registry.load(db, artifacts, f"{name}:{version}")
    except IntegrityError as exc:  # the registry marked it corrupt; someone must know
        alerts.raise_or_touch(
            db,
            f"model.corrupt:{name}:{version}",
            f"{name}:{version} failed its sha256 check at load; serving keeps what it had",
            {"model": name, "version": version, "error": str(exc)[:300]},
            actor="server",
        )
        raise
    contract_dict = (loaded.signature or {}).get("contract")
    if not contract_dict:
        raise ModelCheckFailed(
            f"{name}:{version} has no contract stored with it",
            hint="retrain it in a project whose scope has features",
        )
    contract = Contract.from_dict(contract_dict)
    rows: list[dict[str, Any]] = []
    if loaded.record.reference_sha256:
        rows = json.loads(artifacts.get_bytes(loaded.record.reference_sha256)).get("rows", [])
    return replace(
        loaded,
        validate=contract.validate_records,
        reference_rows=rows,
        decision=dict(loaded.decision or {}),
    )


def _scope_name(settings: Settings) -> str:
    from fullcycle.scope import load_scope

    if not settings.scope_path.is_file():
        raise NotFound(f"no fullcycle.yaml in {settings.project_dir}", hint="pass --model NAME")
    return load_scope(settings.scope_path).name


def project_source(settings: Settings) -> RegistrySource:
    """The factory ``fullcycle serve`` uses by default (``module:function``)."""
    import os

    return RegistrySource(settings, os.environ.get("FULLCYCLE_MODEL") or None)
