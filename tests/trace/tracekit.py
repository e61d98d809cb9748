"""A small project whose world changes: a model trained on period 0, served in-process through
the real app, feedback on period-1 traffic, and the loop retraining and promoting a challenger."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd

from fullcycle.project import Project
from fullcycle.serving.server import ServeOptions, build_app
from fullcycle.serving.source import RegistrySource
from fullcycle.store import deployments
from fullcycle.testing import make_served_project

NAME = "shift"
FEATURES = ("x0", "x1")

#: The loop's sections of the scope (the rest is written from the data by make_served_project).
SECTIONS: dict[str, Any] = {
    "retraining": {
        "triggers": ["new_labels"],
        "min_new_labels": 150,
        "guards": {"min_interval": "1s", "max_per_day": 20, "lease_seconds": 600},
        "data": {"dedupe": False, "recent_weight": 3.0},
    },
    "gate": {"margin": 0.0, "test": "paired_bootstrap", "alpha": 0.1, "min_samples": 30},
    "rollout": {
        "shadow": False,
        "canary_share": 0.5,
        "steps": [0.5, 1.0],
        "min_requests": 20,
        "max_error_rate": 0.01,
        "max_disagreement": 0.95,
        "max_p95_ms": 5000,
    },
}


def world(period: int, n: int, seed: int) -> pd.DataFrame:
    """Period 0: the label follows x0; from period 1 on it follows x1."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    key = x[:, 0] if period == 0 else x[:, 1]
    return pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "label": np.where(key > 0, "a", "b")})


def make_project(folder: Path, db_url: str) -> Project:
    project: Project = make_served_project(
        folder,
        world(0, 300, seed=1),
        NAME,
        goal=0.6,
        params={"max_iter": 200},
        sections=SECTIONS,
        database_url=db_url,
    )
    version = project.production_version()
    deployments.set(project._db, NAME, production=version.version, actor="test", reason="launch")
    return project


def serve(project: Project, frame: pd.DataFrame, ids: list[str], *, feedback: bool) -> list[Any]:
    """Send each row as one request (with its id) through the real app, then stop it, which
    seals the log; returns the responses' JSON."""
    options = ServeOptions(
        source_factory="fullcycle.serving.source:project_source",
        model=NAME,
        poll_s=0.05,
        fsync_interval_s=0.01,
        trace_factory="fullcycle.trace:tracer",
        auth=False,  # traffic for the test; /trace itself is checked with a token below
    )
    app = build_app(RegistrySource(project.settings, NAME), project.settings, options)
    return asyncio.run(_drive(app, frame, ids, feedback))


async def _drive(app: Any, frame: pd.DataFrame, ids: list[str], feedback: bool) -> list[Any]:
    rows = frame[list(FEATURES)].to_dict("records")
    out = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            for rid, row in zip(ids, rows, strict=True):
                res = await client.post(
                    "/predict", json={"records": [row]}, headers={"X-Request-ID": rid}
                )
                assert res.status_code == 200, res.text
                out.append(res.json())
            if feedback:
                items = [
                    {"request_id": rid, "label": label}
                    for rid, label in zip(ids, frame["label"], strict=True)
                ]
                res = await client.post("/feedback", json=items)
                assert res.status_code == 200, res.text
    return out


def get_trace(project: Project, request_id: str) -> httpx.Response:
    """``GET /trace/{id}`` on the app as ``fullcycle serve`` builds it."""
    options = ServeOptions(
        source_factory="fullcycle.serving.source:project_source",
        model=NAME,
        trace_factory="fullcycle.trace:tracer",
    )
    app = build_app(RegistrySource(project.settings, NAME), project.settings, options)
    from fullcycle import auth

    names = {t.name for t in project.tokens()}
    token = auth.create_token(project._db, name=f"reader-{len(names)}", role="read")

    async def go() -> httpx.Response:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1"
            ) as client:
                return await client.get(
                    f"/trace/{request_id}", headers={"Authorization": f"Bearer {token}"}
                )

    return asyncio.run(go())


def story(folder: Path, db_url: str) -> tuple[Project, list[str]]:
    """Launch v1, let the world change, feed labels back, and let the loop retrain, canary and
    promote v2; returns the project and the request ids whose labels came back."""
    project = make_project(folder, db_url)
    taught = [f"p1-{i:04d}" for i in range(300)]
    serve(project, world(1, 300, seed=2), taught, feedback=True)
    step = project.loop_step(holder="test")
    assert step.action == "rollout_started", (step.action, step.reasons)
    canary = [f"c-{i:04d}" for i in range(120)]
    serve(project, world(1, 120, seed=3), canary, feedback=False)
    step = project.loop_step(holder="test")
    assert step.action == "rollout_promote", (step.action, step.reasons)
    return project, taught
