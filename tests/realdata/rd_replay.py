"""One real-data scenario from ``fullcycle init`` to the last period (see rd_harness.py)."""

from __future__ import annotations

import asyncio
import csv
import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from rd_harness import (  # noqa: I001 - tests/realdata is on sys.path (conftest, bench)
    GREATER_IS_BETTER,
    Driver,
    Failure,
    Options,
    Outcome,
    PeriodRow,
    Server,
    _plain,
    _replay,
    feedback,
    proba_rows,
    score,
)

from fullcycle.examples.realdata import Scenario


class SetupFailed(RuntimeError):
    """The project could not be set up; the replay cannot start."""

    def __init__(self, failures: list[Failure]) -> None:
        self.failures = failures
        super().__init__("; ".join(f"`{f.command}` rc={f.rc}: {f.line}" for f in failures))


def _edit_scope(folder: Path, change: dict[str, Any]) -> None:
    """Set nested keys of fullcycle.yaml, as a user editing the file would."""
    path = folder / "fullcycle.yaml"
    scope = yaml.safe_load(path.read_text())
    for dotted, value in change.items():
        node = scope
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    path.write_text(yaml.safe_dump(scope, sort_keys=False))


class Replay:
    def __init__(self, scenario: Scenario, root: Path, options: Options) -> None:
        self.s, self.o = scenario, options
        self.folder = root / scenario.name
        self.fc = Driver(self.folder)
        self.truth: dict[str, Any] = {}
        self.served = 0
        self.flagged_at: int | None = None
        self.flag_reason = ""
        self.window = len(scenario.periods[0][1]) if scenario.periods else 0
        self.labelled = 0
        self.rounds = 0
        self.counts = {"loop.retrain": 0, "loop.promote": 0, "loop.rollback": 0}
        self.versions: dict[int, int] = {}

    # -- setting up ----------------------------------------------------------------------------
    def setup(self) -> tuple[Any, float | None]:
        s, fc = self.s, self.fc
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        fc.run(
            "init",
            s.name,
            "--dir",
            str(self.folder),
            "--task",
            s.task,
            "--target",
            s.target,
            step="init",
            cwd=self.folder.parent,
        )
        _edit_scope(
            self.folder,
            {
                "metric.name": s.metric,
                "metric.goal": None,
                "metric.baseline": None,
                "constraints.p95_latency_ms": None,  # a shared machine: latency is not the subject
                "retraining.guards.min_interval": "1s",  # no simulated clock yet
                "retraining.guards.max_per_day": 1000,
                "retraining.min_new_labels": self.o.labels_per_retrain,
                "rollout.min_requests": self.o.canary_requests,
                "gate.min_samples": self.o.gate_rows,
                # the scripted user lets the loop take in a class the labels name (a new device)
                "retraining.new_classes": "learn",
            },
        )
        if s.estimator:
            _edit_scope(
                self.folder, {"training.estimator": s.estimator, "training.params": dict(s.params)}
            )
        train_file = self.folder / "train.csv"
        s.train[s.columns()].to_csv(train_file, index=False)
        fc.run(
            "data", "add", str(train_file), "--name", s.name, "--infer-contract", step="data add"
        )
        fc.run(
            "train",
            "--data",
            f"{s.name}@1",
            "--seed",
            str(self.o.seed),
            "--no-learning-curve",
            step="train",
        )
        _, out = fc.run("evaluate", "latest", "--json", step="evaluate")
        evaluation = _metric_value(out)
        goal = _goal(out, s.metric)
        if goal is not None:
            _edit_scope(self.folder, {"metric.goal": round(goal, 4)})
        fc.run("register", "latest", step="register")
        fc.run("promote", f"{s.name}:1", step="promote")
        _, out = fc.run("token", "create", "--role", "write", "--name", "realdata", step="token")
        self.token = _token(out)
        if self.fc.failures:
            raise SetupFailed(self.fc.failures)
        return self.frozen_model(), evaluation

    def frozen_model(self) -> Any:
        """The first model, loaded offline (read only) to be scored beside the loop."""
        from fullcycle.project import Project

        return Project.open(self.folder).load_model(f"{self.s.name}:1").estimator

    # -- the replay ----------------------------------------------------------------------------
    def run(self) -> Outcome:
        start = time.monotonic()
        frozen, evaluation = self.setup()
        rows: list[PeriodRow] = []
        onset: int | None = None
        previous = self.s.train
        with Server(self.folder, self.fc.env) as server:
            for index, (label, frame) in enumerate(self.s.periods):
                first_request = self.served
                row = self.period(server.url, index, label, frame, frozen, previous)
                rows.append(row)
                X = frame[self.s.features]
                truth, pred, proba = frame[self.s.target], frozen.predict(X), proba_rows(frozen, X)
                if onset is None and _decayed(self.s.metric, truth, pred, evaluation, proba):
                    onset = first_request
                previous = frame
        return Outcome(
            self.s.name,
            self.s.metric,
            evaluation,
            self.window,
            rows,
            onset,
            self.flagged_at,
            self.flag_reason,
            self.fc.failures,
            time.monotonic() - start,
            self.versions,
            self.fc.seconds,
        )

    def period(
        self,
        url: str,
        index: int,
        label: str,
        frame: pd.DataFrame,
        frozen: Any,
        previous: pd.DataFrame,
    ) -> PeriodRow:
        s = self.s
        ids = [f"p{index + 1}-{i:05d}" for i in range(len(frame))]
        self.truth.update(zip(ids, frame[s.target].map(_plain), strict=True))
        records = [
            {k: _plain(v) for k, v in r.items()} for r in frame[s.features].to_dict("records")
        ]
        rng = np.random.default_rng([self.o.seed, index])
        answers: list[tuple[int, Any, Any]] = []
        before = dict(self.counts)
        labelled_before = self.labelled
        sent, alarms, actions = 0, 0, []
        for chunk in np.array_split(np.arange(len(frame)), self.o.chunks_per_period):
            began = time.monotonic()
            got = asyncio.run(
                _replay(
                    url,
                    self.token,
                    [records[i] for i in chunk],
                    [ids[i] for i in chunk],
                    self.o.concurrency,
                )
            )
            self.fc.seconds["http"] = self.fc.seconds.get("http", 0.0) + time.monotonic() - began
            answers += got
            self.served += len(chunk)
            fb = [
                {"request_id": ids[i], "label": self.truth[ids[i]]}
                for i in chunk
                if rng.random() < self.o.feedback_share
            ]
            sent += feedback(url, self.token, fb)
            alarms += self.monitor()
            actions.append(self.loop_step())
        self.count_events()
        ok = np.array([status == 200 for status, _, _ in answers])
        for status, _, version in answers:
            if status == 200:
                self.versions[int(version or 0)] = self.versions.get(int(version or 0), 0) + 1
        served = frame[ok]
        truth = served[s.target].to_numpy()
        live = score(s.metric, truth, [p for (st, p, _) in answers if st == 200])
        X = served[s.features]
        frozen_metric = (
            score(s.metric, truth, frozen.predict(X), proba_rows(frozen, X)) if len(X) else None
        )
        return PeriodRow(
            label,
            len(frame),
            int((~ok).sum()),
            live,
            frozen_metric,
            self.reference(frozen, previous, served),
            self.labelled - labelled_before,
            sent,
            *(
                self.counts[k] - before[k]
                for k in ("loop.retrain", "loop.promote", "loop.rollback")
            ),
            alarms,
            actions,
        )

    def reference(self, frozen: Any, previous: pd.DataFrame, served: pd.DataFrame) -> float | None:
        """The same recipe fitted on the previous period's labelled rows, scored on this one."""
        from sklearn.base import clone

        if not len(served):
            return None
        model = clone(frozen).fit(previous[self.s.features], previous[self.s.target])
        X = served[self.s.features]
        return score(
            self.s.metric, served[self.s.target].to_numpy(), model.predict(X), proba_rows(model, X)
        )

    # -- the steps after each chunk ----------------------------------------------------------------
    def monitor(self) -> int:
        rc, out = self.fc.run(
            "monitor", "--window", f"last:{self.window}", "--json", step="monitor"
        )
        report = _json(out)
        alerts = (report or {}).get("alerts") or []
        if alerts:
            self._flag("monitor: " + "; ".join(str(a.get("message", a)) for a in alerts))
        return 1 if alerts else 0

    def loop_step(self) -> str:
        _, out = self.fc.run(
            "loop",
            "--once",
            "--no-monitor-first",
            "--window",
            f"last:{self.window}",
            step="loop --once",
        )
        line = next((ln for ln in out.splitlines() if ":" in ln), out.strip())
        action = line.split(":", 1)[0].strip() or "?"
        if action not in ("none", "no action", "wait", "?") and not action.startswith("rollout"):
            self._flag(f"loop: {line.strip()[:200]}")
        if action in ("queue_labels", "wait_labels"):
            self.answer_queue()
        return action

    def _flag(self, why: str) -> None:
        if self.flagged_at is None:
            self.flagged_at, self.flag_reason = self.served, why

    def answer_queue(self) -> None:
        """The labeller: every queued row gets the data's truth, through export and import."""
        self.rounds += 1
        exported = self.folder / f"queue-{self.rounds}.csv"
        rc, _ = self.fc.run(
            "label", "export", "--format", "csv", "--out", str(exported), step="label export"
        )
        if rc != 0 or not exported.exists():
            return
        with open(exported, encoding="utf-8", newline="") as fh:
            tasks = list(csv.DictReader(fh))
        answers = [
            {"task_id": t["task_id"], "label": self.truth[t["request_id"]]}
            for t in tasks
            if t.get("request_id") in self.truth
        ]
        if not answers:
            return
        filled = self.folder / f"answers-{self.rounds}.csv"
        with open(filled, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["task_id", "label"])
            writer.writeheader()
            writer.writerows(answers)
        rc, _ = self.fc.run(
            "label", "import", str(filled), "--labeller", "oracle", step="label import"
        )
        if rc == 0:
            self.labelled += len(answers)

    def count_events(self) -> None:
        _, out = self.fc.run("events", "--json", "--limit", "10000", step="events")
        events = _json(out) or []
        for kind in self.counts:
            self.counts[kind] = sum(1 for e in events if e.get("kind") == kind)


def _decayed(
    metric: str, truth: Any, pred: Any, evaluation: float | None, proba: Any = None
) -> bool:
    """The frozen model lost more than the template's metric_drop (0.05) from its evaluation,
    with 95% confidence (bootstrap over the period's rows), so noise is not called decay."""
    if evaluation is None or len(truth) == 0:
        return False
    rng = np.random.default_rng(0)
    truth, pred = np.asarray(truth, dtype=object), np.asarray(pred, dtype=object)
    draws = []
    for _ in range(200):
        idx = rng.integers(0, len(truth), len(truth))
        value = score(
            metric, truth[idx], pred[idx], None if proba is None else [proba[i] for i in idx]
        )
        if value is None:
            return False
        draws.append(value)
    if GREATER_IS_BETTER.get(metric, True):
        return float(np.quantile(draws, 0.975)) < evaluation - 0.05
    return float(np.quantile(draws, 0.025)) > evaluation + 0.05 * abs(evaluation)


def _json(text: str) -> Any:
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        return None
    try:  # the JSON document, whatever stderr printed after it
        return json.JSONDecoder().raw_decode(text[start:])[0]
    except json.JSONDecodeError:
        return None


def _goal(text: str, metric: str) -> float | None:
    """The goal a careful user sets from the evaluation: within 5% of the level its 95%
    interval shows the model reaches (the worse edge: a point estimate on a few hundred test
    rows is optimistic about half the time, and a goal above the model's true level is an
    alarm on every unlucky window), or of what shipped when there is no interval."""
    data = (_json(text) or {}).get("metric") or {}
    better = GREATER_IS_BETTER.get(metric, True)
    ci = data.get("ci") if isinstance(data, dict) else None
    value = _metric_value(text)
    if ci and len(ci) == 2 and None not in ci:
        value = float(ci[0] if better else ci[1])
    if value is None:
        return None
    drop = 0.05 * (abs(value) if metric != "r2" else 1.0)
    return value - drop if better else value + drop


def _metric_value(text: str) -> float | None:
    data = _json(text) or {}
    metric = data.get("metric") or {}
    value = metric.get("value") if isinstance(metric, dict) else None
    return float(value) if value is not None else None


def _token(text: str) -> str:
    found = re.findall(r"\bfc_[A-Za-z0-9_\-]+|\b[A-Za-z0-9_\-]{32,}\b", text)
    return found[0] if found else ""


class Backtest(Replay):
    """The same scenario through ``fullcycle loop backtest``: the server app and the loop in
    one process on a simulated clock, so the scope keeps its production guards
    (``min_interval: 6h``, ``max_per_day: 2``, ``analysis_interval: 5m``) and they mean hours
    and days of the data's own time. Only the sizes that depend on traffic volume are scaled
    (labels per retrain, the canary's sample and share)."""

    def setup(self) -> tuple[Any, float | None]:
        frozen, evaluation = super().setup()
        _edit_scope(
            self.folder,
            {
                "retraining.guards.min_interval": "6h",  # the template's: a simulated clock
                "retraining.guards.max_per_day": 2,
                "rollout.canary_share": self.o.canary_share,
                "rollout.steps": [self.o.canary_share, 1.0],
            },
        )
        return frozen, evaluation

    def run(self) -> Outcome:
        start = time.monotonic()
        s = self.s
        frozen, evaluation = self.setup()
        frames = [f.assign(_period=i) for i, (_, f) in enumerate(s.periods)]
        history = pd.concat(frames, ignore_index=True).sort_values("when", kind="stable")
        history = history.reset_index(drop=True)
        file = self.folder / "history.csv"
        history[[*s.columns(), "when"]].to_csv(file, index=False)
        steps = len(s.periods) * self.o.steps_per_period
        predictions = self.folder / "predictions.csv"
        _, out = self.fc.run(
            "loop", "backtest", str(file), "--time-column", "when", "--steps", str(steps),
            "--window", f"last:{self.window}", "--feedback-share", str(self.o.feedback_share),
            "--seed", str(self.o.seed), "--predictions", str(predictions), "--json",
            step="loop backtest",
        )  # fmt: skip
        result = _json(out) or {"steps": []}
        answers = pd.read_csv(predictions) if predictions.exists() else pd.DataFrame()
        rows, onset, served = [], None, 0
        per_period = np.array_split(np.arange(steps), len(s.periods))
        for index, (label, frame) in enumerate(s.periods):
            mine = [result["steps"][k] for k in per_period[index] if k < len(result["steps"])]
            for step in mine:
                if self.flagged_at is None and (step["alerts"] or _acts(step["action"])):
                    self.flagged_at = served + step["requests"]
                    self.flag_reason = f"{step['action']}: " + "; ".join(step["reasons"])[:200]
                served += step["requests"]
            rows.append(self.period_row(label, frame, index, history, answers, frozen, mine))
            X = frame[s.features]
            truth, pred, proba = frame[s.target], frozen.predict(X), proba_rows(frozen, X)
            if onset is None and _decayed(s.metric, truth, pred, evaluation, proba):
                onset = sum(r.requests for r in rows[:-1])
        for step in result["steps"]:
            for version, n in (step.get("served_by") or {}).items():
                key = int(float(version)) if version not in ("None", "") else 0
                self.versions[key] = self.versions.get(key, 0) + n
        return Outcome(
            s.name, s.metric, evaluation, self.window, rows, onset, self.flagged_at,
            self.flag_reason, self.fc.failures, time.monotonic() - start, self.versions,
            self.fc.seconds,
        )  # fmt: skip

    def period_row(
        self, label: str, frame: pd.DataFrame, index: int, history: pd.DataFrame,
        answers: pd.DataFrame, frozen: Any, steps: list[dict[str, Any]],
    ) -> PeriodRow:  # fmt: skip
        s = self.s
        where = np.flatnonzero(history["_period"].to_numpy() == index)
        ok = np.zeros(len(frame), dtype=bool)
        live = None
        if len(answers):
            position = answers["request_id"].str.rsplit("-", n=1).str[-1].astype(int)
            mine = answers[position.isin(where)]
            ok = np.isin(where, position[position.isin(where)].to_numpy())
            live = score(
                s.metric, mine["truth"].to_numpy(), mine["prediction"].to_numpy(),
                [json.loads(v) if isinstance(v, str) and v else None
                 for v in mine.get("probabilities", pd.Series([None] * len(mine)))],
            )  # fmt: skip
        served = history.iloc[where[ok]]
        X = served[s.features]
        previous = s.train if index == 0 else s.periods[index - 1][1]
        return PeriodRow(
            label,
            len(frame),
            sum(int(st["refused"]) for st in steps),
            live,
            score(s.metric, served[s.target].to_numpy(), frozen.predict(X), proba_rows(frozen, X))
            if len(X)
            else None,
            self.reference(frozen, previous, served),
            sum(int(st["labels"]) for st in steps),
            sum(int(st["feedback"]) for st in steps),
            sum(int(st["retrains"]) for st in steps),
            sum(int(st["promotions"]) for st in steps),
            sum(int(st["rollbacks"]) for st in steps),
            sum(int(st["alerts"]) for st in steps),
            [
                st["action"] + "".join(f"+{_short(t)}" for t in st.get("ticks") or [])
                for st in steps
            ],
        )


def _short(action: str) -> str:
    """A rollout analysis inside a step, shortly (``rollout_step`` -> ``step``)."""
    return action.removeprefix("rollout_")


def _acts(action: str) -> bool:
    """A loop step that did something about the model (not waiting, not healthy)."""
    return action not in ("none", "no action", "wait", "error") and not action.startswith("rollout")


def run(scenario: Scenario, root: Path, options: Options | None = None) -> Outcome:
    """Run one scenario in ``root/<name>``; failures are collected, never raised.
    ``options.mode``: ``backtest`` (simulated clock, the suite's) or ``live`` (a real server
    and wall clock, ``fullcycle monitor`` and ``loop --once`` after each chunk)."""
    options = options or Options()
    kind = Backtest if options.mode == "backtest" else Replay
    return kind(scenario, root, options).run()


def table(outcome: Outcome) -> str:
    """The per-period table, as text."""

    def f(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    head = (
        f"{outcome.scenario}: {outcome.metric} (evaluation {f(outcome.evaluation)}), "
        f"window {outcome.window} requests, {outcome.seconds:.0f} s"
    )
    cols = (
        "period",
        "req",
        "422",
        "loop",
        "frozen",
        "retrained",
        "labels",
        "feedback",
        "retrains",
        "promos",
        "rollbacks",
        "alarms",
        "loop steps",
    )
    lines = [head, " | ".join(cols)]
    for r in outcome.periods:
        lines.append(
            " | ".join(
                [
                    r.label,
                    str(r.requests),
                    str(r.refused),
                    f(r.loop),
                    f(r.frozen),
                    f(r.reference),
                    str(r.labels),
                    str(r.feedback),
                    str(r.retrains),
                    str(r.promotions),
                    str(r.rollbacks),
                    str(r.alarms),
                    ",".join(r.actions),
                ]
            )
        )
    if outcome.periods and (share := outcome.share_of_reference()) is not None:
        lines.append(f"last period: the loop at {share:.0%} of the retrained reference")
    lines.append(
        f"decay onset at request {outcome.onset}; first flagged at request "
        f"{outcome.flagged_at}: {outcome.flag_reason[:160]}"
    )
    lines.append(f"served by version: {outcome.served_versions}")
    lines.append("seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in outcome.timings.items()))
    for fail in outcome.failures:
        lines.append(f"FAILED [{fail.step}] `{fail.command}` rc={fail.rc}: {fail.line}")
    return "\n".join(lines)


__all__ = ["Failure", "Outcome", "run", "table"]
