"""Live cost in the monitor report, its alert and retraining trigger; the cost gate and the
canary comparing versions on expected cost."""

from __future__ import annotations

import orjson
import pandas as pd
import pytest

from fullcycle.errors import InsufficientData
from fullcycle.examples import voice
from fullcycle.loop import gate, policy
from fullcycle.monitoring.monitor import build_report
from fullcycle.monitoring.reference import build_reference
from fullcycle.scope import Monitoring, Retraining, Rollout, Thresholds

KINDS = {"query": "text", "locale": "categorical", "device": "categorical", "hour": "integer"}
CLASSES = ["music", "navigation"]
RECORD = {
    "rule": "threshold",
    "threshold": 0.3,
    "positive": "navigation",
    "classes": CLASSES,
    "cost_matrix": [[0.0, 2.0], [10.0, 0.0]],
    "abstain_below": 0.55,
    "abstain_cost": 1.0,
}


@pytest.fixture(scope="module")
def reference():  # type: ignore[no-untyped-def]
    return build_reference(voice.generate(0, 600, seed=1), KINDS)


def logged(n: int, nav_score: float) -> pd.DataFrame:
    frame = voice.generate(0, n, seed=3)
    return pd.DataFrame(
        {
            "request_id": [f"r{i:05d}" for i in range(n)],
            "row": 0,
            "ts": [1000.0 + i for i in range(n)],
            "model": "voice",
            "version": 1,
            "route": "production",
            "status": 200,
            "latency_ms": 5.0,
            "inputs": [
                orjson.dumps({k: r[k] for k in KINDS}).decode() for r in frame.to_dict("records")
            ],
            "output": orjson.dumps("music").decode(),
            "proba": orjson.dumps([1 - nav_score, nav_score]).decode(),
            "error": None,
        }
    )


def report(log, reference, feedback, decision=RECORD, limit=None):  # type: ignore[no-untyped-def]
    return build_report(
        log,
        reference=reference,
        kinds=KINDS,
        feedback=feedback,
        monitoring=Monitoring(min_rows=50),
        metric="accuracy",
        goal=None,
        greater_is_better=True,
        evaluation_value=None,
        classes=CLASSES,
        p95_limit_ms=None,
        window_text="test",
        model="voice",
        version=1,
        decision=decision,
        cost_limit=limit,
    )


def test_live_cost_uses_the_served_policy_and_the_feedback(reference) -> None:  # type: ignore[no-untyped-def]
    log = logged(200, nav_score=0.35)  # above the 0.3 threshold: decided navigation
    feedback = {f"r{i:05d}": "music" for i in range(0, 100)}  # half labelled, all music
    out = report(log, reference, feedback, limit=5000)
    cost = out["cost"]
    assert cost["rows"] == 100 and cost["abstain_share"] == 0.0
    assert cost["cost_per_1000"] == pytest.approx(2000.0)  # every one a 2-cost false alarm
    assert cost["above_limit"] is False and not any(a["key"] == "voice:cost" for a in out["alerts"])
    out = report(log, reference, feedback, limit=1500)
    (alert,) = [a for a in out["alerts"] if a["key"] == "voice:cost"]
    assert "2000.0 per 1,000" in alert["message"] and "limit 1500" in alert["message"]


def test_abstentions_are_counted_and_costed(reference) -> None:  # type: ignore[no-untyped-def]
    log = logged(100, nav_score=0.5)  # confidence 0.5 < 0.55: every request abstains
    out = report(log, reference, {f"r{i:05d}": "navigation" for i in range(40)})
    assert out["cost"]["abstain_share"] == 1.0
    assert out["cost"]["cost_per_1000"] == pytest.approx(1000.0)


def test_too_few_labels_or_no_policy_raise_nothing(reference) -> None:  # type: ignore[no-untyped-def]
    log = logged(100, nav_score=0.35)
    few = report(log, reference, {"r00000": "music"}, limit=1.0)
    assert few["cost"]["rows"] == 1 and few["cost"]["above_limit"] is False
    assert report(log, reference, {}, decision={})["cost"] is None


def test_the_cost_trigger_fires_above_the_limit() -> None:
    obs = policy.Observations(now=0.0, live_cost=180.0, cost_limit=150.0)
    retraining = Retraining(triggers=["cost"])
    assert policy.fired_triggers(obs, retraining, Thresholds()) == [
        "live cost 180 above the limit 150"
    ]
    calm = policy.Observations(now=0.0, live_cost=120.0, cost_limit=150.0)
    assert policy.fired_triggers(calm, retraining, Thresholds()) == []


def test_the_cost_gate_takes_the_cheaper_challenger_and_refuses_a_costlier_one() -> None:
    champion = [0.0] * 150 + [10.0] * 50  # 2,500 per 1,000
    cheaper = [0.0] * 180 + [10.0] * 20  # 1,000 per 1,000
    result = gate.cost_gate(champion, cheaper, limit=3000, min_rows=100)
    assert result.passed, result.reasons
    assert result.numbers["delta"] == pytest.approx(-1500.0)
    assert result.numbers["ci"][1] < 0 and result.numbers["p_value"] < 0.05
    worse = gate.cost_gate(cheaper, champion, limit=3000, min_rows=100)
    assert not worse.passed and "does not undercut" in worse.reasons[0]
    over = gate.cost_gate(None, champion, limit=2000, min_rows=100)
    assert not over.passed and "above the limit 2000" in over.reasons[0]
    same = gate.cost_gate(champion, champion[::-1], min_rows=100, margin=0.0)
    assert not same.passed  # equal cost is no reason to switch


def test_the_cost_gate_needs_enough_costed_rows() -> None:
    with pytest.raises(InsufficientData, match="3 labelled rows with known costs, need 100"):
        gate.cost_gate([1.0, 2.0, 3.0, float("nan")], [1.0, 2.0, 3.0, 4.0], min_rows=100)


def test_the_canary_rolls_back_a_costlier_challenger() -> None:
    rollout = Rollout(min_requests=100, steps=[0.5, 1.0], canary_share=0.5)
    stats = policy.CanaryStats(
        requests=300,
        errors=0,
        p95_ms=5.0,
        disagreement=0.1,
        labelled=60,
        challenger_metric=400.0,
        champion_metric=250.0,
        compared_on="cost",
    )
    verdict = policy.canary_verdict(stats, rollout, 0.5, greater_is_better=False)
    assert verdict.action == "rollback"
    assert "live cost 400.0 per 1,000 above production's 250.0" in verdict.reasons[0]
    cheaper = policy.CanaryStats(**{**stats.__dict__, "challenger_metric": 200.0})
    assert policy.canary_verdict(cheaper, rollout, 0.5, greater_is_better=False).action == (
        "promote"
    )
