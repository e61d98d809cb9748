"""Factories for the dashboard tests: a client on a project, and a project with things in it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from fullcycle.project import Project
from fullcycle.ui.app import create_ui

PAGES = (
    "/",
    "/data",
    "/runs",
    "/models",
    "/deployment",
    "/monitoring",
    "/labelling",
    "/events",
    "/trace",
)
HOSTILE = "<script>alert(1)</script>{{7*7}}"


class UIClient:
    """A synchronous httpx client driving the dashboard in-process over ASGI."""

    def __init__(self, app: Any, host: str = "127.0.0.1") -> None:
        self.loop = asyncio.new_event_loop()
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=f"http://{host}",
            follow_redirects=False,
        )

    @property
    def cookies(self) -> httpx.Cookies:
        return self.http.cookies

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.http.request(method, url, **kw))

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()


def client(project: Project, *, auth_required: bool = False, host: str = "127.0.0.1") -> UIClient:
    return UIClient(create_ui(project, auth_required=auth_required), host)


def csrf_of(client: UIClient) -> str:
    """Load a page so the CSRF cookie is set, and return it."""
    client.get("/login")
    token = client.cookies.get("fc_csrf")
    assert token
    return str(token)


def add_runs(project: Project) -> list[str]:
    ids = []
    for lr, depth in ((0.1, 3), (0.3, 3), (0.1, 5)):
        with project.start_run("gbm", params={"lr": lr, "depth": depth, "note": HOSTILE}) as run:
            for step in range(6):
                run.log_metric("loss", 1.0 / (step + 1) + lr, step=step)
            run.log_metric("accuracy", 0.8 + lr / 10)
            ids.append(run.id)
    return ids


def add_monitoring(project: Project) -> None:
    """Reports and an alert as the monitoring stage stores them (written here until it lands)."""
    from fullcycle.store import alerts as alert_store
    from fullcycle.store.tables import monitor_reports

    now = time.time()
    rows: list[dict[str, Any]] = []
    for i in range(4):
        features = [
            {
                "name": "amount",
                "kind": "numeric",
                "verdict": "drift" if i == 3 else "ok",
                "drifted": i == 3,
                "score": 0.3 * (i + 1),
                "n_current": 500,
                "chart": {
                    "type": "numeric",
                    "x": [1, 2, 3],
                    "reference": [0.2, 0.5, 0.3],
                    "current": [0.1, 0.4, 0.5],
                },
            },
            {
                "name": HOSTILE,
                "kind": "categorical",
                "verdict": "ok",
                "drifted": False,
                "score": 0.2,
                "n_current": 500,
                "chart": {
                    "type": "categorical",
                    "x": ["a", HOSTILE],
                    "reference": [0.5, 0.5],
                    "current": [0.6, 0.4],
                },
            },
        ]
        rows.append(
            {
                "created_at": now - (4 - i) * 3600,
                "model": "churn",
                "version": 1,
                "window": {"start": now - (5 - i) * 3600, "end": now - (4 - i) * 3600},
                "verdict": "drift" if i == 3 else "ok",
                "summary": {
                    "drift": {"features": features},
                    "performance": {"accuracy": 0.9 - i / 50, "f1_macro": 0.82 - i / 40},
                    "latency": {"p50": 3.0 + i, "p95": 9.0 + i, "p99": 15.0 + i},
                },
            }
        )
    with project._db.write() as conn:
        conn.execute(monitor_reports.insert(), rows)
    alert_store.raise_or_touch(project._db, f"drift:{HOSTILE}", "drift in a feature", {})
    alert_store.raise_or_touch(project._db, f"drift:{HOSTILE}", "drift in a feature", {})


def add_rollout(project: Project) -> None:
    from fullcycle.store import rollouts

    with project._db.write() as conn:
        rollout = rollouts.start(conn, "churn", 1, 2, {"criteria": {"max_error_rate": 0.01}})
        rollouts.move(
            conn,
            rollout,
            "canary",
            {
                "samples": 120,
                "min_samples": 500,
                "observed": {"max_error_rate": 0.002},
                "shadow_disagreement": 0.04,
            },
        )


def populate(project: Project) -> dict[str, Any]:
    """Everything the stages that have landed can make, plus the audit trail."""
    project._db  # noqa: B018 - create the store
    run_ids = add_runs(project)
    project.record("loop.decide", subject=HOSTILE, message="retrain: drift in amount")
    project.record("loop.retrain", subject="churn", message=HOSTILE)
    add_monitoring(project)
    add_rollout(project)
    return {"run_ids": run_ids}


def stages_landed(*modules: str) -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in modules)


FULL_STAGES = ("fullcycle.scope", "fullcycle.data.labeling", "fullcycle.registry")


def full_project(folder: Path) -> Project:
    """A project built through the stages: scope, data, two trained and promoted versions,
    a labelling queue, a canary deployment, and the monitoring and loop records above."""
    import numpy as np
    import pandas as pd

    from fullcycle.testing import make_project

    split = {"training": {"split": {"strategy": "random"}}}
    project: Project = make_project(folder, name="churn", scope=split)
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            "amount": rng.normal(size=n),
            "visits": rng.integers(0, 10, n),
            "city": rng.choice(["paris", "rome", "oslo", HOSTILE], n),
        }
    )
    signal = frame["amount"] + (frame["city"] == "paris") + rng.normal(size=n) * 0.7
    frame["label"] = np.where(signal > 0.4, "yes", "no")
    version = project.add_data(frame, "customers", infer_contract=True)
    for params in ({"max_iter": 60}, {"max_iter": 120, "learning_rate": 0.05}):
        project.train(version.ref, params=params)
        model = project.register(description=f"trained with {params} {HOSTILE}")
        project.promote(model.ref, "production", force=True, reason="walkthrough")
    candidates = frame.drop(columns=["label"]).head(60).copy()
    candidates["request_id"] = [f"req-{i}" for i in range(len(candidates))]
    candidates["prediction"] = "yes"
    candidates["proba_yes"] = np.linspace(0.35, 0.65, len(candidates))
    candidates["proba_no"] = 1 - candidates["proba_yes"]
    project.label_queue(candidates, budget=12, seed=0)
    first = [t["id"] for t in _queued(project)[:4]]
    labels = folder / "labels.jsonl"
    labels.write_text("".join(f'{{"task_id": {t}, "label": "yes"}}\n' for t in first), "utf-8")
    project.label_import(labels, labeller="ana")
    project.label_merge(version.ref)
    if stages_landed("fullcycle.store.deployments"):
        from fullcycle.store import deployments

        deployments.set(project._db, "churn", production=1, actor="test", reason="first deploy")
        deployments.set(
            project._db,
            "churn",
            production=1,
            canary=2,
            canary_share=0.1,
            actor="loop",
            reason="canary for churn:2",
        )
        # the canary passed: what serves (the deployment) and the production alias agree on 2
        deployments.set(project._db, "churn", production=2, actor="loop", reason="canary passed")
    populate(project)
    return project


def _queued(project: Project) -> list[dict[str, Any]]:
    from fullcycle.store import dashboard

    out = []
    after = 0
    while (task := dashboard.next_task(project._db, after=after)) and task["id"] > after:
        out.append(task)
        after = task["id"]
    return out
