"""``fullcycle drift REFERENCE CURRENT``: compare two data files with the monitoring statistics."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fullcycle.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    import pandas as pd

    from fullcycle.monitoring.report import DriftReport

READERS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
#: ``fullcycle drift --fail-on-drift`` exits with this code when the verdict is drift.
DRIFT_EXIT_CODE = 11


def register(app: typer.Typer) -> None:
    app.command("drift")(drift_command)


def drift_command(
    reference: Annotated[
        str, typer.Argument(help="Reference data: a .csv, .parquet or .jsonl file.")
    ],
    current: Annotated[
        str, typer.Argument(help="Data to compare: a .csv, .parquet or .jsonl file.")
    ],
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML report here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    target: Annotated[
        str | None, typer.Option("--target", help="The target column, compared and marked.")
    ] = None,
    fail_on_drift: Annotated[
        bool,
        typer.Option(
            "--fail-on-drift",
            help=f"Exit with code {DRIFT_EXIT_CODE} when the verdict is drift (for CI).",
        ),
    ] = False,
    project: Annotated[
        Path | None,
        typer.Option(
            "--project",
            "-C",
            help="Use this project's drift thresholds (monitoring.thresholds and "
            "monitoring.min_rows in its fullcycle.yaml) instead of the defaults.",
        ),
    ] = None,
) -> None:
    """Compare two datasets: drift per feature, ranked, with a verdict for each and overall.

    A feature drifts when its two-sample test (KS, chi-square, out-of-vocabulary share),
    corrected for testing every column, says the change is not noise AND an effect size
    (PSI, KS, Wasserstein, ...) is above its floor. Exit codes: 0 done (whatever was found;
    with --fail-on-drift: no drift), 11 drift found with --fail-on-drift, 3-5 bad input."""
    from fullcycle.monitoring.compare import drift_frames

    policy = _project_policy(project) if project is not None else None
    report = drift_frames(read_frame(reference), read_frame(current), policy=policy, target=target)
    if html is not None:
        html.write_text(report.to_html(title=f"Drift: {current} vs {reference}"), encoding="utf-8")
    if as_json:
        typer.echo(report.to_json())
    else:
        _print_table(report)
        if html is not None:
            typer.echo(f"HTML report written to {html}")
    if fail_on_drift and report.drifted:
        from fullcycle.errors import DriftDetected

        raise DriftDetected(f"{report.verdict} (--fail-on-drift)")


def _project_policy(folder: Path) -> dict[str, Any]:
    """The drift policy of the project in ``folder``, as ``fullcycle monitor`` uses it."""
    from fullcycle.cli._common import open_project
    from fullcycle.monitoring.monitor import drift_policy

    proj = open_project(folder)
    try:
        return drift_policy(proj.scope.monitoring)
    finally:
        proj.close()


def read_frame(path: str) -> pd.DataFrame:
    """Read a CSV, Parquet or JSON Lines file; errors name the file and what to do."""
    import pandas as pd

    file = Path(path)
    fmt = READERS.get(file.suffix.lower())
    if fmt is None:
        raise InvalidInput(
            f"{path}: unknown file type {file.suffix!r}",
            hint="use a .csv, .parquet or .jsonl file",
        )
    if not file.is_file():
        raise NotFound(f"{path}: no such file", hint="check the path")
    try:
        if fmt == "csv":
            return pd.read_csv(file)
        if fmt == "parquet":
            return pd.read_parquet(file)
        return pd.read_json(file, lines=True)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InvalidInput(f"{path}: cannot be read as {fmt}: {exc}") from exc


def _print_table(report: DriftReport) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from fullcycle.monitoring.features import STATISTICS

    # the columns are the statistics' own names, as in reports and fullcycle.yaml's thresholds
    stats = [s for s in STATISTICS if any(s in f.stats for f in report.features)]
    table = Table(title=f"Drift: {report.n_current} rows vs {report.n_reference} reference rows")
    for col in ("#", "feature", "kind", *stats, "missing_change", "p", "p adj", "score", "verdict"):
        left = col in ("feature", "kind", "verdict")
        table.add_column(col, justify="left" if left else "right")
    for rank, f in enumerate(report.features, 1):
        style = "red" if f.drifted else ("green" if f.decided else "yellow")
        name = f.name if f.role == "feature" else f"{f.name} ({f.role})"
        cells = [_num(f.stats.get(s)) for s in stats]
        table.add_row(
            str(rank),
            escape(name),
            f.kind,
            *cells,
            _num(f.stats.get("missing_change")),
            _num(f.pvalue),
            _num(f.pvalue_adjusted),
            _num(f.score),
            f"[{style}]{escape(f.verdict)}[/{style}]",
        )
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(table)
    style = "red" if report.drifted else "green"
    console.print(f"Dataset: [{style}]{escape(report.verdict)}[/{style}]")
    for f in report.features:
        if f.drifted and f.rows:
            shown = ", ".join(map(str, f.rows[:10]))
            console.print(f"  {escape(f.name)}: rows that contribute most: {escape(shown)}")


def _num(value: Any) -> str:
    return "" if value is None else f"{value:.3g}"
