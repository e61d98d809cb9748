"""``fullcycle deploy ...`` and ``fullcycle rollback``: what the server routes.

Every change goes through ``project.deployments``, which moves the deployment row and the
``production`` alias together (one source of truth for what serves).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from fullcycle.cli._common import JsonOption, ProjectOption, console, open_project, print_json
from fullcycle.cli._common import actor as cli_actor

deploy_app = typer.Typer(
    help="Route traffic: production, canary with a share, shadow.", no_args_is_help=True
)


def _changed(deps: Any, state: Any, as_json: bool) -> None:
    """Show the new deployment, and nudge the server at FULLCYCLE_SERVER_URL when one is set."""
    _show(state, as_json)
    said = deps.notify_server()
    if said:
        typer.echo(f"server {said}", err=True)


def _show(state: Any, as_json: bool) -> None:
    data = dict(getattr(state, "__dict__", state))
    if as_json:
        print_json(data)
        return
    canary = f", canary v{data['canary']} at {data['canary_share']:.0%}" if data["canary"] else ""
    shadow = f", shadow v{data['shadow']}" if data["shadow"] else ""
    console().print(
        f"{data['name']} revision {data['revision']}: production v{data['production']}"
        f"{canary}{shadow}" + (f"  ({data['reason']})" if data.get("reason") else "")
    )


@deploy_app.command("production")
def production(
    ref: str = typer.Argument(..., help="NAME:N"),
    reason: str = typer.Option("", help="Why (kept in the audit log)."),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Serve NAME:N to all traffic (clears canary and shadow; the production alias follows)."""
    deps = open_project(project).deployments
    _changed(deps, deps.production(ref, reason=reason, actor=cli_actor()), as_json)


@deploy_app.command("canary")
def canary(
    ref: str = typer.Argument(..., help="NAME:N"),
    share: float = typer.Option(0.1, min=0.0, max=1.0),
    reason: str = typer.Option(""),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Send a share of traffic (by request-id hash) to NAME:N."""
    deps = open_project(project).deployments
    _changed(deps, deps.canary(ref, share, reason=reason, actor=cli_actor()), as_json)


@deploy_app.command("shadow")
def shadow(
    ref: str = typer.Argument(..., help="NAME:N"),
    reason: str = typer.Option(""),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Run NAME:N on every request, log its predictions, never return them."""
    deps = open_project(project).deployments
    _changed(deps, deps.shadow(ref, reason=reason, actor=cli_actor()), as_json)


@deploy_app.command("promote")
def promote(
    name: str = typer.Argument(None, help="Model name (default: the project's)."),
    reason: str = typer.Option(""),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Make the canary the production version."""
    deps = open_project(project).deployments
    _changed(deps, deps.promote_canary(name, reason=reason, actor=cli_actor()), as_json)


@deploy_app.command("status")
def status(
    name: str = typer.Argument(None, help="Model name (default: the project's)."),
    history: int = typer.Option(5, min=1, max=1000),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """The current deployment and the changes before it (newest first)."""
    proj = open_project(project)
    states = proj.deployments.history(name, limit=history)
    if as_json:
        print_json([s.__dict__ for s in states])
        return
    if not states:
        console().print("no deployment yet: fullcycle deploy production NAME:N")
    for state in states:
        _show(state, False)
    current = states[0].revision if states else None
    for event in proj.events(kind="serving.swap_refused", subject=name or proj.name, limit=1):
        if current is None or event.data.get("revision") == current:  # why it is not served
            typer.echo(f"the server is not serving this deployment: {event.message}", err=True)


def rollback(
    name: str = typer.Argument(None, help="Model name (default: the project's)."),
    reason: str = typer.Option(""),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Restore the deployment before the current one, in one step."""
    deps = open_project(project).deployments
    _changed(deps, deps.rollback(name, actor=cli_actor(), reason=reason), as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(deploy_app, name="deploy")
    app.command()(rollback)
