"""The evaluation as JSON and as one self-contained HTML file (plotly.js inlined, no CDN).

User text (class names, feature values, the project name) is escaped by Jinja2's autoescape in
the page and by :func:`script_json` inside ``<script>``, so a class named ``<script>`` is shown,
never run.
"""

from __future__ import annotations

import json
from typing import Any

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Evaluation {{ title }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em}
.flag{color:#b00;font-weight:bold}.chart{width:100%;height:420px}.muted{color:#666}
</style>
<script>{{ plotlyjs }}</script></head><body>
<h1>Evaluation of {{ title }}</h1>
<p class="muted">{{ ev.task }} &middot; target {{ ev.target }} &middot;
 {{ ev.rows.train }} training rows, {{ ev.rows.test }} test rows</p>
<h2>{{ ev.metric.name }}: {{ fmt(ev.metric.value) }}
{% if ev.metric.ci %}<small>(95% CI {{ fmt(ev.metric.ci[0]) }} &ndash; {{ fmt(ev.metric.ci[1]) }})
</small>{% endif %}</h2>
<p>goal {{ fmt(ev.metric.goal) }} &middot;
{% if ev.metric.meets_goal %}meets the goal{% elif ev.metric.meets_goal is none %}no goal set
{% else %}<span class="flag">misses the goal</span>{% endif %}</p>
<table><tr><th>compared with</th><th>{{ ev.metric.name }}</th></tr>
<tr><td>{{ ev.baselines.trivial.model }}</td><td>{{ fmt(ev.baselines.trivial.metric) }}</td></tr>
{% if ev.baselines.scope %}<tr><td>{{ ev.baselines.scope.label }} (scope baseline)</td>
<td>{{ fmt(ev.baselines.scope.metric) }}</td></tr>{% endif %}</table>
<h2>Diagnosis: {{ ev.diagnosis.verdict }}</h2><p>{{ ev.diagnosis.why }}</p>
<ul>{% for s in ev.diagnosis.next_steps %}<li>{{ s }}</li>{% endfor %}</ul>
{% if ev.decisions %}<h2>Decisions</h2>
<p>expected cost per 1,000 decisions: <b>{{ fmt(ev.decisions.expected_cost_per_1000) }}</b>
{% if ev.decisions.ci %}(95% CI {{ fmt(ev.decisions.ci[0]) }} &ndash; {{ fmt(ev.decisions.ci[1]) }})
{% endif %}
{% if ev.decisions.threshold is not none %}at threshold {{ fmt(ev.decisions.threshold) }}
({{ ev.decisions.policy }}, chosen on {{ ev.decisions.chosen_on }}); at 0.5 it would cost
{{ fmt(ev.decisions.cost_at_0_5_per_1000) }}{% endif %}
{% if ev.decisions.abstain_share %}; abstains on {{ fmt(100 * ev.decisions.abstain_share) }}%
{% endif %}</p>{% endif %}
{% for c in charts %}<div id="chart{{ loop.index }}" class="chart"></div>{% endfor %}
{% if ev.metrics.per_class %}<h2>Per class</h2><table>
<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>
{% for r in ev.metrics.per_class %}<tr><td>{{ r['class'] }}</td><td>{{ fmt(r.precision) }}</td>
<td>{{ fmt(r.recall) }}</td><td>{{ fmt(r.f1) }}</td><td>{{ r.support }}</td></tr>{% endfor %}
</table>{% endif %}
{% if ev.slices %}<h2>Slices</h2><table><tr><th>feature</th><th>value</th><th>rows</th>
<th>{{ ev.metric.name }}</th></tr>{% for s in ev.slices %}<tr><td>{{ s.feature }}</td>
<td>{{ s.value }}</td><td>{{ s.rows }}</td><td {% if s.below_goal %}class="flag"{% endif %}>
{{ fmt(s.metric) }}{% if s.below_goal %} below goal{% endif %}</td></tr>{% endfor %}</table>
{% endif %}
{% if ev.errors.largest_confusions %}<h2>Largest confusions</h2><table>
<tr><th>true</th><th>predicted</th><th>count</th></tr>{% for c in ev.errors.largest_confusions %}
<tr><td>{{ c.true }}</td><td>{{ c.predicted }}</td><td>{{ c.count }}</td></tr>{% endfor %}
</table>{% endif %}
<h2>Worst examples</h2><table><tr><th>row</th><th>true</th><th>predicted</th><th>features</th>
</tr>{% for w in ev.errors.worst_examples %}<tr><td>{{ w.row }}</td><td>{{ w.true }}</td>
<td>{{ w.predicted }}</td><td>{% for k, v in w.features.items() %}{{ k }}={{ v }}{% if not
loop.last %}, {% endif %}{% endfor %}</td></tr>{% endfor %}</table>
<script>
const charts = {{ charts_json }};
charts.forEach((c, i) => Plotly.newPlot("chart" + (i + 1), c.data, c.layout,
  {responsive: true, displaylogo: false}));
</script></body></html>
"""


def script_json(data: Any) -> str:
    """JSON safe to place inside a ``<script>`` element."""
    text = json.dumps(data, default=str, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def to_json(evaluation: dict[str, Any]) -> str:
    return json.dumps(evaluation, indent=2, default=str, sort_keys=True, allow_nan=False)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def charts(ev: dict[str, Any]) -> list[dict[str, Any]]:
    """Plotly figures (as plain dicts) for whatever the evaluation holds."""
    out: list[dict[str, Any]] = []
    m = ev.get("metrics", {})
    cm = m.get("confusion_matrix")
    if cm:
        names = [str(c) for c in cm["labels"]]
        out.append(
            {
                "data": [
                    {
                        "type": "heatmap",
                        "z": cm["matrix"],
                        "x": names,
                        "y": names,
                        "colorscale": "Blues",
                        "texttemplate": "%{z}",
                    }
                ],
                "layout": {
                    "title": {"text": "Confusion matrix"},
                    "xaxis": {"title": {"text": "predicted"}, "type": "category"},
                    "yaxis": {
                        "title": {"text": "true"},
                        "type": "category",
                        "autorange": "reversed",
                    },
                },
            }
        )
    curve = ev.get("learning_curve")
    if curve and curve.get("points"):
        sizes = [p["size"] for p in curve["points"]]
        out.append(
            {
                "data": [
                    {
                        "type": "scatter",
                        "mode": "lines+markers",
                        "name": "training",
                        "x": sizes,
                        "y": [p["train"] for p in curve["points"]],
                    },
                    {
                        "type": "scatter",
                        "mode": "lines+markers",
                        "name": "validation",
                        "x": sizes,
                        "y": [p["validation"] for p in curve["points"]],
                    },
                ],
                "layout": {
                    "title": {"text": f"Learning curve ({curve['metric']})"},
                    "xaxis": {"title": {"text": "training rows"}, "type": "log"},
                },
            }
        )
    rel = m.get("reliability")
    if rel:
        out.append(
            {
                "data": [
                    {
                        "type": "scatter",
                        "mode": "lines",
                        "name": "perfect",
                        "x": [0, 1],
                        "y": [0, 1],
                        "line": {"dash": "dash", "color": "#999"},
                    },
                    {
                        "type": "scatter",
                        "mode": "lines+markers",
                        "name": "model",
                        "x": rel["mean_predicted"],
                        "y": rel["fraction_positive"],
                    },
                ],
                "layout": {
                    "title": {"text": f"Calibration (Brier {_fmt(m.get('brier'))})"},
                    "xaxis": {"title": {"text": f"mean {rel['score']}"}},
                    "yaxis": {"title": {"text": "observed fraction"}},
                },
            }
        )
    if ev.get("slices"):
        s = ev["slices"]
        out.append(
            {
                "data": [
                    {
                        "type": "bar",
                        "x": [f"{x['feature']}={x['value']}" for x in s],
                        "y": [x["metric"] for x in s],
                        "marker": {"color": ["#c33" if x["below_goal"] else "#36c" for x in s]},
                    }
                ],
                "layout": {"title": {"text": f"{ev['metric']['name']} by slice"}},
            }
        )
    out.extend(_decision_chart(ev))
    res = m.get("residuals")
    if res:
        edges = res["histogram"]["edges"]
        mids = [(a + b) / 2 for a, b in zip(edges, edges[1:], strict=False)]
        out.append(
            {
                "data": [{"type": "bar", "x": mids, "y": res["histogram"]["counts"]}],
                "layout": {"title": {"text": "Residuals (true - predicted)"}},
            }
        )
    return out


def _decision_chart(ev: dict[str, Any]) -> list[dict[str, Any]]:
    dec = ev.get("decisions") or {}
    curve = dec.get("curve")
    if not curve:
        return []
    t = dec["threshold"]
    return [
        {
            "data": [
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": "cost per 1,000",
                    "x": curve["threshold"],
                    "y": curve["cost_per_1000"],
                },
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"chosen {t:.2f}",
                    "x": [t],
                    "y": [dec["expected_cost_per_1000"]],
                    "marker": {"size": 12, "color": "#c33"},
                },
            ],
            "layout": {
                "title": {"text": "Cost curve (held-out data)"},
                "xaxis": {"title": {"text": "threshold"}},
                "yaxis": {"title": {"text": "expected cost per 1,000 decisions"}},
            },
        }
    ]


def to_html(evaluation: dict[str, Any], title: str) -> str:
    """A self-contained page: open it in a browser with no network."""
    import jinja2
    from plotly.offline import get_plotlyjs

    env = jinja2.Environment(autoescape=True, undefined=jinja2.ChainableUndefined)
    page = env.from_string(_PAGE)
    figs = charts(evaluation)
    return page.render(
        ev=evaluation,
        title=title,
        fmt=_fmt,
        charts=figs,
        charts_json=jinja2.utils.markupsafe.Markup(script_json(figs)),
        plotlyjs=jinja2.utils.markupsafe.Markup(get_plotlyjs()),
    )
