"""The prediction log: every request, written off the request path with group commit.

Requests hand their records to a bounded queue; one writer thread appends them as JSON Lines to
this process's own segment file and fsyncs in groups. ``fast`` durability fsyncs at most every
``fsync_interval_s`` (a kill -9 loses at most that window; a clean shutdown loses nothing);
``strict`` makes each caller wait for the fsync that holds its records. A full queue makes
callers wait, then answer 503: records are never dropped silently. Segments are sealed into
Parquet (see :mod:`fullcycle.serving.segments`) by size, by age and on shutdown.

Nothing a request holds can stop the writer: records are serialised on the request side
(:mod:`fullcycle.serving.logsafe`), the writer loop is supervised (an unexpected error fails
the callers waiting on it, is counted and recorded, and the loop starts again; a writer thread
found dead is started again), a strict wait gives up after ``strict_timeout_s`` (503), and a
write that fails (a full disk) is truncated away: strict callers get 503 at once, fast records
wait in memory (up to ``queue_max``, then counted as dropped) and are written when space
returns. :mod:`fullcycle.serving.loghealth` holds the state, the counters and the alert.
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

from fullcycle.errors import ConfigError, StoreUnavailable
from fullcycle.serving import segments
from fullcycle.serving.loghealth import LogHealth
from fullcycle.serving.logsafe import encode_records
from fullcycle.serving.segments import read_log
from fullcycle.store.db import Database

__all__ = ["LogConfig", "Logbook", "read_log"]

_STOP = object()
SEAL_RETRY_S = 5.0
RETRY_S = 0.5  # while the log cannot be written, try again this often
RESTART_PAUSE_S = 0.05
PROBE_FREE_BYTES = 1024 * 1024  # an idle failing log is writable again once this much is free


@dataclass(frozen=True)
class LogConfig:
    durability: str = "fast"
    fsync_interval_s: float = 0.2
    segment_max_bytes: int = 64 * 1024 * 1024
    segment_max_age_s: float = 600.0
    queue_max: int = 20_000
    enqueue_timeout_s: float = 2.0
    strict_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.durability not in ("fast", "strict"):
            raise ConfigError(f"durability {self.durability!r} is not one of fast, strict")
        if not self.strict_timeout_s > 0:
            raise ConfigError(f"strict_timeout_s {self.strict_timeout_s!r} must be above 0")


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
        # locked under a name recovery does not read, then renamed: a recovery in another
        # process (or this one's sealer) never finds the new file unlocked and seals it away
        opening = self.path.with_suffix(segments.OPENING)
        self.fd = os.open(opening, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(opening, self.path)
        self.opened = time.monotonic()
        self.size = 0

    def write(self, data: bytes) -> None:
        """Append ``data`` whole, or (a full disk) cut the file back to before it and raise."""
        view = memoryview(data)
        try:
            while view:
                n = os.write(self.fd, view)
                view = view[n:]
        except OSError:
            with contextlib.suppress(OSError):  # a torn line would swallow the next record
                os.ftruncate(self.fd, self.size)
            raise
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
        self.health = LogHealth(db, self.replica, model)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=self.config.queue_max)
        self._seal_queue: queue.Queue[Any] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()
        self._stopped = False
        self._seq = 0
        self._seg: _Segment | None = None
        self._waiters: list[Any] = []  # strict callers whose records wait for the next fsync
        self._backlog: list[Any] = []  # fast records a failed write keeps for the next try
        self._backlog_n = 0
        self._dirty = False
        self._last_sync = time.monotonic()
        self._last_try = 0.0
        self.written = 0
        self.dropped = 0  # fast records that could not be written and did not fit the backlog
        self.recovered = 0
        self._recover_due = False  # a start's recovery met the store down: the sealer retries
        self.seal_errors = 0
        self.store_down = False  # the last seal failed: records wait on disk for the store

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Recover segments a killed process left, then start the writer and sealer threads."""
        self._recover_due = True
        self._recover()
        self._stopped = False
        for target, name in ((self._writer_main, "log-writer"), (self._seal_loop, "log-sealer")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _recover(self) -> None:
        """Seal what a killed process left; with the store down, the sealer tries again every
        ``SEAL_RETRY_S`` while this one runs (and once more at close), not only at the next
        start."""
        if not self._recover_due:
            return
        try:
            found = segments.recover(self.db, self.root, replica=self.replica, model=self.model)
        except Exception:  # the store is down: the files wait on disk meanwhile
            self.seal_errors += 1
            return
        self._recover_due = False
        self.recovered += found
        if found:
            self.health.unclean_stop(found)

    def close(self) -> None:
        """Write and fsync what is queued, seal every segment, stop the threads."""
        if not self._threads:
            return
        self._ensure_writer()
        self._queue.put(_STOP)
        self._threads[0].join()
        self._seal_queue.put(_STOP)
        self._threads[1].join()
        self._threads.clear()

    def depth(self) -> int:
        return self._queue.qsize()

    def writable(self) -> bool:
        """False while the log cannot be written (readiness says not ready meanwhile)."""
        return self.health.writable() and bool(self._threads) and self._threads[0].is_alive()

    def status(self) -> dict[str, Any]:
        return self.health.as_dict(written=self.written, dropped=self.dropped)

    # the request side ------------------------------------------------------------------------
    async def log(self, records: list[dict[str, Any]], *, wait: bool | None = None) -> None:
        """Queue records; in strict mode (or ``wait=True``) return once they are on disk."""
        if not self._threads:
            raise StoreUnavailable("the prediction log is not running", hint="restart the server")
        self._ensure_writer()
        data, reduced = encode_records(records)
        self.health.reduced += reduced
        must_wait = self.config.durability == "strict" if wait is None else wait
        loop = asyncio.get_running_loop()
        fut = loop.create_future() if must_wait else None
        item = (data, len(records), (loop, fut) if fut else None)
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
            await self._confirmed(fut)

    async def _confirmed(self, fut: Any) -> None:
        timeout = self.config.strict_timeout_s
        try:
            await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise StoreUnavailable(
                f"the prediction log did not confirm the write within {timeout:g} s",
                hint="the log folder may be full or slow; retry shortly",
            ) from None

    def _ensure_writer(self) -> None:
        """Start the writer thread again if it died (its supervisor catches what it can)."""
        if not self._threads or self._threads[0].is_alive() or self._stopped:
            return
        with self._start_lock:
            if not self._threads[0].is_alive() and not self._stopped:
                self.health.crashed(RuntimeError("the writer thread was found dead"))
                thread = threading.Thread(target=self._writer_main, name="log-writer", daemon=True)
                thread.start()
                self._threads[0] = thread

    # the writer thread -----------------------------------------------------------------------
    def _writer_main(self) -> None:
        """The supervised write loop: an unexpected error fails whoever waits, and it goes on."""
        while True:
            try:
                self._write_loop()
                self._stopped = True
                return
            except Exception as exc:
                self.health.crashed(exc)
                _reject(self._waiters, _unavailable(exc))
                self._waiters, self._dirty = [], False
                time.sleep(RESTART_PAUSE_S)

    def _new_segment(self) -> _Segment:
        self._seq += 1
        return _Segment(self.root, self.replica, self._seq)

    def _write_loop(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = self._take(self._timeout())
            if self._backlog and (stopping or time.monotonic() - self._last_try >= RETRY_S):
                batch, self._backlog, self._backlog_n = self._backlog + batch, [], 0
            if batch:
                self._append(batch)
            elif self.health.problem is not None and not self._backlog:
                self._probe()
            self._sync_if_due(stopping)
            if not stopping and self._seg is not None and self._rotate_due(self._seg):
                self._seal_queue.put(self._seg)
                self._seg = None
        if self._backlog:  # the disk is still full at shutdown: counted, never silent
            self.dropped += self._backlog_n
            self._backlog, self._backlog_n = [], 0
        if self._seg is not None:
            self._seal_queue.put(self._seg)
            self._seg = None

    def _timeout(self) -> float | None:
        if self._dirty:
            return max(0.0, self.config.fsync_interval_s - (time.monotonic() - self._last_sync))
        if self._backlog or self.health.problem is not None:
            return RETRY_S
        return 1.0 if self._seg is not None and self._seg.size else None

    def _append(self, batch: list[Any]) -> None:
        self._last_try = time.monotonic()
        try:
            if self._seg is None:
                self._seg = self._new_segment()
            self._seg.write(b"".join(data for data, _, _ in batch))
        except OSError as exc:
            self._write_failed(exc, batch)
            return
        except Exception as exc:  # a bug: its callers hear it now, the supervisor restarts
            _reject([w for _, _, w in batch if w is not None], _unavailable(exc))
            self.dropped += sum(n for _, n, w in batch if w is None)
            raise
        self.written += sum(n for _, n, _ in batch)
        self._waiters.extend(waiter for _, _, waiter in batch if waiter is not None)
        self._dirty = True
        self.health.succeeded(dropped=self.dropped)

    def _write_failed(self, exc: OSError, batch: list[Any]) -> None:
        """Strict callers get 503 now; fast records wait in memory while there is room."""
        refusal = _unavailable(exc)
        for data, n, waiter in batch:
            if waiter is not None:
                self.health.refused += n
                _reject([waiter], refusal)
            elif self._backlog_n + n <= self.config.queue_max:
                self._backlog.append((data, n, None))
                self._backlog_n += n
            else:
                self.dropped += n
        self.health.failed(exc, dropped=self.dropped)

    def _probe(self) -> None:
        """With nothing to write, find out whether the log folder takes writes again."""
        try:
            stats = os.statvfs(self.root)
            if stats.f_bavail * stats.f_frsize < PROBE_FREE_BYTES:
                raise OSError(28, "no space left on the prediction log's device")
            if self._seg is None:
                self._seg = self._new_segment()
            self._seg.write(b"\n")  # a blank line: readers skip it
            os.fdatasync(self._seg.fd)
        except OSError as exc:
            self.health.failed(exc, dropped=self.dropped)
            return
        self.health.succeeded(dropped=self.dropped)

    def _sync_if_due(self, stopping: bool) -> None:
        waiters = self._waiters
        due = time.monotonic() - self._last_sync >= self.config.fsync_interval_s
        if not (self._dirty or waiters) or not (stopping or waiters or due):
            return
        if self._dirty and self._seg is not None:
            try:
                os.fdatasync(self._seg.fd)
            except OSError as exc:
                self._waiters, self._dirty = [], False
                self.health.refused += len(waiters)
                _reject(waiters, _unavailable(exc))
                self.health.failed(exc, dropped=self.dropped)
                return
        self._last_sync = time.monotonic()
        self._dirty = False
        self._waiters = []
        _resolve(waiters)

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
            retry = pending or self._recover_due
            try:
                seg = self._seal_queue.get(timeout=SEAL_RETRY_S if retry else None)
            except queue.Empty:
                seg = None
            if seg is not None and seg is not _STOP:
                pending.append(seg)
            pending = [p for p in pending if not self._seal(p)]
            self._recover()
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


def _reject(waiters: list[Any], exc: BaseException) -> None:
    for loop, fut in waiters:
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_fail, fut, exc)


def _fail(fut: Any, exc: BaseException) -> None:
    if not fut.done():
        fut.set_exception(exc)


def _unavailable(exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(
        f"the prediction log cannot be written ({type(exc).__name__}: {exc})"[:400],
        hint="free space in the log folder; the server resumes writing by itself",
    )
