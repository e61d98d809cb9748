"""Issue 12 done: where the default 0.5 threshold is costly, fullcycle picks a threshold that
lowers expected cost on held-out data, serves decisions with it, and reports the live cost from
feedback, alerting (and triggering a retrain) when it rises above the scope's limit."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

from fullcycle.loop import policy, retrain  # noqa: E402
from fullcycle.loop.controller import Controller  # noqa: E402
from fullcycle.project import Project  # noqa: E402
from fullcycle.serving.server import ServeOptions, build_app  # noqa: E402
from fullcycle.serving.source import RegistrySource  # noqa: E402

MISSED, FALSE_ALARM = 20.0, 1.0
BATCHED = 100  # the first rows go in requests of 50, the rest one per request
DECISIONS = {
    "costs": {
        "default": 1,
        "correct": 0,
        "matrix": {"fraud": {"ok": MISSED}, "ok": {"fraud": FALSE_ALARM}},
    },
    "threshold": {"policy": "min_cost", "positive_class": "fraud"},
    "max_cost_per_1000": 1000,
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def transactions(n: int, seed: int) -> pd.DataFrame:
    """Rare, noisy fraud: at 0.5 the model misses most of it, and each miss costs 20."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"amount": rng.normal(size=n), "visits": rng.integers(0, 10, n)})
    signal = 1.2 * frame["amount"] - 0.1 * frame["visits"] + rng.normal(size=n)
    frame["label"] = np.where(signal > 1.6, "fraud", "ok")
    return frame


def write_scope(project: Project, gate: dict[str, Any] | None = None, **decisions: Any) -> None:
    path = project.settings.scope_path
    scope = yaml.safe_load(path.read_text("utf-8"))
    scope["training"]["estimator"] = "sklearn.linear_model:LogisticRegression"
    scope["training"]["params"] = {"max_iter": 500}
    scope["retraining"]["triggers"] = ["drift", "performance", "cost"]
    scope["metric"]["goal"] = 0.5
    scope["metric"]["baseline"]["value"] = 0.6
    scope["decisions"] = {**DECISIONS, **decisions}
    scope["gate"].update(gate or {})
    path.write_text(yaml.safe_dump(scope, sort_keys=False), "utf-8")
    project.reload_scope()


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = Project.init(tmp_path / "fraud", "fraud")
    write_scope(project)
    data = project.add_data(transactions(3000, seed=0), "tx", infer_contract=True)
    project.train(data.ref)
    version = project.register()
    project.promote(version.ref, "production")
    return project


async def serve(project: Project, rows: list[dict[str, Any]], truth: list[str]) -> list[Any]:
    """Predict through the real app (registry source, prediction log), then send feedback."""
    settings = project.settings
    options = ServeOptions(
        source_factory="fullcycle.serving.source:project_source",
        model="fraud",
        poll_s=0.05,
        auth=False,  # this test is about decisions; tests/security checks the tokens
    )
    app = build_app(RegistrySource(settings, "fraud"), settings, options)
    bodies = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            for start in range(0, BATCHED, 50):
                res = await client.post("/predict", json={"records": rows[start : start + 50]})
                assert res.status_code == 200, res.text
                bodies.append(res.json())
            feedback = [
                {"request_id": body["request_id"], "label": truth[i * 50]}
                for i, body in enumerate(bodies)
            ]
            infer = await client.post(
                "/v2/models/fraud/infer",
                json={
                    "inputs": [
                        {"name": k, "datatype": dt, "shape": [2], "data": [r[k] for r in rows[:2]]}
                        for k, dt in (("amount", "FP64"), ("visits", "INT64"))
                    ]
                },
            )
            # one row per request from here on: feedback is per request, and each is costed
            singles = []
            for i in range(len(bodies) * 50, len(rows)):
                res = await client.post("/predict", json={"records": [rows[i]]})
                singles.append(res.json())
                feedback.append({"request_id": singles[-1]["request_id"], "label": truth[i]})
            res = await client.post("/feedback", json=feedback)
            assert res.status_code == 200, res.text
    assert infer.status_code == 200, infer.text
    outputs = {o["name"]: o for o in infer.json()["outputs"]}
    assert outputs["decision"]["data"] == bodies[0]["decisions"][:2]
    return bodies + singles


@pytest.mark.anyio
async def test_a_costly_default_threshold_is_lowered_served_and_costed_live(
    project: Project,
) -> None:
    version = project.production_version()
    record = version.decision
    assert record["rule"] == "threshold" and record["positive"] == "fraud"
    assert 0 < record["threshold"] < 0.5  # a missed fraud costs 20 false alarms
    summary = project.evaluation(version.run_id or "latest").decisions
    assert summary["expected_cost_per_1000"] < summary["cost_at_0_5_per_1000"]

    live = transactions(600, seed=7)  # new rows: held out from training entirely
    rows = live[["amount", "visits"]].to_dict("records")
    truth = list(live["label"])
    bodies = await serve(project, rows, truth)
    decided, scores = [], []
    for body in bodies:
        assert body["classes"] == ["fraud", "ok"]
        decided += body["decisions"]
        scores += [p[0] for p in body["probabilities"]]
    expected = ["fraud" if s >= record["threshold"] else "ok" for s in scores]
    assert decided == expected
    argmax = [body["predictions"] for body in bodies]
    assert sum(d != p for d, p in zip(decided, sum(argmax, []), strict=True)) > 0

    report = project.monitor("last:5000")
    cost = report.cost
    assert cost["rows"] == len(bodies)  # one label per request: each request's first row
    by_row = {"fraud": {"ok": MISSED, "fraud": 0.0}, "ok": {"fraud": FALSE_ALARM, "ok": 0.0}}
    firsts = _request_first_rows(bodies)
    mine = np.mean([by_row[truth[i]][decided[i]] for i in firsts]) * 1000
    at_half = np.mean([by_row[truth[i]]["fraud" if scores[i] >= 0.5 else "ok"] for i in firsts])
    assert cost["cost_per_1000"] == pytest.approx(mine)
    assert cost["low"] <= cost["cost_per_1000"] <= cost["high"]
    assert cost["cost_per_1000"] < at_half * 1000  # the chosen threshold is cheaper live too
    assert cost["abstain_share"] == 0.0 and cost["above_limit"] is False
    assert not any(a["key"] == "fraud:cost" for a in report.alerts)

    write_scope(project, max_cost_per_1000=max(1.0, cost["cost_per_1000"] / 2))
    report = project.monitor("last:5000")
    (alert,) = [a for a in report.alerts if a["key"] == "fraud:cost"]
    assert "above the limit" in alert["message"]
    assert any(a["key"] == "fraud:cost" for a in project.open_alerts())
    obs, _ = Controller(project).observe()
    assert obs.live_cost == pytest.approx(cost["cost_per_1000"])
    fired = policy.fired_triggers(
        obs, project.scope.retraining, project.scope.monitoring.thresholds
    )
    assert any(f.startswith("live cost") for f in fired)


def _request_first_rows(bodies: list[dict[str, Any]]) -> list[int]:
    out, at = [], 0
    for body in bodies:
        out.append(at)
        at += len(body["decisions"])
    return out


def test_the_gate_compares_on_cost_when_the_scope_says_so(project: Project) -> None:
    gate = {"compare_on": "cost", "min_samples": 200, "test": "paired_bootstrap"}
    write_scope(project, gate=gate, max_cost_per_1000=5000)  # only the comparison decides
    champion = project.production_version()
    scrambled = transactions(3000, seed=0)
    scrambled["label"] = np.random.default_rng(1).permutation(scrambled["label"].to_numpy())
    data = project.add_data(scrambled, "tx-scrambled")
    project.train(data.ref)
    challenger = project.register()
    holdout = transactions(1000, seed=11)
    refused = retrain.gate(project, champion, challenger, holdout)
    numbers = refused.numbers
    assert not refused.passed and numbers["compare_on"] == "cost"
    assert numbers["challenger_cost_per_1000"] > numbers["champion_cost_per_1000"]
    assert any("does not undercut" in r for r in refused.reasons), refused.reasons
    taken = retrain.gate(project, challenger, champion, holdout)  # the other way round
    assert taken.passed, taken.reasons
    assert taken.numbers["delta"] < 0 and taken.numbers["p_value"] < 0.05
