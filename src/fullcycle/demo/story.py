"""The demo's story: a voice assistant's domain router in a world that keeps changing.

Period 0 trains the first model. Each later period is replayed through the real server in
chunks; after each chunk the feedback for a share of requests arrives, the monitor builds a
report, and the loop takes one step (queue labels, retrain, canary, promote or roll back). A
frozen copy of the first model is scored on the same rows, so the summary can say how far the
loop kept the metric from where it would have fallen.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from fullcycle.demo import labellers, traffic
from fullcycle.demo.server import DEMO_TOKEN_TTL_S, Server
from fullcycle.examples import voice
from fullcycle.project import Project
from fullcycle.records import DriftVerdict

if TYPE_CHECKING:
    from fullcycle.facade._groups import Tokens


@dataclass
class PeriodResult:
    period: int
    requests: int
    unseen_share: float
    loop_metric: float
    frozen_metric: float
    served_by: dict[int, int]
    verdicts: list[DriftVerdict] = field(default_factory=list)
    drifted: list[str] = field(default_factory=list)
    live_metric: float | None = None
    live_cost: float | None = None  # expected cost per 1,000 decisions on labelled requests
    abstain_share: float | None = None
    actions: list[str] = field(default_factory=list)


@dataclass
class DemoResult:
    folder: Path
    goal: float | None
    evaluation: float
    periods: list[PeriodResult]
    detected_after: int | None
    detection: str
    bad_challenger: dict[str, Any]
    report: Path
    seconds: float
    final_version: str = ""
    final_metric: float = 0.0
    final_frozen_metric: float = 0.0
    labels_spent: int = 0
    labels_per_promotion: list[int] = field(default_factory=list)


@dataclass
class DemoOptions:
    periods: int = 5
    per_period: int = 1500
    chunks: int = 5
    train_rows: int = 4000
    feedback_share: float = 0.2
    seed: int = 0
    plant_bad_at: int | None = 2
    concurrency: int = 16


def macro_f1(truth: Any, pred: Any) -> float:
    from sklearn.metrics import f1_score

    return float(
        f1_score(np.asarray(truth).astype(str), np.asarray(pred).astype(str), average="macro")
    )


def labels_spent(project: Project) -> int:
    """Labels people were asked for and gave: the queued tasks that came back labelled (each
    task once, whoever labelled it). The feedback users sent on their own is not counted."""
    progress = project.labels.progress()
    return sum(n for status, n in progress.items() if status != "queued")


def labels_per_promotion(project: Project) -> list[int]:
    """For each promotion by the loop, the labelled rows its challenger's evidence used (the
    ``labels_spent`` the loop records on ``loop.promote``), oldest first."""
    events = sorted(project.events(kind="loop.promote", limit=10_000), key=lambda e: e.ts)
    return [
        int(e.data["labels_spent"])
        for e in events
        if isinstance((e.data or {}).get("labels_spent"), int)
    ]


class Demo:
    def __init__(self, folder: Path, options: DemoOptions, say: Callable[[str], None]) -> None:
        self.folder = folder
        self.o = options
        self.say = say
        self.served = 0
        self.detected_after: int | None = None
        self.detection = ""
        self.bad: dict[str, Any] = {}
        self.planted: str | None = None  # the bad challenger, once trained
        self.truth: dict[str, str] = {}
        self.token: str | None = None

    # -- setting up ----------------------------------------------------------------------------
    def setup(self) -> Project:
        self.folder.mkdir(parents=True, exist_ok=True)
        scope = resources.files("fullcycle.demo").joinpath("voice.yaml").read_text()
        (self.folder / "fullcycle.yaml").write_text(scope)
        project = Project.open(self.folder)
        project.record(
            "demo.start", subject="voice", actor="demo", message="the voice-search demo begins"
        )
        frame = voice.without_truth(voice.generate(0, self.o.train_rows, seed=self.o.seed))
        data = project.add_data(frame.drop(columns=["request_time"]), "queries", actor="demo")
        self.say(f"data      {data.ref}: {data.n_rows} period-0 queries, contract checked")
        result = project.train(data=data.ref)
        ev = result.evaluation
        reports = self.folder / "reports"
        reports.mkdir(exist_ok=True)
        from fullcycle.train import report as train_report

        (reports / "evaluation.html").write_text(train_report.to_html(ev, "voice:1 evaluation"))
        self.say(
            f"train     run {result.run_id[:12]}: {result.metric} {result.value:.3f} "
            f"(goal {project.scope.metric.goal}); diagnosis: {ev['diagnosis']['verdict']}"
        )
        version = project.register(result.run_id, actor="demo")
        project.promote(version.ref, actor="demo")
        self.say(
            f"register  {version.ref} promoted to production; report: {reports / 'evaluation.html'}"
        )
        self.evaluation = float(result.value or 0.0)
        return project

    # -- production ----------------------------------------------------------------------------
    def run(self) -> DemoResult:
        start = time.monotonic()
        project = self.setup()
        frozen = project.load_model("voice:1").estimator
        results = []
        # the server checks tokens; the demo acts as a client with the write role
        tokens = cast("Tokens", project.tokens)  # the group beside the flat method
        _, self.token = tokens.create(
            "write",
            name=f"demo-{uuid.uuid4().hex[:8]}",
            expires_in_s=DEMO_TOKEN_TTL_S,  # and revoked when the server stops
            actor="demo",
        )
        with Server(self.folder) as url:
            self.say(f"serve     {url} (a real server, logging every prediction)")
            for period in range(1, self.o.periods + 1):
                results.append(self.period(project, url, period, frozen))
        summary_path = self.write_report(project, results)
        final = project.production_version()
        model = project.load_model(final.ref).estimator
        # fresh queries from the last period, never served nor labelled: an honest comparison
        fresh = voice.generate(self.o.periods, 2000, seed=self.o.seed + 9_999)
        X = fresh[list(traffic.FEATURES)]
        final_metric = macro_f1(fresh["domain"], model.predict(X))
        frozen_metric = macro_f1(fresh["domain"], frozen.predict(X))
        return DemoResult(
            self.folder,
            project.scope.metric.goal,
            self.evaluation,
            results,
            self.detected_after,
            self.detection,
            self.bad,
            summary_path,
            time.monotonic() - start,
            final.ref,
            final_metric,
            frozen_metric,
            labels_spent(project),
            labels_per_promotion(project),
        )

    def period(self, project: Project, url: str, period: int, frozen: Any) -> PeriodResult:
        # the world then stays as the last period left it: twice the traffic, so the loop can
        # catch up with what the last period brought before the demo judges it
        last = period == self.o.periods
        n = self.o.per_period * (2 if last else 1)
        frame = voice.generate(period, n, seed=self.o.seed + 100 * period)
        ids = [f"p{period}-{i:05d}" for i in range(len(frame))]
        self.truth.update(dict(zip(ids, frame["domain"], strict=True)))
        rows = frame.to_dict("records")
        answers: list[traffic.Answer] = []
        result = PeriodResult(period, len(frame), float(frame["_name_is_new"].mean()), 0.0, 0.0, {})
        rng = np.random.default_rng(self.o.seed + period)
        for chunk in np.array_split(np.arange(len(rows)), self.o.chunks * (2 if last else 1)):
            got = traffic.replay(
                url,
                [rows[i] for i in chunk],
                [ids[i] for i in chunk],
                self.o.concurrency,
                token=self.token,
            )
            answers += got
            self.served += len(got)
            fb = [
                {"request_id": ids[i], "label": rows[i]["domain"]}
                for i in chunk
                if rng.random() < self.o.feedback_share
            ]
            traffic.send_feedback(url, fb, token=self.token)
            self.after_chunk(project, result)
            if self._time_to_plant(project, period):  # as soon as no rollout is running
                self.plant_bad_challenger(project)
        if last:
            self.settle(project, url, period, result, rng)
        ok = [a for a in answers if a.status == 200]
        result.loop_metric = macro_f1(
            [self.truth[a.request_id] for a in ok], [a.prediction for a in ok]
        )
        features = list(traffic.FEATURES)
        result.frozen_metric = macro_f1(frame["domain"], frozen.predict(frame[features]))
        for a in ok:
            result.served_by[a.version or 0] = result.served_by.get(a.version or 0, 0) + 1
        served = ", ".join(f"v{v}: {n}" for v, n in sorted(result.served_by.items()))
        cost = ""
        if result.live_cost is not None:
            cost = f" | live cost {result.live_cost:.0f}/1000"
            if result.abstain_share is not None:
                cost += f", {result.abstain_share:.1%} abstained"
        self.say(
            f"period {period}  {result.unseen_share:.0%} new names | macro-F1 loop "
            f"{result.loop_metric:.3f} vs frozen {result.frozen_metric:.3f}{cost} | "
            f"served {served}"
        )
        return result

    def after_chunk(self, project: Project, result: PeriodResult) -> None:
        report = project.monitor("last:1200", actor="demo")
        result.verdicts.append(report.verdict)
        result.drifted = sorted(set(result.drifted) | set(report.drifted_features))
        result.live_metric = report.performance.get("value")
        cost = report.cost or {}
        result.live_cost = cost.get("cost_per_1000")
        result.abstain_share = cost.get("abstain_share")
        if report.alerts and self.detected_after is None:
            self.detected_after = self.served
            self.detection = "; ".join(a["message"] for a in report.alerts)
            self.say(f"monitor   decay detected after {self.served} requests: {self.detection}")
        step = project.loop_step(holder="demo-loop")
        result.actions.append(step.action)
        if step.action not in ("none", "rollout_extend"):
            self.say(f"loop      {step.action}: {'; '.join(step.reasons)[:160]}")
        if step.action == "queue_labels":
            done = labellers.answer_queue(
                project, self.truth, self.folder / "labels", round_=self.served
            )
            self.say(
                f"label     {done.get('alice', 0)} rows labelled by alice, "
                f"{done.get('bob', 0)} by bob; {done.get('disagreed', 0)} disagreements "
                f"settled by carol"
            )

    def settle(
        self,
        project: Project,
        url: str,
        period: int,
        result: PeriodResult,
        rng: np.random.Generator,
        most: int = 8,
    ) -> None:
        """The last period's world goes on while the loop's answer to the decay is still under
        way: a rollout in flight, or (the decay seen) no version of the loop's in production
        yet, e.g. after a canary rolled a challenger back and the loop is retraining. Each step
        is 300 more requests and one loop step, at most ``most``; these requests are not in the
        period's table."""
        for extra in range(1, most + 1):
            if not self._under_way(project):
                return
            more = voice.generate(period, 300, seed=self.o.seed + 100 * period + extra)
            ids = [f"p{period}-settle{extra}-{i:04d}" for i in range(len(more))]
            self.truth.update(dict(zip(ids, more["domain"], strict=True)))
            rows = more.to_dict("records")
            got = traffic.replay(url, rows, ids, self.o.concurrency, token=self.token)
            self.served += len(got)
            fb = [
                {"request_id": r, "label": row["domain"]}
                for r, row in zip(ids, rows, strict=True)
                if rng.random() < self.o.feedback_share
            ]
            traffic.send_feedback(url, fb, token=self.token)
            self.after_chunk(project, result)

    def _under_way(self, project: Project) -> bool:
        """A rollout is in flight, or the loop has seen the decay and not yet put a version of
        its own in production (the first model still serves)."""
        if project.loop.active("voice") is not None:
            return True
        return self.detected_after is not None and project.production_version().version == 1

    # -- the planted bad challenger -----------------------------------------------------------
    def _time_to_plant(self, project: Project, period: int) -> bool:
        due = self.o.plant_bad_at is not None and period >= self.o.plant_bad_at
        return due and not self.bad and project.loop.active("voice") is None

    def plant_bad_challenger(self, project: Project) -> None:
        """A challenger trained with the navigation labels scrambled: the gate must refuse it,
        and when pushed past the gate by hand, the canary must roll it back."""
        if self.planted is None:
            self.planted = self._train_bad_challenger(project)
        ref = self.planted
        gated = project.loop_submit(ref, reason="planted bad challenger")
        if gated.action == "gate_insufficient":  # too few held-out labels yet: next period
            self.say(f"planted   {ref}: {gated.reasons[0]}; it goes to the gate next period")
            return
        self.say(
            f"planted   {ref} (navigation labels scrambled): gate says "
            f"{gated.action}: {'; '.join(gated.reasons)[:140]}"
        )
        if gated.action != "gate_refused":
            self.bad = {"version": ref, "gate": gated.action}
            return
        pushed = project.loop_submit(
            ref, skip_gate=True, reason="pushed past the gate by hand, to test the canary"
        )
        self.say(f"planted   {ref} pushed into a canary by hand: {pushed.action}")
        self.bad = {"version": ref, "gate": gated.action, "gate_reasons": gated.reasons}

    def _train_bad_challenger(self, project: Project) -> str:
        base = project.load_data("queries@1")
        rng = np.random.default_rng(self.o.seed)
        nav = base["domain"] == "navigation"
        base.loc[nav, "domain"] = rng.choice(sorted(set(base["domain"])), int(nav.sum()))
        data = project.add_data(
            base,
            "queries-scrambled",
            actor="demo",
            origin={"kind": "planted", "why": "navigation labels scrambled"},
        )
        result = project.train(data=data.ref, learning_curve=False)
        version = project.register(
            result.run_id, actor="demo", description="planted: navigation labels scrambled"
        )
        return version.ref

    # -- the summary ---------------------------------------------------------------------------
    def write_report(self, project: Project, results: list[PeriodResult]) -> Path:
        from fullcycle.demo.report import render

        path = self.folder / "reports" / "demo.html"
        path.write_text(render(project, results, self.evaluation))
        rollbacks = project.events(kind="loop.rollback")
        if self.bad:
            self.bad["rolled_back"] = any(self.bad["version"] == e.subject for e in rollbacks)
            self.bad["rollback_reasons"] = [
                e.message for e in rollbacks if e.subject == self.bad["version"]
            ]
        return path
