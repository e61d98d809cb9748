"""The facade's other groups: each method names the CLI verb it serves and delegates to the
flat :class:`~fullcycle.Project` method or the stage behind it. ``runs``, ``models``, ``tokens``
and ``monitor`` are also callable, as the flat methods they were (``project.models()`` lists)."""

from __future__ import annotations

import builtins
import json
import os
import tempfile
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fullcycle.errors import NotFound
from fullcycle.records import MonitorReport

if TYPE_CHECKING:
    import pandas as pd

    from fullcycle.auth import Principal
    from fullcycle.data.labeling import ImportReport
    from fullcycle.loop.controller import StepResult
    from fullcycle.monitoring.service import MonitorDeps
    from fullcycle.project import Project
    from fullcycle.records import (
        Alias,
        DatasetVersion,
        LabelTask,
        MetricPoint,
        ModelVersion,
        RunInfo,
    )
    from fullcycle.registry import LoadedModel, Promotion
    from fullcycle.store.events import Note
    from fullcycle.store.rollouts import Rollout
    from fullcycle.store.tokens import TokenRecord


class _Group:
    def __init__(self, project: Project) -> None:
        self._project = project


class Data(_Group):
    """``fullcycle data``: immutable dataset versions ``NAME@N`` and their lineage."""

    def add(self, frame_or_path: Any, name: str, **options: Any) -> DatasetVersion:
        """Store a file or table as the next version of ``name`` (see ``Project.add_data``)."""
        return self._project.add_data(frame_or_path, name, **options)

    def get(self, ref: str) -> DatasetVersion:
        """The version ``NAME@N`` (or ``NAME``: the newest)."""
        return self._project.dataset(ref)

    def list(self, name: str | None = None) -> builtins.list[DatasetVersion]:
        """Dataset versions, of one name or all."""
        return self._project.datasets(name)

    def load(self, ref: str) -> pd.DataFrame:
        """The rows of a version, sha256 verified."""
        return self._project.load_data(ref)

    def lineage(self, ref: str) -> dict[str, Any]:
        """The tree of versions this one was made from."""
        return self._project.lineage(ref)

    def local_copy(self, ref: str) -> AbstractContextManager[Path]:
        """A local file holding the version's Parquet bytes (for engines that read paths)."""
        return self._project._artifacts.local_copy(self.get(ref).sha256)


class Runs(_Group):
    """``fullcycle runs``: training runs and their metrics."""

    def __call__(self, *, limit: int = 50, status: str | None = None) -> builtins.list[RunInfo]:
        """Training runs, newest first (``status``: running, finished, failed)."""
        from fullcycle.store import runs

        return runs.listing(self._project._db, limit=limit, status=status)

    def list(self, *, limit: int = 50, status: str | None = None) -> builtins.list[RunInfo]:
        """Runs, newest first."""
        return self(limit=limit, status=status)

    def get(self, run_id: str) -> RunInfo:
        """One run by id, unique prefix or ``latest``."""
        return self._project.run(run_id)

    def metric_history(self, run_id: str, key: str) -> builtins.list[MetricPoint]:
        """The steps of one metric of a run."""
        return self._project.metric_history(run_id, key)


class Models(_Group):
    """``fullcycle register``, ``promote``, ``models``: versions ``NAME:N`` and aliases."""

    def __call__(self, name: str | None = None) -> builtins.list[ModelVersion]:
        """Registered versions (of one model or all), with their aliases."""
        from fullcycle import registry

        return registry.models(self._project._db, name)

    def list(self, name: str | None = None) -> builtins.list[ModelVersion]:
        """Registered versions with their aliases."""
        return self(name)

    def show(self, ref: str) -> ModelVersion:
        """One version by ``NAME:N``, ``NAME@ALIAS`` or ``NAME`` (its card is ``.card``)."""
        from fullcycle import registry

        return registry.resolve(self._project._db, ref)

    def register(self, run_id: str = "latest", **options: Any) -> ModelVersion:
        """A finished run's model as the next version (see ``Project.register``)."""
        return self._project.register(run_id, **options)

    def promote(self, ref: str, alias: str = "production", **options: Any) -> Promotion:
        """Point ``alias`` at a version through the gate; ``production`` moves what serves."""
        return self._project.promote(ref, alias, **options)

    def import_file(
        self, path: str | os.PathLike[str], *, name: str | None = None, **options: Any
    ) -> ModelVersion:
        """Register a model file made elsewhere (see ``Project.import_model``); pickles stay
        closed until trusted, and with ``data=NAME@N`` it is evaluated like a trained one."""
        return self._project.import_model(path, name=name, **options)

    def trust(self, ref: str, *, reason: str, actor: str = "cli") -> ModelVersion:
        """Admin: allow a pickle/joblib version to be opened (audited)."""
        return self._project.trust_model(ref, reason=reason, actor=actor)

    def load(self, ref: str) -> LoadedModel:
        """The model object of a version, sha256 verified."""
        return self._project.load_model(ref)

    def aliases(self, name: str | None = None) -> builtins.list[Alias]:
        """Aliases and the versions they point at."""
        return self._project.aliases(name)

    def set_alias(
        self, name: str, alias: str, version: int, *, actor: str = "cli", reason: str = ""
    ) -> int:
        """Point ``alias`` of model ``name`` at ``version`` without the promotion gate (the
        loop's ``challenger``), compare-and-set on the revision it reads; returns the new
        revision. ``production`` moves the deployment too."""
        from fullcycle import registry

        db = self._project._db
        held = {a.alias: a.revision for a in registry.aliases(db, name)}
        return registry.set_alias(
            db, name, alias, version, held.get(alias, 0), actor=actor, reason=reason
        )


class Labels(_Group):
    """``fullcycle label``: the labelling queue, its exports and the labels that come back."""

    def queue(self, candidates: pd.DataFrame, *, budget: int, **options: Any) -> str:
        """Queue the most informative rows; returns the batch name."""
        return self._project.label_queue(candidates, budget=budget, **options)

    def export(self, path: str | os.PathLike[str], fmt: str = "csv", **options: Any) -> int:
        """Write queued tasks as csv, jsonl or labelstudio; returns how many."""
        return self._project.label_export(path, fmt, **options)

    def import_file(self, path: str | os.PathLike[str], **options: Any) -> ImportReport:
        """Read labels back from a file (csv, jsonl, Label Studio)."""
        return self._project.label_import(path, **options)

    def merge(self, base: str, name: str | None = None, **options: Any) -> DatasetVersion:
        """A new dataset version: ``base`` plus the labelled rows."""
        return self._project.label_merge(base, name, **options)

    def label_one(
        self, task_id: int, label: str, *, labeller: str, actor: str = "api"
    ) -> ImportReport:
        """Label one queued task (the dashboard's verb), through the same checks as an import.

        The page offers the target's classes: a label outside them is refused here (a form
        forged or stale), where an import or ``/feedback`` would flag it as a new class. A new
        class is taken in by adding it to ``features.target.classes`` in fullcycle.yaml."""
        from fullcycle.contract import normalise_label, target_spec
        from fullcycle.errors import InvalidInput

        contract = self._project.contract()
        target = contract.target if contract else None
        classes = list(target.classes or []) if target is not None else []
        if classes and not normalise_label(label, target_spec(target)).known:
            shown = ", ".join(str(c) for c in classes[:20])
            raise InvalidInput(
                f"label {label!r} is not one of the target's classes ({shown})",
                hint="add a new class to features.target.classes in fullcycle.yaml first",
            )
        with tempfile.TemporaryDirectory(prefix="fullcycle-label-") as folder:
            path = Path(folder) / "labels.jsonl"
            path.write_text(json.dumps({"task_id": task_id, "label": label}) + "\n", "utf-8")
            return self._project.label_import(path, labeller=labeller, actor=actor)

    def tasks(
        self, *, batch: str | None = None, status: str | None = None
    ) -> builtins.list[LabelTask]:
        """Label tasks (of one batch, in one status, or all), oldest first."""
        from fullcycle.store import labels

        return labels.tasks(self._project._db, batch=batch, status=status)

    def queued_since(self, since: float) -> int:
        """How many label tasks were queued at or after ``since`` (epoch seconds)."""
        from fullcycle.store import labels

        return labels.queued_since(self._project._db, since)

    def feedback(self, *, since: float | None = None) -> builtins.list[dict[str, Any]]:
        """Labels that came back through ``/feedback`` (request id, label, ...), oldest first."""
        from fullcycle.store import logs

        return logs.feedback_rows(self._project._db, since=since)

    def withdraw(self, task_id: int, labeller: str, *, actor: str = "api") -> None:
        """Take back a labeller's label of one task (audited)."""
        from fullcycle.store import dashboard

        dashboard.withdraw_label(self._project._db, task_id, labeller, actor=actor)

    def progress(self) -> dict[str, int]:
        """Tasks by status."""
        from fullcycle.store import dashboard

        return dashboard.label_progress(self._project._db)

    def task(self, task_id: int) -> dict[str, Any] | None:
        """One task, or None."""
        from fullcycle.store import dashboard

        return dashboard.task(self._project._db, task_id)

    def next_task(self, *, after: int = 0) -> dict[str, Any] | None:
        """The next queued task after ``after``, or None."""
        from fullcycle.store import dashboard

        return dashboard.next_task(self._project._db, after=after)


class Tokens(_Group):
    """``fullcycle token``: API tokens with roles (read < predict < write < admin)."""

    def __call__(self) -> builtins.list[TokenRecord]:
        """API tokens (never the tokens themselves, only their hashes are kept)."""
        from fullcycle.store import tokens

        return tokens.listing(self._project._db)

    def create(
        self, role: str, *, name: str | None = None, expires_in_s: float | None = None,
        actor: str = "cli",
    ) -> tuple[str, str]:  # fmt: skip
        """A new token; returns (its name, the token, shown once; only its hash is kept)."""
        from fullcycle import auth

        label = name or f"{role}-{len(self.list()) + 1}"
        token = auth.create_token(
            self._project._db, name=label, role=role, expires_in_s=expires_in_s
        )
        self._project.record(
            "token.create", subject=label, actor=actor, message=f"token {label} with role {role}"
        )
        return label, token

    def list(self) -> builtins.list[TokenRecord]:
        """Tokens by name and role (never the tokens themselves)."""
        return self()

    def revoke(self, name: str) -> TokenRecord:
        """Revoke a token at once (audited)."""
        return self._project.revoke_token(name)

    def authenticate(self, token: str | None) -> Principal:
        """Who holds ``token`` (raises AuthError when it is unknown, expired or revoked)."""
        from fullcycle import auth

        return auth.authenticate(self._project._db, token)

    def bootstrap_admin(self) -> str | None:
        """A first admin token when none exists (shown once), else None."""
        from fullcycle import auth

        return auth.bootstrap_admin(self._project._db)


class Monitor(_Group):
    """``fullcycle monitor``: windows of production against the reference."""

    def __call__(
        self,
        window: str | None = None,
        *,
        version: str | None = None,
        save: bool = True,
        html: bool = False,
        actor: str = "monitor",
    ) -> MonitorReport:
        """A monitor report for a window of production (see ``monitoring/service.py``); the
        window defaults to the scope's ``monitoring.window`` (``"all"``: the whole log)."""
        from fullcycle import registry
        from fullcycle.monitoring.service import run_monitor

        project = self._project
        mv = registry.resolve(project._db, version) if version else project.production_version()
        return run_monitor(
            self._deps(), project.scope, mv, window=window, save=save, html=html, actor=actor
        )

    def run(self, window: str | None = "last:5000", **options: Any) -> MonitorReport:
        """One monitor report (the same as calling ``project.monitor(...)``)."""
        return self(window, **options)

    def reports(self, limit: int = 50) -> builtins.list[dict[str, Any]]:
        """Saved reports, newest first."""
        return self._project.monitor_reports(limit)

    def alerts(self) -> builtins.list[dict[str, Any]]:
        """Alerts not yet closed."""
        return self._project.open_alerts()

    def html(self, report: MonitorReport | dict[str, Any]) -> bytes:
        """The HTML page a report saved (``html=True``); a report or a stored report's dict."""
        sha = report.html_sha256 if isinstance(report, MonitorReport) else report["html_sha256"]
        if not sha:
            raise NotFound("this report saved no HTML page", hint="monitor with html=True")
        return self._project._artifacts.get_bytes(sha)

    def log(self, since: float | None = None, *, model: str | None = None) -> pd.DataFrame:
        """The prediction log of model ``model`` (default: the project's) since ``since``:
        sealed segments and the rows still being written, newest last."""
        from fullcycle.monitoring.service import read_window
        from fullcycle.monitoring.window import Window

        name = model or self._project.name
        return read_window(self._deps(), Window(since=since), model=name, version=None)

    def latest(self, model: str | None = None) -> dict[str, Any] | None:
        """The newest saved report of model ``model`` (default: the project's), or None."""
        from fullcycle.store import reports

        return reports.latest(self._project._db, model or self._project.name)

    def raise_alert(
        self, key: str, message: str, data: dict[str, Any], *, actor: str = "monitor"
    ) -> bool:
        """Open the alert ``key`` (True, with an event), or count it again if it is open."""
        from fullcycle.store import alerts

        return alerts.raise_or_touch(self._project._db, key, message, data, actor=actor)

    def close_alerts(
        self, prefix: str, *, keep: set[str] | None = None, actor: str = "monitor"
    ) -> builtins.list[str]:
        """Close the open alerts under ``prefix`` but those in ``keep``; returns their keys."""
        from fullcycle.store import alerts

        return alerts.close_others(self._project._db, keep or set(), prefix, actor=actor)

    def _deps(self) -> MonitorDeps:
        from fullcycle.monitoring.service import MonitorDeps

        project = self._project
        log_dir = Path(project.settings.resolved_log_url())
        return MonitorDeps(project._db, project._artifacts, log_dir)


class Loop(_Group):
    """``fullcycle loop``: the controller's steps and its rollouts."""

    def step(self, *, holder: str | None = None) -> StepResult:
        """At most one step of the loop; returns what it did."""
        return self._project.loop_step(holder=holder)

    def submit(self, ref: str, **options: Any) -> StepResult:
        """Put a registered version through the gate and into a rollout."""
        return self._project.loop_submit(ref, **options)

    def active(self, name: str | None = None) -> Rollout | None:
        """The rollout in flight for model ``name`` (default: the project's), or None."""
        from fullcycle.store import rollouts

        return rollouts.active(self._project._db, name or self._project.name)

    def rollouts(self, limit: int = 10) -> builtins.list[Rollout]:
        """Rollouts, newest first."""
        from fullcycle.store import rollouts

        return rollouts.listing(self._project._db, limit=limit)

    # the controller's own state: its rollout rows and its leases (see ``loop/controller.py``)
    def start_rollout(self, champion: int | None, challenger: int, data: dict[str, Any]) -> Rollout:
        """Open a rollout of the project's model in ``gated`` (one active per model)."""
        from fullcycle.store import rollouts

        project = self._project
        return rollouts.open_rollout(project._db, project.name, champion, challenger, data)

    def update_rollout(
        self,
        rollout_id: int,
        data: dict[str, Any],
        *,
        state: str | None = None,
        note: Note | None = None,
    ) -> Rollout:
        """Re-read the rollout and, in one transaction, move it to ``state`` (compare-and-set)
        or, with no state or the one it is in, merge ``data`` into it; ``note`` (an event) is
        recorded in the same transaction."""
        from fullcycle.store import rollouts

        return rollouts.advance(self._project._db, rollout_id, data, state=state, note=note)

    def acquire_lease(self, name: str, holder: str, ttl_s: float) -> int:
        """Take or renew the lease ``name`` for ``holder`` (LeaseHeld if another holds it)."""
        from fullcycle.store import leases

        return leases.acquire(self._project._db, name, holder, ttl_s)

    def release_lease(self, name: str, holder: str) -> bool:
        """Give the lease up; False if ``holder`` no longer held it."""
        from fullcycle.store import leases

        return leases.release(self._project._db, name, holder)

    def lease_holder(self, name: str) -> str | None:
        """Who holds the lease ``name`` now, or None."""
        from fullcycle.store import leases

        return leases.holder(self._project._db, name)


class Dashboard(_Group):
    """The dashboard's read-only views (plain dicts)."""

    def monitor_reports(self, limit: int = 60) -> builtins.list[dict[str, Any]]:
        """Monitor reports with their summaries, newest first."""
        from fullcycle.store import dashboard

        return dashboard.monitor_reports_of(self._project._db, limit=limit)

    def deployment_history(self, limit: int = 20) -> builtins.list[dict[str, Any]]:
        """Deployment revisions of every model, newest first."""
        from fullcycle.store import dashboard

        return dashboard.deployment_history(self._project._db, limit=limit)

    def counts(self) -> dict[str, int]:
        """How many of each noun the store holds."""
        from fullcycle.store import counts

        return counts.all_counts(self._project._db)
