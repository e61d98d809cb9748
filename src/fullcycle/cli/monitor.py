"""``fullcycle monitor``: one screen that says whether production has moved, and how much."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from fullcycle.cli._common import (
    JsonOption,
    ProjectOption,
    console,
    open_project,
    print_json,
    when,
)

if TYPE_CHECKING:
    from fullcycle.records import MonitorReport

monitor_app = typer.Typer(
    help="Drift, decay and service health from the prediction log.", invoke_without_command=True
)


def _fmt(value: Any, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def show_report(report: MonitorReport) -> None:
    out = console()
    perf, hl = report.performance, report.health
    out.print(
        f"[bold]{report.model}:{report.version}[/]  window {report.window}, "
        f"{report.rows} rows  ->  [bold]{report.verdict_text}[/]"
    )
    if perf.get("value") is not None:
        out.print(
            f"live {perf['metric']} {_fmt(perf['value'])} "
            f"(95% CI {_fmt(perf['low'])}-{_fmt(perf['high'])}, {perf['rows']} labelled"
            f"{_audited(perf)}) "
            f"vs goal {perf['goal']} and {_fmt(perf['evaluation'])} at evaluation"
        )
    newest = perf.get("newest") or {}
    if newest.get("value") is not None:
        out.print(
            f"  on the newest {newest['rows']} labelled rows: {_fmt(newest['value'])} "
            f"(95% CI {_fmt(newest['low'])}-{_fmt(newest['high'])}; where it is worse, it "
            "is what alerts and the loop judge)"
        )
    if perf.get("estimate") is not None:
        out.print(
            f"estimated {perf['metric']} from confidence: {_fmt(perf['estimate'])} "
            "(an estimate, no labels needed; assumes no concept drift)"
        )
    cost = report.cost or {}
    if cost.get("cost_per_1000") is not None:
        limit = f" (limit {cost['limit']:g})" if cost.get("limit") is not None else ""
        out.print(
            f"live expected cost {_fmt(cost['cost_per_1000'], 1)} per 1,000 decisions "
            f"(95% CI {_fmt(cost['low'], 1)}-{_fmt(cost['high'], 1)}, {cost['rows']} labelled)"
            f"{limit}"
        )
    if cost.get("abstain_share") is not None:
        out.print(f"abstained on {cost['abstain_share']:.1%} of decisions")
    out.print(
        f"latency p50 {_fmt(hl['p50'], 1)} / p95 {_fmt(hl['p95'], 1)} / "
        f"p99 {_fmt(hl['p99'], 1)} ms; error rate {hl['error_rate']:.3%} "
        f"({hl['rejected']} refused, {hl['errors']} failed); {hl['requests']} requests"
    )
    soft = report.contract or {}
    if soft.get("flagged"):
        feats = ", ".join(
            f"{n}: {p['problem']} {p['share']:.1%}" for n, p in list(soft["features"].items())[:5]
        )
        out.print(
            f"served with a contract flag: {soft['flagged']} of {soft['rows']} rows "
            f"({soft['flagged_share']:.1%}): {feats}"
        )
    drift = report.drift or {}
    table = Table("feature", "kind", "verdict", "score", "top statistics")
    for f in (drift.get("features") or [])[:12]:
        stats = ", ".join(f"{k}={v:.3g}" for k, v in list((f.get("stats") or {}).items())[:3])
        info = f.get("info") or {}
        new = info.get("top_new_tokens")
        if new:
            stats += "; new: " + ", ".join(
                str(t[0] if isinstance(t, list | tuple) else t) for t in new[:5]
            )
        table.add_row(f["name"], f["kind"], f["verdict"], f"{f['score']:.2f}", stats)
    if drift:
        out.print(table)
        out.print(
            f"drift score {report.drift_score:.2f} "
            "(share of the model's feature importance that drifted)"
        )
    for alert in report.alerts:
        out.print(f"[red]alert[/] {alert['key']}: {alert['message']}")


@monitor_app.callback()
def monitor(
    ctx: typer.Context,
    window: str = typer.Option(
        None,
        help="last:N requests, 1h / 30m / 7d, since:TIME or all "
        "(default: monitoring.window in fullcycle.yaml).",
    ),
    version: str = typer.Option(None, help="NAME:N to monitor (default: production)."),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
    html: Path = typer.Option(None, "--html", help="Also write the report as an HTML page."),
    watch: bool = typer.Option(False, help="Keep monitoring on a schedule."),
    every: str = typer.Option(
        None,
        help="With --watch: how often, 30s / 5m / 1h (default: monitoring.interval in "
        "fullcycle.yaml).",
    ),
    count: int = typer.Option(0, help="With --watch: stop after this many reports (0: never)."),
) -> None:
    """Build a report for a window of logged predictions, store it, raise alerts."""
    if ctx.invoked_subcommand is not None:
        return
    from fullcycle.loop.supervisor import supervised
    from fullcycle.scope import parse_duration

    proj = open_project(project)
    pause = 0.0
    if watch:
        pause = parse_duration(every) if every else float(proj.scope.monitoring.interval)

    def step() -> None:
        report = proj.monitor(window, version=version, html=html is not None)
        print_json(report.to_dict()) if as_json else show_report(report)
        if html is not None and report.html_sha256:
            html.write_bytes(proj.monitor.html(report))
            console().print(f"wrote {html}")

    supervised(
        step,
        project=proj,
        name="monitor",
        watch=watch,
        pause_s=pause,
        count=count,
        say=lambda text: console().print(text, markup=False),
    )


@monitor_app.command("list")
def listing(
    project: Path = ProjectOption,
    limit: int = typer.Option(20, min=1),
    as_json: bool = JsonOption,
) -> None:
    """Stored reports, newest first."""
    reports = open_project(project).monitor_reports(limit=limit)
    if as_json:
        print_json(reports)
        return
    table = Table("id", "time", "model", "window", "rows", "verdict", "live metric")
    for r in reports:
        perf = r["summary"].get("performance") or {}
        table.add_row(
            str(r["id"]),
            when(r["created_at"]),
            f"{r['model']}:{r['version']}",
            str(r["window"].get("text")),
            str(r["window"].get("rows")),
            r["verdict"],
            _fmt(perf.get("value")),
        )
    console().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(monitor_app, name="monitor")


def _audited(perf: dict[str, Any]) -> str:
    n = perf.get("audited_rows") or 0
    return f", {n} by a random audit" if n else ""
