"""``fullcycle ui``: the dashboard on its own (``fullcycle serve`` mounts it at /ui too)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import typer

from fullcycle.cli._common import ProjectOption, console, open_project
from fullcycle.cli._common import actor as cli_actor
from fullcycle.errors import ConfigError

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
AllowedHostOption = typer.Option(
    [], "--allowed-host", help="A Host header to accept (the name people type), repeatable."
)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, extra: list[str]) -> list[str]:
    """Loopback names, the bound address (unless it is a wildcard) and the ``--allowed-host``s."""
    hosts = [*LOOPBACK_NAMES, *extra]
    if host not in ("0.0.0.0", "::"):
        hosts.append(host)
    return sorted(set(hosts))


def ui(
    host: str = typer.Option(
        "127.0.0.1", help="Address to bind; keep 127.0.0.1 unless a team needs it, with tokens."
    ),
    port: int = typer.Option(8765, min=1, max=65535),
    no_auth: bool = typer.Option(
        False, "--no-auth", help="Act as the local admin without a token; only on 127.0.0.1."
    ),
    allow_insecure: bool = typer.Option(
        False, "--allow-insecure", help="Permit --no-auth on a non-loopback address."
    ),
    allowed_host: list[str] = AllowedHostOption,
    project: Path = ProjectOption,
) -> None:
    """Serve the dashboard at http://HOST:PORT/ui/."""
    import uvicorn

    from fullcycle.ui.app import standalone

    if no_auth and not is_loopback(host) and not allow_insecure:
        raise ConfigError(
            f"--no-auth on {host} would let anyone on the network act as admin",
            hint="bind 127.0.0.1, drop --no-auth, or add --allow-insecure",
        )
    proj = open_project(project)
    out = console()
    if not no_auth:
        token = proj.tokens.bootstrap_admin()
        if token:
            proj.record(
                "token.create",
                subject="bootstrap-admin",
                actor=cli_actor(),
                message="first start: bootstrap admin token",
            )
            out.print("first start: an admin token, shown once (sign in with it):")
            typer.echo(token)
    app = standalone(
        proj, auth_required=not no_auth, allowed_hosts=allowed_hosts(host, allowed_host)
    )
    shown = f"[{host}]" if ":" in host else host
    out.print(f"dashboard on http://{shown}:{port}/ui/ (Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


def register(app: typer.Typer) -> None:
    app.command("ui")(ui)
