"""The model card in Markdown: scope, data, metrics with intervals, slices, limitations."""

from __future__ import annotations

from typing import Any


def _f(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _versions(meta: dict[str, Any]) -> str:
    found = sorted((meta.get("library_versions") or {}).items())
    return ", ".join(f"{k} {v}" for k, v in found) or "unrecorded library versions"


def model_card(
    name: str,
    version: int,
    info: Any,
    meta: dict[str, Any],
    ev: dict[str, Any],
    description: str = "",
) -> str:
    """Markdown for ``name:version`` from the run ``info``, its model.json and its evaluation."""
    m = ev.get("metric", {})
    ci = m.get("ci")
    lines = [
        f"# Model card: {name}:{version}",
        "",
        *([description, ""] if description else []),
        "## Scope",
        f"- task: {meta.get('task')}, target `{_cell(meta.get('target'))}`",
        f"- scope metric: {m.get('name')} (goal {_f(m.get('goal'))}, "
        f"{'higher' if m.get('greater_is_better', True) else 'lower'} is better)",
        f"- estimator: `{meta.get('estimator')}` with params `{meta.get('params') or {}}`",
        f"- users: {', '.join(_cell(u) for u in meta.get('users') or []) or 'not named'}",
        f"- flavour: {meta.get('format') or 'skops'} (saved with {_versions(meta)})",
        "",
        "## Data",
        f"- dataset: {info.dataset}",
        f"- split: {(ev.get('data') or {}).get('split')}",
        f"- rows: {ev.get('rows', {}).get('train')} training, "
        f"{ev.get('rows', {}).get('test')} test",
        f"- run: {info.id} (seed {info.seed}, code {info.git_commit or 'not in git'}"
        f"{' dirty' if info.git_dirty else ''})",
        "",
        "## Metrics (held-out test split)",
        f"- **{m.get('name')}: {_f(m.get('value'))}**"
        + (f" (95% CI {_f(ci[0])} - {_f(ci[1])})" if ci else ""),
    ]
    for key, value in sorted((ev.get("metrics") or {}).items()):
        if isinstance(value, float) and key != m.get("name"):
            lines.append(f"- {key}: {_f(value)}")
    base = ev.get("baselines", {})
    if base.get("trivial"):
        lines.append(
            f"- trivial baseline ({base['trivial']['model']}): {_f(base['trivial']['metric'])}"
        )
    if base.get("scope"):
        lines.append(f"- {base['scope']['label']}: {_f(base['scope']['metric'])}")
    dec = ev.get("decisions") or {}
    if dec.get("expected_cost_per_1000") is not None:
        dci = dec.get("ci") or [None, None]
        lines.append(
            f"- expected cost per 1,000 decisions: {_f(dec['expected_cost_per_1000'])} "
            f"(95% CI {_f(dci[0])} - {_f(dci[1])})"
            + (
                f", threshold {_f(dec.get('threshold'))} ({dec.get('policy')})"
                if dec.get("threshold") is not None
                else ""
            )
        )
    lines += ["", "## Slices"]
    slices = ev.get("slices") or []
    if slices:
        lines += ["| feature | value | rows | metric | below goal |", "|---|---|---|---|---|"]
        lines += [
            f"| {_cell(s['feature'])} | {_cell(s['value'])} | {s['rows']} | "
            f"{_f(s['metric'])} | {'yes' if s['below_goal'] else ''} |"
            for s in slices
        ]
    else:
        lines.append("No categorical features to slice by.")
    diag = ev.get("diagnosis") or {}
    lines += ["", "## Limitations", f"- diagnosis: {diag.get('verdict')} - {diag.get('why')}"]
    below = [s for s in slices if s["below_goal"]]
    if below:
        lines.append(
            f"- {len(below)} slice(s) fall below the goal: "
            + ", ".join(f"{_cell(s['feature'])}={_cell(s['value'])}" for s in below[:10])
        )
    if m.get("meets_goal") is False:
        lines.append("- the model misses the scope goal on the test split")
    lines.append(
        "- measured on data up to the dataset version above; production data drifts, "
        "so watch the monitoring reports"
    )
    return "\n".join(lines) + "\n"
