"""The prediction log: every request, written off the request path with group commit.

Requests hand their records to a bounded queue; one writer thread appends them as JSON Lines to
this process's own segment file and fsyncs in groups. ``fast`` durability fsyncs at most every
``fsync_interval_s`` (a kill -9 loses at most that window; a clean shutdown loses nothing);
``strict`` makes each caller wait for the fsync that holds its records. A full queue makes
callers wait, then answer 503: records are never dropped silently. Segments are sealed into
Parquet (see :mod:`fullcycle.serving.segments`) by size, by age and on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import queue
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from fullcycle.errors import ConfigError, StoreUnavailable
from fullcycle.serving import segments
from fullcycle.serving.segments import read_log
from fullcycle.store.db import Database

__all__ = ["LogConfig", "Logbook", "read_log"]

_STOP = object()
SEAL_RETRY_S = 5.0


@dataclass(frozen=True)
class LogConfig:
    durability: str = "fast"
    fsync_interval_s: float = 0.2
    segment_max_bytes: int = 64 * 1024 * 1024
    segment_max_age_s: float = 600.0
    queue_max: int = 20_000
    enqueue_timeout_s: float = 2.0

    def __post_init__(self) -> None:
        if self.durability not in ("fast", "strict"):
            raise ConfigError(f"durability {self.durability!r} is not one of fast, strict")


class _Segment:
    """The open JSON Lines file, locked so recovery in another process leaves it alone."""

    def __init__(self, root: Path, replica: str, seq: int) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        # the random part keeps two writers with one replica name (a restarted process with the
        # same pid, two Logbooks in one process) within one second from sharing a name: sealed
        # files are named after their segment, and a shared name would overwrite the other's
        unique = os.urandom(4).hex()
        self.path = root / segments.ACTIVE / f"{replica}-{stamp}-{seq:05d}-{unique}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.opened = time.monotonic()
        self.size = 0

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        self.size += len(data)


class Logbook:
    """One process's prediction log writer. ``start()``, ``await log(records)``, ``close()``."""

    def __init__(
        self,
        db: Database,
        root: str | Path,
        *,
        model: str,
        replica: str | None = None,
        config: LogConfig | None = None,
    ) -> None:
        self.db = db
        self.root = Path(root)
        self.model = model
        self.replica = replica or f"{socket.gethostname()}-{os.getpid()}"
        self.config = config or LogConfig()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=self.config.queue_max)
        self._seal_queue: queue.Queue[Any] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._seq = 0
        self.written = 0
        self.dropped = 0  # stays 0: a full queue blocks or refuses, it never drops
        self.recovered = 0
        self.seal_errors = 0
        self.store_down = False  # the last seal failed: records wait on disk for the store

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Recover segments a killed process left, then start the writer and sealer threads."""
        try:
            self.recovered = segments.recover(
                self.db, self.root, replica=self.replica, model=self.model
            )
        except Exception:  # the store is down: the files wait on disk for the next start
            self.seal_errors += 1
        for target, name in ((self._write_loop, "log-writer"), (self._seal_loop, "log-sealer")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        """Write and fsync what is queued, seal every segment, stop the threads."""
        if not self._threads:
            return
        self._queue.put(_STOP)
        self._threads[0].join()
        self._seal_queue.put(_STOP)
        self._threads[1].join()
        self._threads.clear()

    def depth(self) -> int:
        return self._queue.qsize()

    # the request side ------------------------------------------------------------------------
    async def log(self, records: list[dict[str, Any]], *, wait: bool | None = None) -> None:
        """Queue records; in strict mode (or ``wait=True``) return once they are on disk."""
        if not self._threads:
            raise StoreUnavailable("the prediction log is not running", hint="restart the server")
        must_wait = self.config.durability == "strict" if wait is None else wait
        loop = asyncio.get_running_loop()
        fut = loop.create_future() if must_wait else None
        item = (records, (loop, fut) if fut else None)
        deadline = time.monotonic() + self.config.enqueue_timeout_s
        while True:
            try:
                self._queue.put_nowait(item)
                break
            except queue.Full:
                if time.monotonic() > deadline:
                    raise StoreUnavailable(
                        f"the prediction log queue is full ({self.config.queue_max} requests)",
                        hint="the server is overloaded; retry shortly",
                    ) from None
                await asyncio.sleep(0.005)
        if fut is not None:
            await fut

    # the writer thread -----------------------------------------------------------------------
    def _new_segment(self) -> _Segment:
        self._seq += 1
        return _Segment(self.root, self.replica, self._seq)

    def _write_loop(self) -> None:
        seg = self._new_segment()
        waiters: list[Any] = []
        last_sync = time.monotonic()
        stopping = dirty = False
        interval = self.config.fsync_interval_s
        while not stopping:
            if dirty:
                timeout: float | None = max(0.0, interval - (time.monotonic() - last_sync))
            else:
                timeout = 1.0 if seg.size else None
            batch, stopping = self._take(timeout)
            data: list[bytes] = []
            for records, waiter in batch:
                data.extend(orjson.dumps(r, default=str) + b"\n" for r in records)
                if waiter is not None:
                    waiters.append(waiter)
            if data:
                seg.write(b"".join(data))
                self.written += len(data)
                dirty = True
            due = time.monotonic() - last_sync >= interval
            if (dirty or waiters) and (stopping or waiters or due):
                if dirty:
                    os.fdatasync(seg.fd)
                last_sync = time.monotonic()
                dirty = False
                _resolve(waiters)
                waiters = []
            if not stopping and self._rotate_due(seg):
                self._seal_queue.put(seg)
                seg = self._new_segment()
        self._seal_queue.put(seg)

    def _take(self, timeout: float | None) -> tuple[list[Any], bool]:
        try:
            first = self._queue.get(timeout=timeout)
        except queue.Empty:
            return [], False
        if first is _STOP:
            return [], True
        batch = [first]
        while len(batch) < 4096:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            batch.append(item)
        return batch, False

    def _rotate_due(self, seg: _Segment) -> bool:
        if seg.size >= self.config.segment_max_bytes:
            return True
        return seg.size > 0 and time.monotonic() - seg.opened >= self.config.segment_max_age_s

    # the sealer thread -----------------------------------------------------------------------
    def _seal_loop(self) -> None:
        """Seal closed segments; when the store is down, keep them and retry (they are already
        durable on disk, so nothing is lost meanwhile)."""
        pending: list[_Segment] = []
        while True:
            try:
                seg = self._seal_queue.get(timeout=SEAL_RETRY_S if pending else None)
            except queue.Empty:
                seg = None
            if seg is not None and seg is not _STOP:
                pending.append(seg)
            pending = [p for p in pending if not self._seal(p)]
            if seg is _STOP:
                for p in pending:  # left for the next start's recovery
                    with contextlib.suppress(OSError):
                        os.close(p.fd)
                return

    def _seal(self, seg: _Segment) -> bool:
        try:
            if seg.size:
                segments.seal(self.db, self.root, seg.path, replica=self.replica, model=self.model)
            else:
                seg.path.unlink(missing_ok=True)
        except Exception:
            self.seal_errors += 1
            self.store_down = True
            return False
        self.store_down = False
        with contextlib.suppress(OSError):
            os.close(seg.fd)
        return True


def _resolve(waiters: list[Any]) -> None:
    by_loop: dict[Any, list[Any]] = {}
    for loop, fut in waiters:
        by_loop.setdefault(loop, []).append(fut)
    for loop, futs in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(_set_all, futs)


def _set_all(futs: list[Any]) -> None:
    for fut in futs:
        if not fut.done():
            fut.set_result(None)
