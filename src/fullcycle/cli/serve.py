"""``fullcycle serve``: the inference server (uvicorn, one or more worker processes), with the
dashboard mounted at ``/ui``.

Token checks are on by default; the first start prints a bootstrap admin token once.
``--no-auth`` is for experiments on 127.0.0.1: with any other address it refuses to start
unless ``--allow-insecure`` is given too.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from fullcycle.cli._common import ProjectOption

DEFAULT_SOURCE = "fullcycle.serving.source:project_source"
TRACER = "fullcycle.trace:tracer"
UI_MOUNT = "fullcycle.ui.app:mount_on_server"


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
            None,
            envvar="FULLCYCLE_MODEL",
            help="Model NAME whose deployment is served (default: the project's); the "
            "deployment picks the versions (fullcycle deploy production NAME:N).",
        ),
        source: str = typer.Option(
            DEFAULT_SOURCE, envvar="FULLCYCLE_SERVE_SOURCE", help="module:function -> ModelSource."
        ),
        max_batch: int = typer.Option(32, min=1, max=4096, help="Rows per model call, at most."),
        max_wait_ms: float = typer.Option(2.0, min=0, max=1000, help="Batching wait."),
        no_auth: bool = typer.Option(
            False, "--no-auth", help="No token checks (local experiments on 127.0.0.1)."
        ),
        allow_insecure: bool = typer.Option(
            False, "--allow-insecure", help="Allow --no-auth on a non-loopback address."
        ),
        public_predict: bool = typer.Option(
            False, "--public-predict", help="/predict and /v2/models/*/infer need no token."
        ),
        allowed_host: list[str] = typer.Option(
            None,
            "--allowed-host",
            help="Another Host header to accept (loopback and the bound address always are).",
        ),
        cors_origin: list[str] = typer.Option(
            None, "--cors-origin", help="Browser origins allowed cross-origin (default: none)."
        ),
        ui: bool = typer.Option(True, "--ui/--no-ui", help="Mount the dashboard at /ui."),
        log_level: str = typer.Option(
            "warning", help="critical, error, warning, info or debug (server and uvicorn)."
        ),
        access_log: bool = typer.Option(
            False, "--access-log/--no-access-log", help="One record per request."
        ),
        log_format: str = typer.Option(
            "text", help="text, or json (one object per line: request id, route, status, ...)."
        ),
        project_dir: Path = ProjectOption,
    ) -> None:
        """Serve the deployed model: /predict, /v2 (Open Inference Protocol), /metrics, /ui."""
        from fullcycle.cli.ui import allowed_hosts
        from fullcycle.errors import ConfigError, NotFound
        from fullcycle.project import Project
        from fullcycle.serving.server import ServeOptions, check_bind, run
        from fullcycle.settings import Settings

        check_bind(host, auth=not no_auth, allow_insecure=allow_insecure)
        if model:
            model = served_name(model)
        try:
            project = Project.open(project_dir)
        except NotFound:
            if project_dir is not None:
                raise
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
            auth=not no_auth,
            public_predict=public_predict,
            allowed_hosts=tuple(allowed_hosts(host, allowed_host or [])),
            cors_origins=tuple(cors_origin or ()),
            mount_factory=UI_MOUNT if ui and project is not None else None,
            log_level=log_level.lower(),
            access_log=access_log,
            log_format=log_format.lower(),
        )
        if options.auth:
            tokens = (project or Project(settings)).tokens
            first = tokens.bootstrap_admin()
            if first is not None:
                show_bootstrap_token(first, settings.state_dir)
        else:
            typer.echo(
                "token checks are OFF (--no-auth): anyone who reaches it acts as admin", err=True
            )
        typer.echo(f"serving {model} on http://{host}:{port} ({workers} worker(s))", err=True)
        run(options, host=host, port=port, workers=workers, settings=settings)


def served_name(model: str) -> str:
    """``--model`` is a model reference as everywhere; the server follows a model's deployment,
    so only a bare NAME fits (a version or an alias is refused with the command meant)."""
    from fullcycle.errors import InvalidInput
    from fullcycle.names import parse_ref

    ref = parse_ref(model, "model", "--model")
    if ref.version is not None:
        raise InvalidInput(
            f"--model {model}: serve follows the deployment of a model NAME",
            hint=f"to serve version {ref.version}: fullcycle deploy production {model}, "
            f"then fullcycle serve --model {ref.name}",
        )
    if ref.alias is not None:
        raise InvalidInput(
            f"--model {model}: serve follows the deployment of a model NAME, not an alias",
            hint=f"fullcycle serve --model {ref.name} serves what its deployment routes",
        )
    return ref.name


def show_bootstrap_token(token: str, state_dir: Path) -> None:
    """Print the first admin token on a terminal; when stdout is a file or a pipe (a log),
    write it to a 0600 file instead and print only that file's path."""
    import sys

    note = "no admin token existed; this bootstrap admin token is shown once, keep it now"
    if sys.stdout.isatty():
        typer.echo(f"{note} (revoke it with: fullcycle token revoke NAME):", err=True)
        typer.echo(token)
        return
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "bootstrap-admin-token"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token + "\n")
    typer.echo(
        f"{note}: it is in {path} (mode 0600), not in this output; delete the file "
        "once you have it",
        err=True,
    )
