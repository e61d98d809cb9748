"""``fullcycle predict-batch``: score a dataset version, partitioned, locally or on Dask."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from fullcycle.cli._common import ProjectOption, console, open_project, print_json
from fullcycle.cli._common import actor as cli_actor

if TYPE_CHECKING:
    from fullcycle.project import Project

ExecutorOption = typer.Option(
    None,
    "--executor",
    help="local, dask or serial (default: dask when FULLCYCLE_DASK_SCHEDULER is set, else local).",
)


def _model_ref(proj: Project, given: str | None) -> str:
    """``NAME:N`` and ``NAME@ALIAS`` as given (read by ``names.parse_ref``, so ``NAME@3`` is
    refused with the spelling meant); a bare word is an alias of the project's model when one by
    that name exists, else a model name (its latest version)."""
    from fullcycle.names import parse_ref

    word = given or "production"
    ref = parse_ref(word, "model", "--model")
    if ref.version is not None or ref.alias is not None:
        return word
    if any(a.alias == word for a in proj.aliases(proj.name)):
        return f"{proj.name}@{word}"
    return word


def _inputs(loaded: Any) -> list[str] | None:
    names = [i["name"] for i in (loaded.signature or {}).get("inputs", []) if "name" in i]
    if names:
        return names
    fitted = getattr(loaded.estimator, "feature_names_in_", None)
    return [str(n) for n in fitted] if fitted is not None else None


def predict_batch(
    dataset: str = typer.Argument(..., help="Dataset NAME@N (NAME alone: its latest version)."),
    model: str = typer.Option(
        None, "--model", "-m", help="NAME:N, NAME@ALIAS, or an alias (default: production)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="The Parquet file to write."),  # noqa: B008
    executor: str = ExecutorOption,
    partition_rows: int = typer.Option(1 << 20, "--partition-rows", min=1, max=100_000_000),
    workers: int = typer.Option(None, "--workers", min=1, help="Local processes (default: CPUs)."),
    fallback_local: bool = typer.Option(
        False, "--fallback-local", help="Run locally if the Dask scheduler cannot be reached."
    ),
    project: Path = ProjectOption,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Score every row of a dataset version; the output appears only when all rows are scored."""
    from fullcycle.scale.batch import predict_batch as run
    from fullcycle.scale.dask_executor import executor_for

    proj = open_project(project)
    ref = _model_ref(proj, model)
    loaded = proj.load_model(ref)
    version = proj.dataset(dataset)
    fallback = "local" if fallback_local else None
    chosen = executor_for(proj.settings, executor, workers=workers, fallback=fallback)
    try:
        with proj.data.local_copy(version.ref) as path:
            result = run(
                loaded, path, out, chosen, partition_rows=partition_rows, columns=_inputs(loaded)
            )
    finally:
        close = getattr(chosen, "close", None)
        if close is not None:
            close()
    model_ref = f"{loaded.name}:{loaded.version}"
    summary: dict[str, Any] = {
        "dataset": version.ref,
        "model": model_ref,
        "out": str(result.out_path),
        "rows": result.rows,
        "partitions": result.partitions,
        "executor": "LocalExecutor"
        if getattr(chosen, "is_local", False)
        else type(chosen).__name__,
        "seconds": round(result.seconds, 3),
    }
    proj.record(
        "batch.predict",
        subject=model_ref,
        actor=cli_actor(),
        message=f"scored {version.ref} ({result.rows} rows) into {out.name}",
        data=summary,
    )
    if as_json:
        print_json(summary)
        return
    console().print(
        f"scored [bold]{version.ref}[/] with [bold]{summary['model']}[/]: {result.rows} rows in "
        f"{result.partitions} partition(s) on {summary['executor']}, "
        f"{result.seconds:.1f} s -> {result.out_path}"
    )


def register(app: typer.Typer) -> None:
    app.command("predict-batch")(predict_batch)
