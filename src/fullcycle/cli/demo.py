"""``fullcycle demo``: the whole cycle, end to end, on the bundled voice-search example."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        directory: Path = typer.Option(
            None,
            "--dir",
            help="Keep the project here (default: a temporary folder, removed afterwards).",
        ),
        periods: int = typer.Option(5, min=1, max=5, help="Production periods to replay."),
        per_period: int = typer.Option(1500, min=400, max=20000, help="Requests per period."),
        seed: int = typer.Option(0, help="Seed of the generated world."),
        no_bad: bool = typer.Option(False, "--no-bad-challenger", help="Skip the planted one."),
    ) -> None:
        """Scope, data, train, register, serve, monitor, label, retrain, canary, promote."""
        from rich.table import Table

        from fullcycle.cli._common import console
        from fullcycle.demo.story import Demo, DemoOptions

        out = console()
        options = DemoOptions(
            periods=periods,
            per_period=per_period,
            seed=seed,
            plant_bad_at=None if no_bad else min(2, periods),
        )
        keep = directory is not None
        tmp = None if keep else tempfile.TemporaryDirectory(prefix="fullcycle-demo-")
        folder = directory if directory is not None else Path(tmp.name) / "voice"  # type: ignore[union-attr]
        try:
            result = Demo(folder.resolve(), options, lambda line: out.print(line)).run()
            table = Table("period", "new names", "loop macro-F1", "frozen macro-F1", "served by")
            for r in result.periods:
                table.add_row(
                    str(r.period),
                    f"{r.unseen_share:.0%}",
                    f"{r.loop_metric:.3f}",
                    f"{r.frozen_metric:.3f}",
                    ", ".join(f"v{v}: {n}" for v, n in sorted(r.served_by.items())),
                )
            out.print(table)
            if result.bad_challenger:
                bad = result.bad_challenger
                out.print(
                    f"planted bad challenger {bad['version']}: gate {bad['gate']}, "
                    f"canary rolled it back: {bad.get('rolled_back')}"
                )
            where = result.report if keep else "(temporary; use --dir to keep it)"
            out.print(
                f"report: {where}; dashboard: fullcycle ui -C {folder}"
                if keep
                else f"report: {where}"
            )
            detected = (
                f"decay detected after {result.detected_after} requests"
                if result.detected_after
                else "no decay detected"
            )
            out.print(
                f"[bold]{detected}. On fresh queries from the last period, the loop's "
                f"production model {result.final_version} scores macro-F1 "
                f"{result.final_metric:.3f} against {result.final_frozen_metric:.3f} for the "
                f"frozen model (goal {result.goal}; evaluation at launch {result.evaluation:.3f}). "
                f"{result.seconds:.0f} s in all.[/]"
            )
        finally:
            if tmp is not None:
                tmp.cleanup()
