"""The typed records the facade returns keep the JSON shape stored and printed before them."""

import json

import fullcycle as fc
from fullcycle.loop.gate import GateVerdict
from fullcycle.records import DriftVerdict, Evaluation, MonitorReport, Status, Trace

STORED_EVALUATION = {
    "schema": 1,
    "task": "classification",
    "target": "y",
    "classes": ["a", "b"],
    "rows": {"train": 80, "test": 20},
    "metric": {"name": "accuracy", "value": 0.9, "ci": [0.8, 0.95], "goal": 0.8},
    "metrics": {"accuracy": 0.9},
    "baselines": {"trivial": {"metric": 0.5}},
    "slices": [],
    "learning_curve": None,
    "diagnosis": {"verdict": "fine", "why": "-"},
    "errors": [],
    "decisions": None,
    "written_by_a_newer_version": True,
}


def test_an_evaluation_reads_back_into_the_same_json_it_was_stored_as() -> None:
    ev = Evaluation.from_dict(STORED_EVALUATION)
    assert ev.value == 0.9 and ev.classes == ["a", "b"] and ev.decisions is None
    assert ev.extra == {"written_by_a_newer_version": True}
    assert ev.to_dict() == STORED_EVALUATION
    trained = {**STORED_EVALUATION, "data": {"ref": "rows@1", "split": {"strategy": "random"}}}
    assert Evaluation.from_dict(trained).data == trained["data"]
    assert Evaluation.from_dict(trained).to_dict() == trained


def test_an_old_evaluation_with_only_scalars_reads_back_with_what_it_has() -> None:
    ev = Evaluation.from_dict({"metric": {"name": "rmse", "value": 1.5}, "metrics": None})
    assert ev.value == 1.5 and ev.metrics == {} and ev.diagnosis is None


def _report(**more: object) -> dict[str, object]:
    return {
        "created_at": 1.0, "model": "m", "version": 2, "window": "last:10", "rows": 10,
        "min_rows": 5, "verdict": "no_drift", "verdict_text": "no drift",
        "drifted_features": [], "drift_score": 0.0, "drift": None,
        "performance": {"value": None}, "health": {"p50": 1.0, "p95": 2.0, "p99": 3.0},
        "cost": None, "contract": None, "alerts": [], "window_since": 0.5,
        "window_until": 9.5, "latency": {"p50": 1.0, "p95": 2.0, "p99": 3.0}, **more,
    }  # fmt: skip


def test_a_monitor_report_keeps_its_stored_keys_and_leaves_out_what_it_did_not_fill() -> None:
    unsaved = _report(sealed_read=3)
    report = MonitorReport.from_dict(unsaved)
    assert report.to_dict() == unsaved  # no id, html_sha256 or top_rows added
    assert report.verdict is DriftVerdict.NO_DRIFT  # a stored string reads back as the enum
    assert not report.drifted and report.extra == {"sealed_read": 3}
    saved = _report(id=7, html_sha256=None, top_rows=["r-1"], verdict="drift")
    report = MonitorReport.from_dict(saved)
    assert report.to_dict() == saved and report.drifted and report.id == 7


def test_status_and_trace_print_as_the_json_they_replaced() -> None:
    status = Status(
        name="p", task="classification", target="y", metric="accuracy", goal=0.8,
        baseline=None, users=("support",), project_dir="/p", database="embedded SQLite",
        artifacts="/p/.fullcycle/artifacts", counts={"runs": 2},
    )  # fmt: skip
    assert json.loads(json.dumps(status.to_dict()))["users"] == ["support"]
    assert list(status.to_dict()) == [
        "name", "task", "target", "metric", "goal", "baseline", "users", "project_dir",
        "database", "artifacts", "counts",
    ]  # fmt: skip
    fields = {name: None for name in Trace.__dataclass_fields__}
    trace = Trace(**{**fields, "request_id": "r-1", "missing": [], "complete": True})
    assert trace.to_dict() == {**fields, "request_id": "r-1", "missing": [], "complete": True}


def test_verdicts_are_enums_that_still_equal_and_serialise_as_their_old_strings() -> None:
    assert GateVerdict.PASS == "pass" and DriftVerdict.NO_DRIFT == "no_drift"
    assert fc.CanaryAction.ROLLBACK == "rollback" and f"rollout_{fc.CanaryAction.STEP}" == (
        "rollout_step"
    )
    assert json.dumps({"v": GateVerdict.UNDECIDED}) == '{"v": "undecided"}'
    assert {"pass": 2}.get(GateVerdict.PASS) == 2  # a dict keyed by the old strings still works
    for name in ("Evaluation", "MonitorReport", "Status", "Trace", "GateVerdict", "DriftVerdict"):
        assert name in fc.__all__
