"""``fullcycle serve``: the inference server (uvicorn, one or more worker processes)."""

from __future__ import annotations

import ipaddress
import os

import typer

DEFAULT_SOURCE = "fullcycle.serving.source:project_source"
TRACER = "fullcycle.trace:tracer"
LOOPBACK = ("localhost",)


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to bind (loopback by default)."),
        port: int = typer.Option(8000, min=1, max=65535),
        workers: int = typer.Option(1, min=1, max=64, help="Worker processes."),
        durability: str = typer.Option(
            None, help="fast (fsync every ~200 ms) or strict (answer after fsync)."
        ),
        model: str = typer.Option(
            None, envvar="FULLCYCLE_MODEL", help="Model name whose deployment is served."
        ),
        source: str = typer.Option(
            DEFAULT_SOURCE, envvar="FULLCYCLE_SERVE_SOURCE", help="module:function -> ModelSource."
        ),
        max_batch: int = typer.Option(32, min=1, max=4096, help="Rows per model call, at most."),
        max_wait_ms: float = typer.Option(2.0, min=0, max=1000, help="Batching wait."),
        insecure_bind: bool = typer.Option(
            False, help="Allow a non-loopback address without FULLCYCLE_TOKEN."
        ),
    ) -> None:
        """Serve the deployed model: /predict, /v2 (Open Inference Protocol), /metrics."""
        from fullcycle.errors import ConfigError, NotFound
        from fullcycle.project import Project
        from fullcycle.serving.server import ServeOptions, run
        from fullcycle.settings import Settings

        if not _is_loopback(host) and not os.environ.get("FULLCYCLE_TOKEN") and not insecure_bind:
            raise ConfigError(
                f"refusing to bind {host} without authentication",
                hint="set FULLCYCLE_TOKEN, bind 127.0.0.1, or pass --insecure-bind",
            )
        try:
            project = Project.open(None)
        except NotFound:
            project = None
        settings = project.settings if project else Settings.from_env(os.environ)
        if not model:
            if project is None:
                raise ConfigError(
                    "no model name to serve", hint="pass --model NAME or run inside a project"
                )
            model = project.scope.name
        options = ServeOptions(
            source_factory=source,
            model=model,
            durability=durability or settings.durability,
            max_batch=max_batch,
            max_wait_ms=max_wait_ms,
            trace_factory=TRACER,
        )
        typer.echo(f"serving {model} on http://{host}:{port} ({workers} worker(s))", err=True)
        run(options, host=host, port=port, workers=workers, settings=settings)
