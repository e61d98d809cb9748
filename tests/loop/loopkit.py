"""Helpers for loop tests on real data: a project from a scope patch, traffic through the real
app in-process (ASGI), feedback, and the loop stepped until a condition holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from fullcycle.project import Project
from fullcycle.serving.server import ServeOptions, build_app
from fullcycle.serving.source import RegistrySource
from fullcycle.testing import make_project as make_project_

#: The loop's sections for a test that takes it to a promotion in a few steps: retrain on drift
#: or a drop once 150 labels are in, gate on 40 held-out rows, no shadow, a two-step canary.
FAST_LOOP: dict[str, Any] = {
    "retraining": {
        "triggers": ["drift", "performance"],
        "min_new_labels": 150,
        "guards": {"min_interval": "1s", "max_per_day": 20, "lease_seconds": 600},
    },
    "gate": {"min_samples": 40, "test": "sequential", "margin": 0.0},
    "rollout": {
        "shadow": False,
        "canary_share": 0.5,
        "steps": [0.5, 1.0],
        "min_requests": 40,
        "max_p95_ms": 5000,
    },
    "monitoring": {"min_rows": 50},
    "constraints": {"p95_latency_ms": 5000},
}


#: A regression scope on scikit-learn's diabetes table: R² against a goal of 0.3, a ridge fit.
DIABETES_R2: dict[str, Any] = {
    **FAST_LOOP,
    "metric": {"name": "r2", "goal": 0.3, "baseline": {"value": 0.2, "label": "mean"}},
    "training": {"estimator": "sklearn.linear_model:Ridge", "params": {"alpha": 0.01}},
}


def diabetes() -> pd.DataFrame:
    """scikit-learn's diabetes table (real data), its rows shuffled once."""
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True).frame
    return frame.sample(frac=1.0, random_state=0).reset_index(drop=True)


def make_project(folder: Path, name: str, task: str, target: str, patch: dict[str, Any]) -> Project:
    project: Project = make_project_(folder, name=name, task=task, target=target, scope=patch)
    return project


def start(project: Project, frame: pd.DataFrame, contract_from: pd.DataFrame | None = None) -> Any:
    """data add -> train -> register -> promote; the first model serves. The contract is
    inferred from ``contract_from`` (all the data) when given, else from ``frame``."""
    if contract_from is not None:
        project.add_data(contract_from, f"{project.name}-all", infer_contract=True)
    data = project.add_data(frame, project.name, infer_contract=contract_from is None)
    project.train(data.ref, learning_curve=False)
    version = project.register()
    project.promote(version.ref, "production", force=True, reason="test set-up")
    return version


async def serve(
    project: Project, rows: list[dict[str, Any]], truth: list[Any], feedback_every: int = 1
) -> list[dict[str, Any]]:
    """One request per row through the real app, then feedback for every ``feedback_every``-th."""
    options = ServeOptions(
        source_factory="fullcycle.serving.source:project_source",
        model=project.name,
        poll_s=0.05,
        auth=False,  # the loop is tested here; tests/security checks the tokens
    )
    app = build_app(RegistrySource(project.settings, project.name), project.settings, options)
    bodies, answered = [], []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            for row, label in zip(rows, truth, strict=True):
                res = await client.post("/predict", json={"records": [row]})
                # values beyond the training range may be refused (422) until the contract
                # serves soft violations; they are not answered, so get no feedback
                assert res.status_code in (200, 422), res.text
                if res.status_code == 200:
                    bodies.append(res.json())
                    answered.append(label)
            feedback = [
                {"request_id": b["request_id"], "label": t}
                for i, (b, t) in enumerate(zip(bodies, answered, strict=True))
                if i % feedback_every == 0
            ]
            res = await client.post("/feedback", json=feedback)
            assert res.status_code == 200, res.text
    return bodies


def diabetes_champion(
    folder: Path, scope: dict[str, Any], rows: int = 200, frame: pd.DataFrame | None = None
) -> tuple[Project, Any, pd.DataFrame]:
    """A regression project ``diab`` whose champion learned the first ``rows`` rows of
    ``frame`` (default: :func:`diabetes`); (project, champion, frame)."""
    frame = diabetes() if frame is None else frame
    project = make_project(folder, "diab", "regression", "target", scope)
    return project, start(project, frame.iloc[:rows]), frame


def answer_queue(project: Project, truth: dict[str, Any], folder: Path) -> int:
    """A scripted labeller: export the queue as CSV, answer every row from ``truth`` (by
    request id), import the answers; how many rows the queue held."""
    import csv

    folder.mkdir()
    queued = project.label_export(folder / "queue.csv", "csv")
    if queued == 0:
        return 0
    with open(folder / "queue.csv", newline="") as fh, open(folder / "done.csv", "w") as out:
        writer = csv.DictWriter(out, fieldnames=["task_id", "label"])
        writer.writeheader()
        for row in csv.DictReader(fh):
            writer.writerow({"task_id": row["task_id"], "label": truth[row["request_id"]]})
    project.label_import(folder / "done.csv", labeller="alice")
    return int(queued)


def step_until(project: Project, wanted: set[str], limit: int = 8) -> list[str]:
    """Monitor and step the loop until it takes one of ``wanted``; the actions it took."""
    actions = []
    for _ in range(limit):
        project.monitor("last:100000")
        actions.append(project.loop_step().action)
        if actions[-1] in wanted:
            break
    return actions
