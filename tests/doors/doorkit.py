"""Real projects on datasets that ship with scikit-learn (loaded offline)."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pandas as pd  # noqa: E402

from fullcycle import testing  # noqa: E402
from fullcycle.project import Project  # noqa: E402

N_FEATURES = 4


def breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = data.frame.iloc[:, :N_FEATURES].copy()
    frame.columns = [f"x{i}" for i in range(N_FEATURES)]
    frame["label"] = data.target.astype("int64")
    return frame


def diabetes() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    data = load_diabetes(as_frame=True)
    frame = data.frame[["age", "bmi", "bp", "s5"]].copy()
    frame["label"] = data.target.astype("float64")
    return frame


def make_project(folder: Path, frame: pd.DataFrame, task: str, environ: Any = None) -> Project:
    """Logistic regression on breast cancer or ridge on diabetes; version 1 in production."""
    classification = task == "classification"
    estimator = "LogisticRegression" if classification else "Ridge"
    training = {
        "estimator": f"sklearn.linear_model:{estimator}",
        "params": {"max_iter": 500} if classification else {},
    }
    # diabetes: an RMSE near 55 is what a linear model reaches
    metric = {"goal": 0.7, "baseline": {"value": 0.6}}
    if not classification:
        metric = {"name": "rmse", "goal": 80.0, "baseline": {"value": 90.0}}
    project: Project = testing.make_project(
        folder,
        name="doors",
        task=task,
        environ=environ,
        scope={"training": training, "metric": metric},
        data=frame,
        data_name="base",
        train=[None],
        deploy=True,
    )
    return project


def records(frame: pd.DataFrame, n: int, start: int = 0) -> list[dict[str, Any]]:
    return frame.drop(columns=["label"]).iloc[start : start + n].to_dict("records")


async def predict(client: Any, frame: pd.DataFrame, n: int, start: int = 0) -> list[str]:
    """One ``/predict`` per row of ``frame[start:start + n]``; the request ids, in order."""
    ids = []
    for i in range(n):
        res = await client.post("/predict", json={"records": records(frame, 1, start + i)})
        assert res.status_code == 200, res.text
        ids.append(res.json()["request_id"])
    return ids
