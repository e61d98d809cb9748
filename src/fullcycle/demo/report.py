"""The demo's summary as one self-contained HTML file (plotly.js inlined, no network)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape

from fullcycle.records import DriftVerdict

if TYPE_CHECKING:
    from fullcycle.project import Project


def _json(data: Any) -> str:
    """JSON safe to place inside a <script> element."""
    return json.dumps(data, default=str).replace("<", "\\u003c").replace(">", "\\u003e")


def render(project: Project, results: list[Any], evaluation: float) -> str:
    from plotly.offline import get_plotlyjs

    goal = project.scope.metric.goal
    periods = [r.period for r in results]
    metric_chart = {
        "data": [
            {
                "x": periods,
                "y": [r.loop_metric for r in results],
                "name": "with the loop",
                "mode": "lines+markers",
            },
            {
                "x": periods,
                "y": [r.frozen_metric for r in results],
                "name": "frozen model",
                "mode": "lines+markers",
            },
            {
                "x": periods,
                "y": [goal] * len(periods),
                "name": "goal",
                "mode": "lines",
                "line": {"dash": "dash"},
            },
        ],
        "layout": {
            "title": {"text": "macro-F1 per period (all requests, scored against the truth)"},
            "xaxis": {"title": {"text": "period"}, "dtick": 1},
            "yaxis": {"range": [0.5, 1.0]},
        },
    }
    drift_chart = {
        "data": [
            {
                "x": periods,
                "y": [r.unseen_share for r in results],
                "name": "queries naming an unseen entity",
                "type": "bar",
            },
            {
                "x": periods,
                "y": [
                    sum(v == DriftVerdict.DRIFT for v in r.verdicts) / max(len(r.verdicts), 1)
                    for r in results
                ],
                "name": "share of monitor reports with drift",
                "mode": "lines+markers",
            },
        ],
        "layout": {
            "title": {"text": "how the world moved"},
            "xaxis": {"title": {"text": "period"}, "dtick": 1},
            "yaxis": {"range": [0, 1.05]},
        },
    }
    events = [
        {
            "time": dt.datetime.fromtimestamp(e.ts, tz=dt.UTC).strftime("%H:%M:%S"),
            "kind": e.kind,
            "subject": e.subject,
            "actor": e.actor,
            "message": e.message,
        }
        for e in reversed(project.events(limit=400))
        if e.kind.startswith(
            ("loop.", "model.", "deployment.", "alert.", "label.", "data.", "demo.")
        )
        and e.kind not in ("loop.none", "loop.rollout.extend")
    ]
    env = Environment(loader=PackageLoader("fullcycle.demo"), autoescape=select_autoescape())
    return env.get_template("demo.html.j2").render(
        plotly_js=get_plotlyjs(),
        metric_chart=_json(metric_chart),
        drift_chart=_json(drift_chart),
        results=results,
        goal=goal,
        evaluation=evaluation,
        events=events,
    )
