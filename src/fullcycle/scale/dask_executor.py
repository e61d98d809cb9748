"""Jobs on a Dask cluster, behind the same small interface as the local process pool.

``DaskExecutor(address).map(fn, items)`` submits one task per item to the scheduler at
``address`` and returns the results in the order of ``items``, like ``LocalExecutor.map``. What
can go wrong, and what the caller sees:

- the scheduler cannot be reached within ``connect_timeout_s`` -> :class:`ExecutorError` naming
  the address (or, only with ``fallback="local"``, the job runs on the local pool instead);
- a worker dies mid-job -> the scheduler moves its tasks to the remaining workers; a task that
  has killed ``allowed-failures`` workers, or a job with no worker left for ``job_timeout_s``,
  fails with :class:`ExecutorError`. ``map`` returns everything or raises: callers write their
  output only after ``map`` returned, so no partial output is ever recorded as complete;
- ``fn`` itself raises -> the same exception, as with the local pool (``retries`` reruns a
  failed task that many times first; 0 by default, like the local pool).

:func:`executor_for` picks the executor from ``--executor`` and ``FULLCYCLE_DASK_SCHEDULER``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from fullcycle.errors import ConfigError, ExecutorError
from fullcycle.executor import Executor, LocalExecutor, SerialExecutor
from fullcycle.settings import Settings

__all__ = ["DaskExecutor", "executor_for"]

EXECUTORS = ("local", "dask", "serial")
FALLBACKS = (None, "local")
_log = logging.getLogger(__name__)


def _dask_missing() -> ConfigError:
    return ConfigError(
        "the Dask executor needs dask.distributed",
        hint="pip install 'fullcycle[dask]'",
    )


class DaskExecutor:
    """Runs ``map`` on the Dask scheduler at ``address`` (``tcp://host:port``)."""

    def __init__(
        self,
        address: str,
        *,
        connect_timeout_s: float = 5.0,
        job_timeout_s: float | None = None,
        retries: int = 0,
        fallback: str | None = None,
        local_workers: int | None = None,
    ) -> None:
        if not isinstance(address, str) or not address.strip():
            raise ConfigError(
                "the Dask scheduler address is empty",
                hint="set FULLCYCLE_DASK_SCHEDULER=tcp://HOST:PORT",
            )
        if fallback not in FALLBACKS:
            raise ConfigError(f"fallback={fallback!r} is not one of None, 'local'")
        self.address = address.strip()
        self.connect_timeout_s = connect_timeout_s
        self.job_timeout_s = job_timeout_s
        self.retries = retries
        self.fallback = fallback
        self.local_workers = local_workers
        self._client: Any = None
        self._local: Executor | None = None
        self._workers: int | None = None

    # -- connection ------------------------------------------------------------------------------
    def _connect(self) -> Any:
        if self._client is not None or self._local is not None:
            return self._client
        try:
            from distributed import Client
        except ImportError as exc:
            raise _dask_missing() from exc
        try:
            self._client = Client(
                self.address, timeout=self.connect_timeout_s, set_as_default=False
            )
        except (OSError, TimeoutError, ValueError) as exc:
            if self.fallback == "local":
                _log.warning("Dask scheduler %s unreachable; running locally", self.address)
                self._local = LocalExecutor(self.local_workers)
                return None
            raise ExecutorError(
                f"cannot reach the Dask scheduler at {self.address} "
                f"within {self.connect_timeout_s:g} s: {type(exc).__name__}",
                hint="start it (dask scheduler), check FULLCYCLE_DASK_SCHEDULER, "
                "or pass --executor local",
            ) from exc
        return self._client

    @property
    def workers(self) -> int:
        """Threads across the cluster's workers (at least 1): how many jobs run at once.

        Callers that batch their jobs (the tuner asks this many trials at a time) may set it.
        """
        if self._workers is not None:
            return self._workers
        client = self._connect()
        if client is None:
            assert self._local is not None
            return self._local.workers
        info = client.scheduler_info(n_workers=-1)["workers"]
        return max(1, sum(int(w.get("nthreads", 1)) for w in info.values()))

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = max(1, int(value))

    @property
    def is_local(self) -> bool:
        """True when the scheduler was unreachable and ``fallback="local"`` took over."""
        self._connect()
        return self._local is not None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- jobs ------------------------------------------------------------------------------------
    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """``[fn(item) for item in items]`` on the cluster, in order; all or an exception."""
        jobs = list(items)
        if not jobs:
            return []
        client = self._connect()
        if client is None:
            assert self._local is not None
            return self._local.map(fn, jobs)
        from distributed import wait
        from distributed.comm.core import CommClosedError

        name = getattr(fn, "__name__", "job")
        keys = [f"fullcycle-{name}-{uuid.uuid4().hex[:12]}-{i}" for i in range(len(jobs))]
        futures = client.map(fn, jobs, key=keys, pure=False, retries=self.retries)
        try:
            with client.as_current():
                wait(futures, timeout=self.job_timeout_s)
            return list(client.gather(futures, errors="raise"))
        except TimeoutError as exc:
            raise ExecutorError(
                f"{len(jobs)} job(s) on {self.address} did not finish within "
                f"{self.job_timeout_s:g} s",
                hint="check that workers are connected (dask worker ADDRESS)",
            ) from exc
        except (CommClosedError, OSError) as exc:
            if client.status == "running" and not isinstance(exc, CommClosedError):
                raise  # the job's own OSError (a missing file, ...), as the local pool gives it
            raise ExecutorError(
                f"lost the Dask scheduler at {self.address} during {len(jobs)} job(s): {exc}",
                hint="restart the scheduler and retry",
            ) from exc
        except Exception as exc:
            if type(exc).__name__ == "KilledWorker":
                raise ExecutorError(
                    f"a job on {self.address} killed every worker that ran it: {exc}",
                    hint="check the workers' memory limits and logs; nothing was written",
                ) from exc
            raise
        finally:
            client.cancel(futures)


def executor_for(
    settings: Settings,
    name: str | None = None,
    *,
    workers: int | None = None,
    fallback: str | None = None,
) -> Executor:
    """The executor ``name`` asks for (``local``, ``dask`` or ``serial``).

    With no name: Dask when ``settings.dask_scheduler`` (``FULLCYCLE_DASK_SCHEDULER``) is set,
    else the local process pool. ``dask`` without a scheduler address is a ConfigError.
    """
    if name is not None and name not in EXECUTORS:
        raise ConfigError(
            f"--executor {name!r} is not one of {', '.join(EXECUTORS)}",
            hint="use --executor dask with FULLCYCLE_DASK_SCHEDULER set, or local",
        )
    chosen = name or ("dask" if settings.dask_scheduler else "local")
    if chosen == "serial" or (chosen == "local" and workers == 1):
        return SerialExecutor()
    if chosen == "local":
        return LocalExecutor(workers)
    if not settings.dask_scheduler:
        raise ConfigError(
            "--executor dask needs the scheduler's address",
            hint="set FULLCYCLE_DASK_SCHEDULER=tcp://HOST:PORT (dask scheduler prints it)",
        )
    return DaskExecutor(settings.dask_scheduler, fallback=fallback, local_workers=workers)
