"""A ModelSource for the team-mode test: deployment from the shared store, models from the shared
artifact store (S3). Importable by server subprocesses as ``teamkit:make_source``.

``FULLCYCLE_TEST_SHAS`` maps version numbers to artifact sha256s (JSON).
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from fullcycle.serving.models import LoadedModel
from fullcycle.serving.payload import signature_validator
from fullcycle.settings import Settings
from fullcycle.store import deployments
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database
from fullcycle.train.serialization import dumps, loads

FEATURES = ["f0", "f1"]
SIGNATURE = {"inputs": [{"name": f, "type": "double"} for f in FEATURES]}
MODEL = "team"


def rows(n: int, seed: int = 0) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    return [dict(zip(FEATURES, map(float, r), strict=True)) for r in rng.normal(size=(n, 2))]


def model_bytes(seed: int) -> bytes:
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.normal(size=(200, 2)), columns=FEATURES)
    y = np.where(x["f0"] + 0.3 * rng.normal(size=200) > 0, "yes", "no")
    return dumps(LogisticRegression().fit(x, y))


class TeamSource:
    def __init__(self, settings: Settings) -> None:
        self.db = Database.open(settings.resolved_database_url())
        self.artifacts = ArtifactStore(settings.resolved_artifact_url())
        self.shas: dict[str, str] = json.loads(os.environ["FULLCYCLE_TEST_SHAS"])

    def deployment(self) -> deployments.DeploymentState | None:
        return deployments.current(self.db, MODEL)

    def load(self, name: str, version: int) -> LoadedModel:
        est: Any = loads(self.artifacts.get_bytes(self.shas[str(version)]))
        return LoadedModel(
            name=name,
            version=version,
            estimator=est,
            validate=signature_validator(SIGNATURE),
            classes=["no", "yes"],
            signature=SIGNATURE,
            reference_rows=rows(8, seed=99),
        )


def make_source(settings: Settings) -> TeamSource:
    return TeamSource(settings)
