"""The loop's controller: read the state from the store, ask the policy, take at most one step.

State lives in the store (rollout rows, leases, events), never in memory, so a killed
controller resumes on its next run, and the ``loop:<model>`` lease keeps two controllers from
acting at once. Every decision, "no action" included, becomes an event with its reasons.
"""

from __future__ import annotations

import math
import os
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fullcycle import clock, metric_table
from fullcycle.errors import InsufficientData, LeaseHeld, NotFound
from fullcycle.loop import gate as gate_mod
from fullcycle.loop import labelled as labelled_mod
from fullcycle.loop import policy, retrain, rollout, watch
from fullcycle.loop import recipe as loop_recipe
from fullcycle.monitoring import performance
from fullcycle.store import labels as label_store

if TYPE_CHECKING:
    import pandas as pd

    from fullcycle.loop._project import LoopProject
    from fullcycle.records import ModelVersion
    from fullcycle.store.rollouts import Rollout

ACTOR = "loop"
DAY = 86400.0
#: labelled rows that must name a new class before ``retraining.new_classes: learn`` adds it
NEW_CLASS_MIN_ROWS = 20
#: a challenger the gate is still undecided about at this look, once at least
#: ``retraining.min_new_labels`` labelled rows came after it was trained, is dropped for a
#: fresher one: it learned from an older world than the one it would serve, and every look
#: spends less of the alpha (tweets: six looks at p = 0.02-0.09 while the champion fell from
#: 0.39 to 0.09, and 1,228 labels, without a decision)
STALE_LOOK = 4


@dataclass
class StepResult:
    action: str
    reasons: list[str]
    numbers: dict[str, Any] = field(default_factory=dict)


def holder_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Controller:
    """Drives one project's loop; ``step()`` is ``fullcycle loop --once``."""

    def __init__(self, project: LoopProject, *, holder: str | None = None) -> None:
        self.project = project
        self.scope = project.scope
        self.name = self.scope.name
        self.holder = holder or holder_id()

    # -- the one step --------------------------------------------------------------------------
    def step(self) -> StepResult:
        ttl = float(self.scope.retraining.guards.lease_seconds)
        try:
            self.project.loop.acquire_lease(f"loop:{self.name}", self.holder, ttl)
        except LeaseHeld as exc:
            return self._record("wait", [str(exc)])
        try:
            return self._step()
        finally:
            self.project.loop.release_lease(f"loop:{self.name}", self.holder)

    def _step(self) -> StepResult:
        active = self.project.loop.active(self.name)
        if active is not None:
            return self._rollout_step(active)
        watched = watch.check(self.project, self.log, actor=ACTOR)
        if watched is not None and watched["action"] != "watching":
            return StepResult(f"watch_{watched['action']}", watched["reasons"], watched["numbers"])
        obs, context = self.observe()
        pending = self._pending()
        if pending is not None:
            regated = self._regate(pending, context, obs)
            if regated.action != "gate_stale":
                return regated
        decision = policy.next_step(obs, self.scope.retraining, self.scope.monitoring.thresholds)
        numbers = {**decision.numbers, "triggers": decision.triggers}
        if decision.action == "queue_labels":
            return self._queue_labels(decision, context, numbers)
        if decision.action == "retrain":
            return self._retrain(decision, context, numbers)
        return self._record(decision.action, decision.reasons, numbers)

    # -- observing -----------------------------------------------------------------------------
    def log(self, since: float | None = None) -> pd.DataFrame:
        return self.project.monitor.log(since, model=self.name)

    def _labelled(self, log: pd.DataFrame, champion: ModelVersion) -> pd.DataFrame:
        feedback = {r["request_id"]: r["label"] for r in self.project.labels.feedback()}
        return labelled_mod.labelled_rows(
            log,
            feedback,
            self.project.labels.tasks(),
            features=[f.name for f in self.scope.contract.features],
            target=self.scope.target,
            spec=labelled_mod.spec_for(self.scope.contract, champion),
        )

    def _take_in_classes(self, rows: pd.DataFrame, champion: ModelVersion) -> bool:
        """With ``retraining.new_classes: learn``, add each new class that at least
        :data:`NEW_CLASS_MIN_ROWS` labelled rows name to the target's classes (then the rows
        count, and the next retrain learns it); with ``ask`` the alert waits for you."""
        if self.scope.retraining.new_classes != "learn":
            return False
        target = self.scope.contract.target
        known = list(getattr(champion, "classes", None) or [])
        have = (target.classes if target is not None else None) or known
        numeric = bool(have) and all(isinstance(c, int) and not isinstance(c, bool) for c in have)
        added = False
        for cls, (n, share) in sorted((rows.attrs.get("new_classes") or {}).items()):
            if n < NEW_CLASS_MIN_ROWS:
                continue
            value: Any = int(cls) if numeric and str(cls).lstrip("-").isdigit() else cls
            why = f"{n} labelled rows ({share:.1%}) name it; retraining.new_classes: learn"
            added |= self.project.add_target_class(value, known=known, actor=ACTOR, why=why)
        if added:
            self.scope = self.project.reload_scope()
        return added

    def observe(self) -> tuple[policy.Observations, dict[str, Any]]:
        now = clock.now()
        champion = self.project.production_version()
        report = self.project.monitor.latest(self.name)
        summary = (report or {}).get("summary") or {}
        perf = summary.get("performance") or {}
        log = self.log()
        rows = self._labelled(log, champion)
        if self._take_in_classes(rows, champion):
            rows = self._labelled(log, champion)
        labelled_mod.report_exclusions(self.project.monitor, self.name, rows)
        retrains = [
            e
            for e in self.project.events(kind="loop.retrain", limit=50)
            if e.subject.startswith(self.name)
        ]
        # labels count as new once: after the champion was made and after the last attempt
        since = max(champion.created_at, retrains[0].ts if retrains else 0.0)
        fresh = rows[rows["ts"] > since] if len(rows) else rows
        verdict = summary.get("verdict")
        cost = summary.get("cost") or {}
        decisions = self.scope.decisions
        look = performance.judged(perf, self.scope.metric.name)
        queued = self.project.labels.tasks(status="queued")
        obs = policy.Observations(
            now=now,
            drift=None if verdict in (None, "insufficient_data") else verdict == "drift",
            drifted_features=tuple(summary.get("drifted_features") or ()),
            live_metric=look.value,
            live_rows=look.rows,
            live_low=look.low,
            live_high=look.high,
            live_newest=look.newest,
            refusals_in_a_row=self._refusals(champion.created_at),
            estimate=perf.get("estimate"),
            evaluation_metric=((champion.metrics or {}).get("metric") or {}).get("value"),
            **self._gate_of(champion),
            goal=self.scope.metric.goal,
            greater_is_better=self.scope.metric.greater_is_better,
            report_rows=int(summary.get("rows") or 0),
            new_labels=len(fresh),
            open_label_tasks=len(queued),
            open_audit_tasks=sum(t.strategy in label_store.UNBIASED for t in queued),
            live_rows_needed=metric_table.rows_to_judge(self.scope.metric.name),
            last_retrain_at=retrains[0].ts if retrains else None,
            retrains_last_day=sum(1 for e in retrains if e.ts > now - DAY),
            retrain_running=self.project.loop.lease_holder(f"retrain:{self.name}") is not None,
            live_cost=cost.get("cost_per_1000")
            if (cost.get("rows") or 0) >= int(cost.get("min_rows") or 30)
            else None,
            cost_limit=decisions.max_cost_per_1000 if decisions is not None else None,
            fast_world=self._fast_world(champion, log, summary),
        )
        context = {"champion": champion, "log": log, "labelled": rows, "report": summary,
                   "live_failing": policy.live_failing(obs), "new_since": since}  # fmt: skip
        return obs, context

    def _gate_of(self, champion: ModelVersion) -> dict[str, Any]:
        """What the gate that let the champion in measured of it on held-out labelled rows
        (``gate_metric``, ``gate_rows``), when the scope's metric is still the one it used."""
        for e in self.project.events(kind="loop.rollout_started", subject=self.name, limit=50):
            if (e.data or {}).get("challenger") != champion.version:
                continue
            gate = (e.data or {}).get("gate") or {}
            value = gate.get("challenger")
            if gate.get("metric") != self.scope.metric.name or value is None or value != value:
                return {}
            return {"gate_metric": float(value), "gate_rows": int(gate.get("rows") or 0)}
        return {}

    def _fast_world(
        self, champion: ModelVersion, log: pd.DataFrame, report: dict[str, Any]
    ) -> str | None:
        """Why the world moves faster than the monitoring window, or None: the loop promoted
        the champion over a version that served production for less than one window (fewer
        requests than a ``last:N`` window, or less time than a timed one), so that version's
        decay and its whole recovery fit in less than the window shows."""
        promoted = self.project.events(kind="loop.promote", subject=champion.ref, limit=1)
        before = (promoted[0].data or {}).get("champion") if promoted else None
        if before is None or not len(log):
            return None
        from fullcycle.monitoring.service import scope_window
        from fullcycle.monitoring.window import parse_window

        window = parse_window(str(report.get("window") or scope_window(self.scope)))
        served = log[(log["version"] == before) & (log["route"] == "production")]
        served = served.drop_duplicates("request_id")
        if not len(served):
            return None
        old = f"{self.name}:{before}"
        if window.last is not None:
            if len(served) >= window.last:
                return None
            return (
                f"{old} was replaced after serving {len(served)} requests, fewer than the "
                f"monitoring window's {window.last}"
            )
        if window.since is None or window.until is None:
            return None
        span = float(served["ts"].max() - served["ts"].min())
        if span >= window.until - window.since:
            return None
        return (
            f"{old} was replaced after serving {span / 3600:.1f} h, less than the monitoring "
            f"window's {(window.until - window.since) / 3600:.1f} h"
        )

    def _refusals(self, since: float) -> int:
        """Gate refusals since ``since`` with no challenger passing after them."""
        count = 0
        for e in self.project.events(kind="loop.", subject=self.name, limit=200):
            if e.ts <= since or e.kind == "loop.rollout_started":
                break
            count += e.kind == "loop.gate_refused"
        return count

    def _pending(self) -> dict[str, Any] | None:
        """The challenger the sequential gate could not decide yet, if the loop's last decision
        about a challenger left one pending."""
        kinds = ("loop.gate_pending", "loop.gate_refused", "loop.gate_stale",
                 "loop.rollout_started", "loop.retrain")  # fmt: skip
        for e in self.project.events(kind="loop.", subject=self.name, limit=200):
            if e.kind in kinds:
                return dict(e.data) if e.kind == "loop.gate_pending" else None
        return None

    # -- acting --------------------------------------------------------------------------------
    def _queue_labels(
        self, decision: policy.Decision, context: dict[str, Any], numbers: dict[str, Any]
    ) -> StepResult:
        champion = context["champion"]
        wanted = int(decision.numbers.get("budget") or self.scope.retraining.min_new_labels)
        budget, capped = self._label_allowance(wanted)
        if budget <= 0:
            return self._record("wait_labels", [*decision.reasons, str(capped)], numbers)
        labelled = context["labelled"]
        audit = bool(decision.numbers.get("audit"))
        log = _window_of(context["log"], context["report"], champion) if audit else context["log"]
        if decision.numbers.get("ahead"):
            # labels bought before the alarm are for the next retrain: rows that count as new
            # for it (served since the champion was made and the last attempt), nothing older
            log = log[log["ts"] > float(context["new_since"])] if len(log) else log
        frame = labelled_mod.queue_candidates(
            log,
            self._classes_of(champion),
            [f.name for f in self.scope.contract.features],
            context["report"].get("top_rows"),
            champion=champion.version,
            newest=max(int(context["report"].get("rows") or 0), budget),
            labelled=set(labelled["request_id"].astype(str)) if len(labelled) else set(),
        )
        strategy = "uncertainty" if champion.classes and not audit else "random"
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
        queued = len(self.project.labels.tasks(batch=batch))
        said = [*decision.reasons, f"queued {queued} rows in batch {batch}"]
        return self._record(
            "queue_labels",
            [*said, *([f"{wanted} wanted, but {capped}"] if capped else [])],
            {**numbers, "batch": batch, "queued": queued, "wanted": wanted},
        )

    def _label_allowance(self, wanted: int) -> tuple[int, str | None]:
        """How many of ``wanted`` rows may be queued now under
        ``retraining.guards.max_labels_per_day`` (rows queued in the last 24 hours count, in
        the clock's time), and why fewer, if fewer."""
        limit = self.scope.retraining.guards.max_labels_per_day
        if limit is None:
            return wanted, None
        since = clock.now() - DAY
        asked = self.project.labels.queued_since(since)
        left = max(0, limit - asked)
        if left >= wanted:
            return wanted, None
        return left, (
            f"the label budget (retraining.guards.max_labels_per_day {limit}) has {left} "
            f"left: {asked} rows were queued in the last 24 hours"
        )

    def _classes_of(self, champion: ModelVersion) -> Any:
        """A version's classes by number (the champion's at hand, others looked up once)."""
        known: dict[int, Any] = {champion.version: champion.classes}

        def classes(version: int) -> Any:
            if version not in known:
                try:
                    known[version] = self.project.models.show(f"{self.name}:{version}").classes
                except NotFound:
                    known[version] = None
            return known[version]

        return classes

    def _retrain(
        self, decision: policy.Decision, context: dict[str, Any], numbers: dict[str, Any]
    ) -> StepResult:
        lease = f"retrain:{self.name}"
        try:
            self.project.loop.acquire_lease(
                lease, self.holder, float(self.scope.retraining.guards.lease_seconds)
            )
        except LeaseHeld as exc:
            return self._record("wait", [str(exc)], numbers)
        try:
            champion = context["champion"]
            recipe = loop_recipe.champion_recipe(self.project, champion)
            if recipe is None:
                return self._record(
                    "cannot_retrain",
                    [
                        *decision.reasons,
                        f"{champion.ref} has no recorded recipe (an imported model): the loop "
                        "keeps monitoring and gating it but cannot retrain it; train a model "
                        "with fullcycle train to let the loop retrain",
                    ],
                    numbers,
                )
            # old plus new: what the champion learned from, plus the labels it has not seen
            base = self.scope.retraining.data.base or champion.lineage.get("dataset")
            if not base:
                raise NotFound(
                    f"{champion.ref} has no dataset to start from",
                    hint="set retraining.data.base in fullcycle.yaml",
                )
            held = len(retrain.held_out_rows(self.project, context["labelled"], champion))
            need = gate_mod.rows_to_look(self.scope.gate.test, self.scope.gate.min_samples)
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
                message=f"retraining on {base} + labelled rows with {recipe.why}: {reason}",
                data={**numbers, "recipe": recipe.source, "recipe_why": recipe.why},
            )
            try:
                out = retrain.retrain(
                    self.project,
                    base=base,
                    labelled=context["labelled"],
                    champion=champion,
                    reason=reason,
                    actor=ACTOR,
                    recipe=recipe,
                )
            except InsufficientData as exc:
                return self._record("wait_labels", [str(exc)], numbers)
            result = {
                **numbers,
                "dataset": out.dataset,
                "run_id": out.run_id,
                "challenger": out.challenger,
                "gate": out.gate.numbers,
                "rows_added": out.rows_added,
                "labels_spent": out.rows_added + out.holdout_rows,
                "variant": out.variant,
                "recipe": recipe.source,
            }
            if out.gate.undecided:
                return self._pending_more(out.challenger, 1, out.gate, context, result)
            if not out.gate.passed:
                return self._record("gate_refused", out.gate.reasons, result)
            return self._start(champion, out.challenger, out.gate, result, context)
        finally:
            self.project.loop.release_lease(lease, self.holder)

    def _start(
        self, champion: ModelVersion, challenger: int, verdict: Any, result: dict[str, Any],
        context: dict[str, Any],
    ) -> StepResult:  # fmt: skip
        """The challenger's rollout, with the gate's numbers and what the champion's own live
        metric says of it (``rollout.shadow: when_healthy`` reads both)."""
        self.project.models.set_alias(
            self.name,
            "challenger",
            challenger,
            actor=ACTOR,
            reason=f"passed the gate on {verdict.numbers.get('rows')} held-out rows",
        )
        begun = rollout.begin(
            self.project,
            champion.version,
            challenger,
            {"gate": verdict.numbers, "labels_spent": result.get("labels_spent"),
             "live_failing": context.get("live_failing"), **{
                k: result[k] for k in ("dataset", "run_id") if k in result}},
        )  # fmt: skip
        spent = result.get("labels_spent")
        said = [*verdict.reasons, *([f"{spent} labelled rows spent"] if spent is not None else [])]
        if skipped := begun.data.get("shadow_skipped"):
            said.append(f"no shadow, straight to the canary: {skipped}")
        return self._record("rollout_started", said, result)

    def _pending_more(
        self, challenger: int, look: int, verdict: Any, context: dict[str, Any],
        result: dict[str, Any],
    ) -> StepResult:  # fmt: skip
        """The gate is undecided: keep the challenger and ask for the rows the evidence needs
        (never more than the sequential test's growth limit allows), then look again."""
        n = int(verdict.numbers.get("rows") or 0)
        need = int(verdict.numbers.get("rows_needed") or 2 * n)
        queued = len(self.project.labels.tasks(status="queued"))
        budget = policy.pending_budget(n, need, queued)
        data = {**result, "challenger": challenger, "look": look, "rows_needed": need,
                "gate": verdict.numbers, "champion": context["champion"].version}  # fmt: skip
        if budget > 0:
            ask = policy.Decision("queue_labels", verdict.reasons, {"budget": budget})
            self._queue_labels(ask, context, {"pending": challenger})
        return self._record("gate_pending", verdict.reasons, data)

    def gate_rows_for(
        self, context: dict[str, Any], challenger: ModelVersion, since: float | None = None
    ) -> pd.DataFrame:
        """The held-out rows the gate would score ``challenger`` on now (see gate_rows)."""
        return retrain.gate_rows(
            self.project, context["labelled"], context["champion"], challenger, since=since
        )

    def _regate(
        self, pending: dict[str, Any], context: dict[str, Any], obs: policy.Observations
    ) -> StepResult:
        """Gate the pending challenger again on every held-out row labelled so far; still
        undecided at :data:`STALE_LOOK`, with at least ``retraining.min_new_labels`` labelled
        since it was trained (``obs.new_labels``) and no guard against a retrain now:
        ``gate_stale``, and the step goes on to decide afresh (a retrain on those rows, if a
        trigger fires)."""
        champion = context["champion"]
        if pending.get("champion") != champion.version:  # production moved meanwhile
            return self._record(
                "gate_refused",
                [f"production is now {champion.ref}: the pending challenger is dropped"],
                {"challenger": pending.get("challenger")},
            )
        challenger = self.project.models.show(f"{self.name}:{pending['challenger']}")
        since = (pending.get("gate") or {}).get("since")
        holdout = self.gate_rows_for(context, challenger, None if since is None else float(since))
        look = int(pending.get("look") or 1) + 1
        if len(holdout) <= int((pending.get("gate") or {}).get("rows") or 0):
            return self._record(
                "wait_labels",
                [f"{challenger.ref} waits at the gate for more labelled rows "
                 f"({len(holdout)} so far, about {pending.get('rows_needed')} needed)"],
                {"pending": challenger.version},
            )  # fmt: skip
        share = float((pending.get("gate") or {}).get("alpha_share") or 1.0)
        verdict = retrain.gate(
            self.project, champion, challenger, holdout, look=look, alpha_share=share,
            split_at=_split_of(pending.get("gate") or {}),
        )  # fmt: skip
        verdict.numbers["alpha_share"] = share
        if since is not None:
            verdict.numbers["since"] = float(since)
        spent = int(pending.get("rows_added") or 0) + len(holdout)
        verdict.numbers["labels_spent"] = spent
        result = {**pending, "labels_spent": spent, "gate": verdict.numbers, "look": look}
        self.project.record(
            "loop.gate",
            subject=challenger.ref,
            actor=ACTOR,
            message=_said(verdict) + "; ".join(verdict.reasons),
            data=_plain({"passed": verdict.passed, "numbers": verdict.numbers, "look": look}),
        )
        if verdict.undecided and look >= STALE_LOOK:
            retraining = self.scope.retraining
            wanted, new_labels = retraining.min_new_labels, obs.new_labels
            # dropped only when its successor may be trained now: a guard that holds the
            # retrain back would leave no challenger at all where this one could still pass
            if new_labels >= wanted and policy.retrain_blocked(obs, retraining.guards) is None:
                why = (f"{challenger.ref} is still undecided at look {look}, and {new_labels} "
                       f"labelled rows came after it was trained (min_new_labels {wanted}): "
                       "dropped for a challenger that learns from them")  # fmt: skip
                return self._record("gate_stale", [why, *verdict.reasons], result)
        if verdict.undecided:
            return self._pending_more(challenger.version, look, verdict, context, result)
        if not verdict.passed:
            return self._record("gate_refused", verdict.reasons, result)
        return self._start(champion, challenger.version, verdict, result, context)

    def _rollout_step(self, active: Rollout) -> StepResult:
        if active.state == "gated":
            rollout.advance_from_gated(self.project, active)
            return self._record("rollout_resumed", [f"rollout {active.id} routed after a restart"])
        since = clock.now() - float(active.data.get("analysed_at") or 0.0)
        interval = float(self.scope.rollout.analysis_interval)
        if since < interval:
            return self._record(
                "wait",
                [f"rollout {active.id}: next analysis in {interval - since:.0f} s "
                 "(rollout.analysis_interval)"],
            )  # fmt: skip
        verdict = rollout.analyse(self.project, active, self.log())
        if verdict.action == policy.CanaryAction.PROMOTE:
            self._queue_ahead(active)
        return StepResult(f"rollout_{verdict.action}", verdict.reasons, verdict.numbers)

    def _queue_ahead(self, promoted: Rollout) -> None:
        """A promoted challenger that missed the goal on the gate's rows (better than the model
        it replaced, not yet good enough: the world is still moving) gets the labels its own
        successor will need queued now, not one loop step after the promotion."""
        numbers = (promoted.data or {}).get("gate") or {}
        value, goal = numbers.get("challenger"), self.scope.metric.goal
        if value is None or goal is None or value != value:
            return
        if metric_table.meets(self.scope.metric.name, float(value), float(goal)):
            return
        obs, context = self.observe()
        budget = self.scope.retraining.min_new_labels - obs.new_labels - obs.open_label_tasks
        if budget <= 0:
            return
        why = (
            f"the promoted version's {self.scope.metric.name} {float(value):.4g} on the gate's "
            f"rows misses the goal {float(goal):.4g}: labels for its successor, queued ahead"
        )
        ask = policy.Decision("queue_labels", [why], {"budget": budget, "ahead": True})
        self._queue_labels(ask, context, {"ahead": True, "budget": budget})

    def submit(
        self, challenger_ref: str, *, skip_gate: bool = False, reason: str = ""
    ) -> StepResult:
        """Put a registered version through the gate (or, with ``skip_gate``, straight into
        a rollout, as an engineer pushing it by hand would) and start its rollout."""
        champion = self.project.production_version()
        challenger = self.project.models.show(challenger_ref)
        if not skip_gate:
            obs, context = self.observe()
            holdout = retrain.held_out_rows(self.project, context["labelled"], champion)
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


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    import json

    plain: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return plain


def _split_of(numbers: dict[str, Any]) -> float | None:
    """Where a pending gate's first look split its rows (see :func:`retrain.gate`): the same
    split at every later look; ``-inf`` when it split nothing; None when it did not say."""
    if "split_at" not in numbers:
        return None
    at = numbers["split_at"]
    return -math.inf if at is None else float(at)


def _said(verdict: Any) -> str:
    """How a gate event begins: passed, undecided (a later look may decide) or refused."""
    return "passed: " if verdict.passed else "undecided: " if verdict.undecided else "refused: "


def _window_of(log: pd.DataFrame, report: dict[str, Any], champion: ModelVersion) -> pd.DataFrame:
    """The rows of the latest monitoring report's window (the champion's, from its first row
    on): the rows an audit's labels count for in the live metric."""
    rows = log[log["version"] == champion.version] if len(log) else log
    since = report.get("window_since")
    if since is not None and len(rows):
        rows = rows[rows["ts"] >= float(since)]
    return rows
