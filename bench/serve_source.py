"""A ModelSource for bench/serve.py: one model file (joblib, written by the bench itself).

Environment: FULLCYCLE_BENCH_MODEL (the joblib file) and FULLCYCLE_BENCH_SPEC (JSON with the
signature and reference rows).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import joblib
import orjson

from fullcycle.serving.models import LoadedModel
from fullcycle.serving.payload import signature_validator
from fullcycle.settings import Settings
from fullcycle.store import deployments
from fullcycle.store.db import Database


class BenchSource:
    def __init__(self, db: Database, name: str, path: str, spec: dict[str, Any]) -> None:
        self.db, self.name, self.path, self.spec = db, name, path, spec

    def deployment(self) -> deployments.DeploymentState | None:
        return deployments.current(self.db, self.name)

    def load(self, name: str, version: int) -> LoadedModel:
        est = joblib.load(self.path)
        return LoadedModel(
            name=name,
            version=version,
            estimator=est,
            validate=signature_validator(self.spec["signature"]),
            classes=[c.item() if hasattr(c, "item") else c for c in est.classes_],
            signature=self.spec["signature"],
            reference_rows=self.spec["reference_rows"],
        )


def make_source(settings: Settings) -> BenchSource:
    db = Database.open(settings.resolved_database_url())
    spec = orjson.loads(Path(os.environ["FULLCYCLE_BENCH_SPEC"]).read_bytes())
    return BenchSource(db, spec["name"], os.environ["FULLCYCLE_BENCH_MODEL"], spec)
