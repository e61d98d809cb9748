"""Plotly figures as plain dicts, drawn in the browser by static/dashboard.js.

plotly.js renders a little HTML in labels, so every user-given string that lands in a figure
goes through :func:`esc` (plotly shows the entities as the characters they stand for).
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fullcycle.project import Project

COLORS = ("#2563eb", "#f97316", "#16a34a", "#9333ea", "#dc2626", "#0891b2")
MAX_CURVE_POINTS = 2000


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def figure(data: list[dict[str, Any]], title: str = "", **layout: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "margin": {"t": 36 if title else 12, "b": 44, "l": 52, "r": 12},
        "height": 280,
        "legend": {"orientation": "h", "y": -0.25},
    }
    if title:
        base["title"] = {"text": esc(title), "font": {"size": 14}}
    base.update(layout)
    return {"data": data, "layout": base}


def _finite(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


# -- monitoring -------------------------------------------------------------------------------
def performance_of(summary: dict[str, Any], metric: str | None) -> float | None:
    perf = summary.get("performance")
    if isinstance(perf, dict) and metric:
        return _finite(perf.get(metric, perf.get("value")))
    return None


def window_label(report: dict[str, Any]) -> str:
    from fullcycle.ui.render import when

    window = report.get("window") or {}
    end = window.get("end") if isinstance(window, dict) else None
    return when(_finite(end) or report.get("created_at"))


def metric_over_time(
    reports: list[dict[str, Any]], metric: str | None, goal: float | None
) -> dict[str, Any] | None:
    """The scope's metric per window (or the first one the reports hold), with the goal."""
    metric = metric or _first_metric(reports)
    points = [(window_label(r), performance_of(r.get("summary") or {}, metric)) for r in reports]
    points = [(x, y) for x, y in points if y is not None]
    if not points:
        return None
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": esc(metric),
            "x": [x for x, _ in points],
            "y": [y for _, y in points],
            "line": {"color": COLORS[0]},
        }
    ]
    if goal is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "goal",
                "x": [points[0][0], points[-1][0]],
                "y": [goal, goal],
                "line": {"dash": "dash", "color": COLORS[2]},
            }
        )
    return figure(data, f"{metric} in production")


def _first_metric(reports: list[dict[str, Any]]) -> str | None:
    for report in reports:
        perf = (report.get("summary") or {}).get("performance")
        if isinstance(perf, dict) and perf:
            return str(next(iter(perf)))
    return None


def drift_features(summary: dict[str, Any]) -> list[dict[str, Any]]:
    drift = summary.get("drift") if isinstance(summary.get("drift"), dict) else summary
    features = drift.get("features") if isinstance(drift, dict) else None
    return [f for f in features or [] if isinstance(f, dict) and "name" in f]


def drift_heatmap(reports: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Features (rows) by windows (columns), coloured by drift score (above 1 is drift)."""
    names: list[str] = []
    scores: list[dict[str, float | None]] = []
    for report in reports:
        row = {f["name"]: _finite(f.get("score")) for f in drift_features(report["summary"] or {})}
        names.extend(n for n in row if n not in names)
        scores.append(row)
    if not names:
        return None
    z = [[s.get(n) for s in scores] for n in names]
    x = [f"#{r['id']} {window_label(r)}" for r in reports]
    trace = {
        "type": "heatmap",
        "z": z,
        "x": x,
        "y": [esc(n) for n in names],
        "zmin": 0,
        "zmax": 2,
        "colorscale": [[0, "#f0fdf4"], [0.5, "#fde68a"], [1, "#dc2626"]],
        "colorbar": {"title": {"text": "score"}},
        "hoverongaps": False,
    }
    height = max(240, 40 + 26 * len(names))
    return figure(
        [trace],
        "Drift score by feature and window (above 1 = drift)",
        height=height,
        xaxis={"type": "category"},
        yaxis={"type": "category", "automargin": True},
    )


def latency(reports: list[dict[str, Any]]) -> dict[str, Any] | None:
    keys = ("p50", "p90", "p95", "p99")
    series: dict[str, list[tuple[str, float]]] = {k: [] for k in keys}
    for report in reports:
        lat = (report.get("summary") or {}).get("latency") or {}
        for k in keys:
            value = _finite(lat.get(k) if isinstance(lat, dict) else None)
            if value is not None:
                series[k].append((window_label(report), value))
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": k,
            "x": [x for x, _ in pts],
            "y": [y for _, y in pts],
        }
        for k, pts in series.items()
        if pts
    ]
    return figure(data, "Latency percentiles (ms)") if data else None


def distributions(summary: dict[str, Any], limit: int = 6) -> list[dict[str, Any]]:
    """Reference against current for the most drifted features of one report."""
    out = []
    ranked = sorted(drift_features(summary), key=lambda f: -(_finite(f.get("score")) or 0))
    for f in ranked[:limit]:
        c = f.get("chart") or {}
        if not c.get("x"):
            continue
        x = c["x"] if c.get("type") == "numeric" else [esc(v) for v in c["x"]]
        data = [
            {"type": "bar", "name": name, "x": x, "y": c.get(name, []), "opacity": 0.6}
            for name in ("reference", "current")
        ]
        out.append(figure(data, f"{f['name']} ({f.get('verdict', '')})", barmode="overlay"))
    return out


# -- data -------------------------------------------------------------------------------------
def profiles(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per column: its summary and a small chart (histogram, quantiles or top values)."""
    out = []
    for name, p in (profile or {}).items():
        if isinstance(p, dict):
            out.append(
                {
                    "name": name,
                    "kind": p.get("kind", ""),
                    "missing": p.get("missing"),
                    "stats": _column_stats(p),
                    "chart": _column_chart(name, p),
                }
            )
    return out


def _column_stats(p: dict[str, Any]) -> dict[str, Any]:
    keep = ("min", "max", "mean", "std", "distinct", "vocabulary", "first", "last")
    return {k: p[k] for k in keep if p.get(k) is not None}


def _column_chart(name: str, p: dict[str, Any]) -> dict[str, Any] | None:
    small: dict[str, Any] = {
        "height": 160,
        "margin": {"t": 8, "b": 30, "l": 40, "r": 8},
        "showlegend": False,
    }
    hist = p.get("histogram")
    if isinstance(hist, dict) and hist.get("counts"):
        edges = hist.get("edges") or []
        x = [(a + b) / 2 for a, b in zip(edges, edges[1:], strict=False)] or None
        return figure([{"type": "bar", "x": x, "y": hist["counts"]}], **small)
    top = p.get("top")
    if isinstance(top, list) and top:
        pairs = [t for t in top if isinstance(t, list | tuple) and len(t) == 2][:10]
        return figure(
            [
                {
                    "type": "bar",
                    "x": [esc(v) for v, _ in pairs],
                    "y": [n for _, n in pairs],
                    "marker": {"color": COLORS[0]},
                }
            ],
            xaxis={"type": "category"},
            **small,
        )
    quantiles = p.get("quantiles")
    if isinstance(quantiles, dict) and quantiles:
        return _quantile_histogram(p, quantiles, small)
    return None


def _quantile_histogram(
    p: dict[str, Any], quantiles: dict[str, Any], small: dict[str, Any]
) -> dict[str, Any] | None:
    """A histogram with one bar between neighbouring quantiles: the share of rows in the bar
    over its width, so the area is the share (the profile keeps quantiles, not counts)."""
    points = [(0.0, _finite(p.get("min")))]
    points += sorted((float(q), _finite(v)) for q, v in quantiles.items())
    points.append((1.0, _finite(p.get("max"))))
    known = [(q, v) for q, v in points if v is not None]
    bars = [
        (a_v, b_v - a_v, (b_q - a_q) / (b_v - a_v))
        for (a_q, a_v), (b_q, b_v) in zip(known, known[1:], strict=False)
        if b_v > a_v
    ]
    if not bars:
        return None
    trace = {
        "type": "bar",
        "x": [left + width / 2 for left, width, _ in bars],
        "width": [width for _, width, _ in bars],
        "y": [density for _, _, density in bars],
        "marker": {"color": COLORS[0], "line": {"color": "#fff", "width": 1}},
        "hovertemplate": "%{x:.3g}: density %{y:.3g}<extra></extra>",
    }
    return figure([trace], yaxis={"title": {"text": "density"}}, **small)


def lineage(tree: dict[str, Any]) -> dict[str, Any] | None:
    """The lineage tree as a left-to-right graph: parents on the left, the version on the right."""
    nodes: dict[str, tuple[int, str]] = {}
    edges: list[tuple[str, str]] = []

    def walk(node: dict[str, Any], depth: int) -> None:
        ref = str(node.get("ref"))
        if ref not in nodes or nodes[ref][0] < depth:
            origin = node.get("origin") or {}
            how = origin.get("kind") or origin.get("how") or origin.get("type") or ""
            nodes[ref] = (depth, f"{ref}<br>{node.get('n_rows', '?')} rows {how}")
        for parent in node.get("parents") or []:
            edges.append((str(parent.get("ref")), ref))
            walk(parent, depth + 1)

    walk(tree, 0)
    if len(nodes) < 1:
        return None
    depth_max = max(d for d, _ in nodes.values())
    by_depth: dict[int, list[str]] = {}
    for ref, (d, _) in nodes.items():
        by_depth.setdefault(d, []).append(ref)
    pos = {
        ref: (depth_max - d, i - (len(refs) - 1) / 2)
        for d, refs in by_depth.items()
        for i, ref in enumerate(refs)
    }
    ex: list[float | None] = []
    ey: list[float | None] = []
    for a, b in edges:
        ex += [pos[a][0], pos[b][0], None]
        ey += [pos[a][1], pos[b][1], None]
    refs = list(nodes)
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": ex,
            "y": ey,
            "hoverinfo": "skip",
            "line": {"color": "#94a3b8"},
        },
        {
            "type": "scatter",
            "mode": "markers+text",
            "x": [pos[r][0] for r in refs],
            "y": [pos[r][1] for r in refs],
            "text": [_lineage_label(nodes[r][1]) for r in refs],
            "textposition": "bottom center",
            "marker": {"size": 18, "color": COLORS[0]},
            "hoverinfo": "text",
        },
    ]
    hidden = {"visible": False, "range": [-0.6, depth_max + 0.6]}
    return figure(
        data,
        "Lineage (parents on the left)",
        showlegend=False,
        height=200,
        xaxis=hidden,
        yaxis={"visible": False},
    )


def _lineage_label(text: str) -> str:
    head, _, tail = text.partition("<br>")
    return f"{esc(head)}<br>{esc(tail)}"


# -- runs -------------------------------------------------------------------------------------
def run_curves(project: Project, runs: list[Any], keys: list[str]) -> list[dict[str, Any]]:
    """One figure per metric key with a line per run, for keys logged at more than one step."""
    out = []
    for key in keys[:6]:
        data = []
        for i, run in enumerate(runs):
            points = project.metric_history(run.id, key)[-MAX_CURVE_POINTS:]
            if len(points) > 1:
                data.append(
                    {
                        "type": "scatter",
                        "mode": "lines",
                        "name": esc(f"{run.name} {run.id[:6]}"),
                        "x": [p.step for p in points],
                        "y": [p.value for p in points],
                        "line": {"color": COLORS[i % len(COLORS)]},
                    }
                )
        if data:
            out.append(figure(data, key, xaxis={"title": {"text": "step"}}))
    return out


# -- models -----------------------------------------------------------------------------------
def slices(items: list[dict[str, Any]], goal: float | None) -> dict[str, Any] | None:
    rows = [s for s in items if _finite(s.get("metric")) is not None][:30]
    if not rows:
        return None
    labels = [esc(f"{s.get('feature')}={s.get('value')}") for s in rows]
    colors = [COLORS[4] if s.get("below_goal") else COLORS[0] for s in rows]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "x": labels,
            "y": [s["metric"] for s in rows],
            "marker": {"color": colors},
            "name": "slice",
        }
    ]
    if goal is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "goal",
                "x": [labels[0], labels[-1]],
                "y": [goal, goal],
                "line": {"dash": "dash"},
            }
        )
    return figure(data, "Metric by slice (red: below the goal)", xaxis={"type": "category"})
