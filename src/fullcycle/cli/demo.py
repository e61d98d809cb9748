"""``fullcycle demo``: the whole cycle, end to end, on the bundled voice-search example.

The project and its HTML report stay in ``./fullcycle-demo`` (or ``--dir``), so the demo leaves
something to open; ``--clean`` runs it in a temporary folder removed at the end.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import typer

DEFAULT_DIR = Path("fullcycle-demo")


def free_folder(base: Path) -> Path:
    """``base``, or ``base-2``, ``base-3``, ... : the first that does not exist or is empty, so
    a second run never mixes with (or deletes) the first one's project."""
    for n in range(1, 1000):
        folder = base if n == 1 else base.with_name(f"{base.name}-{n}")
        if not folder.exists() or not any(folder.iterdir()):
            return folder
    raise FileExistsError(f"{base}: a thousand earlier demos; remove some")


def _folder(directory: Path | None) -> Path:
    from fullcycle.errors import AlreadyExists

    if directory is None:
        return free_folder(DEFAULT_DIR).resolve()
    if directory.exists() and any(directory.iterdir()):
        raise AlreadyExists(
            f"{directory} is not empty; the demo builds its project in a folder of its own",
            hint="pass another --dir, or remove that folder",
        )
    return directory.resolve()


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        directory: Path = typer.Option(
            None,
            "--dir",
            help=f"Keep the project and its report here (default: ./{DEFAULT_DIR}, or "
            f"./{DEFAULT_DIR}-N when that is taken).",
        ),
        clean: bool = typer.Option(
            False, "--clean", help="Run in a temporary folder and remove it at the end."
        ),
        periods: int = typer.Option(5, min=1, max=5, help="Production periods to replay."),
        per_period: int = typer.Option(1500, min=400, max=20000, help="Requests per period."),
        seed: int = typer.Option(0, help="Seed of the generated world."),
        no_bad: bool = typer.Option(False, "--no-bad-challenger", help="Skip the planted one."),
    ) -> None:
        """Scope, data, train, register, serve, monitor, label, retrain, canary, promote."""
        from fullcycle.cli._common import console
        from fullcycle.demo.story import Demo, DemoOptions

        out = console()
        options = DemoOptions(
            periods=periods,
            per_period=per_period,
            seed=seed,
            plant_bad_at=None if no_bad else min(2, periods),
        )
        tmp = tempfile.TemporaryDirectory(prefix="fullcycle-demo-") if clean else None
        folder = Path(tmp.name) / "voice" if tmp is not None else _folder(directory)
        out.print(
            f"project   {folder}"
            + (" (temporary: --clean removes it at the end)" if tmp else " (kept after the demo)")
        )
        try:
            result = Demo(folder, options, lambda line: out.print(line)).run()
            _summary(out, result, folder, kept=tmp is None)
        finally:
            if tmp is not None:
                tmp.cleanup()


def _summary(out: Any, result: Any, folder: Path, *, kept: bool) -> None:
    from rich.table import Table

    table = Table(
        "period", "new names", "loop macro-F1", "frozen macro-F1", "live cost /1000", "served by"
    )
    for r in result.periods:
        table.add_row(
            str(r.period),
            f"{r.unseen_share:.0%}",
            f"{r.loop_metric:.3f}",
            f"{r.frozen_metric:.3f}",
            "-" if r.live_cost is None else f"{r.live_cost:.0f}",
            ", ".join(f"v{v}: {n}" for v, n in sorted(r.served_by.items())),
        )
    out.print(table)
    if result.bad_challenger:
        bad = result.bad_challenger
        out.print(
            f"planted bad challenger {bad['version']}: gate {bad['gate']}, "
            f"canary rolled it back: {bad.get('rolled_back')}"
        )
    detected = (
        f"decay detected after {result.detected_after} requests"
        if result.detected_after
        else "no decay detected"
    )
    out.print(
        f"[bold]{detected}; {result.labels_spent} labels asked of the labellers"
        + (
            f" (each promotion's evidence: {', '.join(map(str, result.labels_per_promotion))}"
            " labelled rows)"
            if result.labels_per_promotion
            else ""
        )
        + f". On fresh queries from the last "
        f"period, the loop's production model {result.final_version} scores macro-F1 "
        f"{result.final_metric:.3f} against {result.final_frozen_metric:.3f} for the frozen "
        f"model (goal {result.goal}; evaluation at launch {result.evaluation:.3f}). "
        f"{result.seconds:.0f} s in all.[/]"
    )
    if kept:
        out.print(f"report:    {result.report}")
        out.print(f"dashboard: fullcycle ui -C {folder}")
    else:
        out.print("report:    (removed with the temporary project; drop --clean to keep it)")
