"""What the loop needs of the project, named: the facade's verbs and groups it calls.

The loop sits below the facade, so it is typed against these Protocols rather than against
``Project`` (which satisfies them; mypy checks it where ``Project`` hands itself to the
controller). Every read and write of the store goes through one of these verbs; the loop never
holds the store's handles.

    LoopProject       scope, settings, record, events, production_version, dataset, load_data,
                      add_data, train, register, run, train_spec, label_queue, load_model
      .loop           LoopState: active, start_rollout, update_rollout, *_lease
      .monitor        LoopMonitor: log, latest, raise_alert, close_alerts
      .labels         LoopLabels: tasks, feedback
      .models         LoopModels: show, set_alias
      .deployments    LoopDeployments: route
    Journal           what the supervisor needs: record, and monitor's alerts
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd

    from fullcycle.records import DatasetVersion, Event, LabelTask, ModelVersion, RunInfo
    from fullcycle.registry import LoadedModel
    from fullcycle.scope import Scope
    from fullcycle.settings import Settings
    from fullcycle.store.deployments import DeploymentState
    from fullcycle.store.events import Note
    from fullcycle.store.rollouts import Rollout
    from fullcycle.train.spec import TrainSpec
    from fullcycle.train.trainer import TrainResult


class Alerts(Protocol):
    """``project.monitor``'s alerts."""

    def raise_alert(
        self, key: str, message: str, data: dict[str, Any], *, actor: str = ...
    ) -> bool: ...

    def close_alerts(
        self, prefix: str, *, keep: set[str] | None = ..., actor: str = ...
    ) -> list[str]: ...


class LoopMonitor(Alerts, Protocol):
    """``project.monitor``: the prediction log and the newest report."""

    def log(self, since: float | None = ..., *, model: str | None = ...) -> pd.DataFrame: ...

    def latest(self, model: str | None = ...) -> dict[str, Any] | None: ...


class LoopState(Protocol):
    """``project.loop``: the controller's rollout rows and leases."""

    def active(self, name: str | None = ...) -> Rollout | None: ...

    def start_rollout(
        self, champion: int | None, challenger: int, data: dict[str, Any]
    ) -> Rollout: ...

    def update_rollout(
        self,
        rollout_id: int,
        data: dict[str, Any],
        *,
        state: str | None = ...,
        note: Note | None = ...,
    ) -> Rollout: ...

    def acquire_lease(self, name: str, holder: str, ttl_s: float) -> int: ...

    def release_lease(self, name: str, holder: str) -> bool: ...

    def lease_holder(self, name: str) -> str | None: ...


class LoopLabels(Protocol):
    """``project.labels``: queued tasks and the labels ``/feedback`` brought."""

    def tasks(self, *, batch: str | None = ..., status: str | None = ...) -> list[LabelTask]: ...

    def queued_since(self, since: float) -> int: ...

    def feedback(self, *, since: float | None = ...) -> list[dict[str, Any]]: ...


class LoopModels(Protocol):
    """``project.models``: a version by reference, and the ``challenger`` alias."""

    def show(self, ref: str) -> ModelVersion: ...

    def set_alias(
        self, name: str, alias: str, version: int, *, actor: str = ..., reason: str = ...
    ) -> int: ...


class LoopDeployments(Protocol):
    """``project.deployments``: the whole deployment set by a rollout step."""

    def route(
        self,
        name: str | None = ...,
        *,
        production: int | None,
        canary: int | None = ...,
        canary_share: float = ...,
        shadow: int | None = ...,
        reason: str = ...,
        actor: str = ...,
    ) -> DeploymentState: ...


class Journal(Protocol):
    """What ``loop/supervisor.py`` needs: the audit log and the alerts."""

    def record(
        self,
        kind: str,
        *,
        subject: str = ...,
        message: str = ...,
        actor: str = ...,
        data: dict[str, Any] | None = ...,
    ) -> int: ...

    @property
    def monitor(self) -> Alerts: ...


class LoopProject(Journal, Protocol):
    """Everything ``loop/`` calls on the project."""

    @property
    def scope(self) -> Scope: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def monitor(self) -> LoopMonitor: ...

    @property
    def loop(self) -> LoopState: ...

    @property
    def labels(self) -> LoopLabels: ...

    @property
    def models(self) -> LoopModels: ...

    @property
    def deployments(self) -> LoopDeployments: ...

    def events(
        self, *, kind: str | None = ..., subject: str | None = ..., limit: int = ...
    ) -> list[Event]: ...

    def production_version(self, name: str | None = ...) -> ModelVersion: ...

    def add_target_class(
        self, value: Any, *, known: list[Any] | None = ..., actor: str = ..., why: str = ...
    ) -> bool: ...

    def reload_scope(self) -> Scope: ...

    def dataset(self, ref: str) -> DatasetVersion: ...

    def load_data(self, ref: str) -> pd.DataFrame: ...

    def add_data(
        self,
        frame_or_path: Any,
        name: str,
        *,
        allow_violations: bool = ...,
        parents: tuple[str, ...] = ...,
        origin: dict[str, Any] | None = ...,
        actor: str = ...,
    ) -> DatasetVersion: ...

    def train(
        self,
        data: str | None = ...,
        *,
        model: str | None = ...,
        params: dict[str, Any] | None = ...,
        seed: int | None = ...,
        learning_curve: Any = ...,
        refit: bool = ...,
    ) -> TrainResult: ...

    def register(
        self, run_id: str = ..., *, description: str = ..., actor: str = ...
    ) -> ModelVersion: ...

    def run(self, run_id: str) -> RunInfo: ...

    def train_spec(self) -> TrainSpec: ...

    def label_queue(
        self,
        candidates: pd.DataFrame,
        *,
        budget: int,
        strategy: str = ...,
        source: str = ...,
        actor: str = ...,
    ) -> str: ...

    def load_model(self, ref: str) -> LoadedModel: ...
