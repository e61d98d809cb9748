"""``fullcycle data add | list | show | lineage``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.tree import Tree

from fullcycle.cli._common import ProjectOption, console, open_project, print_json, when
from fullcycle.cli._common import actor as cli_actor

data_app = typer.Typer(help="Versioned datasets: add, list, show, lineage.", no_args_is_help=True)


@data_app.command("add")
def add(
    path: Path = typer.Argument(..., help="A CSV, TSV, Parquet or JSON Lines file."),  # noqa: B008
    name: str = typer.Option(..., "--name", "-n", help="Dataset name; versions are NAME@1, ..."),
    infer_contract: bool = typer.Option(
        False, "--infer-contract", help="Propose a contract from this file into fullcycle.yaml."
    ),
    allow_violations: bool = typer.Option(
        False, "--allow-violations", help="Store the data anyway and record the violations."
    ),
    unlabelled: bool = typer.Option(
        False, "--unlabelled", help="The rows have no target yet (e.g. scored production rows)."
    ),
    project: Path = ProjectOption,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Add a file as the next version of NAME (identical data returns the existing version)."""
    proj = open_project(project)
    before = {v.id for v in proj.datasets(name)}
    version = proj.add_data(
        path,
        name,
        allow_violations=allow_violations,
        infer_contract=infer_contract,
        require_target=not unlabelled,
        actor=cli_actor(),
    )
    if as_json:
        print_json(version.__dict__ | {"ref": version.ref})
        return
    out = console()
    if infer_contract:
        out.print(f"wrote the proposed contract into {proj.settings.scope_path.name}; review it")
    verb = "added" if version.id not in before else "unchanged, already stored as"
    out.print(
        f"{verb} [bold]{version.ref}[/]: {version.n_rows} rows x {version.n_cols} columns, "
        f"sha256 {version.sha256[:12]}"
    )
    for v in version.violations:
        out.print(
            f"[yellow]violation[/] {v['column']}: {v['problem']} ({v['count']} rows, "
            f"e.g. {v['examples']})"
        )


@data_app.command("list")
def list_(
    name: str = typer.Option(None, help="Only versions of this dataset."),
    project: Path = ProjectOption,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Dataset versions, newest first."""
    rows = open_project(project).datasets(name)
    if as_json:
        print_json([r.__dict__ | {"ref": r.ref} for r in rows])
        return
    table = Table("version", "created", "rows", "cols", "sha256", "made by", "violations")
    for r in rows:
        table.add_row(
            r.ref,
            when(r.created_at),
            str(r.n_rows),
            str(r.n_cols),
            r.sha256[:12],
            r.origin.get("kind", "?"),
            str(len(r.violations)) if r.violations else "-",
        )
    console().print(table)


@data_app.command("show")
def show(
    ref: str = typer.Argument(..., help="NAME@N, or NAME for the latest version."),
    project: Path = ProjectOption,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A version's schema and per-column profile."""
    from fullcycle.data.lineage import describe

    v = open_project(project).dataset(ref)
    if as_json:
        print_json(v.__dict__ | {"ref": v.ref})
        return
    out = console()
    out.print(
        f"[bold]{v.ref}[/]  {v.n_rows} rows x {v.n_cols} columns, created {when(v.created_at)}"
    )
    out.print(f"sha256  {v.sha256}\nmade by {describe(v.origin)}")
    if v.parents:
        out.print(f"parents {', '.join(v.parents)}")
    table = Table("column", "kind", "type", "missing", "summary")
    for column, p in v.profile.items():
        table.add_row(
            column,
            p.get("kind", "?"),
            p.get("type", "?"),
            f"{p.get('missing', 0):.1%}",
            _summary(p),
        )
    out.print(table)
    for item in v.violations:
        out.print(
            f"[yellow]violation[/] {item['column']}: {item['problem']} ({item['count']} rows)"
        )


def _summary(p: dict[str, Any]) -> str:
    kind = p.get("kind")
    if kind in ("numeric", "integer") and "mean" in p:
        q = p.get("quantiles", {})
        return (
            f"min {_n(p['min'])}  p50 {_n(q.get('0.5'))}  mean {_n(p['mean'])}  max {_n(p['max'])}"
        )
    if kind == "text" and "length" in p:
        length = p["length"]
        return (
            f"length {length.get('min')}-{length.get('max')} (mean {_n(length.get('mean'))}), "
            f"vocabulary {p.get('vocabulary')}"
        )
    if kind == "datetime":
        return f"{p.get('min')} .. {p.get('max')}"
    top = ", ".join(f"{value} ({count})" for value, count in p.get("top", [])[:5])
    return f"{p.get('distinct', '?')} distinct: {top}"


def _n(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}"


@data_app.command("lineage")
def lineage(
    ref: str = typer.Argument(..., help="NAME@N, or NAME for the latest version."),
    project: Path = ProjectOption,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The tree of versions this one was made from, and how."""
    tree = open_project(project).lineage(ref)
    if as_json:
        print_json(tree)
        return
    console().print(render_tree(tree))


def render_tree(node: dict[str, Any], parent: Tree | None = None) -> Tree:
    from fullcycle.data.lineage import describe

    label = f"[bold]{node['ref']}[/] ({node['n_rows']} rows) - {describe(node['origin'])}"
    branch = Tree(label) if parent is None else parent.add(label)
    for child in node.get("parents", []):
        render_tree(child, branch)
    return branch


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
