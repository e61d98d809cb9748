"""The time limit of one training run, and a fit that is stopped when it passes it.

Two settings limit a run: ``constraints.max_train_minutes`` (a constraint the model must live
within) and ``training.timeout_minutes`` (the training section's own timeout). When both are
set the stricter one applies, so neither promise is broken; the error names the setting that
stopped the run. The deadline counts from the start of the run (loading, fitting, evaluating).

A fit cannot be interrupted safely inside this process (a thread cannot be killed, and a
signal may land inside native code that holds locks), so when a limit is set the fit runs in
a child process that is killed at the deadline. Without a limit the fit runs in process and
pays nothing.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from dataclasses import dataclass
from typing import Any

from fullcycle.errors import ConfigError, ExecutorError, TrainingTimeout


@dataclass(frozen=True)
class TimeLimit:
    """``minutes`` for one run, and the scope setting it comes from (for the error)."""

    minutes: float
    setting: str

    @property
    def seconds(self) -> float:
        return self.minutes * 60.0

    def exceeded(self, run_id: str | None = None) -> TrainingTimeout:
        """The error for a run that went past this limit."""
        where = f"; run {run_id[:12]} is marked failed" if run_id else ""
        return TrainingTimeout(
            f"training took longer than {self.minutes:g} minutes ({self.setting}){where}",
            hint=f"raise {self.setting} in fullcycle.yaml, or train on fewer rows",
        )


def effective_limit(
    timeout_minutes: float | None, max_train_minutes: float | None
) -> TimeLimit | None:
    """The stricter of ``training.timeout_minutes`` and ``constraints.max_train_minutes``."""
    found = [
        TimeLimit(float(v), name)
        for v, name in (
            (timeout_minutes, "training.timeout_minutes"),
            (max_train_minutes, "constraints.max_train_minutes"),
        )
        if v is not None
    ]
    for limit in found:
        if not limit.minutes > 0:  # also NaN
            raise ConfigError(
                f"{limit.setting} must be a positive number of minutes, got {limit.minutes:g}",
                hint="fractions are fine (0.5 is 30 seconds); leave it empty (~) for no limit",
            )
    return min(found, key=lambda limit: limit.minutes) if found else None


def _fit_child(conn: Any, model: Any, X: Any, y: Any) -> None:
    """In the child: fit and send back ("ok", fitted) or ("error", exception or its text)."""
    try:
        outcome: tuple[str, Any] = ("ok", model.fit(X, y))
    except Exception as exc:
        outcome = ("error", exc)
    try:
        conn.send(outcome)
    except Exception:  # an unpicklable model or exception: send what went wrong as text
        text = "".join(traceback.format_exception_only(*_outcome_exc(outcome)))
        conn.send(("error", RuntimeError(text.strip()[-2000:])))
    finally:
        conn.close()


def _outcome_exc(outcome: tuple[str, Any]) -> tuple[type[BaseException], BaseException]:
    value = outcome[1]
    if isinstance(value, BaseException):
        return type(value), value
    return RuntimeError, RuntimeError(f"could not send the fitted {type(value).__name__} back")


#: imported once by the forkserver, so each fit's child starts with them loaded (a child
#: that imports scikit-learn and pandas itself pays seconds per fit)
PRELOAD = (
    "numpy",
    "pandas",
    "sklearn.pipeline",
    "sklearn.compose",
    "sklearn.preprocessing",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "fullcycle.train.features",
    "fullcycle.train.limits",
)


def _context() -> Any:
    """forkserver where the platform has it (a fork of a small clean server that has loaded
    :data:`PRELOAD`: fast, and safe with the threads of this process), else spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(PRELOAD))  # no effect once the server runs
    return ctx


def warm_up(limit: TimeLimit | None) -> None:
    """Start the forkserver now (it imports :data:`PRELOAD` in the background), so its start
    overlaps the run's loading and checks instead of delaying the fit; nothing without a limit."""
    if limit is None or multiprocessing.current_process().daemon:
        return
    if _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def fit_within(model: Any, X: Any, y: Any, limit: TimeLimit | None, deadline: float) -> Any:
    """``model.fit(X, y)``, stopped at ``deadline`` (``time.monotonic()``) when a limit is set.

    The fitted estimator comes back through the multiprocessing pipe, which pickles it. That
    is acceptable here, and only here: the child is our own process, started by us, running
    our code, so the bytes on that pipe are ours (models from elsewhere are never unpickled).
    """
    if limit is None:
        return model.fit(X, y)
    if multiprocessing.current_process().daemon:
        # a daemonic worker (a process pool, Dask) may not start children: fit here, then
        # fail the run after the fact if it went over
        fitted = model.fit(X, y)
        if time.monotonic() > deadline:
            raise limit.exceeded()
        return fitted
    return _fit_in_child(model, X, y, limit, deadline)


def _fit_in_child(model: Any, X: Any, y: Any, limit: TimeLimit, deadline: float) -> Any:
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_fit_child, args=(send, model, X, y), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(max(0.0, deadline - time.monotonic())):
            raise limit.exceeded()
        try:
            status, value = receive.recv()
        except EOFError:
            child.join(5)
            raise ExecutorError(
                f"the training process died (exit code {child.exitcode}) before it finished",
                hint="check memory; train on fewer rows",
            ) from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receive.close()
    if status == "error":
        raise value
    return value
