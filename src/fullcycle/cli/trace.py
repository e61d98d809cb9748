"""``fullcycle trace REQUEST_ID``: one prediction traced back to everything that produced it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from fullcycle.cli._common import ProjectOption, console, open_project, print_json, when

if TYPE_CHECKING:
    from fullcycle.records import Trace

IDS_SHOWN = 5


def _short(value: Any, width: int = 90) -> str:
    import json

    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= width else text[: width - 1] + "…"


def _num(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _lineage(node: dict[str, Any] | None) -> str:
    """``rows@2 (merge ...) <- rows@1 (file ...)`` along the first parents."""
    from fullcycle.data.lineage import describe

    parts: list[str] = []
    while node is not None and len(parts) < 6:
        parts.append(f"{node['ref']} ({describe(node.get('origin') or {})})")
        node = (node.get("parents") or [None])[0]
    return " <- ".join(parts)


def lines(t: Trace) -> list[str]:
    """The human form: the chain in order, one screen."""
    p = t.prediction
    out = [f"[bold]request {t.request_id}[/]  {when(p['ts'])}"]
    version = f"{p['model']}:{p['version']}" if p["version"] is not None else p["model"]
    out.append(
        f"prediction  {version} via {p['route']}, status {p['status']}, {p['latency_ms']} ms, "
        f"{len(p['rows'])} row(s)"
    )
    for r in p["rows"][:3]:
        shown = r["error"] if r["error"] else f"-> {_short(r['output'], 40)}"
        out.append(f"  row {r['row']}: {_short(r['inputs'], 70)} {shown}")
    for o in t.other_answers:
        first = o["rows"][0] if o["rows"] else {}
        out.append(
            f"  also       {o['model']}:{o['version']} ({o['route']}) -> "
            f"{_short(first.get('output'), 40)}, {o['latency_ms']} ms"
        )
    routing = t.routing or {}
    out.append(f"routing     revision {routing.get('revision')}: {routing.get('why')}")
    fb = t.feedback
    out.append(
        f"feedback    label {fb['label']!r} ({fb['source']}, {when(fb['ts'])})"
        if fb
        else "feedback    none yet"
    )
    m = t.model
    if m:
        aliases = f", aliases {', '.join(m['aliases'])}" if m["aliases"] else ""
        out.append(
            f"model       {m['ref']} ({m['status']}, artifact {m['artifact']} "
            f"{m['artifact_sha256'][:12]}{aliases})"
        )
    run = t.run
    if run:
        dirty = " (dirty)" if run["git_dirty"] else ""
        env = run["environment"] or {}
        out.append(
            f"run         {run['id'][:12]} seed {run['seed']}, code {run['git_commit'] or '-'}"
            f"{dirty}, python {env.get('python', '?')}"
        )
        if run["params"]:
            out.append(f"  params    {_short(run['params'], 100)}")
    data = t.data
    if data:
        out.append(
            f"data        {data['ref']} ({data['n_rows']} rows): {_lineage(data['lineage'])}"
        )
        for f in data["files"]:
            sha = str(f["sha256"])[:12]
            out.append(f"  file      {f['file']} (sha256 {sha}) -> {f['dataset']}")
        for rows in data["production_rows"]:
            ids = ", ".join(rows["request_ids"][:IDS_SHOWN])
            more = f", … {rows['rows'] - IDS_SHOWN} more" if rows["rows"] > IDS_SHOWN else ""
            out.append(
                f"  labelled  {rows['rows']} production rows -> {rows['dataset']} "
                f"(requests {ids}{more})"
            )
    ev = t.evaluation
    if ev and ev.get("metric"):
        m, on = ev["metric"], ev.get("data") or {}
        split = on.get("split") or {}
        ci = m.get("ci") or []
        ci_text = f" (CI {_num(ci[0])}-{_num(ci[1])})" if len(ci) == 2 else ""
        out.append(
            f"evaluation  {m.get('name')} {_num(m.get('value'))}{ci_text}, goal {m.get('goal')}, "
            f"on the {split.get('strategy', '?')} test split of {on.get('ref')};"
            f" verdict {ev.get('verdict')}"
        )
    gate = t.gate
    if gate:
        nums = gate["data"].get("numbers") or {}
        keys = ("rows", "challenger", "champion", "p_value")
        shown = ", ".join(f"{k} {_num(nums[k])}" for k in keys if k in nums)
        out.append(f"gate        {gate['message']} ({shown})")
    for e in t.promotion or []:
        what = f"{e['kind']} {e['subject']}"
        out.append(f"promotion   {when(e['ts'])} {what}: {_short(e['message'])}")
    for r in t.rollouts or []:
        out.append(f"rollout     {r['id']}: {r['state']} (champion v{r['champion']})")
    out.append(f"events      {len(t.events or [])} about this version:")
    for e in (t.events or [])[-8:]:
        out.append(f"  {when(e['ts'])} {e['kind']} {e['subject']} {_short(e['message'], 60)}")
    for gap in t.missing:
        out.append(f"[red]missing     {gap['link']}: {gap['message']}[/]")
    return out


def register(app: typer.Typer) -> None:
    @app.command()
    def trace(
        request_id: str = typer.Argument(..., help="The request id (X-Request-ID) to trace."),
        project: Path = ProjectOption,
        as_json: bool = typer.Option(False, "--json", help="The whole trace as JSON."),
    ) -> None:
        """One prediction traced back to its model, run, data, gate and events."""
        found = open_project(project).trace(request_id)
        if as_json:
            print_json(found.to_dict())
            return
        out = console()
        for line in lines(found):
            out.print(line)
