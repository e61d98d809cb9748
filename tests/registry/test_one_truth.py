"""One source of truth for what serves: the deployment row and the ``production`` alias move
together, in one transaction, whichever command moves them; no evidence, no promotion."""

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
from fullcycle.errors import Conflict, GateRefused
from fullcycle.serving.source import RegistrySource
from fullcycle.settings import Settings
from fullcycle.store import deployments
from fullcycle.store import events as event_store
from fullcycle.train.spec import GateSpec, MetricSpec
from fullcycle.train.trainer import TrainDeps, train

METRIC = MetricSpec("f1_macro", goal=0.6)
LOOSE = GateSpec(tolerance=1.0)


@pytest.fixture
def deps(tmp_path: Path, db_url: str) -> TrainDeps:
    d = kit.deps(tmp_path, db_url, {"d@1": kit.frame(n=300, seed=1)})
    yield d
    d.db.dispose()


def _version(deps: TrainDeps, seed: int = 1):  # type: ignore[no-untyped-def]
    train(deps, kit.spec(), "d@1", seed=seed, learning_curve=False)
    return registry.register(deps.db, deps.artifacts, "latest", name="churn")


def _served(deps: TrainDeps, tmp_path: Path, db_url: str) -> int | None:
    settings = Settings.from_env(
        {"FULLCYCLE_DATABASE_URL": db_url, "FULLCYCLE_ARTIFACT_URL": str(tmp_path / "artifacts")},
        project_dir=tmp_path,
    )
    source = RegistrySource(settings, model="churn")
    try:
        state = source.deployment()
        return None if state is None else state.production
    finally:
        source.db.dispose()


def test_after_a_deploy_promote_moves_what_serves(deps, tmp_path, db_url) -> None:
    one, two = _version(deps, 1), _version(deps, 2)
    deployments.set(deps.db, "churn", production=one.version, actor="test")
    assert registry.resolve(deps.db, "churn@production").version == one.version
    registry.promote(deps.db, two.ref, metric=METRIC, gate=LOOSE)
    assert deployments.current(deps.db, "churn").production == two.version
    assert _served(deps, tmp_path, db_url) == two.version
    assert registry.resolve(deps.db, "churn@production").version == two.version


def test_promote_keeps_a_canary_of_another_version_and_clears_its_own(deps) -> None:
    one, two, three = (_version(deps, s) for s in (1, 2, 3))
    deployments.set(
        deps.db, "churn", production=one.version, canary=two.version, canary_share=0.2,
        shadow=three.version, actor="test",
    )  # fmt: skip
    registry.promote(deps.db, two.ref, metric=METRIC, gate=LOOSE)
    now = deployments.current(deps.db, "churn")
    assert (now.production, now.canary, now.canary_share, now.shadow) == (2, None, 0.0, 3)


def test_set_alias_production_and_rollback_move_the_deployment_too(deps) -> None:
    one, two = _version(deps, 1), _version(deps, 2)
    registry.promote(deps.db, one.ref, metric=METRIC, gate=LOOSE)
    held = registry.aliases(deps.db, "churn")[0]
    registry.set_alias(deps.db, "churn", "production", two.version, held.revision)
    assert deployments.current(deps.db, "churn").production == two.version
    deployments.rollback(deps.db, "churn", actor="test")
    assert deployments.current(deps.db, "churn").production == one.version
    assert registry.resolve(deps.db, "churn@production").version == one.version


def test_a_stale_alias_revision_moves_nothing(deps) -> None:
    one, two = _version(deps, 1), _version(deps, 2)
    registry.promote(deps.db, one.ref, metric=METRIC, gate=LOOSE)
    before = deployments.current(deps.db, "churn")
    with pytest.raises(Conflict):
        registry.set_alias(deps.db, "churn", "production", two.version, 99)
    assert deployments.current(deps.db, "churn") == before
    assert registry.resolve(deps.db, "churn@production").version == one.version


def test_an_imported_model_without_evaluation_is_not_promoted(deps, tmp_path) -> None:
    import skops.io as sio
    from sklearn.dummy import DummyClassifier

    champion = _version(deps, 1)
    registry.promote(deps.db, champion.ref, metric=METRIC, gate=LOOSE)
    path = tmp_path / "x.skops"
    sio.dump(DummyClassifier().fit([[0], [1]], ["no", "yes"]), path)
    imported = registry.import_file(deps.db, deps.artifacts, path, name="churn")
    with pytest.raises(GateRefused, match="no evaluation on the scope's metric f1_macro"):
        registry.promote(deps.db, imported.ref, metric=METRIC, gate=LOOSE)
    with pytest.raises(GateRefused, match="no evidence"):
        registry.promote(deps.db, imported.ref, "challenger", metric=METRIC, gate=LOOSE)
    assert registry.resolve(deps.db, "churn@production").version == champion.version
    assert deployments.current(deps.db, "churn").production == champion.version
    refused = event_store.listing(deps.db, kind="model.promote.refused")
    assert len(refused) == 2 and "no evidence" in refused[0].message
    done = registry.promote(
        deps.db, imported.ref, metric=METRIC, gate=LOOSE, force=True, reason="vendor model"
    )
    assert done.forced and deployments.current(deps.db, "churn").production == imported.version
    (forced,) = event_store.listing(deps.db, kind="model.promote.forced")
    assert "vendor model" in forced.message and forced.data["forced"] is True


def test_a_version_evaluated_on_another_metric_has_no_evidence(deps) -> None:
    version = _version(deps, 1)
    with pytest.raises(GateRefused, match="no evaluation on the scope's metric accuracy"):
        registry.promote(deps.db, version.ref, metric=MetricSpec("accuracy"), gate=LOOSE)


CHILD = r"""
import sys
from fullcycle import registry
from fullcycle.errors import Conflict
from fullcycle.store import deployments
from fullcycle.store.db import Database
from fullcycle.train.spec import GateSpec, MetricSpec

db = Database.open(sys.argv[1])
metric, gate = MetricSpec("f1_macro", goal=0.1), GateSpec(tolerance=1.0)
i = 0
while True:
    i += 1
    if i == 3:
        print("ready", flush=True)
    try:
        step = i % 4
        if step == 0:
            registry.promote(db, f"churn:{1 + i % 3}", metric=metric, gate=gate)
        elif step == 1:
            deployments.set(db, "churn", production=1 + (i + 1) % 3, actor="child")
        elif step == 2:
            deployments.rollback(db, "churn", actor="child")
        else:
            held = registry.aliases(db, "churn")[0]
            registry.set_alias(db, "churn", "production", 1 + (i + 2) % 3, held.revision)
    except Conflict:
        pass
"""


@pytest.mark.slow
def test_kill_9_while_moving_production_never_leaves_a_dangling_alias(deps, db_url) -> None:
    for seed in (1, 2, 3):
        _version(deps, seed)
    registry.promote(deps.db, "churn:1", metric=METRIC, gate=LOOSE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    rng = random.Random(0)
    for _ in range(6):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, db_url], stdout=subprocess.PIPE, env=env
        )
        assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 0.5))  # kill at a random point, not a synchronisation
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        state = deployments.current(deps.db, "churn")
        alias = registry.resolve(deps.db, "churn@production")
        assert state is not None and alias.version == state.production
