"""A ModelSource over scikit-learn models trained here (a test fixture of the interface) and the
store-backed deployment. Importable by server subprocesses (``serving_fixtures:make_source``).

Versions behave by number: 1-99 are logistic regressions trained with seed = version, so each
version predicts a little differently; 100-199 load but raise on predict; 200+ fail to load;
300-399 predict NaN probabilities.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from fullcycle.serving.models import LoadedModel
from fullcycle.serving.payload import signature_validator
from fullcycle.settings import Settings
from fullcycle.store import deployments
from fullcycle.store.db import Database

N_FEATURES = 4
FEATURES = [f"f{i}" for i in range(N_FEATURES)]
SIGNATURE = {"inputs": [{"name": f, "type": "double"} for f in FEATURES]}
MODEL = "demo"


def rows(n: int, seed: int = 0) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, N_FEATURES))
    return [dict(zip(FEATURES, map(float, r), strict=True)) for r in x]


class Raising:
    classes_ = np.array(["no", "yes"])

    def predict(self, x: Any) -> Any:
        raise RuntimeError("this model is broken")

    def predict_proba(self, x: Any) -> Any:
        raise RuntimeError("this model is broken")


class NaNModel(Raising):
    def predict_proba(self, x: Any) -> Any:
        return np.full((len(x), 2), np.nan)


def train(version: int) -> Any:
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(version)
    x = pd.DataFrame(rng.normal(size=(200, N_FEATURES)), columns=FEATURES)
    y = np.where(x["f0"] + 0.3 * rng.normal(size=200) > 0, "yes", "no")
    return LogisticRegression().fit(x, y)


class FixtureSource:
    """Deployment from the store's ``deployments`` table, models trained on demand."""

    def __init__(self, db: Database, name: str = MODEL) -> None:
        self.db, self.name = db, name
        self.loads: list[int] = []

    def deployment(self) -> deployments.DeploymentState | None:
        return deployments.current(self.db, self.name)

    def load(self, name: str, version: int) -> LoadedModel:
        self.loads.append(version)
        if version >= 200 and version < 300:
            raise OSError(f"artifact of {name}:{version} is corrupt")
        est: Any = (
            Raising() if 100 <= version < 200 else NaNModel() if version >= 300 else train(version)
        )
        return LoadedModel(
            name=name,
            version=version,
            estimator=est,
            validate=signature_validator(SIGNATURE),
            classes=["no", "yes"],
            signature=SIGNATURE,
            reference_rows=rows(8, seed=99),
        )


def make_source(settings: Settings) -> FixtureSource:
    db = Database.open(settings.resolved_database_url())
    return FixtureSource(db, os.environ.get("FULLCYCLE_TEST_MODEL", MODEL))
