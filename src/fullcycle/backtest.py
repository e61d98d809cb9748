"""``fullcycle loop backtest``: the closed loop over a stretch of history, on a simulated clock.

A file of past rows, each with its time and its truth, is replayed in time order through the
project's own server app (in this process, no socket: the same routing, contract checks,
canary split and prediction log as ``fullcycle serve``), with every record stamped at the
rows' own times (:mod:`fullcycle.clock`). The file is cut into steps; after each step:

1. the feedback due by then arrives on ``/feedback`` (a share of the rows, after a delay);
2. the monitor builds a report and the loop takes one step, exactly as ``loop --once`` does;
3. a labeller answers the tasks the loop queued from the file's truth (``--no-labeller``
   leaves the queue alone, to see what the loop does without labels);
4. the server reloads the deployment the loop may have changed.

While a rollout is in flight the loop also steps inside a step, after every
``rollout.analysis_interval`` of replayed time (and at least :data:`CONCURRENCY` rows), as
``loop --watch`` stepping every minute does in production: a shadow or a canary moves on once
its requests have arrived, not at the end of a step that may span weeks of history. Those
steps only analyse the rollout (the controller does nothing else while one is in flight); they
are listed in the step's ``ticks``.

The loop's guards read the simulated clock, so ``min_interval: 6h`` and ``max_per_day: 2``
mean six hours and one day of the replayed history: a year of traffic runs in minutes with the
scope as it will run in production. Everything lands in the project's store (events, reports,
datasets, runs, models), so run a backtest on a project made for it, not on the one that serves.

Per step the result has the live metric of what was served, the metric of the model that
served at the start (frozen) on the same rows, the loop's action, labels answered, feedback
sent, retrains, promotions, rollbacks and alerts opened.
"""

from __future__ import annotations

import asyncio
import json
import math
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fullcycle import clock, metric_table
from fullcycle.errors import InsufficientData, InvalidInput, NotFound

if TYPE_CHECKING:
    from fullcycle.project import Project

#: requests in flight at once (the server's micro-batcher sees real batches)
CONCURRENCY = 8
#: feedback items per ``/feedback`` request
FEEDBACK_CHUNK = 500
#: event kinds counted per step
COUNTED = {
    "loop.retrain": "retrains",
    "loop.promote": "promotions",
    "loop.rollback": "rollbacks",
    "alert.open": "alerts",
}


@dataclass(frozen=True)
class BacktestOptions:
    time_column: str
    steps: int | None = None  # cut the rows into this many steps of equal size
    every: float | None = None  # or into steps of this many seconds of the time column
    feedback_share: float = 0.2  # share of rows whose label comes back on /feedback
    feedback_delay: float = 0.0  # seconds of replayed time before a label comes back
    labeller: bool = True  # answer the loop's labelling queue from the file's truth
    window: str | None = None  # the monitor window; default: the rows of one step
    seed: int = 0


@dataclass
class StepRow:
    step: int
    start: float  # the first and last row's time (epoch seconds)
    end: float
    requests: int
    refused: int  # hard contract violations (422)
    live: float | None  # the metric of what was served, against the file's truth
    frozen: float | None  # the model that served at the start, on the same rows
    served_by: dict[str, int]  # version -> requests
    action: str
    reasons: list[str]
    labels: int = 0  # tasks the labeller answered
    feedback: int = 0  # labels sent on /feedback
    retrains: int = 0
    promotions: int = 0
    rollbacks: int = 0
    alerts: int = 0
    error: str | None = None  # a step that failed (the backtest goes on)
    ticks: list[str] = field(default_factory=list)  # rollout analyses inside the step


@dataclass
class BacktestResult:
    model: str
    metric: str
    start_version: int
    rows: int
    steps: list[StepRow] = field(default_factory=list)
    predictions: list[dict[str, Any]] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        keys = ("requests", "refused", "labels", "feedback", "retrains", "promotions", "rollbacks",
                "alerts")  # fmt: skip
        return {k: sum(int(getattr(s, k)) for s in self.steps) for k in keys}

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "metric": self.metric,
            "start_version": self.start_version,
            "rows": self.rows,
            "totals": self.totals(),
            "steps": [asdict(s) for s in self.steps],
        }


def times_of(frame: Any, column: str) -> Any:
    """The time column as epoch seconds: datetimes (or text that parses as one), or numbers
    already in seconds. InvalidInput names the column and the first bad value."""
    import pandas as pd

    if column not in frame.columns:
        raise InvalidInput(
            f"time column {column!r} is not in the file",
            hint=f"columns: {', '.join(map(str, list(frame.columns)[:20]))}",
        )
    values = frame[column]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        seconds = pd.to_numeric(values, errors="coerce").astype(float)
    else:
        parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
        seconds = pd.Series(np.nan, index=values.index)
        ok = parsed.notna()
        seconds[ok] = (parsed[ok] - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    bad = ~np.isfinite(seconds.to_numpy(dtype=float))
    if bad.any():
        first = values[bad].iloc[0]
        raise InvalidInput(
            f"time column {column!r}: {int(bad.sum())} value(s) are not a time, e.g. {first!r}",
            hint="use ISO dates (2013-01-31 or 2013-01-31T08:00:00) or epoch seconds",
        )
    return seconds.to_numpy(dtype=float)


def cut(times: Any, options: BacktestOptions) -> list[Any]:
    """Row positions (already in time order) grouped into steps."""
    n = len(times)
    if options.every is not None:
        if options.every <= 0:
            raise InvalidInput("--every must be a positive duration")
        bucket = np.floor((times - times[0]) / options.every).astype(int)
        return [np.flatnonzero(bucket == b) for b in np.unique(bucket)]
    steps = options.steps or 10
    if steps < 1:
        raise InvalidInput("--steps must be at least 1")
    return [idx for idx in np.array_split(np.arange(n), min(steps, max(n, 1))) if len(idx)]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def run(
    project: Project,
    frame: Any,
    options: BacktestOptions,
    *,
    on_step: Callable[[StepRow], None] | None = None,
) -> BacktestResult:
    """Replay ``frame`` (features, the target, the time column) through the loop."""
    scope = project.scope
    features = [f.name for f in scope.contract.features]
    missing = [c for c in [*features, scope.target] if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"the file lacks column(s) {', '.join(map(repr, missing))} "
            "(a backtest needs the features and the truth)"
        )
    if not 0.0 <= options.feedback_share <= 1.0:
        raise InvalidInput(f"--feedback-share {options.feedback_share} is not between 0 and 1")
    if options.feedback_delay < 0:
        raise InvalidInput("--feedback-delay must not be negative")
    times = times_of(frame, options.time_column)
    order = np.argsort(times, kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    times = times[order]
    steps = cut(times, options)
    # the replay happens after everything already on record (the champion, its data): the
    # rows keep their spacing, shifted to start now; reports show the file's own times
    shift = clock.now() - float(times[0]) if len(times) else 0.0
    champion = project.production_version()
    driver = _Driver(project, frame, times + shift, features, options, champion)
    driver.shift = shift
    return asyncio.run(driver.run(steps, on_step))


class _Driver:
    def __init__(
        self, project: Project, frame: Any, times: Any, features: list[str], options: Any,
        champion: Any,
    ) -> None:  # fmt: skip
        scope = project.scope
        self.project, self.frame, self.times, self.o = project, frame, times, options
        self.features, self.target, self.metric = features, scope.target, scope.metric.name
        self.champion = champion
        self.frozen = project.load_model(champion.ref).estimator
        # request ids the same for the same project history and file: a backtest repeats
        started = project.record(
            "loop.backtest", subject=champion.name, actor="backtest",
            message=f"backtest of {len(frame)} rows from {champion.ref}",
            data={"rows": len(frame), "seed": options.seed},
        )  # fmt: skip
        self.prefix = f"bt{started}"
        self.shift = 0.0
        self.ids = [f"{self.prefix}-{i:07d}" for i in range(len(frame))]
        self.truth = {rid: _plain(v) for rid, v in zip(self.ids, frame[self.target], strict=True)}
        rng = np.random.default_rng(options.seed)
        self.gets_feedback = rng.random(len(frame)) < options.feedback_share
        self.pending: list[tuple[float, str]] = []  # (due time, request id)
        #: the class probabilities each answered row came back with, by class key (a
        #: probability metric is scored from them: versions may know different classes)
        self.proba: dict[int, dict[str, float]] = {}
        self.seen_events = {e.id for e in project.events(limit=100_000)}
        self.result = BacktestResult(self.champion.name, self.metric, champion.version, len(frame))

    async def run(
        self, steps: list[Any], on_step: Callable[[StepRow], None] | None
    ) -> BacktestResult:
        import httpx

        self.steps = steps
        app = self._app()
        with clock.simulated(float(self.times[0])) as sim:
            self.sim = sim
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://127.0.0.1", timeout=120
                ) as client:
                    self.client = client
                    await self._reload()
                    for number, idx in enumerate(steps, start=1):
                        row = await self._step(number, idx)
                        self.result.steps.append(row)
                        if on_step is not None:
                            on_step(row)
        self.result.predictions.sort(key=lambda p: p["request_id"])  # the file's time order
        return self.result

    def _app(self) -> Any:
        from fullcycle.serving.server import ServeOptions, build_app, load_source

        source = "fullcycle.serving.source:project_source"
        settings = self.project.settings
        options = ServeOptions(
            source_factory=source,
            model=self.champion.name,
            durability="strict",  # every answer is in the log before the monitor reads it
            max_wait_ms=0.0,
            auth=False,  # in this process only: no socket is opened
            poll_s=3600.0,  # the backtest reloads after each loop step
        )
        return build_app(load_source(source, settings), settings, options)

    async def _reload(self) -> None:
        resp = await self.client.post("/admin/reload")
        if resp.status_code not in (200, 409):
            raise InvalidInput(f"the server refused to reload: {resp.status_code} {resp.text}")

    async def _step(self, number: int, idx: Any) -> StepRow:
        answers, ticks, sent = await self._serve_watching(idx)
        sent += await self._feedback(float(self.times[idx[-1]]))
        self.sim.set(float(self.times[idx[-1]]))
        action, reasons, error = await asyncio.to_thread(self._loop_step)
        labels = await asyncio.to_thread(self._label) if self.o.labeller else 0
        await self._reload()
        row = self._row(number, idx, answers, action, reasons, error)
        row.labels, row.feedback, row.ticks = labels, sent, ticks
        if row.error is None:
            row.error = next((t[len("error: ") :] for t in ticks if t.startswith("error: ")), None)
        for key, count in self._new_events().items():
            setattr(row, key, count)
        return row

    async def _serve_watching(self, idx: Any) -> tuple[list[tuple[int, Any, Any]], list[str], int]:
        """Serve the step's rows; while a rollout is in flight, step the loop after every
        ``rollout.analysis_interval`` of replayed time. Returns the answers, the actions of
        those steps and the feedback sent meanwhile."""
        answers: list[tuple[int, Any, Any]] = []
        ticks: list[str] = []
        sent, pos = 0, 0
        interval = float(self.project.scope.rollout.analysis_interval)
        while pos < len(idx):
            if self.project.loop.active(self.champion.name) is None:
                answers += await self._serve(idx[pos:])
                break
            end = self._slice_end(idx, pos, interval)
            answers += await self._serve(idx[pos:end])
            pos = end
            if pos >= len(idx):
                break  # the step's own loop step follows
            now = float(self.times[idx[pos - 1]])
            sent += await self._feedback(now)
            self.sim.set(now)
            action, _, error = await asyncio.to_thread(self._loop_step, False)
            ticks.append(action if error is None else f"error: {error}")
            await self._reload()
        return answers, ticks, sent

    def _slice_end(self, idx: Any, pos: int, interval: float) -> int:
        """The end of the slice from ``pos``: rows within ``interval`` seconds of its first
        row's time, and at least :data:`CONCURRENCY` of them."""
        times = self.times[idx]
        end = int(np.searchsorted(times, times[pos] + interval, side="left"))
        return min(len(idx), max(end, pos + CONCURRENCY))

    async def _serve(self, idx: Any) -> list[tuple[int, Any, Any]]:
        records = self.frame.loc[idx, self.features].to_dict("records")
        out: list[tuple[int, Any, Any]] = []
        for start in range(0, len(idx), CONCURRENCY):
            part = list(range(start, min(start + CONCURRENCY, len(idx))))
            self.sim.set(float(self.times[idx[part[-1]]]))
            got = await asyncio.gather(*(self._predict(idx[i], records[i]) for i in part))
            out.extend(got)
        for i, (status, _, _) in zip(idx, out, strict=True):
            if status == 200 and self.gets_feedback[i]:
                self.pending.append((float(self.times[i]) + self.o.feedback_delay, self.ids[i]))
        return out

    async def _predict(self, i: int, record: dict[str, Any]) -> tuple[int, Any, Any]:
        body = {"records": [{k: _plain(v) for k, v in record.items()}]}
        resp = await self.client.post("/predict", json=body, headers={"X-Request-ID": self.ids[i]})
        if resp.status_code != 200:
            return resp.status_code, None, None
        data = resp.json()
        pred = (data.get("predictions") or [None])[0]
        proba = (data.get("probabilities") or [None])[0]
        if proba is not None and data.get("classes"):
            keys = [metric_table.class_key(c) for c in data["classes"]]
            self.proba[i] = dict(zip(keys, map(float, proba), strict=True))
        self.result.predictions.append(
            {"request_id": self.ids[i], "time": float(self.times[i] - self.shift), "version":
             data.get("version"), "prediction": pred, "truth": self.truth[self.ids[i]],
             "time_replayed": float(self.times[i]),
             "probabilities": json.dumps(self.proba[i]) if i in self.proba else ""}
        )  # fmt: skip
        return 200, pred, data.get("version")

    async def _feedback(self, now: float) -> int:
        due = [rid for t, rid in self.pending if t <= now]
        self.pending = [(t, rid) for t, rid in self.pending if t > now]
        sent = 0
        for start in range(0, len(due), FEEDBACK_CHUNK):
            items = [
                {"request_id": r, "label": self.truth[r]}
                for r in due[start : start + FEEDBACK_CHUNK]
            ]
            resp = await self.client.post("/feedback", json=items)
            if resp.status_code == 200:
                sent += int(resp.json().get("stored", len(items)))
        return sent

    def _loop_step(self, report: bool = True) -> tuple[str, list[str], str | None]:
        """One loop step, after a monitor report (``report=False``: a rollout analysis inside
        a step; the monitor keeps the step's cadence)."""
        window = self.o.window
        try:
            if report:
                self.project.monitor(window or f"last:{self._rows_per_step()}", actor="backtest")
            result = self.project.loop_step(holder=self.prefix)
            return result.action, list(result.reasons), None
        except (InsufficientData, NotFound) as exc:
            return "no action", [str(exc)], None
        except Exception as exc:  # one bad step is reported; the backtest goes on
            return "error", [f"{type(exc).__name__}: {exc}"], f"{type(exc).__name__}: {exc}"

    def _rows_per_step(self) -> int:
        """The default monitor window: the rows of the largest step (``--steps`` or
        ``--every`` alike)."""
        return max(1, max((len(idx) for idx in self.steps), default=1))

    def _label(self) -> int:
        """The oracle labeller: every queued task whose row is in the file gets its truth."""
        with tempfile.TemporaryDirectory(prefix="fullcycle-backtest-") as folder:
            queued = Path(folder) / "queue.jsonl"
            if not self.project.label_export(queued, "jsonl"):
                return 0
            tasks = [json.loads(line) for line in queued.read_text("utf-8").splitlines() if line]
            answers = [
                {"task_id": t["task_id"], "label": self.truth[t["request_id"]]}
                for t in tasks
                if t.get("request_id") in self.truth
            ]
            if not answers:
                return 0
            filled = Path(folder) / "answers.jsonl"
            filled.write_text("".join(json.dumps(a) + "\n" for a in answers), "utf-8")
            report = self.project.label_import(filled, labeller="oracle", actor="backtest")
        return int(getattr(report, "imported", len(answers)))

    def _row(
        self, number: int, idx: Any, answers: list[tuple[int, Any, Any]], action: str,
        reasons: list[str], error: str | None,
    ) -> StepRow:  # fmt: skip
        from fullcycle.train.metrics import predictions

        ok = np.array([status == 200 for status, _, _ in answers], dtype=bool)
        served = self.frame.loc[idx[ok]]
        truth = served[self.target].to_numpy()
        proba = [self.proba.get(int(i)) for i in idx[ok]]
        live = self._score(truth, [p for (st, p, _) in answers if st == 200], proba)
        frozen = None
        if len(served):
            pred, frozen_proba = predictions(self.frozen, served[self.features])
            keys = [metric_table.class_key(c) for c in getattr(self.frozen, "classes_", [])]
            by_class: list[dict[str, float] | None] | None = None
            if frozen_proba is not None:
                by_class = [dict(zip(keys, map(float, row), strict=True)) for row in frozen_proba]
            frozen = self._score(truth, pred, by_class)
        by: dict[str, int] = {}
        for status, _, version in answers:
            if status == 200:
                by[str(version)] = by.get(str(version), 0) + 1
        return StepRow(
            number, float(self.times[idx[0]] - self.shift),
            float(self.times[idx[-1]] - self.shift), len(idx),
            int((~ok).sum()), live, frozen, by, action, reasons, error=error,
        )  # fmt: skip

    def _score(
        self, truth: Any, pred: Any, proba: list[dict[str, float] | None] | None = None
    ) -> float | None:
        """The scope's metric on these rows; a probability metric from each row's class
        probabilities (``proba``, by class key), over every class the rows and the truth name
        (a class a version did not know has probability 0 in its rows); None when a row came
        back without probabilities."""
        if len(truth) == 0:
            return None
        table = metric_table.get(self.metric)
        if table.task == "regression":
            y, p = np.asarray(truth, dtype=float), np.asarray(pred, dtype=float)
        else:
            y, p = metric_table.class_keys(truth), metric_table.class_keys(pred)
        if not table.needs_proba:
            return metric_table.value(self.metric, y, p)
        if proba is None or len(proba) != len(y) or any(row is None for row in proba):
            return None
        labels = sorted({str(c) for c in y} | {c for row in proba if row for c in row})
        matrix = np.array([[(row or {}).get(c, 0.0) for c in labels] for row in proba])
        return metric_table.value(self.metric, y, p, proba=matrix, labels=labels)

    def _new_events(self) -> dict[str, int]:
        counts = dict.fromkeys(COUNTED.values(), 0)
        for event in self.project.events(limit=100_000):
            if event.id in self.seen_events:
                continue
            self.seen_events.add(event.id)
            key = COUNTED.get(event.kind)
            if key is not None:
                counts[key] += 1
        return counts
