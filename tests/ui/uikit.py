"""Factories for the dashboard tests: a client on a project, and a project with things in it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from fullcycle.project import Project
from fullcycle.ui.app import create_ui

PAGES = ("/", "/data", "/runs", "/models", "/deployment", "/monitoring", "/labelling", "/events")
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
    from fullcycle.store.tables import alerts, monitor_reports

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
                    "performance": {"accuracy": 0.9 - i / 50},
                    "latency": {"p50": 3.0 + i, "p95": 9.0 + i, "p99": 15.0 + i},
                },
            }
        )
    with project.db.write() as conn:
        conn.execute(monitor_reports.insert(), rows)
        conn.execute(
            alerts.insert().values(
                key=f"drift:{HOSTILE}", opened_at=now - 60, last_seen=now, count=2, data={}
            )
        )


def add_rollout(project: Project) -> None:
    from fullcycle.store import rollouts

    with project.db.write() as conn:
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
    project.db  # noqa: B018 - create the store
    run_ids = add_runs(project)
    project.record("loop.decide", subject=HOSTILE, message="retrain: drift in amount")
    project.record("loop.retrain", subject="churn", message=HOSTILE)
    add_monitoring(project)
    add_rollout(project)
    return {"run_ids": run_ids}
