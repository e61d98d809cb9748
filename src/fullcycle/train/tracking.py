"""The tracking API: a run records params, metric points, artifacts and how it was made.

Metric points are buffered in memory and written in batches (every ``flush_every`` points,
every ``flush_interval_s`` seconds, and when the run ends), so a training loop pays a list
append per point. A crash inside ``with project.start_run()`` marks the run failed and keeps
everything logged before it.
"""

from __future__ import annotations

import math
import numbers
import os
import platform
import random
import subprocess
import threading
import time
import traceback
import uuid
from importlib import metadata as importlib_metadata
from pathlib import Path
from types import TracebackType
from typing import Any

from fullcycle import clock
from fullcycle.errors import InvalidInput
from fullcycle.names import check_name
from fullcycle.store import runs as run_store
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database

KEY_PACKAGES = (
    "fullcycle",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "scipy",
    "skops",
    "optuna",
)


def environment() -> dict[str, Any]:
    """Python, platform and the versions of the packages a model depends on."""
    packages = {}
    for name in KEY_PACKAGES:
        try:
            packages[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": packages,
    }


def git_state(path: Path) -> tuple[str | None, bool | None]:
    """The commit checked out at ``path`` and whether the tree has uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return None, None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=path,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return commit.stdout.strip(), bool(dirty.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return None, None


def _metric_value(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidInput(
            f"metric {key!r}: value {value!r} is not a number",
            hint="log ints or floats; convert tensors with float(x)",
        )
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInput(
            f"metric {key!r}: value {value!r} is not finite",
            hint="check the training loop for a divergence before logging",
        )
    return number


class Run:
    """One training run. Create it with :meth:`fullcycle.Project.start_run`."""

    def __init__(
        self,
        db: Database,
        artifacts: ArtifactStore,
        *,
        name: str,
        project_dir: Path,
        params: dict[str, Any] | None = None,
        seed: int | None = None,
        dataset: str | None = None,
        parent_id: str | None = None,
        tags: dict[str, Any] | None = None,
        flush_every: int = 1000,
        flush_interval_s: float = 1.0,
    ) -> None:
        self.id = uuid.uuid4().hex
        self.name = check_name(name, "run name")
        self._db = db
        self._artifacts = artifacts
        self.seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
        self._buffer: list[tuple[str, int, float, float]] = []
        self._steps: dict[str, int] = {}
        self._lock = threading.Lock()
        self._flush_every = flush_every
        self._flush_interval_s = flush_interval_s
        self._last_flush = time.monotonic()
        self.status = "running"
        commit, dirty = git_state(project_dir)
        run_store.create(
            db,
            id=self.id,
            name=self.name,
            parent_id=parent_id,
            status="running",
            started_at=clock.now(),
            seed=self.seed,
            git_commit=commit,
            git_dirty=dirty,
            environment=environment(),
            dataset=dataset,
            tags=tags or {},
            summary={},
        )
        if params:
            self.log_params(params)

    # -- logging -------------------------------------------------------------------------------
    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def log_params(self, values: dict[str, Any]) -> None:
        items = {}
        for key, value in values.items():
            if not isinstance(key, str) or not key or len(key) > 256:
                raise InvalidInput(f"param name {key!r} must be a non-empty string of at most 256")
            items[key] = run_store.encode_param(value)  # read back with its type
        run_store.add_params(self._db, self.id, items)

    def log_metric(self, key: str, value: Any, step: int | None = None) -> None:
        number = _metric_value(key, value)
        if not isinstance(key, str) or not key or len(key) > 256:
            raise InvalidInput(f"metric name {key!r} must be a non-empty string of at most 256")
        with self._lock:
            if step is None:
                step = self._steps.get(key, -1) + 1
            self._steps[key] = step
            self._buffer.append((key, int(step), clock.now(), number))
            due = len(self._buffer) >= self._flush_every or (
                time.monotonic() - self._last_flush >= self._flush_interval_s
            )
        if due:
            self.flush()

    def log_metrics(self, values: dict[str, Any], step: int | None = None) -> None:
        for key, value in values.items():
            self.log_metric(key, value, step=step)

    def log_artifact(self, path: str | os.PathLike[str], name: str | None = None) -> str:
        """Store a file under ``name`` (its file name by default); returns its sha256."""
        source = Path(path)
        if not source.is_file():
            raise InvalidInput(f"artifact {str(path)!r} is not a file")
        artifact_name = check_name(name or source.name, "artifact name")
        sha = self._artifacts.put_file(source)
        run_store.add_artifact(self._db, self.id, artifact_name, sha, source.stat().st_size)
        return sha

    def log_bytes(self, data: bytes, name: str) -> str:
        artifact_name = check_name(name, "artifact name")
        sha = self._artifacts.put_bytes(data)
        run_store.add_artifact(self._db, self.id, artifact_name, sha, len(data))
        return sha

    def set_tag(self, key: str, value: Any) -> None:
        """Set a tag (unlike a param, a tag may be changed later)."""
        if not isinstance(key, str) or not key or len(key) > 256:
            raise InvalidInput(f"tag name {key!r} must be a non-empty string of at most 256")
        run_store.set_tags(self._db, self.id, {key: value})

    def log_figure(self, figure: Any, name: str) -> str:
        """Store a matplotlib figure as PNG, or a plotly figure as its JSON; returns its sha256."""
        if hasattr(figure, "savefig"):
            import io

            buf = io.BytesIO()
            figure.savefig(buf, format="png")
            return self.log_bytes(buf.getvalue(), name if name.endswith(".png") else f"{name}.png")
        if hasattr(figure, "to_json"):
            data = str(figure.to_json()).encode()
            return self.log_bytes(data, name if name.endswith(".json") else f"{name}.plotly.json")
        raise InvalidInput(
            f"figure {name!r}: {type(figure).__name__} is neither a matplotlib nor a plotly figure"
        )

    def log_model(self, model: Any) -> str:
        """Save a fitted model in its flavour, so ``fullcycle register`` can make a version of
        it. Without an evaluation that version cannot be promoted or served: evaluate it with
        ``project.log_model(model, run=run, data="name@N")`` instead."""
        import json

        from fullcycle.train import serialization
        from fullcycle.train.adopt import model_inputs
        from fullcycle.train.trainer import META_FILE, MODEL_FILE

        kind = type(model)
        inputs = model_inputs(model) or []
        classes = getattr(model, "classes_", None)
        meta = {
            "format": serialization.format_for(model),
            "model_class": f"{kind.__module__}:{kind.__qualname__}",
            "classes": None
            if classes is None
            else [getattr(c, "item", lambda c=c: c)() for c in classes],
            "signature": {"inputs": [{"name": n} for n in inputs]},
            "library_versions": serialization.library_versions(model),
            "adopted": True,
        }
        sha = self.log_bytes(serialization.dumps(model), MODEL_FILE)
        self.log_bytes(json.dumps(meta, default=str, sort_keys=True).encode(), META_FILE)
        return sha

    def set_summary(self, **values: Any) -> None:
        run_store.update(self._db, self.id, summary=values)

    def flush(self) -> None:
        with self._lock:
            batch, self._buffer = self._buffer, []
            self._last_flush = time.monotonic()
        if batch:
            try:
                run_store.add_metrics(self._db, self.id, batch)
            except BaseException:
                with self._lock:
                    self._buffer[:0] = batch
                raise

    # -- life cycle ----------------------------------------------------------------------------
    def end(self, status: str = "finished", error: str | None = None) -> None:
        if self.status != "running":
            return
        self.flush()
        self.status = status
        run_store.update(self._db, self.id, status=status, ended_at=clock.now(), error=error)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.end("finished")
            return
        status = "killed" if isinstance(exc, KeyboardInterrupt) else "failed"
        text = "".join(traceback.format_exception(kind, exc, tb))[-4000:]
        self.end(status, error=text)
