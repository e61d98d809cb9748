"""A monitor report: one window of production compared with the model's reference.

Pure assembly: the caller (the project facade) reads the window from the prediction log and the
feedback from the store; this computes drift per feature and of the predictions, performance on
labelled rows (and a label-free estimate), service health, and the alerts the scope's thresholds
call for. The result is plain JSON, stored and shown as it is.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

from fullcycle import clock
from fullcycle.monitoring import performance
from fullcycle.monitoring.cost import cost_alert, live_cost
from fullcycle.monitoring.parts import (
    Decoded,
    Part,
    confidence,
    contract_report,
    decode,
    final_sketch,
    summarize,
)
from fullcycle.monitoring.reference import Reference
from fullcycle.monitoring.window import decode_json_column
from fullcycle.records import DriftVerdict

SERVED = ("production", "canary")


def drift_policy(monitoring: Any) -> dict[str, Any]:
    """The drift comparison's policy from the scope's monitoring section: the floor of every
    statistic in ``features.STATISTICS`` that ``monitoring.thresholds`` names."""
    from fullcycle.monitoring.features import STATISTICS

    th = monitoring.thresholds
    floors = {name: float(getattr(th, name)) for name in STATISTICS if hasattr(th, name)}
    return {
        "min_rows": int(monitoring.min_rows),
        **floors,
        "prediction_psi": float(th.prediction_psi),
        "missing_change": float(th.missing_change),
    }


def _percentiles(values: np.ndarray) -> dict[str, float | None]:
    if len(values) == 0:
        return {"p50": None, "p95": None, "p99": None}
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"p50": float(p50), "p95": float(p95), "p99": float(p99)}


def health(part: Any, *, p95_limit_ms: float | None, max_error_rate: float) -> dict[str, Any]:
    """Latency percentiles, error rate and request rate of the window (from its merged part).

    A refused request (4xx: the caller did not get an answer) is an error like a failed one
    (5xx): ``error_rate`` counts both, ``errors``/``rejected`` tell them apart."""
    n = len(part.latencies)
    errors, rejected = part.errors, part.rejected
    span = float(part.req_ts.max() - part.req_ts.min()) if n > 1 else 0.0
    lat = _percentiles(np.asarray(part.latencies, dtype=float))
    return {
        "requests": n,
        "errors": errors,
        "rejected": rejected,
        "error_rate": (errors + rejected) / n if n else 0.0,
        "server_error_rate": errors / n if n else 0.0,
        "requests_per_s": n / span if span > 0 else None,
        **lat,
        "p95_limit_ms": p95_limit_ms,
        "max_error_rate": max_error_rate,
    }


def labelled_outputs(ok: Any, feedback: Mapping[str, Any]) -> Any:
    """The answered rows whose feedback arrived, joined by the keys the loop joins on
    (``store.logs.row_key``: ``request_id`` for a request's first row, ``request_id#N`` for row
    N of a batch; ``loop.labelled`` is a layer above, so the key functions are what is shared):
    a frame of ``request_id``, ``row``, ``output``, ``proba``, ``label``, in window order."""
    import pandas as pd

    from fullcycle.store.logs import split_key

    cols = ["request_id", "row", "output", "proba", "label", "ts"]
    if not len(ok) or not feedback:
        return pd.DataFrame(columns=cols)
    wanted = pd.DataFrame(
        [(*split_key(k), label) for k, label in feedback.items()],
        columns=["request_id", "row", "label"],
    )
    rows = ok[ok["request_id"].isin(wanted["request_id"].unique().tolist())]
    rows = rows.drop_duplicates(["request_id", "row"])[
        ["request_id", "row", "output", "proba", "ts"]
    ]
    rows = rows.astype({"request_id": object, "row": "int64"})
    joined = rows.merge(wanted.astype({"row": "int64"}), on=["request_id", "row"], how="inner")
    return joined[cols].reset_index(drop=True)


def live_performance(
    labelled: Any, part: Any, *, metric: str, classes: list[Any] | None
) -> dict[str, Any]:
    """The scope metric on rows whose feedback arrived (``labelled``: :func:`labelled_outputs`),
    and a label-free estimate from the window's logged probabilities (``part.probs``)."""
    y_true = labelled["label"].tolist()
    y_pred = decode_json_column(labelled["output"]) if len(labelled) else []
    probs = decode_json_column(labelled["proba"]) if len(labelled) and classes else []
    with_proba = bool(len(probs)) and all(p is not None for p in probs)
    proba = probs if with_proba else None
    live = performance.live_metric(metric, y_true, y_pred, proba=proba, classes=classes)
    ts = labelled["ts"].to_numpy(dtype=float) if len(labelled) else []
    recent = performance.newest(metric, y_true, y_pred, ts, proba=proba, classes=classes)
    if recent is not None:
        live["newest"] = recent
    est = None
    if classes and part.rows and len(part.probs):
        est = performance.estimate(metric, np.asarray(part.probs, dtype=float))
    note = performance.ESTIMATE_ASSUMPTION if est is not None else None
    return {**live, "estimate": est, "estimate_note": note, "estimated_rows": part.rows}


def build_report(
    log: Any, *, reference: Reference, kinds: Mapping[str, str], **kw: Any
) -> dict[str, Any]:
    """The report as plain JSON-able data; ``log`` holds the window's logged rows (see
    :func:`finish` for the other arguments). The incremental path (``incremental.py``) merges
    stored parts of sealed segments instead and calls :func:`finish` the same way."""
    decoded = decode(log, list(kinds))
    part = summarize(log, decoded, reference, kinds, kw.get("contract"))
    labelled = labelled_outputs(decoded.ok, kw["feedback"])
    return finish(part, decoded, labelled, reference=reference, kinds=kinds, **kw)


def finish(
    part: Part,
    evidence: Decoded,
    labelled: Any,
    *,
    reference: Reference,
    kinds: Mapping[str, str],
    feedback: Mapping[str, Any],
    monitoring: Any,
    metric: str,
    goal: float | None,
    greater_is_better: bool,
    evaluation_value: float | None,
    classes: list[Any] | None,
    p95_limit_ms: float | None,
    window_text: str,
    model: str,
    version: int | None,
    with_html: bool = False,
    decision: Mapping[str, Any] | None = None,
    cost_limit: float | None = None,
    contract: Any = None,
    audited: Collection[str] = (),
) -> dict[str, Any]:
    """The report from the window's merged ``part``; ``evidence`` (decoded rows) names the rows
    that drift most, ``labelled`` the rows with feedback. With ``with_html`` it also carries
    ``html``: the drift report as a self-contained page.

    ``decision`` is the version's stored decision record: with it the report carries the live
    expected cost on labelled requests and the share of abstentions (``cost``). With the
    version's ``contract`` it counts the soft violations the server served with a flag
    (``contract``), alerting above ``thresholds.unseen_share``. ``audited`` names the row keys
    whose label came from a random audit rather than feedback (counted as ``audited_rows``)."""
    del feedback  # joined already (``labelled``)
    drift_report = _drift(part, evidence, reference, kinds, monitoring)
    rows = part.rows
    verdict, verdict_text = (
        DriftVerdict.INSUFFICIENT_DATA,
        f"insufficient data: {rows} rows, need {monitoring.min_rows}",
    )
    if drift_report is not None:
        verdict, verdict_text = drift_report.outcome, drift_report.verdict
    perf = live_performance(labelled, part, metric=metric, classes=classes)
    th = monitoring.thresholds
    hl = health(
        part, p95_limit_ms=p95_limit_ms or th.p95_latency_ms, max_error_rate=float(th.error_rate)
    )
    report: dict[str, Any] = {
        "created_at": clock.now(),
        "model": model,
        "version": version,
        "window": window_text,
        "rows": rows,
        "min_rows": int(monitoring.min_rows),
        "verdict": verdict,
        "verdict_text": verdict_text,
        "drifted_features": drift_report.drifted_features if drift_report else [],
        # importance-weighted share of drifted features: what drift does to the model
        "drift_score": drift_report.drift_score if drift_report else 0.0,
        "drift": drift_report.to_dict() if drift_report else None,
        "performance": {
            **perf,
            "audited_rows": _audited_rows(labelled, audited),
            "goal": goal,
            "evaluation": evaluation_value,
            "greater_is_better": greater_is_better,
        },
        "health": hl,
        "cost": live_cost(labelled, part.probs, decision, limit=cost_limit),
        "contract": contract_report(part, contract, max_share=float(th.unseen_share)),
    }
    if drift_report is not None:
        report["top_rows"] = _top_request_ids(drift_report, evidence.ok)
    report["alerts"] = alerts_for(report, metric_drop=float(th.metric_drop))
    if with_html and drift_report is not None:
        value = perf.get("value")
        live = f", live {metric} {value:.4f} on {perf['rows']} labelled rows" if value else ""
        report["html"] = drift_report.to_html(
            title=f"{model}:{version}, window {window_text}: {verdict_text}{live}"
        )
    return report


def _audited_rows(labelled: Any, audited: Collection[str]) -> int:
    """How many of the labelled rows had their label from a random audit."""
    from fullcycle.store.logs import row_key

    if not audited or not len(labelled):
        return 0
    pairs = zip(labelled["request_id"], labelled["row"], strict=True)
    return sum(row_key(r, int(n)) in audited for r, n in pairs)


def _drift(
    part: Part, evidence: Decoded, reference: Reference, kinds: Mapping[str, str], monitoring: Any
) -> Any:
    """The drift report of the merged sketch; the rows that drift most are named among the
    ``evidence`` rows (all of the window on a full read, the rows read this step otherwise)."""
    from fullcycle.monitoring.compare import (
        _attach_rows,
        _domain,
        report_from_sketch,
        resolve_policy,
    )

    if not part.rows:
        return None
    pol = resolve_policy(drift_policy(monitoring))
    sketch = final_sketch(part, reference)
    domain = {}
    series = {}
    if evidence.feats is not None and len(evidence.feats):
        conf = confidence(evidence.probs) if part.conf_complete else None
        outputs = {"prediction": evidence.preds, "confidence": conf}
        current = evidence.feats.reset_index(drop=True)
        for name in sketch.columns:
            role = reference.features[name].role
            if role in outputs:
                if outputs[role] is not None:
                    series[name] = pd_series(outputs[role])
            else:
                series[name] = current[name]
        domain = _domain(reference, series, pol)
    report = report_from_sketch(reference, sketch, pol, domain=domain)
    if series:
        _attach_rows(report.features, reference, series, current, pol)
    return report


def pd_series(values: Any) -> Any:
    import pandas as pd

    return pd.Series(np.asarray(values))


def _top_request_ids(drift_report: Any, ok: Any) -> list[str]:
    ids = ok["request_id"].to_numpy()
    seen: dict[str, None] = {}
    for feature in drift_report.features:
        for row in feature.rows:
            if isinstance(row, int) and 0 <= row < len(ids):
                seen.setdefault(str(ids[row]), None)
    return list(seen)


def alerts_for(report: Mapping[str, Any], *, metric_drop: float) -> list[dict[str, Any]]:
    """Each breached rule as {key, message}; the key stays the same while the rule holds."""
    out = []
    model = report["model"]
    if report["verdict"] == DriftVerdict.DRIFT:
        names = ", ".join(report["drifted_features"][:5])
        out.append({"key": f"{model}:drift", "message": f"drift in {names}"})
    perf = report["performance"]
    goal, gib = perf.get("goal"), perf.get("greater_is_better", True)
    # judged as the loop's performance trigger is (performance.judged): on enough labelled rows,
    # by the alarm interval's better edge, so a few rows below the goal by chance are no alarm
    look = performance.judged(perf, perf.get("metric") or "")
    value = look.value
    best = look.high if gib else look.low
    edge = value if best is None else best
    if value is not None and goal is not None and (edge < goal if gib else edge > goal):
        out.append(
            {
                "key": f"{model}:performance",
                "message": f"live {perf['metric']} {value:.4f} on {look.where} "
                f"is {'below' if gib else 'above'} the goal {goal:.4f} "
                f"({performance.ALARM_CONFIDENCE:.0%} interval clear of it)",
            }
        )
    elif value is not None and perf.get("evaluation") is not None:
        drop = (perf["evaluation"] - edge) if gib else (edge - perf["evaluation"])
        if drop > metric_drop:
            out.append(
                {
                    "key": f"{model}:performance",
                    "message": f"live {perf['metric']} {value:.4f} on {look.where} dropped "
                    f"{drop:.4f} from {perf['evaluation']:.4f} at evaluation",
                }
            )
    alert = cost_alert(model, report.get("cost"))
    if alert is not None:
        out.append(alert)
    hl = report["health"]
    if hl["requests"] and hl["error_rate"] > hl["max_error_rate"]:
        out.append(
            {
                "key": f"{model}:errors",
                "message": f"error rate {hl['error_rate']:.3f} above {hl['max_error_rate']} "
                f"({hl['rejected']} refused, {hl['errors']} failed of {hl['requests']} requests)",
            }
        )
    soft = report.get("contract") or {}
    if soft.get("rows") and soft["flagged_share"] > soft["max_share"]:
        worst = ", ".join(
            f"{name} {p['problem']} ({p['share']:.1%})" for name, p in soft["features"].items()
        )
        out.append(
            {
                "key": f"{model}:contract",
                "message": f"{soft['flagged_share']:.1%} of served rows break the contract "
                f"softly (served, flagged): {worst}",
            }
        )
    limit = hl.get("p95_limit_ms")
    if limit is not None and hl["p95"] is not None and hl["p95"] > limit:
        out.append(
            {
                "key": f"{model}:latency",
                "message": f"p95 latency {hl['p95']:.1f} ms above {limit} ms",
            }
        )
    return out
