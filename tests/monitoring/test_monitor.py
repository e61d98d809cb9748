import orjson
import pandas as pd
import pytest

from fullcycle.errors import InvalidInput
from fullcycle.examples import voice
from fullcycle.monitoring.monitor import build_report
from fullcycle.monitoring.reference import build_reference
from fullcycle.monitoring.window import parse_window
from fullcycle.scope import Monitoring, Thresholds

KINDS = {"query": "text", "locale": "categorical", "device": "categorical", "hour": "integer"}


def fake_log(
    frame: pd.DataFrame, *, wrong_share: float = 0.0, status: int = 200, latency: float = 5.0
) -> pd.DataFrame:
    """Rows as the server logs them: one request per row, the model right except a share."""
    n = len(frame)
    wrong = int(n * wrong_share)
    outputs = list(frame["domain"])
    for i in range(wrong):
        outputs[i] = "music" if outputs[i] != "music" else "news"
    return pd.DataFrame(
        {
            "request_id": [f"r{i:06d}" for i in range(n)],
            "row": 0,
            "ts": [1000.0 + i for i in range(n)],
            "model": "voice",
            "version": 1,
            "route": "production",
            "status": status,
            "latency_ms": latency,
            "inputs": [
                orjson.dumps({k: r[k] for k in KINDS}).decode() for r in frame.to_dict("records")
            ],
            "output": [orjson.dumps(o).decode() for o in outputs],
            "proba": None,
            "error": None,
        }
    )


@pytest.fixture(scope="module")
def reference():  # type: ignore[no-untyped-def]
    return build_reference(voice.generate(0, 4000, seed=1), KINDS)


def report(log: pd.DataFrame, reference, feedback=None, monitoring=None):  # type: ignore[no-untyped-def]
    return build_report(
        log,
        reference=reference,
        kinds=KINDS,
        feedback=feedback or {},
        monitoring=monitoring or Monitoring(min_rows=200),
        metric="f1_macro",
        goal=0.9,
        greater_is_better=True,
        evaluation_value=0.95,
        classes=None,
        p95_limit_ms=50,
        window_text="test",
        model="voice",
        version=1,
    )


def test_the_same_world_is_not_drift(reference) -> None:  # type: ignore[no-untyped-def]
    out = report(fake_log(voice.generate(0, 1500, seed=2)), reference)
    assert out["verdict"] == "no_drift" and out["alerts"] == []
    assert out["rows"] == 1500 and out["health"]["p95"] == 5.0


def test_new_names_show_as_text_drift_with_the_rows_to_label(reference) -> None:  # type: ignore[no-untyped-def]
    late = voice.generate(5, 1500, seed=2)
    out = report(fake_log(late), reference)
    assert out["verdict"] == "drift"
    assert "query" in out["drifted_features"]
    assert any(a["key"] == "voice:drift" for a in out["alerts"])
    assert out["top_rows"] and all(r.startswith("r") for r in out["top_rows"])


def test_decay_on_labelled_rows_is_an_alert_with_the_numbers(reference) -> None:  # type: ignore[no-untyped-def]
    frame = voice.generate(0, 600, seed=3)
    log = fake_log(frame, wrong_share=0.3)
    feedback = dict(zip(log["request_id"], frame["domain"], strict=True))
    out = report(log, reference, feedback)
    perf = out["performance"]
    assert (
        perf["rows"] == 600 and perf["value"] < 0.8 and perf["low"] <= perf["value"] <= perf["high"]
    )
    assert any("below the goal 0.9000" in a["message"] for a in out["alerts"])


def test_a_tiny_window_is_insufficient_data_never_an_alarm(reference) -> None:  # type: ignore[no-untyped-def]
    out = report(fake_log(voice.generate(5, 8, seed=4)), reference)
    assert out["verdict"] == "insufficient_data"
    assert out["verdict_text"] == "insufficient data: 8 rows, need 200"
    assert not any(a["key"] == "voice:drift" for a in out["alerts"])
    empty = report(fake_log(voice.generate(0, 1, seed=4)).iloc[:0], reference)
    assert empty["verdict"] == "insufficient_data" and empty["rows"] == 0


def test_errors_and_slow_answers_are_alerts(reference) -> None:  # type: ignore[no-untyped-def]
    log = fake_log(voice.generate(0, 300, seed=5), latency=80.0)
    log.loc[:20, "status"] = 500
    out = report(log, reference, monitoring=Monitoring(thresholds=Thresholds(error_rate=0.01)))
    keys = {a["key"] for a in out["alerts"]}
    assert {"voice:errors", "voice:latency"} <= keys


def test_windows_parse_and_bad_ones_name_the_fix() -> None:
    assert parse_window("last:5000").last == 5000
    w = parse_window("1h", now=10_000.0)
    assert (w.since, w.until) == (6400.0, 10_000.0)
    assert parse_window("since:2026-01-01").since == 1767225600.0
    for bad in ("last:0", "yesterday", "since:soon", "5x"):
        with pytest.raises(InvalidInput, match="--window"):
            parse_window(bad)


def test_the_report_can_carry_a_self_contained_html_page(reference) -> None:  # type: ignore[no-untyped-def]
    log = fake_log(voice.generate(5, 400, seed=6))
    out = build_report(
        log,
        reference=reference,
        kinds=KINDS,
        feedback={},
        monitoring=Monitoring(min_rows=200),
        metric="f1_macro",
        goal=0.9,
        greater_is_better=True,
        evaluation_value=0.95,
        classes=None,
        p95_limit_ms=50,
        window_text="<script>x</script>",
        model="voice",
        version=1,
        with_html=True,
    )
    page = out["html"]
    assert page.lstrip().lower().startswith("<!doctype html") and "query" in page
    assert "<script>x</script>" not in page and '<script src="http' not in page


def _report(value: float, low: float, high: float, evaluation: float = 0.9) -> dict:
    performance = {"metric": "accuracy", "value": value, "low": low, "high": high, "rows": 40,
                   "goal": 0.8, "evaluation": evaluation, "greater_is_better": True}  # fmt: skip
    return {"model": "m", "verdict": "no_drift", "drifted_features": [],
            "performance": performance, "health": {"requests": 0}}  # fmt: skip


def test_a_live_metric_below_the_goal_by_chance_is_no_alarm_but_a_clear_drop_is() -> None:
    from fullcycle.monitoring.monitor import alerts_for

    # point estimate under the goal, interval reaching over it: noise, as the loop judges it
    assert alerts_for(_report(0.78, 0.70, 0.86, evaluation=0.82), metric_drop=0.05) == []
    (alert,) = alerts_for(_report(0.60, 0.50, 0.70), metric_drop=0.05)
    assert alert["key"] == "m:performance" and "below the goal 0.8000" in alert["message"]
    # above the goal, but the whole interval well under the evaluation: a drop
    (drop,) = alerts_for(_report(0.82, 0.815, 0.83, evaluation=0.95), metric_drop=0.05)
    assert "dropped" in drop["message"]
    # an error (log loss, lower is better) worse than its goal sits above it
    loss = _report(0.61, 0.55, 0.68)
    loss["performance"].update(
        metric="log_loss", goal=0.5, evaluation=0.45, greater_is_better=False
    )
    (high,) = alerts_for(loss, metric_drop=0.05)
    assert "live log_loss 0.6100 on 40 labelled rows is above the goal 0.5000" in high["message"]
    # a dozen labelled rows: the bootstrap may collapse to a point; no alarm either way
    few = _report(0.33, 0.33, 0.33)
    few["performance"]["rows"] = 12
    assert alerts_for(few, metric_drop=0.05) == []


def test_a_ratio_metric_needs_more_labelled_rows_than_a_mean_loss_before_it_alarms() -> None:
    """Macro-F1's bootstrap is too narrow on a few dozen rows (metric_table.rows_to_judge):
    the same clear shortfall alarms for accuracy at 40 rows, for F1 only from 150."""
    from fullcycle import metric_table
    from fullcycle.monitoring.monitor import alerts_for

    assert metric_table.rows_to_judge("accuracy") < metric_table.rows_to_judge("f1_macro")
    assert metric_table.rows_to_judge("rmse") == metric_table.rows_to_judge("accuracy")
    assert len(alerts_for(_report(0.60, 0.50, 0.70), metric_drop=0.05)) == 1  # accuracy, 40 rows
    f1 = _report(0.60, 0.50, 0.70)
    f1["performance"]["metric"] = "f1_macro"
    assert alerts_for(f1, metric_drop=0.05) == []
    f1["performance"]["rows"] = metric_table.rows_to_judge("f1_macro")
    (alert,) = alerts_for(f1, metric_drop=0.05)
    assert alert["key"] == "m:performance"
