"""Hyper-parameter search trials on a Dask cluster: the same trials and scores as the local pool."""

from __future__ import annotations

from pathlib import Path

import pytest

import trainkit
from fullcycle.executor import LocalExecutor
from fullcycle.scale.cluster import ProcessCluster
from fullcycle.scale.dask_executor import DaskExecutor
from fullcycle.train.tuning import tune

SPACE = {"C": {"type": "float", "low": 0.01, "high": 10.0, "log": True}}


@pytest.mark.slow
# a Dask worker process may drop a store connection without closing it; that is the worker's
# garbage, not the trial results this test compares
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_tuning_trials_on_dask_equal_the_local_pool(
    cluster: ProcessCluster, tmp_path: Path, sqlite_template: Path
) -> None:
    import shutil

    data = {"churn@1": trainkit.frame(400, seed=3)}
    spec = trainkit.spec(search_space=SPACE)
    results = {}
    with DaskExecutor(cluster.address) as dask:
        for name, executor in (("local", LocalExecutor(2)), ("dask", dask)):
            folder = tmp_path / name
            folder.mkdir()
            shutil.copyfile(sqlite_template, folder / "fullcycle.db")
            deps = trainkit.deps(folder, f"sqlite:///{folder / 'fullcycle.db'}", data)
            results[name] = tune(deps, spec, "churn@1", trials=4, executor=executor, seed=1)
    local, remote = results["local"], results["dask"]
    assert [t["params"] for t in remote.trials] == [t["params"] for t in local.trials]
    assert [t["value"] for t in remote.trials] == [t["value"] for t in local.trials]
    assert all(t["value"] is not None for t in remote.trials)
    assert remote.best_params == local.best_params
