"""The loop's controller: read the state from the store, ask the policy, take at most one step.

State lives in the store (rollout rows, leases, events), never in memory, so a killed
controller resumes on its next run, and the ``loop:<model>`` lease keeps two controllers from
acting at once. Every decision, "no action" included, becomes an event with its reasons.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fullcycle import registry
from fullcycle.errors import InsufficientData, LeaseHeld, NotFound
from fullcycle.loop import labelled as labelled_mod
from fullcycle.loop import policy, retrain, rollout
from fullcycle.monitoring.service import MonitorDeps, read_window
from fullcycle.monitoring.window import Window
from fullcycle.store import events as event_store
from fullcycle.store import labels as label_store
from fullcycle.store import leases, rollouts
from fullcycle.store import logs as log_store
from fullcycle.store import reports as report_store

ACTOR = "loop"
DAY = 86400.0


@dataclass
class StepResult:
    action: str
    reasons: list[str]
    numbers: dict[str, Any] = field(default_factory=dict)


def holder_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Controller:
    """Drives one project's loop; ``step()`` is ``fullcycle loop --once``."""

    def __init__(self, project: Any, *, holder: str | None = None) -> None:
        self.project = project
        self.scope = project.scope
        self.name = self.scope.name
        self.holder = holder or holder_id()

    # -- the one step --------------------------------------------------------------------------
    def step(self) -> StepResult:
        ttl = float(self.scope.retraining.guards.lease_seconds)
        try:
            leases.acquire(self.project.db, f"loop:{self.name}", self.holder, ttl)
        except LeaseHeld as exc:
            return self._record("wait", [str(exc)])
        try:
            return self._step()
        finally:
            leases.release(self.project.db, f"loop:{self.name}", self.holder)

    def _step(self) -> StepResult:
        active = rollouts.active(self.project.db, self.name)
        if active is not None:
            return self._rollout_step(active)
        obs, context = self.observe()
        decision = policy.next_step(obs, self.scope.retraining, self.scope.monitoring.thresholds)
        numbers = {**decision.numbers, "triggers": decision.triggers}
        if decision.action == "queue_labels":
            return self._queue_labels(decision, context, numbers)
        if decision.action == "retrain":
            return self._retrain(decision, context, numbers)
        return self._record(decision.action, decision.reasons, numbers)

    # -- observing -----------------------------------------------------------------------------
    def log(self, since: float | None = None) -> Any:
        deps = MonitorDeps(
            self.project.db, self.project.artifacts, Path(self.project.settings.resolved_log_url())
        )
        return read_window(deps, Window(since=since), model=self.name, version=None)

    def observe(self) -> tuple[policy.Observations, dict[str, Any]]:
        db = self.project.db
        now = time.time()
        champion = self.project.production_version()
        report = report_store.latest(db, self.name)
        summary = (report or {}).get("summary") or {}
        perf = summary.get("performance") or {}
        log = self.log()
        feedback = {r["request_id"]: r["label"] for r in log_store.feedback_rows(db)}
        features = [f.name for f in self.scope.contract.features]
        rows = labelled_mod.labelled_rows(
            log,
            feedback,
            label_store.tasks(db),
            features=features,
            target=self.scope.target,
            spec=labelled_mod.spec_for(self.scope.contract, champion),
        )
        labelled_mod.report_exclusions(db, self.name, rows)
        retrains = [
            e
            for e in event_store.listing(db, kind="loop.retrain", limit=50)
            if e.subject.startswith(self.name)
        ]
        # labels count as new once: after the champion was made and after the last attempt
        since = max(champion.created_at, retrains[0].ts if retrains else 0.0)
        fresh = rows[rows["ts"] > since] if len(rows) else rows
        verdict = summary.get("verdict")
        cost = summary.get("cost") or {}
        decisions = self.scope.decisions
        obs = policy.Observations(
            now=now,
            drift=None if verdict in (None, "insufficient_data") else verdict == "drift",
            drifted_features=tuple(summary.get("drifted_features") or ()),
            live_metric=perf.get("value") if (perf.get("rows") or 0) >= 30 else None,
            live_rows=int(perf.get("rows") or 0),
            estimate=perf.get("estimate"),
            evaluation_metric=((champion.metrics or {}).get("metric") or {}).get("value"),
            goal=self.scope.metric.goal,
            greater_is_better=self.scope.metric.greater_is_better,
            report_rows=int(summary.get("rows") or 0),
            new_labels=len(fresh),
            open_label_tasks=len(label_store.tasks(db, status="queued")),
            last_retrain_at=retrains[0].ts if retrains else None,
            retrains_last_day=sum(1 for e in retrains if e.ts > now - DAY),
            retrain_running=leases.holder(db, f"retrain:{self.name}") is not None,
            live_cost=cost.get("cost_per_1000")
            if (cost.get("rows") or 0) >= int(cost.get("min_rows") or 30)
            else None,
            cost_limit=decisions.max_cost_per_1000 if decisions is not None else None,
        )
        context = {"champion": champion, "log": log, "labelled": rows, "report": summary}
        return obs, context

    # -- acting --------------------------------------------------------------------------------
    def _queue_labels(
        self, decision: policy.Decision, context: dict[str, Any], numbers: dict[str, Any]
    ) -> StepResult:
        champion = context["champion"]
        log = context["log"]
        recent = log[log["version"] == champion.version] if len(log) else log
        features = [f.name for f in self.scope.contract.features]
        frame = labelled_mod.candidates(
            recent, champion.classes, features, context["report"].get("top_rows")
        )
        strategy = "uncertainty" if champion.classes else "random"
        budget = int(decision.numbers.get("budget") or self.scope.retraining.min_new_labels)
        try:
            batch = self.project.label_queue(
                frame,
                budget=budget,
                strategy=strategy,
                source=f"production:{champion.ref}",
                actor=ACTOR,
            )
        except InsufficientData as exc:
            return self._record("wait_labels", [*decision.reasons, str(exc)], numbers)
        queued = len(label_store.tasks(self.project.db, batch=batch))
        return self._record(
            "queue_labels",
            [*decision.reasons, f"queued {queued} rows in batch {batch}"],
            {**numbers, "batch": batch, "queued": queued},
        )

    def _retrain(
        self, decision: policy.Decision, context: dict[str, Any], numbers: dict[str, Any]
    ) -> StepResult:
        db = self.project.db
        lease = f"retrain:{self.name}"
        try:
            leases.acquire(
                db, lease, self.holder, float(self.scope.retraining.guards.lease_seconds)
            )
        except LeaseHeld as exc:
            return self._record("wait", [str(exc)], numbers)
        try:
            champion = context["champion"]
            base = self.scope.retraining.data.base or _root_dataset(
                self.project, champion.lineage.get("dataset")
            )
            if not base:
                raise NotFound(
                    f"{champion.ref} has no dataset to start from",
                    hint="set retraining.data.base in fullcycle.yaml",
                )
            held = (
                int(labelled_mod.holdout_mask(context["labelled"]["request_id"]).sum())
                if len(context["labelled"])
                else 0
            )
            need = self.scope.gate.min_samples
            if held < need:
                budget = int((need - held) / labelled_mod.HOLDOUT_SHARE) + 1
                more = policy.Decision(
                    "queue_labels",
                    [
                        *decision.reasons,
                        f"the gate needs {need} held-out labelled rows, has {held}",
                    ],
                    {**decision.numbers, "budget": budget},
                    decision.triggers,
                )
                return self._queue_labels(more, context, numbers)
            reason = "; ".join(decision.triggers)
            self.project.record(
                "loop.retrain",
                subject=f"{self.name}",
                actor=ACTOR,
                message=f"retraining on {base} + labelled rows: {reason}",
                data=numbers,
            )
            try:
                out = retrain.retrain(
                    self.project,
                    base=base,
                    labelled=context["labelled"],
                    champion=champion,
                    reason=reason,
                    actor=ACTOR,
                )
            except InsufficientData as exc:
                return self._record("wait_labels", [str(exc)], numbers)
            result = {
                **numbers,
                "dataset": out.dataset,
                "run_id": out.run_id,
                "challenger": out.challenger,
                "gate": out.gate.numbers,
            }
            if not out.gate.passed:
                return self._record("gate_refused", out.gate.reasons, result)
            registry.set_alias(
                db,
                self.name,
                "challenger",
                out.challenger,
                _alias_revision(db, self.name, "challenger"),
                actor=ACTOR,
                reason=f"passed the gate on {out.holdout_rows} held-out rows",
            )
            rollout.begin(
                self.project,
                champion.version,
                out.challenger,
                {"gate": out.gate.numbers, "dataset": out.dataset, "run_id": out.run_id},
            )
            return self._record("rollout_started", out.gate.reasons, result)
        finally:
            leases.release(db, lease, self.holder)

    def _rollout_step(self, active: Any) -> StepResult:
        if active.state == "gated":
            rollout.advance_from_gated(self.project, active)
            return self._record("rollout_resumed", [f"rollout {active.id} routed after a restart"])
        verdict = rollout.analyse(self.project, active, self.log())
        return StepResult(f"rollout_{verdict.action}", verdict.reasons, verdict.numbers)

    def submit(
        self, challenger_ref: str, *, skip_gate: bool = False, reason: str = ""
    ) -> StepResult:
        """Put a registered version through the gate (or, with ``skip_gate``, straight into
        a rollout, as an engineer pushing it by hand would) and start its rollout."""
        champion = self.project.production_version()
        challenger = registry.resolve(self.project.db, challenger_ref)
        if not skip_gate:
            obs, context = self.observe()
            hold = (
                labelled_mod.holdout_mask(context["labelled"]["request_id"])
                if len(context["labelled"])
                else []
            )
            holdout = context["labelled"][hold] if len(hold) else context["labelled"]
            holdout = labelled_mod.recent(holdout, champion.created_at, self.scope.gate.min_samples)
            try:
                verdict = retrain.gate(self.project, champion, challenger, holdout)
            except InsufficientData as exc:
                return self._record("gate_insufficient", [str(exc)])
            self.project.record(
                "loop.gate",
                subject=challenger.ref,
                actor=ACTOR,
                message=("passed: " if verdict.passed else "refused: ")
                + "; ".join(verdict.reasons),
                data={"passed": verdict.passed, "numbers": verdict.numbers},
            )
            if not verdict.passed:
                return self._record("gate_refused", verdict.reasons, verdict.numbers)
        rollout.begin(
            self.project,
            champion.version,
            challenger.version,
            {"submitted": True, "skip_gate": skip_gate, "reason": reason},
        )
        return self._record("rollout_started", [f"{challenger.ref} submitted: {reason}"])

    def _record(
        self, action: str, reasons: list[str], numbers: dict[str, Any] | None = None
    ) -> StepResult:
        self.project.record(
            f"loop.{action}",
            subject=self.name,
            actor=ACTOR,
            message="; ".join(reasons),
            data=_plain(numbers or {}),
        )
        return StepResult(action, reasons, numbers or {})


def _root_dataset(project: Any, ref: str | None) -> str | None:
    """The dataset the loop's merges grew from: every retrain starts again from it and adds
    all labelled rows in the window, so no labelled row is counted twice."""
    seen = 0
    while ref and seen < 100:
        version = project.dataset(ref)
        if (version.origin or {}).get("kind") != "merge" or not version.parents:
            return ref
        ref, seen = version.parents[0], seen + 1
    return ref


def _alias_revision(db: Any, name: str, alias: str) -> int:
    held = {a.alias: a for a in registry.aliases(db, name)}
    return held[alias].revision if alias in held else 0


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(json.dumps(data, default=str))
