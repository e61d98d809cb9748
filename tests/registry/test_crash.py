"""kill -9 during registrations and promotions: each is all-or-nothing, orphans are collected."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import trainkit as kit
from fullcycle import registry
from fullcycle.store import events as event_store
from fullcycle.train.trainer import train

CHILD = r"""
import os, shutil, sys
from fullcycle import registry
from fullcycle.errors import Conflict
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database
from fullcycle.train.spec import GateSpec, MetricSpec

db, artifacts = Database.open(sys.argv[1]), ArtifactStore(sys.argv[2])
run_id, folder = sys.argv[3], sys.argv[4]
metric = MetricSpec("f1_macro", goal=0.1)
i = 0
while True:
    i += 1
    if i == 2:
        print("ready", flush=True)  # one whole round done: imports paid, now kill at random
    v = registry.register(db, artifacts, run_id, name="churn")
    try:
        registry.promote(db, v.ref, metric=metric, gate=GateSpec(tolerance=1.0))
    except Conflict:
        pass
    path = os.path.join(folder, f"imported-{os.getpid()}-{i}.skops")
    shutil.copyfile(os.path.join(folder, "model.skops"), path)  # a real model: imports check it
    registry.import_file(db, artifacts, path, name="imported")
"""


def _real_model(path: Path) -> None:
    """A small scikit-learn model saved with skops, the kind ``models import`` accepts."""
    import skops.io as sio
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    sio.dump(LogisticRegression(max_iter=500).fit(X, y), path)


@pytest.mark.slow
def test_kill_9_during_register_and_promote_leaves_whole_versions(
    tmp_path: Path, db_url: str
) -> None:
    deps = kit.deps(tmp_path, db_url, {"d@1": kit.frame(n=300)})
    run_id = train(deps, kit.spec(), "d@1", seed=1, learning_curve=False).run_id
    drop = tmp_path / "drop"
    drop.mkdir()
    _real_model(drop / "model.skops")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    rng = random.Random(0)
    for _ in range(6):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, db_url, str(tmp_path / "artifacts"), run_id, str(drop)],
            stdout=subprocess.PIPE,
            env=env,
        )
        assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 0.6))  # kill at a random point, not a synchronisation
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()

    deps.db.dispose()
    db = type(deps.db).open(db_url)
    for name in ("churn", "imported"):
        versions = [v.version for v in registry.models(db, name)]
        assert versions == list(range(1, len(versions) + 1)), name
        registered = [
            e
            for e in event_store.listing(db, kind="model.register", limit=10_000)
            if e.subject.startswith(f"{name}:")
        ]
        assert len(registered) == len(versions)
    assert len(registry.models(db, "churn")) >= 1
    holder = registry.resolve(db, "churn@production")
    (alias,) = registry.aliases(db, "churn")
    moves = event_store.listing(db, subject="churn@production", kind="model.promote", limit=10_000)
    assert alias.revision == len([e for e in moves if e.kind == "model.promote"])
    result = registry.gc(db, deps.artifacts, grace_s=0)
    for v in registry.models(db):
        assert deps.artifacts.exists(v.artifact_sha256)
    assert all(not deps.artifacts.exists(sha) for sha in result.removed)
    registry.load(db, deps.artifacts, holder.ref)
    db.dispose()
