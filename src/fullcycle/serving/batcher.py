"""Micro-batching: concurrent requests for one model become one validate + predict call.

A batcher task takes what has queued meanwhile and, when others were waiting too, what
arrives within ``max_wait_ms`` more (up to ``max_batch`` rows); a lone request never waits,
validates and predicts the lot in a worker thread, and gives each caller its own rows back.
A request with violations is answered with its own violations (rows numbered from 0) and does
not spoil the batch for the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from fullcycle.serving.models import WHOLE, LoadedModel, Violation, decide_rows, predict_frame


@dataclass(frozen=True)
class Outcome:
    """The answer for one request: violations, or predictions (and probabilities)."""

    violations: list[Violation]
    predictions: list[Any]
    proba: list[list[float]] | None = None
    decisions: list[Any] | None = None  # the version's decision policy applied
    flags: dict[int, list[str]] | None = None  # soft contract violations by row, served


def _whole(v: Any) -> bool:
    """A violation of the whole request (row None or -1), not of one row."""
    row = getattr(v, "row", None)
    return row is None or int(row) < 0


def _as_violation(v: Any, offset: int = 0) -> Violation:
    field = getattr(v, "field", None)
    row = WHOLE if _whole(v) else int(v.row) - offset
    return Violation(row, None if field is None else str(field), str(getattr(v, "problem", v)))


class MicroBatcher:
    """Batches validate + predict for one loaded model."""

    def __init__(
        self,
        model: LoadedModel,
        *,
        max_batch: int = 32,
        max_wait_ms: float = 2.0,
        on_batch: Callable[[LoadedModel, int], None] | None = None,
    ) -> None:
        self.model = model
        self.max_batch = max(1, max_batch)
        self.max_wait = max(0.0, max_wait_ms) / 1000.0
        self.on_batch = on_batch
        self._queue: asyncio.Queue[tuple[list[Any], asyncio.Future[Outcome] | None]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"predict-{model.version}")
        self._closing = False
        self._closed = False

    def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def submit(self, records: list[Any]) -> Outcome:
        """Validate and predict ``records``; raises what the model raised."""
        loop = asyncio.get_running_loop()
        if self._queue is None or self._closing:  # a late request to a retired version
            pool = None if self._closed else self._pool
            return (await loop.run_in_executor(pool, self._process, [records]))[0]
        fut: asyncio.Future[Outcome] = loop.create_future()
        self._queue.put_nowait((records, fut))
        return await fut

    async def close(self) -> None:
        """Answer what is queued, then stop."""
        self._closing = True
        if self._task is not None and self._queue is not None:
            self._queue.put_nowait(([], None))
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._closed = True
        self._pool.shutdown(wait=True)

    async def _collect(self) -> list[tuple[list[Any], asyncio.Future[Outcome] | None]]:
        assert self._queue is not None
        items = [await self._queue.get()]
        rows = len(items[0][0])
        deadline = time.monotonic() + self.max_wait
        while rows < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                if len(items) == 1:  # nothing else was waiting: do not pay the window
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self._queue.get(), left)
                except TimeoutError:
                    break
            items.append(item)
            rows += len(item[0])
        return items

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            items = await self._collect()
            live = [(recs, fut) for recs, fut in items if fut is not None]
            stop = len(live) < len(items)
            if live:
                try:
                    outs = await loop.run_in_executor(
                        self._pool, self._process, [recs for recs, _ in live]
                    )
                    for (_, fut), out in zip(live, outs, strict=True):
                        if not fut.done():
                            fut.set_result(out)
                except Exception as exc:
                    for _, fut in live:
                        if not fut.done():
                            fut.set_exception(exc)
            if stop and self._queue is not None and self._queue.empty():
                return

    def _process(self, batch: list[list[Any]]) -> list[Outcome]:
        """Runs in the worker thread: one validate and one predict for the whole batch."""
        offsets: list[int] = []
        flat: list[Any] = []
        for recs in batch:
            offsets.append(len(flat))
            flat.extend(recs)
        frame, violations = self.model.validate(flat)
        if violations:
            return self._process_split(batch, offsets, violations)
        if self.on_batch is not None:
            self.on_batch(self.model, len(flat))
        flags = getattr(frame, "attrs", {}).get("flags") or {}
        preds, proba = predict_frame(self.model, frame)
        decided = decide_rows(self.model, proba)
        out = []
        for recs, start in zip(batch, offsets, strict=True):
            stop = start + len(recs)
            mine = {r - start: f for r, f in flags.items() if start <= r < stop}
            out.append(
                Outcome(
                    [],
                    preds[start:stop],
                    None if proba is None else proba[start:stop],
                    None if decided is None else decided[start:stop],
                    mine or None,
                )
            )
        return out

    def _process_split(
        self, batch: list[list[Any]], offsets: list[int], violations: Any
    ) -> list[Outcome]:
        if len(batch) == 1:
            return [Outcome([_as_violation(v) for v in violations], [])]
        if any(_whole(v) for v in violations):
            return [self._process([recs])[0] for recs in batch]  # cannot attribute: one by one
        bad: dict[int, list[Violation]] = {}
        for v in violations:
            row = int(v.row)
            idx = max(i for i, start in enumerate(offsets) if start <= row)
            bad.setdefault(idx, []).append(_as_violation(v, offsets[idx]))
        good = [i for i in range(len(batch)) if i not in bad]
        results = (
            dict(zip(good, self._process([batch[i] for i in good]), strict=True)) if good else {}
        )
        return [Outcome(bad[i], []) if i in bad else results[i] for i in range(len(batch))]
