"""``fullcycle label queue | export | import | merge``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from fullcycle.cli._common import JsonOption, ProjectOption, console, open_project, print_json
from fullcycle.cli._common import actor as cli_actor

label_app = typer.Typer(
    help="The labelling queue: pick rows, export, import labels, merge.", no_args_is_help=True
)

EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "labelstudio": "json"}


@label_app.command("queue")
def queue(
    budget: int = typer.Option(..., min=1, help="How many rows to queue."),
    strategy: str = typer.Option(
        "uncertainty", help="uncertainty | margin | entropy | drift | random."
    ),
    source: str = typer.Option(
        ..., "--from", help="A dataset version NAME@N with prediction and proba_<class> columns."
    ),
    model: str = typer.Option(
        None, "--model", help="Score --from with this model (NAME, NAME:N or NAME@ALIAS)."
    ),
    audit_share: float = typer.Option(0.1, min=0.0, max=1.0, help="Share drawn at random."),
    seed: int = typer.Option(0, min=0),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Queue the rows a labeller's time is best spent on, plus a random audit share."""
    from fullcycle.errors import ConfigError

    if model is not None:
        from fullcycle.names import parse_ref

        parse_ref(model, "model", "--model")  # a misspelt reference is named first
        raise ConfigError(
            "--model: scoring a dataset with a registered model is not available yet",
            hint="give --from a dataset version that already has prediction and proba_ columns",
        )
    proj = open_project(project)
    version = proj.dataset(source)
    frame = proj.load_data(version.ref)
    before = proj.labels.progress().get("queued", 0)
    batch = proj.label_queue(
        frame,
        budget=budget,
        strategy=strategy,
        audit_share=audit_share,
        seed=seed,
        source=version.ref,
        actor=cli_actor(),
    )
    if as_json:
        waiting = proj.labels.progress().get("queued", 0)
        print_json(
            {"batch": batch, "source": version.ref, "strategy": strategy,
             "queued": waiting - before, "waiting": waiting}
        )  # fmt: skip
        return
    console().print(
        f"queued batch [bold]{batch}[/] from {version.ref}\n"
        f"next: fullcycle label export --batch {batch} --format labelstudio"
    )


@label_app.command("export")
def export(
    fmt: str = typer.Option("csv", "--format", "-f", help="csv | jsonl | labelstudio."),
    batch: str = typer.Option(None, help="Only this batch (default: every queued task)."),
    out: Path = typer.Option(  # noqa: B008
        None, "--out", "-o", help="File to write (default: labels-*.EXT)."
    ),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Write the queued tasks for labellers; Label Studio tasks carry the model's prediction."""
    from fullcycle.errors import InvalidInput

    if fmt not in EXTENSIONS:
        raise InvalidInput(f"--format {fmt!r} is not one of {', '.join(EXTENSIONS)}")
    proj = open_project(project)
    target = out or Path(f"labels-{batch or 'queued'}.{EXTENSIONS[fmt]}")
    n = proj.label_export(target, fmt, batch=batch)
    config = target.with_suffix(".config.xml") if fmt == "labelstudio" else None
    if config is not None:
        config.write_text(proj.label_studio_config(), encoding="utf-8")
    if as_json:
        print_json({"tasks": n, "path": str(target), "format": fmt, "batch": batch,
                    "config": None if config is None else str(config)})  # fmt: skip
        return
    console().print(f"wrote {n} tasks to {target}")
    if config is not None:
        console().print(f"labelling config for Label Studio: {config}")


@label_app.command("import")
def import_(
    path: Path = typer.Argument(  # noqa: B008
        ..., help="CSV, JSON Lines, or a Label Studio JSON export."
    ),
    labeller: str = typer.Option("anonymous", help="Who labelled, where the file does not say."),
    min_agreement: float = typer.Option(
        0.6, min=0.0, max=1.0, help="Rows whose majority share is below this go back to the queue."
    ),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Check and store labels; report agreement; re-queue rows the labellers disagree on."""
    report = open_project(project).label_import(
        path, labeller=labeller, min_agreement=min_agreement, actor=cli_actor()
    )
    if as_json:
        print_json(report.to_dict())
        return
    out = console()
    out.print(
        f"imported {report.imported} labels ({report.duplicates} duplicates skipped); "
        f"{len(report.tasks_labelled)} rows labelled, {len(report.requeued)} re-queued "
        f"for low agreement"
    )
    if report.agreement:
        table = Table("batch", "labellers", "rows", "Cohen's kappa")
        for a in report.agreement:
            table.add_row(a["batch"], " / ".join(a["labellers"]), str(a["n"]), f"{a['kappa']:.3f}")
        out.print(table)


@label_app.command("merge")
def merge(
    base: str = typer.Option(..., help="The dataset version to add the labelled rows to."),
    name: str = typer.Option(None, help="Name of the new version (default: the base's name)."),
    batch: str = typer.Option(None, help="Only rows of this batch."),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """A new dataset version: the base plus every labelled row, with lineage to them."""
    version = open_project(project).label_merge(base, name, batch=batch, actor=cli_actor())
    if as_json:
        added = len(version.origin.get("label_tasks", []))
        print_json(version.__dict__ | {"ref": version.ref, "labelled_rows_added": added})
        return
    console().print(
        f"created [bold]{version.ref}[/]: {version.n_rows} rows "
        f"({len(version.origin.get('label_tasks', []))} labelled rows added)"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(label_app, name="label")
