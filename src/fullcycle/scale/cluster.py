"""A Dask scheduler and workers as separate processes on this machine (tests, bench, trying out).

A real cluster is started with ``dask scheduler`` and ``dask worker ADDRESS`` on the machines
(see docs/team.md); :class:`ProcessCluster` runs the same commands as child processes, waits
until every worker has joined, and stops them all on exit::

    with ProcessCluster(workers=2, folder=tmp) as cluster:
        executor = DaskExecutor(cluster.address)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from fullcycle.errors import ExecutorError

__all__ = ["ProcessCluster"]


class ProcessCluster:
    """``dask scheduler`` on 127.0.0.1 (a free port) and ``workers`` ``dask worker`` processes."""

    def __init__(
        self,
        folder: str | Path,
        *,
        workers: int = 2,
        threads_per_worker: int = 1,
        memory_limit: str = "0",
        start_timeout_s: float = 60.0,
        env: dict[str, str] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.n_workers = workers
        self.threads = threads_per_worker
        self.memory_limit = memory_limit
        self.start_timeout_s = start_timeout_s
        self.env = {**os.environ, **(env or {})}
        self.scheduler: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.address = ""

    def _spawn(self, args: list[str], log: str) -> subprocess.Popen[bytes]:
        out = open(self.folder / log, "wb")  # noqa: SIM115 - the child owns it until it exits
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "dask", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )
        finally:
            out.close()

    def start(self) -> ProcessCluster:
        self.folder.mkdir(parents=True, exist_ok=True)
        sched_file = self.folder / "scheduler.json"
        sched_file.unlink(missing_ok=True)
        self.scheduler = self._spawn(
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(sched_file),
            ],
            "scheduler.log",
        )
        deadline = time.monotonic() + self.start_timeout_s
        self.address = self._wait_for_file(sched_file, deadline)
        for i in range(self.n_workers):
            self.workers.append(self._start_worker(i))
        self.wait_for_workers(self.n_workers, deadline)
        return self

    def _start_worker(self, i: int) -> subprocess.Popen[bytes]:
        return self._spawn(
            [
                "worker",
                self.address,
                "--host",
                "127.0.0.1",
                "--nthreads",
                str(self.threads),
                "--nworkers",
                "1",
                "--memory-limit",
                self.memory_limit,
                "--no-dashboard",
                "--name",
                f"worker-{i}",
                "--local-directory",
                str(self.folder / f"worker-{i}"),
            ],
            f"worker-{i}.log",
        )

    def _wait_for_file(self, path: Path, deadline: float) -> str:
        while time.monotonic() < deadline:
            if self.scheduler is not None and self.scheduler.poll() is not None:
                raise ExecutorError(f"dask scheduler exited: {self._tail('scheduler.log')}")
            with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
                return str(json.loads(path.read_text())["address"])
            time.sleep(0.1)
        raise ExecutorError("dask scheduler did not start in time", hint="see scheduler.log")

    def wait_for_workers(self, n: int, deadline: float | None = None) -> None:
        from distributed import Client

        deadline = deadline or time.monotonic() + self.start_timeout_s
        with Client(self.address, timeout=10, set_as_default=False) as client:
            while len(client.scheduler_info(n_workers=-1)["workers"]) < n:
                if time.monotonic() > deadline:
                    raise ExecutorError(
                        f"only {len(client.scheduler_info()['workers'])} of {n} dask workers "
                        f"joined {self.address}",
                        hint=f"see the worker logs in {self.folder}",
                    )
                time.sleep(0.1)

    def kill_worker(self, i: int) -> None:
        """SIGKILL worker ``i`` and its nanny's children (a crash, not a shutdown)."""
        proc = self.workers[i]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def _tail(self, log: str) -> str:
        with contextlib.suppress(OSError):
            return (self.folder / log).read_text(errors="replace")[-2000:]
        return ""

    def close(self) -> None:
        procs = [*self.workers, *([self.scheduler] if self.scheduler else [])]
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.workers.clear()
        self.scheduler = None

    def __enter__(self) -> ProcessCluster:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: Any) -> None:
        self.close()
