"""Versions: register a run, import a file, resolve a reference, load with verification."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fullcycle import names
from fullcycle.errors import IntegrityError, InvalidInput, ModelCheckFailed, NotFound
from fullcycle.names import check_name
from fullcycle.records import Alias, ModelVersion
from fullcycle.registry import _limits
from fullcycle.store import gc as gc_store
from fullcycle.store import models as store
from fullcycle.store import runs as run_store
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database

#: ``validate(records) -> (frame, violations)``: the contract's ``validate_records``
Validate = Callable[[list[dict[str, Any]]], tuple[Any, Sequence[Any]]]


def _no_contract(records: list[dict[str, Any]]) -> tuple[Any, Sequence[Any]]:
    raise ModelCheckFailed(
        "this model was loaded without its contract, so requests cannot be validated",
        hint="load it for serving (serving/source.py: load_for_serving)",
    )


@dataclass(frozen=True)
class LoadedModel:
    """A verified, deserialized version, ready to predict (the one loaded-model record).

    :func:`load` fills ``info`` (the registry record) and leaves ``validate`` and
    ``reference_rows`` empty; the server's source (``serving/source.py``) adds the contract's
    validation hook and the reference rows its swap check predicts on. A test may build one
    by hand from an estimator."""

    name: str
    version: int
    estimator: Any
    validate: Validate = _no_contract
    classes: list[Any] | None = None
    signature: dict[str, Any] = field(default_factory=dict)
    reference_rows: list[dict[str, Any]] = field(default_factory=list)
    decision: dict[str, Any] = field(default_factory=dict)  # ModelVersion.decision
    info: ModelVersion | None = field(default=None, repr=False)

    @property
    def record(self) -> ModelVersion:
        """The registry record it was loaded from."""
        if self.info is None:
            raise NotFound(f"{self.name}:{self.version} was not loaded from the registry")
        return self.info


def parse_ref(ref: str) -> tuple[str, int | None, str | None]:
    """``name:3`` -> (name, 3, None); ``name@production`` -> (name, None, "production");
    ``name`` -> (name, None, None) meaning the latest version (see ``names.parse_ref``)."""
    return names.parse_ref(ref, "model")


def resolve(db: Database, ref: str) -> ModelVersion:
    name, version, alias = parse_ref(ref)
    if alias is not None:
        held = store.get_alias(db, name, alias)
        if held is None:
            raise NotFound(
                f"model {name} has no alias {alias!r}",
                hint=f"promote a version: fullcycle promote {name}:N --alias {alias}",
            )
        version = held.version
    if version is None:
        version = store.latest_version(db, name)
    return store.get(db, name, version)


def _latest_finished(db: Database) -> str:
    for info in run_store.listing(db, limit=200, status="finished"):
        if info.parent_id is None:
            return info.id
    raise NotFound(
        "there is no finished training run to register", hint="train one first: fullcycle train"
    )


def register(
    db: Database,
    artifacts: ArtifactStore,
    run_id: str = "latest",
    *,
    name: str,
    actor: str = "cli",
    description: str = "",
    max_model_mb: float | None = None,
) -> ModelVersion:
    """Make the next version of ``name`` from a finished run's saved model (its monitoring
    reference snapshot, saved with the run, becomes the version's ``reference_sha256``)."""
    from fullcycle.train import serialization
    from fullcycle.train.card import model_card
    from fullcycle.train.trainer import MODEL_FILE, REFERENCE_FILE, run_meta, stored_evaluation

    check_name(name, "model name")
    rid = _latest_finished(db) if run_id == "latest" else run_store.get(db, run_id).id
    info, meta = run_meta(db, artifacts, rid)
    if MODEL_FILE in info.artifacts:
        serialization.check(
            artifacts.get_bytes(info.artifacts[MODEL_FILE]),
            fmt=meta.get("format") or "skops",
            what=f"run {rid[:12]}'s model",
        )
    if info.status != "finished":
        raise InvalidInput(f"run {info.id} is {info.status}; only finished runs can be registered")
    sha = info.artifacts[MODEL_FILE]
    artifacts.verify(sha)
    _limits.check_artifact(artifacts, sha, max_model_mb, f"the model of run {info.id[:12]}")
    try:
        ev = stored_evaluation(db, artifacts, rid)
    except NotFound:  # a script logged a model without evaluating it: no metrics, no gate
        ev = {}
    values = {
        "name": name,
        "run_id": info.id,
        "artifact_sha256": sha,
        "format": meta.get("format") or "skops",
        "trusted": False,
        "status": "ready",
        "signature": meta.get("signature") or {},
        "classes": meta.get("classes"),
        "metrics": _metrics(ev) if ev else {},
        "lineage": {
            "run_id": info.id,
            "dataset": info.dataset,
            "data": ev.get("data"),
            "git_commit": info.git_commit,
            "git_dirty": info.git_dirty,
            "seed": info.seed,
            "estimator": meta.get("estimator"),
            "params": meta.get("params"),
            "recipe": meta.get("recipe", meta.get("estimator")),
            "model_class": meta.get("model_class"),
            "adopted": bool(meta.get("adopted")),
            "library_versions": meta.get("library_versions") or {},
            "python": info.environment.get("python"),
        },
        "decision": meta.get("decision") or {},
        "description": description,
        "reference_sha256": info.artifacts.get(REFERENCE_FILE),
    }
    number = store.insert_version(
        db,
        values,
        actor=actor,
        message=f"registered from run {info.id[:12]}",
        event_data={"run_id": info.id, "artifact_sha256": sha},
        card=lambda n: model_card(name, n, info, meta, ev, description),
    )
    return store.get(db, name, number)


def import_file(
    db: Database,
    artifacts: ArtifactStore,
    path: str | Path,
    *,
    name: str,
    fmt: str | None = None,
    actor: str = "cli",
    description: str = "",
    max_model_mb: float | None = None,
) -> ModelVersion:
    """Register a model file made elsewhere; pickles are stored but never opened untrusted."""
    from fullcycle.train.serialization import check, format_of, from_file

    source = Path(path)
    if not source.is_file():
        raise NotFound(f"model file {str(path)!r} does not exist")
    check_name(name, "model name")
    _limits.check_file(source, max_model_mb)
    fmt = fmt or format_of(source.name)
    stored = from_file(source.read_bytes(), fmt)
    check(stored, fmt=fmt, what=f"model file {source.name!r}")
    sha = artifacts.put_bytes(stored)
    values = {
        "name": name,
        "run_id": None,
        "artifact_sha256": sha,
        "format": fmt,
        "trusted": False,
        "status": "ready",
        "signature": {},
        "classes": None,
        "metrics": {},
        "lineage": {"imported_from": source.name},
        "decision": {},
        "description": description,
    }
    number = store.insert_version(
        db,
        values,
        actor=actor,
        message=f"imported {source.name} ({fmt})",
        event_data={"artifact_sha256": sha, "format": fmt},
        card=lambda n: (
            f"# Model card: {name}:{n}\n\nImported from `{source.name}` ({fmt}); "
            "no evaluation is recorded.\n"
        ),
    )
    return store.get(db, name, number)


def _metrics(ev: dict[str, Any]) -> dict[str, Any]:
    from fullcycle.train.evaluation import headline

    dec = ev.get("decisions") or {}
    return {
        "metric": ev.get("metric"),
        "scalars": headline(ev),
        "verdict": (ev.get("diagnosis") or {}).get("verdict"),
        "slices_below_goal": [s for s in ev.get("slices", []) if s.get("below_goal")],
        "expected_cost_per_1000": dec.get("expected_cost_per_1000"),
        "expected_cost_ci": dec.get("ci"),
    }


def trust(db: Database, ref: str, *, reason: str, actor: str) -> ModelVersion:
    """An admin vouches for a version, so a pickle/joblib file of it may be opened."""
    if not reason.strip():
        raise InvalidInput("marking a version trusted needs a reason for the audit log")
    version = resolve(db, ref)
    store.set_fields(
        db,
        version.name,
        version.version,
        actor=actor,
        kind="model.trust",
        message=reason,
        trusted=True,
    )
    return store.get(db, version.name, version.version)


def load(db: Database, artifacts: ArtifactStore, ref: str) -> LoadedModel:
    """Verify, then deserialize; a tampered artifact marks the version corrupt."""
    from fullcycle.train import serialization

    version = resolve(db, ref)
    if version.status == "corrupt":
        raise IntegrityError(
            f"{version.ref} is marked corrupt and will not be loaded",
            hint="register a new version, then promote it",
        )
    try:
        data = artifacts.get_bytes(version.artifact_sha256)
    except (IntegrityError, NotFound) as exc:
        store.set_fields(
            db,
            version.name,
            version.version,
            actor="registry",
            kind="model.corrupt",
            message=str(exc),
            status="corrupt",
        )
        raise IntegrityError(
            f"{version.ref}: {exc}; the version is now marked corrupt",
            hint="register a new version, then promote it",
        ) from exc
    estimator = serialization.loads(
        data, fmt=version.format, trusted=version.trusted, what=f"model {version.ref}"
    )
    serialization.check_versions(
        version.lineage.get("library_versions") or {}, what=f"model {version.ref}"
    )
    return LoadedModel(
        version.name,
        version.version,
        estimator,
        classes=version.classes,
        signature=version.signature,
        decision=version.decision,
        info=version,
    )


def models(db: Database, name: str | None = None) -> list[ModelVersion]:
    return store.listing(db, name)


def aliases(db: Database, name: str | None = None) -> list[Alias]:
    return store.list_aliases(db, name)


def gc(
    db: Database,
    artifacts: ArtifactStore,
    *,
    grace_s: float = gc_store.GRACE_S,
    dry_run: bool = False,
) -> gc_store.GcResult:
    """Remove artifacts no table points at (older than ``grace_s``)."""
    return gc_store.collect(db, artifacts, grace_s=grace_s, dry_run=dry_run)
