"""``fullcycle register``, ``promote``, ``models`` (list, show, trust, import) and ``gc``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from fullcycle.cli._common import (
    JsonOption,
    ProjectOption,
    console,
    open_project,
    print_json,
    version_json,
    when,
)
from fullcycle.cli._common import actor as cli_actor

models_app = typer.Typer(help="List and inspect registered models.", invoke_without_command=True)


def register_run(
    run_id: str = typer.Argument("latest", help="A run id, a unique prefix, or 'latest'."),
    project: Path = ProjectOption,
    name: str = typer.Option(None, "--name", help="Model name (default: the project's name)."),
    description: str = typer.Option("", "--description"),
    as_json: bool = JsonOption,
) -> None:
    """Register a finished run's model as the next version NAME:N."""
    v = open_project(project).register(
        run_id, name=name, description=description, actor=cli_actor()
    )
    if as_json:
        return print_json(version_json(v))
    metric = v.metrics.get("metric") or {}
    value = metric.get("value")
    shown = f"{metric.get('name')} {value:.4g}" if isinstance(value, float) else "no metric"
    console().print(f"registered [bold]{v.ref}[/] from run {v.run_id} ({shown})")


def promote(
    ref: str = typer.Argument(..., help="NAME:N"),
    project: Path = ProjectOption,
    alias: str = typer.Option("production", "--alias"),
    force: bool = typer.Option(False, "--force", help="Override the gate (needs --reason)."),
    reason: str = typer.Option(None, "--reason", help="Why; kept in the audit log."),
    as_json: bool = JsonOption,
) -> None:
    """Point an alias at a version if it passes the gate (the scope goal, the current holder).
    ``--alias production`` moves what serves (the deployment) with it."""
    proj = open_project(project)
    done = proj.promote(ref, alias, force=force, reason=reason, actor=cli_actor())
    said = proj.deployments.notify_server() if alias == "production" else None
    if said:
        typer.echo(f"server {said}", err=True)
    if as_json:
        return print_json(done.__dict__)
    out = console()
    before = f" (was {done.name}:{done.previous})" if done.previous else ""
    out.print(
        f"{done.name}@{done.alias} -> [bold]{done.name}:{done.version}[/]{before}"
        + (" [red]forced[/]" if done.forced else "")
    )
    for check in done.checks:
        out.print(f"  ok: {check}")


@models_app.callback()
def models(
    ctx: typer.Context,
    project: Path = ProjectOption,
    name: str = typer.Option(None, "--name", help="Only this model."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List model versions and their aliases."""
    if ctx.invoked_subcommand is not None:
        return
    rows = open_project(project).models(name)
    if as_json:
        print_json([{**r.__dict__, "card": None} for r in rows])
        return
    table = Table("model", "created", "status", "metric", "aliases", "run", "format")
    for r in rows:
        m = r.metrics.get("metric") or {}
        value = m.get("value")
        shown = f"{m.get('name')} {value:.4g}" if isinstance(value, float) else "-"
        table.add_row(
            r.ref,
            when(r.created_at),
            r.status,
            shown,
            ", ".join(r.aliases) or "-",
            (r.run_id or "-")[:12],
            r.format + (" (trusted)" if r.trusted else ""),
        )
    console().print(table)


@models_app.command("show")
def show(
    ref: str = typer.Argument(..., help="NAME:N, NAME@ALIAS or NAME."),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """A version's model card."""
    v = open_project(project).models.show(ref)
    if as_json:
        return print_json(version_json(v))
    typer.echo(v.card)


@models_app.command("trust")
def trust(
    ref: str = typer.Argument(..., help="NAME:N"),
    project: Path = ProjectOption,
    reason: str = typer.Option(..., "--reason", help="Why this file is safe to open."),
    as_json: bool = JsonOption,
) -> None:
    """Admin: allow a pickle/joblib version to be opened (recorded in the audit log)."""
    v = open_project(project).trust_model(ref, reason=reason, actor=cli_actor())
    if as_json:
        return print_json(version_json(v))
    console().print(f"{v.ref} is marked trusted")


@models_app.command("import")
def import_model(
    path: Path = typer.Argument(  # noqa: B008
        ...,
        help="A .skops, .onnx, .ubj (XGBoost), .lgb.txt (LightGBM), .cbm (CatBoost), .joblib "
        "or .pkl file.",
    ),
    project: Path = ProjectOption,
    name: str = typer.Option(None, "--name", help="Model name (default: the project's name)."),
    data: str = typer.Option(
        None, "--data", help="NAME@N: evaluate on its test split and store contract, reference."
    ),
    recipe: str = typer.Option(
        None, "--recipe", help="module:fn or module:Class that builds it, so the loop can retrain."
    ),
    fmt: str = typer.Option(None, "--format", help="The file's format if its name does not say."),
    as_json: bool = JsonOption,
) -> None:
    """Register a model file made elsewhere (pickles stay closed until trusted)."""
    v = open_project(project).import_model(
        path, name=name, data=data, recipe=recipe, fmt=fmt, actor=cli_actor()
    )
    if as_json:
        return print_json(version_json(v))
    metric = v.metrics.get("metric") or {}
    value = metric.get("value")
    shown = f", {metric.get('name')} {value:.4g} on {data}" if isinstance(value, float) else ""
    console().print(f"imported {path.name} as [bold]{v.ref}[/] ({v.format}{shown})")


@models_app.command("compile")
def compile_model(
    ref: str = typer.Argument(..., help="NAME:N"),
    project: Path = ProjectOption,
    to: str = typer.Option("onnx", "--to", help="The target format (onnx)."),
    tolerance: float = typer.Option(
        None, "--tolerance", help="Largest probability difference allowed (default 1e-4)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Compile a version to ONNX; registered only if it answers like the original."""
    v = open_project(project).compile_model(ref, to=to, tolerance=tolerance, actor=cli_actor())
    if as_json:
        return print_json(version_json(v))
    console().print(f"compiled {ref} to {to} as [bold]{v.ref}[/] ({v.description})")


def gc(
    project: Path = ProjectOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would go."),
    grace: float = typer.Option(
        3600.0,
        "--grace",
        min=0,
        help="Keep objects younger than this many seconds (a writer may not have committed).",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Remove artifacts that nothing refers to (left by crashes)."""
    result = open_project(project).gc(grace_s=grace, dry_run=dry_run)
    if as_json:
        return print_json(
            {"removed": list(result.removed), "kept": result.kept, "dry_run": dry_run}
        )
    verb = "would remove" if dry_run else "removed"
    console().print(f"{verb} {len(result.removed)} artifact(s); kept {result.kept}")


def register(app: typer.Typer) -> None:
    app.command("register")(register_run)
    app.command()(promote)
    app.add_typer(models_app, name="models")
    app.command()(gc)
