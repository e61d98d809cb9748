"""Real projects on datasets that ship with scikit-learn (loaded offline)."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pandas as pd  # noqa: E402
import yaml  # noqa: E402

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
    project = Project.init(folder, "doors", task=task, environ=environ)
    path = project.settings.scope_path
    scope = yaml.safe_load(path.read_text("utf-8"))
    estimator = "LogisticRegression" if task == "classification" else "Ridge"
    scope["training"]["estimator"] = f"sklearn.linear_model:{estimator}"
    scope["training"]["params"] = {"max_iter": 500} if task == "classification" else {}
    if task == "regression":  # diabetes: an RMSE near 55 is what a linear model reaches
        scope["metric"].update({"name": "rmse", "goal": 80.0})
        scope["metric"]["baseline"]["value"] = 90.0
    else:
        scope["metric"].update({"goal": 0.7})
        scope["metric"]["baseline"]["value"] = 0.6
    path.write_text(yaml.safe_dump(scope, sort_keys=False), "utf-8")
    project.reload_scope()
    data = project.add_data(frame, "base", infer_contract=True)
    project.train(data.ref)
    project.promote(project.register().ref, "production")
    return project


def records(frame: pd.DataFrame, n: int, start: int = 0) -> list[dict[str, Any]]:
    return frame.drop(columns=["label"]).iloc[start : start + n].to_dict("records")
