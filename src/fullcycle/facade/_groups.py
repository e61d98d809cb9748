"""The facade's other groups: each method names the CLI verb it serves and delegates to the
flat :class:`~fullcycle.Project` method or the stage behind it."""

from __future__ import annotations

import builtins
import json
import os
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from fullcycle.auth import Principal
    from fullcycle.data.labeling import ImportReport
    from fullcycle.project import Project
    from fullcycle.records import Alias, DatasetVersion, MetricPoint, ModelVersion, RunInfo
    from fullcycle.registry import LoadedModel, Promotion
    from fullcycle.store.tokens import TokenRecord


class _Group:
    def __init__(self, project: Project, call: Callable[..., Any] | None = None) -> None:
        self._project = project
        self._call = call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The flat method this group stands for (``project.models()`` lists, as before)."""
        if self._call is None:
            raise TypeError(f"{type(self).__name__} is not callable")
        return self._call(*args, **kwargs)


class Grouped:
    """A descriptor: ``project.NAME`` is a group whose call is the original method ``NAME``."""

    def __init__(self, method: Callable[..., Any], group: type[_Group]) -> None:
        self._method = method
        self._group = group
        self._key = f"_group_{method.__name__}"
        self.__doc__ = f"{method.__doc__ or ''}\n\nAlso a group: {group.__doc__}"

    def __get__(self, project: Project | None, owner: type | None = None) -> Any:
        if project is None:
            return self
        found = project.__dict__.get(self._key)
        if found is None:
            found = self._group(project, self._method.__get__(project, owner))
            project.__dict__[self._key] = found
        return found


def grouped(method: Callable[..., Any], group: str) -> Grouped:
    """Turn ``Project.method`` into a callable group named ``group`` (see ``Grouped``)."""
    return Grouped(method, globals()[group])


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
        return self._project.artifacts.local_copy(self.get(ref).sha256)  # type: ignore[no-any-return]


class Runs(_Group):
    """``fullcycle runs``: training runs and their metrics."""

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

    def list(self, name: str | None = None) -> builtins.list[ModelVersion]:
        """Registered versions with their aliases."""
        return self(name)

    def show(self, ref: str) -> ModelVersion:
        """One version by ``NAME:N``, ``NAME@ALIAS`` or ``NAME`` (its card is ``.card``)."""
        from fullcycle import registry

        return registry.resolve(self._project.db, ref)

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

    def withdraw(self, task_id: int, labeller: str, *, actor: str = "api") -> None:
        """Take back a labeller's label of one task (audited)."""
        from fullcycle.store import dashboard

        dashboard.withdraw_label(self._project.db, task_id, labeller, actor=actor)

    def progress(self) -> dict[str, int]:
        """Tasks by status."""
        from fullcycle.store import dashboard

        return dashboard.label_progress(self._project.db)

    def task(self, task_id: int) -> dict[str, Any] | None:
        """One task, or None."""
        from fullcycle.store import dashboard

        return dashboard.task(self._project.db, task_id)

    def next_task(self, *, after: int = 0) -> dict[str, Any] | None:
        """The next queued task after ``after``, or None."""
        from fullcycle.store import dashboard

        return dashboard.next_task(self._project.db, after=after)


class Tokens(_Group):
    """``fullcycle token``: API tokens with roles (read < predict < write < admin)."""

    def create(
        self, role: str, *, name: str | None = None, expires_in_s: float | None = None,
        actor: str = "cli",
    ) -> tuple[str, str]:  # fmt: skip
        """A new token; returns (its name, the token, shown once; only its hash is kept)."""
        from fullcycle import auth

        label = name or f"{role}-{len(self.list()) + 1}"
        token = auth.create_token(
            self._project.db, name=label, role=role, expires_in_s=expires_in_s
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

        return auth.authenticate(self._project.db, token)

    def bootstrap_admin(self) -> str | None:
        """A first admin token when none exists (shown once), else None."""
        from fullcycle import auth

        return auth.bootstrap_admin(self._project.db)


class Monitor(_Group):
    """``fullcycle monitor``: windows of production against the reference."""

    def run(self, window: str | None = "last:5000", **options: Any) -> dict[str, Any]:
        """One monitor report (the same as calling ``project.monitor(...)``)."""
        return self(window, **options)

    def reports(self, limit: int = 50) -> builtins.list[dict[str, Any]]:
        """Saved reports, newest first."""
        return self._project.monitor_reports(limit)

    def alerts(self) -> builtins.list[dict[str, Any]]:
        """Alerts not yet closed."""
        return self._project.open_alerts()

    def html(self, report: dict[str, Any]) -> bytes:
        """The HTML page a report saved (``html=True``)."""
        return self._project.artifacts.get_bytes(report["html_sha256"])


class Loop(_Group):
    """``fullcycle loop``: the controller's steps and its rollouts."""

    def step(self, *, holder: str | None = None) -> Any:
        """At most one step of the loop; returns what it did."""
        return self._project.loop_step(holder=holder)

    def submit(self, ref: str, **options: Any) -> Any:
        """Put a registered version through the gate and into a rollout."""
        return self._project.loop_submit(ref, **options)

    def active(self, name: str | None = None) -> Any:
        """The rollout in flight for model ``name`` (default: the project's), or None."""
        from fullcycle.store import rollouts

        return rollouts.active(self._project.db, name or self._project.name)

    def rollouts(self, limit: int = 10) -> builtins.list[Any]:
        """Rollouts, newest first."""
        from fullcycle.store import rollouts

        return rollouts.listing(self._project.db, limit=limit)


class Dashboard(_Group):
    """The dashboard's read-only views (plain dicts)."""

    def monitor_reports(self, limit: int = 60) -> builtins.list[dict[str, Any]]:
        """Monitor reports with their summaries, newest first."""
        from fullcycle.store import dashboard

        return dashboard.monitor_reports_of(self._project.db, limit=limit)

    def deployment_history(self, limit: int = 20) -> builtins.list[dict[str, Any]]:
        """Deployment revisions of every model, newest first."""
        from fullcycle.store import dashboard

        return dashboard.deployment_history(self._project.db, limit=limit)

    def counts(self) -> dict[str, int]:
        """How many of each noun the store holds."""
        from fullcycle.store import counts

        return counts.all_counts(self._project.db)
