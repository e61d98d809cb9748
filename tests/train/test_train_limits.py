"""A training run past its time limit is stopped, marked failed and never registered."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml
from sklearn.base import BaseEstimator, ClassifierMixin

import trainkit as kit
from fullcycle import registry
from fullcycle.cli import main
from fullcycle.errors import ConfigError, InvalidInput, NotFound, ScopeError, TrainingTimeout
from fullcycle.executor import SerialExecutor
from fullcycle.project import Project
from fullcycle.store import runs as run_store
from fullcycle.train.limits import TimeLimit, effective_limit
from fullcycle.train.spec import TrainSpec
from fullcycle.train.trainer import MODEL_FILE, TrainDeps, train
from fullcycle.train.tuning import tune

SLOW = f"{__name__}:SlowClassifier"
LIMIT = TimeLimit(0.05, "training.timeout_minutes")  # 3 seconds


class SlowClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the majority class, after sleeping ``seconds`` in fit (far past any limit)."""

    def __init__(self, seconds: float = 600.0) -> None:
        self.seconds = seconds

    def fit(self, X, y):  # type: ignore[no-untyped-def]
        time.sleep(self.seconds)
        self.classes_, counts = np.unique(y, return_counts=True)
        return self

    def predict(self, X):  # type: ignore[no-untyped-def]
        return np.repeat(self.classes_[0], len(X))


@pytest.fixture
def deps(tmp_path: Path, db_url: str) -> Iterator[TrainDeps]:
    d = kit.deps(tmp_path, db_url, {"d@1": kit.frame(n=300)})
    yield d
    d.db.dispose()


def test_the_stricter_setting_is_the_limit_and_names_itself() -> None:
    assert effective_limit(None, None) is None
    assert effective_limit(0.5, None) == TimeLimit(0.5, "training.timeout_minutes")
    assert effective_limit(None, 30) == TimeLimit(30, "constraints.max_train_minutes")
    assert effective_limit(45, 30).setting == "constraints.max_train_minutes"
    assert effective_limit(2, 30) == TimeLimit(2, "training.timeout_minutes")
    with pytest.raises(ConfigError, match="training.timeout_minutes must be a positive"):
        effective_limit(0, None)
    with pytest.raises(ConfigError, match="constraints.max_train_minutes must be a positive"):
        effective_limit(None, -1)


def test_the_spec_reads_both_settings_from_the_scope() -> None:
    spec = TrainSpec.from_scope(
        {"task": "classification", "target": "y", "training": {"timeout_minutes": 0.25},
         "constraints": {"max_train_minutes": 30}, "users": ["support team", "checkout"]}
    )  # fmt: skip
    assert spec.time_limit == TimeLimit(0.25, "training.timeout_minutes")
    assert spec.users == ("support team", "checkout")


def test_a_run_past_its_limit_is_killed_marked_failed_and_not_registrable(
    deps: TrainDeps,
) -> None:
    with pytest.raises(TrainingTimeout, match=r"took longer than 0.05 minutes \(training.time"):
        train(deps, kit.spec(estimator=SLOW, params={}, time_limit=LIMIT), "d@1", seed=1)
    assert multiprocessing.active_children() == []  # the fitting child is gone
    (info,) = run_store.listing(deps.db, limit=5)
    assert info.status == "failed"
    assert info.error.startswith("training took longer than 0.05 minutes")
    assert MODEL_FILE not in info.artifacts
    with pytest.raises(NotFound, match="saved no model"):
        registry.register(deps.db, deps.artifacts, info.id, name="churn")
    assert registry.models(deps.db) == []


def test_a_fit_in_the_child_gives_the_same_model_as_in_process(deps: TrainDeps) -> None:
    limited = train(deps, kit.spec(time_limit=TimeLimit(5, "x")), "d@1", seed=3,
                    learning_curve=False)  # fmt: skip
    free = train(deps, kit.spec(), "d@1", seed=3, learning_curve=False)
    assert limited.metrics == pytest.approx(free.metrics)
    X = kit.frame(n=50, seed=7).drop(columns="label")
    assert list(limited.model.predict(X)) == list(free.model.predict(X))


def test_an_error_in_the_child_reaches_the_caller_as_before(deps: TrainDeps) -> None:
    bad = kit.spec(params={"max_iter": -1}, time_limit=TimeLimit(5, "x"))
    with pytest.raises(InvalidInput, match="rejected its params"):
        train(deps, bad, "d@1", seed=1)


def test_tuning_trials_past_the_limit_fail_with_the_reason(deps: TrainDeps) -> None:
    spec = kit.spec(
        estimator=SLOW,
        params={},
        time_limit=LIMIT,
        search_space={"seconds": {"type": "float", "low": 500, "high": 600}},
    )
    with pytest.raises(TrainingTimeout, match="took longer than 0.05 minutes"):
        tune(deps, spec, "d@1", trials=1, executor=SerialExecutor(), seed=1)
    runs = {r.name: r for r in run_store.listing(deps.db, limit=10)}
    assert runs["trial-0"].status == "failed"
    assert runs["trial-0"].error.startswith("training took longer than 0.05 minutes")
    assert runs["tune"].status == "failed"


def _project(tmp_path: Path, **training: object) -> Path:
    folder = tmp_path / "proj"
    Project.init(folder, "churn", target="label").close()
    kit.frame(n=300).to_csv(tmp_path / "churn.csv", index=False)
    with Project.open(folder) as p:
        p.add_data(tmp_path / "churn.csv", name="churn", infer_contract=True)
    scope = yaml.safe_load((folder / "fullcycle.yaml").read_text())
    scope["training"].update(training)
    (folder / "fullcycle.yaml").write_text(yaml.safe_dump(scope, sort_keys=False))
    return folder


def test_fullcycle_train_past_the_limit_exits_with_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _project(tmp_path, estimator=SLOW, params={}, timeout_minutes=0.05)
    code = main(["train", "--data", "churn@1", "-C", str(folder)])
    err = capsys.readouterr().err.strip()
    assert code == 12
    assert err.startswith("error: training took longer than 0.05 minutes (training.timeout_")
    assert len(err.splitlines()) == 1
    with Project.open(folder) as p:
        assert [r.status for r in p.runs()] == ["failed"]
        assert p.models() == []


def test_a_zero_or_negative_limit_in_the_scope_is_refused(tmp_path: Path) -> None:
    folder = _project(tmp_path, timeout_minutes=0)
    with pytest.raises(ScopeError, match="timeout_minutes"), Project.open(folder) as p:
        p.train_spec()
