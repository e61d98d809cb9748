"""Whether this process's prediction log can be written, and the alert that says it cannot.

The writer thread reports each failed and each successful write here. The first failure opens
the alert ``log.unwritable:<replica>`` (an ``alert.open`` event); the first success after it
closes the alert and records ``log.recovered`` with what was lost meanwhile. The store is
written from a short-lived thread, so a slow or down store never holds the writer.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from fullcycle.store.db import Database

__all__ = ["LogHealth"]

MAX_PENDING = 100  # store records kept while the store cannot take them


class LogHealth:
    """Counters and the writable / failing state of one Logbook."""

    def __init__(self, db: Database, replica: str, model: str) -> None:
        self.db, self.replica, self.model = db, replica, model
        self.problem: str | None = None  # why the log cannot be written now (None: it can)
        self.failing_since: float | None = None
        self.failures = 0  # failed write attempts
        self.writer_restarts = 0  # the writer loop died on an unexpected error and restarted
        self.reduced = 0  # records whose unwritable values were replaced by a description
        self.refused = 0  # strict records answered 503 because they could not be written
        self._lock = threading.Lock()
        self._store_lock = threading.Lock()
        self._todo: list[tuple[Any, tuple[Any, ...]]] = []

    @property
    def key(self) -> str:
        return f"log.unwritable:{self.replica}"

    def writable(self) -> bool:
        return self.problem is None

    def failed(self, exc: BaseException, *, dropped: int) -> None:
        """A write failed: mark the log unwritable; the first failure raises the alert."""
        with self._lock:
            self.failures += 1
            first = self.problem is None
            self.problem = f"{type(exc).__name__}: {exc}"[:300]
            if first:
                self.failing_since = time.time()
        if first:
            message = (
                f"the prediction log of {self.model} on {self.replica} cannot be written "
                f"({self.problem}); strict requests answer 503, fast ones are kept in memory "
                "up to the queue size, then counted as dropped"
            )
            self._in_background(
                self._open_alert, message, {"problem": self.problem, "dropped_total": dropped}
            )

    def succeeded(self, *, dropped: int) -> None:
        """A write went through: if the log was failing, close the alert and say what was lost."""
        if self.problem is None:  # the common case, without the lock
            return
        with self._lock:
            if self.problem is None:
                return
            since, problem = self.failing_since, self.problem
            self.problem, self.failing_since = None, None
        data = {
            "problem": problem,
            "down_s": round(time.time() - (since or time.time()), 3),
            "dropped_total": dropped,
            "refused_total": self.refused,
        }
        self._in_background(self._close_alert, data)

    def crashed(self, exc: BaseException) -> None:
        """The writer loop died on an unexpected error; it is restarted by its supervisor."""
        with self._lock:
            self.writer_restarts += 1
        message = f"the prediction log writer restarted after {type(exc).__name__}: {exc}"
        self._in_background(self._event, "log.writer_restarted", message[:500], {})

    def unclean_stop(self, rows: int) -> None:
        """A previous process left its log segments open (kill -9, a crash): they were sealed
        at this start (or, the store down then, as soon as it answered); say so with an alert,
        so a fault no one saw is still on record."""
        message = (
            f"a server of {self.model} stopped without closing its prediction log (killed or "
            f"crashed); {rows} logged record(s) it left were recovered by "
            f"{self.replica}"
        )
        self._in_background(
            self._raise, f"log.unclean_stop:{self.replica}", message, {"rows": rows}
        )

    def _raise(self, key: str, message: str, data: dict[str, Any]) -> None:
        from fullcycle.store import alerts

        alerts.raise_or_touch(self.db, key, message, data, actor=f"server:{self.replica}")

    def as_dict(self, *, written: int, dropped: int) -> dict[str, Any]:
        return {
            "writable": self.writable(),
            "problem": self.problem,
            "written": written,
            "dropped": dropped,
            "refused": self.refused,
            "reduced": self.reduced,
            "writer_restarts": self.writer_restarts,
        }

    # the store side (a background thread) -----------------------------------------------------
    def _in_background(self, fn: Any, *args: Any) -> None:
        """Record ``fn(*args)`` in the store, in order, from a short-lived thread. What the store
        refuses (it may sit on the same full disk) is kept and written with the next record,
        so an alert opened while nothing could be written is still on record afterwards."""
        with self._lock:
            self._todo.append((fn, args))
            del self._todo[:-MAX_PENDING]
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        with self._store_lock:
            while True:
                with self._lock:
                    if not self._todo:
                        return
                    fn, args = self._todo[0]
                try:
                    fn(*args)
                except Exception:  # the store is down too: retried with the next record
                    return
                with self._lock:
                    if self._todo and self._todo[0][0] is fn:
                        self._todo.pop(0)

    def _open_alert(self, message: str, data: dict[str, Any]) -> None:
        from fullcycle.store import alerts

        alerts.raise_or_touch(self.db, self.key, message, data, actor=f"server:{self.replica}")

    def _close_alert(self, data: dict[str, Any]) -> None:
        from fullcycle.store import alerts

        alerts.close_others(self.db, set(), prefix=self.key, actor=f"server:{self.replica}")
        message = (
            f"the prediction log of {self.model} on {self.replica} is written again after "
            f"{data['down_s']} s ({data['dropped_total']} record(s) dropped in total)"
        )
        self._event("log.recovered", message, data)

    def _event(self, kind: str, message: str, data: dict[str, Any]) -> None:
        from fullcycle.store import events

        with self.db.write() as conn:
            events.record(
                conn,
                kind,
                actor=f"server:{self.replica}",
                subject=self.model,
                message=message,
                data=data,
            )
