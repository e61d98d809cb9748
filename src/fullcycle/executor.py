"""Where independent jobs run: one tiny interface, a local process pool by default.

``Executor.map(fn, items) -> list`` returns results in the order of ``items``. ``fn`` and the
items must be picklable (a module-level function), so the same call runs on a Dask cluster
when the scale-out executor implements this interface.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from fullcycle.errors import ExecutorError


class Executor(Protocol):
    workers: int

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]: ...


class SerialExecutor:
    """Runs jobs one after the other in this process (tests, debugging, one CPU)."""

    workers = 1

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        return [fn(item) for item in items]


class LocalExecutor:
    """A pool of fresh (spawned) processes; a crashed worker becomes an ExecutorError."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or min(4, os.cpu_count() or 1))

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        jobs = list(items)
        if not jobs:
            return []
        context = multiprocessing.get_context("spawn")
        try:
            with ProcessPoolExecutor(
                max_workers=min(self.workers, len(jobs)), mp_context=context
            ) as pool:
                return list(pool.map(fn, jobs))
        except BrokenProcessPool as exc:
            raise ExecutorError(
                f"a worker process died while running {len(jobs)} job(s): {exc}",
                hint="check memory; retry with fewer workers",
            ) from exc
