"""Bring runs and registered models in from an MLflow tracking store.

Runs come with their params, every metric point (step and time), tags, start and end; each
is read whole from MLflow before anything is written, and a run already imported (tag
``mlflow.run_id``) is skipped. Registered models come in their native format: scikit-learn
models MLflow saved with skops, XGBoost boosters, LightGBM text boosters. A pickled model is
opened only with ``trust_pickle``, and then in a child process that loads it through MLflow and
hands back skops bytes, which this process opens behind the allow-list like any other.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fullcycle.errors import InvalidInput, NotFound, StoreUnavailable, UnsafeArtifact

#: MLflow flavour -> (fullcycle format, file ending the flavour's import expects)
NATIVE = {"xgboost": ("xgboost", ".ubj"), "lightgbm": ("lightgbm", ".lgb.txt")}
CHILD = """
import sys, mlflow.sklearn, skops.io as sio
model = mlflow.sklearn.load_model(sys.argv[1])
sys.stdout.buffer.write(sio.dumps(model))
"""


@dataclass
class ImportReport:
    runs: list[str] = field(default_factory=list)  # fullcycle run ids made
    skipped: list[str] = field(default_factory=list)  # "what: why"
    models: list[str] = field(default_factory=list)  # versions made, NAME:N


def client(uri: str) -> Any:
    """An MlflowClient that has answered once (StoreUnavailable naming the URI otherwise)."""
    from fullcycle.train.flavours._base import require

    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    mlflow = require("mlflow", "mlflow", "importing from MLflow")
    try:
        found = mlflow.MlflowClient(tracking_uri=uri)
        found.search_experiments(max_results=1)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise StoreUnavailable(
            f"the MLflow store at {uri} cannot be reached: {first}",
            hint="check --tracking-uri (a URL, or sqlite:///path/mlflow.db)",
        ) from None
    return found


def read_run(mc: Any, run: Any) -> dict[str, Any]:
    """Everything fullcycle keeps of one MLflow run, read before anything is written."""
    from fullcycle.store.runs import decode_param

    history = {
        key: [
            (m.step, m.timestamp / 1000.0, m.value)
            for m in mc.get_metric_history(run.info.run_id, key)
        ]
        for key in run.data.metrics
    }
    return {
        "id": run.info.run_id,
        "name": run.info.run_name or "mlflow-run",
        "status": {"FINISHED": "finished", "FAILED": "failed", "KILLED": "killed"}.get(
            run.info.status, "finished"
        ),
        "start": run.info.start_time / 1000.0 if run.info.start_time else None,
        "end": run.info.end_time / 1000.0 if run.info.end_time else None,
        # MLflow keeps params as text; numbers, booleans and lists written as JSON come back typed
        "params": {k: decode_param(v) for k, v in run.data.params.items()},
        "metrics": history,
        "tags": {**run.data.tags, "mlflow.run_id": run.info.run_id},
    }


def write_run(db: Any, artifacts: Any, project_dir: Path, data: dict[str, Any]) -> str:
    from fullcycle.names import check_name
    from fullcycle.store import runs as run_store
    from fullcycle.train.tracking import Run

    name = data["name"] if _name_ok(check_name, data["name"]) else "mlflow-run"
    with Run(db, artifacts, name=name, project_dir=project_dir, tags=data["tags"]) as run:
        run.log_params(data["params"])
        for key, points in data["metrics"].items():
            run_store.add_metrics(db, run.id, [(key, s, t, v) for s, t, v in points])
    run_store.update(
        db,
        run.id,
        status=data["status"],
        started_at=data["start"] or run_store.get(db, run.id).started_at,
        ended_at=data["end"],
    )
    return run.id


def _name_ok(check: Any, name: str) -> bool:
    try:
        check(name, "run name")
    except InvalidInput:
        return False
    return True


def import_runs(
    db: Any, artifacts: Any, project_dir: Path, mc: Any, experiment: str | None
) -> ImportReport:
    """Every run of ``experiment`` (all experiments if None) not imported before."""
    from fullcycle.train.run_filter import runs_frame

    report = ImportReport()
    if experiment is not None:
        found = mc.get_experiment_by_name(experiment)
        if found is None:
            raise NotFound(f"MLflow has no experiment named {experiment!r}")
        ids = [found.experiment_id]
    else:
        ids = [e.experiment_id for e in mc.search_experiments()]
    seen = runs_frame(db, None, limit=100_000)
    have = set(seen["tags.mlflow.run_id"].dropna()) if "tags.mlflow.run_id" in seen else set()
    for run in mc.search_runs(ids, max_results=50_000):
        if run.info.run_id in have:
            report.skipped.append(f"run {run.info.run_id}: imported before")
            continue
        report.runs.append(write_run(db, artifacts, project_dir, read_run(mc, run)))
    return report


def fetch_model(mc: Any, uri: str, *, trust_pickle: bool) -> tuple[bytes, str, str]:
    """(bytes, fullcycle format, file ending) of ``models:/NAME/VERSION``, without pickle
    unless ``trust_pickle`` (then a child process loads it and hands back skops bytes)."""
    import yaml

    from fullcycle.train.flavours._base import require

    mlflow = require("mlflow", "mlflow", "importing from MLflow")
    if not uri.startswith("models:/"):
        raise InvalidInput(f"--mlflow-model {uri!r} is not models:/NAME/VERSION")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            where = Path(
                mlflow.artifacts.download_artifacts(
                    artifact_uri=uri, dst_path=tmp, tracking_uri=mc.tracking_uri
                )
            )
        except Exception as exc:
            raise NotFound(
                f"MLflow has no model {uri} ({str(exc).splitlines()[0][:200]})"
            ) from None
        flavors = (yaml.safe_load((where / "MLmodel").read_text()) or {}).get("flavors", {})
        for name, (fmt, ending) in NATIVE.items():
            conf = flavors.get(name)
            if conf and (where / str(conf.get("data", ""))).is_file() and _native(conf):
                return (where / conf["data"]).read_bytes(), fmt, ending
        if "sklearn" in flavors:
            return _sklearn(where, flavors["sklearn"], uri, trust_pickle), "skops", ".skops"
        known = ", ".join(sorted(flavors)) or "none"
        raise InvalidInput(
            f"{uri} has no flavour fullcycle can import (it has: {known})",
            hint="fullcycle imports sklearn, xgboost and lightgbm models",
        )


def _native(conf: dict[str, Any]) -> bool:
    """A booster file (not a pickled scikit-learn wrapper, which MLflow writes for LightGBM)."""
    return not str(conf.get("data", "")).endswith((".pkl", ".pickle"))


def _sklearn(where: Path, conf: dict[str, Any], uri: str, trust_pickle: bool) -> bytes:
    import subprocess
    import sys

    path = where / str(conf.get("pickled_model", "model.pkl"))
    if conf.get("serialization_format") == "skops":
        return path.read_bytes()
    if not trust_pickle:
        raise UnsafeArtifact(
            f"{uri} is a pickled scikit-learn model; it was not opened",
            hint="re-log it with serialization_format='skops', or pass --trust-pickle if you "
            "trust where it came from (it is then loaded in a child process)",
        )
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(where)], capture_output=True, timeout=300, check=False
    )
    if done.returncode != 0:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["it failed"])[-1]
        raise UnsafeArtifact(f"{uri}: the child process could not load it ({last[:200]})")
    return done.stdout
