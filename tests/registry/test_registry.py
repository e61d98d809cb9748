import os
import pickle
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import trainkit as kit
from fullcycle import registry
from fullcycle.errors import Conflict, GateRefused, IntegrityError, InvalidInput, UnsafeArtifact
from fullcycle.store import events as event_store
from fullcycle.train.spec import GateSpec, MetricSpec, TrainSpec
from fullcycle.train.trainer import TrainDeps, train

GATE = GateSpec(tolerance=0.01)


class Bomb:
    """Unpickling this would create a file; it must never be unpickled."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.path}",))


METRIC = MetricSpec("f1_macro", goal=0.6)


@pytest.fixture
def deps(tmp_path: Path, db_url: str) -> TrainDeps:
    frames = {f"d@{i}": kit.frame(n=400, seed=i) for i in range(1, 4)}
    noisy = kit.frame(n=400, seed=9)
    noisy["label"] = np.random.default_rng(0).choice(["no", "yes"], 400)
    frames["noise@1"] = noisy
    d = kit.deps(tmp_path, db_url, frames)
    yield d
    d.db.dispose()


def _run(deps: TrainDeps, ref: str = "d@1", **kw) -> str:  # type: ignore[no-untyped-def]
    return train(deps, kit.spec(**kw), ref, seed=1, learning_curve=False).run_id


def _kinds(deps: TrainDeps, subject: str) -> list[str]:
    return [e.kind for e in event_store.listing(deps.db, subject=subject)]


def test_register_stores_signature_classes_metrics_lineage_and_card(deps: TrainDeps) -> None:
    run_id = _run(deps)
    v = registry.register(deps.db, deps.artifacts, "latest", name="churn")
    assert v.ref == "churn:1" and v.run_id == run_id and v.status == "ready"
    assert v.classes == ["no", "yes"]
    assert [i["name"] for i in v.signature["inputs"]] == [n for n, _ in kit.FEATURES]
    assert v.metrics["metric"]["name"] == "f1_macro" and v.metrics["metric"]["ci"]
    assert v.lineage["dataset"] == "d@1" and v.lineage["run_id"] == run_id
    assert "scikit-learn" in v.lineage["library_versions"]
    assert v.card.startswith("# Model card: churn:1")
    for part in ("## Data", "95% CI", "## Slices", "## Limitations", "city"):
        assert part in v.card, part
    assert _kinds(deps, "churn:1") == ["model.register"]
    loaded = registry.load(deps.db, deps.artifacts, "churn:1")
    X = kit.frame(n=20, seed=3).drop(columns="label")
    assert set(loaded.estimator.predict(X)) <= {"no", "yes"}


def test_fifty_concurrent_registrations_are_numbered_1_to_50(deps: TrainDeps) -> None:
    run_id = _run(deps)
    with ThreadPoolExecutor(50) as pool:
        versions = list(
            pool.map(
                lambda _: registry.register(deps.db, deps.artifacts, run_id, name="churn").version,
                range(50),
            )
        )
    assert sorted(versions) == list(range(1, 51))
    assert [v.version for v in registry.models(deps.db, "churn")] == list(range(1, 51))


def test_the_gate_refuses_with_the_numbers_and_force_is_recorded(deps: TrainDeps) -> None:
    _run(deps)
    registry.register(deps.db, deps.artifacts, "latest", name="churn")
    strict = MetricSpec("f1_macro", goal=0.99)
    with pytest.raises(GateRefused, match=r"f1_macro 0\.\d{4} is below the scope goal 0.99"):
        registry.promote(deps.db, "churn:1", metric=strict, gate=GATE)
    assert registry.aliases(deps.db, "churn") == []
    with pytest.raises(InvalidInput, match="--reason"):
        registry.promote(deps.db, "churn:1", metric=strict, gate=GATE, force=True)
    done = registry.promote(
        deps.db, "churn:1", metric=strict, gate=GATE, force=True, reason="demo for the board"
    )
    assert done.forced and done.revision == 1
    forced = event_store.listing(deps.db, kind="model.promote.forced")[0]
    assert "demo for the board" in forced.message and "0.99" in forced.message
    assert "model.promote.refused" in _kinds(deps, "churn@production")


def test_a_version_worse_than_the_holder_is_refused(deps: TrainDeps) -> None:
    _run(deps)
    registry.register(deps.db, deps.artifacts, "latest", name="churn")
    registry.promote(deps.db, "churn:1", metric=METRIC, gate=GATE)
    _run(deps, "noise@1")
    registry.register(deps.db, deps.artifacts, "latest", name="churn")
    loose = MetricSpec("f1_macro", goal=0.1)
    with pytest.raises(GateRefused, match=r"worse than churn:1 \(production\)"):
        registry.promote(deps.db, "churn:2", metric=loose, gate=GATE)
    assert registry.resolve(deps.db, "churn@production").version == 1


def test_promote_allows_a_shortfall_of_gate_tolerance_and_ignores_the_loops_margin(
    deps: TrainDeps,
) -> None:
    spec = TrainSpec.from_scope(
        {"name": "churn", "task": "classification", "target": "label",
         "metric": {"name": "f1_macro"}, "gate": {"margin": 0.5, "tolerance": 0.25}}
    )  # fmt: skip
    assert spec.gate == GateSpec(tolerance=0.25)  # the loop's margin is not promote's
    _run(deps)
    registry.register(deps.db, deps.artifacts, "latest", name="churn")
    registry.promote(deps.db, "churn:1", metric=METRIC, gate=GATE)
    _run(deps, "noise@1")
    worse = registry.register(deps.db, deps.artifacts, "latest", name="churn")
    loose = MetricSpec("f1_macro", goal=0.1)
    holder = registry.resolve(deps.db, "churn:1").metrics["metric"]["value"]
    shortfall = holder - worse.metrics["metric"]["value"]
    assert shortfall > 0
    with pytest.raises(GateRefused, match="gate.tolerance"):
        registry.promote(deps.db, worse.ref, metric=loose, gate=GateSpec(tolerance=shortfall / 2))
    registry.promote(deps.db, worse.ref, metric=loose, gate=GateSpec(tolerance=shortfall * 1.01))
    assert registry.resolve(deps.db, "churn@production").version == worse.version


def test_two_concurrent_promotions_one_wins_the_other_conflicts(deps: TrainDeps) -> None:
    for ref in ("d@1", "d@2", "d@3"):
        _run(deps, ref)
        registry.register(deps.db, deps.artifacts, "latest", name="churn")
    registry.promote(deps.db, "churn:1", metric=METRIC, gate=GateSpec(tolerance=1.0))
    both_read = threading.Barrier(2)

    def rescore(mine, theirs):  # type: ignore[no-untyped-def]
        both_read.wait(timeout=30)  # both have read the holder's revision before either writes
        return mine.metrics["metric"]["value"], theirs.metrics["metric"]["value"]

    def attempt(ref: str) -> str:
        try:
            registry.promote(
                deps.db, ref, metric=METRIC, gate=GateSpec(tolerance=1.0), rescore=rescore
            )
            return "won"
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(attempt, ["churn:2", "churn:3"]))
    assert sorted(outcomes) == ["conflict", "won"]
    holder = registry.resolve(deps.db, "churn@production")
    assert holder.version in (2, 3)
    kinds = _kinds(deps, "churn@production")
    assert kinds.count("model.promote") == 2 and kinds.count("model.promote.conflict") == 1


def test_set_alias_is_compare_and_set(deps: TrainDeps) -> None:
    _run(deps)
    for _ in range(2):
        registry.register(deps.db, deps.artifacts, "latest", name="churn")
    assert registry.set_alias(deps.db, "churn", "challenger", 1, 0) == 1
    with pytest.raises(Conflict):
        registry.set_alias(deps.db, "churn", "challenger", 2, 0)
    assert registry.set_alias(deps.db, "churn", "challenger", 2, 1) == 2
    with pytest.raises(Conflict):
        registry.set_alias(deps.db, "churn", "challenger", 1, 1)
    assert registry.resolve(deps.db, "churn@challenger").version == 2


def test_a_tampered_artifact_is_refused_and_the_version_marked_corrupt(
    deps: TrainDeps, tmp_path: Path
) -> None:
    _run(deps)
    v = registry.register(deps.db, deps.artifacts, "latest", name="churn")
    path = tmp_path / "artifacts" / v.artifact_sha256[:2] / v.artifact_sha256
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.chmod(0o644)
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="corrupt"):
        registry.load(deps.db, deps.artifacts, "churn:1")
    assert registry.resolve(deps.db, "churn:1").status == "corrupt"
    assert "model.corrupt" in _kinds(deps, "churn:1")
    with pytest.raises(GateRefused, match="corrupt"):
        registry.promote(deps.db, "churn:1", metric=METRIC, gate=GATE)


def test_an_imported_pickle_is_never_opened_until_trusted(deps: TrainDeps, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    bomb = tmp_path / "model.pkl"
    bomb.write_bytes(pickle.dumps(Bomb(str(marker))))
    v = registry.import_file(deps.db, deps.artifacts, bomb, name="outside")
    assert v.format == "pickle" and not v.trusted
    with pytest.raises(UnsafeArtifact, match="not opened"):
        registry.load(deps.db, deps.artifacts, "outside:1")
    assert not marker.exists()
    good = tmp_path / "good.pkl"
    good.write_bytes(pickle.dumps(LogisticRegression().fit(np.eye(2), [0, 1])))
    registry.import_file(deps.db, deps.artifacts, good, name="outside")
    with pytest.raises(InvalidInput):
        registry.trust(deps.db, "outside:2", reason=" ", actor="admin")
    registry.trust(deps.db, "outside:2", reason="built by our CI", actor="admin")
    assert list(
        registry.load(deps.db, deps.artifacts, "outside:2").estimator.predict(np.eye(2))
    ) == [0, 1]
    assert not marker.exists()


def test_gc_removes_only_unreferenced_artifacts(deps: TrainDeps) -> None:
    _run(deps)
    v = registry.register(deps.db, deps.artifacts, "latest", name="churn")
    orphan = deps.artifacts.put_bytes(b"left behind by a crash")
    young = registry.gc(deps.db, deps.artifacts)  # default grace: nothing young is touched
    assert young.removed == [] and deps.artifacts.exists(orphan)
    result = registry.gc(deps.db, deps.artifacts, grace_s=0)
    assert result.removed == [orphan]
    assert not deps.artifacts.exists(orphan) and deps.artifacts.exists(v.artifact_sha256)
    registry.load(deps.db, deps.artifacts, "churn:1")
