"""The serving runtime: the current deployment as one reference, routing, logging, and swaps.

A request reads :attr:`Runtime.active` once, so it is served whole by one version. A watcher
polls the deployment revision (``reload()`` nudges it); a change is loaded beside what serves,
checked on reference rows, then swapped in by assigning one attribute. A version that fails the
check is refused, recorded as an event, and the old deployment keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from fullcycle import clock
from fullcycle.errors import ModelCheckFailed, NotFound, StoreUnavailable
from fullcycle.serving.batcher import MicroBatcher, Outcome
from fullcycle.serving.logbook import Logbook
from fullcycle.serving.models import DeploymentState, LoadedModel, ModelSource, check_model
from fullcycle.serving.segments import logged_ids
from fullcycle.store import events, logs
from fullcycle.store.db import Database

RETIRE_AFTER_S = 5.0
RECENT_IDS = 100_000
MAX_SHADOW_PENDING = 1000


@dataclass(frozen=True)
class Served:
    model: LoadedModel
    batcher: MicroBatcher


@dataclass(frozen=True)
class Active:
    state: DeploymentState
    production: Served
    canary: Served | None = None
    shadow: Served | None = None

    def served(self) -> dict[int, Served]:
        found = {self.production.model.version: self.production}
        for s in (self.canary, self.shadow):
            if s is not None:
                found[s.model.version] = s
        return found


@dataclass(frozen=True)
class Prediction:
    request_id: str
    model: str
    version: int
    route: str
    outcome: Outcome


@dataclass
class SwapReport:
    revision: int | None
    swapped: bool
    error: str | None = None
    versions: list[int] = field(default_factory=list)


def canary_bucket(request_id: str) -> float:
    """A stable number in [0, 1) from the request id: the same id always lands the same side."""
    digest = hashlib.blake2b(request_id.encode("utf-8", "replace"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def log_rows(
    request_id: str,
    model: str,
    version: int | None,
    route: str,
    records: list[Any],
    outcome: Outcome | None,
    latency_ms: float,
    status: int,
    error: str | None = None,
) -> list[dict[str, Any]]:
    """The prediction-log records of one request: one per row (one for a rejected request)."""
    ts = clock.now()
    base = {
        "request_id": request_id,
        "ts": ts,
        "model": model,
        "version": version,
        "route": route,
        "status": status,
        "latency_ms": round(latency_ms, 3),
    }
    if outcome is None or outcome.violations or not outcome.predictions:
        if outcome is not None and outcome.violations:
            error = error or "; ".join(
                f"{v.row}/{v.field}: {v.problem}" for v in outcome.violations[:20]
            )
        shown = records[:100] if isinstance(records, list) else None
        return [{**base, "row": -1, "inputs": shown, "output": None, "proba": None, "error": error}]
    proba = outcome.proba
    flags = outcome.flags or {}
    return [
        {
            **base,
            "row": i,
            "inputs": rec,
            "output": outcome.predictions[i],
            "proba": None if proba is None else proba[i],
            "error": None,
            "flags": flags.get(i),  # soft contract violations: served, counted by monitoring
        }
        for i, rec in enumerate(records)
    ]


class Runtime:
    """Holds the deployment, routes requests, logs them, and swaps versions safely."""

    def __init__(
        self,
        source: ModelSource,
        logbook: Logbook,
        *,
        db: Database | None = None,
        max_batch: int = 32,
        max_wait_ms: float = 2.0,
        poll_s: float = 1.0,
        on_batch: Any = None,
    ) -> None:
        self.source = source
        self.logbook = logbook
        self.db = db
        self.max_batch, self.max_wait_ms, self.poll_s = max_batch, max_wait_ms, poll_s
        self.on_batch = on_batch
        self.active: Active | None = None
        self.last_report: SwapReport | None = None
        self._refused: int | None = None
        self._lock: asyncio.Lock | None = None
        self._nudge: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._watcher: asyncio.Task[None] | None = None
        self._retiring: set[asyncio.Task[Any]] = set()
        self._retired: list[Served] = []
        self._recent: dict[str, None] = {}
        self.shadow_skipped = 0  # ids this process answered lately, for feedback

    @property
    def model_name(self) -> str:
        return self.logbook.model

    async def start(self) -> None:
        self._lock, self._nudge = asyncio.Lock(), asyncio.Event()
        with contextlib.suppress(Exception):  # not ready yet; the watcher retries
            await self.refresh()
        self._watcher = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        for task in list(self._retiring):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        left = list(self.active.served().values()) if self.active else []
        for served in left + self._retired:
            await served.batcher.close()

    async def _watch(self) -> None:
        assert self._nudge is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._nudge.wait(), self.poll_s)
            self._nudge.clear()
            with contextlib.suppress(Exception):
                await self.refresh()

    def nudge(self) -> None:
        if self._nudge is not None:
            self._nudge.set()

    # swapping --------------------------------------------------------------------------------
    async def refresh(self, *, force: bool = False) -> SwapReport:
        """Apply the store's deployment if it changed; the report says what happened."""
        assert self._lock is not None
        async with self._lock:
            loop = asyncio.get_running_loop()
            state = await loop.run_in_executor(None, self.source.deployment)
            current = self.active.state.revision if self.active else None
            if state is None or state.production is None:
                return SwapReport(None, False, "nothing is deployed")
            if state.revision == current:
                return SwapReport(state.revision, False, None, sorted(state.versions()))
            if state.revision == self._refused and not force and self.last_report:
                return self.last_report
            report = await self._swap(state)
            self.last_report = report
            return report

    async def _swap(self, state: DeploymentState) -> SwapReport:
        loop = asyncio.get_running_loop()
        have = self.active.served() if self.active else {}
        fresh: dict[int, Served] = {}
        try:
            for version in sorted(state.versions()):
                if version in have and have[version].model.name == state.name:
                    continue
                model = await loop.run_in_executor(None, self._load_checked, state.name, version)
                batcher = MicroBatcher(
                    model,
                    max_batch=self.max_batch,
                    max_wait_ms=self.max_wait_ms,
                    on_batch=self.on_batch,
                )
                batcher.start()
                fresh[version] = Served(model, batcher)
        except Exception as exc:
            for served in fresh.values():
                await served.batcher.close()
            self._refused = state.revision
            msg = f"{type(exc).__name__}: {exc}"
            print(
                f"fullcycle: not serving {state.name} revision {state.revision}: {msg}",
                file=sys.stderr,
                flush=True,
            )
            await loop.run_in_executor(None, self._audit, "serving.swap_refused", state, msg)
            return SwapReport(state.revision, False, msg, sorted(state.versions()))
        pool = {**have, **fresh}
        new = Active(
            state,
            pool[state.production],  # type: ignore[index]
            pool[state.canary] if state.canary is not None else None,
            pool[state.shadow] if state.shadow is not None else None,
        )
        self.active, self._refused = new, None
        gc.freeze()  # the new model's objects join the startup ones outside the GC's scans
        retired = [s for v, s in have.items() if v not in new.served()]
        if retired:
            self._retired.extend(retired)
            task = loop.create_task(self._retire(retired))
            self._retiring.add(task)
            task.add_done_callback(self._retiring.discard)
        await loop.run_in_executor(None, self._audit, "serving.swapped", state, "")
        return SwapReport(state.revision, True, None, sorted(state.versions()))

    def _load_checked(self, name: str, version: int) -> LoadedModel:
        try:
            model = self.source.load(name, version)
        except Exception as exc:
            raise ModelCheckFailed(f"model {name}:{version} failed to load: {exc}") from exc
        check_model(model)
        return model

    async def _retire(self, retired: list[Served]) -> None:
        await asyncio.sleep(RETIRE_AFTER_S)  # requests that read the old reference finish
        for served in retired:
            self._retired.remove(served)
            await served.batcher.close()

    def _audit(self, kind: str, state: DeploymentState, message: str) -> None:
        if self.db is None:
            return
        with contextlib.suppress(Exception), self.db.write() as conn:
            events.record(
                conn,
                kind,
                actor=f"server:{self.logbook.replica}",
                subject=state.name,
                message=message or kind,
                data={
                    "revision": state.revision,
                    "production": state.production,
                    "canary": state.canary,
                    "shadow": state.shadow,
                },
            )

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # serving ---------------------------------------------------------------------------------
    def route(self, request_id: str, version: int | None = None) -> tuple[Active, Served, str]:
        """The deployment, the version that serves this request, and its arm; ``version``
        pins one of the loaded versions (the v2 versioned routes)."""
        active = self.active
        if active is None:
            raise StoreUnavailable(
                "no model is loaded yet",
                hint="deploy a version, or wait for the server to be ready",
            )
        if version is not None:
            return active, *self._pinned(active, version)
        share = active.state.canary_share
        if active.canary is not None and share > 0 and canary_bucket(request_id) < share:
            return active, active.canary, "canary"
        return active, active.production, "production"

    @staticmethod
    def _pinned(active: Active, version: int) -> tuple[Served, str]:
        for arm, served in (
            ("production", active.production),
            ("canary", active.canary),
            ("shadow", active.shadow),
        ):
            if served is not None and served.model.version == version:
                return served, arm
        raise NotFound(
            f"version {version} is not loaded", hint=f"loaded: {sorted(active.served())}"
        )

    async def predict(
        self, records: list[Any], request_id: str, started: float, version: int | None = None
    ) -> Prediction:
        """Route, validate + predict (batched), log; the shadow runs after, off the path."""
        active, served, route = self.route(request_id, version)
        model = served.model
        outcome = await served.batcher.submit(records)
        status = 422 if outcome.violations else 200
        latency = (time.perf_counter() - started) * 1000
        rows = log_rows(
            request_id, model.name, model.version, route, records, outcome, latency, status
        )
        await self.logbook.log(rows)
        self._remember(request_id)
        if active.shadow is not None and status == 200 and served is not active.shadow:
            if len(self._tasks) < MAX_SHADOW_PENDING:
                self._spawn(self._shadow(active.shadow, records, request_id))
            else:  # the shadow is behind: skip it (counted), never slow production down
                self.shadow_skipped += 1
        return Prediction(request_id, model.name, model.version, route, outcome)

    async def _shadow(self, served: Served, records: list[Any], request_id: str) -> None:
        started = time.perf_counter()
        try:
            outcome: Outcome | None = await served.batcher.submit(records)
            status, error = 200, None
        except Exception as exc:
            outcome, status, error = None, 500, f"{type(exc).__name__}: {exc}"
        latency = (time.perf_counter() - started) * 1000
        rows = log_rows(
            request_id,
            served.model.name,
            served.model.version,
            "shadow",
            records,
            outcome,
            latency,
            status if not outcome or not outcome.violations else 422,
            error,
        )
        await self.logbook.log(rows, wait=False)

    async def log_rejected(
        self, request_id: str, status: int, error: str, records: Any, started: float
    ) -> None:
        """Log a request refused before it reached a model (400, 413, 415, 422, 503)."""
        active = self.active
        version = active.production.model.version if active else None
        latency = (time.perf_counter() - started) * 1000
        rows = log_rows(
            request_id,
            self.model_name,
            version,
            "production",
            records if isinstance(records, list) else [],
            None,
            latency,
            status,
            error,
        )
        await self.logbook.log(rows, wait=False)

    # feedback --------------------------------------------------------------------------------
    def _remember(self, request_id: str) -> None:
        self._recent[request_id] = None
        if len(self._recent) > RECENT_IDS:
            del self._recent[next(iter(self._recent))]

    async def add_feedback(self, items: list[tuple[str, Any]]) -> tuple[int, list[str]]:
        """Store labels; ids no log holds (yet) are stored as orphans and listed."""

        def work() -> tuple[int, list[str]]:
            ids = [rid for rid, _ in items]
            unseen = [rid for rid in ids if rid not in self._recent]
            known = set(ids) - set(unseen) | logged_ids(self.logbook.db, unseen)
            marked = [(rid, label, rid in known) for rid, label in items]
            stored = logs.add_feedback(self.logbook.db, marked)
            return stored, [rid for rid in dict.fromkeys(ids) if rid not in known]

        return await asyncio.get_running_loop().run_in_executor(None, work)
