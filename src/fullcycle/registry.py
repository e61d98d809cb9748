"""The model registry: ``NAME:N`` versions made from runs, aliases, the promotion gate, loading.

    register(run)  -> NAME:N      one transaction: the version row and its event (the artifact
                                  was written, content-addressed, when the run saved it)
    set_alias      compare-and-set on the alias's revision, one event per change
    promote        the gate: the scope goal, and no worse than the current holder by more than
                   the margin; ``force`` with a reason overrides and is recorded
    load           sha256 verified; a mismatch marks the version corrupt (IntegrityError)
    gc             artifacts nothing points at are removed
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fullcycle.errors import Conflict, GateRefused, IntegrityError, InvalidInput, NotFound
from fullcycle.names import check_name
from fullcycle.records import Alias, ModelVersion
from fullcycle.store import events as event_store
from fullcycle.store import gc as gc_store
from fullcycle.store import models as store
from fullcycle.store import runs as run_store
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database
from fullcycle.train.spec import GateSpec, MetricSpec


@dataclass(frozen=True)
class LoadedModel:
    """A verified, deserialized version, ready to predict."""

    name: str
    version: int
    estimator: Any
    classes: list[Any] | None
    signature: dict[str, Any]
    decision: dict[str, Any]
    info: ModelVersion = field(repr=False)


@dataclass(frozen=True)
class Promotion:
    name: str
    alias: str
    version: int
    previous: int | None
    revision: int
    forced: bool
    checks: list[str]


def parse_ref(ref: str) -> tuple[str, int | None, str | None]:
    """``name:3`` -> (name, 3, None); ``name@production`` -> (name, None, "production");
    ``name`` -> (name, None, None) meaning the latest version."""
    if "@" in ref:
        name, _, alias = ref.partition("@")
        return check_name(name, "model name"), None, check_name(alias, "alias")
    name, _, number = ref.partition(":")
    check_name(name, "model name")
    if not number:
        return name, None, None
    if not number.isdigit() or len(number) > 9 or int(number) < 1:
        raise InvalidInput(f"model reference {ref!r}: the version after ':' must be a positive "
                           "integer", hint="e.g. churn:3 or churn@production")
    return name, int(number), None


def resolve(db: Database, ref: str) -> ModelVersion:
    name, version, alias = parse_ref(ref)
    if alias is not None:
        held = store.get_alias(db, name, alias)
        if held is None:
            raise NotFound(f"model {name} has no alias {alias!r}",
                           hint=f"promote a version: fullcycle promote {name}:N --alias {alias}")
        version = held.version
    if version is None:
        version = store.latest_version(db, name)
    return store.get(db, name, version)


def _latest_finished(db: Database) -> str:
    for info in run_store.listing(db, limit=200, status="finished"):
        if info.parent_id is None:
            return info.id
    raise NotFound("there is no finished training run to register",
                   hint="train one first: fullcycle train")


def register(db: Database, artifacts: ArtifactStore, run_id: str = "latest", *, name: str,
             actor: str = "cli", description: str = "") -> ModelVersion:
    """Make the next version of ``name`` from a finished run's saved model."""
    from fullcycle.train.card import model_card
    from fullcycle.train.trainer import MODEL_FILE, run_meta, stored_evaluation

    check_name(name, "model name")
    rid = _latest_finished(db) if run_id == "latest" else run_store.get(db, run_id).id
    info, meta = run_meta(db, artifacts, rid)
    if info.status != "finished":
        raise InvalidInput(f"run {info.id} is {info.status}; only finished runs can be registered")
    sha = info.artifacts[MODEL_FILE]
    artifacts.verify(sha)
    ev = stored_evaluation(db, artifacts, rid)
    values = {
        "name": name, "run_id": info.id, "artifact_sha256": sha, "format": "skops",
        "trusted": False, "status": "ready", "signature": meta.get("signature") or {},
        "classes": meta.get("classes"), "metrics": _metrics(ev),
        "lineage": {
            "run_id": info.id, "dataset": info.dataset, "data": ev.get("data"),
            "git_commit": info.git_commit, "git_dirty": info.git_dirty, "seed": info.seed,
            "estimator": meta.get("estimator"), "params": meta.get("params"),
            "library_versions": meta.get("library_versions") or {},
            "python": info.environment.get("python"),
        },
        "decision": meta.get("decision") or {}, "description": description,
    }
    number = store.insert_version(
        db, values, actor=actor, message=f"registered from run {info.id[:12]}",
        event_data={"run_id": info.id, "artifact_sha256": sha},
        card=lambda n: model_card(name, n, info, meta, ev, description))
    return store.get(db, name, number)


def import_file(db: Database, artifacts: ArtifactStore, path: str | Path, *, name: str,
                fmt: str | None = None, actor: str = "cli", description: str = "") -> ModelVersion:
    """Register a model file made elsewhere; pickles are stored but never opened untrusted."""
    from fullcycle.train.serialization import format_of

    source = Path(path)
    if not source.is_file():
        raise NotFound(f"model file {str(path)!r} does not exist")
    check_name(name, "model name")
    fmt = fmt or format_of(source.name)
    sha = artifacts.put_file(source)
    values = {"name": name, "run_id": None, "artifact_sha256": sha, "format": fmt,
              "trusted": False, "status": "ready", "signature": {}, "classes": None,
              "metrics": {}, "lineage": {"imported_from": source.name}, "decision": {},
              "description": description}
    number = store.insert_version(
        db, values, actor=actor, message=f"imported {source.name} ({fmt})",
        event_data={"artifact_sha256": sha, "format": fmt},
        card=lambda n: f"# Model card: {name}:{n}\n\nImported from `{source.name}` ({fmt}); "
        "no evaluation is recorded.\n")
    return store.get(db, name, number)


def _metrics(ev: dict[str, Any]) -> dict[str, Any]:
    from fullcycle.train.evaluation import headline

    dec = ev.get("decisions") or {}
    return {
        "metric": ev.get("metric"), "scalars": headline(ev),
        "verdict": (ev.get("diagnosis") or {}).get("verdict"),
        "slices_below_goal": [s for s in ev.get("slices", []) if s.get("below_goal")],
        "expected_cost_per_1000": dec.get("expected_cost_per_1000"),
        "expected_cost_ci": dec.get("ci"),
    }


def set_alias(db: Database, name: str, alias: str, version: int, expected_revision: int, *,
              actor: str = "cli", reason: str = "") -> int:
    """Compare-and-set; returns the new revision or raises Conflict."""
    check_name(alias, "alias")
    return store.set_alias(db, name, alias, version, expected_revision, actor=actor,
                           message=reason or f"{alias} -> {name}:{version}")


def _gate(db: Database, version: ModelVersion, alias: str, metric: MetricSpec, gate: GateSpec,
          rescore: Callable[[ModelVersion, ModelVersion], tuple[float, float]] | None,
          ) -> tuple[list[str], list[str], Alias | None]:
    """(refusals, checks passed, the alias's current holder)."""
    refusals, passed = [], []
    value = (version.metrics.get("metric") or {}).get("value")
    if version.run_id is not None or value is not None:
        if value is None:
            refusals.append(f"{version.ref} has no {metric.name} recorded")
        elif metric.goal is not None and not metric.meets(value, metric.goal):
            word = "below" if metric.greater_is_better else "above"
            refusals.append(f"{metric.name} {value:.4f} is {word} the scope goal {metric.goal}")
        elif metric.goal is not None:
            passed.append(f"{metric.name} {value:.4f} meets the goal {metric.goal}")
    holder = store.get_alias(db, version.name, alias)
    if holder is None or holder.version == version.version:
        return refusals, passed, holder
    current = store.get(db, version.name, holder.version)
    if gate.compare_on == "cost":
        mine, theirs = (version.metrics.get("expected_cost_per_1000"),
                        current.metrics.get("expected_cost_per_1000"))
        if mine is not None and theirs is not None:
            if mine > theirs * (1 + gate.margin):
                refusals.append(f"expected cost per 1,000 {mine:.2f} is worse than "
                                f"{current.ref}'s {theirs:.2f} by more than the margin "
                                f"{gate.margin:.0%}")
            else:
                passed.append(f"expected cost {mine:.2f} vs {current.ref} {theirs:.2f}")
            return refusals, passed, holder
    theirs_v = (current.metrics.get("metric") or {}).get("value")
    same = (version.lineage.get("data") or {}).get("test_rows_sha256") == (
        current.lineage.get("data") or {}).get("test_rows_sha256") and (
        version.lineage.get("dataset") == current.lineage.get("dataset"))
    where = "the same test data"
    if not same and rescore is not None:
        value, theirs_v = rescore(version, current)
    elif not same:
        where = "their own test data (not the same rows)"
    if value is None or theirs_v is None:
        return refusals, passed, holder
    shortfall = (theirs_v - value) if metric.greater_is_better else (value - theirs_v)
    if shortfall > gate.margin:
        refusals.append(f"{metric.name} {value:.4f} is worse than {current.ref} ({alias}) "
                        f"{theirs_v:.4f} on {where} by {shortfall:.4f}, more than the margin "
                        f"{gate.margin}")
    else:
        passed.append(f"{metric.name} {value:.4f} vs {current.ref} {theirs_v:.4f} on {where}")
    return refusals, passed, holder


def promote(db: Database, ref: str, alias: str = "production", *, metric: MetricSpec,
            gate: GateSpec | None = None, force: bool = False, reason: str | None = None,
            actor: str = "cli",
            rescore: Callable[[ModelVersion, ModelVersion], tuple[float, float]] | None = None,
            ) -> Promotion:
    """Point ``alias`` at the version if it passes the gate (or ``force`` with a reason)."""
    check_name(alias, "alias")
    if force and not (reason and reason.strip()):
        raise InvalidInput("--force needs --reason TEXT, which is kept in the audit log")
    version = resolve(db, ref)
    if version.status != "ready":
        raise GateRefused(f"{version.ref} is {version.status} and cannot be promoted",
                          hint="register a new version")
    refusals, passed, holder = _gate(db, version, alias, metric, gate or GateSpec(), rescore)
    subject = f"{version.name}@{alias}"
    if refusals and not force:
        with db.write() as conn:
            event_store.record(conn, "model.promote.refused", actor=actor, subject=subject,
                               message="; ".join(refusals), data={"version": version.version})
        raise GateRefused(f"promotion of {version.ref} to {alias} refused: " + "; ".join(refusals),
                          hint="improve the model, or override with --force --reason TEXT")
    kind = "model.promote.forced" if refusals else "model.promote"
    message = (f"forced past: {'; '.join(refusals)}; reason: {reason}" if refusals
               else reason or f"{alias} -> {version.ref}")
    try:
        revision = store.set_alias(
            db, version.name, alias, version.version, holder.revision if holder else 0,
            actor=actor, kind=kind, message=message,
            data={"previous": holder.version if holder else None, "refusals": refusals,
                  "checks": passed, "reason": reason, "forced": bool(refusals)})
    except Conflict as exc:
        with db.write() as conn:
            event_store.record(conn, "model.promote.conflict", actor=actor, subject=subject,
                               message=str(exc), data={"version": version.version})
        raise
    return Promotion(version.name, alias, version.version, holder.version if holder else None,
                     revision, bool(refusals), passed)


def trust(db: Database, ref: str, *, reason: str, actor: str) -> ModelVersion:
    """An admin vouches for a version, so a pickle/joblib file of it may be opened."""
    if not reason.strip():
        raise InvalidInput("marking a version trusted needs a reason for the audit log")
    version = resolve(db, ref)
    store.set_fields(db, version.name, version.version, actor=actor, kind="model.trust",
                     message=reason, trusted=True)
    return store.get(db, version.name, version.version)


def load(db: Database, artifacts: ArtifactStore, ref: str) -> LoadedModel:
    """Verify, then deserialize; a tampered artifact marks the version corrupt."""
    from fullcycle.train import serialization

    version = resolve(db, ref)
    if version.status == "corrupt":
        raise IntegrityError(f"{version.ref} is marked corrupt and will not be loaded",
                             hint="register a new version, then promote it")
    try:
        data = artifacts.get_bytes(version.artifact_sha256)
    except (IntegrityError, NotFound) as exc:
        store.set_fields(db, version.name, version.version, actor="registry",
                         kind="model.corrupt", message=str(exc), status="corrupt")
        raise IntegrityError(f"{version.ref}: {exc}; the version is now marked corrupt",
                             hint="register a new version, then promote it") from exc
    estimator = serialization.loads(data, fmt=version.format, trusted=version.trusted,
                                    what=f"model {version.ref}")
    serialization.check_versions(version.lineage.get("library_versions") or {},
                                 what=f"model {version.ref}")
    return LoadedModel(version.name, version.version, estimator, version.classes,
                       version.signature, version.decision, version)


def models(db: Database, name: str | None = None) -> list[ModelVersion]:
    return store.listing(db, name)


def aliases(db: Database, name: str | None = None) -> list[Alias]:
    return store.list_aliases(db, name)


def gc(db: Database, artifacts: ArtifactStore, *, grace_s: float = gc_store.GRACE_S,
       dry_run: bool = False) -> gc_store.GcResult:
    """Remove artifacts no table points at (older than ``grace_s``)."""
    return gc_store.collect(db, artifacts, grace_s=grace_s, dry_run=dry_run)
