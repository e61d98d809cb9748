"""What the Models, Deployment, Monitoring and Labelling pages show."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fullcycle.errors import FullcycleError
from fullcycle.ui import charts
from fullcycle.ui.sources import Pending, scope_info

if TYPE_CHECKING:
    from fullcycle.project import Project


def models_page(project: Project, ref: str | None) -> dict[str, Any]:
    versions = project.models()
    if not versions:
        return {"pending": Pending("no model version yet", "fullcycle train && fullcycle register")}
    chosen = next((v for v in versions if v.ref == ref), None) if ref else None
    chosen = chosen or max(versions, key=lambda v: (v.created_at, v.version))
    aliases = project.aliases()
    evaluation = _evaluation(project, chosen)
    goal = scope_info(project).get("goal")
    return {
        "versions": sorted(versions, key=lambda v: (v.name, -v.version)),
        "aliases": aliases,
        "chosen": chosen,
        "evaluation": evaluation,
        "eval_charts": _eval_charts(evaluation, goal),
        "rollback_to": rollback_targets(project, chosen.name),
    }


def _evaluation(project: Project, version: Any) -> dict[str, Any] | None:
    if not version.run_id:
        return None
    try:
        return project.evaluation(version.run_id).to_dict()
    except (FullcycleError, ValueError, KeyError, OSError):
        return None


def _eval_charts(ev: dict[str, Any] | None, goal: float | None) -> list[dict[str, Any]]:
    if not ev:
        return []
    from fullcycle.train import report

    figures = list(report.charts(ev))
    for fig in figures:
        layout = fig.setdefault("layout", {})
        layout.setdefault("height", 300)
        layout.setdefault("margin", {"t": 40, "b": 44, "l": 52, "r": 12})
        _escape_categories(fig)
    titles = " ".join(str(f.get("layout", {}).get("title", "")) for f in figures)
    sliced = None if "slice" in titles else charts.slices(ev.get("slices") or [], goal)
    return figures + ([sliced] if sliced else [])


def _escape_categories(fig: dict[str, Any]) -> None:
    """Class names come from the data: escape them before plotly renders its HTML subset."""
    for trace in fig.get("data", []):
        for axis in ("x", "y"):
            values = trace.get(axis)
            if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
                trace[axis] = [charts.esc(v) for v in values]


def rollback_targets(project: Project, name: str) -> dict[str, int]:
    """{alias: the version it pointed at before its last move}, from the audit log."""
    out: dict[str, int] = {}
    for event in project.events(kind="model.promote", limit=200):
        subject_name, _, alias = event.subject.partition("@")
        if subject_name != name or alias in out or event.kind.endswith(("refused", "conflict")):
            continue
        previous = (event.data or {}).get("previous")
        if isinstance(previous, int):
            out[alias] = previous
        else:
            out.setdefault(alias, 0)
    return {alias: v for alias, v in out.items() if v}


def deployment_page(project: Project) -> dict[str, Any]:
    history = project.dashboard.deployment_history(limit=20)
    rolls = project.loop.rollouts(limit=10)
    if not history and not rolls:
        return {"pending": Pending("no deployment yet", "fullcycle serve (or fullcycle deploy)")}
    current = history[0] if history else None
    same_model = [d for d in history if current and d["name"] == current["name"]]
    return {
        "can_roll_back": len(same_model) > 1,
        "previous": same_model[1] if len(same_model) > 1 else None,
        "current": current,
        "history": history,
        "rollouts": rolls,
        "split_chart": _split_chart(current),
        "canary": [_canary(r) for r in rolls if r.state == "canary"][:1],
    }


def _split_chart(current: dict[str, Any] | None) -> dict[str, Any] | None:
    if not current or current.get("production") is None:
        return None
    share = float(current.get("canary_share") or 0.0)
    labels = [f"production v{current['production']}"]
    values = [1.0 - share]
    if current.get("canary") is not None and share:
        labels.append(f"canary v{current['canary']}")
        values.append(share)
    trace = {
        "type": "pie",
        "labels": labels,
        "values": values,
        "hole": 0.55,
        "marker": {"colors": list(charts.COLORS[: len(values)])},
        "sort": False,
    }
    return charts.figure([trace], "Traffic split", height=260)


def _canary(rollout: Any) -> dict[str, Any]:
    """Progress of a canary against its criteria, read from the rollout's data."""
    data = rollout.data or {}
    criteria = data.get("criteria") or {}
    observed = data.get("observed") or data.get("canary") or {}
    rows = []
    for key, limit in criteria.items() if isinstance(criteria, dict) else []:
        seen = observed.get(key) if isinstance(observed, dict) else None
        rows.append({"name": key, "limit": limit, "seen": seen})
    return {
        "rollout": rollout,
        "criteria": rows,
        "samples": data.get("samples"),
        "min_samples": data.get("min_samples"),
        "shadow_disagreement": data.get("shadow_disagreement"),
    }


def monitoring_page(project: Project, report_id: int | None) -> dict[str, Any]:
    reports = list(reversed(project.dashboard.monitor_reports(limit=60)))
    if not reports:
        return {"pending": Pending("no monitoring report yet", "fullcycle monitor")}
    scope = scope_info(project)
    chosen = next((r for r in reports if r["id"] == report_id), reports[-1])
    return {
        "reports": list(reversed(reports)),
        "chosen": chosen,
        "heatmap": charts.drift_heatmap(reports),
        "performance": charts.metric_over_time(reports, scope.get("metric"), scope.get("goal")),
        "latency": charts.latency(reports),
        "distributions": charts.distributions(chosen.get("summary") or {}),
        "features": charts.drift_features(chosen.get("summary") or {}),
    }


def labelling_page(project: Project, task_id: int | None, after: int) -> dict[str, Any]:
    progress = project.labels.progress()
    task = project.labels.task(task_id) if task_id else None
    if task is None or task["status"] != "queued":
        task = project.labels.next_task(after=after)
    total = sum(progress.values())
    done = total - progress.get("queued", 0)
    page = {
        "progress": progress,
        "total": total,
        "done": done,
        "task": task,
        "classes": _classes(project, task),
        "suggestion": _suggestion(task),
    }
    if total == 0:
        page["pending"] = Pending(
            "no rows queued for labelling", "fullcycle label queue --budget 100"
        )
    return page


def _classes(project: Project, task: dict[str, Any] | None) -> list[str]:
    try:
        found = project.contract()
    except (FullcycleError, ValueError):
        found = None
    target = None if found is None else found.target
    classes = list((target.classes if target is not None else None) or [])
    if not classes and task and isinstance(task.get("prediction"), dict):
        classes = sorted((task["prediction"].get("proba") or {}).keys())
    return [str(c) for c in classes][:9]


def _suggestion(task: dict[str, Any] | None) -> dict[str, Any] | None:
    prediction = (task or {}).get("prediction")
    if not isinstance(prediction, dict):
        return None
    proba = prediction.get("proba") or {}
    label = prediction.get("label")
    if label is None and proba:
        label = max(proba, key=lambda k: proba[k] or 0)
    confidence = proba.get(str(label)) if isinstance(proba, dict) else None
    return {"label": None if label is None else str(label), "confidence": confidence}
