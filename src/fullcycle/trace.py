"""Trace one prediction back to everything that produced it.

    prediction (inputs, outputs, latency, route)  <- the log, found by its request id
      + other answers (a shadow) and the deployment revision that routed it
      + the feedback label, if it came
    model version  (artifact checked)             <- the registry
    run            (params, seed, code, env)      <- tracking
    dataset        (lineage to files and to the labelled production rows, by request id)
    evaluation, gate, promotion                   <- the version's metrics, events, rollouts
    events around it                              <- the audit log

The answer is a :class:`~fullcycle.records.Trace` (``to_dict()``: the JSON the CLI and
``GET /trace/{id}`` give). A link that cannot be followed (a deleted version, a corrupt
artifact, a run or dataset that is gone) is named in ``missing`` and the trace goes on with what
it can still reach; only an unknown or malformed request id is an error.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from fullcycle import registry
from fullcycle.data.lineage import lineage_tree
from fullcycle.errors import FullcycleError, IntegrityError, InvalidInput, NotFound
from fullcycle.records import Event, Trace
from fullcycle.serving import segments
from fullcycle.serving.runtime import canary_bucket
from fullcycle.settings import Settings
from fullcycle.store import logs, provenance, rollouts
from fullcycle.store import runs as run_store
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
PROMOTION_KINDS = ("model.promote", "model.promote.forced", "loop.promote", "model.alias")


@dataclass(frozen=True)
class TraceDeps:
    db: Database
    artifacts: ArtifactStore
    log_root: Path


def tracer(settings: Settings) -> Callable[[str], dict[str, Any]]:
    """``trace`` bound to a project's stores: what the server's ``GET /trace/{id}`` calls."""
    deps = TraceDeps(
        Database.open(settings.resolved_database_url(), busy_timeout_s=settings.busy_timeout_s),
        ArtifactStore(settings.resolved_artifact_url()),
        Path(settings.resolved_log_url()),
    )
    return lambda request_id: trace(deps, request_id).to_dict()


def check_request_id(request_id: Any) -> str:
    if not isinstance(request_id, str) or not REQUEST_ID.fullmatch(request_id):
        shown = repr(request_id)[:80]
        raise InvalidInput(
            f"request id {shown} is malformed: it must be 1-128 letters, digits, '.', '_', ':' "
            "or '-'",
            hint="copy it from the X-Request-ID header or the request_id of the response",
        )
    return request_id


# -- the log -----------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """numpy scalars, NaN and JSON text from the log as plain Python values."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _parsed(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _active_rows(root: Path, rid: str) -> list[dict[str, Any]]:
    """Rows for ``rid`` in this machine's segments not sealed yet."""
    found: list[dict[str, Any]] = []
    needle = rid.encode()
    folder = root / segments.ACTIVE
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        try:
            data = path.read_bytes()
        except OSError:
            continue  # sealed and removed meanwhile: the sealed read has it
        if needle not in data:
            continue
        for line in data.splitlines():
            if needle in line:
                try:
                    rec = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(rec, dict) and rec.get("request_id") == rid:
                    found.append(rec)
    return found


def find_rows(deps: TraceDeps, rid: str) -> list[dict[str, Any]]:
    """Every log row of one request (all versions and routes), sealed or still active."""
    try:
        frame = segments.read_log(deps.db, request_id=rid)
    except FullcycleError:
        raise
    except Exception as exc:  # DuckDB on a damaged Parquet file
        raise IntegrityError(
            f"the prediction log segment that may hold request {rid} cannot be read: {exc}",
            hint="restore the segment file from a backup",
        ) from exc
    rows = [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict("records")]
    rows += _active_rows(deps.log_root, rid)
    seen, out = set(), []
    for r in rows:
        key = (r.get("version"), r.get("route"), r.get("row"))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return sorted(out, key=lambda r: (r.get("route") == "shadow", r.get("row") or 0))


def _not_found(deps: TraceDeps, rid: str) -> NotFound:
    candidates = logs.segments(deps.db, request_id=rid)
    gone = [s.path for s in candidates if not os.path.exists(s.path)]
    where = (
        f"; {len(gone)} registered segment(s) that could hold it are missing on this machine "
        f"(e.g. {gone[0]})"
        if gone
        else ""
    )
    return NotFound(
        f"no prediction with request id {rid} in the log ({len(candidates)} sealed segment(s) "
        f"could hold it by their id range, plus the active ones here){where}",
        hint="check the id; a prediction is in the log once its segment is written "
        "(within about a second, or at once with strict durability)",
    )


def _answer(rows: list[dict[str, Any]]) -> dict[str, Any]:
    first = rows[0]
    version = first.get("version")
    return {
        "model": first.get("model"),
        "version": None if version is None else int(version),
        "route": first.get("route"),
        "status": None if first.get("status") is None else int(first["status"]),
        "latency_ms": first.get("latency_ms"),
        "ts": first.get("ts"),
        "rows": [
            {
                "row": None if r.get("row") is None else int(r["row"]),
                "inputs": _parsed(r.get("inputs")),
                "output": _parsed(r.get("output")),
                "proba": _parsed(r.get("proba")),
                "error": r.get("error"),
            }
            for r in rows
        ],
    }


def _answers(rows: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the answer the caller got, other versions that answered too, e.g. a shadow)."""
    groups: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r.get("version"), r.get("route")), []).append(r)
    ordered = sorted(groups.values(), key=lambda g: g[0].get("route") == "shadow")
    return _answer(ordered[0]), [_answer(g) for g in ordered[1:]]


# -- the chain ---------------------------------------------------------------------------------
class _Chain:
    def __init__(self, out: dict[str, Any]) -> None:
        self.out = out

    def missing(self, link: str, message: str) -> None:
        self.out["missing"].append({"link": link, "message": message})


def trace(deps: TraceDeps, request_id: Any) -> Trace:
    """The whole chain behind one logged prediction (see the module docstring)."""
    rid = check_request_id(request_id)
    rows = find_rows(deps, rid)
    if not rows:
        raise _not_found(deps, rid)
    answer, others = _answers(rows)
    out: dict[str, Any] = {"request_id": rid, "missing": [], "prediction": answer}
    out["other_answers"] = others
    chain = _Chain(out)
    name, version = answer["model"], answer["version"]
    out["routing"] = _routing(deps, name, answer, rid)
    out["feedback"] = _jsonable(provenance.feedback_for(deps.db, rid))
    out["model"] = out["run"] = out["data"] = out["evaluation"] = out["gate"] = None
    out["promotion"], out["rollouts"], out["events"] = [], [], []
    if version is None:
        chain.missing("model", f"request {rid} was refused before any model answered it")
    else:
        _follow_version(deps, chain, name, version)
    out["complete"] = not out["missing"]
    return Trace(**out)


def _routing(deps: TraceDeps, name: str, answer: dict[str, Any], rid: str) -> dict[str, Any]:
    state = provenance.deployment_at(deps.db, name, float(answer["ts"] or 0.0))
    if state is None:
        return {"revision": None, "why": f"no deployment of {name} on record before the request"}
    bucket = canary_bucket(rid)
    info: dict[str, Any] = {
        "revision": state.revision,
        "production": state.production,
        "canary": state.canary,
        "canary_share": state.canary_share,
        "shadow": state.shadow,
        "bucket": bucket,
        "reason": state.reason,
    }
    if state.canary is not None and state.canary_share > 0:
        side = "canary" if bucket < state.canary_share else "production"
        info["why"] = (
            f"canary {name}:{state.canary} took {state.canary_share:.0%} of requests; this id's "
            f"bucket {bucket:.3f} sent it to {side}; the other side did not answer it"
        )
    else:
        info["why"] = f"all requests went to production {name}:{state.production}"
    if answer["version"] not in state.versions():
        info["why"] += (
            f"; {name}:{answer['version']} answered, so the server had not yet picked up "
            f"revision {state.revision}"
        )
    if state.shadow is not None:
        info["why"] += f"; shadow {name}:{state.shadow} answered off the path"
    return info


def _follow_version(deps: TraceDeps, chain: _Chain, name: str, version: int) -> None:
    out = chain.out
    ref = f"{name}:{version}"
    try:
        mv = registry.resolve(deps.db, ref)
    except NotFound:
        chain.missing(
            "model",
            f"model version {ref} answered this request but is no longer in the registry "
            "(deleted, or the log comes from another store); the chain stops at the prediction",
        )
        out["events"] = _events(provenance.version_events(deps.db, name, version))
        return
    out["model"] = {
        "ref": mv.ref,
        "status": mv.status,
        "created_at": mv.created_at,
        "artifact_sha256": mv.artifact_sha256,
        "artifact": _artifact_state(deps, chain, mv),
        "format": mv.format,
        "aliases": list(mv.aliases),
        "description": mv.description,
    }
    out["evaluation"] = {
        "metric": (mv.metrics or {}).get("metric"),
        "scalars": (mv.metrics or {}).get("scalars"),
        "verdict": (mv.metrics or {}).get("verdict"),
        "data": (mv.lineage or {}).get("data"),
    }
    dataset = _run(deps, chain, mv)
    dataset = dataset or (mv.lineage or {}).get("dataset")
    if dataset:
        _data(deps, chain, dataset)
    elif mv.run_id is not None:
        chain.missing("dataset", f"run {mv.run_id} of {ref} names no dataset version")
    found = provenance.version_events(deps.db, name, version, since=mv.created_at - 1.0)
    retrain = _retrain_event(deps, out, name, mv)
    if retrain is not None:
        found = sorted([retrain, *found], key=lambda e: e.id)
    out["events"] = _events(found)
    gates = [e for e in found if e.kind == "loop.gate"]
    out["gate"] = _events(gates[-1:])[0] if gates else None
    out["promotion"] = _events([e for e in found if e.kind in PROMOTION_KINDS])
    out["rollouts"] = [
        {
            "id": r.id,
            "state": r.state,
            "champion": r.champion,
            "challenger": r.challenger,
            "created_at": r.created_at,
            "updated_at": r.updated_at,
            "data": _jsonable(r.data),
        }
        for r in rollouts.listing(deps.db, name, limit=200)
        if r.challenger == version
    ]


def _artifact_state(deps: TraceDeps, chain: _Chain, mv: Any) -> str:
    if mv.status == "corrupt":
        chain.missing("artifact", f"{mv.ref} is marked corrupt; its artifact cannot be loaded")
        return "corrupt"
    try:
        deps.artifacts.verify(mv.artifact_sha256)
    except (IntegrityError, NotFound, OSError) as exc:
        chain.missing("artifact", f"{mv.ref}'s artifact {mv.artifact_sha256[:12]}: {exc}")
        return "missing" if isinstance(exc, NotFound | FileNotFoundError) else "corrupt"
    return "verified"


def _run(deps: TraceDeps, chain: _Chain, mv: Any) -> str | None:
    """Fill ``run``; returns the dataset the run trained on."""
    if mv.run_id is None:
        source = (mv.lineage or {}).get("imported_from", "a file")
        chain.missing("run", f"{mv.ref} was imported from {source}: no training run is on record")
        return None
    try:
        info = run_store.get(deps.db, mv.run_id)
    except NotFound:
        chain.missing("run", f"run {mv.run_id} that trained {mv.ref} is no longer in the store")
        return None
    chain.out["run"] = {
        "id": info.id,
        "name": info.name,
        "status": info.status,
        "started_at": info.started_at,
        "ended_at": info.ended_at,
        "seed": info.seed,
        "git_commit": info.git_commit,
        "git_dirty": info.git_dirty,
        "environment": info.environment,
        "dataset": info.dataset,
        "params": info.params,
        "metrics": info.latest_metrics,
    }
    return info.dataset


def _data(deps: TraceDeps, chain: _Chain, ref: str) -> None:
    try:
        tree = lineage_tree(deps.db, ref)
    except (NotFound, InvalidInput) as exc:
        chain.missing("dataset", f"dataset {ref}: {exc}")
        return
    files, labelled = [], []
    stack = [tree]
    while stack:
        node = stack.pop()
        origin = node.get("origin") or {}
        if origin.get("kind") == "file":
            files.append(
                {"dataset": node["ref"], "file": origin.get("file"), "sha256": origin.get("sha256")}
            )
        ids = origin.get("request_ids") or []
        if ids:
            labelled.append(
                {
                    "dataset": node["ref"],
                    "base": origin.get("base"),
                    "reason": origin.get("reason"),
                    "rows": len(ids),
                    "request_ids": list(ids),
                }
            )
        stack.extend(node.get("parents") or [])
    chain.out["data"] = {
        "ref": tree["ref"],
        "n_rows": tree["n_rows"],
        "files": files,
        "production_rows": labelled,
        "lineage": tree,
    }


def _retrain_event(deps: TraceDeps, out: dict[str, Any], name: str, mv: Any) -> Event | None:
    """The loop's decision to retrain, when the loop made this version."""
    if not (mv.description or "").startswith("retrained by the loop"):
        return None
    return provenance.retrain_before(deps.db, name, mv.created_at)


def _events(found: list[Event]) -> list[dict[str, Any]]:
    return [
        {
            "id": e.id,
            "ts": e.ts,
            "kind": e.kind,
            "subject": e.subject,
            "actor": e.actor,
            "message": e.message,
            "data": _jsonable(e.data),
        }
        for e in found
    ]


def _jsonable(value: Any) -> Any:
    return (
        None
        if value is None
        else orjson.loads(orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS))
    )
