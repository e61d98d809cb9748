"""The facade: one object that the CLI, the server and Python users hold.

Methods delegate to the stages in a few lines each; nothing here knows SQL or HTTP.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fullcycle.errors import AlreadyExists, NotFound
from fullcycle.names import check_name
from fullcycle.records import Evaluation, Event, MetricPoint, RunInfo, Status, Trace
from fullcycle.settings import SCOPE_FILE, Settings
from fullcycle.store import events as event_store
from fullcycle.store import runs as run_store
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database

if TYPE_CHECKING:
    import pandas as pd

    from fullcycle.contract import Contract
    from fullcycle.data.labeling import ImportReport
    from fullcycle.data.splits import Split
    from fullcycle.facade import (
        Dashboard,
        Data,
        Deployments,
        Labels,
        Loop,
        Models,
        Monitor,
        Runs,
        Tokens,
    )
    from fullcycle.loop.controller import StepResult
    from fullcycle.records import Alias, DatasetVersion, ModelVersion
    from fullcycle.registry import LoadedModel, Promotion
    from fullcycle.scope import Scope
    from fullcycle.store.deployments import DeploymentState
    from fullcycle.store.gc import GcResult
    from fullcycle.store.tokens import TokenRecord
    from fullcycle.train.mlflow_import import ImportReport as MlflowImport
    from fullcycle.train.spec import TrainSpec
    from fullcycle.train.tracking import Run
    from fullcycle.train.trainer import TrainDeps, TrainResult
    from fullcycle.train.tuning import TuneResult


def find_project_dir(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``fullcycle.yaml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / SCOPE_FILE).is_file():
            return folder
    raise NotFound(
        f"no {SCOPE_FILE} in {start} or any folder above it",
        hint="create a project with: fullcycle init NAME",
    )


class Project:
    """A fullcycle project: its scope, metadata store and artifact store."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(
        cls, path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
    ) -> Project:
        """Open the project at ``path`` (or the nearest one above the current folder)."""
        env = os.environ if environ is None else environ
        start = Path(path) if path is not None else Path(env.get("FULLCYCLE_PROJECT_DIR", "."))
        return cls(Settings.from_env(env, project_dir=find_project_dir(start)))

    @classmethod
    def init(
        cls,
        path: str | os.PathLike[str],
        name: str,
        *,
        task: str = "classification",
        target: str = "label",
        environ: Mapping[str, str] | None = None,
    ) -> Project:
        """Write a commented ``fullcycle.yaml`` in ``path`` and create the store beside it."""
        from fullcycle import scope

        check_name(name, "project name")
        folder = Path(path)
        scope_path = folder / SCOPE_FILE
        if scope_path.exists():
            raise AlreadyExists(
                f"{scope_path} exists already; nothing was changed",
                hint="open the existing project, or choose another folder",
            )
        folder.mkdir(parents=True, exist_ok=True)
        text = scope.template(name, task=task, target=target)
        fd = os.open(scope_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        env = os.environ if environ is None else environ
        project = cls(Settings.from_env(env, project_dir=folder))
        project._db  # noqa: B018 - create and migrate the store now
        project.record("project.init", subject=name, message=f"created project {name}")
        return project

    # -- parts ---------------------------------------------------------------------------------
    @cached_property
    def _db(self) -> Database:
        """The metadata store (SQLite beside fullcycle.yaml, or FULLCYCLE_DATABASE_URL)."""
        return Database.open(
            self.settings.resolved_database_url(), busy_timeout_s=self.settings.busy_timeout_s
        )

    @cached_property
    def _artifacts(self) -> ArtifactStore:
        """The content-addressed artifact store (a local folder or any fsspec URL)."""
        return ArtifactStore(self.settings.resolved_artifact_url())

    @cached_property
    def scope(self) -> Scope:
        """The parsed ``fullcycle.yaml`` (task, target, metric and goal, policies)."""
        from fullcycle.scope import load_scope

        return load_scope(self.settings.scope_path)

    @property
    def name(self) -> str:
        """The project's name (the scope's); also the default model name."""
        return self.scope.name

    def reload_scope(self) -> Scope:
        """Read ``fullcycle.yaml`` again (after an edit) and return it."""
        self.__dict__.pop("scope", None)
        return self.scope

    def add_target_class(
        self, value: Any, *, known: list[Any] | None = None, actor: str = "api", why: str = ""
    ) -> bool:
        """Add ``value`` to the target's classes in ``fullcycle.yaml`` (the ``features:``
        section rewritten atomically, the rest of the file kept), on record. A target that lists
        no classes takes ``known`` (the production model's) as its list first. False when there
        is no categorical target, no list to extend, or the class is on it already."""
        from fullcycle import metric_table
        from fullcycle.contract import Contract
        from fullcycle.scope import write_features

        contract = self.scope.contract
        target = contract.target
        if target is None or target.kind != "categorical":
            return False
        classes = list(target.classes if target.classes is not None else known or [])
        key = metric_table.class_key(value)
        if not classes or any(metric_table.class_key(c) == key for c in classes):
            return False
        data = contract.to_dict()
        data["target"]["classes"] = [*classes, value]
        write_features(self.settings.scope_path, Contract.from_dict(data))
        self.reload_scope()
        message = f"added class {value!r} to the target {target.name!r}"
        message += f": {why}" if why else ""
        self.record("scope.target_class", subject=target.name, actor=actor, message=message,
                    data={"class": value, "classes": [*classes, value]})  # fmt: skip
        return True

    # -- groups shaped like the CLI's (see ``fullcycle/facade``) -------------------------------
    @cached_property
    def data(self) -> Data:
        """Dataset versions: ``add``, ``get``, ``list``, ``load``, ``lineage``."""
        from fullcycle.facade import Data

        return Data(self)

    @cached_property
    def deployments(self) -> Deployments:
        """What the server routes: ``production``, ``canary``, ``shadow``, ``rollback``, ..."""
        from fullcycle.facade import Deployments

        return Deployments(self)

    @cached_property
    def labels(self) -> Labels:
        """The labelling queue: ``queue``, ``export``, ``import_file``, ``merge``, ``label_one``."""
        from fullcycle.facade import Labels

        return Labels(self)

    @cached_property
    def loop(self) -> Loop:
        """The loop: ``step``, ``submit``, ``rollouts``, ``active`` (and the controller's own
        rollout rows and leases)."""
        from fullcycle.facade import Loop

        return Loop(self)

    @cached_property
    def runs(self) -> Runs:
        """Training runs: ``project.runs()`` lists them, newest first (``status``: running,
        finished, failed); also ``get``, ``metric_history``."""
        from fullcycle.facade import Runs

        return Runs(self)

    @cached_property
    def models(self) -> Models:
        """Registered versions: ``project.models(name)`` lists them with their aliases; also
        ``show``, ``register``, ``promote``, ``import_file``, ``trust``, ``load``, ``aliases``."""
        from fullcycle.facade import Models

        return Models(self)

    @cached_property
    def monitor(self) -> Monitor:
        """Monitoring: ``project.monitor(window)`` makes a report for a window of production
        (see ``monitoring/service.py``); also ``reports``, ``alerts``, ``html``, ``log``."""
        from fullcycle.facade import Monitor

        return Monitor(self)

    @cached_property
    def tokens(self) -> Tokens:
        """API tokens: ``project.tokens()`` lists them (never the tokens, only their hashes are
        kept); also ``create``, ``revoke``, ``authenticate``, ``bootstrap_admin``."""
        from fullcycle.facade import Tokens

        return Tokens(self)

    @cached_property
    def dashboard(self) -> Dashboard:
        """The dashboard's read-only views."""
        from fullcycle.facade import Dashboard

        return Dashboard(self)

    def close(self) -> None:
        """Release the store's connections (``with Project.open() as p:`` does it for you)."""
        if "_db" in self.__dict__:
            self._db.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- tracking ------------------------------------------------------------------------------
    def start_run(
        self,
        name: str = "run",
        *,
        params: dict[str, Any] | None = None,
        seed: int | None = None,
        dataset: str | None = None,
        parent_id: str | None = None,
        tags: dict[str, Any] | None = None,
        flush_every: int = 1000,
        flush_interval_s: float = 1.0,
    ) -> Run:
        """Start a run; use it as a context manager so it ends, or fails, cleanly."""
        from fullcycle.train.tracking import Run

        return Run(
            self._db,
            self._artifacts,
            name=name,
            project_dir=self.settings.project_dir,
            params=params,
            seed=seed,
            dataset=dataset,
            parent_id=parent_id,
            tags=tags,
            flush_every=flush_every,
            flush_interval_s=flush_interval_s,
        )

    def runs_frame(self, filter: str | None = None, *, limit: int = 1000) -> pd.DataFrame:
        """Runs as a DataFrame (params typed, latest metrics, tags), filtered with the run
        filter language, e.g. ``"metrics.f1 > 0.9 and params.seed = 3"`` (``train/run_filter``)."""
        from fullcycle.train.run_filter import runs_frame

        return runs_frame(self._db, filter, limit=limit)

    def run(self, run_id: str) -> RunInfo:
        """One run by id, unique prefix or ``latest``."""
        return run_store.get(self._db, run_id)

    def metric_history(self, run_id: str, key: str) -> list[MetricPoint]:
        """The logged steps of one metric of a run."""
        return run_store.metric_history(self._db, run_id, key)

    # -- training and the registry ------------------------------------------------------------
    def train_spec(self) -> TrainSpec:
        """What ``train`` will do, read from the scope's training section."""
        from fullcycle.train.spec import TrainSpec

        return TrainSpec.from_scope(self.scope)

    def _train_deps(self) -> TrainDeps:
        from fullcycle.data.splits import split
        from fullcycle.train.trainer import TrainDeps

        target = self.scope.target
        from fullcycle.monitoring.reference import training_reference

        return TrainDeps(
            self._db,
            self._artifacts,
            self.settings.project_dir,
            load_data=self.load_data,
            splitter=lambda frame, spec, seed: split(frame, spec, seed, target=target),
            reference=training_reference,
        )

    def train(
        self,
        data: str | None = None,
        *,
        model: str | None = None,
        params: dict[str, Any] | None = None,
        seed: int | None = None,
        learning_curve: Any = "auto",
        progress: Any = None,
        refit: bool = False,
    ) -> TrainResult:
        """Fit, evaluate and save a model as a run (see ``train/trainer.py``; ``refit``: save
        the recipe fitted again on the test rows too, for a caller that evaluates it itself)."""
        from fullcycle.train.trainer import train

        spec = self.train_spec()
        data = data or spec.data or self._newest_dataset()
        return train(
            self._train_deps(),
            spec,
            data,
            model=model,
            params=params,
            seed=seed,
            learning_curve=learning_curve,
            progress=progress,
            refit=refit,
        )

    def _newest_dataset(self) -> str | None:
        found = self.datasets()
        if not found:
            return None
        newest = max(found, key=lambda d: (d.created_at, d.id))
        return f"{newest.name}@{newest.version}"

    def evaluation(self, run_id: str = "latest") -> Evaluation:
        """The evaluation a run stored when it trained (read back, not recomputed); render
        ``.to_dict()`` with ``train.report``."""
        from fullcycle.train.trainer import stored_evaluation

        return Evaluation.from_dict(stored_evaluation(self._db, self._artifacts, run_id))

    def tune(
        self,
        trials: int = 20,
        *,
        data: str | None = None,
        workers: int | None = None,
        seed: int | None = None,
        progress: Any = None,
        executor: str | None = None,
    ) -> TuneResult:
        """Optuna trials as child runs, on the local pool or a Dask cluster (``executor``:
        local, dask or serial; default: Dask when FULLCYCLE_DASK_SCHEDULER is set)."""
        from fullcycle.scale.dask_executor import executor_for
        from fullcycle.train.tuning import tune

        pool = executor_for(self.settings, "serial" if workers == 1 else executor, workers=workers)
        spec = self.train_spec()
        data = data or spec.data or self._newest_dataset()
        return tune(
            self._train_deps(),
            spec,
            data,
            trials=trials,
            executor=pool,
            seed=seed,
            progress=progress,
        )

    def register(
        self,
        run_id: str = "latest",
        *,
        name: str | None = None,
        description: str = "",
        actor: str = "cli",
    ) -> ModelVersion:
        """Register a finished run's model as the next version ``NAME:N`` (one transaction)."""
        from fullcycle import registry

        return registry.register(
            self._db,
            self._artifacts,
            run_id,
            name=name or self.name,
            actor=actor,
            description=description,
            max_model_mb=self.scope.constraints.max_model_mb,
        )

    def log_model(
        self, model: Any, *, run: Run, data: str, recipe: str | None = None
    ) -> dict[str, Any]:
        """Adopt a model fitted outside fullcycle into ``run``: evaluated on ``data``'s test
        split, saved in its flavour with contract, signature and reference (``train/adopt.py``);
        ``register(run.id)`` then makes a version of it."""
        from fullcycle.train.adopt import adopt

        return adopt(self._train_deps(), self.train_spec(), run, model, data, recipe=recipe)

    def import_model(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        data: str | None = None,
        recipe: str | None = None,
        fmt: str | None = None,
        actor: str = "cli",
    ) -> ModelVersion:
        """Register a model file; with ``data`` it is evaluated and described like a trained one."""
        from pathlib import Path

        from fullcycle import registry
        from fullcycle.train.adopt import read_model

        if data is None:
            return registry.import_file(
                self._db, self._artifacts, Path(path), name=name or self.name, fmt=fmt, actor=actor,
                max_model_mb=self.scope.constraints.max_model_mb,
            )  # fmt: skip
        model = read_model(path, fmt, self.load_data(data), self.train_spec())
        source = Path(path).name
        with self.start_run("import", dataset=data, tags={"imported_from": source}) as run:
            self.log_model(model, run=run, data=data, recipe=recipe)
        return self.register(run.id, name=name, description=f"imported from {source}", actor=actor)

    def import_mlflow(
        self,
        uri: str,
        *,
        experiment: str | None = None,
        model: str | None = None,
        name: str | None = None,
        data: str | None = None,
        trust_pickle: bool = False,
    ) -> MlflowImport:
        """Runs (and ``model``, ``models:/NAME/VERSION``) from an MLflow store; see
        ``train/mlflow_import.py``."""
        import tempfile
        from pathlib import Path

        from fullcycle.train import mlflow_import as M

        mc = M.client(uri)
        fetched = M.fetch_model(mc, model, trust_pickle=trust_pickle) if model else None
        report = M.import_runs(self._db, self._artifacts, self.settings.project_dir, mc, experiment)
        if fetched is not None and model is not None:
            raw, fmt, ending = fetched
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"model{ending}"
                path.write_bytes(raw)
                default = model.removeprefix("models:/").split("/")[0]
                v = self.import_model(path, name=name or default, data=data, fmt=fmt)
            report.models.append(v.ref)
        return report

    def compile_model(
        self, ref: str, *, to: str = "onnx", tolerance: float | None = None, actor: str = "cli"
    ) -> ModelVersion:
        """A new version of ``ref`` compiled to ONNX, registered only after its predictions
        match the original's on the reference rows (``train/flavours/compile.py``)."""
        import json

        from fullcycle import registry
        from fullcycle.train.flavours.compile import compile_loaded

        loaded = registry.load(self._db, self._artifacts, ref)
        sha = loaded.record.reference_sha256
        rows = json.loads(self._artifacts.get_bytes(sha)).get("rows", []) if sha else []
        compiled, data, report = compile_loaded(loaded, rows, to=to, tolerance=tolerance)
        lineage = loaded.record.lineage or {}
        tags = {"compiled_from": loaded.record.ref}
        with self.start_run("compile", dataset=data, tags=tags) as run:
            run.log_metrics({f"compile.{k}": v for k, v in report.items()})
            recipe = lineage.get("recipe", lineage.get("estimator"))
            self.log_model(compiled, run=run, data=data, recipe=recipe)
        note = f"{loaded.record.ref} compiled to {to}; checked on {report['rows']} reference rows"
        return self.register(run.id, name=loaded.name, description=note, actor=actor)

    def promote(
        self,
        ref: str,
        alias: str = "production",
        *,
        force: bool = False,
        reason: str | None = None,
        actor: str = "cli",
    ) -> Promotion:
        """Point ``alias`` at ``ref`` through the gate (an evaluation on the scope's metric that
        meets the goal and is no worse than the holder); ``production`` moves what serves with
        it. ``force`` needs a ``reason``, recorded."""
        from fullcycle import registry

        spec = self.train_spec()
        return registry.promote(
            self._db,
            ref,
            alias,
            metric=spec.metric,
            gate=spec.gate,
            force=force,
            reason=reason,
            actor=actor,
            rescore=self._rescore,
        )

    def _rescore(self, mine: ModelVersion, theirs: ModelVersion) -> tuple[float, float]:
        """Both versions scored on the candidate's test rows (for the promotion gate)."""
        from fullcycle import registry
        from fullcycle.train.trainer import score_on_test

        data = mine.lineage.get("data") or {}
        if data.get("refit_rows"):
            raise ValueError(
                f"{mine.ref} was fitted again on its test rows (a loop challenger, gated on "
                "held-out production rows), so they cannot judge it"
            )
        models = [registry.load(self._db, self._artifacts, v.ref).estimator for v in (mine, theirs)]
        a, b = score_on_test(
            self._train_deps(), self.train_spec(), data["ref"], data["split"], models
        )
        if a is None or b is None:
            raise ValueError("the metric could not be computed on the candidate's test rows")
        return a, b

    def aliases(self, name: str | None = None) -> list[Alias]:
        """Aliases and the versions they point at."""
        from fullcycle import registry

        return registry.aliases(self._db, name)

    def load_model(self, ref: str) -> LoadedModel:
        """``name:N``, ``name@alias`` or ``name`` (latest); sha256 verified."""
        from fullcycle import registry

        return registry.load(self._db, self._artifacts, ref)

    def trust_model(self, ref: str, *, reason: str, actor: str = "cli") -> ModelVersion:
        """Admin: allow a pickle/joblib version to be opened (audited)."""
        from fullcycle import registry

        return registry.trust(self._db, ref, reason=reason, actor=actor)

    def gc(self, *, grace_s: float = 3600.0, dry_run: bool = False) -> GcResult:
        """Remove artifacts that nothing refers to, older than ``grace_s``."""
        from fullcycle import registry

        return registry.gc(self._db, self._artifacts, grace_s=grace_s, dry_run=dry_run)

    # -- data ----------------------------------------------------------------------------------
    def contract(self) -> Contract | None:
        """The scope's feature contract, or None for a project without fullcycle.yaml."""
        if not self.settings.scope_path.is_file():
            return None
        return self.scope.contract

    def infer_contract(self, frame_or_path: Any) -> Contract:
        """Propose a contract from the data and write it into fullcycle.yaml's features."""
        from fullcycle.contract import Contract
        from fullcycle.data.versions import read_any
        from fullcycle.scope import write_features

        proposed = Contract.infer(read_any(frame_or_path), self.scope.target)
        write_features(self.settings.scope_path, proposed)
        self.reload_scope()
        return proposed

    def add_data(
        self,
        frame_or_path: Any,
        name: str,
        *,
        allow_violations: bool = False,
        infer_contract: bool = False,
        require_target: bool = True,
        parents: tuple[str, ...] = (),
        origin: dict[str, Any] | None = None,
        actor: str = "api",
    ) -> DatasetVersion:
        """Store a CSV / Parquet / JSON Lines file, or a pandas / pyarrow table, as NAME@N."""
        from fullcycle.data.versions import add_data

        if infer_contract:
            self.infer_contract(frame_or_path)
        return add_data(
            self._db,
            self._artifacts,
            frame_or_path,
            name,
            contract=self.contract(),
            allow_violations=allow_violations,
            require_target=require_target,
            parents=parents,
            origin=origin,
            actor=actor,
        )

    def dataset(self, ref: str) -> DatasetVersion:
        """The dataset version ``NAME@N`` (or ``NAME``: the newest)."""
        from fullcycle.data.versions import resolve

        return resolve(self._db, ref)

    def datasets(self, name: str | None = None) -> list[DatasetVersion]:
        """Dataset versions, of one name or all."""
        from fullcycle.data.versions import listing

        return listing(self._db, name)

    def load_data(self, ref: str) -> pd.DataFrame:
        """The rows of a dataset version as a DataFrame, sha256 verified."""
        from fullcycle.data.versions import load

        return load(self._db, self._artifacts, ref)

    def lineage(self, ref: str) -> dict[str, Any]:
        """The tree of versions a dataset version was made from."""
        from fullcycle.data.lineage import lineage_tree

        return lineage_tree(self._db, ref)

    def split(self, frame: pd.DataFrame, spec: Any = None, seed: int | None = None) -> Split:
        """Split rows as ``spec`` says (default: the scope's training.split)."""
        from fullcycle.data.splits import split

        scope = self.scope if self.settings.scope_path.is_file() else None
        spec = spec if spec is not None else (scope.training.split if scope else {})
        return split(frame, spec, seed, target=scope.target if scope else None)

    # -- labelling -----------------------------------------------------------------------------
    def label_queue(
        self,
        candidates: pd.DataFrame,
        *,
        budget: int,
        strategy: str = "uncertainty",
        audit_share: float = 0.1,
        seed: int = 0,
        source: str = "api",
        actor: str = "api",
    ) -> str:
        """Queue the most informative candidate rows (plus a random audit share) for labelling."""
        from fullcycle.data.labeling import queue

        return queue(
            self._db,
            candidates,
            budget=budget,
            strategy=strategy,
            audit_share=audit_share,
            seed=seed,
            source=source,
            actor=actor,
        )

    def label_export(
        self, path: str | os.PathLike[str], fmt: str = "csv", *, batch: str | None = None
    ) -> int:
        """Write the queued tasks (of one batch, or all) as csv, jsonl or labelstudio."""
        from fullcycle.data.label_io import export
        from fullcycle.store import labels as label_store

        if batch is not None:
            check_name(batch, "label batch")
        return export(label_store.tasks(self._db, batch=batch, status="queued"), path, fmt)

    def label_import(
        self,
        path: str | os.PathLike[str],
        *,
        labeller: str = "anonymous",
        min_agreement: float = 0.6,
        actor: str = "api",
    ) -> ImportReport:
        """Read labels back (csv, jsonl, Label Studio), checked against the target's classes."""
        from fullcycle.data.labeling import import_labels

        contract = self.contract()
        classes = contract.target.classes if contract and contract.target else None
        return import_labels(
            self._db,
            path,
            classes=classes,
            labeller=labeller,
            min_agreement=min_agreement,
            actor=actor,
            target=contract.target if contract else None,
        )

    def label_merge(
        self, base: str, name: str | None = None, *, batch: str | None = None, actor: str = "api"
    ) -> DatasetVersion:
        """A new dataset version: ``base`` plus the labelled rows, with lineage to them."""
        from fullcycle.data.labeling import merge

        if batch is not None:
            check_name(batch, "label batch")
        contract = self.contract()
        return merge(
            self._db, self._artifacts, base, name, contract=contract, batch=batch, actor=actor
        )

    def label_studio_config(self) -> str:
        """The Label Studio labelling config for the target's classes."""
        from fullcycle.data.label_io import label_studio_config

        contract = self.contract()
        classes = contract.target.classes if contract and contract.target else None
        return label_studio_config(classes or [])

    # -- audit ---------------------------------------------------------------------------------
    def record(
        self,
        kind: str,
        *,
        subject: str = "",
        message: str = "",
        actor: str = "cli",
        data: dict[str, Any] | None = None,
    ) -> int:
        """Add an event to the audit log; returns its id."""
        with self._db.write() as conn:
            return event_store.record(
                conn, kind, actor=actor, subject=subject, message=message, data=data
            )

    def events(
        self,
        *,
        kind: str | None = None,
        subject: str | None = None,
        since: float | None = None,
        limit: int = 100,
    ) -> list[Event]:
        """The audit log, newest first (filter by kind prefix, subject, time)."""
        return event_store.listing(self._db, kind=kind, subject=subject, since=since, limit=limit)

    # -- deployment and monitoring -------------------------------------------------------------
    def deployment(self, name: str | None = None) -> DeploymentState | None:
        """The current deployment row (production, canary and share, shadow), or None."""
        from fullcycle.store import deployments

        return deployments.current(self._db, name or self.scope.name)

    def production_version(self, name: str | None = None) -> ModelVersion:
        """The version serving production: the deployment's, else the ``production`` alias."""
        from fullcycle import registry

        name = name or self.scope.name
        state = self.deployment(name)
        if state is not None and state.production is not None:
            return registry.resolve(self._db, f"{name}:{state.production}")
        return registry.resolve(self._db, f"{name}@production")

    def monitor_reports(self, limit: int = 50) -> list[dict[str, Any]]:
        """Saved monitor reports, newest first."""
        from fullcycle.store import reports

        return reports.listing(self._db, limit=limit)

    def open_alerts(self) -> list[dict[str, Any]]:
        """Alerts not yet closed."""
        from fullcycle.store import alerts

        return alerts.open_alerts(self._db)

    # -- the loop ------------------------------------------------------------------------------
    def loop_step(self, *, holder: str | None = None) -> StepResult:
        """Take at most one step of the loop (``fullcycle loop --once``); returns what it did."""
        from fullcycle.loop.controller import Controller

        return Controller(self, holder=holder).step()

    def loop_submit(self, ref: str, *, skip_gate: bool = False, reason: str = "") -> StepResult:
        """Put a registered version through the gate and into a rollout."""
        from fullcycle.loop.controller import Controller

        return Controller(self).submit(ref, skip_gate=skip_gate, reason=reason)

    # -- tracing -------------------------------------------------------------------------------
    def trace(self, request_id: str) -> Trace:
        """One logged prediction traced back to the model, run, data, gate and events behind it
        (see ``fullcycle/trace.py``); a link that cannot be followed is named in ``missing``."""
        from fullcycle.trace import TraceDeps, trace

        deps = TraceDeps(self._db, self._artifacts, Path(self.settings.resolved_log_url()))
        return trace(deps, request_id)

    # -- tokens --------------------------------------------------------------------------------
    def revoke_token(self, name: str) -> TokenRecord:
        """Revoke a token at once (audited)."""
        from fullcycle.store import tokens as token_store

        record = token_store.revoke(self._db, name)
        self.record("token.revoke", subject=record.name, message=f"revoked token {record.name}")
        return record

    # -- at a glance ---------------------------------------------------------------------------
    def status(self) -> Status:
        """The project at a glance: scope, store and counts (what ``fullcycle status`` shows)."""
        from fullcycle.store import counts

        scope = self.scope
        return Status(
            name=scope.name,
            task=scope.task,
            target=scope.target,
            metric=scope.metric.name,
            goal=scope.metric.goal,
            baseline=scope.metric.baseline,
            users=tuple(scope.users),
            project_dir=str(self.settings.project_dir),
            database=self._db.url if self.settings.database_url else "embedded SQLite",
            artifacts=self.settings.resolved_artifact_url(),
            counts=counts.all_counts(self._db),
        )
