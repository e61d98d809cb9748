"""``fullcycle runs`` and ``fullcycle runs show ID``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from fullcycle.cli._common import ProjectOption, console, open_project, print_json, when

runs_app = typer.Typer(help="List and inspect training runs.", invoke_without_command=True)


@runs_app.callback()
def runs(
    ctx: typer.Context,
    project: Path = ProjectOption,
    limit: int = typer.Option(20, min=1, max=10_000),
    status: str = typer.Option(None, help="Only runs with this status."),
    as_json: bool = typer.Option(False, "--json"),
    filter_: str = typer.Option(
        None, "--filter", help="e.g. 'metrics.f1 > 0.9 and params.seed = 3 and tags.team = x'"
    ),
) -> None:
    """List runs, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    if filter_:
        found = open_project(project).runs_frame(filter_, limit=limit)
        if status:
            found = found[found["status"] == status]
        if as_json:
            print_json(found.to_dict(orient="records"))
            return
        console().print(found.to_string(index=False) if len(found) else "no runs match")
        return
    rows = open_project(project).runs(limit=limit, status=status)
    if as_json:
        print_json([r.__dict__ for r in rows])
        return
    table = Table("id", "name", "status", "started", "seconds", "dataset", "metrics")
    for r in rows:
        secs = f"{r.duration_s:.1f}" if r.duration_s is not None else "-"
        shown = ", ".join(f"{k}={v:.4g}" for k, v in sorted(r.latest_metrics.items())[:4])
        table.add_row(
            r.id[:12], r.name, r.status, when(r.started_at), secs, r.dataset or "-", shown
        )
    console().print(table)


@runs_app.command("show")
def show(
    run_id: str = typer.Argument(..., help="A run id, a unique prefix of one, or 'latest'."),
    project: Path = ProjectOption,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Everything a run recorded."""
    r = open_project(project).run(run_id)
    if as_json:
        print_json(r.__dict__)
        return
    out = console()
    out.print(f"[bold]run {r.id}[/] ({r.name}) - {r.status}")
    out.print(f"started {when(r.started_at)}, ended {when(r.ended_at)}, seed {r.seed}")
    dirty = " (dirty)" if r.git_dirty else ""
    out.print(f"code    {r.git_commit or 'not in git'}{dirty}")
    out.print(f"data    {r.dataset or '-'}")
    env = r.environment
    pk = ", ".join(f"{k} {v}" for k, v in env.get("packages", {}).items())
    out.print(f"python  {env.get('python', '?')}; {pk}")
    for title, items in (
        ("params", r.params),
        ("metrics (latest)", r.latest_metrics),
        ("artifacts", r.artifacts),
    ):
        if items:
            table = Table(title, "value", box=None)
            for k, v in sorted(items.items()):
                table.add_row(k, f"{v:.6g}" if isinstance(v, float) else str(v))
            out.print(table)
    if r.error:
        out.print("[red]error[/]\n" + r.error.strip().splitlines()[-1])


def register(app: typer.Typer) -> None:
    app.add_typer(runs_app, name="runs")
