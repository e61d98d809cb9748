"""Real projects on datasets that ship with scikit-learn, served in-process over ASGI."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

from collections.abc import AsyncIterator, Callable  # noqa: E402
from contextlib import asynccontextmanager  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
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


@pytest.fixture(scope="module")
def cancer_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("cancer") / "p", breast_cancer(), "classification")


@pytest.fixture(scope="module")
def diabetes_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("diabetes") / "p", diabetes(), "regression")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def serve() -> Callable[..., Any]:
    """``async with serve(project) as client``: the real app (registry source, prediction log)."""

    @asynccontextmanager
    async def run(project: Project, **app_options: Any) -> AsyncIterator[httpx.AsyncClient]:
        from fullcycle.serving.server import ServeOptions, build_app
        from fullcycle.serving.source import RegistrySource

        settings = project.settings
        options = ServeOptions(
            source_factory="fullcycle.serving.source:project_source",
            model="doors",
            poll_s=0.05,
            auth=False,  # these tests are about labels; tests/security checks the tokens
        )
        app = build_app(RegistrySource(settings, "doors"), settings, options)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                yield c

    return run


def records(frame: pd.DataFrame, n: int, start: int = 0) -> list[dict[str, Any]]:
    return frame.drop(columns=["label"]).iloc[start : start + n].to_dict("records")
