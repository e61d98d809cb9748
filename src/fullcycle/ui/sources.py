"""What each page shows, gathered from the project facade.

A part with nothing in it yet (no dataset, no model, no report) gives a :class:`Pending` that
the page shows as "nothing here yet: run X", never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fullcycle.errors import FullcycleError
from fullcycle.ui import charts

if TYPE_CHECKING:
    from fullcycle.project import Project


@dataclass(frozen=True)
class Pending:
    """A page part with nothing to show yet, and the command that would fill it."""

    what: str
    command: str


def scope_info(project: Project) -> dict[str, Any]:
    """The scope as plain values, or ``{"error": ...}`` when it cannot be read."""
    if not project.settings.scope_path.is_file():
        return {"error": "this project has no fullcycle.yaml", "command": "fullcycle init NAME"}
    try:
        scope = project.scope
    except (ImportError, FullcycleError, ValueError) as exc:
        return {"error": f"fullcycle.yaml cannot be read: {exc}", "command": "fullcycle status"}
    metric = scope.metric
    baseline = metric.baseline
    constraints = scope.constraints.model_dump(exclude_none=True)
    return {
        "name": scope.name,
        "description": scope.description,
        "task": str(scope.task),
        "target": scope.target,
        "users": list(scope.users),
        "metric": str(metric.name),
        "goal": metric.goal,
        "higher_is_better": metric.greater_is_better,
        "baseline": None if baseline is None else baseline.value,
        "baseline_label": "baseline" if baseline is None else baseline.label,
        "constraints": {k: v for k, v in constraints.items() if v not in ({}, [], "")},
    }


def overview(project: Project) -> dict[str, Any]:
    scope = scope_info(project)
    reports = list(reversed(project.dashboard.monitor_reports(limit=60)))
    metric = scope.get("metric")
    live = charts.metric_over_time(reports, metric, scope.get("goal")) if metric else None
    latest = _latest_metric(reports, metric) if metric else None
    deployment = project.dashboard.deployment_history(limit=1)
    return {
        "scope": scope,
        "counts": project.dashboard.counts(),
        "alerts": project.open_alerts()[-20:],
        "deployment": deployment[0] if deployment else None,
        "decisions": project.events(kind="loop.", limit=10),
        "latest_events": project.events(limit=8),
        "live_chart": live,
        "live_value": latest,
    }


def _latest_metric(reports: list[dict[str, Any]], metric: str) -> float | None:
    for report in reversed(reports):
        value = charts.performance_of(report.get("summary") or {}, metric)
        if value is not None:
            return value
    return None


def data_page(project: Project, ref: str | None) -> dict[str, Any]:
    versions = project.datasets()
    if not versions:
        return {
            "pending": Pending(
                "no dataset version yet", "fullcycle data add FILE --name NAME --infer-contract"
            )
        }
    chosen = next((v for v in versions if v.ref == ref), None) if ref else None
    chosen = chosen or max(versions, key=lambda v: v.created_at)
    return {
        "versions": sorted(versions, key=lambda v: (v.name, -v.version)),
        "chosen": chosen,
        "contract": _contract_rows(project.contract()),
        "profile": charts.profiles(chosen.profile),
        "lineage_chart": charts.lineage(project.lineage(chosen.ref)) if chosen.parents else None,
    }


def _contract_rows(contract: Any) -> list[dict[str, Any]]:
    if contract is None:
        return []
    try:
        data = contract.to_dict()
    except Exception:  # noqa: BLE001 - an unreadable contract shows as none
        return []
    columns = data.get("columns") or data.get("features") or []
    rows = [dict(c) for c in columns if isinstance(c, dict)]
    target = data.get("target")
    if isinstance(target, dict):
        rows.append({**target, "role": "target"})
    return rows


SORT_KEYS = ("started", "name", "status", "duration")


def runs_page(project: Project, sort: str, desc: bool, chosen: list[str]) -> dict[str, Any]:
    runs = project.runs(limit=500)
    metric_keys = sorted({k for r in runs for k in r.latest_metrics})
    key = sort if sort in SORT_KEYS or sort in metric_keys else "started"
    runs.sort(key=lambda r: _sort_value(r, key), reverse=desc)
    picked = [project.run(r.id) for r in runs if r.id in chosen][:6]
    return {
        "runs": runs,
        "metric_keys": metric_keys[:8],
        "sort": key,
        "desc": desc,
        "chosen": [r.id for r in picked],
        "compare": _compare(picked),
        "curves": charts.run_curves(project, picked or runs[:5], metric_keys),
    }


def _sort_value(run: Any, key: str) -> tuple[int, Any]:
    value = {
        "started": run.started_at,
        "name": run.name,
        "status": run.status,
        "duration": run.duration_s,
    }.get(key, run.latest_metrics.get(key))
    return (value is not None, value if value is not None else 0)


def _compare(runs: list[Any]) -> dict[str, Any] | None:
    if len(runs) < 2:
        return None
    keys = sorted({k for r in runs for k in r.params})
    mkeys = sorted({k for r in runs for k in r.latest_metrics})
    params = [(k, [r.params.get(k) for r in runs]) for k in keys]
    metrics = [(k, [r.latest_metrics.get(k) for r in runs]) for k in mkeys]
    return {
        "runs": runs,
        "params": [(k, vals, len({str(v) for v in vals}) > 1) for k, vals in params],
        "metrics": [(k, vals, len({str(v) for v in vals}) > 1) for k, vals in metrics],
    }


def events_page(project: Project, kind: str | None, limit: int) -> dict[str, Any]:
    items = project.events(kind=kind or None, limit=limit)
    kinds = sorted({e.kind.split(".")[0] for e in project.events(limit=1000)})
    return {"events": items, "kind": kind or "", "kinds": kinds, "limit": limit}
