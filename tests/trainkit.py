"""Small factories for training and registry tests: frames, specs and train dependencies."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # a busy CI box makes OpenMP spin for seconds

from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from fullcycle.store.artifacts import ArtifactStore  # noqa: E402
from fullcycle.store.db import Database  # noqa: E402
from fullcycle.train.spec import FeatureSpec, GateSpec, MetricSpec, TrainSpec  # noqa: E402
from fullcycle.train.trainer import TrainDeps  # noqa: E402

FAST = "sklearn.linear_model:LogisticRegression"
FEATURES = (
    ("amount", "numeric"),
    ("visits", "integer"),
    ("city", "categorical"),
    ("note", "text"),
    ("seen", "datetime"),
)


def frame(
    n: int = 600,
    seed: int = 0,
    classes: tuple[str, ...] = ("no", "yes"),
    city_names: tuple[str, ...] = ("paris", "rome", "oslo"),
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "amount": rng.normal(size=n),
            "visits": rng.integers(0, 10, n),
            "city": rng.choice(city_names, n),
            "note": rng.choice(["late again", "great service", "ok", "refund please"], n),
            "seen": pd.date_range("2024-01-01", periods=n, freq="h").astype(str),
        }
    )
    signal = df["amount"] + (df["city"] == city_names[0]) * 1.0 + rng.normal(size=n) * 0.7
    if len(classes) == 2:
        df["label"] = np.where(signal > 0.4, classes[1], classes[0])
    else:
        df["label"] = np.asarray(classes)[np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3]))]
    return df


def served_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """A numeric, an integer and a categorical input (BYTES on the OIP wire) and a yes/no label
    that follows the amount and the city."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "amount": rng.normal(size=n),
            "visits": rng.integers(0, 10, n),
            "city": rng.choice(["paris", "rome", "oslo"], n),
        }
    )
    signal = df["amount"] + (df["city"] == "paris") + rng.normal(size=n) * 0.7
    df["label"] = np.where(signal > 0.4, "yes", "no")
    return df


def spec(**kw: Any) -> TrainSpec:
    base: dict[str, Any] = dict(
        name="churn",
        task="classification",
        target="label",
        metric=MetricSpec("f1_macro", goal=0.6, baseline=0.95, baseline_label="human-level"),
        features=tuple(FeatureSpec(n, k) for n, k in FEATURES),
        estimator=FAST,
        params={"max_iter": 300},
        gate=GateSpec(tolerance=0.01),
        split={"strategy": "stratified", "test_size": 0.25},
    )
    base.update(kw)
    return TrainSpec(**base)


def deps(tmp_path: Path, db_url: str, data: dict[str, pd.DataFrame]) -> TrainDeps:
    def load(ref: str) -> pd.DataFrame:
        return data[ref]

    return TrainDeps(
        Database.open(db_url), ArtifactStore(str(tmp_path / "artifacts")), tmp_path, load_data=load
    )


def served_cancer(
    folder: Path, name: str, sections: dict[str, Any]
) -> tuple[Any, pd.DataFrame, list[str]]:
    """(project, frame, features): a served project trained on scikit-learn's breast cancer
    data, its first eight features, the target spelled benign / malignant, goal 0.8."""
    from sklearn.datasets import load_breast_cancer

    from fullcycle.testing import make_served_project

    data = load_breast_cancer(as_frame=True).frame
    data.columns = [c.replace(" ", "_") for c in data.columns]
    data["target"] = np.where(data["target"] == 1, "benign", "malignant")
    features = [c for c in data.columns if c != "target"][:8]
    project = make_served_project(
        folder, data[[*features, "target"]], name, target="target", goal=0.8,
        params={"max_iter": 2000}, sections=sections,
    )  # fmt: skip
    return project, data, features
