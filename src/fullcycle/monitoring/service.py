"""Monitoring a project: read a window of the prediction log, build and store the report, and
raise or close alerts. The facade's ``monitor`` calls :func:`run_monitor`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fullcycle.contract import normalise_mapping, target_spec
from fullcycle.errors import NotFound
from fullcycle.monitoring.incremental import eligible
from fullcycle.monitoring.monitor import build_report
from fullcycle.monitoring.reference import Reference
from fullcycle.monitoring.window import Window, parse_window
from fullcycle.records import MonitorReport
from fullcycle.store import alerts as alert_store
from fullcycle.store import labels as label_store
from fullcycle.store import logs as log_store
from fullcycle.store import reports as report_store
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database


@dataclass(frozen=True)
class MonitorDeps:
    db: Database
    artifacts: ArtifactStore
    log_root: Path


def active_rows(deps: MonitorDeps, window: Window, *, model: str, version: int | None) -> Any:
    """The window's rows still in active (unsealed) segments."""
    from fullcycle.serving import segments

    rows = []
    active_dir = deps.log_root / segments.ACTIVE
    for path in sorted(active_dir.glob("*.jsonl")) if active_dir.is_dir() else []:
        rows += segments.read_lines(path)
    active = segments.rows_frame(rows)  # answers keep the type they were given
    if not len(active):
        return active
    keep = active["model"] == model
    if version is not None:
        keep &= active["version"] == version
    if window.since is not None:
        keep &= active["ts"] >= window.since
    if window.until is not None:
        keep &= active["ts"] <= window.until
    return active[keep]


def read_window(deps: MonitorDeps, window: Window, *, model: str, version: int | None) -> Any:
    """Sealed rows plus the rows still in active segments, newest last, deduplicated."""
    import pandas as pd

    from fullcycle.serving import segments

    sealed = segments.read_log(deps.db, window.since, window.until, version, model=model)
    frames = [sealed, active_rows(deps, window, model=model, version=version)]
    log = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else sealed
    )
    if len(log):
        log = log.drop_duplicates(["request_id", "row", "route"]).sort_values(["ts", "request_id"])
        if window.last is not None:
            ids = log["request_id"].drop_duplicates().iloc[-window.last :]
            log = log[log["request_id"].isin(set(ids))]
    return log.reset_index(drop=True)


def scope_window(scope: Any) -> str:
    """The scope's ``monitoring.window`` (seconds) as a window spec, e.g. ``86400s``."""
    return f"{max(1, round(float(scope.monitoring.window)))}s"


def reference_of(deps: MonitorDeps, version: Any) -> Reference:
    if not version.reference_sha256:
        raise NotFound(
            f"{version.ref} has no monitoring reference",
            hint="retrain it with this fullcycle version; references are frozen at training",
        )
    payload = json.loads(deps.artifacts.get_bytes(version.reference_sha256))
    return Reference.from_dict(payload["reference"])


def run_monitor(
    deps: MonitorDeps,
    scope: Any,
    version: Any,
    *,
    window: str | None,
    save: bool = True,
    html: bool = False,
    actor: str = "monitor",
    incremental: bool = True,
) -> MonitorReport:
    """Build the report for ``version`` (a registry ModelVersion) over ``window`` (None: the
    scope's ``monitoring.window``); with ``html`` the drift page is stored too (a few MB:
    plotly.js is inlined). ``incremental``: merge the stored parts of sealed segments wholly
    inside the window (``incremental.py``) rather than re-read them; the figures are the same."""
    w = parse_window(window if window is not None else scope_window(scope))
    reference = reference_of(deps, version)
    kinds = {f.name: f.kind for f in scope.contract.features}
    contract = _contract_of(version, scope)
    metric = scope.metric
    args = dict(
        reference=reference,
        kinds=kinds,
        monitoring=scope.monitoring,
        metric=metric.name,
        goal=metric.goal,
        greater_is_better=metric.greater_is_better,
        evaluation_value=((version.metrics or {}).get("metric") or {}).get("value"),
        classes=version.classes,
        p95_limit_ms=scope.constraints.p95_latency_ms,
        window_text=w.text,
        model=version.name,
        version=version.version,
        with_html=html,
        decision=version.decision,
        cost_limit=scope.decisions.max_cost_per_1000 if scope.decisions else None,
        contract=contract,
    )
    spec = _label_spec(scope, version)
    if incremental and version.reference_sha256 and eligible(reference):
        report, since, until = _incremental(deps, w, version, spec, args)
    else:
        log = read_window(deps, w, model=version.name, version=version.version)
        since = float(log["ts"].min()) if len(log) else None
        until = float(log["ts"].max()) if len(log) else None
        feedback, audited = _feedback(deps, since, spec)
        report = build_report(log, feedback=feedback, audited=audited, **args)
    report["window_since"] = since
    report["window_until"] = until
    report["latency"] = {k: report["health"][k] for k in ("p50", "p95", "p99")}
    page = report.pop("html", None)
    if save:
        html_sha = deps.artifacts.put_bytes(page.encode()) if page else None
        report["id"] = report_store.save(deps.db, report, html_sha=html_sha, actor=actor)
        report["html_sha256"] = html_sha
        _alerts(deps, scope, report, actor)
    return MonitorReport.from_dict(report)


def _feedback(deps: MonitorDeps, since: float | None, spec: Any) -> tuple[dict[str, Any], set[str]]:
    """{row key: label} the live metric is measured on, and the keys whose label came from an
    audit: the feedback that came back, and the labels of rows the labelling queue drew at
    random (unbiased, unlike the rows it picks for what they teach), so a model whose feedback
    is too thin to judge can be judged once its audit is labelled. Feedback wins where a row
    has both."""
    audit = label_store.audited(deps.db, since=since)
    feedback = {r["request_id"]: r["label"] for r in log_store.feedback_rows(deps.db, since=since)}
    merged = normalise_mapping({**audit, **feedback}, spec)  # "1" == 1 == 1.0
    return merged, set(audit) - set(feedback)


def _incremental(
    deps: MonitorDeps, w: Window, version: Any, spec: Any, args: dict[str, Any]
) -> tuple[dict[str, Any], float | None, float | None]:
    from fullcycle.monitoring.incremental import Step
    from fullcycle.monitoring.monitor import finish, labelled_outputs
    from fullcycle.monitoring.parts import Part, decode, summarize

    kinds, reference, contract = args["kinds"], args["reference"], args["contract"]
    step = Step(deps, w, version, reference, kinds=kinds, contract=contract)
    inside, rest = step.plan()
    decoded = decode(rest, list(kinds))
    part = Part()
    for seg in inside:
        part = part + step.part_of(seg)
    part = part + summarize(rest, decoded, reference, kinds, contract)
    feedback, audited = _feedback(deps, part.ts_min, spec)
    named = step.labelled_log(inside, rest, feedback)
    labelled = labelled_outputs(decode(named, list(kinds)).ok, feedback)
    report = finish(part, decoded, labelled, feedback=feedback, audited=audited, **args)
    report["sealed_read"] = step.read_segments
    return report, part.ts_min, part.ts_max


def _contract_of(version: Any, scope: Any) -> Any:
    """The contract the version was served with (stored with it), else the scope's."""
    from fullcycle.contract import Contract

    stored = (getattr(version, "signature", None) or {}).get("contract")
    return Contract.from_dict(stored) if stored else scope.contract


def _alerts(deps: MonitorDeps, scope: Any, report: dict[str, Any], actor: str) -> None:
    from fullcycle.monitoring import webhook

    breached = set()
    for alert in report["alerts"]:
        breached.add(alert["key"])
        opened = alert_store.raise_or_touch(
            deps.db, alert["key"], alert["message"], {"report_id": report.get("id")}, actor=actor
        )
        hook = scope.monitoring.alert
        if opened and hook.webhook:
            try:
                webhook.send(
                    hook.webhook,
                    {"alert": alert, "report_id": report.get("id")},
                    hook.allowed_hosts,
                )
            except Exception as exc:  # an unreachable hook must not stop monitoring
                alert["webhook_error"] = str(exc)
    alert_store.close_others(deps.db, breached, prefix=f"{report['model']}:", actor=actor)


def _label_spec(scope: Any, version: Any) -> Any:
    target = scope.contract.target
    return None if target is None else target_spec(target, version.classes)
