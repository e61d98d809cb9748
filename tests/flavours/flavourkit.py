"""Small factories for the flavour tests: a real dataset, a project, an in-process server."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
import pandas as pd  # noqa: E402

from fullcycle.project import Project  # noqa: E402
from fullcycle.serving.server import ServeOptions, build_app  # noqa: E402
from fullcycle.serving.source import RegistrySource  # noqa: E402


def wine() -> pd.DataFrame:
    """scikit-learn's wine data (shipped in the wheel): 13 numbers, three named cultivars."""
    from sklearn.datasets import load_wine

    bunch = load_wine(as_frame=True)
    frame = bunch.frame.rename(columns=lambda c: c.replace("/", "_"))
    frame["label"] = pd.Series(bunch.target_names[bunch.target]).astype(str).to_numpy()
    return frame.drop(columns="target")


def project(tmp_path: Path, name: str = "wine") -> tuple[Project, str]:
    proj = Project.init(tmp_path / name, name)
    data = proj.add_data(wine(), "wine", infer_contract=True)
    return proj, data.ref


def records(frame: pd.DataFrame, n: int = 8) -> list[dict[str, Any]]:
    rows = frame.drop(columns="label").head(n)
    return [{k: (float(v)) for k, v in row.items()} for row in rows.to_dict(orient="records")]


async def predict(proj: Project, rows: list[dict[str, Any]], model: str) -> httpx.Response:
    """POST /predict through the real app with the registry source."""
    options = ServeOptions(
        source_factory="fullcycle.serving.source:project_source",
        model=model,
        poll_s=0.05,
        auth=False,
    )
    app = build_app(RegistrySource(proj.settings, model), proj.settings, options)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.post("/predict", json={"records": rows})
