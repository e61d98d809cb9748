"""The Dask executor: same results as the local pool, clear errors, worker crashes survived."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import distributed
import pytest
import scalekit as kit

from fullcycle.errors import ConfigError, ExecutorError
from fullcycle.executor import LocalExecutor, SerialExecutor
from fullcycle.scale.cluster import ProcessCluster
from fullcycle.scale.dask_executor import DaskExecutor, executor_for
from fullcycle.settings import Settings
from fullcycle.testing import wait_until


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_executor_for_follows_the_flag_and_the_setting(tmp_path: Path) -> None:
    plain = Settings.from_env({}, project_dir=tmp_path)
    with_dask = Settings.from_env(
        {"FULLCYCLE_DASK_SCHEDULER": "tcp://127.0.0.1:8786"}, project_dir=tmp_path
    )
    assert isinstance(executor_for(plain), LocalExecutor)
    assert isinstance(executor_for(plain, "local", workers=1), SerialExecutor)
    chosen = executor_for(with_dask)
    assert isinstance(chosen, DaskExecutor) and chosen.address == "tcp://127.0.0.1:8786"
    assert isinstance(executor_for(with_dask, "local"), LocalExecutor)
    with pytest.raises(ConfigError, match="FULLCYCLE_DASK_SCHEDULER"):
        executor_for(plain, "dask")
    with pytest.raises(ConfigError, match="'spark'"):
        executor_for(plain, "spark")


def test_unreachable_scheduler_is_a_clear_error_naming_the_address() -> None:
    address = f"tcp://127.0.0.1:{_closed_port()}"
    executor = DaskExecutor(address, connect_timeout_s=1)
    with pytest.raises(ExecutorError) as caught:
        executor.map(kit.square, [1, 2])
    assert address in str(caught.value)
    assert "--executor local" in str(caught.value)


def test_unreachable_scheduler_falls_back_to_local_only_when_asked() -> None:
    address = f"tcp://127.0.0.1:{_closed_port()}"
    executor = DaskExecutor(address, connect_timeout_s=1, fallback="local", local_workers=1)
    assert executor.map(kit.square, [1, 2, 3]) == [1, 4, 9]
    assert executor.is_local


def test_bad_fallback_and_empty_address_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="fallback"):
        DaskExecutor("tcp://127.0.0.1:1", fallback="spark")
    with pytest.raises(ConfigError, match="FULLCYCLE_DASK_SCHEDULER"):
        DaskExecutor("  ")


@pytest.mark.slow
def test_dask_results_equal_the_local_pool_in_order(cluster: ProcessCluster) -> None:
    items = list(range(40))
    with DaskExecutor(cluster.address) as executor:
        assert executor.workers == 2
        assert executor.map(kit.square, items) == SerialExecutor().map(kit.square, items)
        assert executor.map(kit.square, []) == []


@pytest.mark.slow
def test_job_exceptions_come_back_as_they_are(cluster: ProcessCluster, tmp_path: Path) -> None:
    with DaskExecutor(cluster.address) as executor:
        with pytest.raises(TypeError):
            executor.map(kit.square, ["a", None])
        with pytest.raises(FileNotFoundError):  # not mistaken for a lost scheduler
            executor.map(kit.read_bytes, [str(tmp_path / "missing")])
        assert executor.map(kit.square, [4]) == [16]


@pytest.mark.slow
def test_a_worker_killed_mid_job_leaves_the_job_to_the_other(tmp_path: Path) -> None:
    with ProcessCluster(tmp_path, workers=2, env={"PYTHONPATH": str(kit.HERE)}) as cluster:
        executor = DaskExecutor(cluster.address, job_timeout_s=120)
        out: dict[str, object] = {}

        def run() -> None:
            try:
                out["result"] = executor.map(kit.slow_square, list(range(12)))
            except BaseException as exc:  # pragma: no cover - reported below
                out["error"] = exc

        thread = threading.Thread(target=run)
        thread.start()
        with distributed.Client(cluster.address, timeout=30) as watcher:
            wait_until(  # both workers are busy with the first tasks
                lambda: sum(1 for tasks in watcher.processing().values() if tasks) == 2,
                timeout=60,
                what="both workers to be running tasks",
            )
        assert thread.is_alive()  # the job is not done: the kill lands mid-job
        cluster.kill_worker(0)
        thread.join(timeout=180)
        executor.close()
    assert "error" not in out, out.get("error")
    result = out["result"]
    assert isinstance(result, list)
    assert [value for value, _ in result] == [i * i for i in range(12)]
    # what the dead worker had computed was lost with it and computed again by the survivor
    assert len({pid for _, pid in result}) == 1


@pytest.mark.slow
def test_no_worker_left_times_out_cleanly(tmp_path: Path) -> None:
    with ProcessCluster(tmp_path, workers=1, env={"PYTHONPATH": str(kit.HERE)}) as cluster:
        cluster.kill_worker(0)
        executor = DaskExecutor(cluster.address, job_timeout_s=3)
        with pytest.raises(ExecutorError, match="did not finish within 3 s"):
            executor.map(kit.square, [1, 2])
        executor.close()
