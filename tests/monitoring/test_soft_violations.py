"""Soft contract violations are served, flagged, counted and alerted; hard ones are refused
and count as errors. Real data (scikit-learn's breast cancer set), the real server in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fullcycle.contract import Contract
from fullcycle.monitoring.monitor import build_report
from fullcycle.monitoring.reference import build_reference
from fullcycle.scope import Monitoring, Thresholds
from fullcycle.serving import segments
from fullcycle.serving.app import create_app
from fullcycle.serving.guard import Access
from fullcycle.serving.logbook import Logbook, LogConfig, read_log
from fullcycle.serving.models import LoadedModel
from fullcycle.serving.runtime import Runtime
from fullcycle.store import deployments
from fullcycle.store.db import Database

pytestmark = pytest.mark.anyio
MODEL = "cancer"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def data() -> Any:
    frame = load_breast_cancer(as_frame=True).frame
    frame.columns = [c.replace(" ", "_") for c in frame.columns]
    train = frame.sample(frac=0.6, random_state=0)
    return train, frame.drop(train.index)


class Source:
    def __init__(self, db: Database, model: LoadedModel) -> None:
        self.db, self.model = db, model

    def deployment(self) -> Any:
        return deployments.current(self.db, MODEL)

    def load(self, name: str, version: int) -> LoadedModel:
        return self.model


def loaded(train: Any, contract: Contract) -> LoadedModel:
    x, y = train[contract.names], train["target"]
    est = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y)
    return LoadedModel(
        name=MODEL,
        version=1,
        estimator=est,
        validate=contract.validate_records,
        classes=[0, 1],
        reference_rows=x.head(5).to_dict("records"),
    )


async def serve(tmp_path: Path, train: Any, contract: Contract, bodies: list[Any]) -> list[Any]:
    db = Database.open(f"sqlite:///{tmp_path / 'store.db'}")
    deployments.set(db, MODEL, production=1, actor="test")
    logbook = Logbook(db, tmp_path / "logs", model=MODEL, config=LogConfig(durability="strict"))
    runtime = Runtime(Source(db, loaded(train, contract)), logbook, db=db, poll_s=0.05)
    app = create_app(runtime, access=Access(allowed_hosts=("test",)))
    answers, active = [], []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for body in bodies:
                answers.append(await client.post("/predict", json={"records": body}))
        for path in sorted((tmp_path / "logs" / segments.ACTIVE).glob("*.jsonl")):
            active += segments.read_lines(path)
    return answers, active, read_log(db)


def report(log: Any, reference: Any, contract: Contract) -> dict[str, Any]:
    return build_report(
        log,
        reference=reference,
        kinds={n: "numeric" for n in contract.names},
        feedback={},
        monitoring=Monitoring(
            min_rows=50, thresholds=Thresholds(error_rate=0.01, unseen_share=0.05)
        ),
        metric="accuracy",
        goal=None,
        greater_is_better=True,
        evaluation_value=None,
        classes=[0, 1],
        p95_limit_ms=None,
        window_text="test",
        model=MODEL,
        version=1,
        contract=contract,
    )


async def test_values_beyond_the_training_range_are_served_flagged_and_alerted(tmp_path, data):
    train, test = data
    contract = Contract.infer(train, target="target").with_target(None)
    rows = test[contract.names].to_dict("records")
    hi = contract.feature("mean_radius").max
    for r in rows[::2]:
        r["mean_radius"] = float(hi) * 1.5  # beyond anything seen in training
    bodies = [[r] for r in rows] + [[{**rows[1], "mean_area": "big"}]]
    answers, active, log = await serve(tmp_path, train, contract, bodies)

    codes = [a.status_code for a in answers]
    assert codes[:-1] == [200] * len(rows) and codes[-1] == 422
    radius = [r for r in active if f"mean_radius: above max {hi}" in (r.get("flags") or [])]
    assert len(radius) >= len(rows[::2])  # and held-out rows that were beyond it already
    # held-out rows beyond the training range elsewhere are flagged too, exactly as screened
    _, found = contract.screen_records(rows)
    assert {(r["inputs"]["mean_radius"], tuple(r["flags"])) for r in active if r.get("flags")} == {
        (rows[i]["mean_radius"], tuple(v.flag() for v in found if v.row == i))
        for i in {v.row for v in found}
    }

    out = report(log, build_reference(train, {n: "numeric" for n in contract.names}), contract)
    soft = out["contract"]
    assert soft["flagged"] == len({v.row for v in found})
    assert soft["features"]["mean_radius"] == {
        **soft["features"]["mean_radius"],
        "problem": "above max",
    }
    keys = {a["key"] for a in out["alerts"]}
    assert f"{MODEL}:contract" in keys
    # the drift of the served rows sees the shift the contract used to refuse
    assert "mean_radius" in out["drifted_features"]
    hl = out["health"]
    assert hl["rejected"] == 1 and hl["error_rate"] == pytest.approx(1 / len(bodies))
    assert f"{MODEL}:errors" not in keys  # one refusal in 229 requests is below 1%


async def test_a_feature_set_to_refuse_answers_422_and_refusals_are_errors(tmp_path, data):
    train, test = data
    inferred = Contract.infer(train, target="target").with_target(None)
    features = [
        f.model_copy(update={"on_violation": "refuse"}) if f.name == "mean_radius" else f
        for f in inferred.features
    ]
    contract = Contract(columns=features)
    rows = test[contract.names].to_dict("records")[:100]
    for r in rows[::4]:
        r["mean_radius"] = float(contract.feature("mean_radius").max) + 1.0
    answers, _, log = await serve(tmp_path, train, contract, [[r] for r in rows])
    lo, hi = contract.feature("mean_radius").bounds()
    outside = np.array([not lo <= r["mean_radius"] <= hi for r in rows])
    codes = np.array([a.status_code for a in answers])
    assert outside.sum() >= 25
    assert (codes[outside] == 422).all() and (codes[~outside] == 200).all()
    assert answers[0].json()["violations"][0]["field"] == "mean_radius"
    out = report(log, build_reference(train, {n: "numeric" for n in contract.names}), contract)
    assert out["health"]["error_rate"] == pytest.approx(outside.mean())
    alert = next(a for a in out["alerts"] if a["key"] == f"{MODEL}:errors")
    assert f"{outside.sum()} refused" in alert["message"]
